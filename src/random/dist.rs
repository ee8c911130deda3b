//! Samplers for the generator: exponential, normal (ziggurat), gamma (Marsaglia & Tsang 2000) and beta,
//! drawn from [`Rng`]. They use `libm`'s `ln` and `exp` (fdlibm's algorithms in basic IEEE-754 arithmetic)
//! instead of the platform's libm, so a seed gives the same numbers on every platform.

use super::rng::Rng;

/// An exponential waiting time with this `rate` (mean `1 / rate`), by inversion: `−ln(U) / rate`
/// with `U` in `(0, 1]`. A zero rate gives `+∞` (the event never happens).
#[inline]
pub fn exponential(rng: &mut Rng, rate: f64) -> f64 {
    -ln(rng.f64_open0()) / rate
}

/// A standard normal deviate by the ziggurat method (Marsaglia & Tsang, "The ziggurat method for
/// generating random variables", J. Stat. Software 5(8), 2000), in Doornik's ZIGNOR form (2005): 128
/// layers, a single 64-bit draw and no `exp` in 97% of calls. Nothing is cached between calls.
#[inline]
pub fn standard_normal(rng: &mut Rng) -> f64 {
    let z = ziggurat();
    loop {
        // Bits 0..7 pick the layer, bits 11..64 the position: independent parts of one draw.
        let bits = rng.next_u64();
        let i = (bits & 0x7F) as usize;
        let u = 2.0 * ((bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)) - 1.0;
        if u.abs() < z.ratio[i] {
            return u * z.x[i]; // inside the layer's rectangle
        }
        if i == 0 {
            return normal_tail(rng, u < 0.0);
        }
        // In the wedge between the rectangle and the curve: accept under the density.
        let x = u * z.x[i];
        let f0 = exp(-0.5 * (z.x[i] * z.x[i] - x * x));
        let f1 = exp(-0.5 * (z.x[i + 1] * z.x[i + 1] - x * x));
        if f1 + rng.f64() * (f0 - f1) < 1.0 {
            return x;
        }
    }
}

/// Layers of the ziggurat, its base layer's right edge `R` and each layer's area `V` (Doornik 2005).
const ZIG_LAYERS: usize = 128;
const ZIG_R: f64 = 3.442_619_855_899;
const ZIG_V: f64 = 9.912_563_035_262_17e-3;

/// The ziggurat's layer edges `x[0..=128]` (`x[0] = V/f(R)` is the base's equivalent width, `x[1] = R`,
/// `x[128] = 0`) and `ratio[i] = x[i+1]/x[i]`, for `f(x) = exp(−x²/2)`.
struct Ziggurat {
    x: [f64; ZIG_LAYERS + 1],
    ratio: [f64; ZIG_LAYERS],
}

/// The tables, computed once with this module's `ln` and `exp` (so identical on every platform).
fn ziggurat() -> &'static Ziggurat {
    static TABLES: std::sync::OnceLock<Ziggurat> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let mut x = [0.0; ZIG_LAYERS + 1];
        let mut f = exp(-0.5 * ZIG_R * ZIG_R);
        x[0] = ZIG_V / f;
        x[1] = ZIG_R;
        for i in 2..ZIG_LAYERS {
            x[i] = (-2.0 * ln(ZIG_V / x[i - 1] + f)).sqrt();
            f = exp(-0.5 * x[i] * x[i]);
        }
        let mut ratio = [0.0; ZIG_LAYERS];
        for i in 0..ZIG_LAYERS {
            ratio[i] = x[i + 1] / x[i];
        }
        Ziggurat { x, ratio }
    })
}

/// A normal deviate beyond `±R` (Marsaglia 1964).
fn normal_tail(rng: &mut Rng, negative: bool) -> f64 {
    loop {
        let x = ln(rng.f64_open0()) / ZIG_R;
        let y = ln(rng.f64_open0());
        if -2.0 * y >= x * x {
            return if negative { x - ZIG_R } else { ZIG_R - x };
        }
    }
}

