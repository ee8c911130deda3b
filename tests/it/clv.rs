//! Pins the CLV models against the published CDNOW estimates (Fader, Hardie & Lee 2005; Batislam et
//! al. 2007; the Gamma-Gamma note): calibration 1997-01-01 to 1997-09-30, weeks, 2,357 customers.

use retention::clv::{
    BgNbd, CountData, EvaluateOptions, FitOptions, GammaGamma, MbgNbd, ModelKind, ParetoNbd, PurchaseModel, SpendData,
    TimeUnit, ValueOptions,
};
use retention::{Day, IngestOptions, Preset};

use crate::common::{cdnow_calibration, fixture};

fn within(name: &str, got: f64, want: f64, rel: f64) {
    assert!((got - want).abs() <= rel * want.abs(), "{name}: got {got}, want {want} (±{rel:e} relative)");
}

fn check(model: &dyn PurchaseModel, ll: f64, want: [f64; 4], want_ll: f64, rel: [f64; 4]) {
    for (((name, got), want), rel) in model.parameters().into_iter().zip(want).zip(rel) {
        within(&format!("{} {name}", model.name()), got, want, rel);
    }
    assert!((ll - want_ll).abs() < 0.01, "{} log-likelihood {ll} vs {want_ll}", model.name());
}

#[test]
fn cdnow_maximum_likelihood_estimates_match_the_papers() {
    let (_dir, _store, summaries) = cdnow_calibration();
    let data = CountData::from_summaries(&summaries, TimeUnit::Weeks);
    assert_eq!((data.customers(), data.repeaters()), (2_357, 946));
    let options = FitOptions::default();

    let bg = BgNbd::fit(&data, &options).unwrap();
    assert!(bg.diagnostics.converged && bg.diagnostics.gradient_norm < 1e-6, "{:?}", bg.diagnostics);
    check(&bg.model, bg.diagnostics.log_likelihood, [0.24259, 4.4136, 0.79292, 2.4259], -9582.43, [1e-3; 4]);

    let mbg = MbgNbd::fit(&data, &options).unwrap();
    check(&mbg.model, mbg.diagnostics.log_likelihood, [0.52484, 6.1831, 0.89136, 1.6140], -9582.14, [1e-3; 4]);

    let pareto = ParetoNbd::fit(&data, &options).unwrap();
    check(
        &pareto.model,
        pareto.diagnostics.log_likelihood,
        [0.55328, 10.578, 0.60621, 11.668],
        -9594.98,
        [1e-3, 1e-3, 1e-3, 5e-3],
    );
}

#[test]
fn cdnow_gamma_gamma_matches_the_note() {
    let (_dir, store, summaries) = cdnow_calibration();
    let data = SpendData::from_summaries(&summaries, &store.currency());
    assert_eq!(data.observations().len(), 946);
    let fit = GammaGamma::fit(&data, &FitOptions::default()).unwrap();
    let m = fit.fitted.model;
    within("p", m.p, 6.2496, 1e-3);
    within("q", m.q, 3.7442, 1e-3);
    within("gamma", m.gamma, 15.444, 1e-3);
    assert!(
        (fit.fitted.diagnostics.log_likelihood - -4055.92).abs() < 0.01,
        "{}",
        fit.fitted.diagnostics.log_likelihood
    );
    let r = fit.frequency_spend_correlation.unwrap();
    assert!(r.abs() < 0.2, "CDNOW frequency-spend correlation {r}");
}

