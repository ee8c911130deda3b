//! Retention metrics over a generated shop of 1,000,000 customers (the target: each metric
//! ≤ 0.5 s): the period metrics and the cohort matrix are one parallel pass over every record each
//! (the cohorts also read the store totals for their date range); the lifecycle lists are timed
//! alongside, and the category affinity, per-customer shares and cross-sell list (one pass each), and the full HTML report (target ≤ 3 s).

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use retention::actions::{CrossSellOptions, Programme, VipBy, WinBackOptions};
use retention::clv::{FitOptions, ModelKind, TimeUnit};
use retention::metrics::{CohortPeriod, MetricsOptions};
use retention::report::ReportOptions;
use std::time::Duration;

const CUSTOMERS: u64 = 1_000_000;

fn metrics(c: &mut Criterion) {
    let (csv, _) = common::shop_csv(CUSTOMERS);
    let (_dir, store) = common::loaded_store(&csv, retention::store::DEFAULT_BLOCK_SIZE);
    drop(csv);
    let as_of = store.stats().expect("stats").last_day;
    let options = MetricsOptions::default().as_of(as_of.expect("orders"));
    let mut group = c.benchmark_group("metrics");
    group.sample_size(10).measurement_time(Duration::from_secs(10)).throughput(Throughput::Elements(CUSTOMERS));
    group.bench_function("period", |b| b.iter(|| store.period_metrics(&options, None).expect("metrics")));
    group.bench_function("cohorts_month", |b| b.iter(|| store.cohorts(CohortPeriod::Month, as_of).expect("cohorts")));
    let win_back = WinBackOptions::default();
    group.bench_function("win_back", |b| b.iter(|| store.win_backs(as_of, &win_back, None).expect("win-back")));
    group.bench_function("vip_spend_1pct", |b| b.iter(|| store.vips(as_of, 0.01, VipBy::Spend, None).expect("vip")));
    let programme = Programme::parse(
        "points_per_unit = 1\nexpiry_days = 365\ntier_basis = \"trailing_12_months\"\n[[reward]]\npoints = 250\nvalue = \"5.00\"\n\
         [[tier]]\nname = \"Silver\"\nmin_spend = \"500\"\n[[tier]]\nname = \"Premier\"\nmin_spend = \"2500\"\n",
        "bench.toml",
        &store.currency(),
    )
    .expect("programme");
    group.bench_function("loyalty", |b| b.iter(|| store.loyalty(&programme, as_of).expect("loyalty")));
    group.bench_function("cohorts_week", |b| b.iter(|| store.cohorts(CohortPeriod::Week, as_of).expect("cohorts")));
    group.bench_function("affinity", |b| b.iter(|| store.category_affinity(as_of, 1, None).expect("affinity")));
    group.bench_function("category_shares", |b| b.iter(|| store.category_shares(as_of, None).expect("shares")));
    let affinity = store.category_affinity(as_of, 1, None).expect("affinity");
    let cross_sell = CrossSellOptions::default();
    // The full report, with a stored CLV model and a programme so every section is drawn.
    let model = store.fit_clv(as_of, ModelKind::BgNbd, TimeUnit::Weeks, &FitOptions::default()).expect("fit");
    store.save_clv(&model).expect("save");
    let report = ReportOptions::default().as_of(as_of.expect("orders")).programme(programme.clone());
    group.bench_function("report_html", |b| b.iter(|| store.report(&report).expect("report").to_html()));
    group.bench_function("cross_sell", |b| {
        b.iter(|| store.cross_sell(&affinity, &cross_sell, None).expect("cross-sell"))
    });
    group.finish();
}

criterion_group!(benches, metrics);
criterion_main!(benches);
