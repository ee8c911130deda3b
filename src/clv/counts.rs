//! The distribution of a customer's number of purchases in a window, P(X(t) = n), for the BG/NBD
//! family (Fader, Hardie & Lee 2005, eq. 8): of a new customer, the basis of acquisition planning,
//! and of an existing one given that they are active, which with P(alive) gives the conditional
//! distribution and, at n = 0, the "no order in the window" churn figure. The Pareto/NBD version
//! lives with its model.

use super::special::{ln_gamma, ln_gamma_ratio};

/// ln of the negative-binomial probability Γ(r + j) / (Γ(r) j!) p^r q^j.
fn ln_nbd(r: f64, j: u32, ln_p: f64, ln_q: f64) -> f64 {
    let j = j as f64;
    ln_gamma_ratio(r, j) - ln_gamma(j + 1.0) + r * ln_p + j * ln_q
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

/// P(n purchases in the next t units) of a customer active now whose purchase rate is
/// Gamma(r, α) and whose dropout probability after each purchase is Beta(a, β): FHL 2005 eq. 8
/// with b → β. Still active after the n purchases, or dropped out after one of them.
pub(crate) fn bg_family_pmf(r: f64, alpha: f64, a: f64, beta: f64, n: u32, t: f64) -> f64 {
    if t <= 0.0 {
        return if n == 0 { 1.0 } else { 0.0 };
    }
    let ln_p = -(t / alpha).ln_1p();
    let ln_q = (t / (alpha + t)).ln();
    let nf = n as f64;
    // B(a, β+n)/B(a, β) and B(a+1, β+n−1)/B(a, β) as ratios of rising factorials, exact for the
    // point-mass boundary (a + β of 10⁸) and for a = 0 (nobody drops out: the first is 1, the
    // second 0).
    let survived = ln_gamma_ratio(beta, nf) - ln_gamma_ratio(a + beta, nf);
    let alive = (survived + ln_nbd(r, n, ln_p, ln_q)).exp();
    if n == 0 || a == 0.0 {
        return alive;
    }
    let dropped =
        (a.ln() + ln_gamma_ratio(beta, nf - 1.0) - ln_gamma_ratio(a + beta, nf)).exp() * nbd_tail(r, n, ln_p, ln_q);
    alive + dropped
}

#[cfg(test)]
mod tests {
    use crate::clv::{BgNbd, CountModel, MbgNbd, ParetoNbd, PurchaseModel};
    use crate::random::dist::{Beta, Gamma, exponential};
    use crate::random::rng::Rng;

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

    fn models() -> [CountModel; 3] {
        [
            CountModel::BgNbd(cdnow()),
            CountModel::MbgNbd(MbgNbd { r: 0.525, alpha: 6.183, a: 0.891, b: 1.614 }),
            CountModel::ParetoNbd(ParetoNbd { r: 0.55328, alpha: 10.578, s: 0.60621, beta: 11.668 }),
        ]
    }

    /// For every model and some customers: the conditional distribution sums to 1, its mean is
    /// the model's conditional expectation, P(0) is at least 1 − P(alive), and P(alive) at a later
    /// day lies between 0 and today's.
    #[test]
    fn conditional_counts_are_a_distribution_with_the_models_mean() {
        for m in models() {
            for (x, t_x, age) in [(0.0, 0.0, 38.86), (2.0, 30.43, 38.86), (10.0, 38.0, 38.86), (1.0, 1.71, 38.86)] {
                for t in [13.0, 39.0, 104.0] {
                    let p = m.purchase_counts(t, x, t_x, age, 400);
                    let total: f64 = p.iter().sum();
                    let mean: f64 = p.iter().enumerate().map(|(n, q)| n as f64 * q).sum();
                    let want = m.expected_purchases(t, x, t_x, age);
                    let name = m.name();
                    assert!((total - 1.0).abs() < 1e-10, "{name} {x} {t}: sums to {total}");
                    assert!((mean - want).abs() < 1e-8 * want.max(1.0), "{name} {x} {t}: mean {mean} vs {want}");
                    let alive = m.p_alive(x, t_x, age);
                    assert!(p[0] >= 1.0 - alive && p.iter().all(|q| *q >= 0.0), "{name}: {p:?}");
                    let later = m.p_alive_at(t, x, t_x, age);
                    assert!(later > 0.0 && later <= alive, "{name}: {later} vs {alive}");
                }
            }
        }
    }

    /// The Pareto/NBD new-customer distribution at α = β exactly (the 2F1 argument is 0) and
    /// either side of it is continuous, and the α < β branch sums to 1 with the right mean.
    #[test]
    fn pareto_counts_across_alpha_equal_beta() {
        let at = |alpha: f64| ParetoNbd { r: 0.55, alpha, s: 0.61, beta: 11.0 }.prob_purchases_new(3, 39.0);
        let mid = at(11.0);
        for d in [1e-12, -1e-12, 1e-9, -1e-9] {
            assert!((at(11.0 + d) - mid).abs() < 1e-9 * mid, "{d}");
        }
        let m = ParetoNbd { r: 0.55328, alpha: 11.668, s: 0.60621, beta: 10.578 };
        let p: Vec<f64> = (0..400).map(|n| m.prob_purchases_new(n, 39.0)).collect();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-10);
        let mean: f64 = p.iter().enumerate().map(|(n, q)| n as f64 * q).sum();
        assert!((mean - m.expected_purchases(39.0, 0.0, 0.0, 0.0)).abs() < 1e-9);
    }

    /// The conditional distribution of purchases in (T, T + t] against a Monte Carlo simulation
    /// of the model itself: (λ, p) or (λ, μ) drawn from the prior and weighted by the likelihood
    /// of the customer's (x, t_x, T) (importance sampling, so nothing of the closed forms is
    /// used); whether the customer is still active at T is drawn from its conditional odds given
    /// the draw, and the window is simulated purchase by purchase. Each P(n) must agree within
    /// four of its standard errors.
    #[test]
    fn conditional_counts_agree_with_monte_carlo() {
        let (x, t_x, age, t) = (2.0f64, 30.43, 38.86, 39.0);
        let draws = 400_000;
        for model in models() {
            let mut rng = Rng::seed_from_u64(20_261_124);
            let (mut weights, mut by_count) = (Vec::with_capacity(draws), vec![0.0; 6]);
            let mut sum_sq = [0.0; 6];
            for _ in 0..draws {
                let (weight, n) = match model {
                    CountModel::BgNbd(BgNbd { r, alpha, a, b }) | CountModel::MbgNbd(MbgNbd { r, alpha, a, b }) => {
                        let mbg = matches!(model, CountModel::MbgNbd(_));
                        let lambda = Gamma::new(r, alpha).unwrap().sample(&mut rng);
                        let p = Beta::new(a, b).unwrap().sample(&mut rng);
                        // Survived x purchases (MBG/NBD: also the first) and bought x times by T...
                        let kept = if mbg { x + 1.0 } else { x };
                        let alive = (1.0 - p).powf(kept) * lambda.powf(x) * (-lambda * age).exp();
                        // ...or dropped out right after the purchase at t_x.
                        let dead = if x > 0.0 || mbg {
                            p * (1.0 - p).powf(kept - 1.0) * lambda.powf(x) * (-lambda * t_x).exp()
                        } else {
                            0.0
                        };
                        let mut n = 0;
                        if rng.f64() * (alive + dead) < alive {
                            let mut clock = exponential(&mut rng, lambda);
                            while clock <= t {
                                n += 1;
                                if rng.f64() < p {
                                    break;
                                }
                                clock += exponential(&mut rng, lambda);
                            }
                        }
                        (alive + dead, n)
                    }
                    CountModel::ParetoNbd(ParetoNbd { r, alpha, s, beta }) => {
                        let lambda = Gamma::new(r, alpha).unwrap().sample(&mut rng);
                        let mu = Gamma::new(s, beta).unwrap().sample(&mut rng);
                        let rate = lambda + mu;
                        let alive = lambda.powf(x) * (-rate * age).exp();
                        let dead = lambda.powf(x) * mu / rate * ((-rate * t_x).exp() - (-rate * age).exp());
                        let mut n = 0;
                        if rng.f64() * (alive + dead) < alive {
                            let end = exponential(&mut rng, mu).min(t);
                            let mut clock = exponential(&mut rng, lambda);
                            while clock <= end {
                                n += 1;
                                clock += exponential(&mut rng, lambda);
                            }
                        }
                        (alive + dead, n)
                    }
                };
                weights.push(weight);
                if n < by_count.len() {
                    by_count[n] += weight;
                    sum_sq[n] += weight * weight;
                }
            }
            let total: f64 = weights.iter().sum();
            let total_sq: f64 = weights.iter().map(|w| w * w).sum();
            let want = model.purchase_counts(t, x, t_x, age, 5);
            for n in 0..6 {
                let estimate = by_count[n] / total;
                // Ratio estimator's standard error: Σ w²(1[n] − p̂)² / (Σ w)².
                let var = (sum_sq[n] * (1.0 - 2.0 * estimate) + estimate * estimate * total_sq) / (total * total);
                let se = var.max(0.0).sqrt();
                assert!(
                    (estimate - want[n]).abs() <= 4.0 * se + 1e-12,
                    "{} P({n}): simulated {estimate} ± {se}, formula {}",
                    model.name(),
                    want[n]
                );
            }
        }
    }

    /// High-precision reference values (mpmath at 40 digits by the closed forms, each checked
    /// against direct numerical integration over the latent rates to 1e-11; see
    /// tests/fixtures/clv/SOURCE.md, "Purchase-count distributions").
    #[test]
    #[allow(clippy::excessive_precision)] // the reference values as printed, 17 digits
    fn counts_match_high_precision_values() {
        let close = |what: &str, got: f64, want: f64| {
            assert!((got / want - 1.0).abs() < 1e-10, "{what}: {got:e} vs {want:e}");
        };
        let cdnow = ParetoNbd { r: 0.55328, alpha: 10.578, s: 0.60621, beta: 11.668 };
        let swapped = ParetoNbd { alpha: 11.668, beta: 10.578, ..cdnow };
        let equal = ParetoNbd { alpha: 10.578, beta: 10.578, ..cdnow };
        for (n, a, b, c) in [
            (0, 0.59353511973134857, 0.61845201574235792, 0.60240268738098355),
            (1, 0.1655855200009216, 0.16341445400575777, 0.16382079623661376),
            (2, 0.082504073654791301, 0.078774131852546374, 0.080690015141325726),
            (5, 0.021491560692834509, 0.019079847139843668, 0.020752614743794135),
            (10, 0.0041952529889674856, 0.0033410730624891134, 0.0040280836889331384),
        ] {
            close(&format!("Pareto/NBD new P({n})"), cdnow.prob_purchases_new(n, 39.0), a);
            close(&format!("Pareto/NBD α > β P({n})"), swapped.prob_purchases_new(n, 39.0), b);
            close(&format!("Pareto/NBD α = β P({n})"), equal.prob_purchases_new(n, 39.0), c);
        }
        for ((x, t_x, t), want) in [
            ((2.0, 30.43, 39.0), [0.40809098554292839, 0.21926722639836955, 0.15174645876827781]),
            ((2.0, 30.43, 13.0), [0.63309210792816266, 0.24241658335992182, 0.086878539581508174]),
            ((0.0, 0.0, 39.0), [0.93073213908356627, 0.045883555514734639, 0.014674683150732265]),
            ((10.0, 38.0, 39.0), [0.065489058798473878, 0.0524561979282988, 0.057051682921391614]),
            ((1.0, 1.71, 39.0), [0.91341788921403592, 0.043102489015257634, 0.022133305622355342]),
        ] {
            let got = cdnow.purchase_counts(t, x, t_x, 38.86, 2);
            for n in 0..3 {
                close(&format!("Pareto/NBD ({x}, {t_x}) t {t} P({n})"), got[n], want[n]);
            }
        }
        let bg = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
        let mbg = MbgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
        for (model, want) in [
            (
                CountModel::BgNbd(bg),
                [
                    0.44537286208299557,
                    0.23931893743502776,
                    0.14418322186458469,
                    0.08085005599575532,
                    0.043544969091643835,
                ],
            ),
            (
                CountModel::MbgNbd(mbg),
                [
                    0.40885412015865309,
                    0.24539448803135236,
                    0.15430529132870273,
                    0.088934614793146301,
                    0.048832731557704494,
                ],
            ),
        ] {
            let got = model.purchase_counts(39.0, 2.0, 30.43, 38.86, 4);
            for n in 0..5 {
                close(&format!("{} P({n})", model.name()), got[n], want[n]);
            }
        }
    }
}
