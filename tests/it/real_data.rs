//! Fits on a real shop's history without options: the UCI Online Retail per-customer summary
//! (tests/fixtures/uci_online_retail, made from the engine's own ingest) against the values the
//! Python package lifetimes 0.11.3 reaches on the same summary (scripts/reference_uci.py).
//! Pins issue 19's refusal: BG/NBD and MBG/NBD used to refuse this data ("not identified").

use retention::clv::{BgNbd, CountData, FitOptions, MbgNbd, ModelKind, PurchaseModel, TimeUnit};

fn uci() -> CountData {
    let text = std::fs::read_to_string("tests/fixtures/uci_online_retail/summary.csv").unwrap();
    let triples = text.lines().skip(1).map(|line| {
        let f: Vec<&str> = line.split(',').collect();
        (f[1].parse().unwrap(), f[2].parse().unwrap(), f[3].parse().unwrap())
    });
    CountData::from_days(triples, TimeUnit::Days).unwrap()
}

fn lifetimes(model: &str) -> serde_json::Value {
    let text = std::fs::read_to_string("tests/fixtures/uci_online_retail/lifetimes.json").unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v[model].clone()
}

/// Both BG/NBD forms fit with defaults, reach at least lifetimes' log-likelihood, and give its
/// P(alive) and 90-day expected purchases for the customers it recorded.
#[test]
fn uci_online_retail_fits_the_bg_family_with_defaults() {
    let data = uci();
    assert_eq!((data.customers(), data.repeaters()), (4_339, 2_790));
    for key in ["bgnbd", "mbgnbd"] {
        let reference = lifetimes(key);
        let want = reference["loglik"].as_f64().unwrap();
        let (ll, model): (f64, Box<dyn PurchaseModel>) = if key == "bgnbd" {
            let f = BgNbd::fit(&data, &FitOptions::default()).unwrap();
            (f.diagnostics.log_likelihood, Box::new(f.model))
        } else {
            let f = MbgNbd::fit(&data, &FitOptions::default()).unwrap();
            (f.diagnostics.log_likelihood, Box::new(f.model))
        };
        assert!(ll >= want - 1e-6, "{key}: {ll} < lifetimes' {want}");
        for (name, value) in model.parameters() {
            let theirs = reference[name].as_f64().unwrap();
            assert!((value / theirs - 1.0).abs() < 1e-3, "{key} {name}: {value} vs {theirs}");
        }
    }
    // Per customer: lifetimes' P(alive) and expected purchases in 90 days.
    let fit = BgNbd::fit(&data, &FitOptions::default()).unwrap().model;
    let rows = lifetimes("bgnbd")["customers"].as_array().cloned().expect("customers");
    assert!(rows.len() >= 5);
    for row in &rows {
        let (x, t_x, t) = (row["x"].as_f64().unwrap(), row["t_x"].as_f64().unwrap(), row["T"].as_f64().unwrap());
        let (p, e) = (row["p_alive"].as_f64().unwrap(), row["expected_purchases_90d"].as_f64().unwrap());
        assert!((fit.p_alive(x, t_x, t) - p).abs() < 1e-3, "{row}");
        assert!((fit.expected_purchases(90.0, x, t_x, t) - e).abs() < 1e-3 * e.max(1.0), "{row}");
    }
}

/// Pareto/NBD on the same summary: lifetimes stops at s ≈ 5e-8 and reports success; run longer,
/// its s keeps falling. The engine fits the limit s → 0 (the NBD, nobody drops out) and reaches at
/// least lifetimes' log-likelihood.
#[test]
fn uci_online_retail_fits_pareto_nbd_at_its_limit() {
    let want = lifetimes("pareto_nbd")["loglik"].as_f64().unwrap();
    let fit = retention::clv::ParetoNbd::fit(&uci(), &FitOptions::default()).unwrap();
    assert!(fit.diagnostics.log_likelihood >= want, "{} < lifetimes' {want}", fit.diagnostics.log_likelihood);
    let boundary = fit.diagnostics.boundary.as_ref().expect("a finding");
    assert_eq!(boundary.parameters, "s -> 0");
    assert_eq!(fit.model.p_alive(3.0, 100.0, 300.0), 1.0);
    // lifetimes' fit lies near the limit (s ≈ 5e-8): its P(alive) and 90-day expectations for the
    // customers it recorded agree with the limit's to 1e-3.
    let rows = lifetimes("pareto_nbd")["customers"].as_array().cloned().expect("customers");
    assert!(rows.len() >= 5);
    for row in &rows {
        let (x, t_x, t) = (row["x"].as_f64().unwrap(), row["t_x"].as_f64().unwrap(), row["T"].as_f64().unwrap());
        let (p, e) = (row["p_alive"].as_f64().unwrap(), row["expected_purchases_90d"].as_f64().unwrap());
        assert!((fit.model.p_alive(x, t_x, t) - p).abs() < 1e-3, "{row}");
        assert!((fit.model.expected_purchases(90.0, x, t_x, t) - e).abs() < 1e-3 * e.max(1.0), "{row}");
    }
}

