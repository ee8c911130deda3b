//! What the command line makes of a library error: the message with library parameters named as
//! the flags that set them, the commands to run next, and the process exit status. The library
//! names parameters (`ValueOptions::horizon`) and what is missing ([`Need`]); flags, commands and
//! exit codes are this front end's vocabulary and live here only.

use retention::{Error, ErrorKind, Need};

/// Library parameters and the flags that set them. Parsers the CLI calls on one flag's value get
/// that flag directly ([`on_flag`]); this table covers the options checked inside the library.
const FLAGS: &[(&str, &str)] = &[
    ("ColumnNames::amount", "--amount-col"),
    ("CountData::from_cells(counts)", "a customer summary"),
    ("CountData::from_days(triples)", "a customer summary"),
    ("ColumnNames::category", "--category-col"),
    ("ColumnNames::customer", "--customer-col"),
    ("ColumnNames::order", "--order-col"),
    ("ColumnNames::quantity", "--quantity-col"),
    ("ColumnNames::timestamp", "--timestamp-col"),
    ("ColumnNames::unit_price", "--price-col"),
    ("CrossSellOptions::min_confidence", "--min-confidence"),
    ("CrossSellOptions::min_lift", "--min-lift"),
    ("CrossSellOptions::top", "--top"),
    ("Cuts::fixed(cuts)", "thresholds"),
    ("Evaluation::run_with(holdout)", "--holdout-end"),
    ("FitOptions::penalty", "--penalty"),
    ("Fitted::summary", "the saved model"),
    ("IngestOptions::delimiter", "--delimiter"),
    ("IntervalOptions::draws", "--draws"),
    ("KMeans::fit(k)", "--k"),
    ("MetricsOptions::activity_window_days", "--activity-window"),
    ("MetricsOptions::period_days", "--period"),
    ("Programme::tier_basis", "tier_basis"),
    ("Programme::validate", "the loyalty programme"),
    ("Rfm::compute_with(fixed)", "thresholds"),
    ("RfmOptions::bins", "--bins"),
    ("Segments::new(rules)", "segment rules"),
    ("Snapshot::tracking(end)", "--holdout-end"),
    ("Store::cohorts(period)", "--period"),
    ("Store::follow_ups(within_days)", "--within"),
    ("Store::report", "the report"),
    ("Store::saved_clv", "reading the store"),
    ("Store::segment_members(name)", "--segment"),
    ("Store::vips(by)", "--by"),
    ("Store::vips(share)", "--top"),
    ("StoreOptions::block_size", "--block-size"),
    ("StoreOptions::currency", "--currency"),
    ("StoreOptions::time_zone", "--time-zone"),
    ("SummarySet::open(currency)", "--currency"),
    ("ValueOptions::discount", "--discount"),
    ("ValueOptions::horizon", "--horizon"),
    ("ValueOptions::interval", "--interval"),
    ("ValueOptions::margin", "--margin"),
    ("ValueOptions::max_count", "--counts"),
    ("ValueOptions::window", "--window"),
    ("WinBackOptions::factor", "--factor"),
    ("WinBackOptions::p_alive_below", "--p-alive-below"),
    ("interval level", "--interval"),
];

fn flag_of(parameter: &str) -> Option<&'static str> {
    FLAGS.iter().find(|(p, _)| *p == parameter).map(|(_, f)| *f)
}

/// The error of a parser the CLI ran on `flag`'s value, naming the flag.
pub(crate) fn on_flag(flag: &str) -> impl Fn(Error) -> Error + '_ {
    move |e| match e {
        Error::InvalidArgument { value, reason, .. } => Error::invalid(flag, value, reason),
        other => other,
    }
}

/// The message a user of the command line reads: the library's, with parameters as flags.
pub(crate) fn message(e: &Error) -> String {
    match e {
        Error::InvalidArgument { parameter, value, reason } => {
            format!("invalid {} {value:?}: {reason}", flag_of(parameter).unwrap_or(parameter))
        }
        Error::Needs { by, need } => format!("{} needs {need}", flag_of(by).unwrap_or(by)),
        other => {
            // Other messages may name options inside their text (`ColumnNames::customer`); only
            // qualified names are replaced, longest first, so no plain word is touched.
            let mut text = other.to_string();
            let mut qualified: Vec<_> = FLAGS.iter().filter(|(p, _)| p.contains("::")).collect();
            qualified.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
            for (parameter, flag) in qualified {
                text = text.replace(parameter, flag);
            }
            text
        }
    }
}

