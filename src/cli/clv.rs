//! The `clv` commands: fit and save, score every customer, evaluate on a holdout. Formatting only;
//! the numbers come from `retention::clv`.

use super::errors::on_flag;
use std::io::Write;

use serde::Serialize;

use super::Failure;
use super::args::{self, ClvCurveArgs, ClvDataArgs, ClvEvaluateArgs, ClvFitArgs, ClvScoreArgs, EvaluateView};
use super::output::{self, Col, Format, Table};
use retention::clv::{
    Boundary, ClvModel, CustomerIntervals, Evaluation, FitSummary, IntervalOptions, ModelKind, PurchaseModel, TimeUnit,
    ValueOptions, population_curve,
};
use retention::lake::Cell;
use retention::{Error, Store};

pub fn fit(a: &ClvFitArgs, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    let kind = ModelKind::parse(&a.model).map_err(on_flag("--model"))?;
    let unit = a.fit.unit()?;
    let options = a.fit.options();
    let as_of = args::parse_day("--as-of", a.as_of.as_deref())?;
    let started = std::time::Instant::now();
    let (model, saved_in) = match (&a.summaries, &a.db) {
        (Some(path), _) => {
            if as_of.is_some() {
                return Err(Error::invalid(
                    "--as-of",
                    a.as_of.clone().unwrap_or_default(),
                    "a summary file has its own as-of day",
                )
                .into());
            }
            let set = retention::summary_file::SummarySet::open(path, a.currency.parse()?.as_ref())?;
            (ClvModel::fit(&set, &set.currency().clone(), kind, unit, &options)?, None)
        }
        (None, Some(db)) => {
            let store = super::open_existing(db)?;
            let model = store.fit_clv(as_of, kind, unit, &options)?;
            if !a.no_save {
                store.save_clv(&model)?;
            }
            (model, (!a.no_save).then_some(db.clone()))
        }
        (None, None) => return Err(Error::invalid("--db", "", "give --db DIR or --summaries PATH").into()),
    };
    let seconds = started.elapsed().as_secs_f64();
    if let Some(path) = &a.model_out {
        let text = serde_json::to_vec_pretty(&model).map_err(|e| Error::io("encoding the model", e.into()))?;
        retention::write_atomically(path, |mut file| {
            file.write_all(&text).map_err(|e| Error::io(format!("writing {}", path.display()), e))
        })?;
    }
    let purchases = model.purchases.summary(0.95)?;
    let spend = model.spend.as_ref().map(|s| s.fitted.spend_summary(0.95)).transpose()?;
    if format == Format::Json {
        let boundary = model.purchases.diagnostics.boundary.as_ref().map(|b| b.parameters.clone());
        let spend_boundary =
            model.spend.as_ref().and_then(|s| s.fitted.diagnostics.boundary.as_ref()).map(|b| b.parameters.clone());
        return Ok(output::json(
            out,
            &serde_json::json!({
                "boundary": boundary,
                "spend_boundary": spend_boundary,
                "model": model,
                "summary": { "purchases": purchases, "spend": spend },
                "seconds": seconds,
                "saved": saved_in.is_some(),
            }),
        )?);
    }
    print_model(&model, &purchases, spend.as_ref(), format, out)?;
    if format == Format::Table {
        match &saved_in {
            Some(db) => writeln!(
                out,
                "\nFitted in {seconds:.2} s; saved in the store. Next: retention clv score --db {}",
                db.display()
            )?,
            None if a.summaries.is_some() => {
                writeln!(out, "\nFitted in {seconds:.2} s from the summary file (not saved).")?
            }
            None => writeln!(out, "\nFitted in {seconds:.2} s; not saved (--no-save).")?,
        }
    }
    Ok(())
}

/// One table row per parameter: estimate, standard error and the 95% interval.
fn estimates_table(summaries: &[&FitSummary]) -> Table {
    let mut t =
        Table::new(&["model", "parameter", "estimate", "std_error", "lower_95", "upper_95"]).numeric(&[2, 3, 4, 5]);
    for s in summaries {
        for e in &s.estimates {
            t.push(vec![
                s.model.clone(),
                e.name.clone(),
                format!("{:.6}", e.value),
                format!("{:.6}", e.standard_error),
                format!("{:.6}", e.lower),
                format!("{:.6}", e.upper),
            ]);
        }
    }
    t
}

