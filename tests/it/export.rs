//! Backup and restore: `Store::export` then an ingest into a new store gives the same store, and the
//! shop's own files still upsert into the restored one (order keys survive).

use retention::generate::{Shop, ShopConfig};
use retention::store::{EXPORT_HEADER, EXPORT_PREAMBLE};
use retention::{Currency, IngestOptions, Store, StoreOptions};

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
    let csv = format!(
        "{EXPORT_PREAMBLE}currency=USD:2 time_zone=UTC\n{EXPORT_HEADER}\na,+00000000000001f,2024-01-01,1.00,\n"
    );
    let text = ingest_str(&store, &csv).unwrap_err().to_string();
    assert!(text.contains(":3:") && text.contains("order_key") && text.contains("16 lower-case hex digits"), "{text}");
    assert_eq!(store.stats().unwrap().orders, 0);
}

/// In a shop's own file a column called order_key holds order ids: they are hashed like any id,
/// never taken as raw keys (only an export's first line switches that on).
#[test]
fn order_key_in_a_shop_file_is_an_order_id() {
    let (_dir, store) = temp_store();
    ingest_str(&store, "customer_id,order_key,date,amount\na,00000000000186a0,2024-01-01,1.00\n").unwrap();
    let r = ingest_str(&store, "customer_id,order_id,date,amount\na,00000000000186a0,2024-01-01,1.00\n").unwrap();
    assert_eq!((r.orders_new, r.orders_unchanged), (0, 1), "the same id under either column name is one order");
}

/// The export records the store's currency and time zone; a restore into a store with other
/// settings is refused with the flags to use, and into a matching store it is exact.
#[test]
fn currency_and_time_zone_travel_with_the_export() {
    let dir = tempfile::tempdir().unwrap();
    let options =
        StoreOptions::default().currency(Currency::new("JPY", 0).unwrap()).time_zone("Europe/Berlin".to_string());
    let store = Store::open_with(dir.path().join("jpy"), &options).unwrap();
    ingest_str(&store, "customer_id,order_id,timestamp,amount\na,1,2024-01-01T23:30:00Z,1234\n").unwrap();
    let mut backup = Vec::new();
    store.export(&mut backup).unwrap();
    assert!(backup.starts_with(b"# retention export: currency=JPY:0 time_zone=Europe/Berlin\n"));

    let usd = Store::open(dir.path().join("usd")).unwrap();
    let text = usd.ingest(backup.as_slice(), &IngestOptions::default()).unwrap_err().to_string();
    assert!(text.contains("currency JPY:0 and time zone Europe/Berlin (StoreOptions::currency"), "{text}");
    assert_eq!(usd.stats().unwrap().orders, 0);

    let copy = Store::open_with(dir.path().join("copy"), &options).unwrap();
    copy.ingest(backup.as_slice(), &IngestOptions::default()).unwrap();
    assert_eq!(copy.stats().unwrap(), store.stats().unwrap());
    // 23:30 UTC is already the next day in Berlin, in both stores.
    assert_eq!(copy.customer("a").unwrap().unwrap().orders[0].day, retention::Day::from_ymd(2024, 1, 2).unwrap());
}
