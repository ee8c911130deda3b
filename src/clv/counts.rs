//! The distribution of a customer's number of purchases in a window, P(X(t) = n): for a new
//! customer under BG/NBD (Fader, Hardie & Lee 2005, eq. 8), the basis of acquisition planning and,
//! at n = 0, of "no order in the window" churn figures.

use super::bg::BgNbd;
use super::special::ln_gamma;

fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// ln of the negative-binomial probability Γ(r + j) / (Γ(r) j!) p^r q^j.
fn ln_nbd(r: f64, j: u32, ln_p: f64, ln_q: f64) -> f64 {
    let j = j as f64;
    ln_gamma(r + j) - ln_gamma(r) - ln_gamma(j + 1.0) + r * ln_p + j * ln_q
}

/// P(N ≥ n) for N ~ NB(r, p): from the head when the tail is large, else summed from n upwards,
/// so a small tail keeps its digits instead of vanishing in 1 − (something near 1).
fn nbd_tail(r: f64, n: u32, ln_p: f64, ln_q: f64) -> f64 {
    let head: f64 = (0..n).map(|j| ln_nbd(r, j, ln_p, ln_q).exp()).sum();
    if head < 0.5 {
        return (1.0 - head).max(0.0);
    }
    let (mut tail, mut j) = (0.0, n);
    loop {
        let term = ln_nbd(r, j, ln_p, ln_q).exp();
        tail += term;
        j += 1;
        // Terms fall by about q per step once j > r: stop when the rest cannot matter.
        if term <= tail * 1e-17 || j - n > 1_000_000 {
            return tail;
        }
    }
}

impl BgNbd {
    /// P(X(t) = n): the probability that a customer who has just made their first purchase makes
    /// exactly `n` repeat purchases in the next `t` time units (the model's unit).
    ///
    /// ```
    /// // The CDNOW parameters of Fader, Hardie & Lee (2005), weeks.
    /// let m = retention::clv::BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    /// assert!((m.prob_purchases_new(0, 39.0) - 0.5737864).abs() < 1e-7);
    /// ```
    pub fn prob_purchases_new(&self, n: u32, t: f64) -> f64 {
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        if t <= 0.0 {
            return if n == 0 { 1.0 } else { 0.0 };
        }
        let ln_p = (alpha / (alpha + t)).ln();
        let ln_q = (t / (alpha + t)).ln();
        let nf = n as f64;
        // Still alive after n purchases (the first term), or dropped out after one of them.
        let alive = (ln_beta(a, b + nf) - ln_beta(a, b) + ln_nbd(r, n, ln_p, ln_q)).exp();
        if n == 0 {
            return alive;
        }
        let dropped = (ln_beta(a + 1.0, b + nf - 1.0) - ln_beta(a, b)).exp() * nbd_tail(r, n, ln_p, ln_q);
        alive + dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clv::PurchaseModel;

    fn cdnow() -> BgNbd {
        BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }
    }

    /// The values of R BTYD's documentation (`bgnbd.pmf`) at the published CDNOW parameters.
    #[test]
    fn published_values() {
        let m = cdnow();
        let p = m.prob_purchases_new(10, 2.0);
        assert!((p / 1.07869e-07 - 1.0).abs() < 5e-6, "{p:e}");
        let p = m.prob_purchases_new(0, 39.0);
        assert!((p - 0.5737864).abs() < 5e-8, "{p}");
    }

    /// A distribution: it sums to one, and its mean is the model's expected purchases of a new
    /// customer (computed through ₂F₁ elsewhere, so the two are independent).
    #[test]
    fn sums_to_one_with_the_model_mean() {
        let m = cdnow();
        for t in [0.5, 2.0, 39.0, 78.0] {
            // At t = 78 weeks the probability of more than 600 purchases is below 1e-14.
            let probs: Vec<f64> = (0..600).map(|n| m.prob_purchases_new(n, t)).collect();
            let total: f64 = probs.iter().sum();
            let mean: f64 = probs.iter().enumerate().map(|(n, p)| n as f64 * p).sum();
            assert!((total - 1.0).abs() < 1e-10, "t = {t}: total {total}");
            let expected = m.expected_purchases(t, 0.0, 0.0, 0.0);
            assert!((mean - expected).abs() < 1e-8 * expected.max(1.0), "t = {t}: mean {mean} vs {expected}");
            assert!(probs.iter().all(|p| (0.0..=1.0).contains(p)));
        }
        assert_eq!((m.prob_purchases_new(0, 0.0), m.prob_purchases_new(3, 0.0)), (1.0, 0.0));
    }

    /// Hand-computed at n = 1 with round parameters (r = 1, α = 1, a = 1, b = 1, t = 1):
    /// p = q = 1/2; alive term B(1, 2)/B(1, 1) · 1 · (1/2)(1/2) = 1/2 · 1/4 = 1/8; dropped term
    /// B(2, 1)/B(1, 1) · (1 − 1/2) = 1/2 · 1/2 = 1/4; total 3/8.
    #[test]
    fn hand_computed() {
        let m = BgNbd { r: 1.0, alpha: 1.0, a: 1.0, b: 1.0 };
        assert!((m.prob_purchases_new(1, 1.0) - 0.375).abs() < 1e-15);
        // n = 0: B(1, 1)/B(1, 1) · (1/2)^1 = 1/2.
        assert!((m.prob_purchases_new(0, 1.0) - 0.5).abs() < 1e-15);
    }
}
