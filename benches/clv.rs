//! CLV on a generated shop of 1,000,000 customers (the targets: BG/NBD fit ≤ 1 s,
//! Gamma-Gamma fit ≤ 0.5 s, scoring every customer ≤ 0.3 s), plus one likelihood pass with its
//! gradient, the unit the fit repeats; scoring with delta-method intervals (issue 10: ≤ 3× scoring
//! without) and with per-month values and purchase counts. The covariance's share of each fit
//! (issue 10: ≤ 0.2 s at 1M) is printed from the fit's diagnostics. The store scan that feeds them
//! is benchmarked in `scan`.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use retention::clv::{
    BgNbd, CountData, FitOptions, GammaGamma, IntervalOptions, Periods, SpendData, TimeUnit, Valuation, ValueOptions,
};
use std::time::Duration;

const CUSTOMERS: u64 = 1_000_000;

fn clv(c: &mut Criterion) {
    let (csv, _) = common::shop_csv(CUSTOMERS);
    let (_dir, store) = common::loaded_store(&csv, retention::store::DEFAULT_BLOCK_SIZE);
    drop(csv);
    let summaries = store.summaries(None).expect("scan");
    let data = CountData::from_summaries(&summaries, TimeUnit::Weeks);
    let spend = SpendData::from_summaries(&summaries, &store.currency());
    let options = FitOptions::default();
    let bg = BgNbd::fit(&data, &options).expect("BG/NBD fit");
    let gg = GammaGamma::fit(&spend, &options).expect("Gamma-Gamma fit").fitted.model;
    let gg_fit = GammaGamma::fit(&spend, &options).expect("Gamma-Gamma fit").fitted;
    let valuation = Valuation::new(&bg, Some(gg), ValueOptions::default()).expect("valuation");
    let with_intervals = ValueOptions::default().interval(IntervalOptions::delta(0.9));
    let delta = Valuation::new(&bg, Some(gg), with_intervals)
        .expect("valuation")
        .with_spend_covariance(gg_fit.diagnostics.covariance.clone());
    let breakdowns = ValueOptions::default().periods(Periods::Month).max_count(5);
    let detailed = Valuation::new(&bg, Some(gg), breakdowns).expect("valuation");
    eprintln!(
        "covariance of the BG/NBD fit: {:.4} s of {:.4} s; Gamma-Gamma: {:.4} s of {:.4} s",
        bg.diagnostics.covariance_seconds,
        bg.diagnostics.seconds,
        gg_fit.diagnostics.covariance_seconds,
        gg_fit.diagnostics.seconds
    );

    let mut group = c.benchmark_group("clv");
    group.sample_size(10).measurement_time(Duration::from_secs(20)).throughput(Throughput::Elements(CUSTOMERS));
    group.bench_function("group_cells", |b| b.iter(|| CountData::from_summaries(&summaries, TimeUnit::Weeks)));
    group.bench_function("bgnbd_log_likelihood", |b| b.iter(|| bg.model.total_log_likelihood(&data)));
    group.bench_function("gamma_gamma_log_likelihood", |b| b.iter(|| gg.total_log_likelihood(&spend)));
    group.bench_function("fit_bgnbd", |b| b.iter(|| BgNbd::fit(&data, &options).expect("fit")));
    group.bench_function("fit_gamma_gamma", |b| b.iter(|| GammaGamma::fit(&spend, &options).expect("fit")));
    group.bench_function("score", |b| b.iter(|| valuation.score(&summaries, &store.currency())));
    group.bench_function("score_delta_intervals", |b| b.iter(|| delta.score_all(&summaries, &store.currency())));
    group.bench_function("score_periods_and_counts", |b| b.iter(|| detailed.score_all(&summaries, &store.currency())));
    group.finish();
}

criterion_group!(benches, clv);
criterion_main!(benches);
