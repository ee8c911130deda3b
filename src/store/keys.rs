//! The key layout of the one keyspace. A key is a one-byte tag followed by big-endian numbers, so
//! byte order is numeric order and a key range is a contiguous run of blocks, buckets or categories.
//!
//! Values that a write replaces (customer blocks, saved scores, the saved model) are *versioned*:
//! their key holds the generation of the commit that wrote them (at the end, except for saved
//! cells, `S|generation|block`, so that one save's cells are one range), so a write puts its new values
//! beside the old ones and the metadata's one atomic update decides which are visible (see
//! `generation`). Generation 0 is the unversioned key of format 3, which sorts before every
//! versioned key of the same number: a store of format 3 reads as one whose every value is
//! generation 0.

/// Store metadata (one key).
pub(crate) const META: &[u8] = b"M";
/// The block table: the generation of every customer block (one key, written with `META`).
pub(crate) const BLOCK_TABLE: &[u8] = b"G";
const BLOCK: u8 = b'B';
const BUCKET: u8 = b'I';
const CATEGORY: u8 = b'C';
/// Values of saved results.
const VALUE: u8 = b'R';
/// Per-customer cells of saved results.
const CELLS: u8 = b'S';
/// Format 3's saved model.
const LEGACY_MODEL_TAG: u8 = b'V';
/// Write lists: what each uncommitted or uncollected generation wrote and replaced.
const WRITES: u8 = b'W';

/// Key of customer block `block` (holding ids `block * block_size ..`) as written by `generation`.
pub(crate) fn block(block: u64, generation: u32) -> Vec<u8> {
    versioned(tagged(BLOCK, block).to_vec(), generation)
}

/// The first and one-past-the-last key of blocks `start..end`, every generation.
pub(crate) fn block_range(start: u64, end: u64) -> ([u8; 9], [u8; 9]) {
    (tagged(BLOCK, start), tagged(BLOCK, end))
}

/// Every block key from block `block` on, every generation.
pub(crate) fn blocks_from(block: u64) -> (Vec<u8>, Vec<u8>) {
    (tagged(BLOCK, block).to_vec(), vec![BLOCK + 1])
}

/// Block number and generation of a block key.
pub(crate) fn block_of(key: &[u8]) -> Option<(u64, u32)> {
    if key.first() != Some(&BLOCK) {
        return None;
    }
    let number = u64::from_be_bytes(key.get(1..9)?.try_into().ok()?);
    match key.len() {
        9 => Some((number, 0)),
        13 => Some((number, u32::from_be_bytes(key[9..13].try_into().ok()?))),
        _ => None,
    }
}

/// Key of id-map bucket `bucket`.
pub(crate) fn bucket(bucket: u32) -> [u8; 9] {
    tagged(BUCKET, bucket as u64)
}

/// Key of the cells of customer block `block` in the saved result of `generation` (see `saved`).
/// Generation-major, so one save's cells are one key range ([`cells_range`]); generation 0 is
/// format 3's `S|block` (its saved RFM scores).
pub(crate) fn cells(generation: u32, block: u64) -> Vec<u8> {
    if generation == 0 {
        return tagged(CELLS, block).to_vec();
    }
    let mut k = Vec::with_capacity(13);
    k.push(CELLS);
    k.extend_from_slice(&generation.to_be_bytes());
    k.extend_from_slice(&block.to_be_bytes());
    k
}

/// Every cell block of the save of `generation` (for generation 0, of format 3's blocks below
/// 2^32, which is every block a store can have).
pub(crate) fn cells_range(generation: u32) -> (Vec<u8>, Vec<u8>) {
    let bound = |g: u64| match u32::try_from(g) {
        Ok(g) => [&[CELLS][..], &g.to_be_bytes()].concat(),
        Err(_) => vec![CELLS + 1],
    };
    (bound(u64::from(generation)), bound(u64::from(generation) + 1))
}

/// Key of the value of the saved result `name` written by `generation`. Generations are unique
/// per write, so the name is not part of the key; generation 0 is format 3's fixed keys, `R` (the
/// RFM scores' header) and `V` (the CLV model).
pub(crate) fn saved_value(name: &str, generation: u32) -> Vec<u8> {
    match generation {
        0 if name == LEGACY_MODEL => vec![LEGACY_MODEL_TAG],
        0 => vec![VALUE],
        g => [&[VALUE][..], &g.to_be_bytes()].concat(),
    }
}