/// The gamma distribution with shape `k` and rate `θ` (mean `k/θ`, variance `k/θ²`).
///
/// Sampling follows Marsaglia & Tsang, "A simple method for generating gamma variables" (ACM TOMS
/// 26(3), 2000): for `k ≥ 1`, with `d = k − 1/3` and `c = 1/√(9d)`, accept `d·v` where `v = (1 + c·x)³`
/// and `x` is standard normal, using their squeeze `u < 1 − 0.0331·x⁴` before the log test; for `k < 1`
/// a `Gamma(k + 1)` draw is multiplied by `U^(1/k)` (their section 6).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gamma {
    d: f64,
    c: f64,
    /// `1/k` when `k < 1` (the boost exponent), else 0.
    inv_shape: f64,
    /// `1/θ`.
    scale: f64,
}

impl Gamma {
    /// The distribution with this shape and rate, or `None` unless both are finite and positive.
    pub fn new(shape: f64, rate: f64) -> Option<Gamma> {
        if !(shape > 0.0 && shape.is_finite() && rate > 0.0 && rate.is_finite()) {
            return None;
        }
        let (boosted, inv_shape) = if shape < 1.0 { (shape + 1.0, 1.0 / shape) } else { (shape, 0.0) };
        let d = boosted - 1.0 / 3.0;
        Some(Gamma { d, c: 1.0 / (9.0 * d).sqrt(), inv_shape, scale: 1.0 / rate })
    }

    /// One draw.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        self.sample_standard(rng) * self.scale
    }

    /// One draw from the distribution with the same shape and rate 1.
    #[inline]
    pub fn sample_standard(&self, rng: &mut Rng) -> f64 {
        let g = loop {
            let (x, v) = loop {
                let x = standard_normal(rng);
                let v = 1.0 + self.c * x;
                if v > 0.0 {
                    break (x, v * v * v);
                }
            };
            let u = rng.f64();
            let x2 = x * x;
            if u < 1.0 - 0.0331 * x2 * x2 {
                break self.d * v;
            }
            if ln(u) < 0.5 * x2 + self.d * (1.0 - v + ln(v)) {
                break self.d * v;
            }
        };
        if self.inv_shape > 0.0 { g * exp(ln(rng.f64_open0()) * self.inv_shape) } else { g }
    }
}

/// The beta distribution `Beta(a, b)` (mean `a/(a+b)`), as `X/(X+Y)` with `X ~ Gamma(a)`,
/// `Y ~ Gamma(b)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Beta {
    x: Gamma,
    y: Gamma,
    mean: f64,
}

impl Beta {
    /// The distribution with these shapes, or `None` unless both are finite and positive.
    pub fn new(a: f64, b: f64) -> Option<Beta> {
        Some(Beta { x: Gamma::new(a, 1.0)?, y: Gamma::new(b, 1.0)?, mean: a / (a + b) })
    }

    /// One draw in `[0, 1]`.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        let x = self.x.sample_standard(rng);
        let y = self.y.sample_standard(rng);
        let sum = x + y;
        if sum > 0.0 {
            x / sum
        } else {
            // Both draws underflowed (shapes far below 1): the distribution is then almost all at
            // 0 and 1, with P(1) = the mean.
            if rng.bernoulli(self.mean) { 1.0 } else { 0.0 }
        }
    }
}

/// The natural logarithm from `libm`, a pure-Rust port of musl's (fdlibm-derived) routines: only
/// IEEE-754 basic operations, so every platform computes the same bits, unlike the platform libm
/// behind `f64::ln`.
#[inline]
pub(crate) fn ln(x: f64) -> f64 {
    libm::log(x)
}

