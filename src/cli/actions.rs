//! The `actions` commands: stream a lifecycle list with the figures behind each customer.

use std::io::Write;

use super::Failure;
use super::args::{self, ActionsCommand, ListArgs, LoyaltyArgs};
use super::metrics::segment_members;
use super::output::{self, Format, RowWriter};
use retention::actions::{CrossSellOptions, Programme, VipBy, WinBackOptions};
use retention::{Day, Error, Store};

/// The store, the list's day and the segment's members (if one was asked for).
pub type Opened = (Store, Option<Day>, Option<Vec<bool>>);

pub fn open(list: &ListArgs) -> Result<Opened, Failure> {
    let store = Store::open_existing(&list.db)?;
    let as_of = args::parse_day("--as-of", list.as_of.as_deref())?;
    match &list.segment {
        None => Ok((store, as_of, None)),
        Some(name) => {
            let (members, day) = segment_members(&store, as_of, name)?;
            Ok((store, Some(day), Some(members)))
        }
    }
}

pub fn run(command: &ActionsCommand, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    match command {
        ActionsCommand::FollowUp(a) => {
            let after = args::parse_duration("--after", &a.after)?;
            let within = args::parse_duration("--within", &a.within)?;
            let (store, as_of, members) = open(&a.list)?;
            let rows = store.follow_ups(as_of, after, within, members.as_deref())?;
            let names = store.external_ids()?;
            let c = store.currency();
            let mut w = RowWriter::new(
                out,
                format,
                &["customer", "reason", "first_purchase", "days_since_first", "orders", "spend"],
                &[14, 10, 14, 16, 6, 0],
            )?;
            for r in &rows {
                let name = output::name(&names, r.customer);
                if format == Format::Json {
                    w.write_json(&serde_json::json!({ "customer": name, "reason": "follow_up", "figures": r }))?;
                } else {
                    w.write_text(&[
                        name,
                        "follow_up",
                        &r.first_purchase.to_string(),
                        &r.days_since_first.to_string(),
                        &r.orders.to_string(),
                        &c.format(r.spend),
                    ])?;
                }
            }
            Ok(w.finish()?)
        }
        ActionsCommand::WinBack(a) => {
            let options = WinBackOptions { factor: a.factor, min_gaps: a.min_gaps, p_alive_below: a.p_alive_below };
            if let Some(p) = a.p_alive_below.filter(|p| !(0.0..=1.0).contains(p)) {
                return Err(
                    Error::invalid("--p-alive-below", p.to_string(), "expected a probability from 0 to 1").into()
                );
            }
            let (store, as_of, members) = open(&a.list)?;
            let rows = store.win_backs(as_of, &options, members.as_deref())?;
            let names = store.external_ids()?;
            let c = store.currency();
            let mut w = RowWriter::new(
                out,
                format,
                &[
                    "customer",
                    "reason",
                    "last_purchase",
                    "days_since_last",
                    "median_gap_days",
                    "overdue_factor",
                    "p_alive",
                    "purchase_days",
                    "spend",
                ],
                &[14, 20, 14, 15, 15, 14, 8, 13, 0],
            )?;
            let opt = |v: Option<String>| v.unwrap_or_default();
            for r in &rows {
                let name = output::name(&names, r.customer);
                if format == Format::Json {
                    w.write_json(&serde_json::json!({ "customer": name, "reason": r.reason, "figures": r }))?;
                } else {
                    w.write_text(&[
                        name,
                        r.reason,
                        &r.last_purchase.to_string(),
                        &r.days_since_last.to_string(),
                        &opt(r.median_gap_days.map(|g| g.to_string())),
                        &opt(r.overdue_factor.map(|f| format!("{f:.2}"))),
                        &opt(r.p_alive.map(|p| format!("{p:.4}"))),
                        &r.purchase_days.to_string(),
                        &c.format(r.spend),
                    ])?;
                }
            }
            Ok(w.finish()?)
        }
        ActionsCommand::Lapse(a) => {
            let within = args::parse_duration("--within", &a.within)?;
            let (store, as_of, members) = open(&a.list)?;
            let c = store.currency();
            let programme = Programme::load(&a.programme, &c)?;
            let rows = store.tier_lapses(&programme, as_of, within, members.as_deref())?;
            let names = store.external_ids()?;
            let mut w = RowWriter::new(
                out,
                format,
                &["customer", "reason", "tier", "tier_spend", "lapses_on", "to_keep"],
                &[14, 12, 12, 12, 12, 0],
            )?;
            for r in &rows {
                let name = output::name(&names, r.customer);
                let tier = programme.tiers.get(r.tier).map_or("", |t| t.name.as_str());
                if format == Format::Json {
                    w.write_json(&serde_json::json!({ "customer": name, "reason": "tier_lapse", "tier_name": tier, "figures": r }))?;
                } else {
                    w.write_text(&[
                        name,
                        "tier_lapse",
                        tier,
                        &c.format(r.tier_spend),
                        &r.lapses_on.to_string(),
                        &c.format(r.to_keep),
                    ])?;
                }
            }
            Ok(w.finish()?)
        }
        ActionsCommand::CrossSell(a) => {
            let options = CrossSellOptions {
                top: a.top,
                min_customers: a.min_customers,
                min_lift: a.min_lift,
                min_confidence: a.min_confidence,
            };
            let (store, as_of, members) = open(&a.list)?;
            // Rules from every customer (the best estimates), offers for the chosen ones.
            let affinity = store.category_affinity(as_of, a.min_customers, None)?;
            let rows = store.cross_sell(&affinity, &options, members.as_deref())?;
            let names = store.external_ids()?;
            let mut w = RowWriter::new(
                out,
                format,
                &["customer", "reason", "rank", "category", "because", "lift", "confidence", "customers_both"],
                &[14, 11, 5, 16, 16, 7, 11, 0],
            )?;
            // Figures belong to rules, and there are few rules: format each once, not per row.
            let mut figures: std::collections::HashMap<(u32, u32), [String; 3]> = std::collections::HashMap::new();
            for r in &rows {
                let name = output::name(&names, r.customer);
                let (category, because) = (affinity.name(r.category), affinity.name(r.because));
                if format == Format::Json {
                    w.write_json(&serde_json::json!({
                        "customer": name, "reason": "cross_sell", "category_name": category,
                        "because_name": because, "figures": r,
                    }))?;
                } else {
                    let [lift, confidence, both] = figures.entry((r.because, r.category)).or_insert_with(|| {
                        [format!("{:.3}", r.lift), format!("{:.4}", r.confidence), r.customers_both.to_string()]
                    });
                    w.write_text(&[
                        name,
                        "cross_sell",
                        &r.rank.to_string(),
                        category,
                        because,
                        lift,
                        confidence,
                        both,
                    ])?;
                }
            }
            Ok(w.finish()?)
        }
        ActionsCommand::Vip(a) => {
            let share = a.share()?;
            let by = match a.by.as_str() {
                "spend" => VipBy::Spend,
                "clv" => VipBy::Clv,
                other => return Err(Error::invalid("--by", other, "expected spend or clv").into()),
            };
            let (store, as_of, members) = open(&a.list)?;
            let rows = store.vips(as_of, share, by, members.as_deref())?;
            let names = store.external_ids()?;
            let c = store.currency();
            let mut w =
                RowWriter::new(out, format, &["customer", "reason", "rank", "spend", "clv"], &[14, 8, 8, 14, 0])?;
            for r in &rows {
                let name = output::name(&names, r.customer);
                if format == Format::Json {
                    w.write_json(&serde_json::json!({ "customer": name, "reason": "vip", "figures": r }))?;
                } else {
                    w.write_text(&[
                        name,
                        "vip",
                        &r.rank.to_string(),
                        &c.format(r.spend),
                        &r.clv.map_or(String::new(), |v| format!("{v:.2}")),
                    ])?;
                }
            }
            Ok(w.finish()?)
        }
    }
}

