//! The report as one HTML page: a header, figure cards and a section per chart, styled by inline
//! CSS for a desktop browser. No scripts, fonts or images are fetched: the file works offline.

use std::fmt::Write;

use super::Report;
use super::svg::{self, escape};
use crate::metrics::CohortPeriod;

/// Latest cohorts and periods drawn in the heatmap (the JSON has them all).
const HEATMAP_ROWS: usize = 36;
const HEATMAP_COLUMNS: usize = 36;

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0; background: #f3f4f6; color: #111827; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 48px; }
header h1 { margin: 0 0 4px; font-size: 28px; }
header p { margin: 0; color: #4b5563; }
section { background: #ffffff; border-radius: 10px; padding: 20px 24px; margin-top: 20px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
section h2 { margin: 0 0 4px; font-size: 20px; }
section p.note { margin: 0 0 12px; color: #4b5563; font-size: 14px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 12px; margin-top: 12px; }
.card { background: #eff6ff; border-radius: 8px; padding: 12px 14px; }
.card .label { font-size: 13px; color: #374151; }
.card .value { font-size: 24px; font-weight: 600; margin-top: 4px; }
svg { width: 100%; height: auto; display: block; margin-top: 8px; }
table { border-collapse: collapse; width: 100%; margin-top: 12px; font-size: 14px; }
th, td { padding: 6px 10px; border-bottom: 1px solid #e5e7eb; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f9fafb; font-weight: 600; }
";

fn pct(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite()).map_or("n/a".to_string(), |v| format!("{:.1}%", 100.0 * v))
}

/// Inserts thousands separators into the integer part of a plain number (`-1234567.89` →
/// `-1,234,567.89`), for people reading the page.
fn grouped(number: &str) -> String {
    let (sign, rest) = number.strip_prefix('-').map_or(("", number), |r| ("-", r));
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let (int, tail) = rest.split_at(digits);
    let mut out = String::from(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push_str(tail);
    out
}

/// "1 customer", "2,000 customers".
fn customers(n: u64) -> String {
    format!("{} customer{}", count(n), if n == 1 { "" } else { "s" })
}

/// A count with separators.
fn count(n: u64) -> String {
    grouped(&n.to_string())
}

fn cards(out: &mut String, items: &[(&str, String)]) {
    out.push_str(r#"<div class="cards">"#);
    for (label, value) in items {
        let _ = write!(
            out,
            r#"<div class="card"><div class="label">{}</div><div class="value">{}</div></div>"#,
            escape(label),
            escape(value)
        );
    }
    out.push_str("</div>");
}

fn table(out: &mut String, headers: &[&str], rows: &[Vec<String>]) {
    out.push_str("<table><thead><tr>");
    for h in headers {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for cell in r {
            let _ = write!(out, "<td>{}</td>", escape(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

fn section(out: &mut String, id: &str, title: &str, note: &str) {
    let _ = write!(out, r#"<section id="{id}"><h2>{}</h2>"#, escape(title));
    if !note.is_empty() {
        let _ = write!(out, r#"<p class="note">{}</p>"#, escape(note));
    }
}

pub(super) fn render(r: &Report) -> String {
    let m = &r.metrics;
    let money = |minor: i64| grouped(&r.money(minor));
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Retention report, {}</title><style>{STYLE}</style></head><body><main>",
        r.as_of
    );
    let _ = write!(
        out,
        "<header><h1>Retention report</h1><p>As of {} · period {} to {} · activity window {} days · amounts in {}</p></header>",
        r.as_of,
        m.start,
        m.end,
        m.activity_window_days,
        escape(&r.currency)
    );

    let total = &r.segments.total;
    section(
        &mut out,
        "overview",
        "Overview",
        &format!(
            "Customers, orders and revenue up to {}; the period's figures cover {} to {}.",
            r.as_of, m.start, m.end
        ),
    );
    cards(
        &mut out,
        &[
            ("Customers", count(total.customers)),
            ("Orders", count(total.orders)),
            ("Net revenue to date", money(total.revenue)),
            ("Repeat-purchase rate (all history)", pct(Some(m.repeat_rate))),
            ("Buyers in the period", count(m.buyers)),
            ("Revenue in the period", money(m.revenue)),
            ("From returning customers", money(m.revenue_returning)),
            ("Average order value", money(m.average_order_value.round() as i64)),
            ("Orders per buyer", format!("{:.2}", m.frequency)),
            ("Median days between purchases", m.median_gap_days.map_or("n/a".into(), |d| d.to_string())),
            ("Retention rate (CRR)", pct(m.retention_rate)),
            ("Churn rate", pct(m.churn_rate)),
        ],
    );
    out.push_str("</section>");

    let s = &r.segments;
    section(
        &mut out,
        "segments",
        "RFM segments",
        &format!(
            "Share of customers and of revenue per segment (default map). The top 10% of customers bring {} of revenue, the top 1% {}.",
            pct(Some(s.concentration.top_10.revenue_share)),
            pct(Some(s.concentration.top_1.revenue_share))
        ),
    );
    let rows: Vec<(String, f64, f64)> = s
        .segments
        .iter()
        .filter(|l| l.group.customers > 0)
        .map(|l| (l.segment.clone(), l.group.customer_share, l.group.revenue_share))
        .collect();
    out.push_str(&svg::paired_bars("Customers and revenue per segment", &rows, ["customers", "revenue"]));
    let rows: Vec<Vec<String>> = s
        .segments
        .iter()
        .filter(|l| l.group.customers > 0)
        .map(|l| {
            vec![
                l.segment.clone(),
                count(l.group.customers),
                money(l.group.revenue),
                money(l.group.average_order_value.round() as i64),
                format!("{:.0}", l.group.average_recency),
                format!("{:.1}", l.group.average_frequency),
            ]
        })
        .collect();
    table(
        &mut out,
        &["segment", "customers", "revenue", "order value", "recency (days)", "orders per customer"],
        &rows,
    );
    out.push_str("</section>");

    let unit = match r.cohorts.period {
        CohortPeriod::Month => "month",
        CohortPeriod::Week => "week",
    };
    section(
        &mut out,
        "cohorts",
        "Cohort retention",
        &format!(
            "Share of each acquisition {unit}'s customers buying k {unit}s later (the latest {HEATMAP_ROWS} cohorts, up to {HEATMAP_COLUMNS} {unit}s). \
             The last cell of each row is the {unit} of {}, counted only up to that day.",
            r.as_of
        ),
    );
    let skip = r.cohorts.cohorts.len().saturating_sub(HEATMAP_ROWS);
    let rows: Vec<(String, Vec<Option<f64>>)> = r.cohorts.cohorts[skip..]
        .iter()
        .map(|c| {
            let label = match r.cohorts.period {
                CohortPeriod::Month => c.start.to_string().chars().take(7).collect(),
                CohortPeriod::Week => c.start.to_string(),
            };
            (label, (0..c.active.len().min(HEATMAP_COLUMNS)).map(|k| c.share_active(k)).collect())
        })
        .collect();
    out.push_str(&svg::heatmap("Cohort retention heatmap", &rows, &format!("{unit}s after acquisition")));
    out.push_str("</section>");

    section(
        &mut out,
        "repeat",
        "Who comes back",
        "P(k+1 | k): of the customers with k purchase days by the report's day, the share who made another.",
    );
    let points: Vec<(String, Option<f64>)> =
        m.conditional_repeat.iter().enumerate().map(|(k, p)| ((k + 1).to_string(), *p)).collect();
    out.push_str(&svg::percent_line("Conditional repeat probability", &points, "purchase days so far (k)"));
    out.push_str("</section>");

    section(&mut out, "clv", "Customer-lifetime value", "");
    match (&r.clv, &r.clv_note) {
        (Some(d), _) => {
            let _ = write!(
                out,
                r#"<p class="note">Model {} as of {}: each customer's predicted revenue over the next {}{}, discounted at {}% per {}, in {}.</p>"#,
                escape(d.model),
                d.as_of,
                d.horizon,
                if d.margin == 1.0 { String::new() } else { format!(" at a {:.0}% margin", 100.0 * d.margin) },
                100.0 * d.discount.rate,
                d.discount.per.singular(),
                escape(&r.currency),
            );
            cards(
                &mut out,
                &[
                    ("Customers valued", count(d.customers)),
                    ("Total CLV", format!("{} {}", grouped(&format!("{:.0}", d.total)), r.currency)),
                    ("Mean", format!("{:.2} {}", d.mean, r.currency)),
                    ("Median", format!("{:.2} {}", d.median, r.currency)),
                    ("90th percentile", format!("{:.2} {}", d.p90, r.currency)),
                    ("Top 10% hold", pct(Some(d.top_10_share))),
                    ("Mean P(alive)", pct(Some(d.mean_p_alive))),
                ],
            );
            // Edges are 1-2-5 values: whole numbers need no decimals, small ones keep theirs.
            let edge = |v: f64| if v >= 1.0 { grouped(&format!("{v:.0}")) } else { format!("{v}") };
            let bins: Vec<(String, u64)> = d
                .bins
                .iter()
                .map(|b| {
                    let label = match b.to {
                        Some(to) => format!("{}–{}", edge(b.from), edge(to)),
                        None => format!("≥ {}", edge(b.from)),
                    };
                    (label, b.customers)
                })
                .collect();
            out.push_str(&svg::histogram("CLV distribution", &bins, &format!("CLV ({})", r.currency)));
        }
        (None, note) => {
            let _ = write!(out, r#"<p class="note">{}</p>"#, escape(note.as_deref().unwrap_or("no CLV section")));
        }
    }
    out.push_str("</section>");

    if let Some(e) = &r.model_fit {
        model_fit(&mut out, e);
    }

    if let Some(l) = &r.loyalty {
        section(
            &mut out,
            "loyalty",
            "Loyalty tiers",
            &format!(
                "{} members, {} points outstanding, liability {}.",
                count(l.members),
                count(l.points_outstanding),
                money(l.liability)
            ),
        );
        let members = l.members.max(1) as f64;
        let mut rows: Vec<(String, f64, String)> =
            l.tiers.iter().map(|t| (t.name.clone(), t.customers as f64 / members, customers(t.customers))).collect();
        rows.push(("below every tier".into(), l.below_tiers as f64 / members, customers(l.below_tiers)));
        out.push_str(&svg::bars("Customers per tier", &rows, svg::BLUE));
        let rows: Vec<Vec<String>> = l
            .tiers
            .iter()
            .map(|t| vec![t.name.clone(), money(t.min_spend), count(t.customers), t.benefits.join(", ")])
            .collect();
        table(&mut out, &["tier", "spend from", "customers", "benefits"], &rows);
        out.push_str("</section>");
    }

    if !r.categories.is_empty() {
        section(
            &mut out,
            "categories",
            "Categories",
            "Net revenue and buying customers per category up to the report's day.",
        );
        let mut by_revenue: Vec<_> = r.categories.iter().collect();
        by_revenue.sort_by_key(|c| std::cmp::Reverse(c.revenue));
        let rows: Vec<(String, f64, String)> = by_revenue
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.revenue_share,
                    format!("{} · {}", pct(Some(c.revenue_share)), customers(c.customers)),
                )
            })
            .collect();
        out.push_str(&svg::bars("Revenue per category", &rows, svg::ORANGE));
        out.push_str("</section>");
    }
    out.push_str("</main></body></html>\n");
    out
}

/// "Does the model fit?": the period-transaction histogram, weekly tracking (cumulative and
/// incremental) and the holdout by calibration frequency, actual against each fitted model.
fn model_fit(out: &mut String, e: &crate::clv::Evaluation) {
    let fitted: Vec<_> = e.models.iter().filter(|m| m.fitted.is_some()).collect();
    section(
        out,
        "model-fit",
        "Does the model fit?",
        &format!(
            "Models fitted on orders to {} ({} customers), checked against what the same customers did to {}.",
            e.calibration_end, e.customers, e.holdout_end
        ),
    );
    let bins: Vec<String> = (0..e.histogram_actual.len())
        .map(|i| if i + 1 == e.histogram_actual.len() { format!("{i}+") } else { i.to_string() })
        .collect();
    let mut series: Vec<(&str, Vec<f64>)> = vec![("actual", e.histogram_actual.iter().map(|&v| v as f64).collect())];
    series.extend(fitted.iter().map(|m| (m.kind.key(), m.histogram_expected.clone())));
    out.push_str("<h3>Customers by repeat purchases in the calibration period</h3>");
    out.push_str(&svg::columns("Period-transaction histogram", &bins, &series, "repeat purchases"));
    if let Some(t) = &e.tracking {
        let labels: Vec<String> = t.week_ends.iter().map(|d| d.to_string()).collect();
        let marker = Some((t.calibration_weeks, "holdout"));
        let cumulate = |v: &[f64]| -> Vec<f64> {
            v.iter()
                .scan(0.0, |s, x| {
                    *s += x;
                    Some(*s)
                })
                .collect()
        };
        let weekly: Vec<f64> = t.actual.iter().map(|&v| v as f64).collect();
        let mut cumulative: Vec<(&str, Vec<f64>)> = vec![("actual", cumulate(&weekly))];
        cumulative.extend(fitted.iter().map(|m| (m.kind.key(), cumulate(&m.weekly_expected))));
        out.push_str("<h3>Cumulative repeat purchases</h3>");
        out.push_str(&svg::lines("Cumulative repeat purchases", &labels, &cumulative, marker, "week ending"));
        let mut incremental: Vec<(&str, Vec<f64>)> = vec![("actual", weekly)];
        incremental.extend(fitted.iter().map(|m| (m.kind.key(), m.weekly_expected.clone())));
        out.push_str("<h3>Repeat purchases per week</h3>");
        out.push_str(&svg::lines("Weekly repeat purchases", &labels, &incremental, marker, "week ending"));
    }
    if let Some(first) = fitted.first() {
        let groups: Vec<String> = first.groups.iter().map(|g| g.label.clone()).collect();
        let mut series: Vec<(&str, Vec<f64>)> = vec![("actual", first.groups.iter().map(|g| g.actual_mean).collect())];
        series.extend(fitted.iter().map(|m| (m.kind.key(), m.groups.iter().map(|g| g.predicted_mean).collect())));
        out.push_str("<h3>Mean repeat purchases in the holdout, by calibration repeat purchases</h3>");
        out.push_str(&svg::columns(
            "Calibration against holdout",
            &groups,
            &series,
            "repeat purchases in the calibration period",
        ));
        let rows: Vec<Vec<String>> = fitted
            .iter()
            .map(|m| {
                vec![
                    m.kind.key().to_string(),
                    format!("{:.1}", m.predicted_total),
                    e.actual_total.to_string(),
                    format!("{:.4}", m.mae),
                    format!("{:.3}", m.correlation),
                ]
            })
            .collect();
        table(out, &["model", "predicted holdout purchases", "actual", "MAE per customer", "correlation"], &rows);
    }
    for m in e.models.iter().filter(|m| m.fitted.is_none()) {
        let _ = write!(
            out,
            r#"<p class="note">{}: {}</p>"#,
            m.kind.key(),
            escape(m.error.as_deref().unwrap_or("not fitted"))
        );
    }
    out.push_str("</section>");
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn thousands_separators() {
        assert_eq!(grouped("47336834.01"), "47,336,834.01");
        assert_eq!(grouped("-1234"), "-1,234");
        assert_eq!(grouped("999"), "999");
        assert_eq!(grouped("0.50"), "0.50");
        assert_eq!(grouped("n/a"), "n/a");
    }
}
