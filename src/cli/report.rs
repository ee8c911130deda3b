//! The `report` command: the HTML page (or its figures as JSON) to standard output or a file.

use super::errors::on_flag;
use std::io::Write;
use std::path::Path;

use super::Failure;
use super::args::{self, ReportArgs};
use super::output::Format;
use retention::Error;
use retention::actions::Programme;
use retention::metrics::{CohortPeriod, MetricsOptions};
use retention::report::ReportOptions;

pub fn run(a: &ReportArgs, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    if format == Format::Csv {
        return Err(Error::invalid("--format", "csv", "a report is HTML (the default) or json").into());
    }
    let metrics = MetricsOptions::default()
        .period_days(args::parse_duration("--period", &a.period)?)
        .activity_window_days(args::parse_duration("--activity-window", &a.activity_window)?);
    let cohort_period = CohortPeriod::parse(&a.cohorts).map_err(on_flag("--cohorts"))?;
    let as_of = args::parse_day("--as-of", a.as_of.as_deref())?;
    let store = super::open_existing(&a.db)?;
    let programme = a.programme.as_ref().map(|p| Programme::load(p, &store.currency())).transpose()?;
    let model_fit = match (&a.calibration_end, &a.holdout_end) {
        (Some(c), Some(h)) => {
            Some(args::evaluate_options(c, h, &a.models, retention::clv::TimeUnit::Weeks, Default::default())?)
        }
        _ => None,
    };
    let options = ReportOptions::default()
        .as_of(as_of)
        .metrics(metrics)
        .cohort_period(cohort_period)
        .programme(programme)
        .model_fit(model_fit);
    // The report's cohort period is `--cohorts` (`--period` is the metrics period there).
    let report = store.report(&options).map_err(|e| match e.parameter() {
        Some("Store::cohorts(period)") => on_flag("--cohorts")(e),
        _ => e,
    })?;
    let text = match format {
        Format::Json => serde_json::to_string_pretty(&report).map_err(|e| Error::io("writing JSON", e.into()))? + "\n",
        _ => report.to_html(),
    };
    match &a.out {
        None => Ok(out.write_all(text.as_bytes())?),
        Some(path) => Ok(write_whole(path, text.as_bytes())?),
    }
}

/// The `export` command: every order as CSV, to standard output or, streamed through a temporary
/// file renamed when complete, to `--out`.
pub fn export(a: &super::args::ExportArgs, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    if format == Format::Json {
        return Err(Error::invalid("--format", "json", "an export is CSV or Parquet").into());
    }
    let store = super::open_existing(&a.db)?;
    if format == Format::Parquet {
        let path =
            a.out.as_ref().ok_or_else(|| Error::invalid("--format", "parquet", "a Parquet export needs --out FILE"))?;
        store.export_parquet(path)?;
        return Ok(());
    }
    let Some(path) = &a.out else {
        store.export(out)?;
        return Ok(());
    };
    Ok(write_atomically(path, |mut w| store.export(&mut w).map(drop))?)
}

/// Writes `bytes` to `path` as [`write_atomically`] does.
pub fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_atomically(path, |w| w.write_all(bytes).map_err(|e| Error::io(format!("writing {}", path.display()), e)))
}

/// Lets `fill` write (buffered) into a fresh temporary file beside `path` (unique name, never a
/// followed link), syncs it and renames it over `path`: a reader never sees half a file, a failed
/// write leaves the old one, and two runs cannot mix their files.
fn write_atomically(path: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<(), Error>) -> Result<(), Error> {
    retention::write_atomically(path, |file| {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        fill(&mut w)?;
        w.flush().map_err(|e| Error::io(format!("writing {}", path.display()), e))
    })
}
