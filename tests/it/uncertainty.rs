//! Parameter uncertainty: standard errors on the CDNOW calibration sample against lifetimes 0.11.3's
//! `summary` (BG/NBD, MBG/NBD, Gamma-Gamma) and, for Pareto/NBD (lifetimes has none), against an
//! independent central-difference Hessian of the log-likelihood.

use retention::Day;
use retention::clv::{BgNbd, CountData, FitOptions, GammaGamma, MbgNbd, ParetoNbd, PurchaseModel, SpendData, TimeUnit};

use crate::common::{cdnow_calibration, fixture};

/// lifetimes' `summary` standard errors (tests/fixtures/clv/lifetimes_cdnow.json, SOURCE.md).
fn lifetimes_se(model: &str, names: &[&str]) -> Vec<f64> {
    let text = std::fs::read_to_string(fixture("clv/lifetimes_cdnow.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    names.iter().map(|n| v[model]["se"][n].as_f64().unwrap_or_else(|| panic!("{model} se {n}"))).collect()
}

fn within_one_percent(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= 0.01 * w, "{what}: standard errors {got:?}, want {want:?} (±1%)");
    }
}

#[test]
fn standard_errors_match_lifetimes_summary() {
    let (_dir, store, summaries) = cdnow_calibration();
    let data = CountData::from_summaries(&summaries, TimeUnit::Weeks);
    let options = FitOptions::default();

    let bg = BgNbd::fit(&data, &options).unwrap();
    within_one_percent("BG/NBD", &bg.diagnostics.standard_errors, &lifetimes_se("bgnbd", &["r", "alpha", "a", "b"]));
    let mbg = MbgNbd::fit(&data, &options).unwrap();
    within_one_percent("MBG/NBD", &mbg.diagnostics.standard_errors, &lifetimes_se("mbgnbd", &["r", "alpha", "a", "b"]));
    let gg = GammaGamma::fit(&SpendData::from_summaries(&summaries, &store.currency()), &options).unwrap();
    within_one_percent(
        "Gamma-Gamma",
        &gg.fitted.diagnostics.standard_errors,
        &lifetimes_se("gamma_gamma", &["p", "q", "v"]),
    );

    // The summary: intervals on the log scale contain the estimate, AIC and BIC by definition.
    let s = bg.summary(0.95).unwrap();
    for (e, se) in s.estimates.iter().zip(&bg.diagnostics.standard_errors) {
        assert_eq!(e.standard_error, *se);
        assert!(e.lower > 0.0 && e.lower < e.value && e.value < e.upper, "{e:?}");
        // exp(±1.96·se/θ) around θ: the log-scale interval's geometric mean is the estimate.
        assert!(((e.lower * e.upper).sqrt() / e.value - 1.0).abs() < 1e-12, "{e:?}");
        let half = (e.upper / e.value).ln();
        assert!((half - 1.959963984540054 * se / e.value).abs() < 1e-12, "{e:?}");
    }
    let ll = bg.diagnostics.log_likelihood;
    assert!((s.aic - (8.0 - 2.0 * ll)).abs() < 1e-9 && (s.bic - (4.0 * 2_357f64.ln() - 2.0 * ll)).abs() < 1e-9);
    assert!(s.converged && s.gradient_norm < 1e-6 && s.at_bound.is_empty());
    let c = &s.correlation;
    assert!(
        (0..4).all(|i| (c[i][i] - 1.0).abs() < 1e-12 && (0..4).all(|j| c[i][j] == c[j][i] && c[i][j].abs() <= 1.0))
    );
}

/// The total log-likelihood over the data's cells, straight from the per-customer formula.
fn total(model: &dyn PurchaseModel, data: &CountData) -> f64 {
    let unit = data.unit().days();
    data.cells()
        .iter()
        .map(|c| c.count as f64 * model.log_likelihood(c.x as f64, c.t_x as f64 / unit, c.age as f64 / unit))
        .sum()
}

/// Central second differences of the total log-likelihood over log-parameters (the value only,
/// not the gradient the fit differentiates), inverted: the Pareto/NBD standard errors a careful
/// analyst would compute by hand.
#[test]
fn pareto_standard_errors_match_a_central_difference_hessian() {
    let (_dir, _store, summaries) = cdnow_calibration();
    let data = CountData::from_summaries(&summaries, TimeUnit::Weeks);
    let fit = ParetoNbd::fit(&data, &FitOptions::default()).unwrap();
    let m = fit.model;
    let theta = [m.r.ln(), m.alpha.ln(), m.s.ln(), m.beta.ln()];
    let ll =
        |t: &[f64; 4]| total(&ParetoNbd { r: t[0].exp(), alpha: t[1].exp(), s: t[2].exp(), beta: t[3].exp() }, &data);
    let h = 1e-3;
    let mut hess = [[0.0; 4]; 4];
    for i in 0..4 {
        for j in 0..4 {
            let at = |di: f64, dj: f64| {
                let mut t = theta;
                t[i] += di;
                t[j] += dj;
                ll(&t)
            };
            hess[i][j] = -(at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4.0 * h * h);
        }
    }
    let cov = invert(hess);
    let params = [m.r, m.alpha, m.s, m.beta];
    let want: Vec<f64> = (0..4).map(|i| params[i] * cov[i][i].sqrt()).collect();
    within_one_percent("Pareto/NBD", &fit.diagnostics.standard_errors, &want);
}

