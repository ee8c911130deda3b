//! The storage seam: the five operations `retention` needs from a key-value engine, and their sled
//! implementation. sled 0.34 is effectively unmaintained; everything above this file talks only to
//! [`Engine`], so moving to redb or fjall means implementing this trait and nothing else.

use std::path::Path;

use crate::error::{Error, Result};

/// An ordered byte-keyed store with atomic batches.
pub(crate) trait Engine: Send + Sync + 'static {
    /// A stored value; cheap to clone and readable as bytes without copying.
    type Value: AsRef<[u8]> + Clone + Send + Sync + 'static;

    fn get(&self, key: &[u8]) -> Result<Option<Self::Value>>;

    /// Applies every write in `batch` atomically: after a crash either all of it is visible or none.
    fn apply(&self, batch: WriteBatch) -> Result<()>;

    /// Key-ordered iteration over `start..end`.
    fn range(&self, start: &[u8], end: &[u8]) -> impl Iterator<Item = Result<(Self::Value, Self::Value)>> + Send + '_;

    /// Makes every applied batch durable.
    fn flush(&self) -> Result<()>;

    fn size_on_disk(&self) -> Result<u64>;
}

/// A set of writes applied atomically by [`Engine::apply`].
#[derive(Default)]
pub(crate) struct WriteBatch {
    pub(crate) writes: Vec<(Vec<u8>, Vec<u8>)>,
    pub(crate) bytes: usize,
}

impl WriteBatch {
    pub(crate) fn put(&mut self, key: impl Into<Vec<u8>>, value: Vec<u8>) {
        let key = key.into();
        self.bytes += key.len() + value.len();
        self.writes.push((key, value));
    }

    pub(crate) fn len(&self) -> usize {
        self.writes.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }
}

/// sled behind [`Engine`]. One sled tree holds every key; the key's first byte says what it is
/// (see `keys`), which keeps a commit that touches records, ids and metadata one atomic batch.
pub(crate) struct Sled {
    db: sled::Db,
    /// Tests only: how many more batches apply before every later one fails (a full disk, an
    /// I/O error in a long-lived process); `u64::MAX` never fails.
    #[cfg(test)]
    pub(crate) applies_left: std::sync::atomic::AtomicU64,
}

/// Re-tries of a locked open, 50 ms apart (sled's flusher wakes every 500 ms at most).
const LOCK_RETRIES: u32 = 12;

impl Sled {
    /// Opens (or creates) the sled database in `dir`.
    pub(crate) fn open(dir: &Path, store_path: &Path, cache_capacity: u64) -> Result<Sled> {
        let open =
            || sled::Config::new().path(dir).cache_capacity(cache_capacity).mode(sled::Mode::HighThroughput).open();
        // sled reports the advisory lock held by another handle as a plain I/O error.
        let locked =
            |e: &sled::Error| matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"));
        let mut result = open();
        // A handle this process just dropped lets go of the lock only when sled's background
        // flusher has stopped, a moment later: a close-then-reopen must not fail for that. Another
        // process holding the store still gets `Locked`, after this short wait.
        for _ in 0..LOCK_RETRIES {
            match &result {
                Err(e) if locked(e) => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    result = open();
                }
                _ => break,
            }
        }
        let db = result.map_err(|e| {
            if locked(&e) {
                Error::Locked { path: store_path.to_path_buf() }
            } else {
                Error::Engine(format!("opening {}: {e}", dir.display()))
            }
        })?;
        Ok(Sled {
            db,
            #[cfg(test)]
            applies_left: std::sync::atomic::AtomicU64::new(u64::MAX),
        })
    }
}

impl Engine for Sled {
    type Value = sled::IVec;

    fn get(&self, key: &[u8]) -> Result<Option<sled::IVec>> {
        Ok(self.db.get(key)?)
    }

    fn apply(&self, batch: WriteBatch) -> Result<()> {
        #[cfg(test)]
        {
            use std::sync::atomic::Ordering;
            let left = self.applies_left.load(Ordering::SeqCst);
            if left == 0 {
                return Err(Error::Engine("injected write failure".into()));
            }
            if left != u64::MAX {
                self.applies_left.store(left - 1, Ordering::SeqCst);
            }
        }
        let mut b = sled::Batch::default();
        for (k, v) in batch.writes {
            b.insert(k, v);
        }
        Ok(self.db.apply_batch(b)?)
    }

    fn range(&self, start: &[u8], end: &[u8]) -> impl Iterator<Item = Result<(sled::IVec, sled::IVec)>> + Send + '_ {
        self.db.range(start.to_vec()..end.to_vec()).map(|r| r.map_err(Error::from))
    }

    fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    fn size_on_disk(&self) -> Result<u64> {
        Ok(self.db.size_on_disk()?)
    }
}