/// The fit criteria of a summary as name/value pairs.
fn criteria(s: &FitSummary, prefix: &str) -> Vec<(String, String)> {
    let bounds = if s.at_bound.is_empty() { "none".to_string() } else { s.at_bound.join(", ") };
    vec![
        (format!("{prefix}log-likelihood"), format!("{:.4}", s.log_likelihood)),
        (format!("{prefix}AIC / BIC"), format!("{:.2} / {:.2} (n = {})", s.aic, s.bic, s.observations)),
        (
            format!("{prefix}convergence"),
            format!(
                "{} iterations ({}), gradient norm {:.2e}, parameters at a bound: {bounds}",
                s.iterations, s.method, s.gradient_norm
            ),
        ),
    ]
}

/// A boundary finding as name/value pairs: what it says, the limiting model, and how it compares
/// with the best interior point.
fn finding(b: &Boundary, prefix: &str) -> Vec<(String, String)> {
    let reduced: Vec<String> = b.reduced.iter().map(|(n, v)| format!("{n} = {v:.6}")).collect();
    vec![
        (format!("{prefix}finding"), b.describe()),
        (format!("{prefix}limiting model"), reduced.join(", ")),
        (
            format!("{prefix}vs best interior point"),
            match (b.likelihood_ratio, b.interior_log_likelihood) {
                (Some(lr), Some(ll)) => format!("likelihood ratio {lr:.4} (interior log-likelihood {ll:.4})"),
                _ => "no search ended inside the parameter space".into(),
            },
        ),
    ]
}

/// The fitted models: a header, the parameter table with uncertainty, the fit criteria and the
/// population curve (CSV: the parameter table only).
fn print_model(
    model: &ClvModel,
    purchases: &FitSummary,
    spend: Option<&FitSummary>,
    format: Format,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let all: Vec<&FitSummary> = std::iter::once(purchases).chain(spend).collect();
    if format != Format::Table {
        return Ok(estimates_table(&all).write(out, format)?);
    }
    let p = &model.purchases;
    let mut pairs: Vec<(String, String)> = vec![
        ("model".into(), p.model.name().to_string()),
        ("as of".into(), model.as_of.to_string()),
        ("unit".into(), model.purchases.unit.name().to_string()),
        ("customers".into(), model.data.customers.to_string()),
        ("repeat customers".into(), model.data.repeaters.to_string()),
        ("penalty".into(), p.diagnostics.penalty.to_string()),
    ];
    pairs.extend(criteria(purchases, ""));
    if let Some(b) = &p.diagnostics.boundary {
        pairs.extend(finding(b, ""));
    }
    for w in &p.diagnostics.warnings {
        pairs.push(("warning".into(), with_next_steps(&w.describe(), &w.next_steps)));
    }
    match (&model.spend, &model.spend_error, spend) {
        (Some(s), _, Some(summary)) => {
            let m = s.fitted.model;
            pairs.push(("spend model".into(), format!("Gamma-Gamma on {} repeat customers", s.customers)));
            pairs.extend(criteria(summary, "spend "));
            if let Some(b) = &s.fitted.diagnostics.boundary {
                pairs.extend(finding(b, "spend "));
            }
            pairs.extend([
                ("mean order value".into(), format!("{:.2}", m.mean_spend())),
                (
                    "frequency-spend corr.".into(),
                    s.frequency_spend_correlation.map_or("n/a".into(), |r| {
                        let warn = if r.abs() > 0.3 { " (high: the model assumes independence)" } else { "" };
                        format!("{r:.3}{warn}")
                    }),
                ),
            ]);
        }
        (_, Some(e), _) => pairs.push(("spend model".into(), format!("not fitted: {e}"))),
        _ => {}
    }
    let pairs: Vec<(&str, String)> = pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    output::pairs(out, &pairs, format)?;
    writeln!(out, "\nParameters (95% intervals: exp(ln θ ± 1.96·se(ln θ)), which stay positive)\n")?;
    estimates_table(&all).write(out, format)?;
    let days = [7, 30, 91, 182, 365, 730];
    let curve = population_curve(&p.model, p.unit, &days);
    let shown: Vec<String> = curve.iter().map(|(d, e)| format!("{d} d: {e:.3}")).collect();
    writeln!(out, "\nExpected repeat purchases of a new customer after {}", shown.join(", "))?;
    Ok(())
}

