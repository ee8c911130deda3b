//! Parquet in and out: orders as Spark, DuckDB and pyarrow write them build the same store as the
//! same rows in CSV; bad rows name the file, row group, row and column and change nothing; exports
//! and lists round-trip with their types.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, Decimal128Array, Int64Array, LargeStringArray, RecordBatch, StringArray, StringViewArray,
    TimestampMicrosecondArray,
};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use retention::{IngestOptions, Store, StoreOptions};

use crate::common::{fixture, generated_store, ingest_str, temp_store};

fn write(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    crate::common::write_parquet(path, columns);
}

fn export(store: &Store) -> String {
    let mut out = Vec::new();
    store.export(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn store_in(dir: &Path, name: &str, zone: &str) -> Store {
    let options = StoreOptions::default().time_zone(zone.to_string());
    Store::open_with(dir.join(name), &options).unwrap()
}

fn decimals(values: &[Option<i128>], precision: u8, scale: i8) -> ArrayRef {
    Arc::new(Decimal128Array::from(values.to_vec()).with_precision_and_scale(precision, scale).unwrap())
}

/// DuckDB- and pyarrow-style types: LargeUtf8 ids, numeric order ids, UTC timestamps, a wide
/// DECIMAL stored as fixed-length bytes, Utf8View categories with a null.
#[test]
fn parquet_orders_build_the_same_store_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.parquet");
    let us = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_microsecond();
    write(
        &path,
        vec![
            ("customer_id", Arc::new(LargeStringArray::from(vec!["ann", "ann", " bob ", "ann"])) as ArrayRef),
            ("order_id", Arc::new(Int64Array::from(vec![Some(7), Some(7), Some(8), None]))),
            (
                "created_at",
                Arc::new(
                    TimestampMicrosecondArray::from(vec![
                        us("2024-01-05T10:00:00Z"),
                        us("2024-01-05T10:00:00Z"),
                        us("2024-02-29T23:30:00Z"),
                        us("2024-03-01T08:00:00Z"),
                    ])
                    .with_timezone("UTC"),
                ),
            ),
            ("amount", decimals(&[Some(2000), Some(550), Some(-1200), Some(999)], 32, 2)),
            ("category", Arc::new(StringViewArray::from(vec![Some("books"), Some("music"), None, Some("toys")]))),
        ],
    );
    let csv = "customer_id,order_id,created_at,amount,category\n\
               ann,7,2024-01-05T10:00:00Z,20.00,books\n\
               ann,7,2024-01-05T10:00:00Z,5.50,music\n\
               bob,8,2024-02-29T23:30:00Z,-12.00,\n\
               ann,,2024-03-01T08:00:00Z,9.99,toys\n";
    // In a zone east of UTC, bob's return falls on March 1st: timestamps are instants.
    for zone in ["UTC", "+05:30"] {
        let from_csv = store_in(dir.path(), &format!("csv{zone}"), zone);
        from_csv.ingest(csv.as_bytes(), &IngestOptions::default()).unwrap();
        let from_parquet = store_in(dir.path(), &format!("parquet{zone}"), zone);
        let report = from_parquet.ingest_files(&[&path], &IngestOptions::default()).unwrap();
        assert_eq!((report.rows_read, report.orders_new, report.customers_new), (4, 3, 2));
        assert_eq!(export(&from_parquet), export(&from_csv), "zone {zone}");
    }
}

/// What Spark writes by default: INT96 timestamps, DECIMAL(32,2) as fixed-length bytes, part
/// files in Hive `country=..` folders with `_SUCCESS` and `.crc` files beside them.
#[test]
fn spark_part_files_with_int96_build_the_same_store_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    for zone in ["UTC", "Asia/Kolkata"] {
        let from_csv = store_in(dir.path(), &format!("csv{zone}").replace('/', "_"), zone);
        from_csv.ingest_files(&[fixture("spark_orders/expected.csv")], &IngestOptions::default()).unwrap();
        let from_spark = store_in(dir.path(), &format!("spark{zone}").replace('/', "_"), zone);
        let report = from_spark.ingest_files(&[fixture("spark_orders/orders")], &IngestOptions::default()).unwrap();
        assert_eq!((report.rows_read, report.customers_new), (8, 4));
        assert_eq!(export(&from_spark), export(&from_csv), "zone {zone}");
        assert_eq!(from_spark.stats().unwrap(), from_csv.stats().unwrap());
    }
    // Read as nanoseconds, 2500-01-01 would wrap to a day in 1915; read as microseconds it is refused.
    let (_d, store) = temp_store();
    let e = store.ingest_files(&[fixture("spark_orders/bad")], &IngestOptions::default()).unwrap_err().to_string();
    assert!(e.contains("row group 0, row 1") && e.contains("timestamp") && e.contains("outside the years"), "{e}");
}

