//! The spool between the two passes of an ingest: one compact row per valid input row, keyed by
//! internal customer id. Rows stay in memory up to a budget; beyond it they are sorted and spilled as
//! runs to temporary files, and the commit pass merges the runs back in (customer, order) order.
//! Memory is bounded by the budget whatever the size of the input.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use rayon::slice::ParallelSliceMut;

use crate::error::{Error, Result};

/// Category value of a row that had none.
pub(crate) const NO_CATEGORY: u32 = u32::MAX;

/// What a row says about its order ([`SpoolRow::kind`]): an order line whose amount is summed
/// (the generic layouts), the order's own net total (a platform export's order-level row, no
/// category), a platform line that gives a category and, in its `amount`, its line value by
/// which the order's total is shared among the categories (`PART`: an order of nothing but
/// parts, its order row rejected or in a file not read, is left alone and counted as
/// incomplete, not stored at 0), or that the order is excluded (a cancelled, voided, failed, unfinished, test or
/// other-currency order: not stored, and removed from the store if an earlier export put it
/// there), `EXCLUDED + reason`.
pub(crate) const LINE: u8 = 0;
pub(crate) const TOTAL: u8 = 1;
pub(crate) const PART: u8 = 2;
pub(crate) const EXCLUDED: u8 = 3;

/// One valid input row, resolved to internal ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SpoolRow {
    /// Order fingerprint, or the row's content key when `auto` (no order id).
    pub key: u64,
    pub amount: i64,
    pub id: u32,
    pub category: u32,
    pub day: i32,
    pub auto: bool,
    /// [`LINE`], [`TOTAL`], [`PART`] or [`EXCLUDED`] + an [`Exclusion`](super::Exclusion) index.
    pub kind: u8,
}

// 30 bytes on disk, 32 in memory: a platform line's weight rides in `amount` rather than in a
// field of its own, which would make every row of every ingest a quarter larger to sort.
const ROW_BYTES: usize = 30;

impl SpoolRow {
    fn sort_key(&self) -> (u32, u64, bool) {
        (self.id, self.key, self.auto)
    }

    fn write(&self, out: &mut [u8; ROW_BYTES]) {
        out[0..8].copy_from_slice(&self.key.to_le_bytes());
        out[8..16].copy_from_slice(&self.amount.to_le_bytes());
        out[16..20].copy_from_slice(&self.id.to_le_bytes());
        out[20..24].copy_from_slice(&self.category.to_le_bytes());
        out[24..28].copy_from_slice(&self.day.to_le_bytes());
        out[28] = self.auto as u8;
        out[29] = self.kind;
    }

    fn read(b: &[u8; ROW_BYTES]) -> SpoolRow {
        let u64_at =
            |i: usize| u64::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], b[i + 6], b[i + 7]]);
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        SpoolRow {
            key: u64_at(0),
            amount: u64_at(8) as i64,
            id: u32_at(16),
            category: u32_at(20),
            day: u32_at(24) as i32,
            auto: b[28] != 0,
            kind: b[29],
        }
    }
}

/// Rows of pass 1, in memory and in spilled runs.
pub(crate) struct Spool {
    rows: Vec<SpoolRow>,
    limit: usize,
    runs: Vec<File>,
    spilled: u64,
}

impl Spool {
    /// A spool that keeps at most `budget_bytes` of rows in memory.
    pub(crate) fn new(budget_bytes: usize) -> Spool {
        let limit = (budget_bytes / std::mem::size_of::<SpoolRow>()).max(1024);
        Spool { rows: Vec::new(), limit, runs: Vec::new(), spilled: 0 }
    }

    #[inline]
    pub(crate) fn push(&mut self, row: SpoolRow) -> Result<()> {
        self.rows.push(row);
        if self.rows.len() >= self.limit {
            self.spill()?;
        }
        Ok(())
    }

    /// Rows spooled so far.
    pub(crate) fn len(&self) -> u64 {
        self.spilled + self.rows.len() as u64
    }

    /// Runs written to temporary files so far.
    pub(crate) fn runs(&self) -> usize {
        self.runs.len()
    }

