//! Record codec: encode, full decode and the scan's streaming summary of one customer record; and
//! the synthetic-shop generator's CSV output.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use retention::generate::{Shop, ShopConfig};
use retention::internals::{decode_record, encode_record, summarize_record};
use std::hint::black_box;

/// A customer with `n` orders a few weeks apart, amounts in the tens of dollars, keyed like a real
/// shop: increasing order numbers (delta-encoded), and every tenth order a return with a hashed key.
fn orders(n: usize) -> Vec<(i32, i64, u64)> {
    (0..n as u64)
        .map(|i| {
            let day = 19_500 + (i as i32) * 23 + (i as i32 % 3);
            let amount = 1_999 + ((i * 7_919) % 6_000) as i64;
            let key =
                if i % 10 == 9 { (1 << 63) | i.wrapping_mul(0x9E37_79B9_7F4A_7C15) } else { 100_000 + i * 41_017 };
            (day, amount, key)
        })
        .collect()
}

fn codec(c: &mut Criterion) {
    let mut group = c.benchmark_group("record");
    // 1 order is the one-time buyer (a third of a typical shop), 10 the average, 100 a loyal customer.
    for n in [1usize, 10, 100] {
        let orders = orders(n);
        let bytes = encode_record(b"C0001234", &orders, Some(3));
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("encode", n), &orders, |b, orders| {
            b.iter(|| encode_record(black_box(b"C0001234"), black_box(orders), Some(3)))
        });
        group.bench_with_input(BenchmarkId::new("decode", n), &bytes, |b, bytes| {
            b.iter(|| decode_record(black_box(bytes)))
        });
        group.bench_with_input(BenchmarkId::new("summarize", n), &bytes, |b, bytes| {
            b.iter(|| summarize_record(black_box(bytes), 30_000))
        });
    }
    group.finish();
}

/// The generator feeds every other bench and the demo; its speed bounds how fast they can run.
fn generate(c: &mut Criterion) {
    let shop = Shop::new(ShopConfig::new(100_000, 42)).expect("default shop config is valid");
    let rows = shop.write_csv(std::io::sink()).expect("writing to a sink cannot fail");
    let mut group = c.benchmark_group("generate");
    group.sample_size(10).throughput(Throughput::Elements(rows));
    group.bench_function("write_csv_100k_customers", |b| b.iter(|| shop.write_csv(std::io::sink())));
    group.finish();
}

criterion_group!(benches, codec, generate);
criterion_main!(benches);
