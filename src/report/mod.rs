//! The store report: every figure a retention team looks at first, gathered in one call
//! ([`Store::report`]) as a serialisable [`Report`], and rendered as one self-contained HTML page
//! with inline SVG charts ([`Report::to_html`]).

mod html;
mod svg;

use serde::Serialize;

use crate::actions::Programme;
use crate::clv::ValueOptions;
use crate::day::Day;
use crate::error::{Error, Need, Result};
use crate::metrics::{CategoryFigures, CohortPeriod, Cohorts, MetricsOptions, PeriodMetrics};
use crate::money::Currency;
use crate::rfm::{RfmOptions, SegmentReport, Segments};
use crate::store::{Stats, Store};

/// What the report covers.
///
/// ```
/// use retention::{Day, metrics::{CohortPeriod, MetricsOptions}, report::ReportOptions};
/// let day = Day::from_ymd(2025, 6, 30).expect("a valid date");
/// let options = ReportOptions::default()
///     .as_of(day)
///     .metrics(MetricsOptions::default().period_days(90))
///     .cohort_period(CohortPeriod::Week);
/// assert_eq!((options.as_of, options.cohort_period), (Some(day), Some(CohortPeriod::Week)));
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ReportOptions {
    /// The report's day (default: the latest order day); the metrics period ends on it.
    pub as_of: Option<Day>,
    /// Period length and activity window of the metrics (their `as_of` is replaced by the report's).
    pub metrics: MetricsOptions,
    /// Cohorts by month (default) or week.
    pub cohort_period: Option<CohortPeriod>,
    /// A loyalty programme, for the tiers section.
    pub programme: Option<Programme>,
    /// A calibration/holdout split for the "does the model fit?" section.
    pub model_fit: Option<crate::clv::EvaluateOptions>,
}

crate::options::setters! {
    ReportOptions {
        /// Sets the period length and activity window of the metrics.
        metrics: MetricsOptions,
    }
    optional {
        /// Makes this the report's day.
        as_of: Day,
        /// Groups the cohorts by this period.
        cohort_period: CohortPeriod,
        /// Adds the tiers section for this loyalty programme.
        programme: Programme,
        /// Adds the "does the model fit?" section for this calibration/holdout split.
        model_fit: crate::clv::EvaluateOptions,
    }
}

/// The distribution of CLV under the stored model. Values are in major currency units (floating
/// point, as predictions are), unlike the store's integer minor units elsewhere in the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClvDistribution {
    /// The purchase model (`bgnbd`, `mbgnbd` or `pnbd`).
    pub model: &'static str,
    /// The model's day (values are as of it).
    pub as_of: Day,
    /// CLV horizon.
    pub horizon: crate::clv::Span,
    /// Discount rate applied.
    pub discount: crate::clv::DiscountRate,
    /// Share of revenue counted as value (1 = revenue, not profit).
    pub margin: f64,
    /// Customers valued.
    pub customers: u64,
    /// Sum of CLV over customers, major units.
    pub total: f64,
    /// Mean CLV.
    pub mean: f64,
    /// Median CLV.
    pub median: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Share of the total held by the top 10% of customers.
    pub top_10_share: f64,
    /// Mean P(alive).
    pub mean_p_alive: f64,
    /// Log-spaced bins (1-2-5 edges) from 0 to about the 99th percentile, then one open bin.
    pub bins: Vec<ClvBin>,
}

/// One histogram bin of CLV: `from ≤ clv < to` (`to` is `None` for the open last bin).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClvBin {
    /// Lower edge, major units.
    pub from: f64,
    /// Upper edge (exclusive), major units; `None` for the last bin.
    pub to: Option<f64>,
    /// Customers in the bin.
    pub customers: u64,
    /// Their CLV summed, major units.
    pub value: f64,
}

/// A loyalty tier's customers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TierLine {
    /// The tier's name.
    pub name: String,
    /// Spend needed, minor units.
    pub min_spend: i64,
    /// Its benefits.
    pub benefits: Vec<String>,
    /// Customers in it.
    pub customers: u64,
}

/// The loyalty section: customers per tier and the programme's liability.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LoyaltySummary {
    /// Customers with an account.
    pub members: u64,
    /// Members below every tier.
    pub below_tiers: u64,
    /// Tiers in programme order.
    pub tiers: Vec<TierLine>,
    /// Points available.
    pub points_outstanding: u64,
    /// Value of the redeemable rewards, minor units.
    pub liability: i64,
}

