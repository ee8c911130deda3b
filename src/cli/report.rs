//! The `report` command: the HTML page (or its figures as JSON) to standard output or a file.

use std::io::Write;
use std::path::Path;

use super::Failure;
use super::args::{self, ReportArgs};
use super::output::Format;
use retention::actions::Programme;
use retention::metrics::{CohortPeriod, MetricsOptions};
use retention::report::ReportOptions;
use retention::{Error, Store};

pub fn run(a: &ReportArgs, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    if format == Format::Csv {
        return Err(Error::invalid("--format", "csv", "a report is HTML (the default) or json").into());
    }
    let metrics = MetricsOptions {
        as_of: None,
        period_days: args::parse_duration("--period", &a.period)?,
        activity_window_days: args::parse_duration("--activity-window", &a.activity_window)?,
    };
    let cohort_period = Some(CohortPeriod::parse(&a.cohorts)?);
    let as_of = args::parse_day("--as-of", a.as_of.as_deref())?;
    let store = Store::open_existing(&a.db)?;
    let programme = a.programme.as_ref().map(|p| Programme::load(p, &store.currency())).transpose()?;
    let report = store.report(&ReportOptions { as_of, metrics, cohort_period, programme })?;
    let text = match format {
        Format::Json => serde_json::to_string_pretty(&report).map_err(|e| Error::io("writing JSON", e.into()))? + "\n",
        _ => report.to_html(),
    };
    match &a.out {
        None => Ok(out.write_all(text.as_bytes())?),
        Some(path) => Ok(write_whole(path, text.as_bytes())?),
    }
}

/// Writes `bytes` to a temporary file beside `path` and renames it over `path`, so a reader never
/// sees half a report and a failed write leaves the old one.
pub fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let what = || format!("writing {}", path.display());
    let name =
        path.file_name().ok_or_else(|| Error::invalid("--out", path.display().to_string(), "not a file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(what(), e));
    }
    Ok(())
}
