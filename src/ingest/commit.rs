//! Pass 2 of an ingest: merge the sorted spool into the customer blocks and write them, as one
//! transaction (see `store::generation`).
//!
//! Order of writes: (1) new categories and id-map entries for new customers (ids at or above the
//! committed `next_id`, invisible until the commit); (2) every changed block under a new key of this
//! ingest's generation, beside the version readers use, in rounds of `BLOCKS_PER_ROUND` blocks;
//! (3) a flush, then the commit: one batch of metadata (new `next_id`, categories, generation and
//! block table), flushed. A crash before the commit batch lands leaves the store exactly as
//! before (what was written is rolled back when the store next opens), after it exactly as after.

use rayon::prelude::*;

use super::EXCLUSIONS;
use super::IngestReport;
use super::ProgressFn;
use super::spool::{EXCLUDED, LINE, NO_CATEGORY, PART, Sorted, Spool, SpoolRow, TOTAL};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::categories::Categories;
use crate::store::codec::block::{BlockBuilder, BlockView};
use crate::store::codec::fingerprint;
use crate::store::codec::record::{Line, Record, UNCATEGORIZED};
use crate::store::engine::{Engine, WriteBatch};
use crate::store::generation::{Transaction, Written};
use crate::store::ids::IdIndex;
use crate::store::keys;
use crate::store::meta::Meta;

/// Keys per atomic batch when rewriting id buckets: large batches drive sled's memory up sharply.
pub(crate) const BATCH_KEYS: usize = 512;
/// Blocks merged per round.
const BLOCKS_PER_ROUND: u64 = 64;
/// Blocks written per batch.
const BLOCKS_PER_BATCH: u64 = 16;

/// Order counts of a merge.
#[derive(Default, Clone, Copy)]
struct Delta {
    new: u64,
    updated: u64,
    unchanged: u64,
    returns: u64,
    /// Stored orders an exclusion removed (cancelled since an earlier export).
    removed: u64,
    /// Orders excluded, by [`Exclusion`] index.
    excluded: [u64; EXCLUSIONS.len()],
    /// Platform orders whose order row was missing (rejected, or in a file not read).
    incomplete: u64,
    /// Customers new to the store who end the merge with an order (one whose every order was
    /// excluded gets an empty record, which is not counted).
    customers_new: u64,
}

impl Delta {
    fn add(&mut self, o: Delta) {
        self.new += o.new;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.returns += o.returns;
        self.removed += o.removed;
        self.incomplete += o.incomplete;
        self.customers_new += o.customers_new;
        for (a, b) in self.excluded.iter_mut().zip(o.excluded) {
            *a += b;
        }
    }
}

/// How pass 2 runs.
pub(super) struct Run<'a> {
    pub progress: Option<&'a ProgressFn>,
    /// Merge every block the same way, so the counts are the real ingest's, and write nothing
    /// (the returned metadata is then not the store's).
    pub dry_run: bool,
}

