//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use retention::{IngestOptions, Store};

/// Path of a file under `tests/fixtures`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

/// A fresh store in a temporary directory (kept alive by the returned guard).
pub fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path().join("store")).expect("open store");
    (dir, store)
}

/// Ingests CSV text with the default (generic) options.
pub fn ingest_str(store: &Store, csv: &str) -> retention::Result<retention::IngestReport> {
    store.ingest(csv.as_bytes(), &IngestOptions::default())
}
