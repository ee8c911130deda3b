//! The crate's one error type. Input errors carry the source, line, column and value so a user can
//! find and fix the row; storage errors say what was wrong with which store; an unusable option
//! names the library parameter (`ValueOptions::horizon`), never a command-line flag. Callers
//! branch on [`Error::kind`]; what a front end makes of an error (flags, hints, exit statuses) is
//! the front end's business (the binary's lives in `src/cli/errors.rs`).

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `retention`.
///
/// Messages are sentences a user can act on. Callers that need to branch match on
/// [`Error::kind`] (or on the variants, whose fields carry the parameter, value and place as
/// data); both enums are `#[non_exhaustive]` so new cases are not breaking changes.
///
/// ```
/// use retention::{Error, ErrorKind, rfm::RfmOptions};
///
/// let e: Error = RfmOptions::default().bins(7).validate().unwrap_err();
/// assert_eq!(e.kind(), ErrorKind::InvalidArgument);
/// assert!(matches!(&e, Error::InvalidArgument { parameter, value, .. }
///     if parameter == "RfmOptions::bins" && value == "7"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A row of input could not be used; nothing from the ingest was written.
    #[error("{0}")]
    Input(Box<InputError>),

    /// The input as a whole is unusable (empty, no header, a required column missing, ...).
    #[error("{source_name}: {reason}")]
    InputFormat {
        /// File name, or `<stdin>`.
        source_name: String,
        /// What is wrong, in words.
        reason: String,
    },

    /// The directory exists but does not hold a `retention` store.
    #[error("{}: not a retention store: {reason}", path.display())]
    NotAStore {
        /// The directory that was opened.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },

    /// The store was written by a different version of the on-disk format.
    #[error(
        "{}: store format version {found} is not supported by this build (it reads version {supported}); \
         use the retention release that wrote it, or export and re-ingest",
        path.display()
    )]
    UnsupportedVersion {
        /// The store directory.
        path: PathBuf,
        /// Version found on disk.
        found: u32,
        /// Version this build reads and writes.
        supported: u32,
    },

    /// Another process (or another handle in this process) has the store open.
    #[error("{}: the store is in use by another process; close it first", path.display())]
    Locked {
        /// The store directory.
        path: PathBuf,
    },

    /// Writes kept committing while a read that needs one consistent view across several
    /// snapshots (a report) was gathered, `attempts` times over.
    #[error(
        "{}: the store changed while each of {attempts} attempts was gathered; retry when writes are not \
         committing back to back",
        path.display()
    )]
    Changing {
        /// The store directory.
        path: PathBuf,
        /// How many times the read was gathered.
        attempts: u32,
    },

    /// A stored value failed to decode. The store is damaged or was written by a buggy build.
    #[error("corrupt store data in {what}: {detail}")]
    Corrupt {
        /// Which record (for example `customer block 17`).
        what: String,
        /// What the decoder found.
        detail: String,
    },

    /// An operating-system I/O failure, with what we were doing when it happened.
    #[error("{context}: {source}")]
    Io {
        /// What was being done (`reading orders.csv`).
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// The storage engine reported an error.
    #[error("storage engine error: {0}")]
    Engine(String),

    /// An argument or option has a value the library cannot use.
    #[error("invalid {parameter} {value:?}: {reason}")]
    InvalidArgument {
        /// The library parameter: an option field as `Type::field` (`ValueOptions::horizon`), or
        /// the name a parsing function was given by its caller (`Span::parse`'s `name`).
        parameter: String,
        /// The value given.
        value: String,
        /// Why it cannot be used.
        reason: String,
    },

    /// A store-wide limit was reached (for example more than 2^32 customers).
    #[error("limit reached: {0}")]
    Limit(String),

    /// A model cannot be fitted to this data, or the fit did not converge; the message says what in
    /// the data or the fit caused it.
    #[error("cannot fit {model}: {reason}")]
    Fit {
        /// The model (`BG/NBD`, `Gamma-Gamma`, ...).
        model: String,
        /// What in the data or the optimisation went wrong, in words.
        reason: String,
        /// What the user can do instead, most promising first (the CLI writes each as a command).
        next: Vec<NextStep>,
    },

    /// A numerical routine could not reach the required accuracy (a series that did not converge).
    #[error("numerical failure: {0}")]
    Numeric(String),

    /// The operation needs something the store does not hold yet (orders, a saved CLV model) or
    /// holds only out of date.
    #[error("{by} needs {need}")]
    Needs {
        /// What needed it: a parameter (`WinBackOptions::p_alive_below`) or an operation.
        by: String,
        /// What is missing.
        need: Need,
    },
}

