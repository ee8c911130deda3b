//! Store metadata: format version, the settings fixed when the store was created (currency, time
//! zone, block size) and the committed state: the generation, which customers and categories are
//! visible, which version of every block and saved result is current. The metadata is the root of
//! everything a reader sees; replacing it (one atomic batch) is how every write commits.

use serde::{Deserialize, Serialize};

use super::codec;
use super::codec::varint::{self, Reader};
use super::engine::{Engine, WriteBatch};
use super::keys;
use crate::error::{Error, Result};
use crate::money::Currency;

/// The on-disk format this build writes. 1: the first layout (8-byte order fingerprints);
/// 2: numeric order ids are their own keys, delta-encoded; 3: the metadata counts data versions
/// (for saved scores); 4: versioned blocks and saved results, committed by one metadata write.
/// A store of format 3 opens and is upgraded in place (its values read as generation 0); older
/// stores must be re-ingested.
pub const FORMAT_VERSION: u32 = 4;
/// The oldest format this build opens.
pub(crate) const OLDEST_FORMAT: u32 = 3;
/// 2 added `counts_only`; 3 replaced `in_progress` with generations. Versions 1 and 2 (format 3)
/// still decode.
const META_VERSION: u8 = 3;
const TABLE_VERSION: u8 = 1;

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
    /// Customers with internal id below this are visible and complete; id-map entries at or above
    /// it belong to an uncommitted write and are ignored.
    pub next_id: u64,
    /// Categories with ids 1..=categories are visible.
    pub categories: u32,
    /// Completed ingests.
    pub ingests: u64,
    /// Completed ingests that changed something (new or updated orders, new customers): saved
    /// scores record it, and differ from it once the data they describe has changed.
    pub data_version: u64,
    /// The store holds purchase counts only: its first ingest was an event log without amounts
    /// (every order's amount is 0 and means "unknown", not "free").
    pub counts_only: bool,
    /// The last committed write (ingest or save); the next one writes its values under
    /// `generation + 1` and commits by storing this metadata with that number.
    pub generation: u32,
    /// Saved results by name (sorted) and the generation that wrote each (see `saved`).
    pub saved: Vec<(String, u32)>,
    /// The generation of every customer block (`block_count()` entries); stored under its own key
    /// ([`keys::BLOCK_TABLE`]) in the same batch as the metadata.
    #[serde(skip)]
    pub blocks: BlockTable,
}

/// The generation of each customer block: which version of a block the metadata points at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct BlockTable(pub Vec<u32>);

impl BlockTable {
    /// The generation of block `b` (0 past the end: a block never versioned).
    pub(crate) fn get(&self, b: u64) -> u32 {
        usize::try_from(b).ok().and_then(|b| self.0.get(b)).copied().unwrap_or(0)
    }

    /// Runs of equal generations: a table after a full rewrite is one run, so a store of ten
    /// million customers stores a few bytes, not 78,000 numbers.
    fn encode(&self) -> Vec<u8> {
        let mut out = vec![TABLE_VERSION];
        for run in self.0.chunk_by(|a, b| a == b) {
            varint::put_u64(&mut out, run.len() as u64);
            varint::put_u64(&mut out, u64::from(run[0]));
        }
        out
    }

    fn decode(bytes: &[u8], blocks: u64) -> Result<BlockTable> {
        let corrupt = |detail: String| Error::corrupt("block table", detail);
        let (&version, body) = bytes.split_first().ok_or_else(|| corrupt("empty value".into()))?;
        if version != TABLE_VERSION {
            return Err(corrupt(format!("unknown value version {version}")));
        }
        let mut r = Reader::new(body);
        let mut table = Vec::with_capacity(usize::try_from(blocks).unwrap_or(0));
        while !r.is_empty() {
            let len = r.u64().map_err(|e| corrupt(e.to_string()))?;
            let generation = r.u64().map_err(|e| corrupt(e.to_string()))?;
            let generation = u32::try_from(generation).map_err(|_| corrupt(format!("generation {generation}")))?;
            if len == 0 || len > blocks - table.len() as u64 {
                return Err(corrupt(format!("a run of {len} blocks where {blocks} are committed")));
            }
            table.extend(std::iter::repeat_n(generation, len as usize));
        }
        if table.len() as u64 != blocks {
            return Err(corrupt(format!("{} blocks where {blocks} are committed", table.len())));
        }
        Ok(BlockTable(table))
    }
}

/// [`Meta`] as `META_VERSION` 2 wrote it (format 3). Version 1 is the same without the last field.
#[derive(Deserialize)]
struct MetaV2 {
    format: u32,
    block_size: u32,
    bucket_bits: u8,
    currency: Currency,
    time_zone: String,
    next_id: u64,
    categories: u32,
    ingests: u64,
    data_version: u64,
    // Format 3's "an ingest was interrupted": its blocks were written in place, so saved results
    // may describe data no longer there. Read as a data change.
    in_progress: bool,
    counts_only: bool,
}

impl Meta {
    /// The committed metadata on disk with its block table. A format-3 store's metadata reads as
    /// generation 0 (every block, and the saved scores and model if present, unversioned).
    pub(crate) fn load<E: Engine>(engine: &E) -> Result<Option<Meta>> {
        let Some(v) = engine.get(keys::META)? else { return Ok(None) };
        let mut meta = Meta::decode(v.as_ref())?;
        if meta.format < FORMAT_VERSION {
            meta.blocks = BlockTable(vec![0; meta.block_count() as usize]);
            for name in [keys::LEGACY_MODEL, keys::LEGACY_SCORES] {
                if engine.get(&keys::saved_value(name, 0))?.is_some() {
                    meta.set_saved(name, 0);
                }
            }
        } else {
            let table = engine.get(keys::BLOCK_TABLE)?.ok_or_else(|| Error::corrupt("block table", "missing"))?;
            meta.blocks = BlockTable::decode(table.as_ref(), meta.block_count())?;
        }
        Ok(Some(meta))
    }