/// One JSON row: the customer's external id, then the library's figures (not its internal id).
#[derive(Serialize)]
struct ScoreRow<'a> {
    customer: &'a str,
    repeat_purchases: u32,
    p_alive: f64,
    p_alive_at_window_end: f64,
    expected_purchases: f64,
    p_no_purchase: f64,
    expected_order_value: f64,
    discounted_purchases: f64,
    clv: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    intervals: Option<&'a CustomerIntervals>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clv_by_period: Option<Vec<PeriodValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purchase_counts: Option<&'a [f64]>,
}

#[derive(Serialize)]
struct PeriodValue {
    end: retention::Day,
    clv: f64,
}

/// Loads the saved model or says how to make one; warns on stderr when it is stale.
fn saved_model(store: &Store, db: &std::path::Path) -> Result<ClvModel, Failure> {
    let saved = store.saved_clv()?.ok_or_else(|| {
        Error::invalid("--db", db.display().to_string(), "the store has no CLV model; run `retention clv fit` first")
    })?;
    if saved.stale {
        eprintln!(
            "retention: warning: the CLV model was fitted as of {} and the store has changed since; run `retention clv fit` again",
            saved.model.as_of
        );
    }
    Ok(saved.model)
}

pub fn curve(a: &ClvCurveArgs, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    let days = a.days()?;
    let store = super::open_existing(&a.db)?;
    let model = saved_model(&store, &a.db)?;
    let curve = population_curve(&model.purchases.model, model.purchases.unit, &days);
    let mut t = Table::new(&["day", "expected_repeat_purchases"]).numeric(&[0, 1]);
    for (day, e) in curve {
        t.push(vec![day.to_string(), format!("{e:.6}")]);
    }
    Ok(t.write(out, format)?)
}

pub fn score(a: &ClvScoreArgs, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    let options = a.value.options()?;
    let (scores, names, currency) = match (&a.summaries, &a.model, &a.db) {
        (Some(path), Some(model_path), _) => {
            let currency = a.currency.parse()?;
            let file = retention::summary_file::read(path, currency.as_ref())?;
            let text =
                std::fs::read(model_path).map_err(|e| Error::io(format!("reading {}", model_path.display()), e))?;
            let model: ClvModel = serde_json::from_slice(&text).map_err(|e| Error::InputFormat {
                source_name: model_path.display().to_string(),
                reason: format!("not a model written by `clv fit --model-out`: {e}"),
            })?;
            let scores = model.valuation(options)?.score_all(&file.summaries, &file.currency);
            (scores, file.ids, file.currency)
        }
        (_, _, Some(db)) => {
            let store = super::open_existing(db)?;
            let model = saved_model(&store, db)?;
            (store.clv_scores(&model, &options)?, store.external_ids()?, store.currency())
        }
        _ => return Err(Error::invalid("--db", "", "give --db DIR, or --summaries PATH with --model FILE").into()),
    };
    let mut columns = vec![
        Col::text("customer", 14),
        Col::int("repeat_purchases", 16),
        Col::float("p_alive", 8, 4),
        Col::float("p_alive_window_end", 18, 4),
        Col::float("expected_purchases", 18, 4),
        Col::float("p_no_purchase", 13, 4),
        Col::float("expected_order_value", 20, 2),
        Col::float("discounted_purchases", 20, 4),
        Col::float("clv", 10, 2),
    ];
    let with_intervals = !scores.intervals.is_empty();
    if with_intervals {
        for (name, decimals) in [
            ("p_alive_lower", 4),
            ("p_alive_upper", 4),
            ("expected_lower", 4),
            ("expected_upper", 4),
            ("clv_lower", 2),
            ("clv_upper", 2),
        ] {
            columns.push(Col::float(name, 14, decimals));
        }
    }
    for end in &scores.period_ends {
        columns.push(Col::float(&format!("clv_to_{end}"), 18, 2));
    }
    let counts = scores.counts_of(0).len();
    for n in 0..counts {
        columns.push(Col::float(&format!("p_{n}_purchases"), 14, 4));
    }
    if let Some(c) = columns.last_mut() {
        c.width = 0;
    }
    let mut rows = output::RowWriter::new(out, format, a.out.as_deref(), columns, &currency)?;
    let mut cells: Vec<Cell<'_>> = Vec::new();
    for (i, v) in scores.values.iter().enumerate() {
        let customer = output::name(&names, v.customer);
        if rows.is_json() {
            let periods = (!scores.period_ends.is_empty()).then(|| {
                scores
                    .period_ends
                    .iter()
                    .zip(scores.periods_of(i))
                    .map(|(&end, &clv)| PeriodValue { end, clv })
                    .collect()
            });
            rows.write_json(&ScoreRow {
                customer,
                repeat_purchases: v.repeat_purchases,
                p_alive: v.p_alive,
                p_alive_at_window_end: v.p_alive_at_window_end,
                expected_purchases: v.expected_purchases,
                p_no_purchase: v.p_no_purchase,
                expected_order_value: v.expected_order_value,
                discounted_purchases: v.discounted_purchases,
                clv: v.clv,
                intervals: scores.intervals.get(i),
                clv_by_period: periods,
                purchase_counts: (counts > 0).then(|| scores.counts_of(i)),
            })?;
            continue;
        }
        cells.clear();
        cells.extend([
            Cell::Text(customer),
            Cell::Integer(v.repeat_purchases as i64),
            Cell::Float(v.p_alive),
            Cell::Float(v.p_alive_at_window_end),
            Cell::Float(v.expected_purchases),
            Cell::Float(v.p_no_purchase),
            Cell::Float(v.expected_order_value),
            Cell::Float(v.discounted_purchases),
            Cell::Float(v.clv),
        ]);
        if let Some(iv) = scores.intervals.get(i) {
            cells.extend(
                [
                    iv.p_alive.lower,
                    iv.p_alive.upper,
                    iv.expected_purchases.lower,
                    iv.expected_purchases.upper,
                    iv.clv.lower,
                    iv.clv.upper,
                ]
                .map(Cell::Float),
            );
        }
        cells.extend(scores.periods_of(i).iter().map(|&c| Cell::Float(c)));
        cells.extend(scores.counts_of(i).iter().map(|&p| Cell::Float(p)));
        rows.write_cells(&cells)?;
    }
    Ok(rows.finish()?)
}

