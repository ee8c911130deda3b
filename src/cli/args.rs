//! Command-line arguments, in two steps as ripgrep does: clap parses raw flags into these structs,
//! then `to_*` methods validate them into library options, naming the flag and value on error.

use super::errors::on_flag;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use super::output::Format;
use retention::clv::{
    DiscountRate, EvaluateOptions, FitOptions, IntervalOptions, ModelKind, Periods, Span, TimeUnit, ValueOptions,
};
use retention::metrics::MetricsOptions;
use retention::rfm::{Conditions, Monetary, RfmOptions};
use retention::{ColumnNames, Currency, DateOrder, Day, Error, FxRates, IngestOptions, Preset, StoreOptions};

/// Customer retention analytics: ingest orders, then ask who comes back and what they are worth.
#[derive(Parser, Debug)]
#[command(name = "retention", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Generate a demo shop, ingest it and show what the store holds.
    Demo(DemoArgs),
    /// Ingest order files (CSV, or CDNOW text) into a store.
    Ingest(Box<IngestArgs>),
    /// Show store-wide totals: customers, orders, revenue, date range, returns.
    Stats(DbArgs),
    /// Show one customer's summary and orders.
    Customer(CustomerArgs),
    /// Write a synthetic shop's order lines as CSV to standard output.
    Generate(GenerateArgs),
    /// Stream every customer's RFM values, scores, cell and segment.
    Rfm(RfmArgs),
    /// List the members of one segment (the same as `rfm --segment NAME`).
    Segment(SegmentArgs),
    /// Report per segment (customers, revenue, order value, recency, frequency) and spend concentration.
    Segments(SegmentsArgs),
    /// Data-driven segments: k-means on log-scaled recency, frequency and monetary value.
    Clusters(ClustersArgs),
    /// Customer-lifetime value: fit BG/NBD, MBG/NBD or Pareto/NBD with Gamma-Gamma, score, evaluate.
    #[command(subcommand)]
    Clv(ClvCommand),
    /// Retention metrics of a period: repeat rate, P(k+1 | k), frequency, order value, days between
    /// purchases, retention and churn, revenue from new and returning customers.
    Metrics(MetricsArgs),
    /// Acquisition cohorts: the share of each month's (or week's) new customers buying k periods later, and their revenue.
    Cohorts(CohortsArgs),
    /// Lists to act on today, as rows for an email tool: follow-ups, win-backs, VIPs.
    #[command(subcommand)]
    Actions(ActionsCommand),
    /// Loyalty accounts under a programme file: points, rewards, tier, spend to the next tier.
    Loyalty(LoyaltyArgs),
    /// Category affinity: which categories the same customers buy (support, confidence, lift), the
    /// figures per category, or each customer's spend by category.
    Affinity(AffinityArgs),
    /// One self-contained HTML page (or, with --format json, the same figures): overview, segments,
    /// cohort heatmap, repeat curve, CLV distribution, loyalty tiers, categories.
    Report(ReportArgs),
    /// Every order as CSV that `retention ingest` reads back into an identical store: a backup.
    Export(ExportArgs),
    /// Every customer's summary as a Parquet summary file (the input a Spark job can also write).
    Summaries(SummariesArgs),
}

#[derive(Args, Debug)]
pub struct SummariesArgs {
    /// The store directory.
    #[arg(long, value_name = "DIR")]
    pub db: PathBuf,
    /// The summary file to write (Parquet, schema version 1).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Summaries as of this day (YYYY-MM-DD); default: the latest order day.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The store directory.
    #[arg(long, value_name = "DIR")]
    pub db: PathBuf,
    /// Write to this file (atomically, when complete) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The store directory.
    #[arg(long, value_name = "DIR")]
    pub db: PathBuf,
    /// Write the report to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The report's day (YYYY-MM-DD); default: the latest order day.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Length of the metrics period: days, or weeks with a `w` suffix.
    #[arg(long, default_value = "365")]
    pub period: String,
    /// Activity window of the retention rate (days or weeks).
    #[arg(long, default_value = "365")]
    pub activity_window: String,
    /// Cohorts by month or week.
    #[arg(long, default_value = "month")]
    pub cohorts: String,
    /// A loyalty programme (TOML) for the tiers section.
    #[arg(long, value_name = "FILE")]
    pub programme: Option<PathBuf>,
    /// Add a "does the model fit?" section: fit on orders to this day (YYYY-MM-DD) ...
    #[arg(long, value_name = "DATE", requires = "holdout_end")]
    pub calibration_end: Option<String>,
    /// ... and compare with what the customers did to this day.
    #[arg(long, value_name = "DATE", requires = "calibration_end")]
    pub holdout_end: Option<String>,
    /// Models of that section, comma-separated (bgnbd,mbgnbd,pnbd).
    #[arg(long, default_value = "bgnbd,mbgnbd,pnbd")]
    pub models: String,
}

