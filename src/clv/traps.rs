//! One test per numerical trap that applies to these models: each broke another CLV tool for real
//! users (the issue thread is cited at each test). The engine must give a finite, correct
//! number or an error in words, never NaN and never a panic.

use crate::clv::special::ln_hyp2f1_a_a1;
use crate::clv::{
    BgNbd, CountData, FitOptions, GammaGamma, ParetoNbd, PurchaseModel, SpendData, TimeUnit, Tolerances, simulate,
};

const PNBD: ParetoNbd = ParetoNbd { r: 0.55328, alpha: 10.578, s: 0.60621, beta: 11.668 };

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

/// lifetimes#25: P(alive) NaN for x > 300 (the A₀ term underflowed).
#[test]
fn pareto_is_finite_and_monotone_in_x_up_to_10000() {
    let mut previous = (f64::INFINITY, 0.0);
    for x in [0, 1, 10, 100, 300, 301, 1_000, 3_000, 10_000] {
        let x = x as f64;
        // Bought at the end of the window: alive for sure, expectation growing with x.
        let (ll, p, e) = (
            PNBD.log_likelihood(x, 50.0, 50.0),
            PNBD.p_alive(x, 50.0, 50.0),
            PNBD.expected_purchases(10.0, x, 50.0, 50.0),
        );
        assert!(ll.is_finite() && p == 1.0 && e > previous.1, "x {x}: {ll} {p} {e}");
        // Silent for 10 weeks: the more they bought before, the surer they are gone.
        let (ll, p) = (PNBD.log_likelihood(x, 40.0, 50.0), PNBD.p_alive(x, 40.0, 50.0));
        assert!(ll.is_finite() && (0.0..=1.0).contains(&p) && p <= previous.0, "x {x}: {ll} {p}");
        assert!(PNBD.expected_purchases(10.0, x, 40.0, 50.0).is_finite());
        previous = (p, e);
    }
}

/// CLVTools 0.7.0: t_x = T makes A₀ = 0 and log(0) appeared; CLVTools#100: t_x a hair below T.
#[test]
fn pareto_at_and_just_below_t_x_equal_t() {
    for x in [1.0, 26.0, 500.0] {
        for t_x in [31.0, 31.0 - 1e-9, 31.0 - 1e-3] {
            let (ll, p) = (PNBD.log_likelihood(x, t_x, 31.0), PNBD.p_alive(x, t_x, 31.0));
            assert!(ll.is_finite() && (0.0..=1.0).contains(&p) && p > 0.99, "x {x} t_x {t_x}: {ll} {p}");
        }
    }
    // t_x > T is refused at input (see data.rs), never silently scored.
    let e = CountData::from_days([(3, 32, 31)], TimeUnit::Days).unwrap_err();
    assert_eq!(e.parameter(), Some("CountData::from_days(triples)"), "{e}");
}

/// CLVTools 0.7.0, BTYD fix_pnbd: α = β makes the ₂F₁ argument 0.
#[test]
fn pareto_is_continuous_at_alpha_equal_beta() {
    let at = |beta: f64| ParetoNbd { beta, ..ParetoNbd { alpha: 10.0, ..PNBD } };
    for (x, t_x, t) in [(0.0, 0.0, 38.0), (4.0, 20.0, 38.0), (300.0, 900.0, 1000.0)] {
        let mid = at(10.0);
        for beta in [10.0 - 1e-12, 10.0 + 1e-12] {
            let m = at(beta);
            assert!(rel(m.log_likelihood(x, t_x, t), mid.log_likelihood(x, t_x, t)) < 1e-12);
            assert!(rel(m.p_alive(x, t_x, t), mid.p_alive(x, t_x, t)) < 1e-10);
            assert!(rel(m.expected_purchases(39.0, x, t_x, t), mid.expected_purchases(39.0, x, t_x, t)) < 1e-10);
        }
    }
    // A fit started exactly on α = β gets past it.
    let data = CountData::from_days(
        simulate::bgnbd(&BgNbd { r: 0.5, alpha: 20.0, a: 0.8, b: 2.5 }, 3_000, (100, 400), 3).unwrap(),
        TimeUnit::Days,
    )
    .unwrap();
    let options = FitOptions { starts: vec![vec![1.0, 10.0, 1.0, 10.0]], ..FitOptions::default() };
    let fit = ParetoNbd::fit(&data, &options).unwrap();
    assert!(fit.diagnostics.converged && fit.diagnostics.log_likelihood.is_finite());
}

