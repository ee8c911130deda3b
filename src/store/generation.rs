//! Generations: how a write becomes visible at one instant, and how what it leaves behind goes.
//!
//! Every write that changes what readers see (an ingest, a save of scores or of a model) is a
//! transaction numbered `generation + 1` of the committed metadata. It never overwrites a value a
//! reader may use: new customer blocks, score blocks and models go under keys ending in its
//! generation, id-map entries get ids at or above `next_id`, categories ids above `categories`,
//! all invisible to the committed metadata. Each batch it applies carries a *write list*
//! (`W|generation|seq`) naming what the batch created and which older values it replaces. When
//! everything is durable (a flush), one batch stores the new metadata and block table: that is the
//! commit point, then a second flush makes it durable before the write returns.
//!
//! [`settle`] reads the write lists and puts the store back in order, idempotently (a crash while
//! it runs just means it runs again): a generation above the committed one never committed, so
//! what it created is removed (*rolled back*); a committed one's replaced values are removed once
//! no reader may still read them (*collected*). It runs when a store opens and before every write,
//! and collects right after a commit when no reader holds an older snapshot. Its cost is bounded by
//! the size of the writes it cleans up, not by the size of the store.

use serde::{Deserialize, Serialize};

use super::codec::{self, bucket};
use super::engine::{Engine, WriteBatch};
use super::keys;
use super::meta::Meta;
use crate::error::{Error, Result};

const LIST_VERSION: u8 = 1;
/// Removals per batch while settling. Small: collection needs no atomicity, and a sled batch holds
/// a lock that point reads wait on (4,096 per batch doubled the p99 of lookups during ingests).
const REMOVALS_PER_BATCH: usize = 64;

/// One entry of a write list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Written {
    /// A key the write created: removed if it rolls back.
    Created(Vec<u8>),
    /// Every key of a range the write created.
    CreatedRange(Vec<u8>, Vec<u8>),
    /// A key the write replaced: removed once it committed and no older snapshot remains.
    Replaced(Vec<u8>),
    /// Every key of a range the write replaced.
    ReplacedRange(Vec<u8>, Vec<u8>),
    /// An id-map bucket the write added entries to: if it rolls back, entries at or above the
    /// committed `next_id` are dropped from it.
    Bucket(u32),
}

/// A write in progress: applies batches with their write lists, then commits.
pub(crate) struct Transaction<'a, E: Engine> {
    engine: &'a E,
    generation: u32,
    seq: u32,
}

impl<'a, E: Engine> Transaction<'a, E> {
    /// Starts the write that follows `committed`. The store must be settled (no write list of a
    /// generation above `committed.generation` left).
    pub(crate) fn begin(engine: &'a E, committed: &Meta) -> Result<Self> {
        let generation = committed
            .generation
            .checked_add(1)
            .ok_or_else(|| Error::Limit("more than 2^32 commits to one store".into()))?;
        Ok(Transaction { engine, generation, seq: 0 })
    }

    /// The engine written to.
    pub(crate) fn engine(&self) -> &'a E {
        self.engine
    }

    /// The generation this write's values are stored under.
    pub(crate) fn generation(&self) -> u32 {
        self.generation
    }

    /// Applies `batch` with a write list of `written` (atomically, in the same batch).
    pub(crate) fn apply(&mut self, mut batch: WriteBatch, written: &[Written]) -> Result<()> {
        if !written.is_empty() {
            batch.put(keys::writes(self.generation, self.seq), codec::encode_value(LIST_VERSION, &written)?);
            self.seq += 1;
        }
        self.engine.apply(batch)
    }

    /// Makes everything applied durable, then commits `meta` (stored with this generation) in one
    /// batch and makes that durable. Returns the committed metadata.
    pub(crate) fn commit(self, mut meta: Meta) -> Result<Meta> {
        meta.generation = self.generation;
        self.engine.flush()?;
        let mut batch = WriteBatch::default();
        meta.put(&mut batch)?;
        self.engine.apply(batch)?;
        self.engine.flush()?;
        Ok(meta)
    }
}

/// What putting a store in order found (see [`Store::recovery`](crate::Store::recovery)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recovery {
    /// Writes that never committed (interrupted by a crash, a killed process or an I/O error)
    /// and were rolled back: the store is as it was before each of them.
    pub rolled_back: u32,
    /// Committed writes whose replaced values were removed.
    pub collected: u32,
    /// Committed writes whose replaced values were kept for a reader of an older snapshot.
    pub kept: u32,
}