/// `e^x` from `libm`, for the same reason as [`ln`].
#[inline]
pub(crate) fn exp(x: f64) -> f64 {
    libm::exp(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place between two finite doubles of the same sign.
    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn ln_agrees_with_the_platform_within_one_ulp() {
        let mut rng = Rng::seed_from_u64(11);
        for _ in 0..20_000 {
            // Log-uniform over the whole double range, plus the unit interval the samplers use.
            let x = f64::from_bits(rng.below(0x7FF0_0000_0000_0000 - 1) + 1);
            assert!(ulps(ln(x), x.ln()) <= 1, "ln({x:e}) = {} vs {}", ln(x), x.ln());
            let u = rng.f64_open0();
            assert!(ulps(ln(u), u.ln()) <= 1, "ln({u}) = {} vs {}", ln(u), u.ln());
        }
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(ln(2.0), std::f64::consts::LN_2);
        assert_eq!(ln(std::f64::consts::E), 1.0);
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert!(ln(-1.0).is_nan() && ln(f64::NAN).is_nan());
        assert_eq!(ln(f64::INFINITY), f64::INFINITY);
        assert!((ln(f64::from_bits(1)) - (-744.440_071_921_381_3)).abs() < 1e-12);
    }

    #[test]
    fn exp_agrees_with_the_platform_within_one_ulp() {
        let mut rng = Rng::seed_from_u64(12);
        for _ in 0..20_000 {
            let x = (rng.f64() - 0.5) * 1400.0;
            let (a, b) = (exp(x), x.exp());
            if b > f64::MIN_POSITIVE {
                assert!(ulps(a, b) <= 1, "exp({x}) = {a} vs {b}");
            } else {
                assert!((a - b).abs() <= f64::from_bits(1), "exp({x}) = {a:e} vs {b:e}");
            }
            let small = rng.f64() - 0.5;
            assert!(ulps(exp(small), small.exp()) <= 1);
        }
        assert_eq!(exp(0.0), 1.0);
        // fdlibm is within 1 ulp, not correctly rounded: Java's StrictMath.exp(1.0), also fdlibm,
        // returns this same value, one ulp above the double nearest e.
        assert_eq!(exp(1.0), 2.718_281_828_459_045_5);
        assert_eq!(exp(-1000.0), 0.0);
        assert_eq!(exp(1000.0), f64::INFINITY);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(-745.0), f64::from_bits(1)); // rounds to the smallest subnormal
    }

    fn mean_var(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        (mean, var)
    }

    #[test]
    fn gamma_moments_match_shape_and_rate() {
        const N: usize = 200_000;
        let mut rng = Rng::seed_from_u64(13);
        for (shape, rate) in [(0.3, 2.0), (1.0, 0.5), (2.5, 1.0), (40.0, 4.0)] {
            let g = Gamma::new(shape, rate).expect("valid");
            let xs: Vec<f64> = (0..N).map(|_| g.sample(&mut rng)).collect();
            assert!(xs.iter().all(|&x| x >= 0.0 && x.is_finite()));
            let (mean, var) = mean_var(&xs);
            let (m, v) = (shape / rate, shape / (rate * rate));
            // SE of the mean: √(v/N). SE of the variance: √((μ4 − v²)/N) with the gamma's excess
            // kurtosis 6/k, so μ4 = v²(3 + 6/k). Allow 5 standard errors.
            let se_mean = (v / N as f64).sqrt();
            let se_var = (v * v * (2.0 + 6.0 / shape) / N as f64).sqrt();
            assert!((mean - m).abs() < 5.0 * se_mean, "shape {shape}: mean {mean} vs {m}");
            assert!((var - v).abs() < 5.0 * se_var, "shape {shape}: var {var} vs {v}");
        }
    }

    #[test]
    fn ziggurat_layers_have_equal_areas_and_normal_tails_are_right() {
        let z = ziggurat();
        assert_eq!(z.x[ZIG_LAYERS], 0.0);
        assert!(z.x.windows(2).skip(1).all(|w| w[0] > w[1]));
        // The top layer, from x[127] up to the peak f(0) = 1, must also have area V.
        let top = z.x[ZIG_LAYERS - 1] * (1.0 - exp(-0.5 * z.x[ZIG_LAYERS - 1].powi(2)));
        assert!((top / ZIG_V - 1.0).abs() < 1e-6, "top layer area {top}");

        const N: usize = 400_000;
        let mut rng = Rng::seed_from_u64(16);
        let (mut beyond1, mut beyond2, mut beyond_r, mut negative) = (0, 0, 0, 0);
        for _ in 0..N {
            let x = standard_normal(&mut rng);
            beyond1 += usize::from(x.abs() > 1.0);
            beyond2 += usize::from(x.abs() > 2.0);
            beyond_r += usize::from(x.abs() > ZIG_R);
            negative += usize::from(x < 0.0);
        }
        // P(|Z| > 1) = 0.317311, P(|Z| > 2) = 0.045500, P(|Z| > R) = 0.000576; 5 standard errors.
        for (count, p) in [(beyond1, 0.317_311), (beyond2, 0.045_500), (beyond_r, 0.000_576), (negative, 0.5)] {
            let expected = p * N as f64;
            let sd = (expected * (1.0 - p)).sqrt();
            assert!((count as f64 - expected).abs() < 5.0 * sd, "{count} vs {expected} (p = {p})");
        }
    }

    #[test]
    fn gamma_rejects_invalid_parameters() {
        assert!(Gamma::new(0.0, 1.0).is_none());
        assert!(Gamma::new(1.0, 0.0).is_none());
        assert!(Gamma::new(-1.0, 1.0).is_none());
        assert!(Gamma::new(f64::NAN, 1.0).is_none());
        assert!(Gamma::new(1.0, f64::INFINITY).is_none());
        assert!(Beta::new(1.0, 0.0).is_none());
    }

    #[test]
    fn tiny_shapes_do_not_hang_or_produce_nan() {
        let mut rng = Rng::seed_from_u64(14);
        let g = Gamma::new(1e-3, 1.0).expect("valid");
        let b = Beta::new(1e-3, 1e-3).expect("valid");
        for _ in 0..1000 {
            let x = g.sample(&mut rng);
            assert!((0.0..f64::INFINITY).contains(&x));
            let p = b.sample(&mut rng);
            assert!((0.0..=1.0).contains(&p));
        }
    }

    #[test]
    fn beta_and_exponential_means() {
        const N: usize = 100_000;
        let mut rng = Rng::seed_from_u64(15);
        let (a, b) = (1.0, 10.0);
        let beta = Beta::new(a, b).expect("valid");
        let xs: Vec<f64> = (0..N).map(|_| beta.sample(&mut rng)).collect();
        let (mean, _) = mean_var(&xs);
        let sd = (a * b / ((a + b) * (a + b) * (a + b + 1.0))).sqrt();
        assert!((mean - a / (a + b)).abs() < 5.0 * sd / (N as f64).sqrt(), "beta mean {mean}");
        assert!(xs.iter().all(|x| (0.0..=1.0).contains(x)));

        let xs: Vec<f64> = (0..N).map(|_| exponential(&mut rng, 0.25)).collect();
        let (mean, var) = mean_var(&xs);
        assert!((mean - 4.0).abs() < 5.0 * 4.0 / (N as f64).sqrt(), "exponential mean {mean}");
        assert!((var - 16.0).abs() < 1.0, "exponential variance {var}");
        assert_eq!(exponential(&mut rng, 0.0), f64::INFINITY);

        let xs: Vec<f64> = (0..N).map(|_| standard_normal(&mut rng)).collect();
        let (mean, var) = mean_var(&xs);
        assert!(mean.abs() < 5.0 / (N as f64).sqrt() && (var - 1.0).abs() < 0.03, "{mean} {var}");
    }
}