/// Runs pass 2 and returns the store's new metadata once committed (`None` when nothing was
/// written: a dry run, or nothing to merge).
pub(super) fn commit(
    store: &Store,
    meta: &Meta,
    ids: &IdIndex,
    categories: &Categories,
    spool: Spool,
    report: &mut IngestReport,
    run: Run<'_>,
) -> Result<Option<Meta>> {
    let Run { progress, dry_run } = run;
    let engine = &store.inner().engine;
    let new_next = ids.next_id();
    report.customers_new = new_next - meta.next_id;
    report.categories_new = (categories.len() - meta.categories) as u64;
    if spool.len() == 0 {
        return Ok(None);
    }
    let mut sorted = spool.into_sorted()?;

    let mut txn = Transaction::begin(engine, meta)?;
    let generation = txn.generation();
    let mut current = meta.clone();
    current.categories = categories.len();
    if !dry_run {
        let mut batch = WriteBatch::default();
        let written = categories.write_new(&mut batch);
        if !batch.is_empty() {
            txn.apply(batch, &written)?;
        }
        ids.write_new(&mut txn, meta, BATCH_KEYS)?;
    }

    let ctx = MergeContext {
        generations: &meta.blocks,
        block_size: meta.block_size as u64,
        old_next: meta.next_id,
        new_next,
        ids,
    };
    let old_blocks = meta.block_count();
    current.next_id = new_next;
    // Blocks past the old end are all written (every new customer has rows).
    current.blocks.0.resize(current.block_count() as usize, generation);
    let mut delta = Delta::default();
    let mut pending: Option<Vec<(WriteBatch, Vec<Written>)>> = None;
    let mut rows = Vec::new();
    let mut done = 0u64;
    loop {
        rows.clear();
        next_round(&mut sorted, &mut rows, ctx.block_size)?;
        if rows.is_empty() && pending.is_none() {
            break;
        }
        // Merge this round on all cores while the previous round's batch is written.
        let (merged, written) = rayon::join(
            || merge_round(engine, &rows, &ctx, old_blocks),
            || {
                let batches = pending.take().filter(|_| !dry_run).unwrap_or_default();
                batches.into_iter().try_for_each(|(b, w)| txn.apply(b, &w))
            },
        );
        written?;
        let (blocks, round_delta) = merged?;
        delta.add(round_delta);
        if rows.is_empty() {
            continue;
        }
        // Several small batches per round: sled's point reads wait while a batch applies, and a
        // new version beside an old one splits sled leaves, so 64 blocks in one batch stalled
        // lookups running alongside (their p99 under ingest doubled).
        let mut batches = Vec::with_capacity(BLOCKS_PER_ROUND.div_ceil(BLOCKS_PER_BATCH) as usize);
        let mut blocks = blocks.into_iter().peekable();
        while blocks.peek().is_some() {
            let mut batch = WriteBatch::default();
            let mut written = Vec::with_capacity(2 * BLOCKS_PER_BATCH as usize);
            for (b, bytes) in blocks.by_ref().take(BLOCKS_PER_BATCH as usize) {
                let key = keys::block(b, generation);
                if b < old_blocks {
                    written.push(Written::Replaced(keys::block(b, meta.blocks.get(b))));
                }
                written.push(Written::Created(key.clone()));
                batch.put(key, bytes);
                current.blocks.0[b as usize] = generation;
            }
            batches.push((batch, written));
        }
        pending = Some(batches);
        done += rows.len() as u64;
        if let Some(f) = progress {
            f(&super::Progress::Writing { rows: done, total: sorted_total(report) });
        }
    }

    current.ingests += 1;
    // Any change to a stored order counts, removals (a cancelled order) included.
    if delta.new + delta.updated + delta.removed > 0 || new_next > meta.next_id {
        current.data_version += 1;
    }
    let committed = if dry_run { None } else { Some(txn.commit(current)?) };
    report.orders_new = delta.new;
    report.orders_updated = delta.updated;
    report.orders_unchanged = delta.unchanged;
    report.returns = delta.returns;
    report.orders_removed = delta.removed;
    report.orders_incomplete = delta.incomplete;
    report.customers_new = delta.customers_new;
    for (reason, n) in EXCLUSIONS.iter().zip(delta.excluded) {
        if n > 0 {
            *report.orders_excluded.entry(reason.to_string()).or_default() += n;
        }
    }
    Ok(committed)
}

fn sorted_total(report: &IngestReport) -> u64 {
    report.rows_read - report.rows_rejected - report.rows_skipped
}

/// Moves the rows of the next `BLOCKS_PER_ROUND` blocks that have rows into `rows`.
fn next_round(sorted: &mut Sorted, rows: &mut Vec<SpoolRow>, block_size: u64) -> Result<()> {
    let Some(first) = sorted.peek_id() else {
        return Ok(());
    };
    let end = (first as u64 / block_size + BLOCKS_PER_ROUND) * block_size;
    sorted.take_below(end, rows)
}

struct MergeContext<'a> {
    /// The committed generation of every old block.
    generations: &'a crate::store::meta::BlockTable,
    block_size: u64,
    old_next: u64,
    new_next: u64,
    ids: &'a IdIndex,
}