    fn spill(&mut self) -> Result<()> {
        let io = |e| Error::io("writing the ingest spool to a temporary file", e);
        self.rows.par_sort_unstable_by_key(SpoolRow::sort_key);
        let file = tempfile::tempfile().map_err(io)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let mut buf = [0u8; ROW_BYTES];
        for r in &self.rows {
            r.write(&mut buf);
            w.write_all(&buf).map_err(io)?;
        }
        let mut file = w.into_inner().map_err(|e| io(e.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        self.runs.push(file);
        self.spilled += self.rows.len() as u64;
        self.rows.clear();
        Ok(())
    }

    /// Sorts what is in memory and returns every row in (customer, key) order.
    pub(crate) fn into_sorted(mut self) -> Result<Sorted> {
        self.rows.par_sort_unstable_by_key(SpoolRow::sort_key);
        let mut runs = Vec::with_capacity(self.runs.len());
        let mut heap = BinaryHeap::new();
        for file in self.runs {
            let mut run = Run { reader: BufReader::with_capacity(1 << 18, file) };
            if let Some(row) = run.next()? {
                heap.push(Reverse(HeapItem { row, run: runs.len() }));
            }
            runs.push(run);
        }
        Ok(Sorted { memory: self.rows, at: 0, runs, heap })
    }
}

struct Run {
    reader: BufReader<File>,
}

impl Run {
    fn next(&mut self) -> Result<Option<SpoolRow>> {
        let mut buf = [0u8; ROW_BYTES];
        match self.reader.read_exact(&mut buf) {
            Ok(()) => Ok(Some(SpoolRow::read(&buf))),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(Error::io("reading the ingest spool back", e)),
        }
    }
}

#[derive(PartialEq, Eq)]
struct HeapItem {
    row: SpoolRow,
    run: usize,
}

impl Ord for HeapItem {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.row.sort_key().cmp(&other.row.sort_key()).then(self.run.cmp(&other.run))
    }
}

impl PartialOrd for HeapItem {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// All spooled rows in (customer, key) order: the in-memory rows merged with the spilled runs.
pub(crate) struct Sorted {
    memory: Vec<SpoolRow>,
    at: usize,
    runs: Vec<Run>,
    heap: BinaryHeap<Reverse<HeapItem>>,
}

impl Sorted {
    /// The customer id of the next row, if any.
    pub(crate) fn peek_id(&self) -> Option<u32> {
        let mem = self.memory.get(self.at).map(|r| r.id);
        let run = self.heap.peek().map(|Reverse(item)| item.row.id);
        match (mem, run) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Moves the rows of customers with id below `end` into `out` (appending), in order.
    pub(crate) fn take_below(&mut self, end: u64, out: &mut Vec<SpoolRow>) -> Result<()> {
        if self.runs.is_empty() {
            let rest = &self.memory[self.at..];
            let n = rest.partition_point(|r| (r.id as u64) < end);
            out.extend_from_slice(&rest[..n]);
            self.at += n;
            return Ok(());
        }
        loop {
            let mem = self.memory.get(self.at).filter(|r| (r.id as u64) < end);
            let run = self.heap.peek().map(|Reverse(item)| item.row).filter(|r| (r.id as u64) < end);
            match (mem, run) {
                (None, None) => return Ok(()),
                (Some(m), Some(r)) if m.sort_key() <= r.sort_key() => {
                    out.push(*m);
                    self.at += 1;
                }
                (Some(m), None) => {
                    out.push(*m);
                    self.at += 1;
                }
                (_, Some(_)) => {
                    let Some(Reverse(item)) = self.heap.pop() else { return Ok(()) };
                    out.push(item.row);
                    if let Some(next) = self.runs[item.run].next()? {
                        self.heap.push(Reverse(HeapItem { row: next, run: item.run }));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: u32, key: u64) -> SpoolRow {
        SpoolRow {
            key,
            amount: key as i64 - 50,
            id,
            category: NO_CATEGORY,
            day: -3,
            auto: key.is_multiple_of(2),
            kind: (key % 3) as u8,
        }
    }

    #[test]
    fn row_bytes_round_trip() {
        let r = SpoolRow { key: u64::MAX - 3, amount: i64::MIN, id: 7, category: 9, day: -25_000, auto: true, kind: 7 };
        let mut b = [0u8; ROW_BYTES];
        r.write(&mut b);
        assert_eq!(SpoolRow::read(&b), r);
    }

    #[test]
    fn spilled_and_memory_rows_merge_in_order() {
        let mut spool = Spool::new(0); // limit 1024 rows: forces several runs
        let mut expected = Vec::new();
        for i in 0..5_000u64 {
            let r = row(((i * 7919) % 613) as u32, i);
            expected.push(r);
            spool.push(r).unwrap();
        }
        assert!(spool.runs() >= 4);
        assert_eq!(spool.len(), 5_000);
        expected.sort_by_key(SpoolRow::sort_key);
        let mut sorted = spool.into_sorted().unwrap();
        let mut got = Vec::new();
        for end in [0u64, 1, 100, 300, 612, 613, 10_000] {
            sorted.take_below(end, &mut got).unwrap();
            assert!(got.iter().all(|r| (r.id as u64) < end.max(1)));
        }
        assert_eq!(got, expected);
    }
}
