//! A service's view of the library: open a store, scan every customer's summary, and answer
//! "who are our best customers and how many come back?" without the CLI.
//!
//! ```text
//! cargo run --release -- demo                                   # writes ./retention-demo
//! cargo run --release --example top_customers -- retention-demo [SCANS]
//! ```
//!
//! It also times the summary scan: the first one after opening (sled's cache empty) and the median
//! of `SCANS` more (default 5), which is how `BENCHMARKS.md` measures the scan.

use std::time::{Duration, Instant};

use retention::{Store, Summaries};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: top_customers STORE_DIR [SCANS]")?;
    let scans: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(5);

    let store = Store::open_existing(&path)?;
    let (summaries, first) = timed(|| store.summaries(None))?;
    let mut warm = Vec::with_capacity(scans);
    for _ in 0..scans {
        warm.push(timed(|| store.summaries(None))?.1);
    }
    warm.sort();

    let n = summaries.customers.len();
    println!("customers with a purchase  {n}");
    println!("first scan after open      {:.3} s", first.as_secs_f64());
    if let Some(median) = warm.get(warm.len() / 2) {
        println!("median of {scans} more scans    {:.3} s", median.as_secs_f64());
    }
    let repeaters = summaries.customers.iter().filter(|s| s.x() > 0).count();
    println!("repeat-purchase rate       {:.1}%", 100.0 * repeaters as f64 / n.max(1) as f64);
    print_top(&store, &summaries, 10)?;
    Ok(())
}

/// The `k` customers with the highest spend net of returns, labelled with their external ids.
fn print_top(store: &Store, summaries: &Summaries, k: usize) -> retention::Result<()> {
    let mut best: Vec<_> = summaries.customers.iter().collect();
    // A partial selection: sorting a million summaries to show ten would waste the scan's speed.
    let k = k.min(best.len());
    if k == 0 {
        return Ok(());
    }
    best.select_nth_unstable_by_key(k - 1, |s| std::cmp::Reverse(s.net_spend()));
    best.truncate(k);
    best.sort_by_key(|s| std::cmp::Reverse(s.net_spend()));

    let names = store.external_ids()?;
    let currency = store.currency();
    println!("\ntop {k} by net spend (as of {})", summaries.as_of);
    for s in best {
        let name = names.get(s.customer.get() as usize).map_or("?", String::as_str);
        let recency = s.recency(summaries.as_of);
        println!(
            "  {name:<12} {:>12}  {:>4} orders  last order {recency} days ago",
            currency.format(s.net_spend()),
            s.orders
        );
    }
    Ok(())
}

fn timed<T>(f: impl FnOnce() -> retention::Result<T>) -> retention::Result<(T, Duration)> {
    let start = Instant::now();
    let value = f()?;
    Ok((value, start.elapsed()))
}
