//! The `metrics` command: formatting of `Store::period_metrics`, optionally for one segment.

use super::errors::on_flag;
use std::io::Write;

use super::Failure;
use super::args::{self, CohortsArgs, MetricsArgs};
use super::output::{self, Format, Table};
use retention::Store;
use retention::metrics::CohortPeriod;
use retention::rfm::Segments;

/// Which customers (by id) are in segment `name` of the default map as of `as_of`, and that day.
pub fn segment_members(
    store: &Store,
    as_of: Option<retention::Day>,
    name: &str,
) -> Result<(Vec<bool>, retention::Day), Failure> {
    Ok(store.segment_members(as_of, &Segments::default(), name)?)
}

pub fn period(a: &MetricsArgs, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    let mut options = a.options()?;
    let store = super::open_existing(&a.db)?;
    let members = match &a.segment {
        None => None,
        Some(name) => {
            let (members, as_of) = segment_members(&store, options.as_of, name)?;
            options.as_of = Some(as_of);
            Some(members)
        }
    };
    let m = store.period_metrics(&options, members.as_deref())?;
    if format == Format::Json {
        return Ok(output::json(out, &serde_json::json!({ "segment": a.segment, "metrics": m }))?);
    }
    let c = store.currency();
    let counts_only = store.counts_only();
    // A counts-only store has no amounts: its money figures are absent, not 0.
    let money = |v: i64| if counts_only { "none (purchase counts only)".to_string() } else { c.format(v) };
    let pct = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{:.1}%", 100.0 * v));
    let mut pairs: Vec<(&str, String)> = vec![
        ("period", format!("{} to {}", m.start, m.end)),
        ("segment", a.segment.clone().unwrap_or_else(|| "all customers".into())),
        ("customers by the end", m.customers.to_string()),
        ("repeat-purchase rate", pct(Some(m.repeat_rate))),
    ];
    for (k, p) in m.conditional_repeat.iter().enumerate().take(5) {
        let label: &'static str = ["P(2 | 1)", "P(3 | 2)", "P(4 | 3)", "P(5 | 4)", "P(6 | 5)"][k];
        pairs.push((label, pct(*p)));
    }
    pairs.extend([
        ("buyers in the period", m.buyers.to_string()),
        ("orders", m.orders.to_string()),
        ("orders per buyer", format!("{:.2}", m.frequency)),
        ("average order value", money(m.average_order_value.round() as i64)),
        ("median days between purchases", m.median_gap_days.map_or("n/a".into(), |d| d.to_string())),
        ("activity window (days)", m.activity_window_days.to_string()),
        ("customers at start", m.customers_at_start.to_string()),
        ("customers at end", m.customers_at_end.to_string()),
        ("new customers", m.new_customers.to_string()),
        ("retained", m.retained.to_string()),
        ("retention rate (CRR)", pct(m.retention_rate)),
        ("churn rate", pct(m.churn_rate)),
        ("revenue", money(m.revenue)),
        ("from new customers", money(m.revenue_new)),
        ("from returning customers", money(m.revenue_returning)),
    ]);
    output::pairs(out, &pairs, format)?;
    if format == Format::Table {
        writeln!(out, "\nP(k+1 purchase days | k) by the end of the period")?;
        let mut t = Table::new(&["k", "P(k+1 | k)"]).numeric(&[0, 1]);
        for (k, p) in m.conditional_repeat.iter().enumerate() {
            t.push(vec![(k + 1).to_string(), pct(*p)]);
        }
        t.write(out, format)?;
        writeln!(out, "\nDays between consecutive purchases ending in the period")?;
        let mut t = Table::new(&["up to days", "gaps"]).numeric(&[0, 1]);
        for (bound, n) in &m.gap_distribution {
            t.push(vec![if *bound == u32::MAX { "longer".into() } else { bound.to_string() }, n.to_string()]);
        }
        t.write(out, format)?;
    }
    Ok(())
}

/// The cohort matrix: one row per cohort, one column per period after acquisition.
pub fn cohorts(a: &CohortsArgs, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    let period = CohortPeriod::parse(&a.period).map_err(on_flag("--period"))?;
    let as_of = args::parse_day("--as-of", a.as_of.as_deref())?;
    let store = super::open_existing(&a.db)?;
    let c = store.cohorts(period, as_of)?;
    if format == Format::Json {
        return Ok(output::json(out, &c)?);
    }
    let width = c.cohorts.first().map_or(0, |c| c.active.len());
    let labels: Vec<String> = (0..width).map(|k| k.to_string()).collect();
    let mut headers = vec!["cohort", "customers"];
    headers.extend(labels.iter().map(String::as_str));
    let mut t = Table::new(&headers).numeric(&(1..headers.len()).collect::<Vec<_>>());
    let currency = store.currency();
    for cohort in &c.cohorts {
        let label = match period {
            CohortPeriod::Month => cohort.start.to_string()[..7].to_string(),
            CohortPeriod::Week => cohort.start.to_string(),
            // A period the library adds later: its first day names it.
            _ => cohort.start.to_string(),
        };
        let mut row = vec![label, cohort.customers.to_string()];
        for k in 0..cohort.active.len() {
            row.push(match (a.revenue, format) {
                (true, _) => currency.format(cohort.revenue[k]),
                // CSV is for machines: the share as a number.
                (false, Format::Csv) => cohort.share_active(k).map_or(String::new(), |s| format!("{s:.6}")),
                (false, _) => cohort.share_active(k).map_or(String::new(), |s| format!("{:.1}%", 100.0 * s)),
            });
        }
        // Later cohorts have had fewer periods: their rows end early.
        row.resize(headers.len(), String::new());
        t.push(row);
    }
    if format == Format::Table {
        let what = if a.revenue { "net revenue" } else { "share of the cohort buying" };
        let unit = match period {
            CohortPeriod::Month => "month",
            CohortPeriod::Week => "week",
            _ => "period",
        };
        writeln!(out, "Acquisition cohorts by {unit}, {what} k {unit}s after acquisition, to {}\n", c.as_of)?;
    }
    Ok(t.write(out, format)?)
}