/// The name format 3's model (`V`) is read under; every other format-3 result is the one at `R`.
pub(crate) const LEGACY_MODEL: &str = "clv";
/// The name format 3's scores (`R` and `S|block`) are read under.
pub(crate) const LEGACY_SCORES: &str = "rfm";

/// Key of category `id`.
pub(crate) fn category(id: u32) -> [u8; 9] {
    tagged(CATEGORY, id as u64)
}

/// Key of write list `seq` of `generation`.
pub(crate) fn writes(generation: u32, seq: u32) -> [u8; 9] {
    tagged(WRITES, (u64::from(generation) << 32) | u64::from(seq))
}

/// Every write list, all generations.
pub(crate) fn writes_range() -> ([u8; 1], [u8; 1]) {
    ([WRITES], [WRITES + 1])
}

/// The generation of a write-list key.
pub(crate) fn writes_generation(key: &[u8]) -> Option<u32> {
    (key.first() == Some(&WRITES)).then(|| number(key))?.map(|n| (n >> 32) as u32)
}

/// The number in a tagged key, if `key` has `tag`'s shape.
pub(crate) fn number(key: &[u8]) -> Option<u64> {
    let tail: [u8; 8] = key.get(1..9)?.try_into().ok()?;
    (key.len() == 9).then(|| u64::from_be_bytes(tail))
}

fn tagged(tag: u8, n: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = tag;
    k[1..].copy_from_slice(&n.to_be_bytes());
    k
}

fn versioned(mut key: Vec<u8>, generation: u32) -> Vec<u8> {
    if generation > 0 {
        key.extend_from_slice(&generation.to_be_bytes());
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_numerically_and_round_trip() {
        assert!(block(255, 0) < block(256, 0));
        assert!(block(u64::MAX - 1, 9) < block(u64::MAX, 0));
        assert_eq!(block(0x0102, 0), [b'B', 0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(block(0x0102, 3), [b'B', 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 3]);
        // Versions of one block sort together, oldest first, and inside the block's range.
        assert!(block(7, 0) < block(7, 1) && block(7, 1) < block(7, 2) && block(7, u32::MAX) < block(8, 0));
        let (start, end) = block_range(7, 8);
        assert!(start[..] <= block(7, 0)[..] && block(7, u32::MAX)[..] < end[..]);
        assert_eq!(block_of(&block(7, 0)), Some((7, 0)));
        assert_eq!(block_of(&block(7, 5)), Some((7, 5)));
        assert_eq!(block_of(&bucket(7)), None);
        assert_eq!(number(&bucket(77)), Some(77));
        assert_eq!(number(&category(3)), Some(3));
        assert_eq!(number(b"B"), None);
        // Tags keep the kinds apart.
        assert!(block(u64::MAX, u32::MAX) < category(0).to_vec());
        assert!(category(u32::MAX) < bucket(0));
        assert!(&bucket(u32::MAX)[..] < META);
        // One save's cells are one range, format 3's (generation 0) included.
        for g in [0, 1, 7, u32::MAX] {
            let (start, end) = cells_range(g);
            for b in [0, 1, u64::from(u32::MAX)] {
                let k = cells(g, b);
                assert!(start <= k && k < end, "generation {g} block {b}");
            }
            if g < u32::MAX {
                assert!(cells(g + 1, 0) >= end);
            }
        }
        assert_eq!(saved_value(LEGACY_SCORES, 0), b"R");
        assert_eq!(saved_value(LEGACY_MODEL, 0), b"V");
        assert_eq!(saved_value("anything", 2), [b'R', 0, 0, 0, 2]);
        assert_eq!(writes_generation(&writes(5, 9)), Some(5));
        assert!(writes(5, u32::MAX) < writes(6, 0));
        let (start, end) = writes_range();
        assert!(start[..] <= writes(0, 0)[..] && writes(u32::MAX, u32::MAX)[..] < end[..]);
    }
}