/// Blocks rewritten by a round: (block number, new bytes).
type ChangedBlocks = Vec<(u64, Vec<u8>)>;

/// One block after merging: its new bytes, or `None` when nothing in it changed.
struct MergedBlock {
    block: u64,
    bytes: Option<Vec<u8>>,
    delta: Delta,
}

/// Merges the rows of one round into their blocks; returns the blocks that changed.
fn merge_round<E: Engine>(
    engine: &E,
    rows: &[SpoolRow],
    ctx: &MergeContext<'_>,
    old_blocks: u64,
) -> Result<(ChangedBlocks, Delta)> {
    let per_block: Vec<&[SpoolRow]> =
        rows.chunk_by(|a, b| a.id as u64 / ctx.block_size == b.id as u64 / ctx.block_size).collect();
    let results: Vec<Result<MergedBlock>> = per_block
        .par_iter()
        .map(|block_rows| {
            let b = block_rows[0].id as u64 / ctx.block_size;
            let old = if b < old_blocks { engine.get(&keys::block(b, ctx.generations.get(b)))? } else { None };
            if b < old_blocks && old.is_none() {
                return Err(Error::corrupt(format!("customer block {b}"), "block is missing"));
            }
            let (bytes, delta) = merge_block(old.as_ref().map(|v| v.as_ref()), b, block_rows, ctx)?;
            Ok(MergedBlock { block: b, bytes, delta })
        })
        .collect();
    let mut out = Vec::with_capacity(results.len());
    let mut delta = Delta::default();
    for r in results {
        let m = r?;
        delta.add(m.delta);
        out.extend(m.bytes.map(|bytes| (m.block, bytes)));
    }
    Ok((out, delta))
}

/// Rebuilds block `b` with `rows` merged in. Returns `None` for the bytes when nothing changed.
fn merge_block(
    old: Option<&[u8]>,
    b: u64,
    mut rows: &[SpoolRow],
    ctx: &MergeContext<'_>,
) -> Result<(Option<Vec<u8>>, Delta)> {
    let corrupt = |what: String, e: &dyn std::fmt::Display| Error::corrupt(what, e.to_string());
    let old = old.map(BlockView::parse).transpose().map_err(|e| corrupt(format!("customer block {b}"), &e))?;
    let first = b * ctx.block_size;
    let end = (first + ctx.block_size).min(ctx.new_next);
    let mut builder = BlockBuilder::new();
    let mut delta = Delta::default();
    let mut changed = false;
    let mut scratch = Scratch::default();
    for id in first..end {
        let n = rows.iter().take_while(|r| r.id as u64 == id).count();
        let (mine, rest) = rows.split_at(n);
        rows = rest;
        let old_record = if id < ctx.old_next {
            let i = (id - first) as u32;
            Some(old.and_then(|v| v.record(i)).ok_or_else(|| corrupt(format!("customer {id}"), &"record is missing"))?)
        } else {
            None
        };
        if mine.is_empty() {
            builder.push_raw(old_record.ok_or_else(|| corrupt(format!("customer {id}"), &"record is missing"))?);
            continue;
        }
        let mut record = match old_record {
            Some(bytes) => Record::decode(bytes).map_err(|e| corrupt(format!("customer {id}"), &e))?,
            None => Record::new(ctx.ids.new_name(id as u32).to_vec()),
        };
        let customer_changed = merge_customer(&mut record, mine, &mut scratch, &mut delta)
            .map_err(|detail| corrupt(format!("customer {id}"), &detail))?;
        delta.customers_new += u64::from(old_record.is_none() && !record.orders.is_empty());
        match old_record {
            Some(bytes) if !customer_changed => builder.push_raw(bytes),
            _ => {
                record.encode(builder.buffer());
                builder.end_record();
                changed = true;
            }
        }
    }
    if old.is_some_and(|v| v.len() as usize > builder.len()) {
        // Debris of an interrupted ingest past `old_next` is dropped by rewriting the block.
        changed = true;
    }
    Ok((changed.then(|| builder.finish()), delta))
}

