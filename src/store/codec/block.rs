//! Customer blocks: the unit stored under one key. A block holds the records of a run of consecutive
//! customer ids behind a version byte and an offset table, so one customer is found without decoding
//! its neighbours and an unchanged neighbour is copied as raw bytes when the block is rewritten.

use super::varint::{DecodeError, DecodeResult, Reader, put_u64};

/// Layout version of a block value (its first byte).
pub(crate) const BLOCK_VERSION: u8 = 1;

/// A validated view of a block's bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BlockView<'a> {
    count: u32,
    offsets: &'a [u8],
    records: &'a [u8],
}

impl<'a> BlockView<'a> {
    pub(crate) fn parse(bytes: &'a [u8]) -> DecodeResult<BlockView<'a>> {
        let mut r = Reader::new(bytes);
        if r.u8()? != BLOCK_VERSION {
            return Err(DecodeError::Invalid("unknown block version"));
        }
        let count = r.u32()?;
        let offsets = r.bytes((count as usize).checked_mul(4).ok_or(DecodeError::Truncated)?)?;
        let records = &bytes[r.position()..];
        let view = BlockView { count, offsets, records };
        let mut prev = 0u32;
        for i in 0..count as usize {
            let end = view.end(i);
            if end < prev {
                return Err(DecodeError::Invalid("block offsets not ascending"));
            }
            prev = end;
        }
        if prev as usize != records.len() {
            return Err(DecodeError::Invalid("block offsets do not cover its records"));
        }
        Ok(view)
    }

    /// Number of customer records in the block.
    pub(crate) fn len(&self) -> u32 {
        self.count
    }

    fn end(&self, i: usize) -> u32 {
        let b = &self.offsets[i * 4..i * 4 + 4];
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }

    /// The encoded record at position `i` (0-based within the block), if present.
    pub(crate) fn record(&self, i: u32) -> Option<&'a [u8]> {
        if i >= self.count {
            return None;
        }
        let start = if i == 0 { 0 } else { self.end(i as usize - 1) as usize };
        Some(&self.records[start..self.end(i as usize) as usize])
    }
}

/// Assembles a block from encoded records, appended in id order.
#[derive(Default)]
pub(crate) struct BlockBuilder {
    records: Vec<u8>,
    ends: Vec<u32>,
}

impl BlockBuilder {
    pub(crate) fn new() -> Self {
        BlockBuilder::default()
    }

    /// Buffer to append the next record's bytes to; call [`BlockBuilder::end_record`] after.
    pub(crate) fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.records
    }

    pub(crate) fn end_record(&mut self) {
        self.ends.push(self.records.len() as u32);
    }

    pub(crate) fn push_raw(&mut self, record: &[u8]) {
        self.records.extend_from_slice(record);
        self.end_record();
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 5 + self.ends.len() * 4 + self.records.len());
        out.push(BLOCK_VERSION);
        put_u64(&mut out, self.ends.len() as u64);
        for end in &self.ends {
            out.extend_from_slice(&end.to_le_bytes());
        }
        out.extend_from_slice(&self.records);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes_and_lookup() {
        let mut b = BlockBuilder::new();
        b.push_raw(b"abc");
        b.push_raw(b"");
        b.push_raw(b"de");
        let bytes = b.finish();
        assert_eq!(bytes, [1, 3, 3, 0, 0, 0, 3, 0, 0, 0, 5, 0, 0, 0, b'a', b'b', b'c', b'd', b'e']);
        let v = BlockView::parse(&bytes).unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v.record(0), Some(&b"abc"[..]));
        assert_eq!(v.record(1), Some(&b""[..]));
        assert_eq!(v.record(2), Some(&b"de"[..]));
        assert_eq!(v.record(3), None);
    }

    #[test]
    fn bad_blocks_are_errors() {
        assert!(BlockView::parse(&[]).is_err());
        assert!(BlockView::parse(&[2, 0]).is_err());
        assert!(BlockView::parse(&[1, 1, 9, 0, 0, 0, b'x']).is_err());
        assert!(BlockView::parse(&[1, 2, 2, 0, 0, 0, 1, 0, 0, 0, b'x', b'y']).is_err());
        assert!(BlockView::parse(&[1, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
        assert!(BlockView::parse(&[1, 0]).is_ok());
    }
}
