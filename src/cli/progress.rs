//! The ingest progress bar: drawn on standard error when it is a terminal, absent otherwise, so
//! scripts and CI logs stay clean.

use std::io::IsTerminal;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use retention::Progress;
use retention::ingest::ProgressFn;

/// A progress callback for the library and the bar it draws (to finish when done).
pub fn bar() -> (Option<ProgressFn>, Option<ProgressBar>) {
    if !std::io::stderr().is_terminal() {
        return (None, None);
    }
    let bar = ProgressBar::new(0);
    let bytes =
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    let rows = ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    let spinner = ProgressStyle::with_template("{spinner} {msg} {bytes} {bytes_per_sec}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let b = bar.clone();
    let callback: ProgressFn = Arc::new(move |p: &Progress| match p {
        Progress::Reading { source, bytes: read, total, rows: n } => {
            match total {
                Some(t) => {
                    b.set_style(bytes.clone());
                    b.set_length(*t);
                }
                None => b.set_style(spinner.clone()),
            }
            b.set_position(*read);
            b.set_message(format!("reading {source}: {n} rows"));
        }
        Progress::Writing { rows: done, total } => {
            b.set_style(rows.clone());
            b.set_length(*total);
            b.set_position(*done);
            b.set_message("writing customers".to_string());
        }
        _ => {}
    });
    (Some(callback), Some(bar))
}
