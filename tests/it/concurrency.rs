//! Concurrent use: readers (lookups, scans, RFM scoring, store totals) running while ingests commit
//! see one committed state each (every record whole, never customers from two ingests, totals that
//! some commit had), and a second process opening a store in use gets a clear error.

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use retention::Day;
use retention::rfm::RfmOptions;

use crate::common::{ingest_str, temp_store};

/// More than one commit round (64 blocks of 128 customers), so readers run while blocks are written.
const CUSTOMERS: u32 = 20_000;
const BATCHES: u32 = 8;

/// New customers each batch brings (ids, id-map entries and `next_id` change under the readers).
const NEW_PER_BATCH: u32 = 1_000;

/// Every customer c… starts with one 10.00 order on 2024-01-01; batch k adds one 1.00 order on
/// 2024-01-(k+1). So a whole record with n orders has spend 10.00 + (n − 1) × 1.00 and its last
/// purchase on 2024-01-n: a torn one would break one of them.
fn whole(orders: u32, spend: i64, last_day_of_month: u32) -> bool {
    (1..=BATCHES + 1).contains(&orders) && spend == 1_000 + (orders as i64 - 1) * 100 && last_day_of_month == orders
}

fn batch(k: u32) -> String {
    let mut csv = String::from("customer_id,order_id,timestamp,amount\n");
    for c in 0..CUSTOMERS {
        let (order, amount) = if k == 0 { (format!("0-{c}"), "10.00") } else { (format!("{k}-{c}"), "1.00") };
        csv.push_str(&format!("c{c},{order},2024-01-{:02},{amount}\n", k + 1));
    }
    // Batch k ≥ 1 also brings customers n{k}-0.., one 5.00 order each.
    for c in 0..if k == 0 { 0 } else { NEW_PER_BATCH } {
        csv.push_str(&format!("n{k}-{c},1,2024-01-{:02},5.00\n", k + 1));
    }
    csv
}

fn day_of_month(day: Day) -> u32 {
    day.days() as u32 - Day::from_ymd(2024, 1, 1).unwrap().days() as u32 + 1
}