/// lifetimes CET: (1 − ((β+T)/(β+T+t))^(s−1))/(s − 1) at s = 1.
#[test]
fn pareto_expectation_is_continuous_at_s_equal_one() {
    let at = |s: f64| ParetoNbd { s, ..PNBD };
    let mid = at(1.0).expected_purchases(39.0, 3.0, 20.0, 38.0);
    let limit = at(1.0).p_alive(3.0, 20.0, 38.0) * (PNBD.r + 3.0) * (PNBD.beta + 38.0) / (PNBD.alpha + 38.0)
        * ((PNBD.beta + 38.0 + 39.0) / (PNBD.beta + 38.0)).ln();
    assert!(rel(mid, limit) < 1e-14, "{mid} vs {limit}");
    for s in [1.0 - 1e-9, 1.0 + 1e-9] {
        assert!(rel(at(s).expected_purchases(39.0, 3.0, 20.0, 38.0), mid) < 1e-8);
    }
}

/// lifetimes#302: c = a + b + x − 1 ≤ 0 (x = 0, a + b < 1); lifetimes PR #206: a negative ₂F₁ term
/// for tiny a, b. Reference values: FHL 2005 eq. 10 as printed, in mpmath at 60 and 80 digits
/// (`scripts/reference_traps.py`, which prints these cases in this order).
#[test]
fn bgnbd_expectation_where_the_printed_formula_breaks() {
    let m = |a: f64, b: f64| BgNbd { r: 0.24, alpha: 4.4, a, b };
    for (model, x, t_x, want) in [
        (m(0.31, 0.50), 0.0, 0.0, 0.184_407_104_202_322_36),
        (m(0.001, 0.039), 0.0, 0.0, 0.214_496_392_618_028_64),
        (m(0.001, 0.039), 2.0, 30.0, 2.015_122_276_726_399),
        (m(1.0 + 1e-9, 2.4), 3.0, 20.0, 0.937_087_165_874_810_4),
    ] {
        let e = model.expected_purchases(39.0, x, t_x, 38.86);
        assert!(e >= 0.0 && rel(e, want) < 1e-9, "{model:?} x {x}: {e} vs {want}");
    }
    // a → 1 from both sides and at exactly 1.
    let e = |a: f64| m(a, 2.4).expected_purchases(39.0, 3.0, 20.0, 38.86);
    assert!(rel(e(1.0), e(1.0 - 1e-9)) < 1e-8 && rel(e(1.0), e(1.0 + 1e-9)) < 1e-8);
}

/// A shop where everyone buys at nearly one rate (large r) over a long horizon: the transformed
/// series alternates and cancels there, so the integral takes over. Reference values: FHL 2005
/// eq. 10 in mpmath (`scripts/reference_traps.py`).
#[test]
fn bgnbd_expectation_for_large_r_and_long_horizons() {
    let m = |r: f64, alpha: f64| BgNbd { r, alpha, a: 0.8, b: 2.5 };
    for (model, x, t_x, age, t, want) in [
        (m(120.0, 1200.0), 0.0, 0.0, 0.0, 1825.0, 17.122_356_049_328_206),
        (m(120.0, 1200.0), 0.0, 0.0, 0.0, 3650.0, 21.351_338_870_406_76),
        (m(200.0, 400.0), 0.0, 0.0, 10.0, 365.0, 16.990_003_849_399_898),
        (m(200.0, 400.0), 40.0, 300.0, 320.0, 365.0, 3.743_950_504_122_457),
        (m(50.0, 100.0), 5.0, 30.0, 60.0, 3650.0, 0.005_951_968_337_891_103),
    ] {
        let e = model.expected_purchases(t, x, t_x, age);
        assert!(rel(e, want) < 1e-8, "{model:?} x {x} T {age} t {t}: {e} vs {want}");
    }
    // Concentrated dropout posteriors (the integral must find the Beta's mass) and a, b in the
    // thousands (the series overflows). FHL 2005 eq. 10 in mpmath (`scripts/reference_traps.py`).
    let beta = |a: f64, b: f64, r: f64| BgNbd { r, alpha: 30.0, a, b };
    for (model, x, t_x, want) in [
        (beta(10.0, 2_500.0, 0.2), 0.0, 0.0, 0.557_803_265_259_184_8),
        (beta(2_000.0, 2_000.0, 0.2), 0.0, 0.0, 0.321_795_160_564_757_6),
        (beta(0.5, 5_000.0, 0.2), 0.0, 0.0, 0.561_443_931_707_551),
        (beta(3_000.0, 0.5, 0.5), 0.0, 0.0, 0.487_579_029_360_319_67),
        (beta(10.0, 2_500.0, 0.2), 3.0, 50.0, 8.615_386_475_817_17),
    ] {
        let e = model.expected_purchases(365.0, x, t_x, 100.0);
        assert!(rel(e, want) < 1e-8, "{model:?} x {x}: {e} vs {want}");
    }
    // The CLV steps stay increasing over a century-long horizon with a fast buyer (z → 1).
    let fast = BgNbd { r: 0.5, alpha: 5.0, a: 0.8, b: 2.5 };
    let mut previous = 0.0;
    for days in (365..=36_525).step_by(3_650) {
        let e = fast.expected_purchases(days as f64, 0.0, 0.0, 0.0);
        assert!(e.is_finite() && e > previous, "{days}: {e} after {previous}");
        previous = e;
    }
}