/// Every figure of the report; its JSON serialisation is the report's JSON output.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// The report's day.
    pub as_of: Day,
    /// The store's currency code.
    pub currency: String,
    /// Store-wide totals of every order in the store, including any after `as_of`.
    pub stats: Stats,
    /// Retention metrics of the period ending on `as_of`.
    pub metrics: PeriodMetrics,
    /// Customers and revenue per RFM segment (default map) and spend concentration, as of
    /// `as_of`; `segments.total` holds the customers, orders and net revenue up to that day.
    pub segments: SegmentReport,
    /// Acquisition cohorts.
    pub cohorts: Cohorts,
    /// Customers and revenue per category (empty when orders had no categories).
    pub categories: Vec<CategoryFigures>,
    /// CLV distribution under the stored model, when one is stored and fresh.
    pub clv: Option<ClvDistribution>,
    /// Why there is no CLV section, when there is none.
    pub clv_note: Option<String>,
    /// Loyalty tiers, when a programme was given.
    pub loyalty: Option<LoyaltySummary>,
    /// How the models fit a calibration/holdout split, when one was given.
    pub model_fit: Option<crate::clv::Evaluation>,
    #[serde(skip)]
    currency_format: Currency,
}

impl Report {
    /// Formats minor units in the store's currency.
    pub fn money(&self, minor: i64) -> String {
        self.currency_format.format(minor)
    }

    /// The report as one self-contained HTML page (inline CSS and SVG; no scripts, no network).
    pub fn to_html(&self) -> String {
        html::render(self)
    }
}

impl Store {
    /// Gathers the report's figures: store totals, the period's metrics, RFM segments, cohorts,
    /// category revenue, the CLV distribution under the stored model (skipped, with a note, when
    /// none is stored or it is stale) and loyalty tiers when `options.programme` is set.
    ///
    /// Every figure is from one committed state: the report is gathered again if a write committed
    /// while it was (each analysis reads a snapshot of its own).
    pub fn report(&self, options: &ReportOptions) -> Result<Report> {
        const ATTEMPTS: u32 = 4;
        for _ in 0..ATTEMPTS {
            let generation = self.snapshot().generation();
            let report = self.gather_report(options)?;
            if self.snapshot().generation() == generation {
                return Ok(report);
            }
        }
        Err(Error::Changing { path: self.path().to_path_buf(), attempts: ATTEMPTS })
    }

    fn gather_report(&self, options: &ReportOptions) -> Result<Report> {
        let stats = self.stats()?;
        if stats.buyers == 0 {
            return Err(Error::needs("Store::report", Need::Orders));
        }
        let as_of = match options.as_of {
            Some(day) => day,
            None => stats.last_day.unwrap_or(Day::from_days(0)),
        };
        let metrics = self.period_metrics(&MetricsOptions { as_of: Some(as_of), ..options.metrics }, None)?;
        let rfm = self.rfm(Some(as_of), &RfmOptions::default())?;
        let segments = SegmentReport::new(&rfm, &Segments::default());
        drop(rfm);
        let cohorts = self.cohorts(options.cohort_period.unwrap_or(CohortPeriod::Month), Some(as_of))?;
        let categories = if stats.categories > 0 { self.category_figures(Some(as_of), None)? } else { Vec::new() };
        let (clv, clv_note) = match self.saved_clv()? {
            None => (None, Some("no CLV model is stored: run `retention clv fit` to add this section".to_string())),
            Some(s) if s.stale => (
                None,
                Some(format!(
                    "the stored CLV model (as of {}) is stale: the store changed since; run `retention clv fit` again",
                    s.model.as_of
                )),
            ),
            Some(s) => {
                let value = ValueOptions::default();
                let values = self.clv_values(&s.model, &value)?;
                let finite: Vec<_> = values.iter().filter(|v| v.clv.is_finite() && v.p_alive.is_finite()).collect();
                let mean_p_alive = finite.iter().map(|v| v.p_alive).sum::<f64>() / finite.len().max(1) as f64;
                let clv = finite.iter().map(|v| v.clv).collect();
                (
                    Some(distribution(s.model.purchases.model.kind().key(), s.model.as_of, &value, clv, mean_p_alive)),
                    None,
                )
            }
        };
        let model_fit = options.model_fit.as_ref().map(|o| self.evaluate_clv(o)).transpose()?;
        let loyalty = match &options.programme {
            None => None,
            Some(p) => {
                let (_, totals) = self.loyalty(p, Some(as_of))?;
                let in_tiers: u64 = totals.per_tier.iter().sum();
                Some(LoyaltySummary {
                    members: totals.members,
                    below_tiers: totals.members.saturating_sub(in_tiers),
                    tiers: p
                        .tiers
                        .iter()
                        .zip(&totals.per_tier)
                        .map(|(t, &customers)| TierLine {
                            name: t.name.clone(),
                            min_spend: t.min_spend,
                            benefits: t.benefits.clone(),
                            customers,
                        })
                        .collect(),
                    points_outstanding: totals.points_outstanding,
                    liability: totals.liability,
                })
            }
        };
        let currency = self.currency();
        Ok(Report {
            as_of,
            currency: currency.code().to_string(),
            stats,
            metrics,
            segments,
            cohorts,
            categories,
            clv,
            clv_note,
            loyalty,
            model_fit,
            currency_format: currency,
        })
    }
}

