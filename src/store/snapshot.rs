//! Snapshots: one committed state of a store, pinned for as long as a reader needs it.

use std::sync::Arc;

use super::Store;
use super::engine::Sled;
use super::meta::Meta;

/// One committed state of a store. Everything read through a snapshot (totals, summaries, a
/// customer's record, saved scores and model) is from that one state, even while ingests commit
/// in other threads; the values it reads are kept until it is dropped. Every read method of
/// [`Store`] takes a snapshot for the length of its call; take one explicitly to read several
/// things from the same state.
///
/// ```
/// # fn main() -> retention::Result<()> {
/// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
/// let store = retention::Store::open(dir.path().join("shop"))?;
/// let csv = "customer_id,order_id,timestamp,amount\nann,1,2024-01-05,20.00\n";
/// store.ingest(csv.as_bytes(), &retention::IngestOptions::default())?;
/// let before = store.snapshot();
/// store.ingest("customer_id,order_id,timestamp,amount\nbob,2,2024-01-06,5.00\n".as_bytes(), &Default::default())?;
/// // The snapshot still reads the store as it was when taken.
/// assert_eq!(before.stats()?.customers, 1);
/// assert!(before.customer("bob")?.is_none());
/// assert_eq!(store.stats()?.customers, 2);
/// assert!(store.snapshot().generation() > before.generation());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Snapshot {
    store: Store,
    meta: Arc<Meta>,
}

impl Store {
    /// The store's current committed state.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot { store: self.clone(), meta: self.meta() }
    }
}

impl Snapshot {
    /// The commit this snapshot reads: every write (ingest, saved scores, saved model) adds one.
    pub fn generation(&self) -> u64 {
        u64::from(self.meta.generation)
    }

    /// The store's data version at this snapshot: the number of ingests that changed data. Saved
    /// scores and models record the data version they were computed from.
    pub fn data_version(&self) -> u64 {
        self.meta.data_version
    }

    /// Number of customers (with any order, purchase or return).
    pub fn customer_count(&self) -> u64 {
        self.meta.next_id
    }

    /// The store this is a snapshot of.
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn meta(&self) -> &Meta {
        &self.meta
    }

    pub(crate) fn engine(&self) -> &Sled {
        &self.store.inner().engine
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("path", &self.store.path())
            .field("generation", &self.meta.generation)
            .finish_non_exhaustive()
    }
}
