//! Shared set-up of the benches: generated shops as CSV bytes and stores built from them.

#![allow(dead_code)] // each bench target uses part of this module

use retention::generate::{Shop, ShopConfig};
use retention::{IngestOptions, Store, StoreOptions};

/// The CSV of a default generated shop with `customers` customers (seed 7), and its row count.
pub fn shop_csv(customers: u64) -> (Vec<u8>, u64) {
    let shop = Shop::new(ShopConfig::new(customers, 7)).expect("default shop config is valid");
    let mut csv = Vec::new();
    let rows = shop.write_csv(&mut csv).expect("writing to a Vec cannot fail");
    (csv, rows)
}

/// A fresh store in its own temporary directory, with this block size.
pub fn fresh_store(block_size: u32) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = StoreOptions::default().block_size(block_size);
    let store = Store::open_with(dir.path().join("store"), &options).expect("open store");
    (dir, store)
}

/// A store holding `csv`, with this block size.
pub fn loaded_store(csv: &[u8], block_size: u32) -> (tempfile::TempDir, Store) {
    let (dir, store) = fresh_store(block_size);
    store.ingest(csv, &IngestOptions::default()).expect("ingest generated shop");
    (dir, store)
}
