//! Settings files in TOML (segment rules, loyalty programmes): reading, parsing, and errors that
//! name the file, the line and the value, with money parsed in the store's currency.

use std::ops::Range;
use std::path::Path;

use serde::de::DeserializeOwned;
use toml::Spanned;

use crate::error::{Error, InputError, Result};
use crate::money::Currency;

/// The text of one settings file and the name its errors carry.
pub(crate) struct TomlFile<'a> {
    text: &'a str,
    name: &'a str,
}

impl<'a> TomlFile<'a> {
    pub(crate) fn new(text: &'a str, name: &'a str) -> Self {
        TomlFile { text, name }
    }

    /// Reads a settings file whole (they are small).
    pub(crate) fn read(path: &Path) -> Result<String> {
        std::fs::read_to_string(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))
    }

    /// Deserializes the file; a syntax or shape error carries its line.
    pub(crate) fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        toml::from_str(self.text).map_err(|e| self.error(e.span().unwrap_or(0..0), None, e.message().trim()))
    }

    /// An input error at the line holding byte `span.start`.
    pub(crate) fn error(&self, span: Range<usize>, value: Option<&str>, reason: impl Into<String>) -> Error {
        let line =
            self.text.as_bytes()[..span.start.min(self.text.len())].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        Error::from(InputError {
            source_name: self.name.to_string(),
            line,
            row_group: None,
            column: None,
            value: value.map(|v| InputError::shorten(v.as_bytes())),
            reason: reason.into(),
        })
    }

    /// An amount in `currency`, in minor units; an error names the line and the text.
    pub(crate) fn money(&self, currency: &Currency, s: &Spanned<String>) -> Result<i64> {
        currency
            .parse(s.get_ref())
            .map_err(|reason| self.error(s.span(), Some(s.get_ref()), format!("invalid amount: {reason}")))
    }
}