pub fn loyalty(a: &LoyaltyArgs, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    let store = Store::open_existing(&a.db)?;
    let c = store.currency();
    let programme = Programme::load(&a.programme, &c)?;
    let as_of = args::parse_day("--as-of", a.as_of.as_deref())?;
    let (accounts, totals) = store.loyalty(&programme, as_of)?;
    let tier_name = |t: Option<usize>| t.and_then(|t| programme.tiers.get(t)).map_or("", |t| t.name.as_str());
    if a.totals {
        if format == Format::Json {
            return Ok(output::json(out, &serde_json::json!({ "programme": programme, "totals": totals }))?);
        }
        let mut pairs = vec![
            ("members", totals.members.to_string()),
            ("points outstanding", totals.points_outstanding.to_string()),
            ("liability", c.format(totals.liability)),
        ];
        let labels: Vec<String> = programme.tiers.iter().map(|t| format!("tier {}", t.name)).collect();
        for (label, n) in labels.iter().zip(&totals.per_tier) {
            pairs.push((label.as_str(), n.to_string()));
        }
        return Ok(output::pairs(out, &pairs, format)?);
    }
    let names = store.external_ids()?;
    let mut w = RowWriter::new(
        out,
        format,
        &[
            "customer",
            "earned",
            "deducted",
            "expired",
            "balance",
            "rewards",
            "reward_value",
            "tier",
            "tier_spend",
            "to_next_tier",
        ],
        &[14, 8, 8, 8, 8, 7, 12, 12, 12, 0],
    )?;
    for acc in &accounts {
        let name = output::name(&names, acc.customer);
        if format == Format::Json {
            w.write_json(&serde_json::json!({ "customer": name, "tier_name": tier_name(acc.tier), "account": acc }))?;
        } else {
            w.write_text(&[
                name,
                &acc.earned.to_string(),
                &acc.deducted.to_string(),
                &acc.expired.to_string(),
                &acc.balance.to_string(),
                &acc.rewards.to_string(),
                &c.format(acc.reward_value),
                tier_name(acc.tier),
                &c.format(acc.tier_spend),
                &acc.to_next_tier.map_or(String::new(), |v| c.format(v)),
            ])?;
        }
    }
    Ok(w.finish()?)
}
