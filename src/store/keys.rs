//! The key layout of the one keyspace. A key is a one-byte tag followed by a big-endian number, so
//! byte order is numeric order and a key range is a contiguous run of blocks, buckets or categories.

/// Store metadata (one key).
pub(crate) const META: &[u8] = b"M";
const BLOCK: u8 = b'B';
const BUCKET: u8 = b'I';
const CATEGORY: u8 = b'C';
/// Header of the saved RFM scores (one key).
pub(crate) const SCORES: &[u8] = b"R";
const SCORE_BLOCK: u8 = b'S';
/// The saved CLV model (one key).
pub(crate) const CLV_MODEL: &[u8] = b"V";

/// Key of customer block `block` (holding ids `block * block_size ..`).
pub(crate) fn block(block: u64) -> [u8; 9] {
    tagged(BLOCK, block)
}

/// Key of id-map bucket `bucket`.
pub(crate) fn bucket(bucket: u32) -> [u8; 9] {
    tagged(BUCKET, bucket as u64)
}

/// Key of the saved scores of customer block `block`.
pub(crate) fn score_block(block: u64) -> [u8; 9] {
    tagged(SCORE_BLOCK, block)
}

/// Key of category `id`.
pub(crate) fn category(id: u32) -> [u8; 9] {
    tagged(CATEGORY, id as u64)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_numerically_and_round_trip() {
        assert!(block(255) < block(256));
        assert!(block(u64::MAX - 1) < block(u64::MAX));
        assert_eq!(block(0x0102), [b'B', 0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(number(&bucket(77)), Some(77));
        assert_eq!(number(&category(3)), Some(3));
        assert_eq!(number(b"B"), None);
        // Tags keep the kinds apart.
        assert!(block(u64::MAX) < category(0));
        assert!(category(u32::MAX) < bucket(0));
        assert!(&bucket(u32::MAX)[..] < META);
    }
}
