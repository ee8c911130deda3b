//! Fits on a real shop's history without options: the UCI Online Retail per-customer summary
//! (tests/fixtures/uci_online_retail, made from the engine's own ingest) against the values the
//! Python package lifetimes 0.11.3 reaches on the same summary (scripts/reference_uci.py).
//! Pins issue 19's refusal: BG/NBD and MBG/NBD used to refuse this data ("not identified").

use retention::clv::{BgNbd, CountData, FitOptions, MbgNbd, PurchaseModel, TimeUnit};

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
