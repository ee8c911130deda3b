//! Special functions the models need: lnΓ (from `libm`, the musl port), digamma, log-space sums,
//! and the two hypergeometric families that appear in the BTYD formulas, each evaluated in a form
//! whose terms are all of one sign so that no cancellation or overflow can occur.

use crate::error::{Error, Result};

/// ln Γ(x) for x > 0.
#[inline]
pub fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// ln B(a, b) = lnΓ(a) + lnΓ(b) − lnΓ(a + b).
#[inline]
pub fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// The digamma function ψ(x) = d/dx lnΓ(x), for x > 0.
///
/// Recurrence ψ(x) = ψ(x + 1) − 1/x up to x ≥ 10, then the asymptotic series in 1/x² (Abramowitz &
/// Stegun 6.3.18), accurate to about 1e-15 relative.
pub fn digamma(mut x: f64) -> f64 {
    let mut shift = 0.0;
    while x < 10.0 {
        shift -= 1.0 / x;
        x += 1.0;
    }
    let inv2 = 1.0 / (x * x);
    // Bernoulli terms B_2k / (2k x^2k), k = 1..7.
    let series = inv2
        * (1.0 / 12.0
            - inv2
                * (1.0 / 120.0
                    - inv2
                        * (1.0 / 252.0
                            - inv2 * (1.0 / 240.0 - inv2 * (1.0 / 132.0 - inv2 * (691.0 / 32760.0 - inv2 / 12.0))))));
    shift + x.ln() - 0.5 / x - series
}

/// ln(eᵃ + eᵇ) without overflow; either argument may be −∞.
#[inline]
pub fn log_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// ln(eᵃ − eᵇ) for a ≥ b; −∞ when they are equal.
#[inline]
pub fn log_sub_exp(a: f64, b: f64) -> f64 {
    if b == f64::NEG_INFINITY {
        return a;
    }
    if b >= a {
        return f64::NEG_INFINITY;
    }
    let d = b - a;
    // ln(1 − eᵈ): expm1 near 0, ln_1p far from it (Mächler's log1mexp).
    a + if d > -std::f64::consts::LN_2 { (-d.exp_m1()).ln() } else { (-d.exp()).ln_1p() }
}

/// Terms a series may sum before it is declared non-convergent. Every series here has a term ratio
/// bounded by its argument z, so this is only reached for z within about 1e-3 of 1, where callers
/// switch to quadrature first.
const MAX_TERMS: usize = 100_000;

/// ln ₂F₁(a, b; a + 1; z) for a > 0, b > 0 and 0 ≤ z < 1: the family in the Pareto/NBD likelihood.
///
/// Euler's transformation ₂F₁(a, b; c; z) = (1 − z)^(c−a−b) ₂F₁(c − a, c − b; c; z) turns it into
/// (1 − z)^(1−b) Σₙ [(a + 1 − b)ₙ / (a + 1)ₙ] zⁿ. When b ≤ a + 1 every term is positive and each is at
/// most z times the one before, so the sum neither cancels nor overflows whatever the size of a and
/// b; the Pareto/NBD always calls it that way.
pub fn ln_hyp2f1_a_a1(a: f64, b: f64, z: f64) -> Result<f64> {
    debug_assert!(a > 0.0 && b > 0.0 && (0.0..1.0).contains(&z));
    if z == 0.0 {
        return Ok(0.0);
    }
    let c = a + 1.0 - b;
    let mut term = 1.0f64;
    let mut sum = 1.0f64;
    for n in 0..MAX_TERMS {
        let n = n as f64;
        term *= (c + n) / (a + 1.0 + n) * z;
        sum += term;
        if term.abs() <= 1e-17 * sum.abs() {
            return Ok((1.0 - b) * (-z).ln_1p() + sum.ln());
        }
    }
    Err(Error::Numeric(format!(
        "the hypergeometric series 2F1({a}, {b}; {}; {z}) did not converge in {MAX_TERMS} terms",
        a + 1.0
    )))
}