/// BTYD fix_pnbd (segfault), GSL: a ₂F₁ series that never ends. The cap ends in an error at once.
#[test]
fn hypergeometric_series_is_capped() {
    let started = std::time::Instant::now();
    let err = ln_hyp2f1_a_a1(0.6, 0.5, 1.0 - 1e-12).unwrap_err();
    assert!(err.to_string().contains("did not converge"), "{err}");
    assert!(started.elapsed().as_secs() < 2);
    // Where the model needs such arguments it integrates instead: α ≫ β + t.
    let far = ParetoNbd { r: 0.6, alpha: 1e7, s: 0.5, beta: 0.01 };
    assert!(far.log_likelihood(3.0, 0.5, 30.0).is_finite() && far.p_alive(3.0, 0.5, 30.0).is_finite());
}

/// CLVTools#132, lifetimes#259: an optimiser aborting on the first non-finite value; lifetimes#396:
/// converged fits reported as failures because of tight tolerances.
#[test]
fn fits_survive_bad_starts_and_unreachable_tolerances() {
    let truth = BgNbd { r: 0.5, alpha: 30.0, a: 0.8, b: 2.5 };
    let data = CountData::from_days(simulate::bgnbd(&truth, 5_000, (100, 500), 5).unwrap(), TimeUnit::Days).unwrap();
    let reference = BgNbd::fit(&data, &FitOptions::default()).unwrap();
    let bad = FitOptions {
        starts: vec![vec![300.0, 1e-4, 1e-3, 900.0], vec![1e-3, 1e5, 50.0, 1e-3]],
        ..FitOptions::default()
    };
    let fit = BgNbd::fit(&data, &bad).unwrap();
    assert!((fit.diagnostics.log_likelihood - reference.diagnostics.log_likelihood).abs() < 1e-6);
    assert!(rel(fit.model.alpha, reference.model.alpha) < 1e-4);
    let tight =
        FitOptions { tolerances: Tolerances { gradient: 0.0, ..Tolerances::default() }, ..FitOptions::default() };
    let fit = BgNbd::fit(&data, &tight).unwrap();
    assert!(fit.diagnostics.converged && rel(fit.model.r, reference.model.r) < 1e-6, "{:?}", fit.diagnostics);
}

