//! The store: one directory holding every customer's purchase vector, the id map, the category
//! dictionary and metadata, in one sled keyspace behind the `engine` seam. [`Store`] is the handle
//! services share: `Send + Sync`, and cloning it is an `Arc` bump.

pub(crate) mod categories;
pub(crate) mod codec;
pub(crate) mod engine;
mod export;
pub(crate) mod generation;
pub(crate) mod ids;
pub(crate) mod keys;
pub(crate) mod meta;
mod open;
mod read;
mod saved;
pub(crate) mod scan;
mod snapshot;
pub(crate) mod summarize;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, Weak};

pub use export::{EXPORT_HEADER, EXPORT_PREAMBLE, ExportReport};
pub use generation::Recovery;
pub use meta::FORMAT_VERSION;
pub use read::{CustomerProfile, OrderLine, Stats, StoredOrderView};
pub(crate) use saved::Cells;
pub use snapshot::Snapshot;

use crate::money::Currency;
use crate::zone::Zone;
use engine::Sled;
use meta::Meta;

/// Options for opening a store. Settings marked *creation* are fixed when the store is created; if
/// given for an existing store they must match what it holds.
///
/// ```
/// use retention::{Currency, StoreOptions};
/// # fn main() -> retention::Result<()> {
/// let opts = StoreOptions::default().currency(Currency::new("EUR", 2)?).time_zone("Europe/Berlin".to_string());
/// assert_eq!(opts.time_zone.as_deref(), Some("Europe/Berlin"));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StoreOptions {
    /// *Creation*: the store's one currency (default USD, 2 decimals).
    pub currency: Option<Currency>,
    /// *Creation*: the time zone whose calendar days the store counts (default `UTC`); `UTC`, a fixed
    /// offset (`+05:30`) or an IANA name (`America/New_York`).
    pub time_zone: Option<String>,
    /// *Creation*: customers per stored block (default [`DEFAULT_BLOCK_SIZE`]).
    pub block_size: Option<u32>,
    /// sled's page-cache budget in bytes (default 256 MiB).
    pub cache_capacity: u64,
    /// Create the store if the directory is missing or empty (default `true`). Readers set it to
    /// `false` so a mistyped path is an error instead of a new, empty store.
    pub create: bool,
}

/// Customers per block unless chosen otherwise; picked with the block-size sweep of
/// `benches/ingest.rs` and `benches/scan.rs` (see ARCHITECTURE.md).
pub const DEFAULT_BLOCK_SIZE: u32 = 128;

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { currency: None, time_zone: None, block_size: None, cache_capacity: 256 << 20, create: true }
    }
}

crate::options::setters! {
    StoreOptions {
        /// Sets sled's page-cache budget in bytes.
        cache_capacity: u64,
        /// Sets whether a missing or empty directory becomes a new store.
        create: bool,
    }
    optional {
        /// Sets the currency of a new store.
        currency: Currency,
        /// Sets the time zone of a new store (`UTC`, `+05:30` or an IANA name).
        time_zone: String,
        /// Sets the customers per stored block of a new store.
        block_size: u32,
    }
}

/// A `retention` store.
///
/// ```
/// # fn main() -> retention::Result<()> {
/// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
/// let store = retention::Store::open(dir.path().join("shop"))?;
/// let csv = "customer_id,order_id,timestamp,amount\nann,1,2024-01-05,20.00\nann,2,2024-02-01,15.50\n";
/// let report = store.ingest(csv.as_bytes(), &retention::IngestOptions::default())?;
/// assert_eq!(report.orders_new, 2);
/// let ann = store.customer("ann")?.expect("ann was ingested");
/// assert_eq!(ann.summary.map(|s| s.spend), Some(3550));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    path: PathBuf,
    pub(crate) engine: Sled,
    meta: RwLock<Arc<Meta>>,
    /// Metadata that was current once, held by snapshots that may still be alive: what they read
    /// is not collected until they are dropped.
    retired: Mutex<Vec<Weak<Meta>>>,
    pub(crate) zone: Zone,
    /// What opening the store rolled back and collected.
    pub(crate) recovery: std::sync::OnceLock<generation::Recovery>,
    /// Serialises writers within this process; sled's file lock keeps other processes out.
    pub(crate) write_lock: Mutex<()>,
}

impl Store {
    /// Opens the store in `path`, creating it (and the directory) if the directory is missing or
    /// empty. Errors if the directory holds something else or a store of a format this build does
    /// not read (format 3 is read and upgraded in place to format 4).
    pub fn open(path: impl AsRef<Path>) -> crate::Result<Store> {
        Store::open_with(path, &StoreOptions::default())
    }

