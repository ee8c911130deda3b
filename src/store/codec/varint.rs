//! LEB128 varints, zig-zag signed varints and a bounds-checked byte reader: the primitives of the
//! record format. Every read is checked, so decoding arbitrary bytes returns an error and never panics.

/// Why a byte slice failed to decode. Turned into [`crate::Error::Corrupt`] by the caller, which
/// knows which record it was reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// The input ended in the middle of a value.
    Truncated,
    /// A varint ran past 10 bytes or past 64 bits.
    Overflow,
    /// A structurally invalid value (bad version, inconsistent counts, ...).
    Invalid(&'static str),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Truncated => f.write_str("value truncated"),
            DecodeError::Overflow => f.write_str("varint overflows 64 bits"),
            DecodeError::Invalid(what) => f.write_str(what),
        }
    }
}

pub(crate) type DecodeResult<T> = Result<T, DecodeError>;

/// Appends `v` as an unsigned LEB128 varint.
#[inline]
pub(crate) fn put_u64(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Maps signed to unsigned so small magnitudes of either sign stay short.
#[inline]
pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

#[inline]
pub(crate) fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Appends `v` as a zig-zag varint.
#[inline]
pub(crate) fn put_i64(out: &mut Vec<u8>, v: i64) {
    put_u64(out, zigzag(v));
}

/// A cursor over a byte slice whose every read is bounds-checked.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos == self.buf.len()
    }

    #[inline]
    pub(crate) fn u8(&mut self) -> DecodeResult<u8> {
        let b = *self.buf.get(self.pos).ok_or(DecodeError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    #[inline]
    pub(crate) fn bytes(&mut self, n: usize) -> DecodeResult<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(DecodeError::Truncated)?;
        let s = self.buf.get(self.pos..end).ok_or(DecodeError::Truncated)?;
        self.pos = end;
        Ok(s)
    }

    #[inline]
    pub(crate) fn u64_le(&mut self) -> DecodeResult<u64> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    #[inline]
    pub(crate) fn u64(&mut self) -> DecodeResult<u64> {
        // Fast path: most values in a purchase vector fit one or two bytes.
        let b0 = self.u8()?;
        if b0 < 0x80 {
            return Ok(b0 as u64);
        }
        let mut v = (b0 & 0x7f) as u64;
        let mut shift = 7;
        loop {
            let b = self.u8()?;
            if shift == 63 && b > 1 {
                return Err(DecodeError::Overflow);
            }
            v |= ((b & 0x7f) as u64) << shift;
            if b < 0x80 {
                // A zero final byte means a longer encoding than needed: refused so every value
                // has exactly one encoding and decoded records re-encode to the same bytes.
                if b == 0 {
                    return Err(DecodeError::Invalid("overlong varint"));
                }
                return Ok(v);
            }
            shift += 7;
            if shift > 63 {
                return Err(DecodeError::Overflow);
            }
        }
    }

    #[inline]
    pub(crate) fn i64(&mut self) -> DecodeResult<i64> {
        self.u64().map(unzigzag)
    }

    /// Reads a varint that must fit `u32`.
    #[inline]
    pub(crate) fn u32(&mut self) -> DecodeResult<u32> {
        u32::try_from(self.u64()?).map_err(|_| DecodeError::Invalid("count exceeds 32 bits"))
    }

    /// Reads a varint length and checks that many bytes could still follow.
    pub(crate) fn len(&mut self) -> DecodeResult<usize> {
        let n = self.u64()?;
        if n > self.remaining() as u64 {
            return Err(DecodeError::Truncated);
        }
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_encodings() {
        let mut out = Vec::new();
        put_u64(&mut out, 0);
        put_u64(&mut out, 127);
        put_u64(&mut out, 128);
        put_u64(&mut out, 300);
        assert_eq!(out, [0x00, 0x7f, 0x80, 0x01, 0xac, 0x02]);
        assert_eq!(zigzag(0), 0);
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
        assert_eq!(zigzag(i64::MIN), u64::MAX);
    }

    #[test]
    fn overlong_and_truncated_varints_are_errors() {
        assert_eq!(Reader::new(&[0x80]).u64(), Err(DecodeError::Truncated));
        assert_eq!(Reader::new(&[0xff; 11]).u64(), Err(DecodeError::Overflow));
        // 10th byte may only carry the top bit of a u64.
        let mut max = vec![0xff; 9];
        max.push(0x01);
        assert_eq!(Reader::new(&max).u64(), Ok(u64::MAX));
        max[9] = 0x02;
        assert_eq!(Reader::new(&max).u64(), Err(DecodeError::Overflow));
        assert_eq!(Reader::new(&[5]).len(), Err(DecodeError::Truncated));
        assert_eq!(Reader::new(&[0x80, 0x00]).u64(), Err(DecodeError::Invalid("overlong varint")));
        assert_eq!(Reader::new(&[0x81, 0x00]).u64(), Err(DecodeError::Invalid("overlong varint")));
    }

    proptest! {
        #[test]
        fn varints_round_trip(values in proptest::collection::vec(any::<i64>(), 0..50)) {
            let mut out = Vec::new();
            for &v in &values {
                put_i64(&mut out, v);
                put_u64(&mut out, v as u64);
            }
            let mut r = Reader::new(&out);
            for &v in &values {
                prop_assert_eq!(r.i64(), Ok(v));
                prop_assert_eq!(r.u64(), Ok(v as u64));
            }
            prop_assert!(r.is_empty());
        }
    }
}