/// Rolls back every generation above `committed.generation` and collects every committed one that
/// no snapshot reads: a snapshot of generation `s` may read values replaced by any generation
/// after `s`, so generation `g` is collected only when `oldest_pinned` (the oldest generation a
/// live snapshot reads, if any) is at least `g`.
pub(crate) fn settle<E: Engine>(engine: &E, committed: &Meta, oldest_pinned: Option<u32>) -> Result<Recovery> {
    let mut settled = Recovery::default();
    let (start, end) = keys::writes_range();
    // Write lists are small (one entry per block or bucket written), so one generation's fit in memory.
    let mut lists: Vec<(u32, Vec<Vec<u8>>, Vec<Written>)> = Vec::new();
    for kv in engine.range(&start, &end) {
        let (key, value) = kv?;
        let generation = keys::writes_generation(key.as_ref())
            .ok_or_else(|| Error::corrupt("write list", format!("key {:?}", key.as_ref())))?;
        let written: Vec<Written> = codec::decode_value(LIST_VERSION, value.as_ref(), "write list")?;
        match lists.last_mut() {
            Some((g, list_keys, all)) if *g == generation => {
                list_keys.push(key.as_ref().to_vec());
                all.extend(written);
            }
            _ => lists.push((generation, vec![key.as_ref().to_vec()], written)),
        }
    }
    for (generation, list_keys, written) in lists {
        let mut removals = Removals::new(engine);
        if generation > committed.generation {
            for w in written {
                match w {
                    Written::Created(key) => removals.remove(key)?,
                    Written::CreatedRange(start, end) => removals.remove_range(&start, &end)?,
                    Written::Bucket(b) => drop_uncommitted_entries(&mut removals, b, committed.next_id)?,
                    Written::Replaced(_) | Written::ReplacedRange(..) => {}
                }
            }
            settled.rolled_back += 1;
        } else if oldest_pinned.is_none_or(|oldest| oldest >= generation) {
            for w in written {
                match w {
                    Written::Replaced(key) => removals.remove(key)?,
                    Written::ReplacedRange(start, end) => removals.remove_range(&start, &end)?,
                    Written::Created(_) | Written::CreatedRange(..) | Written::Bucket(_) => {}
                }
            }
            settled.collected += 1;
        } else {
            settled.kept += 1;
            continue;
        }
        removals.finish()?;
        // The lists go last, after what they describe is durable: until they are gone, a crash
        // means this runs again (without the flush, a list's removal could reach the disk before
        // a bucket's roll-back, and the uncommitted entries would outlive their list).
        engine.flush()?;
        let mut batch = WriteBatch::default();
        for key in list_keys {
            batch.remove(key);
        }
        engine.apply(batch)?;
    }
    Ok(settled)
}

/// Removals applied in batches of [`REMOVALS_PER_BATCH`].
struct Removals<'a, E: Engine> {
    engine: &'a E,
    batch: WriteBatch,
}

impl<'a, E: Engine> Removals<'a, E> {
    fn new(engine: &'a E) -> Self {
        Removals { engine, batch: WriteBatch::default() }
    }

    fn remove(&mut self, key: Vec<u8>) -> Result<()> {
        self.batch.remove(key);
        self.flush_if_full()
    }

    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<()> {
        self.batch.put(key, value);
        self.flush_if_full()
    }

    fn flush_if_full(&mut self) -> Result<()> {
        if self.batch.len() >= REMOVALS_PER_BATCH {
            self.engine.apply(std::mem::take(&mut self.batch))?;
        }
        Ok(())
    }

    fn remove_range(&mut self, start: &[u8], end: &[u8]) -> Result<()> {
        let found: Vec<Vec<u8>> =
            self.engine.range(start, end).map(|kv| kv.map(|(k, _)| k.as_ref().to_vec())).collect::<Result<_>>()?;
        for key in found {
            self.remove(key)?;
        }
        Ok(())
    }

    fn finish(self) -> Result<()> {
        if self.batch.is_empty() { Ok(()) } else { self.engine.apply(self.batch) }
    }
}

/// Removes what an ingest of format 3 left when a crash interrupted it: id-map entries at or above
/// `meta.next_id` in any bucket (format 3 removed them at its next ingest; format 4 keeps write
/// lists instead) and blocks past the last committed one. Idempotent; run before the upgrade
/// commits, so a crash here means it runs again.
pub(crate) fn sweep_format_3<E: Engine>(engine: &E, meta: &Meta) -> Result<()> {
    let mut removals = Removals::new(engine);
    let buckets: Vec<u32> = engine
        .range(&keys::bucket(0), &keys::bucket(u32::MAX))
        .map(|kv| kv.map(|(k, _)| keys::number(k.as_ref()).unwrap_or(0) as u32))
        .collect::<Result<_>>()?;
    for b in buckets {
        drop_uncommitted_entries(&mut removals, b, meta.next_id)?;
    }
    let (start, end) = keys::blocks_from(meta.block_count());
    removals.remove_range(&start, &end)?;
    removals.finish()?;
    engine.flush()
}

