//! Saved results: what an analysis keeps in the store to answer later without a scan. A result has
//! a name, a value (a model, a header: bytes the analysis encodes and decodes itself) and
//! optionally a fixed-width cell per customer, stored in blocks aligned with the customer blocks so
//! one customer's cell is one read. Each save is one transaction (see `generation`) that replaces
//! the result of the same name; the store knows bytes, never what an analysis put in them.

use super::engine::{Engine, WriteBatch};
use super::generation::{Transaction, Written};
use super::meta::Meta;
use super::{Snapshot, Store, keys};
use crate::error::{Error, Result};

/// Layout version of a block of cells: the byte, then the save's generation (u64 LE), then
/// `block_size` cells.
const CELLS_VERSION: u8 = 1;
const CELLS_HEADER: usize = 9;
/// Cell blocks per batch (large sled batches balloon memory; point reads wait on a batch).
const BLOCKS_PER_BATCH: usize = 64;

/// One fixed-width cell per customer, filled block by block.
pub(crate) struct Cells<'a> {
    /// Bytes per customer. A cell of zeros reads as "no value" ([`Snapshot::saved_cell`]).
    pub width: usize,
    /// Fills the cells of block `b` (customers `b * block_size ..`): `out` holds `block_size`
    /// cells of zeros.
    pub fill: &'a mut dyn FnMut(u64, &mut [u8]) -> Result<()>,
}

impl Store {
    /// Saves `value` (and `cells`, if given) as the result `name`, replacing the one saved before.
    /// `check` sees the committed metadata first and may refuse (results computed for another
    /// store). Returns when the save is durable.
    pub(crate) fn save_result(
        &self,
        name: &str,
        value: &[u8],
        cells: Option<Cells<'_>>,
        check: impl FnOnce(&Snapshot) -> Result<()>,
    ) -> Result<()> {
        let _guard = self.inner().write_lock.lock().unwrap_or_else(|p| p.into_inner());
        self.settle()?;
        check(&self.snapshot())?;
        let result = self.write_result(name, value, cells);
        self.after_write(result)
    }

    fn write_result(&self, name: &str, value: &[u8], cells: Option<Cells<'_>>) -> Result<Meta> {
        let meta = self.meta();
        let mut txn = Transaction::begin(&self.inner().engine, &meta)?;
        let g = txn.generation();
        let (start, end) = keys::cells_range(g);
        let mut written = vec![Written::Created(keys::saved_value(name, g)), Written::CreatedRange(start, end)];
        if let Some(old) = meta.saved(name) {
            written.push(Written::Replaced(keys::saved_value(name, old)));
            // A generation's cells are its own save's; format 3's (generation 0) are the scores'
            // only: replacing format 3's model must not take them.
            if old != 0 || name == keys::LEGACY_SCORES {
                let (start, end) = keys::cells_range(old);
                written.push(Written::ReplacedRange(start, end));
            }
        }
        let mut batch = WriteBatch::default();
        if let Some(Cells { width, fill }) = cells {
            let per_block = width * meta.block_size as usize;
            for b in 0..meta.block_count() {
                let mut block = vec![0u8; CELLS_HEADER + per_block];
                block[0] = CELLS_VERSION;
                block[1..CELLS_HEADER].copy_from_slice(&u64::from(g).to_le_bytes());
                fill(b, &mut block[CELLS_HEADER..])?;
                batch.put(keys::cells(g, b), block);
                if batch.len() >= BLOCKS_PER_BATCH {
                    txn.apply(std::mem::take(&mut batch), &std::mem::take(&mut written))?;
                }
            }
        }
        batch.put(keys::saved_value(name, g), value.to_vec());
        txn.apply(batch, &written)?;
        let mut next = (*meta).clone();
        next.set_saved(name, g);
        txn.commit(next)
    }
}

impl Snapshot {
    /// The value of the result `name` as of this snapshot.
    pub(crate) fn saved_value(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let Some(g) = self.meta().saved(name) else { return Ok(None) };
        match self.engine().get(&keys::saved_value(name, g))? {
            Some(v) => Ok(Some(v.as_ref().to_vec())),
            None => Err(Error::corrupt(format!("saved {name}"), "missing though the metadata names it")),
        }
    }

    /// Customer `id`'s cell of the result `name` (`width` bytes), or `None` when the result has no
    /// cells for it (a customer newer than the save, or a cell of zeros). `legacy_stamp` is the
    /// save number a format-3 save wrote into its value: its blocks carry it, and one that does not
    /// (left by a format-3 save a crash interrupted) holds no valid cell.
    pub(crate) fn saved_cell(&self, name: &str, id: u64, width: usize, legacy_stamp: u64) -> Result<Option<Vec<u8>>> {
        let meta = self.meta();
        let Some(g) = meta.saved(name) else { return Ok(None) };
        let b = meta.block_of(id);
        let Some(block) = self.engine().get(&keys::cells(g, b))? else { return Ok(None) };
        let block = block.as_ref();
        let corrupt = |detail: &str| Error::corrupt(format!("saved {name} of block {b}"), detail);
        if block.first() != Some(&CELLS_VERSION) || block.len() < CELLS_HEADER {
            return Err(corrupt("unknown layout"));
        }
        let stored = u64::from_le_bytes(block[1..CELLS_HEADER].try_into().map_err(|_| corrupt("truncated"))?);
        if g == 0 && stored != legacy_stamp {
            return Ok(None); // format 3 wrote its header last: this block is from a save never finished
        }
        if g != 0 && stored != u64::from(g) {
            return Err(corrupt("the block belongs to another save"));
        }
        let at = CELLS_HEADER + width * (id - b * u64::from(meta.block_size)) as usize;
        match block.get(at..at + width) {
            Some(cell) if cell.iter().any(|&c| c != 0) => Ok(Some(cell.to_vec())),
            _ => Ok(None),
        }
    }
}
