//! Checks every model's likelihood, P(alive) and conditional expectation, the Gamma-Gamma density
//! and the Pareto/NBD ₂F₁ against direct transcriptions of the papers' formulas evaluated with
//! mpmath at 50 digits (`tests/fixtures/clv`, made by `scripts/reference_values.py`), on inputs up
//! to x = 300 and T = 1,000 weeks.

use retention::clv::special::ln_hyp2f1_a_a1;
use retention::clv::{BgNbd, GammaGamma, MbgNbd, ParetoNbd, PurchaseModel};

use crate::common::fixture;

fn rows(name: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(fixture(&format!("clv/{name}"))).unwrap();
    text.lines().skip(1).map(|l| l.split(',').map(str::to_string).collect()).collect()
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s}"))
}

/// |got − want| within `rel` of |want| (or of 1 for values near 0).
fn close(what: &str, got: f64, want: f64, rel: f64) {
    assert!(got.is_finite(), "{what}: got {got}");
    assert!((got - want).abs() <= rel * want.abs().max(1e-300), "{what}: got {got:e}, want {want:e}");
}

#[test]
fn models_match_high_precision_values() {
    let table = rows("models.csv");
    assert_eq!(table.len(), 1_440);
    let mut worst = [0.0f64; 3];
    for r in &table {
        let p: Vec<f64> = r[1..12].iter().map(|s| num(s)).collect();
        let (x, t_x, age, t) = (p[4], p[5], p[6], p[7]);
        let model: Box<dyn PurchaseModel> = match r[0].as_str() {
            "bgnbd" => Box::new(BgNbd { r: p[0], alpha: p[1], a: p[2], b: p[3] }),
            "mbgnbd" => Box::new(MbgNbd { r: p[0], alpha: p[1], a: p[2], b: p[3] }),
            "pareto_nbd" => Box::new(ParetoNbd { r: p[0], alpha: p[1], s: p[2], beta: p[3] }),
            other => panic!("unknown model {other}"),
        };
        let what = format!("{} {:?} x {x} t_x {t_x} T {age} t {t}", r[0], model.parameters());
        let ll = model.log_likelihood(x, t_x, age);
        let (pa, e) = (model.p_alive(x, t_x, age), model.expected_purchases(t, x, t_x, age));
        // Log-likelihoods reach −2,000: compare them absolutely at the precision of their size.
        let ll_err = (ll - p[8]).abs() / p[8].abs().max(1.0);
        assert!(ll_err <= 1e-12, "loglik of {what}: got {ll}, want {}", p[8]);
        close(&format!("P(alive) of {what}"), pa, p[9], 1e-10);
        close(&format!("E[X] of {what}"), e, p[10], 1e-9);
        for (w, v) in worst.iter_mut().zip([ll_err, (pa - p[9]).abs() / p[9], (e - p[10]).abs() / p[10].max(1e-300)]) {
            *w = w.max(v);
        }
    }
    assert!(worst.iter().all(|w| *w < 1e-9), "{worst:?}");
}

#[test]
fn gamma_gamma_matches_high_precision_values() {
    for r in rows("gamma_gamma.csv") {
        let v: Vec<f64> = r.iter().map(|s| num(s)).collect();
        let m = GammaGamma { p: v[0], q: v[1], gamma: v[2] };
        let x = v[3] as u32;
        close(&format!("{m:?} x {x} m {}", v[4]), m.log_likelihood(x, v[4]), v[5], 1e-12);
        close(&format!("{m:?} x {x} m {} spend", v[4]), m.expected_spend(x, v[4]), v[6], 1e-13);
    }
}

/// The Pareto/NBD family ₂F₁(a, b; a + 1; z) wherever the model uses it (b ≤ a + 1), up to
/// z = 0.999999 and a, b = 1,000: the value, or an error instead of a hang where the series
/// would need more than its term cap.
#[test]
fn hyp2f1_matches_high_precision_values_or_refuses() {
    let (mut checked, mut refused) = (0, 0);
    for r in rows("hyp2f1.csv") {
        let v: Vec<f64> = r.iter().map(|s| num(s)).collect();
        let (a, b, c, z, want) = (v[0], v[1], v[2], v[3], v[4]);
        if c != a + 1.0 || b > a + 1.0 {
            continue;
        }
        match ln_hyp2f1_a_a1(a, b, z) {
            Ok(got) => {
                assert!(
                    (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "2F1({a}, {b}; {c}; {z}): ln {got} vs {want}"
                );
                checked += 1;
            }
            Err(e) => {
                assert!(z > 0.999 && e.to_string().contains("did not converge"), "{a} {b} {z}: {e}");
                refused += 1;
            }
        }
    }
    // 14 points at z = 0.999999 need more terms than the cap (the model switches to quadrature
    // above z = 0.95); every other point of the family is checked.
    assert!(checked >= 120 && refused <= 14, "{checked} checked, {refused} refused");
}