/// The commands that would resolve the error, most promising first; `db` is the store the
/// command was given.
pub(crate) fn next_steps(e: &Error, db: Option<&str>) -> Vec<String> {
    let db = db.map(|p| format!(" --db {}", shell_word(p))).unwrap_or_default();
    match e {
        Error::Fit { next, .. } => next.iter().map(super::next_step_command).collect(),
        Error::Needs { need, .. } => match need {
            Need::Orders => vec![format!("retention ingest ORDERS.csv{db} (the store has no orders yet)")],
            Need::ClvModel => vec![format!("retention clv fit{db} (fits and saves a model)")],
            Need::FreshClvModel { .. } | Need::ReadableClvModel => {
                vec![format!("retention clv fit{db} (fits the current data and replaces the saved model)")]
            }
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn shell_word(w: &str) -> String {
    if w.is_empty() || w.contains(|c: char| c.is_whitespace() || c == '\'') {
        format!("'{}'", w.replace('\'', "'\\''"))
    } else {
        w.to_string()
    }
}

/// The documented process exit code for an error (see the README's "Exit codes").
///
/// | code | meaning |
/// |---|---|
/// | 1 | I/O, storage engine or internal failure |
/// | 2 | invalid command-line argument, or the store lacks what the command needs |
/// | 3 | bad input data; the store is unchanged |
/// | 4 | the store cannot be used (not a store, newer format, locked or busy, corrupt) |
/// | 6 | a model cannot be fitted to the data (degenerate data, no convergence) |
pub(crate) fn exit_code(e: &Error) -> u8 {
    match e.kind() {
        ErrorKind::Input => 3,
        ErrorKind::NotAStore | ErrorKind::UnsupportedVersion | ErrorKind::StoreBusy | ErrorKind::Corrupt => 4,
        ErrorKind::InvalidArgument | ErrorKind::Missing => 2,
        ErrorKind::NotIdentified => 6,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_in_the_table_is_a_flag_of_this_cli() {
        use clap::CommandFactory;
        let mut longs = std::collections::BTreeSet::new();
        fn walk(c: &clap::Command, out: &mut std::collections::BTreeSet<String>) {
            for a in c.get_arguments() {
                if let Some(l) = a.get_long() {
                    out.insert(format!("--{l}"));
                }
            }
            for s in c.get_subcommands() {
                walk(s, out);
            }
        }
        walk(&super::super::args::Cli::command(), &mut longs);
        for (parameter, flag) in FLAGS {
            assert!(!flag.starts_with("--") || longs.contains(*flag), "{parameter} maps to {flag}, not a flag");
        }
    }

    /// Library parameters no command reaches (invariants of the library's own callers, or
    /// options the command line does not expose), so they need no flag.
    const NOT_FROM_THE_COMMAND_LINE: &[&str] = &[
        "FitInput::from_source(source)",
        "FitOptions::starts",
        "ListWriter::push(row)",
        "Rfm::from_source(source)",
        "Store::save_scores(rfm)",
    ];

    /// Every qualified parameter the library names in an error (`Error::invalid("Type::field"`,
    /// `Error::needs(`) is in the flag table or declared unreachable: a new option cannot reach a
    /// user of the command line under its Rust name.
    #[test]
    fn every_library_parameter_has_a_flag_or_is_declared_unreachable() {
        fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    if !path.ends_with("cli") {
                        sources(&path, out);
                    }
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        sources(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
        let mut missing = Vec::new();
        let mut seen = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for call in ["Error::invalid(", "Error::needs(", "differs("] {
                for (at, _) in text.match_indices(call) {
                    let rest = text[at + call.len()..].trim_start();
                    let Some(literal) = rest.strip_prefix('"').and_then(|r| r.split('"').next()) else { continue };
                    if !literal.contains("::") {
                        continue; // a value's own name (`date`, `currency`): reads the same on the command line
                    }
                    seen += 1;
                    if flag_of(literal).is_none() && !NOT_FROM_THE_COMMAND_LINE.contains(&literal) {
                        missing.push(format!("{}: {literal}", file.display()));
                    }
                }
            }
        }
        assert!(seen > 30, "found only {seen} parameters: has the way errors are built changed?");
        assert!(missing.is_empty(), "parameters without a flag:\n{}", missing.join("\n"));
    }

    #[test]
    fn parameters_become_flags_and_needs_become_commands() {
        let e = Error::invalid("ValueOptions::horizon", "0days", "must be 1 day to 100 years");
        assert_eq!(message(&e), "invalid --horizon \"0days\": must be 1 day to 100 years");
        assert_eq!(exit_code(&e), 2);
        let e = Error::InputFormat {
            source_name: "a.csv".into(),
            reason: "expected a column named \"x\" (ColumnNames::customer)".into(),
        };
        assert_eq!(message(&e), "a.csv: expected a column named \"x\" (--customer-col)");
        assert_eq!(exit_code(&e), 3);
        let e = Error::needs("WinBackOptions::p_alive_below", Need::ClvModel);
        assert!(message(&e).starts_with("--p-alive-below needs a saved CLV model"), "{}", message(&e));
        let steps = next_steps(&e, Some("my shop"));
        assert!(steps[0].starts_with("retention clv fit --db 'my shop'"), "{steps:?}");
        let e = on_flag("--unit")(Error::invalid("TimeUnit", "months", "expected days or weeks"));
        assert_eq!(message(&e), "invalid --unit \"months\": expected days or weeks");
    }
}
