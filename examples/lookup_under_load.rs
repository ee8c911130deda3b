//! Latency of the call a service makes per request — a customer's profile and stored scores by
//! external id — while another thread ingests new orders into the same store, as a shop's nightly
//! import would. Prints p50, p90, p99, p99.9 and max (hdrhistogram) with the store idle and with the
//! ingest running, and the ingest throughput sustained meanwhile.
//!
//! ```text
//! retention generate --customers 1000000 | retention ingest - --db big
//! cargo run --release --example lookup_under_load -- big [--readers 1] [--seconds 10] [--batch 100000]
//! ```
//!
//! The writer ingests generated shops of `--batch` customers, one after the other, whose ids are the
//! store's own (C0000000, ...) and whose orders start the day after the store's last: every batch
//! reads, merges and rewrites existing customers' records, the heaviest kind of ingest.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use retention::generate::{Shop, ShopConfig};
use retention::rfm::{RfmOptions, Segments};
use retention::{Day, IngestOptions, Store};

struct Options {
    path: String,
    readers: usize,
    seconds: u64,
    batch: u64,
}

fn parse() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: lookup_under_load STORE_DIR [--readers N] [--seconds S] [--batch CUSTOMERS]";
    let mut o = Options { path: args.next().ok_or(usage)?, readers: 1, seconds: 10, batch: 100_000 };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(usage)?;
        let number = |v: &str| v.parse::<u64>().map_err(|_| format!("{flag}: expected a whole number, got {v:?}"));
        match flag.as_str() {
            "--readers" => o.readers = number(&value)?.max(1) as usize,
            "--seconds" => o.seconds = number(&value)?.max(1),
            "--batch" => o.batch = number(&value)?.max(1),
            _ => return Err(usage.into()),
        }
    }
    Ok(o)
}

/// SplitMix64: a cheap, seedable stream of ids for each reader.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Runs `readers` threads doing lookups for `seconds`; returns the merged latency histogram (ns).
fn read_for(store: &Store, names: &[String], readers: usize, seconds: u64) -> Result<Histogram<u64>, String> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let results: Vec<Result<Histogram<u64>, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..readers)
            .map(|r| {
                s.spawn(move || {
                    let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).map_err(|e| e.to_string())?;
                    let mut state = 0x5EED + r as u64;
                    while Instant::now() < deadline {
                        let name = &names[(next(&mut state) % names.len() as u64) as usize];
                        let start = Instant::now();
                        let profile = store.customer(name).map_err(|e| e.to_string())?.ok_or("customer vanished")?;
                        let score = store.saved_score(profile.id).map_err(|e| e.to_string())?;
                        let ns = start.elapsed().as_nanos() as u64;
                        std::hint::black_box((profile, score));
                        h.record(ns.max(1)).map_err(|e| e.to_string())?;
                    }
                    Ok(h)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("reader panicked".into()))).collect()
    });
    let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).map_err(|e| e.to_string())?;
    for h in results {
        all.add(h?).map_err(|e| e.to_string())?;
    }
    Ok(all)
}

fn row(phase: &str, h: &Histogram<u64>, seconds: u64, ingest: &str) {
    let us = |q: f64| h.value_at_quantile(q) as f64 / 1_000.0;
    println!(
        "{phase:<16} {:>10} {:>10.0} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>10.1}  {ingest}",
        h.len(),
        h.len() as f64 / seconds as f64,
        us(0.50),
        us(0.90),
        us(0.99),
        us(0.999),
        h.max() as f64 / 1_000.0
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let o = parse()?;
    let store = Store::open_existing(&o.path)?;
    let stats = store.stats()?;
    let last = stats.last_day.ok_or("the store is empty")?;
    let names = store.external_ids()?;
    if store.saved_scores()?.is_none() {
        let rfm = store.rfm(None, &RfmOptions::default())?;
        store.save_scores(&rfm, &Segments::default())?;
    }
    println!(
        "{} customers, {} orders; {} reader thread(s), {} s per phase, ingest batches of {} customers; latencies in µs\n",
        stats.customers, stats.orders, o.readers, o.seconds, o.batch
    );
    println!(
        "{:<16} {:>10} {:>10} {:>8} {:>8} {:>8} {:>8} {:>10}  ingest",
        "phase", "lookups", "per s", "p50", "p90", "p99", "p99.9", "max"
    );
    let idle = read_for(&store, &names, o.readers, o.seconds)?;
    row("idle", &idle, o.seconds, "");

    let stop = AtomicBool::new(false);
    let rows = AtomicU64::new(0);
    // Time inside `ingest` only: generating the next batch happens in the writer thread between.
    let ingesting = AtomicU64::new(0);
    let (busy, writer) = std::thread::scope(|s| {
        let writer = s.spawn(|| -> Result<u64, String> {
            let mut round = 0;
            // Each batch starts where the last ended, so every ingest adds new orders.
            let mut start = Day::from_days(last.days() + 1);
            while !stop.load(Ordering::Relaxed) {
                let config = ShopConfig::new(o.batch.min(stats.customers), 1_000 + round).start(start).days(30);
                let mut csv = Vec::new();
                Shop::new(config).map_err(|e| e.to_string())?.write_csv(&mut csv).map_err(|e| e.to_string())?;
                let report = store.ingest(csv.as_slice(), &IngestOptions::default()).map_err(|e| e.to_string())?;
                rows.fetch_add(report.rows_read, Ordering::Relaxed);
                ingesting.fetch_add(report.elapsed.as_nanos() as u64, Ordering::Relaxed);
                start = Day::from_days(start.days() + 30);
                round += 1;
            }
            Ok(round)
        });
        // Let the writer get going before measuring.
        std::thread::sleep(Duration::from_millis(500));
        let busy = read_for(&store, &names, o.readers, o.seconds);
        stop.store(true, Ordering::Relaxed);
        (busy, writer.join())
    });
    let batches = writer.map_err(|_| "writer panicked")??;
    let rate = rows.load(Ordering::Relaxed) as f64 / (ingesting.load(Ordering::Relaxed) as f64 / 1e9);
    row("with ingest", &busy?, o.seconds, &format!("{rate:.0} rows/s over {batches} batch(es), durable commits"));
    Ok(())
}
