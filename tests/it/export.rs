//! Backup and restore: `Store::export` then an ingest into a new store gives the same store, and the
//! shop's own files still upsert into the restored one (order keys survive).

use retention::generate::{Shop, ShopConfig};
use retention::{IngestOptions, Store};

use crate::common::{ingest_str, temp_store};

/// Orders without ids (content keys), multi-line orders with a line without a category, returns,
/// and customer ids that need quoting.
const ODD: &str = "customer_id,order_id,timestamp,amount,category
\"a,b\",,2024-01-01,5.00,books
\"a,b\",,2024-01-01,5.00,books
\"q\"\"x\",7,2024-01-02,3.00,music
\"q\"\"x\",7,2024-01-02,2.00,
\"q\"\"x\",R-1,2024-01-03,-3.00,music
plain,#1001,2024-01-04,9.99,
";

/// Every customer's profile, each order's lines by category name (their stored order follows the
/// internal category numbering, which a restore may change).
fn profiles(store: &Store) -> Vec<retention::CustomerProfile> {
    let mut all: Vec<_> =
        store.external_ids().unwrap().iter().map(|id| store.customer(id).unwrap().expect("customer")).collect();
    for p in &mut all {
        for o in &mut p.orders {
            o.lines.sort_by(|a, b| a.category.cmp(&b.category));
        }
    }
    all
}

#[test]
fn export_and_reingest_gives_the_same_store() {
    let (_dir, store) = temp_store();
    let mut shop = Vec::new();
    Shop::new(ShopConfig::new(3_000, 5)).unwrap().write_csv(&mut shop).unwrap();
    store.ingest(shop.as_slice(), &IngestOptions::default()).unwrap();
    ingest_str(&store, ODD).unwrap();

    let mut backup = Vec::new();
    let report = store.export(&mut backup).unwrap();
    let stats = store.stats().unwrap();
    assert_eq!((report.customers, report.orders), (stats.customers, stats.orders + stats.returns));

    let (_dir2, copy) = temp_store();
    copy.ingest(backup.as_slice(), &IngestOptions::default()).unwrap();
    assert_eq!(copy.stats().unwrap(), stats);
    let (restored, original) = (profiles(&copy), profiles(&store));
    assert_eq!(restored.len(), original.len());
    for (r, o) in restored.iter().zip(&original) {
        assert!(r == o, "customer {:?} differs after the restore", o.external_id);
    }
    let mut again = Vec::new();
    copy.export(&mut again).unwrap();
    assert_eq!(again, backup, "the restored store exports the same bytes");

    // The shop's own files upsert into the restored store: nothing new, nothing twice.
    let r = copy.ingest(shop.as_slice(), &IngestOptions::default()).unwrap();
    assert_eq!((r.orders_new, r.orders_updated), (0, 0));
    let r = ingest_str(&copy, ODD).unwrap();
    assert_eq!((r.orders_new, r.orders_updated), (0, 0));
    assert_eq!(copy.stats().unwrap(), stats);
}

#[test]
fn a_bad_order_key_is_named() {
    let (_dir, store) = temp_store();
    let e = ingest_str(&store, "customer_id,order_key,date,amount\na,12345,2024-01-01,1.00\n").unwrap_err();
    let text = e.to_string();
    assert!(text.contains(":2:") && text.contains("order_key") && text.contains("16 hex digits"), "{text}");
}