#[test]
fn readers_see_whole_records_while_an_ingest_writes() {
    let (_dir, store) = temp_store();
    ingest_str(&store, &batch(0)).unwrap();
    let done = AtomicBool::new(false);
    let reads = AtomicU64::new(0);
    // Scans that met customers at two different batches (an ingest half seen): must stay 0.
    let mixed = AtomicU64::new(0);
    let totals_read = AtomicU64::new(0);
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            for k in 1..=BATCHES {
                ingest_str(&store, &batch(k)).unwrap();
            }
            done.store(true, Ordering::Release);
        });
        // Point lookups by external id.
        for t in 0..2u32 {
            let (store, done, reads) = (store.clone(), &done, &reads);
            s.spawn(move || {
                let mut i = t;
                while !done.load(Ordering::Acquire) {
                    i = (i * 7 + 13) % CUSTOMERS;
                    let p = store.customer(&format!("c{i}")).unwrap().expect("customer exists");
                    let sum: i64 = p.orders.iter().map(|o| o.amount).sum();
                    let days: Vec<u32> = p.orders.iter().map(|o| day_of_month(o.day)).collect();
                    assert_eq!(days, (1..=p.orders.len() as u32).collect::<Vec<_>>(), "c{i}: batches 0..n, in order");
                    assert!(whole(p.orders.len() as u32, sum, days.len() as u32), "c{i}: {days:?} summing to {sum}");
                    let s = p.summary.expect("has a purchase");
                    assert_eq!((s.orders as usize, s.spend), (p.orders.len(), sum), "summary and orders of c{i} agree");
                    // A customer of some batch: absent until its batch commits, then whole.
                    let k = 1 + i % BATCHES;
                    if let Some(n) = store.customer(&format!("n{k}-{}", i % NEW_PER_BATCH)).unwrap() {
                        assert_eq!(n.orders.len(), 1);
                        assert_eq!((n.orders[0].amount, day_of_month(n.orders[0].day)), (500, k + 1));
                    }
                    reads.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        // Store totals in a loop: always exactly the totals after some batch.
        let (store3, done3, totals_read) = (store.clone(), &done, &totals_read);
        s.spawn(move || {
            let mut last = 0;
            while !done3.load(Ordering::Acquire) {
                let stats = store3.stats().unwrap();
                let k = (stats.customers - CUSTOMERS as u64) / NEW_PER_BATCH as u64;
                let (c, n) = (CUSTOMERS as u64, NEW_PER_BATCH as u64);
                let committed = (c + k * n, c + k * (c + n), (c * 1_000 + k * (c * 100 + n * 500)) as i64);
                assert_eq!((stats.customers, stats.orders, stats.gross), committed, "totals no commit had");
                assert!(k >= last, "batch {k} after batch {last}");
                last = k;
                totals_read.fetch_add(1, Ordering::Relaxed);
            }
        });
        // Full scans and RFM scoring.
        let (store2, done2, reads2, mixed) = (store.clone(), &done, &reads, &mixed);
        s.spawn(move || {
            let mut last_total = 0;
            while !done2.load(Ordering::Acquire) {
                let summaries = store2.summaries(None).unwrap();
                let n = summaries.customers.len() as u32;
                assert!((CUSTOMERS..=CUSTOMERS + BATCHES * NEW_PER_BATCH).contains(&n), "{n} customers");
                let mut counts = std::collections::BTreeSet::new();
                for c in &summaries.customers {
                    if c.customer.get() < CUSTOMERS {
                        let last = day_of_month(c.last_purchase);
                        assert!(
                            whole(c.orders, c.spend, last),
                            "{:?}: {} orders, spend {}",
                            c.customer,
                            c.orders,
                            c.spend
                        );
                        counts.insert(c.orders);
                    } else {
                        assert_eq!((c.orders, c.spend), (1, 500), "{:?}", c.customer);
                    }
                }
                mixed.fetch_add((counts.len() > 1) as u64, Ordering::Relaxed);
                // Batches commit whole and in order: the store's total never goes back.
                let total: u64 = summaries.customers.iter().map(|c| c.orders as u64).sum();
                assert!(total >= last_total, "orders went from {last_total} to {total}");
                last_total = total;
                let rfm = store2.rfm(None, &RfmOptions::default()).unwrap();
                assert!(rfm.scores.len() as u32 >= CUSTOMERS);
                assert!(rfm.scores.iter().all(|s| s.spend > 0 && s.frequency >= 1));
                reads2.fetch_add(1, Ordering::Relaxed);
            }
        });
        writer.join().unwrap();
    });
    assert!(reads.load(Ordering::Relaxed) > 10, "the readers ran alongside the writer");
    assert!(totals_read.load(Ordering::Relaxed) > 3, "the totals reader ran alongside the writer");
    assert_eq!(mixed.load(Ordering::Relaxed), 0, "scans saw customers of two different commits");
    eprintln!("{} reads, {} totals read", reads.load(Ordering::Relaxed), totals_read.load(Ordering::Relaxed));
    let s = store.summaries(None).unwrap();
    assert_eq!(s.customers.len() as u32, CUSTOMERS + BATCHES * NEW_PER_BATCH);
    let old = s.customers.iter().filter(|c| c.customer.get() < CUSTOMERS);
    assert!(old.clone().count() as u32 == CUSTOMERS);
    assert!(old.into_iter().all(|c| c.orders == BATCHES + 1 && c.spend == 1_000 + BATCHES as i64 * 100));
}

#[test]
fn a_second_process_gets_a_clear_error() {
    let (dir, store) = temp_store();
    ingest_str(&store, &batch(0)).unwrap();
    let db = dir.path().join("store");
    for args in [vec!["stats", "--db"], vec!["ingest", "-", "--db"]] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_retention"));
        let o = command.args(&args).arg(&db).output().unwrap();
        assert_eq!(o.status.code(), Some(4), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("in use by another process") || err.contains("locked"), "{err}");
    }
    // The first handle is unaffected, and once it is closed the store opens elsewhere.
    assert_eq!(store.stats().unwrap().customers, CUSTOMERS as u64);
    drop(store);
    let o = Command::new(env!("CARGO_BIN_EXE_retention")).args(["stats", "--db"]).arg(&db).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