#[test]
fn cdnow_holdout_matches_the_published_predictions() {
    let (_dir, store, _) = cdnow_calibration();
    let options = EvaluateOptions {
        calibration_end: Day::from_ymd(1997, 9, 30).unwrap(),
        holdout_end: Day::from_ymd(1998, 6, 30).unwrap(),
        unit: TimeUnit::Weeks,
        fit: FitOptions::default(),
        models: ModelKind::ALL.to_vec(),
    };
    let eval = store.evaluate_clv(&options).unwrap();
    assert_eq!((eval.customers, eval.actual_total), (2_357, 1_882));
    assert!((eval.holdout_length - 39.0).abs() < 1e-12);
    let model = |k: ModelKind| eval.models.iter().find(|m| m.kind == k).unwrap();
    // Published totals (the models under-predict CDNOW's holdout; that is the papers' result).
    for (kind, total) in [(ModelKind::BgNbd, 1_653.0), (ModelKind::ParetoNbd, 1_666.0), (ModelKind::MbgNbd, 1_577.0)] {
        let m = model(kind);
        assert!((m.predicted_total - total).abs() < 0.5, "{kind:?}: {} vs {total}", m.predicted_total);
        assert!(m.mae > 0.0 && m.correlation > 0.3 && m.correlation < 1.0, "{kind:?} {} {}", m.mae, m.correlation);
    }
    // Customers without a calibration repeat purchase: actual 0.237, BG/NBD 0.225, Pareto/NBD 0.138.
    let zero = |k: ModelKind| model(k).groups[0].clone();
    assert_eq!(zero(ModelKind::BgNbd).customers, 1_411);
    assert!((zero(ModelKind::BgNbd).actual_mean - 0.237).abs() < 5e-4);
    assert!((zero(ModelKind::BgNbd).predicted_mean - 0.225).abs() < 5e-4);
    assert!((zero(ModelKind::ParetoNbd).predicted_mean - 0.138).abs() < 5e-4);
    assert_eq!(model(ModelKind::BgNbd).groups.len(), 8);
    assert_eq!(model(ModelKind::BgNbd).groups[7].label, "7+");
    assert!(eval.best.is_some());

    // The period-transaction histogram: 1,411 customers without a repeat purchase, as above; the
    // expected counts of every model add up to the customers.
    assert_eq!(eval.histogram_actual.iter().sum::<u64>(), 2_357);
    assert_eq!(eval.histogram_actual[0], 1_411);
    for m in &eval.models {
        let expected: f64 = m.histogram_expected.iter().sum();
        assert!((expected - 2_357.0).abs() < 1e-6, "{:?}: {expected}", m.kind);
    }
    // BG/NBD reproduces the histogram closely (FHL 2005, figure 3): every bin within 15%.
    for (a, e) in eval.histogram_actual.iter().zip(&model(ModelKind::BgNbd).histogram_expected) {
        assert!(
            (*a as f64 - e).abs() <= 0.15 * *a as f64,
            "{:?} vs {:?}",
            eval.histogram_actual,
            model(ModelKind::BgNbd).histogram_expected
        );
    }

    // Weekly tracking: 39 holdout weeks after the calibration weeks; the scan's repeat purchases
    // are the summaries' (Σx in the calibration, the evaluation's total in the holdout).
    let t = eval.tracking.as_ref().unwrap();
    assert_eq!(t.week_ends.len() - t.calibration_weeks, 39);
    assert_eq!(t.week_ends[t.calibration_weeks - 1], options.calibration_end);
    assert_eq!(t.week_ends.last(), Some(&options.holdout_end));
    let cumulative = t.cumulative_actual();
    let calibration = store.summaries(Some(options.calibration_end)).unwrap();
    let repeat: u64 = calibration.customers.iter().map(|s| s.x() as u64).sum();
    assert_eq!(cumulative[t.calibration_weeks - 1], repeat);
    assert_eq!(cumulative.last().unwrap() - repeat, 1_882);
    // The model's weekly expectations over the holdout add up to what a new customer of each
    // first-purchase day is expected to buy, close to the conditional total above (the papers'
    // cumulative tracking plots show both within a few percent of the actual 78-week total).
    let bg = model(ModelKind::BgNbd);
    assert_eq!(bg.weekly_expected.len(), t.week_ends.len());
    let expected_total: f64 = bg.weekly_expected.iter().sum();
    let actual_total = *cumulative.last().unwrap() as f64;
    assert!((expected_total / actual_total - 1.0).abs() < 0.05, "{expected_total} vs {actual_total}");
    assert!(bg.weekly_expected.iter().all(|w| *w >= 0.0));
}

#[test]
fn saved_model_round_trips_and_goes_stale_after_a_changing_ingest() {
    let (_dir, store, _) = cdnow_calibration();
    assert!(store.saved_clv().unwrap().is_none());
    let as_of = Day::from_ymd(1997, 9, 30).unwrap();
    let model = store.fit_clv(Some(as_of), ModelKind::ParetoNbd, TimeUnit::Weeks, &FitOptions::default()).unwrap();
    store.save_clv(&model).unwrap();
    let saved = store.saved_clv().unwrap().unwrap();
    assert_eq!(saved.model, model);
    assert!(!saved.stale);
    assert_eq!(saved.model.data.customers, 2_357);

    let values = store.clv_values(&saved.model, &ValueOptions::default()).unwrap();
    let first = store.clv_of(values[0].customer, &saved.model, &ValueOptions::default()).unwrap().unwrap();
    assert_eq!(first, values[0]);

    // Identical re-ingest: not stale. New data: stale.
    let options = IngestOptions { preset: Preset::Cdnow, ..IngestOptions::default() };
    store.ingest_files(&[fixture("cdnow/CDNOW_sample.txt")], &options).unwrap();
    assert!(!store.saved_clv().unwrap().unwrap().stale);
    store.ingest("99999 99999 19980701 1 10.00\n".as_bytes(), &options).unwrap();
    assert!(store.saved_clv().unwrap().unwrap().stale);
}

#[test]
fn clv_is_discounted_and_scales_with_margin() {
    let (_dir, store, _) = cdnow_calibration();
    let model = store
        .fit_clv(Some(Day::from_ymd(1997, 9, 30).unwrap()), ModelKind::BgNbd, TimeUnit::Weeks, &FitOptions::default())
        .unwrap();
    let at = |discount: f64, margin: f64| {
        let options = ValueOptions {
            discount: retention::clv::DiscountRate { rate: discount, per: retention::clv::CalendarUnit::Year },
            margin,
            ..ValueOptions::default()
        };
        store.clv_values(&model, &options).unwrap()
    };
    let (none, some, half) = (at(0.0, 1.0), at(0.2, 1.0), at(0.0, 0.5));
    for ((a, b), c) in none.iter().zip(&some).zip(&half) {
        assert!(b.clv < a.clv && b.clv > 0.8 * a.clv, "{a:?} {b:?}");
        assert!((c.clv - 0.5 * a.clv).abs() < 1e-9 * a.clv.max(1.0));
        // Undiscounted CLV over the purchases window is expected purchases times order value.
        assert!((a.clv - a.expected_purchases * a.expected_order_value).abs() < 1e-9 * a.clv.max(1.0));
    }
}