#[derive(Args, Debug)]
pub struct AffinityArgs {
    #[command(flatten)]
    pub list: ListArgs,
    /// List only pairs bought together by at least this many customers.
    #[arg(long, default_value_t = 1)]
    pub min_customers: u64,
    /// Show the figures per category (customers, revenue) instead of the pairs.
    #[arg(long, conflicts_with = "customers")]
    pub categories: bool,
    /// Stream each customer's spend and share per category instead of the pairs.
    #[arg(long)]
    pub customers: bool,
}

#[derive(Args, Debug)]
pub struct LoyaltyArgs {
    /// The store directory.
    #[arg(long, value_name = "DIR")]
    pub db: PathBuf,
    /// The programme (TOML; see the README).
    #[arg(long, value_name = "FILE")]
    pub programme: PathBuf,
    /// Accounts as of this day (YYYY-MM-DD); default: the latest order day.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Print the programme totals (liability, customers per tier) instead of every account.
    #[arg(long)]
    pub totals: bool,
    /// Write the list to this file (it appears when complete) instead of standard output;
    /// required with --format parquet.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum ActionsCommand {
    /// Customers whose only purchase day was N days ago: the post-purchase follow-up.
    FollowUp(FollowUpArgs),
    /// Customers overdue against their own purchase rhythm, or unlikely to be alive under the stored CLV model.
    WinBack(WinBackArgs),
    /// The top customers by spend or CLV.
    Vip(VipArgs),
    /// Customers who drop out of their loyalty tier within N days unless they buy again.
    Lapse(LapseArgs),
    /// Categories to offer each customer: the highest-lift rules from what they bought to what they have not.
    CrossSell(CrossSellArgs),
}

#[derive(Args, Debug)]
pub struct CrossSellArgs {
    #[command(flatten)]
    pub list: ListArgs,
    /// Offers per customer.
    #[arg(long, default_value_t = 3)]
    pub top: usize,
    /// A rule needs at least this many customers who bought both categories.
    #[arg(long, default_value_t = 20)]
    pub min_customers: u64,
    /// A rule needs a lift above this.
    #[arg(long, default_value_t = 1.0)]
    pub min_lift: f64,
    /// A rule needs P(offered | bought) of at least this.
    #[arg(long, default_value_t = 0.0)]
    pub min_confidence: f64,
}

#[derive(Args, Debug)]
pub struct LapseArgs {
    #[command(flatten)]
    pub list: ListArgs,
    /// The loyalty programme (TOML; tiers by trailing-12-month spend).
    #[arg(long, value_name = "FILE")]
    pub programme: PathBuf,
    /// Look this far ahead (days, or weeks with a `w` suffix).
    #[arg(long, default_value = "30")]
    pub within: String,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// The store directory.
    #[arg(long, value_name = "DIR")]
    pub db: PathBuf,
    /// Today, for the list (YYYY-MM-DD); default: the latest order day.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Only customers of this RFM segment (default map, as of the same day).
    #[arg(long, value_name = "NAME")]
    pub segment: Option<String>,
    /// Write the list to this file (it appears when complete) instead of standard output;
    /// required with --format parquet.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct FollowUpArgs {
    #[command(flatten)]
    pub list: ListArgs,
    /// Days after the first order (days, or weeks with a `w` suffix).
    #[arg(long, default_value = "7")]
    pub after: String,
    /// How many days of first orders one run covers (1 for a daily run, 7 for a weekly one).
    #[arg(long, default_value = "1")]
    pub within: String,
}