/// Gamma-Gamma on the UCI repeat customers' average order values (the summary's m_x, pounds):
/// lifetimes' optimum, interior, to 1e-4 in every parameter and its log-likelihood.
#[test]
fn uci_online_retail_fits_gamma_gamma_at_lifetimes_optimum() {
    let text = std::fs::read_to_string("tests/fixtures/uci_online_retail/summary.csv").unwrap();
    let pairs: Vec<(u32, f64)> = text
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            // No repeat purchase: no average repeat order value.
            (f[1].parse().unwrap(), if f[4].is_empty() { 0.0 } else { f[4].parse().unwrap() })
        })
        .filter(|&(x, m): &(u32, f64)| x > 0 && m > 0.0)
        .collect();
    let reference = lifetimes("gamma_gamma");
    let fit = retention::clv::GammaGamma::fit(&retention::clv::SpendData::new(pairs), &FitOptions::default()).unwrap();
    let data = lifetimes("data");
    assert_eq!(Some(fit.customers), data["gamma_gamma_customers"].as_u64());
    let d = &fit.fitted.diagnostics;
    assert!(d.boundary.is_none());
    assert!(d.log_likelihood >= reference["loglik"].as_f64().unwrap() - 1e-6);
    let m = fit.fitted.model;
    for (got, key) in [(m.p, "p"), (m.q, "q"), (m.gamma, "v")] {
        let want = reference[key].as_f64().unwrap();
        assert!((got / want - 1.0).abs() < 1e-4, "{key}: {got} vs {want}");
    }
    // Per customer: lifetimes' expected average order value (x = 0: the population mean).
    for row in reference["customers"].as_array().expect("customers") {
        let x = row["x"].as_u64().unwrap() as u32;
        let m_x = row["m_x"].as_f64().unwrap_or(0.0);
        let want = row["expected_average_spend"].as_f64().unwrap();
        assert!((m.expected_spend(x, m_x) / want - 1.0).abs() < 1e-4, "{row}");
    }
}

/// The donations set (tests/fixtures/clv/donations.csv, 11,104 donors over 6 periods): lifetimes
/// 0.11.3 refuses BG/NBD and MBG/NBD without a penalty and gives Pareto/NBD an infinite
/// log-likelihood. Here every model answers with defaults, at least as likely as any point of a
/// coarse grid, and BG/NBD's answer is its a, b → 0 finding (a share of donors drop out at the
/// first chance, the rest never).
#[test]
fn donations_fit_every_model_with_defaults() {
    let text = std::fs::read_to_string("tests/fixtures/clv/donations.csv").unwrap();
    let mut triples = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<u32> = line.split(',').map(|v| v.parse().unwrap()).collect();
        triples.extend(std::iter::repeat_n((f[0], f[1], f[2]), f[3] as usize));
    }
    // One period is one "day" of the unit: the parameters are per period.
    let data = CountData::from_days(triples, TimeUnit::Days).unwrap();
    assert_eq!(data.customers(), 11_104);
    for kind in retention::clv::ModelKind::ALL {
        let fit = kind.fit(&data, &FitOptions::default()).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        let ll = fit.diagnostics.log_likelihood;
        assert!(ll.is_finite(), "{kind:?}");
        let mut grid = f64::NEG_INFINITY;
        for r in [0.3, 1.0, 3.0] {
            for alpha in [0.3, 1.0, 3.0, 10.0] {
                for a in [0.01, 0.1, 1.0, 10.0] {
                    for b in [0.1, 1.0, 10.0] {
                        let v = fit.model.with_parameters(&[r, alpha, a, b]);
                        let total: f64 = data
                            .cells()
                            .iter()
                            .map(|c| c.count as f64 * v.log_likelihood(c.x as f64, c.t_x as f64, c.age as f64))
                            .sum();
                        grid = grid.max(total);
                    }
                }
            }
        }
        assert!(ll >= grid, "{kind:?}: {ll} below the grid's {grid}");
        if kind == retention::clv::ModelKind::BgNbd {
            let boundary = fit.diagnostics.boundary.as_ref().expect("a finding");
            assert_eq!(boundary.parameters, "a,b -> 0");
        }
    }
}

/// CDNOW at several calibration splits (the sample's 2,357 customers, as of the end of February,
/// April and September 1997 and of March 1998; weeks and days): every count model fits with
/// defaults, at least as likely as a coarse grid, on the boundary or
/// inside it. Early splits are where other tools stall: few repeat purchases, many customers seen
/// for a few weeks only.
#[test]
fn cdnow_fits_every_model_at_several_calibration_splits() {
    let (_dir, store) = crate::common::temp_store();
    let options = retention::IngestOptions::default().preset(retention::Preset::Cdnow);
    store.ingest_files(&[crate::common::fixture("cdnow/CDNOW_sample.txt")], &options).unwrap();
    for as_of in ["1997-02-28", "1997-04-30", "1997-09-30", "1998-03-31"] {
        let summaries = store.summaries(Some(as_of.parse().unwrap())).unwrap();
        for unit in [TimeUnit::Weeks, TimeUnit::Days] {
            let data = CountData::from_summaries(&summaries, unit);
            for kind in ModelKind::ALL {
                let fit = kind
                    .fit(&data, &FitOptions::default())
                    .unwrap_or_else(|e| panic!("{as_of} {unit:?} {kind:?}: {e}"));
                let d = &fit.diagnostics;
                let grid = crate::common::grid_best(kind, &data);
                assert!(
                    d.log_likelihood >= grid - 1e-9 * grid.abs(),
                    "{as_of} {unit:?} {kind:?}: {} below the grid's {grid}",
                    d.log_likelihood
                );
            }
        }
    }
}