/// Reused buffers for building a customer's incoming orders.
#[derive(Default)]
struct Scratch {
    incoming: Vec<Incoming>,
    lines: Vec<Line>,
    index: Vec<(u64, u32)>,
    replaced: Vec<bool>,
    /// Keys of orders excluded by this ingest, sorted: removed from the record if stored.
    excluded: Vec<u64>,
    /// The weights of the order being built's lines.
    weights: Vec<i128>,
}

#[derive(Clone, Copy)]
struct Incoming {
    fingerprint: u64,
    day: i32,
    amount: i64,
    lines_start: u32,
    lines_len: u32,
}

/// Upserts a customer's incoming rows (sorted by key) into `record`. Returns whether it changed,
/// or why the stored record cannot be merged into.
fn merge_customer(
    record: &mut Record,
    rows: &[SpoolRow],
    s: &mut Scratch,
    delta: &mut Delta,
) -> std::result::Result<bool, &'static str> {
    s.incoming.clear();
    s.lines.clear();
    s.excluded.clear();
    for run in rows.chunk_by(|a, b| a.key == b.key && a.auto == b.auto) {
        // An order any of whose rows excludes it is not stored (and leaves the store).
        if let Some(r) = run.iter().find(|r| r.kind >= EXCLUDED) {
            let reason = (r.kind - EXCLUDED) as usize;
            delta.excluded[reason.min(EXCLUSIONS.len() - 1)] += 1;
            s.excluded.push(r.key);
            continue;
        }
        if run[0].auto {
            // Identical rows without an order id are distinct orders, numbered by occurrence.
            for (k, r) in run.iter().enumerate() {
                let start = s.lines.len() as u32;
                if r.category != NO_CATEGORY {
                    s.lines.push(Line { category: r.category, amount: r.amount });
                }
                s.incoming.push(Incoming {
                    fingerprint: fingerprint::auto_order(r.key, k as u32),
                    day: r.day,
                    amount: r.amount,
                    lines_start: start,
                    lines_len: s.lines.len() as u32 - start,
                });
            }
            continue;
        }
        // All lines of one order: summed, earliest day, spend per category; or, when a row
        // carries the order's own total (a platform export), that total, the lines giving the
        // categories only.
        let start = s.lines.len();
        // The same order twice in one ingest (overlapping exports) keeps the lower total, which is
        // the later one when a refund came in between: deterministic whatever the spool's order.
        let total = run.iter().filter(|r| r.kind == TOTAL).map(|r| r.amount).min();
        if total.is_none() && run.iter().all(|r| r.kind == PART) {
            delta.incomplete += 1;
            continue;
        }
        let day = run.iter().map(|r| r.day).min().unwrap_or(i32::MAX);
        // A platform order's lines are its PART rows (their amounts are weights); otherwise the
        // LINE rows are the money.
        let lines_kind = if total.is_some() { PART } else { LINE };
        let has_categories = run.iter().any(|r| r.kind == lines_kind && r.category != NO_CATEGORY);
        let mut amount = 0i64;
        s.weights.clear();
        for r in run.iter().filter(|r| r.kind == lines_kind) {
            // Cannot overflow: pass 1 bounds the sum of |amount| over the whole input.
            if lines_kind == LINE {
                amount += r.amount;
            }
            if has_categories {
                let category = if r.category == NO_CATEGORY { UNCATEGORIZED } else { r.category };
                s.lines.push(Line { category, amount: r.amount });
                s.weights.push(i128::from(r.amount.max(0)));
            }
        }
        if let Some(total) = total {
            amount = total;
            if has_categories {
                share(total, &s.weights, &mut s.lines[start..]);
            }
        }
        let lines = &mut s.lines[start..];
        lines.sort_unstable_by_key(|l| l.category);
        let mut w = 0;
        for i in 0..lines.len() {
            if w > 0 && lines[w - 1].category == lines[i].category {
                lines[w - 1].amount += lines[i].amount;
            } else {
                lines[w] = lines[i];
                w += 1;
            }
        }
        s.lines.truncate(start + w);
        s.incoming.push(Incoming {
            fingerprint: run[0].key,
            day,
            amount,
            lines_start: start as u32,
            lines_len: w as u32,
        });
    }

    delta.returns += s.incoming.iter().filter(|o| o.amount < 0).count() as u64;
    s.excluded.sort_unstable();
    let removed = record.orders.iter().filter(|o| s.excluded.binary_search(&o.fingerprint).is_ok()).count();
    if removed > 0 {
        delta.removed += removed as u64;
        let mut kept = Record::new(std::mem::take(&mut record.external_id));
        for o in record.orders.iter().filter(|o| s.excluded.binary_search(&o.fingerprint).is_err()) {
            kept.push_order(o.day, o.amount, o.fingerprint, record.lines_of(o));
        }
        kept.sort_orders();
        *record = kept;
        let _ = merge_incoming(record, s, delta)?;
        return Ok(true);
    }
    merge_incoming(record, s, delta)
}

