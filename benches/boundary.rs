//! Fits whose likelihood peaks on the boundary of the parameter space (issue 19): the slowest
//! cases found, Pareto/NBD on shops where everyone buys at one rate, nobody churns, everyone
//! drops out at one rate, or both rates are one number (20,000 simulated customers each), and every model on the UCI Online
//! Retail summary (4,339 real customers, the committed fixture). Each fit reports its finding and
//! its likelihood passes on stderr once.

use criterion::{Criterion, criterion_group, criterion_main};
use retention::clv::{CountData, FitOptions, ModelKind, ParetoNbd, TimeUnit, simulate};
use std::time::Duration;

fn uci() -> CountData {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/uci_online_retail/summary.csv");
    let text = std::fs::read_to_string(path).expect("the UCI fixture");
    let triples = text.lines().skip(1).map(|line| {
        let f: Vec<&str> = line.split(',').collect();
        (f[1].parse().expect("x"), f[2].parse().expect("t_x"), f[3].parse().expect("T"))
    });
    CountData::from_days(triples, TimeUnit::Days).expect("valid summary")
}

fn shop(model: ParetoNbd) -> CountData {
    let triples = simulate::pareto_nbd(&model, 20_000, (200, 280), 5).expect("valid parameters");
    CountData::from_days(triples, TimeUnit::Days).expect("valid data")
}

fn boundary(c: &mut Criterion) {
    let cases = [
        (
            "pnbd_one_purchase_rate_20k",
            ModelKind::ParetoNbd,
            shop(ParetoNbd { r: f64::INFINITY, alpha: 20.0, s: 0.7, beta: 100.0 }),
        ),
        ("pnbd_no_churn_20k", ModelKind::ParetoNbd, shop(ParetoNbd { r: 0.8, alpha: 40.0, s: 1e-9, beta: 1e9 })),
        (
            "pnbd_one_dropout_rate_20k",
            ModelKind::ParetoNbd,
            shop(ParetoNbd { r: 0.8, alpha: 40.0, s: f64::INFINITY, beta: 150.0 }),
        ),
        (
            "pnbd_one_rate_each_20k",
            ModelKind::ParetoNbd,
            shop(ParetoNbd { r: f64::INFINITY, alpha: 20.0, s: f64::INFINITY, beta: 150.0 }),
        ),
        ("uci_bgnbd", ModelKind::BgNbd, uci()),
        ("uci_mbgnbd", ModelKind::MbgNbd, uci()),
        ("uci_pnbd", ModelKind::ParetoNbd, uci()),
    ];
    let options = FitOptions::default();
    let mut group = c.benchmark_group("boundary");
    group.sample_size(10).measurement_time(Duration::from_secs(30));
    for (name, kind, data) in &cases {
        let fit = kind.fit(data, &options).expect("a fit");
        eprintln!(
            "{name}: {:.2} s, {} passes, boundary {:?}, log-likelihood {:.4}",
            fit.diagnostics.seconds,
            fit.diagnostics.passes,
            fit.diagnostics.boundary.as_ref().map(|b| &b.parameters),
            fit.diagnostics.log_likelihood
        );
        group.bench_function(*name, |b| b.iter(|| kind.fit(data, &options).expect("a fit")));
    }
    group.finish();
}

criterion_group!(benches, boundary);
criterion_main!(benches);