pub fn evaluate(a: &ClvEvaluateArgs, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    let options = a.options()?;
    let store = super::open_existing(&a.db)?;
    let eval = store.evaluate_clv(&options)?;
    if format == Format::Json {
        return Ok(output::json(out, &eval)?);
    }
    match a.show {
        EvaluateView::Holdout => print_evaluation(&eval, format, out),
        EvaluateView::Histogram => Ok(histogram_table(&eval).write(out, format)?),
        EvaluateView::Tracking => Ok(tracking_table(&eval).write(out, format)?),
    }
}

/// Customers by calibration repeat purchases: actual, then each fitted model's expectation.
fn histogram_table(eval: &Evaluation) -> Table {
    let fitted: Vec<_> = eval.models.iter().filter(|m| m.fitted.is_some()).collect();
    let mut headers = vec!["repeat_purchases".to_string(), "actual".to_string()];
    headers.extend(fitted.iter().map(|m| m.kind.key().to_string()));
    let refs: Vec<&str> = headers.iter().map(|h| h.as_str()).collect();
    let mut t = Table::new(&refs).numeric(&(1..refs.len()).collect::<Vec<_>>());
    for (i, actual) in eval.histogram_actual.iter().enumerate() {
        let label = if i + 1 == eval.histogram_actual.len() { format!("{i}+") } else { i.to_string() };
        let mut row = vec![label, actual.to_string()];
        row.extend(fitted.iter().map(|m| format!("{:.1}", m.histogram_expected[i])));
        t.push(row);
    }
    t
}

/// Repeat purchases per week (and cumulatively): actual, then each fitted model's expectation.
fn tracking_table(eval: &Evaluation) -> Table {
    let fitted: Vec<_> = eval.models.iter().filter(|m| m.fitted.is_some()).collect();
    let mut headers = vec!["week_end".to_string(), "period".to_string(), "actual".to_string()];
    headers.extend(fitted.iter().map(|m| m.kind.key().to_string()));
    headers.push("actual_cumulative".into());
    headers.extend(fitted.iter().map(|m| format!("{}_cumulative", m.kind.key())));
    let refs: Vec<&str> = headers.iter().map(|h| h.as_str()).collect();
    let mut t = Table::new(&refs).numeric(&(2..refs.len()).collect::<Vec<_>>());
    let Some(tracking) = &eval.tracking else { return t };
    let cumulative = tracking.cumulative_actual();
    let mut sums = vec![0.0; fitted.len()];
    for (w, end) in tracking.week_ends.iter().enumerate() {
        let period = if w < tracking.calibration_weeks { "calibration" } else { "holdout" };
        let mut row = vec![end.to_string(), period.to_string(), tracking.actual[w].to_string()];
        row.extend(fitted.iter().map(|m| format!("{:.2}", m.weekly_expected[w])));
        row.push(cumulative[w].to_string());
        for (sum, m) in sums.iter_mut().zip(&fitted) {
            *sum += m.weekly_expected[w];
            row.push(format!("{sum:.1}"));
        }
        t.push(row);
    }
    t
}