/// Shares an order's `total` among its category `lines` in proportion to their `weights` (the
/// lines' values; equally when none has one), the rounding remainder on the largest line, so the
/// lines sum to the total exactly as the store requires.
fn share(total: i64, weights: &[i128], lines: &mut [Line]) {
    let sum: i128 = weights.iter().sum();
    let n = lines.len().max(1) as i128;
    let mut given = 0i128;
    for (line, w) in lines.iter_mut().zip(weights) {
        let part = if sum > 0 { i128::from(total) * w / sum } else { i128::from(total) / n };
        line.amount = part as i64;
        given += part;
    }
    // Ties go to the lowest category, so the cent lands alike whatever the rows' order.
    let largest = (0..lines.len()).max_by_key(|&i| (weights[i], std::cmp::Reverse(lines[i].category))).unwrap_or(0);
    if let Some(line) = lines.get_mut(largest) {
        line.amount += (i128::from(total) - given) as i64;
    }
}

/// Upserts the built incoming orders of `s` into `record`; whether it changed.
fn merge_incoming(record: &mut Record, s: &mut Scratch, delta: &mut Delta) -> std::result::Result<bool, &'static str> {
    if s.incoming.is_empty() {
        return Ok(false);
    }
    if record.orders.is_empty() {
        delta.new += s.incoming.len() as u64;
        for o in &s.incoming {
            record.push_order(
                o.day,
                o.amount,
                o.fingerprint,
                &s.lines[o.lines_start as usize..(o.lines_start + o.lines_len) as usize],
            );
        }
        record.sort_orders();
        return Ok(true);
    }

    s.index.clear();
    s.index.extend(record.orders.iter().enumerate().map(|(i, o)| (o.fingerprint, i as u32)));
    s.index.sort_unstable();
    // The decoder only sees keys day by day; an upsert needs them unique across the record.
    if s.index.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err("two stored orders share one order key");
    }
    s.replaced.clear();
    s.replaced.resize(record.orders.len(), false);
    let mut changed = false;
    for o in &s.incoming {
        let lines = &s.lines[o.lines_start as usize..(o.lines_start + o.lines_len) as usize];
        match s.index.binary_search_by_key(&o.fingerprint, |&(fp, _)| fp) {
            Ok(pos) => {
                let i = s.index[pos].1 as usize;
                let old = &record.orders[i];
                s.replaced[i] = true;
                if old.day == o.day && old.amount == o.amount && record.lines_of(old) == lines {
                    delta.unchanged += 1;
                } else {
                    delta.updated += 1;
                    changed = true;
                }
            }
            Err(_) => {
                delta.new += 1;
                changed = true;
            }
        }
    }
    if !changed {
        return Ok(false);
    }
    let mut merged = Record::new(std::mem::take(&mut record.external_id));
    for (i, o) in record.orders.iter().enumerate() {
        if !s.replaced[i] {
            merged.push_order(o.day, o.amount, o.fingerprint, record.lines_of(o));
        }
    }
    for o in &s.incoming {
        merged.push_order(
            o.day,
            o.amount,
            o.fingerprint,
            &s.lines[o.lines_start as usize..(o.lines_start + o.lines_len) as usize],
        );
    }
    merged.sort_orders();
    *record = merged;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::spool::LINE;

    fn row(key: u64, day: i32, amount: i64, category: u32, auto: bool) -> SpoolRow {
        SpoolRow { key, amount, id: 0, category, day, auto, kind: LINE }
    }

    fn merge(record: &mut Record, mut rows: Vec<SpoolRow>) -> (bool, Delta) {
        rows.sort_by_key(|r| (r.key, r.auto));
        let mut d = Delta::default();
        let changed = merge_customer(record, &rows, &mut Scratch::default(), &mut d).unwrap();
        (changed, d)
    }

    #[test]
    fn lines_of_an_order_are_summed_per_category() {
        let mut rec = Record::new(b"c".to_vec());
        let (changed, d) = merge(
            &mut rec,
            vec![row(1, 12, 500, 2, false), row(1, 10, 300, NO_CATEGORY, false), row(1, 11, 200, 2, false)],
        );
        assert!(changed);
        assert_eq!((d.new, d.updated, d.unchanged), (1, 0, 0));
        assert_eq!(rec.orders.len(), 1);
        let o = rec.orders[0];
        assert_eq!((o.day, o.amount, o.fingerprint), (10, 1000, 1));
        assert_eq!(rec.lines_of(&o), [Line { category: 0, amount: 300 }, Line { category: 2, amount: 700 }]);
    }

    /// A platform export's order: its TOTAL row's amount is the order's, its PART rows give the
    /// categories and (as their amounts) the weights the total is shared by; an EXCLUDED row
    /// drops the whole order, and removes it when stored.
    #[test]
    fn order_totals_and_exclusions() {
        let kinded = |key, amount, category, kind| SpoolRow { kind, ..row(key, 10, amount, category, false) };
        let mut rec = Record::new(b"c".to_vec());
        let (changed, d) = merge(
            &mut rec,
            vec![
                kinded(1, 2500, NO_CATEGORY, TOTAL),
                kinded(1, 1, 3, PART),
                kinded(1, 1, 4, PART),
                kinded(2, 901, NO_CATEGORY, TOTAL),
                kinded(2, 3, 5, PART),
                kinded(2, 1, 6, PART),
            ],
        );
        assert!(changed);
        assert_eq!(d.new, 2);
        let got: Vec<_> = rec.orders.iter().map(|o| (o.fingerprint, o.amount)).collect();
        assert_eq!(got, [(1, 2500), (2, 901)]);
        let o2 = rec.orders.iter().find(|o| o.fingerprint == 2).unwrap();
        // 901 shared 3 : 1 is 675.75 : 225.25; the rounding cent goes to the larger line.
        assert_eq!(rec.lines_of(o2), [Line { category: 5, amount: 676 }, Line { category: 6, amount: 225 }]);
        let o1 = rec.orders.iter().find(|o| o.fingerprint == 1).unwrap();
        // Shared by the lines' weights (equal here).
        assert_eq!(rec.lines_of(o1), [Line { category: 3, amount: 1250 }, Line { category: 4, amount: 1250 }]);
        // A later export: order 2 cancelled (its first row says so, its line row does not), order 3
        // excluded and never stored.
        let cancelled = EXCLUDED + crate::ingest::Exclusion::Cancelled.code();
        let (changed, d) = merge(
            &mut rec,
            vec![kinded(2, 900, NO_CATEGORY, cancelled), kinded(2, 1, 5, PART), kinded(3, 100, NO_CATEGORY, cancelled)],
        );
        assert!(changed);
        assert_eq!((d.new, d.updated, d.removed, d.excluded[0]), (0, 0, 1, 2));
        let got: Vec<_> = rec.orders.iter().map(|o| o.fingerprint).collect();
        assert_eq!(got, [1]);
    }

    /// A platform order of which only line rows arrived (its order row rejected) is counted as
    /// incomplete and leaves the stored order as it was, instead of overwriting it with 0.
    #[test]
    fn an_order_of_parts_only_is_incomplete_not_zero() {
        let kinded = |key, amount, category, kind| SpoolRow { kind, ..row(key, 10, amount, category, false) };
        let mut rec = Record::new(b"c".to_vec());
        merge(&mut rec, vec![kinded(1, 2500, NO_CATEGORY, TOTAL), kinded(1, 1, 3, PART), kinded(1, 1, 4, PART)]);
        let before = rec.clone();
        let (changed, d) = merge(&mut rec, vec![kinded(1, 1, 3, PART), kinded(1, 1, 4, PART)]);
        assert!(!changed);
        assert_eq!((d.incomplete, d.new, d.updated, d.unchanged), (1, 0, 0, 0));
        assert_eq!(rec, before);
        // Two totals for one order in one ingest (overlapping exports): the lower, whatever order.
        for rows in [
            vec![kinded(2, 900, NO_CATEGORY, TOTAL), kinded(2, 700, NO_CATEGORY, TOTAL)],
            vec![kinded(2, 700, NO_CATEGORY, TOTAL), kinded(2, 900, NO_CATEGORY, TOTAL)],
        ] {
            let mut rec = Record::new(b"c".to_vec());
            merge(&mut rec, rows);
            assert_eq!(rec.orders[0].amount, 700);
        }
    }

    #[test]
    fn a_stored_record_with_a_repeated_key_is_corrupt_not_merged() {
        // Decodable (keys are unique within each day) but an upsert could not tell the orders apart.
        let mut rec = Record::new(b"c".to_vec());
        rec.push_order(10, 100, 7, &[]);
        rec.push_order(11, 200, 7, &[]);
        rec.sort_orders();
        let mut d = Delta::default();
        let rows = [row(7, 12, 300, NO_CATEGORY, false)];
        let e = merge_customer(&mut rec, &rows, &mut Scratch::default(), &mut d).unwrap_err();
        assert_eq!(e, "two stored orders share one order key");
    }

    #[test]
    fn upsert_replaces_keeps_and_adds() {
        let mut rec = Record::new(b"c".to_vec());
        merge(&mut rec, vec![row(1, 10, 100, NO_CATEGORY, false), row(2, 11, 200, NO_CATEGORY, false)]);
        let before = rec.clone();
        let (changed, d) = merge(&mut rec, vec![row(1, 10, 100, NO_CATEGORY, false)]);
        assert!(!changed);
        assert_eq!((d.new, d.updated, d.unchanged), (0, 0, 1));
        assert_eq!(rec, before);
        let (changed, d) =
            merge(&mut rec, vec![row(2, 9, -50, NO_CATEGORY, false), row(3, 12, 70, NO_CATEGORY, false)]);
        assert!(changed);
        assert_eq!((d.new, d.updated, d.unchanged, d.returns), (1, 1, 0, 1));
        let got: Vec<_> = rec.orders.iter().map(|o| (o.day, o.amount, o.fingerprint)).collect();
        assert_eq!(got, [(9, -50, 2), (10, 100, 1), (12, 70, 3)]);
    }

    #[test]
    fn identical_rows_without_order_id_stay_distinct_and_idempotent() {
        let mut rec = Record::new(b"c".to_vec());
        let rows = vec![row(77, 10, 100, NO_CATEGORY, true), row(77, 10, 100, NO_CATEGORY, true)];
        let (_, d) = merge(&mut rec, rows.clone());
        assert_eq!((d.new, rec.orders.len()), (2, 2));
        let (changed, d) = merge(&mut rec, rows);
        assert!(!changed);
        assert_eq!((d.new, d.unchanged), (0, 2));
        // A third identical row later (an overlapping export with one more) is one new order.
        let (_, d) = merge(&mut rec, vec![row(77, 10, 100, NO_CATEGORY, true); 3]);
        assert_eq!((d.new, d.unchanged, rec.orders.len()), (1, 2, 3));
    }
}