/// lifetimes#271: a ridge where a, b → ∞ with a/(a + b) fixed was accepted as a fit with α 320,
/// a 0.002. Here the ridge is a finding: the limit "one dropout probability for everyone" is fitted
/// and returned with that probability, and a penalty still pulls an interior fit off it.
#[test]
fn a_dropout_ridge_is_fitted_as_its_limit() {
    use crate::clv::Limit;
    // Everybody has the same dropout probability 0.25.
    let truth = BgNbd { r: 0.5, alpha: 30.0, a: 2.5e5, b: 7.5e5 };
    for seed in [9, 10, 11] {
        let data =
            CountData::from_days(simulate::bgnbd(&truth, 20_000, (100, 500), seed).unwrap(), TimeUnit::Days).unwrap();
        let fit = BgNbd::fit(&data, &FitOptions::default()).unwrap();
        // With 20,000 customers the maximum may lie at the limit or at a large interior a, b on
        // the ridge: either is reported for what it is.
        match &fit.diagnostics.boundary {
            Some(boundary) => {
                assert!(boundary.limits.contains(&Limit::OneDropoutProbability), "seed {seed}: {boundary:?}");
                assert!(boundary.likelihood_ratio.is_none_or(|lr| lr >= 0.0));
            }
            None => assert!(
                fit.diagnostics
                    .warnings
                    .iter()
                    .any(|w| matches!(w.kind, crate::clv::WarningKind::Ridge { .. }) && w.parameters == ["a", "b"]),
                "seed {seed}: {:?}",
                fit.diagnostics
            ),
        }
        let p = fit.model.a / (fit.model.a + fit.model.b);
        assert!((p - 0.25).abs() < 0.03, "seed {seed}: p = {p}");
        assert!(rel(fit.model.r, truth.r) < 0.15 && rel(fit.model.alpha, truth.alpha) < 0.15, "{:?}", fit.model);
    }
    let data = CountData::from_days(simulate::bgnbd(&truth, 20_000, (100, 500), 9).unwrap(), TimeUnit::Days).unwrap();
    // A penalty pulls the fit off the ridge.
    let fit = BgNbd::fit(&data, &FitOptions { penalty: 0.01, ..FitOptions::default() }).unwrap();
    assert!(fit.model.a < 1e4 && fit.diagnostics.boundary.is_none());
}

/// CLVTools#163, #171, #186: residual value unstable for large β or discount. CLV here is finite
/// and strictly decreasing in the discount rate, also for Pareto/NBD with a large β.
#[test]
fn clv_is_finite_and_decreasing_in_the_discount_rate() {
    use crate::clv::{Fitted, Valuation, ValueOptions};
    use crate::summary::{CustomerId, Summaries, Summary};
    let day = |d: i32| crate::Day::from_days(d);
    let customer = |id: u32, purchase_days: u32, last: i32| Summary {
        customer: CustomerId(id),
        first_purchase: day(0),
        last_purchase: day(last),
        orders: purchase_days,
        purchase_days,
        spend: 5_000 * purchase_days as i64,
        first_day_spend: 5_000,
        returns: 0,
        returned: 0,
    };
    let summaries = Summaries {
        as_of: day(700),
        customers: vec![customer(0, 1, 0), customer(1, 4, 600), customer(2, 40, 699), customer(3, 300, 690)],
        data_version: 0,
        counts_only: false,
    };
    let diagnostics = BgNbd::fit(
        &CountData::from_days(
            simulate::bgnbd(&BgNbd { r: 0.5, alpha: 30.0, a: 0.8, b: 2.5 }, 2_000, (100, 500), 1).unwrap(),
            TimeUnit::Weeks,
        )
        .unwrap(),
        &FitOptions::default(),
    )
    .unwrap()
    .diagnostics;
    let pnbd =
        Fitted { model: ParetoNbd { r: 0.6, alpha: 4.0, s: 2.5, beta: 200.0 }, unit: TimeUnit::Weeks, diagnostics };
    let gg = GammaGamma { p: 6.0, q: 4.0, gamma: 15.0 };
    let mut previous: Option<Vec<f64>> = None;
    for discount in [0.0, 0.05, 0.2, 1.0, 5.0] {
        let options = ValueOptions {
            horizon: crate::clv::Span::months(120),
            discount: crate::clv::DiscountRate { rate: discount, per: crate::clv::CalendarUnit::Year },
            ..ValueOptions::default()
        };
        let values: Vec<f64> = Valuation::new(&pnbd, Some(gg), options)
            .unwrap()
            .score(&summaries, &crate::Currency::default())
            .iter()
            .map(|v| v.clv)
            .collect();
        assert!(values.iter().all(|v| v.is_finite() && *v > 0.0), "{discount}: {values:?}");
        if let Some(before) = &previous {
            assert!(values.iter().zip(before).all(|(now, was)| now < was), "{discount}: {values:?} after {before:?}");
        }
        previous = Some(values);
    }
}