/// A column that lives only in the folder names (`date=2024-01-03/`).
#[test]
fn hive_folders_supply_columns() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("orders");
    for (day, customers) in [("2024-01-03", vec!["a", "b"]), ("2024-01-04", vec!["a"])] {
        let folder = root.join(format!("date={day}"));
        std::fs::create_dir_all(&folder).unwrap();
        let n = customers.len();
        write(
            &folder.join("part-0.parquet"),
            vec![
                ("customer_id", Arc::new(StringArray::from(customers)) as ArrayRef),
                ("amount", decimals(&vec![Some(1000); n], 10, 2)),
            ],
        );
    }
    std::fs::write(root.join("_SUCCESS"), b"").unwrap();
    let (_d, store) = temp_store();
    store.ingest_files(&[&root], &IngestOptions::default()).unwrap();
    let (_e, expected) = temp_store();
    ingest_str(&expected, "customer_id,date,amount\na,2024-01-03,10\nb,2024-01-03,10\na,2024-01-04,10\n").unwrap();
    assert_eq!(export(&store), export(&expected));
}

/// Every bad row names file, row group, row and column, and the store is left as it was.
#[test]
fn bad_parquet_rows_are_named_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_d, store) = temp_store();
    ingest_str(&store, "customer_id,date,amount\nz,2024-01-01,1\n").unwrap();
    let before = export(&store);
    let good_ids = || Arc::new(StringArray::from(vec!["a", "b", "c"])) as ArrayRef;
    let days = || Arc::new(StringArray::from(vec!["2024-01-01", "2024-01-02", "2024-01-03"])) as ArrayRef;
    let money = || decimals(&[Some(100), Some(200), Some(300)], 10, 2);
    type Case<'a> = (&'a str, Vec<(&'a str, ArrayRef)>, &'a [&'a str]);
    let cases: Vec<Case> = vec![
        (
            "null_customer",
            vec![
                ("customer_id", Arc::new(StringArray::from(vec![Some("a"), None, Some("c")]))),
                ("date", days()),
                ("amount", money()),
            ],
            &["row group 0, row 2", "column 1 (customer_id)", "empty or null"],
        ),
        (
            "null_amount",
            vec![("customer_id", good_ids()), ("date", days()), ("amount", decimals(&[Some(1), Some(2), None], 10, 2))],
            &["row 3", "column 3 (amount)", "null"],
        ),
        (
            "three_decimals",
            vec![
                ("customer_id", good_ids()),
                ("date", days()),
                ("amount", decimals(&[Some(1_000), Some(12_345), Some(3_000)], 10, 3)),
            ],
            &["row 2", "amount", "3 decimals", "12.345"],
        ),
        (
            "bad_date_text",
            vec![
                ("customer_id", good_ids()),
                ("date", Arc::new(StringArray::from(vec!["2024-01-01", "2024-02-30", "2024-01-03"]))),
                ("amount", money()),
            ],
            &["row 2", "column 2 (date)", "not a calendar date"],
        ),
        (
            "float_cents",
            vec![
                ("customer_id", good_ids()),
                ("date", days()),
                ("amount", Arc::new(arrow_array::Float64Array::from(vec![1.5, 0.1 + 0.2, 3.0]))),
            ],
            &["row 2", "amount", "0.30000000000000004"],
        ),
        (
            "boolean_amount",
            vec![
                ("customer_id", good_ids()),
                ("date", days()),
                ("amount", Arc::new(arrow_array::BooleanArray::from(vec![true, false, true]))),
            ],
            &["column 3 (amount)", "Boolean cannot be read"],
        ),
        ("no_amount", vec![("customer_id", good_ids()), ("date", days())], &["no amount column"]),
    ];
    for (name, columns, wanted) in cases {
        let path = dir.path().join(format!("{name}.parquet"));
        write(&path, columns);
        let e = store.ingest_files(&[&path], &IngestOptions::default()).unwrap_err().to_string();
        assert!(e.contains(&format!("{name}.parquet")), "{name}: {e}");
        for w in wanted {
            assert!(e.contains(w), "{name}: {e} (wanted {w:?})");
        }
        assert_eq!(export(&store), before, "{name} changed the store");
    }
    // With --skip-invalid the good rows go in and the bad one is reported.
    let path = dir.path().join("null_customer.parquet");
    let options = IngestOptions::default().skip_invalid(true);
    let report = store.ingest_files(&[&path], &options).unwrap();
    assert_eq!((report.rows_read, report.rows_rejected, report.customers_new), (3, 1, 2));
}

/// Orders in → export as Parquet → a new store: the same store, order keys included (a later
/// re-ingest of the shop's file changes nothing).
#[test]
fn a_parquet_export_restores_an_identical_store() {
    let (dir, store) = generated_store(3_000, 11);
    let path = dir.path().join("backup.parquet");
    let report = store.export_parquet(&path).unwrap();
    assert!(report.rows > 3_000);
    let restored = Store::open(dir.path().join("restored")).unwrap();
    let ingested = restored.ingest_files(&[&path], &IngestOptions::default()).unwrap();
    assert_eq!(ingested.rows_read, report.rows);
    assert_eq!(export(&restored), export(&store));
    assert_eq!(restored.stats().unwrap(), store.stats().unwrap());
    // A store in another currency refuses it.
    let euros = StoreOptions::default().currency(retention::Currency::new("EUR", 2).unwrap());
    let other = Store::open_with(dir.path().join("euros"), &euros).unwrap();
    let e = other.ingest_files(&[&path], &IngestOptions::default()).unwrap_err().to_string();
    assert!(e.contains("USD:2") && e.contains("EUR:2"), "{e}");
}

fn retention(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_retention")).args(args).output().expect("run retention")
}

fn read_back(path: &Path) -> (Vec<RecordBatch>, Option<String>) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap()).unwrap();
    let kv = builder.metadata().file_metadata().key_value_metadata().cloned().unwrap_or_default();
    let currency = kv.iter().find(|kv| kv.key == "retention.currency").and_then(|kv| kv.value.clone());
    (builder.with_batch_size(1 << 20).build().unwrap().map(|b| b.unwrap()).collect(), currency)
}

