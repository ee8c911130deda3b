//! The summary scan (`Store::summaries`) over a generated shop, warm (store open, blocks cached)
//! and cold-ish (store reopened each time, so sled's page cache starts empty; the OS cache stays
//! warm), for the block sizes of the layout sweep.

mod common;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use retention::Store;
use std::time::Duration;

const CUSTOMERS: u64 = 100_000;

fn scan(c: &mut Criterion) {
    let (csv, _) = common::shop_csv(CUSTOMERS);
    let mut group = c.benchmark_group("summaries");
    group.sample_size(20).measurement_time(Duration::from_secs(8)).throughput(Throughput::Elements(CUSTOMERS));
    for block_size in [32u32, 64, 128, 256] {
        let (dir, store) = common::loaded_store(&csv, block_size);
        group.bench_function(BenchmarkId::new("warm", block_size), |b| {
            b.iter(|| {
                let s = store.summaries(None).expect("scan");
                assert_eq!(s.customers.len() as u64, CUSTOMERS);
            })
        });
        let path = store.path().to_path_buf();
        drop(store);
        group.bench_function(BenchmarkId::new("reopen", block_size), |b| {
            b.iter(|| {
                let store = Store::open(&path).expect("reopen");
                let s = store.summaries(None).expect("scan");
                assert_eq!(s.customers.len() as u64, CUSTOMERS);
            })
        });
        drop(dir);
    }
    group.finish();
}

criterion_group!(benches, scan);
criterion_main!(benches);
