//! How each cost grows with the shop: the main steps at 10,000, 100,000 and 1,000,000 customers
//! (criterion ids `step/customers`, throughput in customers), so the report shows whether a step
//! stays linear or bends. The per-step benches (`ingest`, `scan`, `rfm`, `clv`, `lookup`) go deeper
//! at one size each.
//!
//! `GROWTH_SIZES=10000,100000 cargo bench --bench growth` limits the sizes (the 1M ingest is the
//! slow part: about a minute for its ten samples).

mod common;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use retention::clv::{BgNbd, CountData, FitOptions, GammaGamma, SpendData, TimeUnit, Valuation, ValueOptions};
use retention::generate::Shop;
use retention::rfm::{RfmOptions, SegmentReport, Segments};
use std::hint::black_box;
use std::time::Duration;

fn sizes() -> Vec<u64> {
    std::env::var("GROWTH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .filter(|v: &Vec<u64>| !v.is_empty())
        .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000])
}

fn growth(c: &mut Criterion) {
    let mut group = c.benchmark_group("growth");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    for n in sizes() {
        group.throughput(Throughput::Elements(n));
        let (csv, _) = common::shop_csv(n);
        group.bench_function(BenchmarkId::new("ingest", n), |b| {
            b.iter_with_large_drop(|| common::loaded_store(&csv, retention::store::DEFAULT_BLOCK_SIZE))
        });
        let (_dir, store) = common::loaded_store(&csv, retention::store::DEFAULT_BLOCK_SIZE);
        drop(csv);
        group.bench_function(BenchmarkId::new("summaries", n), |b| b.iter(|| store.summaries(None).expect("scan")));
        let segments = Segments::default();
        group.bench_function(BenchmarkId::new("rfm_segments", n), |b| {
            b.iter(|| {
                let rfm = store.rfm(None, &RfmOptions::default()).expect("rfm");
                SegmentReport::new(&rfm, &segments)
            })
        });
        let summaries = store.summaries(None).expect("scan");
        let data = CountData::from_summaries(&summaries, TimeUnit::Weeks);
        let spend = SpendData::from_summaries(&summaries, &store.currency());
        let options = FitOptions::default();
        group
            .bench_function(BenchmarkId::new("fit_bgnbd", n), |b| b.iter(|| BgNbd::fit(&data, &options).expect("fit")));
        group.bench_function(BenchmarkId::new("fit_gamma_gamma", n), |b| {
            b.iter(|| GammaGamma::fit(&spend, &options).expect("fit"))
        });
        let bg = BgNbd::fit(&data, &options).expect("BG/NBD fit");
        let gg = GammaGamma::fit(&spend, &options).expect("Gamma-Gamma fit").fitted.model;
        let valuation = Valuation::new(&bg, Some(gg), ValueOptions::default()).expect("valuation");
        group.bench_function(BenchmarkId::new("score_clv", n), |b| {
            b.iter(|| valuation.score(&summaries, &store.currency()))
        });
        // A point lookup does not grow with the shop; its throughput is one customer per call.
        group.throughput(Throughput::Elements(1));
        let mut k = 0u64;
        group.bench_function(BenchmarkId::new("lookup", n), |b| {
            b.iter(|| {
                k = (k + 7_919) % n;
                store.customer(black_box(&Shop::customer_id(k))).expect("lookup")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, growth);
criterion_main!(benches);