#[derive(Args, Debug)]
pub struct WinBackArgs {
    #[command(flatten)]
    pub list: ListArgs,
    /// Overdue when days since the last purchase exceed this multiple of the customer's median gap.
    #[arg(long, default_value_t = 2.0)]
    pub factor: f64,
    /// Gaps between purchase days a customer needs before their rhythm counts.
    #[arg(long, default_value_t = 2)]
    pub min_gaps: u32,
    /// Also list repeat customers whose P(alive) under the stored CLV model is below this.
    #[arg(long, value_name = "P")]
    pub p_alive_below: Option<f64>,
}

#[derive(Args, Debug)]
pub struct VipArgs {
    #[command(flatten)]
    pub list: ListArgs,
    /// The share of customers to list: a percentage (1%) or a fraction (0.01).
    #[arg(long, default_value = "1%")]
    pub top: String,
    /// Rank by net spend so far or by CLV under the stored model.
    #[arg(long, default_value = "spend")]
    pub by: String,
}

impl VipArgs {
    pub fn share(&self) -> Result<f64, Error> {
        let bad = || Error::invalid("--top", &self.top, "expected a percentage such as 1% or a fraction such as 0.01");
        match self.top.strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0).map_err(|_| bad()),
            None => self.top.trim().parse::<f64>().map_err(|_| bad()),
        }
    }
}

#[derive(Args, Debug)]
pub struct CohortsArgs {
    /// The store directory.
    #[arg(long, value_name = "DIR")]
    pub db: PathBuf,
    /// Count orders up to this day (YYYY-MM-DD); default: the latest order day.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Cohort period: month or week.
    #[arg(long, default_value = "month")]
    pub period: String,
    /// Show revenue per cohort and period instead of the share of customers active.
    #[arg(long)]
    pub revenue: bool,
}

#[derive(Args, Debug)]
pub struct MetricsArgs {
    /// The store directory.
    #[arg(long, value_name = "DIR")]
    pub db: PathBuf,
    /// Last day of the period (YYYY-MM-DD); default: the latest order day.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Length of the period: days, or weeks with a `w` suffix.
    #[arg(long, default_value = "365")]
    pub period: String,
    /// A customer counts as one on a day when they bought within this window up to it (days or weeks).
    #[arg(long, default_value = "365")]
    pub activity_window: String,
    /// Only the customers of this RFM segment (default map, as of the period's end).
    #[arg(long, value_name = "NAME")]
    pub segment: Option<String>,
}

impl MetricsArgs {
    pub fn options(&self) -> Result<MetricsOptions, Error> {
        Ok(MetricsOptions::default()
            .as_of(parse_day("--as-of", self.as_of.as_deref())?)
            .period_days(parse_duration("--period", &self.period)?)
            .activity_window_days(parse_duration("--activity-window", &self.activity_window)?))
    }
}

#[derive(Subcommand, Debug)]
pub enum ClvCommand {
    /// Fit a purchase model and the Gamma-Gamma spend model, show the fit and save it in the store.
    Fit(ClvFitArgs),
    /// Stream every customer's P(alive), expected purchases, expected order value and CLV from the saved model.
    Score(ClvScoreArgs),
    /// Fit on a calibration period and compare predictions with the holdout period that follows.
    Evaluate(ClvEvaluateArgs),
    /// Write every customer's model inputs (x, t_x, T in the unit, average repeat order value m_x) as CSV,
    /// the per-customer summary other CLV tools (lifetimes, BTYD, CLVTools) read.
    Data(ClvDataArgs),
    /// The saved model's population curve: expected cumulative repeat purchases of a new customer, for plotting.
    Curve(ClvCurveArgs),
}

#[derive(Args, Debug)]
pub struct ClvCurveArgs {
    /// The store directory.
    #[arg(long, value_name = "DIR")]
    pub db: PathBuf,
    /// Last day of the curve (days, or weeks with a `w` suffix).
    #[arg(long, default_value = "730")]
    pub to: String,
    /// Days between points (days, or weeks with a `w` suffix).
    #[arg(long, default_value = "7")]
    pub step: String,
}

impl ClvCurveArgs {
    /// The days of the curve's points: step, 2·step, ... up to `to`.
    pub fn days(&self) -> Result<Vec<u32>, Error> {
        let to = parse_duration("--to", &self.to)?;
        let step = parse_duration("--step", &self.step)?;
        if to / step > 100_000 {
            return Err(Error::invalid("--step", &self.step, "gives more than 100,000 points"));
        }
        Ok((1..=to / step).map(|i| i * step).collect())
    }
}

