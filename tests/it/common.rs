//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use retention::clv::{BgNbd, CountData, MbgNbd, ModelKind, ParetoNbd};
use retention::generate::{Shop, ShopConfig};
use retention::{Day, IngestOptions, Preset, Store, Summaries};

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

/// Summaries keyed by external id, so stores that assigned internal ids differently compare equal.
pub fn by_name(store: &Store, as_of: Option<Day>) -> std::collections::BTreeMap<String, retention::Summary> {
    let names = store.external_ids().unwrap();
    store
        .summaries(as_of)
        .unwrap()
        .customers
        .into_iter()
        .map(|mut s| {
            let name = names[s.customer.get() as usize].clone();
            s.customer = retention::CustomerId::default();
            (name, s)
        })
        .collect()
}

/// Ingests CSV text with the default (generic) options.
pub fn ingest_str(store: &Store, csv: &str) -> retention::Result<retention::IngestReport> {
    store.ingest(csv.as_bytes(), &IngestOptions::default())
}

/// A store of a generated shop (2023-01-01 to 2025-12-31) of `customers` customers.
pub fn generated_store(customers: u64, seed: u64) -> (tempfile::TempDir, Store) {
    let (dir, store) = temp_store();
    let mut csv = Vec::new();
    Shop::new(ShopConfig::new(customers, seed)).expect("config").write_csv(&mut csv).expect("generate");
    store.ingest(csv.as_slice(), &IngestOptions::default()).expect("ingest");
    (dir, store)
}

/// The CDNOW sample in a store, with its summaries at the papers' calibration end (1997-09-30).
pub fn cdnow_calibration() -> (tempfile::TempDir, Store, Summaries) {
    let (dir, store) = temp_store();
    let options = IngestOptions::default().preset(Preset::Cdnow);
    store.ingest_files(&[fixture("cdnow/CDNOW_sample.txt")], &options).expect("ingest CDNOW");
    let summaries = store.summaries(Day::from_ymd(1997, 9, 30)).expect("summaries");
    (dir, store, summaries)
}

/// Writes `columns` (name, values) as one Parquet file of one row group, every column nullable,
/// without any retention metadata: a file as another engine writes it.
pub fn write_parquet(path: &Path, columns: Vec<(&str, arrow_array::ArrayRef)>) {
    use std::sync::Arc;
    let schema = Arc::new(arrow_schema::Schema::new(
        columns.iter().map(|(n, a)| arrow_schema::Field::new(*n, a.data_type().clone(), true)).collect::<Vec<_>>(),
    ));
    let batch = arrow_array::RecordBatch::try_new(schema.clone(), columns.into_iter().map(|c| c.1).collect())
        .expect("columns of equal length");
    let file = std::fs::File::create(path).expect("create");
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema, None).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");
}

/// The best total log-likelihood over a coarse grid: shapes 0.1, 1, 10 (dropout shapes also 0.01
/// and 100), rates scaled to the data's purchase rate and age.
pub fn grid_best(kind: ModelKind, data: &CountData) -> f64 {
    let days = data.max_age().max(1) as f64 / data.unit().days();
    let (x_sum, t_sum): (f64, f64) = data.cells().iter().fold((0.0, 0.0), |(x, t), c| {
        (x + c.x as f64 * c.count as f64, t + c.age as f64 / data.unit().days() * c.count as f64)
    });
    let rate = (x_sum.max(1.0) / t_sum.max(1e-9)).max(1e-6);
    let mut best = f64::NEG_INFINITY;
    for r in [0.1, 1.0, 10.0] {
        for alpha_scale in [0.1, 1.0, 10.0] {
            let alpha = r / rate * alpha_scale;
            for a in [0.01, 0.1, 1.0, 10.0, 100.0] {
                for b in [0.1, 1.0, 10.0] {
                    let ll = match kind {
                        ModelKind::BgNbd => BgNbd { r, alpha, a, b }.total_log_likelihood(data),
                        ModelKind::MbgNbd => MbgNbd { r, alpha, a, b }.total_log_likelihood(data),
                        _ => ParetoNbd { r, alpha, s: a, beta: b * days }.total_log_likelihood(data),
                    };
                    if ll.is_finite() {
                        best = best.max(ll);
                    }
                }
            }
        }
    }
    best
}