    /// Opens an existing store; never creates one. A missing or empty directory is
    /// [`Error::NotAStore`](crate::Error::NotAStore).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
    /// let missing = retention::Store::open_existing(dir.path().join("typo"));
    /// assert!(matches!(missing, Err(retention::Error::NotAStore { .. })));
    /// # Ok::<(), retention::Error>(())
    /// ```
    pub fn open_existing(path: impl AsRef<Path>) -> crate::Result<Store> {
        Store::open_with(path, &StoreOptions { create: false, ..StoreOptions::default() })
    }

    /// [`Store::open`] with options.
    pub fn open_with(path: impl AsRef<Path>, options: &StoreOptions) -> crate::Result<Store> {
        open::open(path.as_ref(), options)
    }

    /// The store's directory.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The store's currency.
    pub fn currency(&self) -> Currency {
        self.meta().currency.clone()
    }

    /// Whether the store holds purchase counts only (its first ingest was an event log without
    /// amounts): money figures are absent, RFM scores R and F, and CLV gives P(alive) and
    /// expected purchases but no value in money.
    pub fn counts_only(&self) -> bool {
        self.meta().counts_only
    }

    /// Customers per block (a creation setting): saved per-customer cells are laid out in blocks
    /// of this many.
    pub(crate) fn block_size(&self) -> u32 {
        self.meta().block_size
    }

    /// The store's time zone as configured (`UTC`, `+05:30`, `Europe/Berlin`).
    pub fn time_zone(&self) -> String {
        self.meta().time_zone.clone()
    }

    /// Number of customers (with any order, purchase or return).
    pub fn customer_count(&self) -> u64 {
        self.meta().next_id
    }

    /// Bytes the store's files take on disk.
    pub fn disk_usage(&self) -> crate::Result<u64> {
        use engine::Engine;
        self.inner.engine.size_on_disk()
    }

    /// What opening the store found: an interrupted write (a crash, a killed process) that was
    /// rolled back leaves `rolled_back > 0`, and the store is exactly as before that write; running
    /// the same ingest again completes it. Nothing ever needs repairing by hand.
    pub fn recovery(&self) -> Recovery {
        self.inner.recovery.get().copied().unwrap_or_default()
    }

    /// Makes everything written so far durable. Ingests call this themselves before returning.
    pub fn flush(&self) -> crate::Result<()> {
        use engine::Engine;
        self.inner.engine.flush()
    }

    pub(crate) fn meta(&self) -> Arc<Meta> {
        // A poisoned lock only means a writer panicked between two whole-value swaps; the value is intact.
        Arc::clone(&self.inner.meta.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Makes `meta` (just committed) current. The one it replaces is remembered, under the same
    /// lock, so a snapshot taken of it just before is seen by [`Store::oldest_pinned`].
    pub(crate) fn set_meta(&self, meta: Meta) {
        let mut current = self.inner.meta.write().unwrap_or_else(|p| p.into_inner());
        let old = std::mem::replace(&mut *current, Arc::new(meta));
        self.inner.retired.lock().unwrap_or_else(|p| p.into_inner()).push(Arc::downgrade(&old));
    }

    /// The oldest generation a live snapshot other than of the current metadata reads, if any.
    pub(crate) fn oldest_pinned(&self) -> Option<u32> {
        let mut retired = self.inner.retired.lock().unwrap_or_else(|p| p.into_inner());
        retired.retain(|w| w.strong_count() > 0);
        retired.iter().filter_map(Weak::upgrade).map(|m| m.generation).min()
    }

    /// Finishes a write (the write lock held): on success makes the committed metadata current and
    /// collects what the write replaced if no snapshot reads it; on failure rolls back what it
    /// wrote. Both are best effort: the write's own result is what counts, and what is left is
    /// settled by the next write or open. One failure can still have committed: the flush after
    /// the commit batch (the batch landed, its flush failed); settling then adopts it, and the
    /// caller's retry is a no-op (orders are upserted), so "an error means retry" stays true.
    pub(crate) fn after_write(&self, result: crate::Result<Meta>) -> crate::Result<()> {
        match result {
            Ok(meta) => {
                self.set_meta(meta);
                let _ = self.settle();
                Ok(())
            }
            Err(e) => {
                let _ = self.settle();
                Err(e)
            }
        }
    }

    /// Puts the store in order before a write, and after a commit: the metadata on disk is the
    /// truth (a commit whose final flush failed may have landed), uncommitted writes are rolled back
    /// and replaced values no snapshot reads are collected. Callers hold the write lock.
    pub(crate) fn settle(&self) -> crate::Result<generation::Recovery> {
        let engine = &self.inner.engine;
        let on_disk = Meta::load(engine)?.ok_or_else(|| crate::Error::corrupt("store metadata", "missing"))?;
        if on_disk != *self.meta() {
            self.set_meta(on_disk);
        }
        let committed = self.meta();
        generation::settle(engine, &committed, self.oldest_pinned())
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.inner.path).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_is_send_sync_and_cheap_to_clone() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Store>();
    }
}