#[derive(Args, Debug)]
pub struct ClvDataArgs {
    /// The store directory.
    #[arg(long, value_name = "DIR")]
    pub db: PathBuf,
    /// Summaries as of this day (YYYY-MM-DD); default: the latest order day.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Time unit of t_x and T: days or weeks.
    #[arg(long, default_value = "weeks")]
    pub unit: String,
}

#[derive(Args, Debug)]
pub struct FitArgs {
    /// Time unit of the model's rates: days or weeks (the literature's unit).
    #[arg(long, default_value = "weeks")]
    pub unit: String,
    /// L2 penalty on the log-parameters (0 = plain maximum likelihood).
    #[arg(long, default_value_t = 0.0)]
    pub penalty: f64,
}

impl FitArgs {
    pub fn unit(&self) -> Result<TimeUnit, Error> {
        TimeUnit::parse(&self.unit).map_err(on_flag("--unit"))
    }

    pub fn options(&self) -> FitOptions {
        FitOptions::default().penalty(self.penalty)
    }
}

#[derive(Args, Debug)]
pub struct ClvFitArgs {
    /// The store directory.
    #[arg(long, value_name = "DIR", required_unless_present = "summaries", conflicts_with = "summaries")]
    pub db: Option<PathBuf>,
    /// Fit on a summary file (or a directory of part files) instead of a store; the fit is
    /// printed, not saved.
    #[arg(long, value_name = "PATH")]
    pub summaries: Option<PathBuf>,
    #[command(flatten)]
    pub currency: SummaryCurrency,
    /// Fit on orders up to this day (YYYY-MM-DD); default: the latest order day.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// The purchase model: bgnbd, mbgnbd or pnbd (Pareto/NBD).
    #[arg(long, default_value = "bgnbd")]
    pub model: String,
    #[command(flatten)]
    pub fit: FitArgs,
    /// Show the fit without saving it.
    #[arg(long)]
    pub no_save: bool,
    /// Also write the fitted model as JSON (the way to keep a fit made from --summaries).
    #[arg(long, value_name = "FILE")]
    pub model_out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ClvScoreArgs {
    /// The store directory (its saved model scores its customers).
    #[arg(long, value_name = "DIR", required_unless_present = "summaries", conflicts_with = "summaries")]
    pub db: Option<PathBuf>,
    /// Score the customers of a summary file (or a directory of part files) instead ...
    #[arg(long, value_name = "PATH", requires = "model")]
    pub summaries: Option<PathBuf>,
    /// ... with the model `clv fit --model-out FILE` wrote.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    #[command(flatten)]
    pub currency: SummaryCurrency,
    #[command(flatten)]
    pub value: ValueArgs,
    /// Write the list to this file (it appears when complete) instead of standard output;
    /// required with --format parquet.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ValueArgs {
    /// CLV horizon, in calendar units from the as-of day: 12months, 90days, 2years, 52w.
    #[arg(long, default_value = "12months")]
    pub horizon: String,
    /// Window of the expected-purchases, no-purchase (churn) and count columns; default: the horizon.
    #[arg(long, visible_alias = "purchases-window", value_name = "DURATION")]
    pub window: Option<String>,
    /// Discount rate per calendar unit: 10%/year, 1%/month (a bare 0.10 is per year).
    #[arg(long, default_value = "10%/year")]
    pub discount: String,
    /// Profit margin applied to revenue (1 = value revenue).
    #[arg(long, default_value_t = 1.0)]
    pub margin: f64,
    /// Add CLV per period of the horizon: month, quarter or year.
    #[arg(long, value_name = "PERIOD")]
    pub periods: Option<String>,
    /// Add P(n purchases in the window) columns for n = 0..=N.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub counts: u32,
    /// Add prediction intervals at this level (0.9) for P(alive), expected purchases and CLV,
    /// from the parameters' uncertainty (delta method).
    #[arg(long, value_name = "LEVEL")]
    pub interval: Option<f64>,
    /// Compute the intervals from N draws of the parameters instead of the delta method.
    #[arg(long, value_name = "N", requires = "interval")]
    pub draws: Option<u32>,
    /// Seed of the draws.
    #[arg(long, default_value_t = 1, requires = "draws")]
    pub seed: u64,
}

impl ValueArgs {
    pub fn options(&self) -> Result<ValueOptions, Error> {
        let horizon = Span::parse("--horizon", &self.horizon)?;
        let window = match &self.window {
            None => horizon,
            Some(v) => Span::parse("--window", v)?,
        };
        let options =
            ValueOptions::default()
                .window(window)
                .horizon(horizon)
                .discount(DiscountRate::parse(&self.discount).map_err(on_flag("--discount"))?)
                .margin(self.margin)
                .periods(self.periods.as_deref().map(Periods::parse).transpose().map_err(on_flag("--periods"))?)
                .max_count(self.counts)
                .interval(self.interval.map(|level| {
                    IntervalOptions::default().level(level).draws(self.draws.unwrap_or(0)).seed(self.seed)
                }));
        options.validate()?;
        Ok(options)
    }
}

/// Days, or weeks with a `w` suffix: no month or year lengths are assumed.
pub fn parse_duration(flag: &str, v: &str) -> Result<u32, Error> {
    let bad = || Error::invalid(flag, v, "expected a number of days (365 or 365d) or weeks (52w)");
    let (number, factor) = match v.strip_suffix('w') {
        Some(n) => (n, 7),
        None => (v.strip_suffix('d').unwrap_or(v), 1),
    };
    let n: u32 = number.trim().parse().map_err(|_| bad())?;
    n.checked_mul(factor).filter(|d| *d > 0).ok_or_else(bad)
}

/// The views of `clv evaluate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EvaluateView {
    /// Totals, errors and holdout purchases by calibration frequency.
    Holdout,
    /// Customers by calibration repeat purchases, actual against each model.
    Histogram,
    /// Repeat purchases per week, incremental and cumulative, actual against each model.
    Tracking,
}

