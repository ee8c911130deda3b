//! Pins the CLV models against the published CDNOW estimates (Fader, Hardie & Lee 2005; Batislam et
//! al. 2007; the Gamma-Gamma note): calibration 1997-01-01 to 1997-09-30, weeks, 2,357 customers.

use retention::clv::{BgNbd, CountData, FitOptions, GammaGamma, MbgNbd, ParetoNbd, PurchaseModel, SpendData, TimeUnit};
use retention::{Day, IngestOptions, Preset, Store, Summaries};

use crate::common::{fixture, temp_store};

fn calibration() -> (tempfile::TempDir, Store, Summaries) {
    let (dir, store) = temp_store();
    let options = IngestOptions { preset: Preset::Cdnow, ..IngestOptions::default() };
    store.ingest_files(&[fixture("cdnow/CDNOW_sample.txt")], &options).unwrap();
    let summaries = store.summaries(Some(Day::from_ymd(1997, 9, 30).unwrap())).unwrap();
    (dir, store, summaries)
}

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
    let (_dir, _store, summaries) = calibration();
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
    let (_dir, store, summaries) = calibration();
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