fn print_evaluation(eval: &Evaluation, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    if format == Format::Table {
        writeln!(
            out,
            "Calibration to {}, holdout to {} ({:.2} {}): {} customers made {} repeat purchases in the holdout.\n",
            eval.calibration_end,
            eval.holdout_end,
            eval.holdout_length,
            eval.unit.name(),
            eval.customers,
            eval.actual_total
        )?;
    }
    let mut t = Table::new(&["model", "log-likelihood", "predicted", "actual", "error", "MAE", "RMSE", "correlation"])
        .numeric(&[1, 2, 3, 4, 5, 6, 7]);
    for m in &eval.models {
        match &m.fitted {
            None => t.push(vec![
                m.kind.key().into(),
                "fit failed".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]),
            Some(f) => t.push(vec![
                f.model.name().into(),
                format!("{:.2}", f.diagnostics.log_likelihood),
                format!("{:.1}", m.predicted_total),
                eval.actual_total.to_string(),
                format!("{:+.1}%", 100.0 * (m.predicted_total / eval.actual_total.max(1) as f64 - 1.0)),
                format!("{:.4}", m.mae),
                format!("{:.4}", m.rmse),
                format!("{:.4}", m.correlation),
            ]),
        }
    }
    t.write(out, format)?;
    if format == Format::Csv {
        return Ok(());
    }
    writeln!(
        out,
        "\nMean repeat purchases in the holdout by calibration repeat purchases (actual, then each model)\n"
    )?;
    let fitted: Vec<_> = eval.models.iter().filter(|m| m.fitted.is_some()).collect();
    let mut headers = vec!["x", "customers", "actual"];
    headers.extend(fitted.iter().map(|m| m.kind.key()));
    let mut t = Table::new(&headers).numeric(&(0..headers.len()).collect::<Vec<_>>());
    if let Some(first) = fitted.first() {
        for (i, g) in first.groups.iter().enumerate() {
            let mut row = vec![g.label.clone(), g.customers.to_string(), format!("{:.3}", g.actual_mean)];
            row.extend(fitted.iter().map(|m| format!("{:.3}", m.groups[i].predicted_mean)));
            t.push(row);
        }
    }
    t.write(out, format)?;
    for m in &eval.models {
        if let Some(e) = &m.error {
            writeln!(out, "\n{}: {e}", m.kind.key())?;
        }
    }
    if let Some(best) = eval.best.and_then(|k| eval.models.iter().find(|m| m.kind == k)) {
        writeln!(
            out,
            "\nBest by per-customer MAE: {} (MAE {:.4}, holdout total off by {:+.1}%).",
            best.kind.key(),
            best.mae,
            100.0 * (best.predicted_total / eval.actual_total.max(1) as f64 - 1.0)
        )?;
    }
    Ok(())
}

/// The customer's CLV lines for `customer ID`, from the saved model.
pub fn customer_lines(store: &Store, id: retention::CustomerId) -> Result<Vec<(&'static str, String)>, Failure> {
    // A model that cannot be read costs the CLV lines, not the customer's profile.
    let saved = match store.saved_clv() {
        Ok(Some(saved)) => saved,
        Ok(None) => return Ok(Vec::new()),
        Err(e) => return Ok(vec![("clv model", format!("unavailable: {e}"))]),
    };
    let options = ValueOptions::default();
    let Some(v) = store.clv_of(id, &saved.model, &options)? else { return Ok(Vec::new()) };
    let note = if saved.stale { ", STALE: the store changed since; run clv fit again" } else { "" };
    Ok(vec![
        ("clv model", format!("{} as of {}{note}", saved.model.purchases.model.name(), saved.model.as_of)),
        ("p(alive)", format!("{:.4}", v.p_alive)),
        ("expected purchases", format!("{:.3} in the next {}", v.expected_purchases, options.window)),
        ("p(no purchase)", format!("{:.4} in the next {}", v.p_no_purchase, options.window)),
        ("expected order value", format!("{:.2}", v.expected_order_value)),
        (
            "clv",
            format!(
                "{:.2} over the next {} at {}% per {}",
                v.clv,
                options.horizon,
                100.0 * options.discount.rate,
                options.discount.per.singular()
            ),
        ),
    ])
}