#[derive(Args, Debug)]
pub struct ClvEvaluateArgs {
    /// The store directory.
    #[arg(long, value_name = "DIR")]
    pub db: PathBuf,
    /// Last day of the calibration period (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub calibration_end: String,
    /// Last day of the holdout period (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub holdout_end: String,
    /// Models to compare, comma-separated (bgnbd,mbgnbd,pnbd).
    #[arg(long, default_value = "bgnbd,mbgnbd,pnbd")]
    pub models: String,
    /// What to print: the holdout summary (default), the period-transaction `histogram`, or the
    /// weekly `tracking` of repeat purchases across calibration and holdout.
    #[arg(long, value_enum, default_value_t = EvaluateView::Holdout)]
    pub show: EvaluateView,
    #[command(flatten)]
    pub fit: FitArgs,
}

impl ClvEvaluateArgs {
    pub fn options(&self) -> Result<EvaluateOptions, Error> {
        evaluate_options(&self.calibration_end, &self.holdout_end, &self.models, self.fit.unit()?, self.fit.options())
    }
}

/// A calibration/holdout split from the flags that name it.
pub fn evaluate_options(
    calibration_end: &str,
    holdout_end: &str,
    models: &str,
    unit: TimeUnit,
    fit: FitOptions,
) -> Result<EvaluateOptions, Error> {
    let day = |flag: &str, v: &str| -> Result<Day, Error> {
        parse_day(flag, Some(v))?.ok_or_else(|| Error::invalid(flag, v, "expected a date"))
    };
    let models = models
        .split(',')
        .map(|m| ModelKind::parse(m.trim()).map_err(on_flag("--models")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(EvaluateOptions::new(day("--calibration-end", calibration_end)?, day("--holdout-end", holdout_end)?)
        .unit(unit)
        .fit(fit)
        .models(models))
}

#[derive(Args, Debug)]
pub struct SegmentsArgs {
    #[command(flatten)]
    pub score: ScoreArgs,
    /// Also save every customer's scores and segment in the store, for `customer` and services.
    #[arg(long)]
    pub save: bool,
}

#[derive(Args, Debug)]
pub struct ClustersArgs {
    #[command(flatten)]
    pub score: ScoreArgs,
    /// Number of clusters (1-64), or `auto` to pick 2-10 by silhouette on a sample.
    #[arg(long, default_value = "auto")]
    pub k: String,
    /// Seed of the k-means++ initialisation and of the silhouette sample.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

impl ClustersArgs {
    pub fn k(&self) -> Result<Option<usize>, Error> {
        match self.k.as_str() {
            "auto" => Ok(None),
            k => k.parse().map(Some).map_err(|_| Error::invalid("--k", k, "expected a number of clusters or auto")),
        }
    }
}

#[derive(Args, Debug)]
pub struct ScoreArgs {
    /// The store directory.
    #[arg(long, value_name = "DIR", required_unless_present = "summaries", conflicts_with = "summaries")]
    pub db: Option<PathBuf>,
    /// Score a summary file (or a directory of part files) instead of a store.
    #[arg(long, value_name = "PATH")]
    pub summaries: Option<PathBuf>,
    #[command(flatten)]
    pub currency: SummaryCurrency,
    /// Score as of this day (YYYY-MM-DD); default: the latest order day in the store.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Scores per dimension: 3, 4, 5 or 10 (default 5, or as the rules file's thresholds imply).
    #[arg(long)]
    pub bins: Option<u8>,
    /// Segment rules and thresholds (TOML; see the README) instead of the default map.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// What M measures: total net spend, or net spend per order.
    #[arg(long, value_enum, default_value_t = MonetaryArg::Total)]
    pub monetary: MonetaryArg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MonetaryArg {
    Total,
    AverageOrder,
}

#[derive(Args, Debug)]
pub struct RfmArgs {
    #[command(flatten)]
    pub score: ScoreArgs,
    /// Only customers of this segment (e.g. "At Risk").
    #[arg(long, value_name = "NAME")]
    pub segment: Option<String>,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Write the list to this file (it appears when complete) instead of standard output;
    /// required with --format parquet.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct SegmentArgs {
    /// The segment, e.g. "Can't Lose Them".
    pub name: String,
    #[command(flatten)]
    pub score: ScoreArgs,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Write the list to this file (it appears when complete) instead of standard output;
    /// required with --format parquet.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Filters on the streamed customers, besides the segment.
#[derive(Args, Debug)]
pub struct FilterArgs {
    /// R score range, e.g. 4-5 or 5.
    #[arg(long, value_name = "LO-HI")]
    pub r: Option<String>,
    /// F score range.
    #[arg(long, value_name = "LO-HI")]
    pub f: Option<String>,
    /// M score range.
    #[arg(long, value_name = "LO-HI")]
    pub m: Option<String>,
    /// Minimum net spend, in the store's currency (e.g. 250.00).
    #[arg(long, value_name = "AMOUNT")]
    pub min_spend: Option<String>,
    /// Only customers whose last purchase is on or after this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub last_order_from: Option<String>,
    /// Only customers whose last purchase is on or before this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub last_order_to: Option<String>,
}

impl FilterArgs {
    /// The filters as segment conditions; last-order days become recency bounds as of `as_of`.
    pub fn to_conditions(&self, as_of: Day, currency: &Currency) -> Result<Conditions, Error> {
        let range = |flag: &str, v: &Option<String>| -> Result<Option<(u8, u8)>, Error> {
            let Some(v) = v else { return Ok(None) };
            let bad = || Error::invalid(flag, v, "expected a score or a range such as 4-5");
            let (lo, hi) = v.split_once('-').unwrap_or((v, v));
            let (lo, hi): (u8, u8) = (lo.trim().parse().map_err(|_| bad())?, hi.trim().parse().map_err(|_| bad())?);
            if lo == 0 || lo > hi {
                return Err(bad());
            }
            Ok(Some((lo, hi)))
        };
        let spend = match &self.min_spend {
            None => None,
            Some(v) => Some((currency.parse(v).map_err(|reason| Error::invalid("--min-spend", v, reason))?, i64::MAX)),
        };
        let from_day = parse_day("--last-order-from", self.last_order_from.as_deref())?;
        let to_day = parse_day("--last-order-to", self.last_order_to.as_deref())?;
        if let Some(d) = from_day.filter(|d| *d > as_of) {
            return Err(Error::invalid("--last-order-from", d.to_string(), format!("is after the as-of day {as_of}")));
        }
        if let (Some(f), Some(t)) = (from_day, to_day)
            && f > t
        {
            return Err(Error::invalid("--last-order-from", f.to_string(), format!("is after --last-order-to {t}")));
        }
        // A "to" day after the as-of day bounds nothing: recency is at least 0.
        let days = |d: Option<Day>| d.map(|d| u32::try_from(as_of - d).unwrap_or(0));
        let (from, to) = (days(from_day), days(to_day));
        // A later last order is a smaller recency: "from" bounds it above, "to" below.
        let recency_days = (from.is_some() || to.is_some()).then(|| (to.unwrap_or(0), from.unwrap_or(u32::MAX)));
        Ok(Conditions {
            r: range("--r", &self.r)?,
            f: range("--f", &self.f)?,
            m: range("--m", &self.m)?,
            spend,
            recency_days,
            ..Conditions::default()
        })
    }
}

impl ScoreArgs {
    pub fn to_options(&self) -> RfmOptions {
        let monetary = match self.monetary {
            MonetaryArg::Total => Monetary::Total,
            MonetaryArg::AverageOrder => Monetary::AverageOrder,
        };
        RfmOptions::default().bins(self.bins.unwrap_or(5)).monetary(monetary)
    }
}

#[derive(Args, Debug)]
pub struct DbArgs {
    /// The store directory.
    #[arg(long, value_name = "DIR")]
    pub db: PathBuf,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Store directory for the demo.
    #[arg(long, value_name = "DIR", default_value = "retention-demo")]
    pub db: PathBuf,
    /// Customers in the generated shop.
    #[arg(long, default_value_t = 100_000)]
    pub customers: u64,
    /// Random seed of the generated shop.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Number of customers.
    #[arg(long, default_value_t = 100_000)]
    pub customers: u64,
    /// Random seed; the same seed gives the same file.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// First day of the generated history (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub start: Option<String>,
    /// Length of the history in days.
    #[arg(long)]
    pub days: Option<u32>,
}

#[derive(Args, Debug)]
pub struct CustomerArgs {
    /// The customer's id as the shop knows it.
    pub id: String,
    /// The store directory.
    #[arg(long, value_name = "DIR")]
    pub db: PathBuf,
    /// Describe the customer as of this day (YYYY-MM-DD); default: all orders, recency against the
    /// latest order day in the store.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
}

#[derive(Args, Debug)]
pub struct IngestArgs {
    /// Files to ingest, `-` for standard input. All files form one ingest: all or nothing.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The store directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub db: PathBuf,
    /// Input layout: generic, cdnow, line-items, shopify, woocommerce, stripe or etsy. The
    /// platforms' exports and line-items are recognised from the header without this flag.
    #[arg(long, default_value = "generic")]
    pub preset: String,
    /// Exchange rates (CSV: day,currency,rate; rate = store currency per unit) to convert a
    /// platform export's orders in other currencies at; without it they are left out and counted.
    #[arg(long, value_name = "FILE")]
    pub fx: Option<PathBuf>,
    /// The sheet of a spreadsheet workbook (.xlsx, .xls, .ods) to read (default: the first).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Field delimiter of CSV input (one character; `\t` for tab).
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// Customer id column name.
    #[arg(long, value_name = "NAME")]
    pub customer_col: Option<String>,
    /// Order id column name.
    #[arg(long, value_name = "NAME")]
    pub order_col: Option<String>,
    /// Date or timestamp column name.
    #[arg(long, value_name = "NAME")]
    pub timestamp_col: Option<String>,
    /// Amount column name.
    #[arg(long, value_name = "NAME")]
    pub amount_col: Option<String>,
    /// Quantity column name (amount = quantity × unit price).
    #[arg(long, value_name = "NAME")]
    pub quantity_col: Option<String>,
    /// Unit price column name.
    #[arg(long, value_name = "NAME")]
    pub price_col: Option<String>,
    /// Category (or SKU) column name.
    #[arg(long, value_name = "NAME")]
    pub category_col: Option<String>,
    /// Read slash dates as D/M/YYYY instead of M/D/YYYY.
    #[arg(long)]
    pub day_first: bool,
    /// Ingest the valid rows and report the invalid ones instead of rejecting the input.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Write the rows set aside and their reasons to this CSV file: rejected rows (with
    /// --skip-invalid) and platform orders with no customer id or e-mail (unattributed).
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Parse and check everything, write nothing: print the layout recognised, the columns used,
    /// what would be new, updated and unchanged, and the first rejected rows with their reasons.
    #[arg(long)]
    pub dry_run: bool,
    /// Currency of a new store: an ISO code (EUR, JPY: its own minor unit) or code and decimals
    /// (USD:2, JPY:0); default USD.
    #[arg(long, value_name = "CODE[:DECIMALS]")]
    pub currency: Option<String>,
    /// Time zone of a new store: UTC, +05:30 or an IANA name (default UTC).
    #[arg(long, value_name = "ZONE")]
    pub time_zone: Option<String>,
    /// Customers per stored block of a new store (default 128; see ARCHITECTURE.md for the sweep).
    #[arg(long, value_name = "N")]
    pub block_size: Option<u32>,
    /// Memory for buffering parsed rows before spilling sorted runs to temporary files, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 512)]
    pub memory_mib: usize,
}

impl IngestArgs {
    pub fn to_options(&self) -> Result<IngestOptions, Error> {
        let delimiter = match self.delimiter.as_deref() {
            None => None,
            Some("\\t") | Some("tab") => Some(b'\t'),
            Some(d) if d.len() == 1 && d.is_ascii() => Some(d.as_bytes()[0]),
            Some(d) => return Err(Error::invalid("--delimiter", d, "expected a single ASCII character or \\t")),
        };
        Ok(IngestOptions::default()
            .preset(self.preset.parse::<Preset>().map_err(|_| {
                let names: Vec<&str> = Preset::ALL.iter().map(|(n, _)| *n).collect();
                Error::invalid("--preset", &self.preset, format!("expected one of: {}", names.join(", ")))
            })?)
            .columns(
                ColumnNames::default()
                    .customer(self.customer_col.clone())
                    .order(self.order_col.clone())
                    .timestamp(self.timestamp_col.clone())
                    .amount(self.amount_col.clone())
                    .quantity(self.quantity_col.clone())
                    .unit_price(self.price_col.clone())
                    .category(self.category_col.clone()),
            )
            .delimiter(delimiter)
            .date_order(if self.day_first { DateOrder::DayFirst } else { DateOrder::MonthFirst })
            // A dry run counts bad rows instead of stopping at the first.
            .skip_invalid(self.skip_invalid || self.dry_run)
            .rejects(self.rejects.clone())
            .memory_budget(self.memory_mib.max(1) << 20)
            .sheet(self.sheet.clone())
            .fx(self.fx.as_deref().map(FxRates::from_path).transpose()?.map(std::sync::Arc::new)))
    }

    pub fn to_store_options(&self) -> Result<StoreOptions, Error> {
        let currency = parse_currency(self.currency.as_deref())?;
        Ok(StoreOptions::default().currency(currency).time_zone(self.time_zone.clone()).block_size(self.block_size))
    }
}

/// Parses an optional `--as-of`-style date flag.
/// `--currency` of the commands that read summary files.
#[derive(Args, Debug)]
pub struct SummaryCurrency {
    /// Currency of summary files without a retention.currency key (Spark writes none), as
    /// CODE:DECIMALS; default USD:2. A file that names another currency is refused.
    #[arg(long, value_name = "CODE:DECIMALS", requires = "summaries")]
    pub currency: Option<String>,
}

impl SummaryCurrency {
    /// The currency given, if any.
    pub fn parse(&self) -> Result<Option<Currency>, Error> {
        parse_currency(self.currency.as_deref())
    }
}

/// `--currency CODE:DECIMALS`, when given.
pub fn parse_currency(value: Option<&str>) -> Result<Option<Currency>, Error> {
    value
        .map(|c| {
            c.parse::<Currency>().map_err(|_| {
                Error::invalid("--currency", c, "expected an ISO code such as EUR, or CODE:DECIMALS such as USD:2")
            })
        })
        .transpose()
}

pub fn parse_day(flag: &str, value: Option<&str>) -> Result<Option<Day>, Error> {
    value
        .map(|v| {
            v.parse::<Day>().map_err(|_| Error::invalid(flag, v, "expected a date as YYYY-MM-DD between 1900 and 2200"))
        })
        .transpose()
}
