//! Cuts an input stream into chunks that end on record boundaries, so chunks can be parsed on
//! different threads. For CSV the cut respects quotes (a quoted field may hold a newline); each chunk
//! knows the line number it starts on, so errors still name the right line.

use std::io::Read;

use memchr::{memchr, memchr_iter, memchr2_iter, memrchr};

use crate::error::{Error, Result};

/// Bytes read per chunk.
pub(crate) const CHUNK_BYTES: usize = 1 << 20;
/// The longest record accepted. Longer ones are almost always a wrong delimiter or a binary file,
/// and refusing them keeps memory bounded.
pub(crate) const MAX_RECORD_BYTES: usize = 8 << 20;

/// A run of whole records.
pub(crate) struct Chunk {
    pub data: Vec<u8>,
    /// 1-based line number of the chunk's first byte.
    pub first_line: u64,
}

pub(crate) struct Chunker<R> {
    reader: R,
    source: String,
    carry: Vec<u8>,
    next_line: u64,
    eof: bool,
    quoted: bool,
    started: bool,
    bytes_read: u64,
}

impl<R: Read> Chunker<R> {
    /// `quoted`: whether `"` starts a quoted field (CSV), so newlines inside quotes are not cuts.
    pub(crate) fn new(reader: R, source: &str, quoted: bool) -> Self {
        Chunker {
            reader,
            source: source.to_string(),
            carry: Vec::new(),
            next_line: 1,
            eof: false,
            quoted,
            started: false,
            bytes_read: 0,
        }
    }

    /// Bytes read from the input so far.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    fn fill(&mut self, want: usize) -> Result<()> {
        while self.carry.len() < want && !self.eof {
            let old = self.carry.len();
            self.carry.resize(want.max(old + 4096), 0);
            let n = loop {
                match self.reader.read(&mut self.carry[old..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.carry.truncate(old);
                        return Err(Error::io(format!("reading {}", self.source), e));
                    }
                }
            };
            self.carry.truncate(old + n);
            self.bytes_read += n as u64;
            if n == 0 {
                self.eof = true;
            }
        }
        if !self.started && !self.carry.is_empty() {
            self.started = true;
            if self.carry.starts_with(b"\xEF\xBB\xBF") {
                self.carry.drain(..3);
            }
        }
        Ok(())
    }

    /// End (exclusive) of the last complete record in `buf`, if any.
    fn last_boundary(&self, buf: &[u8]) -> Option<usize> {
        if !self.quoted || memchr(b'"', buf).is_none() {
            return memrchr(b'\n', buf).map(|i| i + 1);
        }
        let mut inside = false;
        let mut last = None;
        for i in memchr2_iter(b'"', b'\n', buf) {
            if buf[i] == b'"' {
                inside = !inside;
            } else if !inside {
                last = Some(i + 1);
            }
        }
        last
    }

    /// The next chunk, or `None` at the end of the input.
    pub(crate) fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        let mut want = CHUNK_BYTES;
        loop {
            self.fill(want)?;
            if self.carry.is_empty() {
                return Ok(None);
            }
            let cut = if self.eof { Some(self.carry.len()) } else { self.last_boundary(&self.carry) };
            if let Some(cut) = cut {
                let rest = self.carry[cut..].to_vec();
                let mut data = std::mem::replace(&mut self.carry, rest);
                data.truncate(cut);
                let first_line = self.next_line;
                self.next_line += memchr_iter(b'\n', &data).count() as u64;
                return Ok(Some(Chunk { data, first_line }));
            }
            if self.carry.len() >= MAX_RECORD_BYTES {
                return Err(Error::InputFormat {
                    source_name: self.source.clone(),
                    reason: format!(
                        "line {}: a record longer than {} MiB (an unclosed quote, a wrong delimiter or a binary file?)",
                        self.next_line,
                        MAX_RECORD_BYTES >> 20
                    ),
                });
            }
            want = (self.carry.len() * 2).min(MAX_RECORD_BYTES);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(input: &[u8], quoted: bool) -> Vec<(u64, Vec<u8>)> {
        let mut c = Chunker::new(input, "t", quoted);
        let mut out = Vec::new();
        while let Some(ch) = c.next_chunk().unwrap() {
            out.push((ch.first_line, ch.data));
        }
        out
    }

    #[test]
    fn cuts_on_record_boundaries_and_counts_lines() {
        let mut input = Vec::new();
        for i in 0..200_000 {
            input.extend_from_slice(format!("c{i},\"a\nb\",{i}\n").as_bytes());
        }
        let got = chunks(&input, true);
        assert!(got.len() > 1);
        let mut line = 1;
        let mut joined = Vec::new();
        for (first, data) in &got {
            assert_eq!(*first, line);
            assert!(data.starts_with(b"c"), "chunk starts mid-record");
            line += memchr_iter(b'\n', data).count() as u64;
            joined.extend_from_slice(data);
        }
        assert_eq!(joined, input);
    }

    #[test]
    fn strips_bom_and_keeps_unterminated_last_line() {
        assert_eq!(chunks(b"\xEF\xBB\xBFa,b\nc,d", false), vec![(1, b"a,b\nc,d".to_vec())]);
        assert!(chunks(b"", false).is_empty());
    }

    #[test]
    fn overlong_record_is_an_error() {
        let input = vec![b'x'; MAX_RECORD_BYTES + 10];
        let mut c = Chunker::new(&input[..], "big.csv", true);
        let e = c.next_chunk().err().expect("must fail");
        assert!(e.to_string().contains("big.csv: line 1: a record longer than"), "{e}");
    }
}