/// What to branch on: the kind of an [`Error`], without its details.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input data: a row (file, line, column, value) or a file as a whole. Nothing from the
    /// ingest was written.
    Input,
    /// An option or argument has a value the library cannot use.
    InvalidArgument,
    /// The directory does not hold a store.
    NotAStore,
    /// The store was written in a format this build does not read.
    UnsupportedVersion,
    /// Another process or handle has the store open.
    StoreBusy,
    /// A stored value failed to decode.
    Corrupt,
    /// The operating system or the storage engine failed.
    Io,
    /// The data do not identify the model: the fit was refused or did not converge.
    NotIdentified,
    /// The store lacks something the operation needs ([`Need`]).
    Missing,
    /// A store-wide limit was reached.
    Limit,
    /// A numerical routine could not reach the required accuracy.
    Numeric,
}

/// What an operation needed that the store lacked ([`Error::Needs`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Need {
    /// Orders: the store holds none yet.
    Orders,
    /// A saved CLV model: none is saved.
    ClvModel,
    /// A CLV model fitted on the store's current data: the saved one, fitted as of `as_of`, is
    /// stale (orders were ingested after its fit).
    FreshClvModel {
        /// The day the saved model was fitted as of, as `YYYY-MM-DD` (text, because `day` itself
        /// reports its errors through this module).
        as_of: String,
    },
    /// A saved CLV model this build can read: the saved one was written by another version.
    ReadableClvModel,
}

impl fmt::Display for Need {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Need::Orders => write!(f, "orders, and the store has none yet: ingest an order file first"),
            Need::ClvModel => write!(f, "a saved CLV model, and none is saved: fit and save one first"),
            Need::FreshClvModel { as_of } => write!(
                f,
                "a CLV model of the current data, and the saved one (as of {as_of}) is stale: the store \
                 changed since; fit and save one again"
            ),
            Need::ReadableClvModel => write!(
                f,
                "a saved CLV model this build reads, and the saved one was written by another retention \
                 version; fit and save one again to replace it"
            ),
        }
    }
}

