//! RFM on a generated shop: scores from summaries (three exact parallel quantile sorts), segment
//! assignment, the segment report, k-means with k = 8, and the whole job from the store (scan
//! included).

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use retention::rfm::{Clusters, Rfm, RfmOptions, SegmentReport, Segments};
use std::time::Duration;

const CUSTOMERS: u64 = 200_000;

fn rfm(c: &mut Criterion) {
    let (csv, _) = common::shop_csv(CUSTOMERS);
    let (_dir, store) = common::loaded_store(&csv, retention::store::DEFAULT_BLOCK_SIZE);
    let summaries = store.summaries(None).expect("scan");
    let options = RfmOptions::default();
    let segments = Segments::default();
    let scored = Rfm::compute(&summaries, &options).expect("scores");

    let mut group = c.benchmark_group("rfm");
    group.sample_size(20).measurement_time(Duration::from_secs(8)).throughput(Throughput::Elements(CUSTOMERS));
    group.bench_function("scores", |b| b.iter(|| Rfm::compute(&summaries, &options).expect("scores")));
    group.bench_function("segments", |b| b.iter(|| segments.assign(&scored)));
    group.bench_function("report", |b| b.iter(|| SegmentReport::new(&scored, &segments)));
    group.bench_function("kmeans_k8", |b| b.iter(|| Clusters::fit(&scored, Some(8), 42).expect("fit")));
    group.bench_function("from_store", |b| {
        b.iter(|| {
            let rfm = store.rfm(None, &options).expect("rfm");
            SegmentReport::new(&rfm, &segments)
        })
    });
    group.finish();
}

criterion_group!(benches, rfm);
criterion_main!(benches);
