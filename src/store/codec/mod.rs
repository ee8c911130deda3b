//! The byte layouts of the store's values. Hot values (customer blocks and records, id buckets)
//! have hand-written layouts that scans can skip through; structured values (the metadata, saved
//! results' headers and models) go through bincode behind a version byte. A few small layouts live
//! with their owners: the block table (`meta.rs`), category names (`categories.rs`), cell blocks
//! (`saved.rs`) and the marker file (`open.rs`); `docs/format.md` describes every one. Decoding is
//! size-limited and never panics, and golden-byte tests pin the hot layouts.

pub(crate) mod block;
pub(crate) mod bucket;
pub(crate) mod fingerprint;
pub(crate) mod record;
pub(crate) mod varint;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Upper bound on a bincode-encoded value; metadata is tiny, so anything larger is corruption.
const VALUE_LIMIT: usize = 1 << 20;

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<VALUE_LIMIT>()
}

/// Encodes `value` with bincode behind the version byte `version`.
pub(crate) fn encode_value<T: Serialize>(version: u8, value: &T) -> Result<Vec<u8>> {
    let mut out = vec![version];
    bincode::serde::encode_into_std_write(value, &mut out, config())
        .map_err(|e| Error::Engine(format!("encoding a stored value: {e}")))?;
    Ok(out)
}

/// Decodes a value written by [`encode_value`] with the same `version`; `what` names it in errors.
pub(crate) fn decode_value<T: DeserializeOwned>(version: u8, bytes: &[u8], what: &str) -> Result<T> {
    match bytes.split_first() {
        Some((&v, body)) if v == version => {
            let (value, used) =
                bincode::serde::decode_from_slice(body, config()).map_err(|e| Error::corrupt(what, e.to_string()))?;
            if used != body.len() {
                return Err(Error::corrupt(what, "trailing bytes"));
            }
            Ok(value)
        }
        Some((&v, _)) => Err(Error::corrupt(what, format!("unknown value version {v}, expected {version}"))),
        None => Err(Error::corrupt(what, "empty value")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Sample {
        a: u32,
        b: String,
    }

    #[test]
    fn golden_bytes_and_errors() {
        let v = Sample { a: 300, b: "hi".into() };
        let bytes = encode_value(1, &v).unwrap();
        // version, varint 300 (bincode standard: 251 prefix + u16 LE), string length, bytes
        assert_eq!(bytes, [1, 251, 44, 1, 2, b'h', b'i']);
        assert_eq!(decode_value::<Sample>(1, &bytes, "t").unwrap(), v);
        let mut long = bytes.clone();
        long.push(0);
        for (version, bad) in [(2, &bytes[..]), (1, &bytes[..4]), (1, &[][..]), (1, &long[..])] {
            let e = decode_value::<Sample>(version, bad, "t").unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Corrupt, "{bad:?}: {e}");
        }
    }
}