/// CSV of customer,x,t_x,T,m_x: times in the unit written in full precision (shortest round-trip
/// form), m_x in major currency units (0 without repeat purchases).
pub fn data(a: &ClvDataArgs, out: &mut impl Write) -> Result<(), Failure> {
    let unit = TimeUnit::parse(&a.unit).map_err(on_flag("--unit"))?;
    let store = super::open_existing(&a.db)?;
    let summaries = store.summaries(args::parse_day("--as-of", a.as_of.as_deref())?)?;
    let names = store.external_ids()?;
    let scale = store.currency().scale() as f64;
    let days = unit.days();
    let mut csv = csv::Writer::from_writer(out);
    let io = |e: csv::Error| Error::io("writing output", output::csv_io(e));
    csv.write_record(["customer", "x", "t_x", "T", "m_x"]).map_err(io)?;
    for s in &summaries.customers {
        let name = output::name(&names, s.customer);
        let m_x = s.average_repeat_value().map_or(0.0, |v| v / scale);
        csv.write_record([
            name,
            &s.x().to_string(),
            &(s.t_x() as f64 / days).to_string(),
            &(s.age(summaries.as_of) as f64 / days).to_string(),
            &m_x.to_string(),
        ])
        .map_err(io)?;
    }
    csv.flush().map_err(|e| Error::io("writing output", e))?;
    Ok(())
}

/// The demo's CLV part: fit BG/NBD and Gamma-Gamma, save them, show the most valuable customers.
pub fn demo(
    store: &Store,
    summaries: &retention::Summaries,
    format: Format,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let started = std::time::Instant::now();
    let model =
        match ClvModel::fit(summaries, &store.currency(), ModelKind::BgNbd, TimeUnit::Weeks, &Default::default()) {
            Ok(model) => model,
            // A shop too small or too odd for the model: the demo goes on without it.
            Err(e) if e.kind() == retention::ErrorKind::NotIdentified => {
                writeln!(out, "\nCLV skipped: {e}")?;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
    store.save_clv(&model)?;
    let options = ValueOptions::default().interval(IntervalOptions::delta(0.9));
    let scores = model.valuation(options)?.score_all(summaries, &store.currency());
    let values = &scores.values;
    let seconds = started.elapsed().as_secs_f64();
    let expected: f64 = values.iter().map(|v| v.expected_purchases).sum();
    let clv: f64 = values.iter().map(|v| v.clv).sum();
    writeln!(
        out,
        "\nCLV: BG/NBD and Gamma-Gamma fitted on {} customers and everyone scored in {seconds:.2} s (saved in the store).\n\
         Next 12 months: {expected:.0} purchases expected, worth {} discounted at 10% a year \
         (intervals: 90%, from the models' parameter uncertainty).\n",
        values.len(),
        store.currency().format((clv * store.currency().scale() as f64).round() as i64)
    )?;
    let mut top: Vec<usize> = (0..values.len()).collect();
    top.sort_by(|&a, &b| values[b].clv.total_cmp(&values[a].clv));
    let names = store.external_ids()?;
    let mut t = Table::new(&[
        "most valuable",
        "repeat purchases",
        "P(alive)",
        "P(no order, 12 months)",
        "expected purchases",
        "order value",
        "1-year CLV",
        "90% interval",
    ])
    .numeric(&[1, 2, 3, 4, 5, 6, 7]);
    for &i in top.iter().take(5) {
        let v = &values[i];
        let interval =
            scores.intervals.get(i).map_or(String::new(), |iv| format!("{:.2}–{:.2}", iv.clv.lower, iv.clv.upper));
        t.push(vec![
            output::name(&names, v.customer).to_string(),
            v.repeat_purchases.to_string(),
            format!("{:.3}", v.p_alive),
            format!("{:.3}", v.p_no_purchase),
            format!("{:.2}", v.expected_purchases),
            format!("{:.2}", v.expected_order_value),
            format!("{:.2}", v.clv),
            interval,
        ]);
    }
    Ok(t.write(out, format)?)
}

/// A warning's sentence followed by the commands that address it.
fn with_next_steps(sentence: &str, steps: &[retention::clv::NextStep]) -> String {
    if steps.is_empty() {
        return sentence.to_string();
    }
    let commands: Vec<String> = steps.iter().map(super::next_step_command).collect();
    format!("{sentence}; next: {}", commands.join(" or "))
}