/// lifetimes#146, #370: q ≤ 1 gave negative expected spend. Such fits are refused; a fitted model
/// always has positive expected spend, and x = 0 customers get the population mean.
#[test]
fn gamma_gamma_refuses_infinite_mean_and_keeps_spend_positive() {
    let heavy = simulate::gamma_gamma(&GammaGamma { p: 1.5, q: 0.6, gamma: 5.0 }, 20_000, 5, 4).unwrap();
    let err = GammaGamma::fit(&heavy, &FitOptions::default()).unwrap_err();
    assert!(err.to_string().contains("≤ 1"), "{err}");
    let data = simulate::gamma_gamma(&GammaGamma { p: 6.0, q: 4.0, gamma: 15.0 }, 5_000, 8, 4).unwrap();
    let m = GammaGamma::fit(&data, &FitOptions::default()).unwrap().fitted.model;
    for (x, m_x) in [(1, 1e-6), (1, 1e6), (50, 0.01), (0, 0.0)] {
        assert!(m.expected_spend(x, m_x) > 0.0);
    }
    assert_eq!(m.expected_spend(0, 0.0), m.mean_spend());
    let with_zero = SpendData::new([(0, 0.0), (3, -2.0), (2, 10.0)]);
    assert_eq!((with_zero.observations().len(), with_zero.excluded()), (1, 2));
}

/// CLVTools#163, #171, #186: the residual value (DERT) through Kummer's U blew up for large β or
/// a large discount. It must be finite, positive and decreasing in the discount rate for any of
/// them, and approach its δ = 0 limit (β + T)/(s − 1)·… for s > 1.
#[test]
fn dert_is_finite_and_decreasing_for_large_beta_and_discount() {
    for (s, beta) in [(0.6, 11.0), (1.0, 1e4), (1.0 + 1e-9, 1e6), (2.5, 1e5), (40.0, 1e3), (0.05, 1e7)] {
        let m = ParetoNbd { r: 0.55, alpha: 10.0, s, beta };
        let mut previous = f64::INFINITY;
        for i in 0..60 {
            let delta = 10f64.powf(-8.0 + i as f64 * 0.15);
            let d = m.dert(delta, 3.0, 30.0, 39.0);
            assert!(d.is_finite() && d > 0.0 && d <= previous, "s {s} β {beta} δ {delta}: {d} after {previous}");
            previous = d;
        }
        if s > 1.0 + 1e-6 {
            let limit = m.dert(0.0, 3.0, 30.0, 39.0);
            let near = m.dert(1e-12, 3.0, 30.0, 39.0);
            assert!((near / limit - 1.0).abs() < 1e-3, "s {s} β {beta}: {near} vs {limit}");
        }
    }
}

/// lifetimes#25 and CLVTools#100 for the window predictions: P(alive) at a later day, the
/// purchase-count distribution and P(no purchase) stay finite probabilities up to x = 10,000,
/// at t_x = T, with α = β for the Pareto/NBD and tiny a, b for the BG/NBD family.
#[test]
fn window_predictions_stay_probabilities_for_extreme_customers() {
    use crate::clv::CountModel;
    let models = [
        CountModel::BgNbd(BgNbd { r: 0.24, alpha: 4.4, a: 0.001, b: 0.039 }),
        CountModel::MbgNbd(crate::clv::MbgNbd { r: 0.24, alpha: 4.4, a: 0.31, b: 0.5 }),
        CountModel::ParetoNbd(ParetoNbd { r: 0.55, alpha: 10.6, s: 0.61, beta: 10.6 }),
        CountModel::ParetoNbd(ParetoNbd { r: 0.55, alpha: 10.6, s: 1.0, beta: 1e4 }),
    ];
    for m in models {
        for x in [0.0, 1.0, 300.0, 1_000.0, 10_000.0] {
            for (t_x, age) in [(if x > 0.0 { 38.86 } else { 0.0 }, 38.86), (if x > 0.0 { 20.0 } else { 0.0 }, 52.0)] {
                for t in [1.0, 13.0, 52.0] {
                    let later = m.p_alive_at(t, x, t_x, age);
                    let counts = m.purchase_counts(t, x, t_x, age, 3);
                    let name = m.name();
                    assert!((0.0..=1.0).contains(&later), "{name} x {x} t {t}: P(alive) later {later}");
                    assert!(counts.iter().all(|p| (0.0..=1.0).contains(p)), "{name} x {x} t {t}: {counts:?}");
                    assert!(counts.iter().sum::<f64>() <= 1.0 + 1e-9, "{name} x {x} t {t}: {counts:?}");
                }
            }
        }
    }
}