/// Summary and histogram of CLV values (major units, non-negative). CLV is heavily skewed, so the
/// bins are log-spaced on the 1-2-5 sequence, from about the 5th percentile to the first edge at or
/// above the 99th, with a bin for values below the first edge and an open one above the last.
fn distribution(
    model: &'static str,
    as_of: Day,
    value: &ValueOptions,
    mut clv: Vec<f64>,
    mean_p_alive: f64,
) -> ClvDistribution {
    clv.retain(|v| v.is_finite());
    clv.sort_unstable_by(f64::total_cmp);
    let n = clv.len();
    let quantile = |q: f64| if n == 0 { 0.0 } else { clv[((q * n as f64) as usize).min(n - 1)] };
    let total: f64 = clv.iter().sum();
    let top_sum: f64 = clv[n - n.div_ceil(10)..].iter().sum();
    let p99 = quantile(0.99);
    let mut edges = vec![0.0];
    let mut edge = nice_ceil(quantile(0.05).max(p99 / 1e4));
    while edge > 0.0 && edges.len() < 40 {
        edges.push(edge);
        if edge >= p99 {
            break;
        }
        edge = next_nice(edge);
    }
    let mut bins: Vec<ClvBin> = edges
        .iter()
        .enumerate()
        .map(|(i, &from)| ClvBin { from, to: edges.get(i + 1).copied(), customers: 0, value: 0.0 })
        .collect();
    for &v in &clv {
        // The last edge at or below v (edges[0] = 0 ≤ every value).
        let i = edges.partition_point(|&e| e <= v).saturating_sub(1);
        bins[i].customers += 1;
        bins[i].value += v;
    }
    ClvDistribution {
        model,
        as_of,
        horizon: value.horizon,
        discount: value.discount,
        margin: value.margin,
        customers: n as u64,
        total,
        mean: if n > 0 { total / n as f64 } else { 0.0 },
        median: quantile(0.5),
        p90: quantile(0.9),
        p99,
        top_10_share: if total > 0.0 { top_sum / total } else { 0.0 },
        mean_p_alive,
        bins,
    }
}

/// The smallest 1, 2 or 5 × 10^k at or above `x` (0 for x ≤ 0): bin edges people can read.
fn nice_ceil(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 || x.is_infinite() {
        return 0.0;
    }
    let magnitude = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|&v| v >= x * (1.0 - 1e-12)).unwrap_or(10.0 * magnitude)
}

/// The 1-2-5 value after `x` (which is one).
fn next_nice(x: f64) -> f64 {
    nice_ceil(x * 1.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_bin_widths() {
        assert_eq!(nice_ceil(3.2), 5.0);
        assert_eq!(nice_ceil(0.013), 0.02);
        assert_eq!(nice_ceil(20.0), 20.0);
        assert_eq!(nice_ceil(0.0), 0.0);
        assert_eq!(nice_ceil(f64::NAN), 0.0);
        let mut edges = vec![0.1];
        while edges.len() < 7 {
            edges.push(next_nice(*edges.last().unwrap()));
        }
        assert_eq!(edges, [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]);
    }

    #[test]
    fn distribution_by_hand() {
        // 1..=100: p5 = 6 → first edge 10; p99 = 100 → edges 0, 10, 20, 50, 100.
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        let d = distribution("bgnbd", Day::from_days(0), &ValueOptions::default(), values, 0.5);
        assert_eq!((d.customers, d.total, d.median, d.p90, d.p99), (100, 5_050.0, 51.0, 91.0, 100.0));
        // The top 10 (91..=100) hold 955 of 5,050.
        assert!((d.top_10_share - 955.0 / 5_050.0).abs() < 1e-15);
        let bins: Vec<(f64, Option<f64>, u64)> = d.bins.iter().map(|b| (b.from, b.to, b.customers)).collect();
        assert_eq!(
            bins,
            [
                (0.0, Some(10.0), 9),
                (10.0, Some(20.0), 10),
                (20.0, Some(50.0), 30),
                (50.0, Some(100.0), 50),
                (100.0, None, 1)
            ]
        );
        assert_eq!(d.bins[0].value, 45.0);
        // All zero: one bin holds everyone, nothing divides by zero.
        let d = distribution("bgnbd", Day::from_days(0), &ValueOptions::default(), vec![0.0; 3], 0.1);
        assert_eq!(d.bins.len(), 1);
        assert_eq!((d.bins[0].customers, d.top_10_share, d.mean), (3, 0.0, 0.0));
        let d = distribution("bgnbd", Day::from_days(0), &ValueOptions::default(), Vec::new(), 0.0);
        assert_eq!((d.customers, d.bins[0].customers), (0, 0));
    }
}
