//! Parallel scans: the block key range is cut into contiguous shards that rayon scans side by side,
//! each with its own accumulator, so a full pass over millions of customers uses every core and
//! returns results in id order.

use rayon::prelude::*;

use super::Snapshot;
use super::codec::block::BlockView;
use super::codec::record::RecordView;
use super::engine::Engine;
use super::keys;
use crate::error::{Error, Result};

/// Shards per thread: enough to even out uneven blocks, few enough to keep per-shard cost small.
const SHARDS_PER_THREAD: u64 = 4;

impl Snapshot {
    /// Folds every customer record of this snapshot into per-shard accumulators, in parallel. The
    /// returned accumulators are in id order (shard 0 holds the lowest ids).
    pub(crate) fn fold_records<A, I, F>(&self, init: I, fold: F) -> Result<Vec<A>>
    where
        A: Send,
        I: Fn() -> A + Sync,
        F: Fn(&mut A, u32, RecordView<'_>) -> Result<()> + Sync,
    {
        let meta = self.meta();
        let blocks = meta.block_count();
        let shards = (rayon::current_num_threads() as u64 * SHARDS_PER_THREAD).clamp(1, blocks.max(1));
        let engine = self.engine();
        (0..shards)
            .into_par_iter()
            .map(|s| {
                let (start, end) = (blocks * s / shards, blocks * (s + 1) / shards);
                let mut acc = init();
                let mut expected = start;
                let (first_key, end_key) = keys::block_range(start, end);
                for kv in engine.range(&first_key, &end_key) {
                    let (key, value) = kv?;
                    let (b, generation) = keys::block_of(key.as_ref()).unwrap_or((u64::MAX, 0));
                    // Other versions of a block: a write not committed (or committed after this
                    // snapshot), or values an older snapshot may still read.
                    if generation != meta.blocks.get(b) {
                        continue;
                    }
                    let what = || format!("customer block {b}");
                    if b != expected {
                        return Err(Error::corrupt(format!("customer block {expected}"), "block is missing"));
                    }
                    expected += 1;
                    let view = BlockView::parse(value.as_ref()).map_err(|e| Error::corrupt(what(), e.to_string()))?;
                    let first = b * meta.block_size as u64;
                    let visible = meta.next_id.saturating_sub(first).min(meta.block_size as u64) as u32;
                    if view.len() < visible {
                        return Err(Error::corrupt(what(), "block holds fewer customers than committed"));
                    }
                    for i in 0..visible {
                        let bytes = view.record(i).unwrap_or_default();
                        let record = RecordView::parse(bytes)
                            .map_err(|e| Error::corrupt(format!("customer {}", first + i as u64), e.to_string()))?;
                        fold(&mut acc, (first + i as u64) as u32, record)?;
                    }
                }
                if expected != end {
                    return Err(Error::corrupt(format!("customer block {expected}"), "block is missing"));
                }
                Ok(acc)
            })
            .collect()
    }
}