/// The BG/NBD-family conditional expectation numerator
/// N = c/(a − 1) · [1 − (1 − z)^(r+x) ₂F₁(r + x, c − r − x + a − 1 ... )], written in the form
///
/// N = c · [−expm1((a − 1)·ln(1 − z))/(a − 1)] − (1 − z)^(a−1) · H,
/// H = Σ_{n≥1} (a′)ₙ (a)ₙ₋₁ / ((c + 1)ₙ₋₁ n!) zⁿ,  a′ = c − (r + x),
///
/// where c = a + b + x − 1 (BG/NBD) or a + b + x (MBG/NBD). It follows from Euler's transformation,
/// which turns ((α+T)/(α+T+t))^(r+x) ₂F₁(r + x, c − a + 1; c; z) into (1 − z)^(a−1) ₂F₁(a′, a − 1; c; z):
/// the large parameters r + x disappear (no overflow for any x), c · 1/(c)ₙ = 1/(c + 1)ₙ₋₁ keeps it
/// finite as c → 0 (x = 0 with a + b < 1, lifetimes#302), and the a → 1 limit is taken by
/// `expm1`, so the value is continuous across a = 1.
pub fn btyd_numerator(a: f64, c: f64, a_prime: f64, z: f64) -> Result<f64> {
    debug_assert!((0.0..1.0).contains(&z) && c > -1.0);
    let eps = a - 1.0;
    let l = (-z).ln_1p();
    let head = if eps == 0.0 { -l } else { -(eps * l).exp_m1() / eps };
    // H: term_1 = a' z; term_{n+1} / term_n = (a' + n)(a + n − 1) z / ((c + n)(n + 1)).
    let mut h = 0.0f64;
    let mut term = a_prime * z;
    if term != 0.0 {
        h = term;
        let mut converged = false;
        for n in 1..MAX_TERMS {
            let nf = n as f64;
            term *= (a_prime + nf) * (eps + nf) * z / ((c + nf) * (nf + 1.0));
            h += term;
            if term.abs() <= 1e-17 * h.abs() && nf > a_prime.abs() {
                converged = true;
                break;
            }
        }
        if !converged {
            return Err(Error::Numeric(format!(
                "the expected-purchases series (a = {a}, c = {c}, z = {z}) did not converge in {MAX_TERMS} terms"
            )));
        }
    }
    Ok(c * head - (eps * l).exp() * h)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

    fn close(got: f64, want: f64, rel: f64) {
        assert!((got - want).abs() <= rel * want.abs().max(1e-300), "got {got:e}, want {want:e}");
    }

    #[test]
    fn digamma_matches_known_values() {
        close(digamma(1.0), -EULER_GAMMA, 1e-15);
        close(digamma(0.5), -EULER_GAMMA - 2.0 * 2f64.ln(), 1e-15);
        // ψ(n) = H_{n−1} − γ
        let h9: f64 = (1..10).map(|k| 1.0 / k as f64).sum();
        close(digamma(10.0), h9 - EULER_GAMMA, 1e-15);
        // ψ(1/4) = −γ − π/2 − 3 ln 2 (A&S 6.3.7 family)
        close(digamma(0.25), -EULER_GAMMA - std::f64::consts::FRAC_PI_2 - 3.0 * 2f64.ln(), 1e-14);
        // Large argument: ψ(1000) from mpmath.
        close(digamma(1000.0), 6.907_255_195_648_812, 1e-15);
        // Small argument: ψ(1e-3) = −1000.5755719318103 (mpmath).
        close(digamma(1e-3), -1_000.575_571_931_810_3, 1e-14);
    }

    #[test]
    fn digamma_is_the_derivative_of_ln_gamma() {
        for x in [0.05, 0.3, 0.79292, 2.4259, 7.5, 40.0, 310.2] {
            let h = 1e-5 * x;
            let numeric = (ln_gamma(x + h) - ln_gamma(x - h)) / (2.0 * h);
            close(digamma(x), numeric, 1e-8);
        }
    }

    #[test]
    fn log_sums_handle_infinities_and_large_gaps() {
        assert_eq!(log_add_exp(f64::NEG_INFINITY, 3.0), 3.0);
        assert_eq!(log_sub_exp(3.0, 3.0), f64::NEG_INFINITY);
        close(log_add_exp(1000.0, 1000.0), 1000.0 + 2f64.ln(), 1e-15);
        close(log_sub_exp(0.0, -1e-20), 1e-20f64.ln(), 1e-12);
        close(log_sub_exp(0.0, -50.0), -(-50f64).exp(), 1e-12);
        assert!(log_sub_exp(2f64.ln(), 0.0).abs() < 1e-15);
    }

    #[test]
    fn hyp2f1_a_a1_matches_closed_forms() {
        // ₂F₁(1, 1; 2; z) = −ln(1 − z)/z
        for z in [1e-6, 0.1, 0.5, 0.9, 0.99] {
            close(ln_hyp2f1_a_a1(1.0, 1.0, z).unwrap(), (-(-z).ln_1p() / z).ln(), 1e-14);
        }
        // b = a + 1 gives ₂F₁(a, a+1; a+1; z) = (1 − z)^−a
        close(ln_hyp2f1_a_a1(3.5, 4.5, 0.7).unwrap(), -3.5 * 0.3f64.ln(), 1e-14);
        assert_eq!(ln_hyp2f1_a_a1(10.0, 2.0, 0.0).unwrap(), 0.0);
    }

    #[test]
    fn btyd_numerator_is_continuous_at_a_equal_one() {
        let at = |a: f64| btyd_numerator(a, a + 2.4 + 3.0 - 1.0, a + 2.4 + 3.0 - 1.0 - 3.24, 0.4).unwrap();
        let mid = at(1.0);
        for a in [1.0 - 1e-9, 1.0 + 1e-9] {
            close(at(a), mid, 1e-8);
        }
        assert!(mid.is_finite() && mid > 0.0);
    }
}