/// Lists written as Parquet read back with their types and the same values as the CSV.
#[test]
fn lists_written_as_parquet_read_back_typed() {
    let (dir, store) = generated_store(2_000, 5);
    drop(store); // the commands below open it
    let db = dir.path().join("store");
    let db = db.to_str().unwrap();
    let rfm = dir.path().join("rfm.parquet");
    let out = retention(&["rfm", "--db", db, "--format", "parquet", "--out", rfm.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = retention(&["rfm", "--db", db, "--format", "csv"]);
    let text = String::from_utf8(csv.stdout).unwrap();
    let (batches, currency) = read_back(&rfm);
    assert_eq!(currency.as_deref(), Some("USD:2"));
    let batch = arrow_select_concat(&batches);
    assert_eq!(batch.num_rows(), text.lines().count() - 1);
    assert_eq!(batch.schema().field(3).data_type(), &DataType::Decimal128(18, 2));
    let monetary = batch.column(3).as_any().downcast_ref::<Decimal128Array>().unwrap();
    let customers = batch.column(0).as_any().downcast_ref::<StringArray>().unwrap();
    for (i, line) in text.lines().skip(1).enumerate() {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(customers.value(i), fields[0]);
        assert_eq!(monetary.value_as_string(i), fields[3]);
    }

    retention(&["clv", "fit", "--db", db]);
    let scores = dir.path().join("scores.parquet");
    let out = retention(&["clv", "score", "--db", db, "--format", "parquet", "--out", scores.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json = retention(&["clv", "score", "--db", db, "--format", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    let batch = arrow_select_concat(&read_back(&scores).0);
    assert_eq!(batch.num_rows(), rows.len());
    let p_alive =
        batch.column_by_name("p_alive").unwrap().as_any().downcast_ref::<arrow_array::Float64Array>().unwrap();
    for (i, row) in rows.iter().enumerate() {
        // Parquet keeps the f64 itself; serde_json's default parse may differ in the last bit.
        let (a, b) = (p_alive.value(i), row["p_alive"].as_f64().unwrap());
        assert!((a - b).abs() <= 1e-15 * a.abs(), "{a} vs {b}");
    }
    // Without --out a Parquet list is refused, and a report cannot be Parquet.
    let out = retention(&["rfm", "--db", db, "--format", "parquet"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --out"));
    let out = retention(&["stats", "--db", db, "--format", "parquet"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("writes lists"));
}

/// The batches of a small file as one batch (tests only read files of one row group).
fn arrow_select_concat(batches: &[RecordBatch]) -> RecordBatch {
    assert_eq!(batches.len(), 1, "one batch expected");
    batches[0].clone()
}
