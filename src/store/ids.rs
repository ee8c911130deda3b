//! External customer ids ↔ dense internal ids. On disk the map is hash-bucketed (see
//! `codec::bucket`); during an ingest it is held in memory as a hash table over precomputed id hashes,
//! with names kept in one arena so a million customers cost one allocation, not a million.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::codec::bucket;
use super::engine::{Engine, WriteBatch};
use super::generation::{Transaction, Written};
use super::keys;
use super::meta::Meta;
use crate::error::{Error, Result};

/// A `Hasher` for keys that already are well-mixed 64-bit hashes.
#[derive(Default)]
pub(crate) struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are used; fold anything else rather than panic.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ b as u64;
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

pub(crate) type PreHashedMap<V> = HashMap<u64, V, BuildHasherDefault<PreHashed>>;

#[derive(Clone, Copy)]
struct Slot {
    id: u32,
    name: u32,
}

/// The in-memory id map used by an ingest.
pub(crate) struct IdIndex {
    slots: PreHashedMap<Slot>,
    /// Names whose hash collides with another name's (expected: never; handled exactly anyway).
    collided: HashMap<Box<[u8]>, u32>,
    arena: Vec<u8>,
    /// Ids at or above this were assigned by the current ingest.
    first_new: u32,
    /// (hash, arena offset) of each new customer, indexed by `id - first_new`.
    new: Vec<(u64, u32)>,
}

/// Largest number of customers a store can hold: ids are `u32` in memory.
pub(crate) const MAX_CUSTOMERS: u64 = u32::MAX as u64;

impl IdIndex {
    /// Loads the visible part of the map (ids below `meta.next_id`).
    pub(crate) fn load<E: Engine>(engine: &E, meta: &Meta) -> Result<IdIndex> {
        let next =
            u32::try_from(meta.next_id).map_err(|_| Error::Limit(format!("more than {MAX_CUSTOMERS} customers")))?;
        let mut index = IdIndex {
            slots: PreHashedMap::with_capacity_and_hasher(next as usize, Default::default()),
            collided: HashMap::new(),
            arena: Vec::new(),
            first_new: next,
            new: Vec::new(),
        };
        for kv in engine.range(&keys::bucket(0), &keys::bucket(u32::MAX)) {
            let (key, value) = kv?;
            let what = || format!("id bucket {:?}", keys::number(key.as_ref()));
            let entries = bucket::decode(value.as_ref()).map_err(|e| Error::corrupt(what(), e.to_string()))?;
            for entry in entries {
                let e = entry.map_err(|e| Error::corrupt(what(), e.to_string()))?;
                if e.id < meta.next_id {
                    index.insert(e.hash, e.name, e.id as u32)?;
                }
            }
        }
        Ok(index)
    }

    fn push_name(&mut self, name: &[u8]) -> Result<u32> {
        let at =
            u32::try_from(self.arena.len()).map_err(|_| Error::Limit("customer ids exceed 4 GiB in total".into()))?;
        self.arena.extend_from_slice(&(name.len() as u32).to_le_bytes());
        self.arena.extend_from_slice(name);
        Ok(at)
    }

    fn name_at(&self, at: u32) -> &[u8] {
        let at = at as usize;
        let len = u32::from_le_bytes([self.arena[at], self.arena[at + 1], self.arena[at + 2], self.arena[at + 3]]);
        &self.arena[at + 4..at + 4 + len as usize]
    }

    fn insert(&mut self, hash: u64, name: &[u8], id: u32) -> Result<u32> {
        match self.slots.get(&hash) {
            None => {
                let at = self.push_name(name)?;
                self.slots.insert(hash, Slot { id, name: at });
                Ok(at)
            }
            Some(_) => {
                self.collided.insert(name.into(), id);
                self.push_name(name)
            }
        }
    }

    /// The internal id of `name` (whose hash is `hash`), assigning the next free id if it is new.
    /// Returns the id and whether it was new.
    #[inline]
    pub(crate) fn resolve(&mut self, hash: u64, name: &[u8]) -> Result<(u32, bool)> {
        if let Some(id) = self.find(hash, name) {
            return Ok((id, false));
        }
        let id = self.first_new as u64 + self.new.len() as u64;
        if id >= MAX_CUSTOMERS {
            return Err(Error::Limit(format!("more than {MAX_CUSTOMERS} customers")));
        }
        let at = self.insert(hash, name, id as u32)?;
        self.new.push((hash, at));
        Ok((id as u32, true))
    }

