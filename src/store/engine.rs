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

/// A set of writes applied atomically by [`Engine::apply`]: puts, and removals of other keys.
#[derive(Default)]
pub(crate) struct WriteBatch {
    pub(crate) writes: Vec<(Vec<u8>, Vec<u8>)>,
    pub(crate) removes: Vec<Vec<u8>>,
    pub(crate) bytes: usize,
}

impl WriteBatch {
    pub(crate) fn put(&mut self, key: impl Into<Vec<u8>>, value: Vec<u8>) {
        let key = key.into();
        self.bytes += key.len() + value.len();
        self.writes.push((key, value));
    }

    /// Removes `key` (nothing if it is absent).
    pub(crate) fn remove(&mut self, key: impl Into<Vec<u8>>) {
        let key = key.into();
        self.bytes += key.len();
        self.removes.push(key);
    }

    /// Number of puts and removals.
    pub(crate) fn len(&self) -> usize {
        self.writes.len() + self.removes.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Tests only: a fault plan for the engine, the way redb tests its crash safety. Every `apply` and
/// `flush` is one numbered operation; the operation numbered `fail_at` fails, and with `sticky`
/// every later one too (the process is as good as dead: dropping the store then leaves on disk
/// exactly the writes before the failure, which is what a crash at that instant can leave).
#[cfg(test)]
#[derive(Debug)]
pub(crate) struct Faults {
    /// Operations so far.
    pub(crate) ops: std::sync::atomic::AtomicU64,
    /// The operation that fails (`u64::MAX`: none).
    pub(crate) fail_at: std::sync::atomic::AtomicU64,
    pub(crate) sticky: std::sync::atomic::AtomicBool,
}

#[cfg(test)]
thread_local! {
    /// Tests only: the fault plan (`fail_at`, `sticky`) of the next engine this thread opens, so a
    /// failure can be injected into what opening a store writes (its recovery).
    pub(crate) static OPEN_FAULTS: std::cell::Cell<(u64, bool)> = const { std::cell::Cell::new((u64::MAX, false)) };
}

#[cfg(test)]
impl Faults {
    /// Fails operation `n` from now (0 = the next one), and with `sticky` every one after it.
    pub(crate) fn fail_in(&self, n: u64, sticky: bool) {
        use std::sync::atomic::Ordering::SeqCst;
        self.sticky.store(sticky, SeqCst);
        self.fail_at.store(self.ops.load(SeqCst) + n, SeqCst);
    }

    /// Stops injecting failures.
    pub(crate) fn heal(&self) {
        self.fail_at.store(u64::MAX, std::sync::atomic::Ordering::SeqCst);
    }

    fn check(&self, what: &str) -> Result<()> {
        use std::sync::atomic::Ordering::SeqCst;
        let n = self.ops.fetch_add(1, SeqCst);
        let at = self.fail_at.load(SeqCst);
        if n == at || (n > at && self.sticky.load(SeqCst)) {
            return Err(Error::Engine(format!("injected {what} failure")));
        }
        Ok(())
    }
}

/// sled behind [`Engine`]. One sled tree holds every key; the key's first byte says what it is
/// (see `keys`), which keeps a commit that touches records, ids and metadata one atomic batch.
pub(crate) struct Sled {
    db: sled::Db,
    #[cfg(test)]
    pub(crate) faults: Faults,
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
            faults: {
                let (fail_at, sticky) = OPEN_FAULTS.with(|f| f.replace((u64::MAX, false)));
                Faults {
                    ops: Default::default(),
                    fail_at: std::sync::atomic::AtomicU64::new(fail_at),
                    sticky: std::sync::atomic::AtomicBool::new(sticky),
                }
            },
        })
    }
}

#[cfg(test)]
impl Sled {
    /// An injected failure, if this operation gets one. Everything applied before it is made
    /// durable first: the harshest crash at this instant, and the same whether or not sled
    /// flushes when it is dropped.
    fn injected(&self, what: &str) -> Result<()> {
        self.faults.check(what).inspect_err(|_| {
            let _ = self.db.flush();
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
        self.injected("write")?;
        let mut b = sled::Batch::default();
        for (k, v) in batch.writes {
            b.insert(k, v);
        }
        for k in batch.removes {
            b.remove(k);
        }
        Ok(self.db.apply_batch(b)?)
    }

    fn range(&self, start: &[u8], end: &[u8]) -> impl Iterator<Item = Result<(sled::IVec, sled::IVec)>> + Send + '_ {
        self.db.range(start.to_vec()..end.to_vec()).map(|r| r.map_err(Error::from))
    }

    fn flush(&self) -> Result<()> {
        #[cfg(test)]
        self.injected("flush")?;
        self.db.flush()?;
        Ok(())
    }

    fn size_on_disk(&self) -> Result<u64> {
        Ok(self.db.size_on_disk()?)
    }
}
