//! Parquet and summary files at scale: ingest of the same orders as CSV and as Parquet, a BG/NBD
//! fit streamed from 10 million customers' summary files, and scoring Parquet to Parquet against
//! scoring the same customers from the store. The 10M file is simulated once into
//! `target/bench-data/` (so `retention clv fit --summaries` can be timed on it for peak RSS).

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use retention::clv::{BgNbd, ClvModel, ModelKind, TimeUnit, ValueOptions, simulate};
use retention::lake::{Cell, ColumnType, ListFile};
use retention::{Currency, CustomerId, Day, IngestOptions, Summaries, Summary, summary_file};

const SHOP: u64 = 100_000;
const FIT_CUSTOMERS: usize = 10_000_000;

/// The generated shop's CSV as a Parquet file with the same columns: text ids, the order day as
/// DATE (the generator's timestamps are UTC, so the day is the same), the amount as DECIMAL.
fn shop_parquet(csv: &[u8], path: &Path) {
    let columns = [
        ("customer_id", ColumnType::Text),
        ("order_id", ColumnType::Text),
        ("date", ColumnType::Day),
        ("amount", ColumnType::Money),
        ("category", ColumnType::Text),
    ];
    let currency = Currency::default();
    let mut list = ListFile::create(path, &columns, &currency, &[]).expect("create");
    let mut reader = csv::Reader::from_reader(csv);
    for record in reader.records() {
        let r = record.expect("generated CSV");
        let day = Day::from_ymd(
            r[2][0..4].parse().expect("year"),
            r[2][5..7].parse().expect("month"),
            r[2][8..10].parse().expect("day"),
        )
        .expect("date");
        let amount = currency.parse(&r[3]).expect("amount");
        list.push(&[Cell::Text(&r[0]), Cell::Text(&r[1]), Cell::Day(day), Cell::Money(amount), Cell::Text(&r[4])])
            .expect("push");
    }
    list.finish().expect("finish");
}

fn ingest(c: &mut Criterion) {
    let (csv, rows) = common::shop_csv(SHOP);
    let dir = tempfile::tempdir().expect("temp dir");
    let parquet = dir.path().join("orders.parquet");
    shop_parquet(&csv, &parquet);
    let mut group = c.benchmark_group("lake_ingest");
    group.sample_size(10).measurement_time(Duration::from_secs(20)).throughput(Throughput::Elements(rows));
    group.bench_function("csv", |b| {
        b.iter_batched(
            || common::fresh_store(128),
            |(dir, store)| {
                assert_eq!(store.ingest(&csv[..], &IngestOptions::default()).expect("ingest").rows_read, rows);
                (dir, store)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("parquet", |b| {
        b.iter_batched(
            || common::fresh_store(128),
            |(dir, store)| {
                let report = store.ingest_files(&[&parquet], &IngestOptions::default()).expect("ingest");
                assert_eq!(report.rows_read, rows);
                (dir, store)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// 10M customers simulated from the CDNOW BG/NBD fit (in days), ages over three years, as a
/// summary file; written once and kept between runs.
fn fit_file() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let path = dir.join("summaries-10m.parquet");
    if path.exists() {
        return path;
    }
    std::fs::create_dir_all(&dir).expect("bench-data dir");
    let truth = BgNbd { r: 0.243, alpha: 4.414 * 7.0, a: 0.793, b: 2.426 };
    let triples = simulate::bgnbd(&truth, FIT_CUSTOMERS, (1, 3 * 365), 42).expect("valid parameters");
    let as_of = Day::from_ymd(2025, 12, 31).expect("date");
    let customers: Vec<Summary> = triples
        .iter()
        .enumerate()
        .map(|(i, &(x, t_x, age))| {
            let first = as_of.add_days(-(age as i32));
            // Spend: 20.00 a purchase day and a little more per repeat, so Gamma-Gamma has variety.
            let repeat = x as i64 * (2_000 + (i as i64 % 997));
            Summary {
                customer: CustomerId::new(i as u32),
                first_purchase: first,
                last_purchase: first.add_days(t_x as i32),
                orders: x + 1,
                purchase_days: x + 1,
                spend: 2_000 + repeat,
                first_day_spend: 2_000,
                returns: 0,
                returned: 0,
            }
        })
        .collect();
    let ids: Vec<String> = (0..FIT_CUSTOMERS).map(|i| format!("c{i:08}")).collect();
    let summaries = Summaries { as_of, customers, data_version: 0, counts_only: false };
    summary_file::write(&path, &summaries, &ids, &Currency::default()).expect("write summary file");
    path
}

fn fit(c: &mut Criterion) {
    let path = fit_file();
    let mut group = c.benchmark_group("lake_fit");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(40))
        .throughput(Throughput::Elements(FIT_CUSTOMERS as u64));
    group.bench_function("bgnbd_from_10m_summaries", |b| {
        b.iter(|| {
            let input = summary_file::fit_input(&path, TimeUnit::Weeks, None).expect("read");
            let model =
                ClvModel::fit_data(&input.counts, &input.spend, input.as_of, ModelKind::BgNbd, &Default::default())
                    .expect("fit");
            assert_eq!(model.data.customers, FIT_CUSTOMERS as u64);
            model
        })
    });
    group.finish();
}

const SCORE_COLUMNS: [(&str, ColumnType); 5] = [
    ("customer", ColumnType::Text),
    ("p_alive", ColumnType::Float),
    ("expected_purchases", ColumnType::Float),
    ("expected_order_value", ColumnType::Float),
    ("clv", ColumnType::Float),
];

fn write_scores(path: &Path, scores: &retention::clv::Scores, ids: &[String]) {
    let mut list = ListFile::create(path, &SCORE_COLUMNS, &Currency::default(), &[]).expect("create");
    for v in &scores.values {
        list.push(&[
            Cell::Text(&ids[v.customer.get() as usize]),
            Cell::Float(v.p_alive),
            Cell::Float(v.expected_purchases),
            Cell::Float(v.expected_order_value),
            Cell::Float(v.clv),
        ])
        .expect("push");
    }
    list.finish().expect("finish");
}

fn score(c: &mut Criterion) {
    let (csv, _) = common::shop_csv(SHOP);
    let (dir, store) = common::loaded_store(&csv, 128);
    let model = store.fit_clv(None, ModelKind::BgNbd, TimeUnit::Weeks, &Default::default()).expect("fit");
    let summaries_path = dir.path().join("summaries.parquet");
    let customers = store.write_summaries(Some(model.as_of), &summaries_path).expect("summary file");
    let out = dir.path().join("scores.parquet");
    let options = ValueOptions::default();
    let mut group = c.benchmark_group("lake_score");
    group.sample_size(10).measurement_time(Duration::from_secs(15)).throughput(Throughput::Elements(customers));
    group.bench_function("store_to_parquet", |b| {
        b.iter(|| {
            let scores = store.clv_scores(&model, &options).expect("scores");
            let ids = store.external_ids().expect("ids");
            write_scores(&out, &scores, &ids);
        })
    });
    group.bench_function("parquet_to_parquet", |b| {
        b.iter(|| {
            let file = summary_file::read(&summaries_path, None).expect("read");
            let scores = model.valuation(options).expect("valuation").score_all(&file.summaries, &file.currency);
            write_scores(&out, &scores, &file.ids);
        })
    });
    group.finish();
}

criterion_group!(benches, ingest, fit, score);
criterion_main!(benches);