/// Gauss–Jordan inverse of a 4×4 matrix (positive definite here).
fn invert(mut a: [[f64; 4]; 4]) -> [[f64; 4]; 4] {
    let mut inv = [[0.0; 4]; 4];
    for (i, row) in inv.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for col in 0..4 {
        let pivot = (col..4).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs())).unwrap();
        a.swap(col, pivot);
        inv.swap(col, pivot);
        let d = a[col][col];
        for k in 0..4 {
            a[col][k] /= d;
            inv[col][k] /= d;
        }
        for r in 0..4 {
            if r != col {
                let f = a[r][col];
                for k in 0..4 {
                    a[r][k] -= f * a[col][k];
                    inv[r][k] -= f * inv[col][k];
                }
            }
        }
    }
    inv
}

/// Delta-method intervals against 2,000 moment-matched parameter draws on the CDNOW sample
/// (90% intervals, a 90-day window, a 6-month CLV horizon), bound by bound as a share of the
/// draws' interval width. What remains is the predictions' curvature, which the delta method
/// ignores (largest for P(alive) of customers with x ≥ 2, where ln(b + x − 1) bends in ln b), and
/// the draws' quantile noise (about 1% of the width): half of all bounds agree within 2.5%, nine
/// in ten within 6%, every one within 12%, and 95% of the widths within 5%.
#[test]
fn delta_method_intervals_agree_with_draws() {
    use retention::clv::{CustomerIntervals, Interval, IntervalOptions, ModelKind, Span, ValueOptions};
    let (_dir, store, _summaries) = cdnow_calibration();
    let as_of = Day::from_ymd(1997, 9, 30);
    let model = store.fit_clv(as_of, ModelKind::BgNbd, TimeUnit::Weeks, &FitOptions::default()).unwrap();
    let options = |draws| {
        ValueOptions::default()
            .window(Span::days(90))
            .horizon(Span::months(6))
            .interval(IntervalOptions::default().level(0.9).draws(draws).seed(7))
    };
    let delta = store.clv_scores(&model, &options(0)).unwrap();
    let draws = store.clv_scores(&model, &options(2_000)).unwrap();
    assert_eq!(delta.values, draws.values);
    assert_eq!((delta.intervals.len(), draws.intervals.len()), (2_357, 2_357));
    let pick: [fn(&CustomerIntervals) -> Interval; 3] = [|i| i.p_alive, |i| i.expected_purchases, |i| i.clv];
    for (what, pick) in ["P(alive)", "expected purchases", "CLV"].iter().zip(pick) {
        let (mut bounds, mut widths) = (Vec::new(), Vec::new());
        for ((d, m), v) in delta.intervals.iter().zip(&draws.intervals).zip(&delta.values) {
            let (d, m) = (pick(d), pick(m));
            if m.width() <= 0.0 {
                // P(alive) = 1 exactly (BG/NBD, no repeat purchase): no uncertainty either way.
                assert!(d.width() == 0.0 && v.p_alive == 1.0, "{what}: {d:?} {m:?}");
                continue;
            }
            assert!(d.lower < d.upper, "{what}: {d:?}");
            bounds.push((d.lower - m.lower).abs() / m.width());
            bounds.push((d.upper - m.upper).abs() / m.width());
            widths.push((d.width() - m.width()).abs() / m.width());
        }
        let q = |v: &mut Vec<f64>, p: f64| {
            v.sort_by(f64::total_cmp);
            v[((v.len() - 1) as f64 * p) as usize]
        };
        let (median, ninety, max) = (q(&mut bounds, 0.5), q(&mut bounds, 0.9), q(&mut bounds, 1.0));
        let width95 = q(&mut widths, 0.95);
        assert!(
            median <= 0.025 && ninety <= 0.06 && max <= 0.12 && width95 <= 0.05,
            "{what}: bounds differ by {median:.4} (median), {ninety:.4} (90%), {max:.4} (max); widths {width95:.4} (95%)"
        );
    }
}

/// Coverage: on 100 data sets of 5,000 customers simulated from known BG/NBD parameters, each
/// parameter's 95% interval contains the true value in 90 to 99 of them. The seeds are fixed, so
/// the test is deterministic; the count it checks is a binomial(100, 0.95) draw if the intervals
/// are right (90–99 holds with probability 0.97 for each parameter).
#[test]
fn parameter_intervals_cover_the_truth() {
    use retention::clv::simulate;
    // Hours as the tick, so that purchases hardly ever share one (α = 20 days).
    let truth = BgNbd { r: 0.5, alpha: 20.0 * 24.0, a: 0.8, b: 2.5 };
    let want = [truth.r, truth.alpha, truth.a, truth.b];
    let mut covered = [0u32; 4];
    let sets = 100;
    for seed in 0..sets {
        let triples = simulate::bgnbd(&truth, 5_000, (100 * 24, 400 * 24), 1_000 + seed).unwrap();
        let data = CountData::from_days(triples, TimeUnit::Days).unwrap();
        let fit = BgNbd::fit(&data, &FitOptions::default()).unwrap();
        let summary = fit.summary(0.95).unwrap();
        for (i, e) in summary.estimates.iter().enumerate() {
            covered[i] += (e.lower <= want[i] && want[i] <= e.upper) as u32;
        }
    }
    assert!(covered.iter().all(|c| (90..=99).contains(c)), "r, α, a, b covered in {covered:?} of {sets} data sets");
}
