//! Store metadata: format version, the settings fixed when the store was created (currency, time
//! zone, block size) and the commit state (`next_id`: every customer id below it is complete).

use serde::{Deserialize, Serialize};

use super::codec;
use super::engine::Engine;
use super::keys;
use crate::error::Result;
use crate::money::Currency;

/// The on-disk format this build reads and writes. 1: the first layout (8-byte order fingerprints);
/// 2: numeric order ids are their own keys, delta-encoded; 3: the metadata counts data versions
/// (for saved scores). Older stores must be re-ingested.
pub const FORMAT_VERSION: u32 = 3;
/// 2 added `counts_only`; a version-1 value reads as a store with amounts.
const META_VERSION: u8 = 2;

/// Number of id-map buckets as a power of two: 16,384 buckets keep values near 1.5 KB at a million
/// customers and 15 KB at ten million, both cheap for sled (see ARCHITECTURE.md).
pub(crate) const DEFAULT_BUCKET_BITS: u8 = 14;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Meta {
    pub format: u32,
    pub block_size: u32,
    pub bucket_bits: u8,
    pub currency: Currency,
    pub time_zone: String,
    /// Customers with internal id below this are visible and complete; anything at or above it
    /// is debris of an interrupted ingest and is ignored (and overwritten) by the next one.
    pub next_id: u64,
    /// Categories with ids 1..=categories are visible.
    pub categories: u32,
    /// Completed ingests.
    pub ingests: u64,
    /// Completed ingests that changed something (new or updated orders, new customers): saved
    /// scores record it, and differ from it once the data they describe has changed.
    pub data_version: u64,
    /// Set while an ingest commits. Found set on the next ingest, it means the last one was
    /// interrupted: its id-map entries at or above `next_id` are removed before ids are reused.
    pub in_progress: bool,
    /// The store holds purchase counts only: its first ingest was an event log without amounts
    /// (every order's amount is 0 and means "unknown", not "free").
    pub counts_only: bool,
}

/// [`Meta`] as `META_VERSION` 1 wrote it.
#[derive(Deserialize)]
struct MetaV1 {
    format: u32,
    block_size: u32,
    bucket_bits: u8,
    currency: Currency,
    time_zone: String,
    next_id: u64,
    categories: u32,
    ingests: u64,
    data_version: u64,
    in_progress: bool,
}

impl Meta {
    pub(crate) fn load<E: Engine>(engine: &E) -> Result<Option<Meta>> {
        match engine.get(keys::META)? {
            None => Ok(None),
            Some(v) => Meta::decode(v.as_ref()).map(Some),
        }
    }

    /// Reads a stored value of this version or of version 1.
    fn decode(bytes: &[u8]) -> Result<Meta> {
        if bytes.first() != Some(&1) {
            return codec::decode_value(META_VERSION, bytes, "store metadata");
        }
        let m: MetaV1 = codec::decode_value(1, bytes, "store metadata")?;
        Ok(Meta {
            format: m.format,
            block_size: m.block_size,
            bucket_bits: m.bucket_bits,
            currency: m.currency,
            time_zone: m.time_zone,
            next_id: m.next_id,
            categories: m.categories,
            ingests: m.ingests,
            data_version: m.data_version,
            in_progress: m.in_progress,
            counts_only: false,
        })
    }

    pub(crate) fn encode(&self) -> Result<Vec<u8>> {
        codec::encode_value(META_VERSION, self)
    }

    /// The block holding customer `id`.
    pub(crate) fn block_of(&self, id: u64) -> u64 {
        id / self.block_size as u64
    }

    /// Number of blocks that hold visible customers.
    pub(crate) fn block_count(&self) -> u64 {
        self.next_id.div_ceil(self.block_size as u64)
    }

    /// The id-map bucket of a customer-id hash.
    pub(crate) fn bucket_of(&self, hash: u64) -> u32 {
        (hash >> (64 - self.bucket_bits as u32)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes() {
        let m = Meta {
            format: 1,
            block_size: 128,
            bucket_bits: 14,
            currency: Currency::default(),
            time_zone: "UTC".into(),
            next_id: 300,
            categories: 2,
            ingests: 1,
            data_version: 1,
            in_progress: false,
            counts_only: true,
        };
        let bytes = m.encode().unwrap();
        assert_eq!(bytes, [2, 1, 128, 14, 3, b'U', b'S', b'D', 2, 3, b'U', b'T', b'C', 251, 44, 1, 2, 1, 1, 0, 1]);
        assert_eq!(codec::decode_value::<Meta>(META_VERSION, &bytes, "m").unwrap(), m);
        // A version-1 value (a store written before counts-only stores) reads as one with amounts.
        let v1 = [1, 1, 128, 14, 3, b'U', b'S', b'D', 2, 3, b'U', b'T', b'C', 251, 44, 1, 2, 1, 1, 0];
        assert_eq!(Meta::decode(&v1).unwrap(), Meta { counts_only: false, ..m.clone() });
        assert_eq!(Meta::decode(&bytes).unwrap(), m);
        assert_eq!(m.block_of(255), 1);
        assert_eq!(m.block_count(), 3);
        assert_eq!(m.bucket_of(u64::MAX), (1 << 14) - 1);
        assert_eq!(m.bucket_of(0), 0);
    }
}
