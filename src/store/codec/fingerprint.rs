//! Stable 64-bit keys that become part of the stored data: customer-id hashes (id-map buckets) and
//! order keys (upserts). XXH3 is a published, frozen algorithm, so stored values stay valid across
//! builds and platforms; each use has its own seed so the spaces never mix.
//!
//! An order key is the order id itself when it is a plain decimal number below 2^63 (most shops
//! number their orders), else a 63-bit hash with the top bit set. Numeric keys are exact, never
//! collide, and grow with time, so the record codec stores them as small deltas instead of 8 bytes.

use xxhash_rust::xxh3::xxh3_64_with_seed;

const CUSTOMER_SEED: u64 = 0x6375_7374_6f6d_6572; // "customer"
const ORDER_SEED: u64 = 0x6f72_6465_7269_6421; // "orderid!"
const CONTENT_SEED: u64 = 0x636f_6e74_656e_7421; // "content!"

/// Hash of an external customer id; its top bits choose the id-map bucket.
#[inline]
pub(crate) fn customer(external_id: &[u8]) -> u64 {
    xxh3_64_with_seed(external_id, CUSTOMER_SEED)
}

/// The top bit of an order key: set for hashed keys, clear for numeric ones.
pub(crate) const HASHED: u64 = 1 << 63;

/// Key of an explicit order id (scoped to its customer by living in that customer's record).
#[inline]
pub(crate) fn order(order_id: &[u8]) -> u64 {
    numeric(order_id).unwrap_or_else(|| xxh3_64_with_seed(order_id, ORDER_SEED) | HASHED)
}

/// The value of a canonical decimal (`0`, or digits without a leading zero) below 2^63. `007` is
/// not canonical, so it keeps a hashed key distinct from `7`'s.
#[inline]
fn numeric(id: &[u8]) -> Option<u64> {
    if id.is_empty() || id.len() > 19 || (id[0] == b'0' && id.len() > 1) {
        return None;
    }
    let mut v = 0u64;
    for &c in id {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(c - b'0'); // 19 digits cannot overflow u64
    }
    (v < HASHED).then_some(v)
}

/// Content key of a row without an order id: its day, amount and category name.
#[inline]
pub(crate) fn content(day: i32, amount: i64, category: &[u8]) -> u64 {
    let mut buf = [0u8; 12];
    buf[..4].copy_from_slice(&day.to_le_bytes());
    buf[4..].copy_from_slice(&amount.to_le_bytes());
    xxh3_64_with_seed(category, xxh3_64_with_seed(&buf, CONTENT_SEED))
}

/// Fingerprint of the `occurrence`-th (0-based) row of one customer with content key `content`:
/// identical rows in one file stay distinct orders, and re-ingesting the file maps each to itself.
#[inline]
pub(crate) fn auto_order(content: u64, occurrence: u32) -> u64 {
    xxh3_64_with_seed(&occurrence.to_le_bytes(), content) | HASHED
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stored data depends on these exact values.
    #[test]
    fn golden_values() {
        assert_ne!(customer(b"a"), order(b"a"));
        assert_ne!(auto_order(content(1, 2, b""), 0), auto_order(content(1, 2, b""), 1));
        assert_ne!(content(1, 2, b"x"), content(1, 2, b"y"));
        // The published XXH3-64 of the empty input: the algorithm underneath is the reference one.
        assert_eq!(xxh3_64_with_seed(b"", 0), 0x2d06_8005_38d3_94c2);
        assert_eq!(customer(b"C0000001"), GOLDEN_CUSTOMER);
        assert_eq!(order(b"R100000"), GOLDEN_ORDER);
    }

    #[test]
    fn plain_numbers_are_their_own_keys() {
        assert_eq!(order(b"100000"), 100_000);
        assert_eq!(order(b"0"), 0);
        assert_eq!(order(b"9223372036854775807"), i64::MAX as u64);
        // Not canonical or too large: hashed, so never equal to a numeric key.
        for id in [&b"007"[..], b"9223372036854775808", b"99999999999999999999", b"-1", b"1.0", b" 1", b"#1001"] {
            assert!(order(id) & HASHED != 0, "{:?}", String::from_utf8_lossy(id));
        }
        assert_ne!(order(b"007"), order(b"7"));
        assert!(auto_order(content(1, 2, b""), 0) & HASHED != 0);
    }

    // Pinned since format 2; a change here invalidates every stored order key and id bucket.
    const GOLDEN_CUSTOMER: u64 = 14_587_574_423_243_892_307;
    const GOLDEN_ORDER: u64 = 15_481_514_118_741_306_946;
}