    /// Reads a stored value of this version or of versions 1 and 2 (format 3).
    fn decode(bytes: &[u8]) -> Result<Meta> {
        let old = |m: MetaV2| Meta {
            format: m.format,
            block_size: m.block_size,
            bucket_bits: m.bucket_bits,
            currency: m.currency,
            time_zone: m.time_zone,
            next_id: m.next_id,
            categories: m.categories,
            ingests: m.ingests,
            data_version: m.data_version + u64::from(m.in_progress),
            counts_only: m.counts_only,
            generation: 0,
            saved: Vec::new(),
            blocks: BlockTable::default(),
        };
        match bytes.first() {
            Some(1) => {
                // Version 2 appended `counts_only`: a version-1 value is one with it false (0).
                let as_v2 = [&[2][..], &bytes[1..], &[0]].concat();
                Ok(old(codec::decode_value(2, &as_v2, "store metadata")?))
            }
            Some(2) => Ok(old(codec::decode_value(2, bytes, "store metadata")?)),
            _ => codec::decode_value(META_VERSION, bytes, "store metadata"),
        }
    }

    pub(crate) fn encode(&self) -> Result<Vec<u8>> {
        codec::encode_value(META_VERSION, self)
    }

    /// The generation of the saved result `name`, if one is saved.
    pub(crate) fn saved(&self, name: &str) -> Option<u32> {
        self.saved.binary_search_by(|(n, _)| n.as_str().cmp(name)).ok().map(|i| self.saved[i].1)
    }

    /// Records that generation `g` saved the result `name`.
    pub(crate) fn set_saved(&mut self, name: &str, g: u32) {
        match self.saved.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
            Ok(i) => self.saved[i].1 = g,
            Err(i) => self.saved.insert(i, (name.to_string(), g)),
        }
    }

    /// Puts this metadata and its block table into `batch`: applied, that batch is a commit.
    pub(crate) fn put(&self, batch: &mut WriteBatch) -> Result<()> {
        debug_assert_eq!(self.blocks.0.len() as u64, self.block_count());
        batch.put(keys::META, self.encode()?);
        batch.put(keys::BLOCK_TABLE, self.blocks.encode());
        Ok(())
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
            counts_only: true,
            generation: 5,
            saved: vec![("rfm".into(), 4)],
            blocks: BlockTable::default(),
        };
        let bytes = m.encode().unwrap();
        let golden = [3, 1, 128, 14, 3, b'U', b'S', b'D', 2, 3, b'U', b'T', b'C', 251, 44, 1, 2, 1, 1, 1, 5, 1, 3];
        assert_eq!(bytes, [&golden[..], b"rfm", &[4]].concat());
        assert_eq!(Meta::decode(&bytes).unwrap(), m);
        let legacy = Meta { generation: 0, saved: Vec::new(), ..m.clone() };
        // A version-2 value (format 3) reads as generation 0; its `in_progress` as a data change.
        let v2 = [2, 1, 128, 14, 3, b'U', b'S', b'D', 2, 3, b'U', b'T', b'C', 251, 44, 1, 2, 1, 1, 1, 1];
        assert_eq!(Meta::decode(&v2).unwrap(), Meta { data_version: 2, ..legacy.clone() });
        // A version-1 value (a store written before counts-only stores) reads as one with amounts.
        let v1 = [1, 1, 128, 14, 3, b'U', b'S', b'D', 2, 3, b'U', b'T', b'C', 251, 44, 1, 2, 1, 1, 0];
        assert_eq!(Meta::decode(&v1).unwrap(), Meta { counts_only: false, ..legacy });
        assert_eq!(m.block_of(255), 1);
        assert_eq!(m.block_count(), 3);
        assert_eq!(m.bucket_of(u64::MAX), (1 << 14) - 1);
        assert_eq!(m.bucket_of(0), 0);
        let mut m = m;
        m.set_saved("clv", 6);
        m.set_saved("rfm", 7);
        assert_eq!((m.saved("clv"), m.saved("rfm"), m.saved("x")), (Some(6), Some(7), None));
        assert_eq!(m.saved[0].0, "clv");
    }

    #[test]
    fn block_tables_store_runs_and_refuse_a_wrong_length() {
        let t = BlockTable(vec![3, 3, 3, 9, 3]);
        let bytes = t.encode();
        assert_eq!(bytes, [TABLE_VERSION, 3, 3, 1, 9, 1, 3]);
        assert_eq!(BlockTable::decode(&bytes, 5).unwrap(), t);
        for blocks in [4, 6] {
            assert_eq!(BlockTable::decode(&bytes, blocks).unwrap_err().kind(), crate::ErrorKind::Corrupt);
        }
        assert_eq!(BlockTable::decode(&[TABLE_VERSION], 0).unwrap(), BlockTable::default());
        assert_eq!(BlockTable::decode(&[TABLE_VERSION, 0, 1], 0).unwrap_err().kind(), crate::ErrorKind::Corrupt);
        assert_eq!(t.get(3), 9);
        assert_eq!(t.get(99), 0);
    }
}
