//! The generator's random numbers: xoshiro256++ (Blackman & Vigna 2019) seeded through SplitMix64.
//! Both algorithms are part of the generator's output contract: changing either, or the way a stream
//! is derived from `(seed, index)`, changes every generated history.

/// The SplitMix64 increment (the golden-ratio constant 2^64 / φ).
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64 (Steele, Lea & Flood 2014): a 64-bit counter passed through a bijective mixer. Used
/// only to turn seeds into xoshiro states, as its authors recommend.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A SplitMix64 generator whose counter starts at `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The next output.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix(self.state)
    }
}

/// SplitMix64's output function (a bijection of `u64`).
fn mix(z: u64) -> u64 {
    let z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A xoshiro256++ generator: 256 bits of state, period 2^256 − 1, fast and statistically strong.
///
/// Not cryptographic. Every method is fully specified integer or IEEE-754 arithmetic, so a given
/// state yields the same numbers on every platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose state is the next four outputs of SplitMix64 started at `seed` (the
    /// reference seeding procedure). The state is never all zero because SplitMix64's outputs
    /// for four consecutive counters are distinct.
    pub fn seed_from_u64(seed: u64) -> Rng {
        let mut sm = SplitMix64::new(seed);
        Rng { s: [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()] }
    }

    /// The independent stream number `index` of `seed`: stream `i` takes SplitMix64 outputs
    /// `4i .. 4i + 4` of a counter started at `mix(seed)`, so streams of one seed never share a state
    /// word and can be created in any order.
    pub fn stream(seed: u64, index: u64) -> Rng {
        let base = mix(seed);
        Rng::seed_from_u64(base.wrapping_add(index.wrapping_mul(4).wrapping_mul(GOLDEN_GAMMA)))
    }

    /// A generator with exactly this state, or `None` for the all-zero state (a fixed point).
    #[cfg(test)]
    pub fn from_state(s: [u64; 4]) -> Option<Rng> {
        (s != [0; 4]).then_some(Rng { s })
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform number in `[0, 1)`: the top 53 bits of [`next_u64`](Self::next_u64) times 2^-53,
    /// so every value is a multiple of 2^-53.
    #[inline]
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform number in `(0, 1]` (`1 − f64()`), safe to take the logarithm of.
    #[inline]
    pub fn f64_open0(&mut self) -> f64 {
        1.0 - self.f64()
    }

    /// A uniform integer in `0..n`, without bias (Lemire 2019, multiply-and-reject). Returns 0 when
    /// `n` is 0.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        if (m as u64) < n {
            // 2^64 mod n: the low words below it belong to an over-represented bucket.
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (m >> 64) as u64
    }

    /// True with probability `p` (false for `p <= 0` or NaN, true for `p >= 1`). Consumes one
    /// number whatever `p` is, so changing a rate does not shift the rest of the stream.
    #[inline]
    pub fn bernoulli(&mut self, p: f64) -> bool {
        self.f64() < p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_published_first_output() {
        // Vigna's splitmix64.c from seed 0; also the first state word of the xoshiro test below.
        let mut sm = SplitMix64::new(0);
        assert_eq!(sm.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(sm.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(sm.next_u64(), 0x06C4_5D18_8009_454F);
        assert_eq!(sm.next_u64(), 0xF88B_B8A8_724C_81EC);
    }

    #[test]
    fn xoshiro256plusplus_matches_the_reference_vector() {
        // The reference implementation's outputs for state [1, 2, 3, 4] (as pinned by rand_xoshiro).
        let mut rng = Rng::from_state([1, 2, 3, 4]).expect("non-zero state");
        let expected: [u64; 10] = [
            41943041,
            58720359,
            3588806011781223,
            3591011842654386,
            9228616714210784205,
            9973669472204895162,
            14011001112246962877,
            12406186145184390807,
            15849039046786891736,
            10450023813501588000,
        ];
        for e in expected {
            assert_eq!(rng.next_u64(), e);
        }
    }

    #[test]
    fn seeded_from_splitmix64_zero() {
        // State = SplitMix64(0)'s first four outputs; outputs computed with a transcription of the
        // reference C code (Python, arbitrary-precision integers masked to 64 bits).
        let mut rng = Rng::seed_from_u64(0);
        let expected: [u64; 6] = [
            0x5317_5D61_490B_23DF,
            0x61DA_6F3D_C380_D507,
            0x5C0F_DF91_EC9A_7BFC,
            0x02EE_BF8C_3BBE_5E1A,
            0x7ECA_04EB_AF4A_5EEA,
            0x0543_C377_57F0_8D9A,
        ];
        for e in expected {
            assert_eq!(rng.next_u64(), e);
        }
    }

    #[test]
    fn zero_state_is_refused() {
        assert!(Rng::from_state([0; 4]).is_none());
    }

    #[test]
    fn streams_differ_and_are_reproducible() {
        let a: Vec<u64> = (0..4).map(|i| Rng::stream(7, i).next_u64()).collect();
        let b: Vec<u64> = (0..4).map(|i| Rng::stream(7, i).next_u64()).collect();
        assert_eq!(a, b);
        for i in 0..a.len() {
            for j in i + 1..a.len() {
                assert_ne!(a[i], a[j]);
            }
        }
        assert_ne!(Rng::stream(7, 0), Rng::stream(8, 0));
        // Stream i is SplitMix64 outputs 4i..4i+4 from mix(seed).
        let mut sm = SplitMix64::new(mix(7));
        for _ in 0..8 {
            sm.next_u64();
        }
        let words = [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()];
        assert_eq!(Rng::stream(7, 2), Rng::from_state(words).expect("non-zero"));
    }

    #[test]
    fn f64_is_in_unit_interval_with_53_bits() {
        let mut rng = Rng::seed_from_u64(1);
        let mut sum = 0.0;
        for _ in 0..10_000 {
            let u = rng.f64();
            assert!((0.0..1.0).contains(&u));
            assert_eq!(u * (1u64 << 53) as f64, (u * (1u64 << 53) as f64).floor());
            sum += u;
        }
        assert!((sum / 10_000.0 - 0.5).abs() < 0.02, "mean {}", sum / 10_000.0);
        let mut rng = Rng::seed_from_u64(2);
        assert!((0..10_000).all(|_| rng.f64_open0() > 0.0));
    }

    #[test]
    fn below_is_in_range_and_unbiased() {
        let mut rng = Rng::seed_from_u64(3);
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.below(1), 0);
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[rng.below(6) as usize] += 1;
        }
        // Each count ~ Binomial(60000, 1/6): sd ≈ 91; allow 5 sd.
        for c in counts {
            assert!((c as i64 - 10_000).abs() < 460, "{counts:?}");
        }
        // A bound just over 2^63 rejects almost half of the raw draws; still in range.
        let n = (1u64 << 63) + 12345;
        assert!((0..1000).all(|_| rng.below(n) < n));
    }

    #[test]
    fn bernoulli_edges() {
        let mut rng = Rng::seed_from_u64(4);
        assert!((0..1000).all(|_| !rng.bernoulli(0.0)));
        assert!((0..1000).all(|_| rng.bernoulli(1.0)));
        assert!((0..1000).all(|_| !rng.bernoulli(f64::NAN)));
        let hits = (0..20_000).filter(|_| rng.bernoulli(0.25)).count();
        assert!((hits as f64 / 20_000.0 - 0.25).abs() < 0.015, "{hits}");
    }
}