/// Rewrites id-map bucket `b` without its entries at or above `next_id` (if it has any).
fn drop_uncommitted_entries<E: Engine>(removals: &mut Removals<'_, E>, b: u32, next_id: u64) -> Result<()> {
    let key = keys::bucket(b);
    let Some(value) = removals.engine.get(&key)? else { return Ok(()) };
    let what = || format!("id bucket {b}");
    let mut keep = Vec::new();
    let mut dropped = false;
    for e in bucket::decode(value.as_ref()).map_err(|e| Error::corrupt(what(), e.to_string()))? {
        let e = e.map_err(|e| Error::corrupt(what(), e.to_string()))?;
        if e.id < next_id {
            keep.push(e);
        } else {
            dropped = true;
        }
    }
    match (dropped, keep.is_empty()) {
        (false, _) => Ok(()),
        (true, true) => removals.remove(key.to_vec()),
        (true, false) => removals.put(key.to_vec(), bucket::encode(&keep)),
    }
}

/// Fault injection, the way redb tests its crash safety: every write of a small ingest, of a save of
/// a result with per-customer cells (as RFM scores are saved) and of one without (as a CLV model
/// is) is made to fail in turn, as a crash (every later write fails too and
/// the store is reopened) or as an error the process survives; and every write of the recovery
/// after each crash fails in turn as well. The store must read exactly as before or exactly as after
/// each time, and the write, retried, must give exactly the store of a clean run.
#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::store::engine::OPEN_FAULTS;
    use crate::store::{Cells, Stats};
    use crate::{IngestOptions, Result, Store, StoreOptions};

    /// Everything a reader can see.
    #[derive(Debug, PartialEq)]
    struct Seen {
        export: String,
        stats: Stats,
        scores: Option<Vec<u8>>,
        some_scores: Vec<Option<Vec<u8>>>,
        model: Option<Vec<u8>>,
    }

    fn seen(store: &Store) -> Seen {
        let snapshot = store.snapshot();
        let mut export = Vec::new();
        store.export(&mut export).unwrap();
        let ids = (0..snapshot.customer_count()).step_by(7);
        Seen {
            export: String::from_utf8(export).unwrap(),
            stats: snapshot.stats().unwrap(),
            scores: snapshot.saved_value("scores").unwrap(),
            some_scores: ids.map(|id| snapshot.saved_cell("scores", id, 4, 0).unwrap()).collect(),
            model: snapshot.saved_value("model").unwrap(),
        }
    }

    /// Keys of each kind, to see that nothing is left behind.
    fn census(store: &Store) -> std::collections::BTreeMap<(u8, usize), usize> {
        use crate::store::engine::Engine;
        let mut counts = std::collections::BTreeMap::new();
        for kv in store.inner().engine.range(&[0], &[0xff]) {
            let (k, _) = kv.unwrap();
            *counts.entry((k[0], k.len())).or_default() += 1;
        }
        counts
    }

    fn options() -> StoreOptions {
        // Tiny blocks: the ingest below writes several rounds of blocks.
        StoreOptions { block_size: Some(2), ..StoreOptions::default() }
    }

    fn open(path: &Path) -> Result<Store> {
        Store::open_with(path, &options())
    }

    fn copy_dir(from: &Path, to: &Path) {
        let _ = std::fs::remove_dir_all(to);
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }

    /// A small shop's order lines (with categories) in two halves by day: the second brings orders
    /// of known customers and new customers.
    fn halves() -> (String, String) {
        let mut rows: Vec<(u32, String)> = Vec::new();
        for c in 0..400u32 {
            for i in 0..c % 4 + 1 {
                let day = (c * 3 + 97 * i) % 360;
                let (month, dom) = (day / 28 % 12 + 1, day % 28 + 1);
                let line = format!(
                    "c{c},{},2024-{month:02}-{dom:02},{}.{:02},cat{}",
                    c * 10 + i,
                    5 + c % 40,
                    i * 7,
                    (c + i) % 5
                );
                rows.push((day, line));
            }
        }
        rows.sort();
        let (first, second) = rows.split_at(rows.len() / 2);
        let csv = |part: &[(u32, String)]| {
            let lines: Vec<&str> = part.iter().map(|(_, l)| l.as_str()).collect();
            format!("customer_id,order_id,date,amount,category\n{}\n", lines.join("\n"))
        };
        (csv(first), csv(second))
    }

    fn ingest_second(store: &Store) -> Result<()> {
        store.ingest(halves().1.as_bytes(), &IngestOptions::default()).map(drop)
    }

    /// A result with a cell per customer, as RFM scores are saved; `tag` makes saves differ.
    fn save_cells(store: &Store, tag: u8) -> Result<()> {
        let block_size = u64::from(store.block_size());
        let mut fill = |b: u64, cells: &mut [u8]| {
            for (i, cell) in cells.chunks_mut(4).enumerate() {
                let id = b * block_size + i as u64;
                cell.copy_from_slice(&[tag, (id % 5) as u8 + 1, (id % 3) as u8, 7]);
            }
            Ok(())
        };
        store.save_result("scores", &[tag; 3], Some(Cells { width: 4, fill: &mut fill }), |_| Ok(()))
    }

    fn save_scores(store: &Store) -> Result<()> {
        save_cells(store, 2)
    }

    /// A result without cells, as a CLV model is saved.
    fn save_model(store: &Store) -> Result<()> {
        store.save_result("model", b"the second model", None, |_| Ok(()))
    }

    /// A store with data, saved cells and a model, then a later ingest (so all three exist and
    /// the writes under test replace them).
    fn template(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("template");
        let store = open(&path).unwrap();
        let (first, _) = halves();
        let lines: Vec<&str> = first.lines().collect();
        let (a, b) = lines.split_at(lines.len() * 3 / 4);
        store.ingest(format!("{}\n", a.join("\n")).as_bytes(), &IngestOptions::default()).unwrap();
        save_cells(&store, 1).unwrap();
        store.save_result("model", b"the first model", None, |_| Ok(())).unwrap();
        store.ingest(format!("{}\n{}\n", lines[0], b.join("\n")).as_bytes(), &IngestOptions::default()).unwrap();
        path
    }

    /// Walks every operation of `write` on a copy of `template`.
    fn walk(name: &str, write: fn(&Store) -> Result<()>) {
        let dir = tempfile::tempdir().unwrap();
        let template = template(dir.path());
        let work = dir.path().join("work");
        let clean = dir.path().join("clean");
        copy_dir(&template, &clean);
        let (before, after, clean_keys) = {
            let store = open(&clean).unwrap();
            let before = seen(&store);
            write(&store).unwrap();
            (before, seen(&store), census(&store))
        };
        assert!(before != after, "{name}: the write changes what readers see");
        let check = |store: &Store, what: &str| {
            let now = seen(store);
            assert!(now == before || now == after, "{name}, {what}: neither before nor after");
            now == after
        };
        let finish = |store: &Store, what: &str| {
            write(store).unwrap();
            assert!(seen(store) == after, "{name}, {what}: the retried write differs from a clean one");
            assert_eq!(census(store), clean_keys, "{name}, {what}: keys left behind");
        };
        let (mut crashes, mut landed, mut recoveries) = (0, 0, 0);
        for n in 0.. {
            // As a crash: operation n and every later one fail; the store is reopened.
            copy_dir(&template, &work);
            let store = open(&work).unwrap();
            store.inner().engine.faults.fail_in(n, true);
            let result = write(&store);
            let failed =
                store.inner().engine.faults.ops.load(std::sync::atomic::Ordering::SeqCst) > n || result.is_err();
            drop(store);
            if !failed {
                assert!(n > 3, "{name}: a write of {n} operations");
                break;
            }
            crashes += 1;
            let crashed = dir.path().join("crashed");
            copy_dir(&work, &crashed);
            // The recovery crashes too, at each of its operations, then runs again in full. Opening
            // settles best effort, so the store opens either way, and reads as before or after.
            for m in 0.. {
                copy_dir(&crashed, &work);
                OPEN_FAULTS.with(|f| f.set((m, true)));
                let store = open(&work).unwrap();
                let hit = store.inner().engine.faults.ops.load(std::sync::atomic::Ordering::SeqCst) > m;
                check(&store, &format!("crash at {n}, recovery failing at {m}"));
                store.inner().engine.faults.heal();
                drop(store);
                let store = open(&work).unwrap();
                let was_after = check(&store, &format!("crash at {n}, recovery crashed at {m}"));
                finish(&store, &format!("crash at {n}, recovery crashed at {m}"));
                if !hit {
                    landed += u32::from(was_after);
                    break;
                }
                recoveries += 1;
                assert!(m < 50, "{name}: recovery never finishes");
            }
            // As an error the process survives: operation n fails, the rest work.
            copy_dir(&template, &work);
            let store = open(&work).unwrap();
            store.inner().engine.faults.fail_in(n, false);
            let _ = write(&store);
            store.inner().engine.faults.heal();
            check(&store, &format!("error at {n}"));
            finish(&store, &format!("error at {n}"));
        }
        assert!(crashes > 3 && landed > 0, "{name}: {crashes} crashes, {landed} after the commit");
        eprintln!("{name}: {crashes} crash points ({landed} after the commit), {recoveries} crashed recoveries");
    }

    #[test]
    fn every_write_of_an_ingest_can_fail() {
        walk("ingest", ingest_second);
    }

    #[test]
    fn every_write_of_a_score_save_can_fail() {
        walk("save scores", save_scores);
    }

    #[test]
    fn every_write_of_a_model_save_can_fail() {
        walk("save model", save_model);
    }
}