    /// The internal id of `name` (whose hash is `hash`) if it has one. Read-only, so an ingest can
    /// look up a chunk's rows in parallel and leave only new customers to [`IdIndex::resolve`].
    pub(crate) fn find(&self, hash: u64, name: &[u8]) -> Option<u32> {
        let slot = self.slots.get(&hash)?;
        if self.name_at(slot.name) == name {
            return Some(slot.id);
        }
        self.collided.get(name).copied()
    }

    /// One past the largest assigned id.
    pub(crate) fn next_id(&self) -> u64 {
        self.first_new as u64 + self.new.len() as u64
    }

    /// The external id of a customer created by this ingest.
    pub(crate) fn new_name(&self, id: u32) -> &[u8] {
        self.name_at(self.new[(id - self.first_new) as usize].1)
    }

    /// Adds this ingest's new customers to their buckets: one read-modify-write per touched bucket,
    /// in ascending key order, `per_batch` buckets per batch of `txn`. The entries are invisible
    /// until the ingest commits a `next_id` past them; a roll-back drops them again.
    pub(crate) fn write_new<E: Engine>(
        &self,
        txn: &mut Transaction<'_, E>,
        meta: &Meta,
        per_batch: usize,
    ) -> Result<()> {
        let engine = txn.engine();
        let mut by_bucket: Vec<(u32, u32)> =
            (0..self.new.len() as u32).map(|i| (meta.bucket_of(self.new[i as usize].0), i)).collect();
        by_bucket.sort_unstable();
        let mut batch = WriteBatch::default();
        let mut written = Vec::new();
        for group in by_bucket.chunk_by(|a, b| a.0 == b.0) {
            let b = group[0].0;
            let key = keys::bucket(b);
            let old = engine.get(&key)?;
            let what = || format!("id bucket {b}");
            let mut entries: Vec<bucket::Entry<'_>> = Vec::new();
            if let Some(old) = &old {
                for e in bucket::decode(old.as_ref()).map_err(|e| Error::corrupt(what(), e.to_string()))? {
                    let e = e.map_err(|e| Error::corrupt(what(), e.to_string()))?;
                    if e.id < meta.next_id {
                        entries.push(e);
                    }
                }
            }
            for &(_, i) in group {
                let (hash, at) = self.new[i as usize];
                entries.push(bucket::Entry { hash, id: self.first_new as u64 + i as u64, name: self.name_at(at) });
            }
            entries.sort_unstable_by(|a, b| (a.hash, a.name).cmp(&(b.hash, b.name)));
            batch.put(key, bucket::encode(&entries));
            written.push(Written::Bucket(b));
            if batch.len() >= per_batch {
                txn.apply(std::mem::take(&mut batch), &std::mem::take(&mut written))?;
            }
        }
        if !batch.is_empty() {
            txn.apply(batch, &written)?;
        }
        Ok(())
    }
}

/// Looks one external id up on disk without loading the map.
pub(crate) fn lookup<E: Engine>(engine: &E, meta: &Meta, name: &[u8]) -> Result<Option<u64>> {
    let hash = super::codec::fingerprint::customer(name);
    let b = meta.bucket_of(hash);
    let Some(value) = engine.get(&keys::bucket(b))? else {
        return Ok(None);
    };
    for e in bucket::decode(value.as_ref()).map_err(|e| Error::corrupt(format!("id bucket {b}"), e.to_string()))? {
        let e = e.map_err(|e| Error::corrupt(format!("id bucket {b}"), e.to_string()))?;
        if e.hash == hash && e.name == name && e.id < meta.next_id {
            return Ok(Some(e.id));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty(first_new: u32) -> IdIndex {
        IdIndex {
            slots: PreHashedMap::default(),
            collided: HashMap::new(),
            arena: Vec::new(),
            first_new,
            new: Vec::new(),
        }
    }

    #[test]
    fn assigns_dense_ids_in_first_appearance_order() {
        let mut ix = empty(10);
        assert_eq!(ix.resolve(1, b"a").unwrap(), (10, true));
        assert_eq!(ix.resolve(2, b"b").unwrap(), (11, true));
        assert_eq!(ix.resolve(1, b"a").unwrap(), (10, false));
        assert_eq!(ix.next_id(), 12);
        assert_eq!(ix.new_name(11), b"b");
    }

    #[test]
    fn hash_collisions_keep_names_apart() {
        let mut ix = empty(0);
        assert_eq!(ix.resolve(7, b"first").unwrap(), (0, true));
        assert_eq!(ix.resolve(7, b"second").unwrap(), (1, true));
        assert_eq!(ix.resolve(7, b"first").unwrap(), (0, false));
        assert_eq!(ix.resolve(7, b"second").unwrap(), (1, false));
        assert_eq!(ix.new_name(1), b"second");
    }
}