/// A rejected input row: where it is and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InputError {
    /// File name, or `<stdin>`.
    pub source_name: String,
    /// 1-based line number of the row (of its first line, for quoted multi-line rows); in a
    /// Parquet file, the row's 1-based number in the file.
    pub line: u64,
    /// In a Parquet file, the row group holding the row (0-based, as Parquet tools number them).
    pub row_group: Option<u64>,
    /// The column: its 1-based number, followed by its header name in parentheses when there is one.
    pub column: Option<String>,
    /// The offending value, shortened to at most 80 characters.
    pub value: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl InputError {
    /// Shortens a value for display so one bad 10 MB field does not flood the terminal.
    pub(crate) fn shorten(value: &[u8]) -> String {
        const MAX: usize = 80;
        let text = String::from_utf8_lossy(value);
        if text.chars().count() <= MAX {
            text.into_owned()
        } else {
            let head: String = text.chars().take(MAX).collect();
            format!("{head}... ({} bytes)", value.len())
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.row_group {
            Some(group) => write!(f, "{}: row group {group}, row {}:", self.source_name, self.line)?,
            None => write!(f, "{}:{}:", self.source_name, self.line)?,
        }
        if let Some(column) = &self.column {
            write!(f, " column {column}:")?;
        }
        write!(f, " {}", self.reason)?;
        if let Some(value) = &self.value {
            write!(f, " (value {value:?})")?;
        }
        Ok(())
    }
}

impl From<InputError> for Error {
    fn from(e: InputError) -> Self {
        Error::Input(Box::new(e))
    }
}

impl From<sled::Error> for Error {
    fn from(e: sled::Error) -> Self {
        Error::Engine(e.to_string())
    }
}

impl Error {
    /// Wraps an I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }

    pub(crate) fn corrupt(what: impl Into<String>, detail: impl Into<String>) -> Self {
        Error::Corrupt { what: what.into(), detail: detail.into() }
    }

    /// An [`Error::InvalidArgument`] naming the parameter, its value and why it cannot be used.
    pub fn invalid(parameter: impl Into<String>, value: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidArgument { parameter: parameter.into(), value: value.into(), reason: reason.into() }
    }

    /// An [`Error::Needs`]: `by` needs `need`.
    pub fn needs(by: impl Into<String>, need: Need) -> Self {
        Error::Needs { by: by.into(), need }
    }

    /// The kind of error, to branch on.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Input(_) | Error::InputFormat { .. } => ErrorKind::Input,
            Error::NotAStore { .. } => ErrorKind::NotAStore,
            Error::UnsupportedVersion { .. } => ErrorKind::UnsupportedVersion,
            Error::Locked { .. } | Error::Changing { .. } => ErrorKind::StoreBusy,
            Error::Corrupt { .. } => ErrorKind::Corrupt,
            Error::Io { .. } | Error::Engine(_) => ErrorKind::Io,
            Error::InvalidArgument { .. } => ErrorKind::InvalidArgument,
            Error::Limit(_) => ErrorKind::Limit,
            Error::Fit { .. } => ErrorKind::NotIdentified,
            Error::Numeric(_) => ErrorKind::Numeric,
            Error::Needs { .. } => ErrorKind::Missing,
        }
    }

    /// The library parameter an [`Error::InvalidArgument`] names (`"ValueOptions::horizon"`), or
    /// what needed something the store lacks ([`Error::Needs`]); `None` for other errors.
    pub fn parameter(&self) -> Option<&str> {
        match self {
            Error::InvalidArgument { parameter, .. } => Some(parameter),
            Error::Needs { by, .. } => Some(by),
            _ => None,
        }
    }

    /// True when the error is about the user's input data (a bad row or an unusable file).
    pub fn is_input(&self) -> bool {
        self.kind() == ErrorKind::Input
    }

    /// True when the error is about the store directory itself (not a store, wrong version, locked
    /// or changing under a multi-snapshot read).
    pub fn is_store(&self) -> bool {
        matches!(self.kind(), ErrorKind::NotAStore | ErrorKind::UnsupportedVersion | ErrorKind::StoreBusy)
    }

    /// True when the error is a broken pipe, which a CLI treats as a normal end (`retention ... | head`).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_error_names_file_line_column_and_value() {
        let e = Error::from(InputError {
            source_name: "orders.csv".into(),
            line: 42,
            row_group: None,
            column: Some("amount".into()),
            value: Some("12,50".into()),
            reason: "invalid amount".into(),
        });
        assert_eq!(e.to_string(), "orders.csv:42: column amount: invalid amount (value \"12,50\")");
        assert!(e.is_input());
        assert_eq!(e.kind(), ErrorKind::Input);
    }

    #[test]
    fn long_values_are_shortened() {
        let long = vec![b'x'; 10_000];
        let s = InputError::shorten(&long);
        assert!(s.len() < 120, "{s}");
        assert!(s.ends_with("(10000 bytes)"));
        assert_eq!(InputError::shorten(b"short"), "short");
    }
}

/// What a user can do about a fit that was refused or warned about: data, so that the CLI can
/// write the exact command and a service can act on it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum NextStep {
    /// Fit this model instead (its `ModelKind::key`: `bgnbd`, `mbgnbd`, `pnbd`): it describes this
    /// data's shape, or needs less of it.
    OtherModel {
        /// The model's key.
        model: String,
    },
    /// Add an L2 penalty of this weight on the log-parameters, which pulls weakly identified
    /// parameters towards 1 instead of letting them wander.
    Penalty {
        /// The weight.
        weight: f64,
    },
    /// Fit as of a later day: a longer calibration period shows more purchases and dropouts.
    LaterAsOf,
    /// Fit as of an earlier day, keeping the rest as a holdout to check the model against.
    EarlierAsOf,
    /// Use a finer time unit (days instead of weeks): purchases in one week are told apart.
    FinerUnit,
}
