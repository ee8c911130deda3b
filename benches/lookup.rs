//! Point lookups, the call a service makes per request: `Store::customer(external_id)` (id index,
//! one block read, full record decode). Criterion gives the mean; an hdrhistogram pass over
//! 100,000 random lookups gives the latency percentiles a service's SLO is written against.

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use hdrhistogram::Histogram;
use retention::generate::Shop;
use retention::rfm::{RfmOptions, Segments};
use std::hint::black_box;
use std::time::Instant;

const CUSTOMERS: u64 = 100_000;

/// A fixed pseudo-random sequence of customer ids (SplitMix64), so every run asks the same.
fn ids(n: usize) -> Vec<String> {
    let mut state = 0x5EED_u64;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            Shop::customer_id((z ^ (z >> 31)) % CUSTOMERS)
        })
        .collect()
}

fn lookup(c: &mut Criterion) {
    let (csv, _) = common::shop_csv(CUSTOMERS);
    let (_dir, store) = common::loaded_store(&csv, retention::store::DEFAULT_BLOCK_SIZE);
    let ids = ids(100_000);

    let mut latency = Histogram::<u64>::new_with_bounds(1, 10_000_000_000, 3).expect("valid histogram bounds");
    for id in &ids {
        let start = Instant::now();
        let profile = store.customer(id).expect("lookup");
        latency.record(start.elapsed().as_nanos() as u64).expect("latency within bounds");
        assert!(profile.is_some(), "{id} missing");
    }
    eprintln!(
        "customer lookup latency over {} calls (ns): p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
        latency.len(),
        latency.value_at_quantile(0.50),
        latency.value_at_quantile(0.90),
        latency.value_at_quantile(0.99),
        latency.value_at_quantile(0.999),
        latency.max()
    );

    let mut next = ids.iter().cycle();
    c.bench_function("customer_lookup", |b| {
        b.iter(|| store.customer(black_box(next.next().expect("cycle is endless"))).expect("lookup"))
    });

    // A service asking for a customer's saved segment by internal id: one header and one block read.
    let rfm = store.rfm(None, &RfmOptions::default()).expect("rfm");
    store.save_scores(&rfm, &Segments::default()).expect("save");
    let customers: Vec<_> = rfm.scores.iter().map(|s| s.customer).collect();
    let mut latency = Histogram::<u64>::new_with_bounds(1, 10_000_000_000, 3).expect("valid histogram bounds");
    for (i, _) in ids.iter().enumerate() {
        let id = customers[(i * 7_919) % customers.len()];
        let start = Instant::now();
        let saved = store.saved_score(id).expect("saved score");
        latency.record(start.elapsed().as_nanos() as u64).expect("latency within bounds");
        assert!(saved.is_some_and(|s| !s.saved.stale));
    }
    eprintln!(
        "saved segment latency over {} calls (ns): p50 {}  p99 {}  p99.9 {}  max {}",
        latency.len(),
        latency.value_at_quantile(0.50),
        latency.value_at_quantile(0.99),
        latency.value_at_quantile(0.999),
        latency.max()
    );
    let mut next = customers.iter().cycle();
    c.bench_function("saved_segment", |b| {
        b.iter(|| store.saved_score(*black_box(next.next().expect("cycle is endless"))).expect("saved"))
    });
}

criterion_group!(benches, lookup);
criterion_main!(benches);
