//! Id-map buckets: external customer id → internal id, grouped by the top bits of the id's hash so
//! a million customers take thousands of keys, not a million (per-key cost dominates in sled).

use super::varint::{DecodeError, DecodeResult, Reader, put_u64};

/// Layout version of a bucket value.
pub(crate) const BUCKET_VERSION: u8 = 1;

/// One id-map entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry<'a> {
    pub hash: u64,
    pub id: u64,
    pub name: &'a [u8],
}

/// Encodes entries, which must be sorted by (hash, name).
pub(crate) fn encode(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + entries.iter().map(|e| 11 + e.name.len()).sum::<usize>());
    out.push(BUCKET_VERSION);
    put_u64(&mut out, entries.len() as u64);
    for e in entries {
        out.extend_from_slice(&e.hash.to_le_bytes());
        put_u64(&mut out, e.id);
        put_u64(&mut out, e.name.len() as u64);
        out.extend_from_slice(e.name);
    }
    out
}

/// Iterates a bucket's entries, validating as it goes.
pub(crate) fn decode(bytes: &[u8]) -> DecodeResult<impl Iterator<Item = DecodeResult<Entry<'_>>>> {
    let mut r = Reader::new(bytes);
    if r.u8()? != BUCKET_VERSION {
        return Err(DecodeError::Invalid("unknown id bucket version"));
    }
    let count = r.u64()?;
    if count > r.remaining() as u64 / 10 {
        return Err(DecodeError::Invalid("id bucket count exceeds its size"));
    }
    let mut left = count;
    Ok(std::iter::from_fn(move || {
        if left == 0 {
            // Report trailing bytes once, then end: an iterator that kept yielding the error would
            // never finish for a caller that collects errors instead of stopping at the first.
            let trailing = !r.is_empty();
            r = Reader::new(&[]);
            return trailing.then_some(Err(DecodeError::Invalid("trailing bytes after id bucket")));
        }
        left -= 1;
        let entry = (|| {
            let hash = r.u64_le()?;
            let id = r.u64()?;
            let len = r.len()?;
            Ok(Entry { hash, id, name: r.bytes(len)? })
        })();
        if entry.is_err() {
            left = 0;
            r = Reader::new(&[]);
        }
        Some(entry)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes_and_round_trip() {
        let entries = [Entry { hash: 1, id: 5, name: b"ab" }, Entry { hash: 0x0200, id: 300, name: b"" }];
        let bytes = encode(&entries);
        assert_eq!(bytes, [1, 2, 1, 0, 0, 0, 0, 0, 0, 0, 5, 2, b'a', b'b', 0, 2, 0, 0, 0, 0, 0, 0, 0xac, 0x02, 0]);
        let back: Vec<_> = decode(&bytes).unwrap().map(Result::unwrap).collect();
        assert_eq!(back, entries);
    }

    #[test]
    fn trailing_bytes_are_one_error_and_the_end() {
        let items: Vec<_> = decode(&[1, 0, 0]).unwrap().take(3).collect();
        assert_eq!(items.len(), 1);
        assert!(items[0].is_err());
    }

    #[test]
    fn corrupt_buckets_are_errors() {
        let bytes = encode(&[Entry { hash: 1, id: 5, name: b"ab" }]);
        for cut in 1..bytes.len() {
            let all_ok = decode(&bytes[..cut]).map(|mut it| it.all(|e| e.is_ok())).unwrap_or(false);
            assert!(!all_ok, "prefix {cut} decoded cleanly");
        }
        let mut extra = bytes.clone();
        extra.push(7);
        assert!(decode(&extra).unwrap().any(|e| e.is_err()));
        assert!(decode(&[9]).is_err());
    }
}
