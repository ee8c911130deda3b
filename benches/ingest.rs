//! Ingest throughput on a generated shop: a first load into an empty store (parse, group, write,
//! durable flush) and a re-ingest of the same file, which must find every order unchanged.

mod common;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use retention::IngestOptions;
use std::time::Duration;

const CUSTOMERS: u64 = 20_000;

fn ingest(c: &mut Criterion) {
    let (csv, rows) = common::shop_csv(CUSTOMERS);
    let mut group = c.benchmark_group("ingest");
    group.sample_size(10).measurement_time(Duration::from_secs(10)).throughput(Throughput::Elements(rows));
    // The block-size sweep behind the default (see ARCHITECTURE.md).
    for block_size in [32u32, 64, 128, 256] {
        group.bench_function(BenchmarkId::new("first_load", block_size), |b| {
            b.iter_batched(
                || common::fresh_store(block_size),
                |(dir, store)| {
                    let report = store.ingest(&csv[..], &IngestOptions::default()).expect("ingest");
                    assert_eq!(report.rows_read, rows);
                    (dir, store)
                },
                BatchSize::PerIteration,
            )
        });
    }
    let (_dir, store) = common::loaded_store(&csv, 128);
    group.bench_function("reingest_unchanged", |b| {
        b.iter(|| {
            let report = store.ingest(&csv[..], &IngestOptions::default()).expect("ingest");
            assert_eq!(report.orders_new + report.orders_updated, 0);
        })
    });
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
