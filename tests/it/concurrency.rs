//! Concurrent use: readers (lookups, scans, RFM scoring) running while an ingest writes see every
//! customer record whole, and a second process opening a store in use gets a clear error.

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use retention::rfm::RfmOptions;

use crate::common::{ingest_str, temp_store};

/// More than one commit round (64 blocks of 128 customers), so readers meet half-committed ingests.
const CUSTOMERS: u32 = 20_000;
const BATCHES: u32 = 8;

/// Every customer starts with one 10.00 order; batch k adds one 1.00 order to each. So a whole
/// record with n orders has spend 10.00 + (n − 1) × 1.00: a torn one would break the sum.
fn whole(orders: u32, spend: i64) -> bool {
    (1..=BATCHES + 1).contains(&orders) && spend == 1_000 + (orders as i64 - 1) * 100
}

fn batch(k: u32) -> String {
    let mut csv = String::from("customer_id,order_id,timestamp,amount\n");
    for c in 0..CUSTOMERS {
        let (order, amount) = if k == 0 { (format!("0-{c}"), "10.00") } else { (format!("{k}-{c}"), "1.00") };
        csv.push_str(&format!("c{c},{order},2024-01-{:02},{amount}\n", k + 1));
    }
    csv
}

#[test]
fn readers_see_whole_records_while_an_ingest_writes() {
    let (_dir, store) = temp_store();
    ingest_str(&store, &batch(0)).unwrap();
    let done = AtomicBool::new(false);
    let reads = AtomicU64::new(0);
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
                    assert!(whole(p.orders.len() as u32, sum), "c{i}: {} orders summing to {sum}", p.orders.len());
                    let s = p.summary.expect("has a purchase");
                    assert_eq!((s.orders as usize, s.spend), (p.orders.len(), sum), "summary and orders of c{i} agree");
                    reads.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        // Full scans and RFM scoring.
        let (store2, done2, reads2) = (store.clone(), &done, &reads);
        s.spawn(move || {
            let mut last_total = 0;
            while !done2.load(Ordering::Acquire) {
                let summaries = store2.summaries(None).unwrap();
                assert_eq!(summaries.customers.len() as u32, CUSTOMERS);
                for c in &summaries.customers {
                    assert!(whole(c.orders, c.spend), "{:?}: {} orders, spend {}", c.customer, c.orders, c.spend);
                }
                // Batches commit whole or in id order: the store's total never goes back.
                let total: u64 = summaries.customers.iter().map(|c| c.orders as u64).sum();
                assert!(total >= last_total, "orders went from {last_total} to {total}");
                last_total = total;
                let rfm = store2.rfm(None, &RfmOptions::default()).unwrap();
                assert_eq!(rfm.scores.len() as u32, CUSTOMERS);
                reads2.fetch_add(1, Ordering::Relaxed);
            }
        });
        writer.join().unwrap();
    });
    assert!(reads.load(Ordering::Relaxed) > 10, "the readers ran alongside the writer");
    let s = store.summaries(None).unwrap();
    assert!(s.customers.iter().all(|c| c.orders == BATCHES + 1 && c.spend == 1_000 + BATCHES as i64 * 100));
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
