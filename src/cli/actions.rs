//! The `actions` commands: stream a lifecycle list with the figures behind each customer.

use std::io::Write;

use super::Failure;
use super::args::{self, ActionsCommand, ListArgs, LoyaltyArgs};
use super::metrics::segment_members;
use super::output::{self, Col, Format, RowWriter};
use retention::actions::{CrossSellOptions, Programme, VipBy, WinBackOptions};
use retention::lake::Cell;
use retention::{Day, Error, Store};

/// The store, the list's day and the segment's members (if one was asked for).
pub type Opened = (Store, Option<Day>, Option<Vec<bool>>);

pub fn open(list: &ListArgs) -> Result<Opened, Failure> {
    let store = super::open_existing(&list.db)?;
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
            let columns = vec![
                Col::text("customer", 14),
                Col::text("reason", 10),
                Col::day("first_purchase", 14),
                Col::int("days_since_first", 16),
                Col::int("orders", 6),
                Col::money("spend", 0),
            ];
            let mut w = RowWriter::new(out, format, a.list.out.as_deref(), columns, &c)?;
            for r in &rows {
                let name = output::name(&names, r.customer);
                if w.is_json() {
                    w.write_json(&serde_json::json!({ "customer": name, "reason": "follow_up", "figures": r }))?;
                } else {
                    w.write_cells(&[
                        Cell::Text(name),
                        Cell::Text("follow_up"),
                        Cell::Day(r.first_purchase),
                        Cell::Integer(r.days_since_first as i64),
                        Cell::Integer(r.orders as i64),
                        Cell::Money(r.spend),
                    ])?;
                }
            }
            Ok(w.finish()?)
        }
        ActionsCommand::WinBack(a) => {
            let options =
                WinBackOptions::default().factor(a.factor).min_gaps(a.min_gaps).p_alive_below(a.p_alive_below);
            if let Some(p) = a.p_alive_below.filter(|p| !(0.0..=1.0).contains(p)) {
                return Err(
                    Error::invalid("--p-alive-below", p.to_string(), "expected a probability from 0 to 1").into()
                );
            }
            let (store, as_of, members) = open(&a.list)?;
            let rows = store.win_backs(as_of, &options, members.as_deref())?;
            let names = store.external_ids()?;
            let c = store.currency();
            let columns = vec![
                Col::text("customer", 14),
                Col::text("reason", 20),
                Col::day("last_purchase", 14),
                Col::int("days_since_last", 15),
                Col::int("median_gap_days", 15),
                Col::float("overdue_factor", 14, 2),
                Col::float("p_alive", 8, 4),
                Col::int("purchase_days", 13),
                Col::money("spend", 0),
            ];
            let mut w = RowWriter::new(out, format, a.list.out.as_deref(), columns, &c)?;
            for r in &rows {
                let name = output::name(&names, r.customer);
                if w.is_json() {
                    w.write_json(&serde_json::json!({ "customer": name, "reason": r.reason, "figures": r }))?;
                } else {
                    w.write_cells(&[
                        Cell::Text(name),
                        Cell::Text(r.reason),
                        Cell::Day(r.last_purchase),
                        Cell::Integer(r.days_since_last as i64),
                        r.median_gap_days.map_or(Cell::Null, |g| Cell::Integer(g as i64)),
                        r.overdue_factor.map_or(Cell::Null, Cell::Float),
                        r.p_alive.map_or(Cell::Null, Cell::Float),
                        Cell::Integer(r.purchase_days as i64),
                        Cell::Money(r.spend),
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
            let columns = vec![
                Col::text("customer", 14),
                Col::text("reason", 12),
                Col::text("tier", 12),
                Col::money("tier_spend", 12),
                Col::day("lapses_on", 12),
                Col::money("to_keep", 0),
            ];
            let mut w = RowWriter::new(out, format, a.list.out.as_deref(), columns, &c)?;
            for r in &rows {
                let name = output::name(&names, r.customer);
                let tier = programme.tiers.get(r.tier).map_or("", |t| t.name.as_str());
                if w.is_json() {
                    w.write_json(&serde_json::json!({ "customer": name, "reason": "tier_lapse", "tier_name": tier, "figures": r }))?;
                } else {
                    w.write_cells(&[
                        Cell::Text(name),
                        Cell::Text("tier_lapse"),
                        Cell::Text(tier),
                        Cell::Money(r.tier_spend),
                        Cell::Day(r.lapses_on),
                        Cell::Money(r.to_keep),
                    ])?;
                }
            }
            Ok(w.finish()?)
        }
        ActionsCommand::CrossSell(a) => {
            let options = CrossSellOptions::default()
                .top(a.top)
                .min_customers(a.min_customers)
                .min_lift(a.min_lift)
                .min_confidence(a.min_confidence);
            let (store, as_of, members) = open(&a.list)?;
            // Rules from every customer (the best estimates), offers for the chosen ones.
            let affinity = store.category_affinity(as_of, a.min_customers, None)?;
            let rows = store.cross_sell(&affinity, &options, members.as_deref())?;
            let names = store.external_ids()?;
            let columns = vec![
                Col::text("customer", 14),
                Col::text("reason", 11),
                Col::int("rank", 5),
                Col::text("category", 16),
                Col::text("because", 16),
                Col::float("lift", 7, 3),
                Col::float("confidence", 11, 4),
                Col::int("customers_both", 0),
            ];
            let mut w = RowWriter::new(out, format, a.list.out.as_deref(), columns, &store.currency())?;
            for r in &rows {
                let name = output::name(&names, r.customer);
                let (category, because) = (affinity.name(r.category), affinity.name(r.because));
                if w.is_json() {
                    w.write_json(&serde_json::json!({
                        "customer": name, "reason": "cross_sell", "category_name": category,
                        "because_name": because, "figures": r,
                    }))?;
                } else {
                    w.write_cells(&[
                        Cell::Text(name),
                        Cell::Text("cross_sell"),
                        Cell::Integer(r.rank as i64),
                        Cell::Text(category),
                        Cell::Text(because),
                        Cell::Float(r.lift),
                        Cell::Float(r.confidence),
                        Cell::Integer(r.customers_both as i64),
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
            let columns = vec![
                Col::text("customer", 14),
                Col::text("reason", 8),
                Col::int("rank", 8),
                Col::money("spend", 14),
                Col::float("clv", 0, 2),
            ];
            let mut w = RowWriter::new(out, format, a.list.out.as_deref(), columns, &c)?;
            for r in &rows {
                let name = output::name(&names, r.customer);
                if w.is_json() {
                    w.write_json(&serde_json::json!({ "customer": name, "reason": "vip", "figures": r }))?;
                } else {
                    w.write_cells(&[
                        Cell::Text(name),
                        Cell::Text("vip"),
                        Cell::Integer(r.rank as i64),
                        Cell::Money(r.spend),
                        r.clv.map_or(Cell::Null, Cell::Float),
                    ])?;
                }
            }
            Ok(w.finish()?)
        }
    }
}

pub fn loyalty(a: &LoyaltyArgs, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    let store = super::open_existing(&a.db)?;
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
    let columns = vec![
        Col::text("customer", 14),
        Col::int("earned", 8),
        Col::int("deducted", 8),
        Col::int("expired", 8),
        Col::int("balance", 8),
        Col::int("rewards", 7),
        Col::money("reward_value", 12),
        Col::text("tier", 12),
        Col::money("tier_spend", 12),
        Col::money("to_next_tier", 0),
    ];
    let mut w = RowWriter::new(out, format, a.out.as_deref(), columns, &c)?;
    for acc in &accounts {
        let name = output::name(&names, acc.customer);
        if w.is_json() {
            w.write_json(&serde_json::json!({ "customer": name, "tier_name": tier_name(acc.tier), "account": acc }))?;
        } else {
            w.write_cells(&[
                Cell::Text(name),
                Cell::Integer(acc.earned as i64),
                Cell::Integer(acc.deducted as i64),
                Cell::Integer(acc.expired as i64),
                Cell::Integer(acc.balance as i64),
                Cell::Integer(acc.rewards as i64),
                Cell::Money(acc.reward_value),
                Cell::Text(tier_name(acc.tier)),
                Cell::Money(acc.tier_spend),
                acc.to_next_tier.map_or(Cell::Null, Cell::Money),
            ])?;
        }
    }
    Ok(w.finish()?)
}
