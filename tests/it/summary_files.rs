//! Summary files: a store's summaries written as Parquet read back identically, fit identically,
//! and every malformed file refused with the file, row group, column and row named.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, Int32Array, Int64Array, LargeStringArray, StringArray};
use retention::clv::{ClvModel, ModelKind, PurchaseModel, TimeUnit};
use retention::{Day, summary_file};

use crate::common::generated_store;

#[test]
fn a_store_round_trips_through_a_summary_file_and_fits_the_same() {
    let (dir, store) = generated_store(2_000, 5);
    let as_of = Day::from_ymd(2024, 6, 30);
    let path = dir.path().join("summaries.parquet");
    assert_eq!(store.write_summaries(as_of, &path).unwrap(), store.summaries(as_of).unwrap().customers.len() as u64);
    let file = summary_file::read(&path, None).unwrap();
    let direct = store.summaries(as_of).unwrap();
    assert_eq!(file.summaries.as_of, direct.as_of);
    assert_eq!(file.summaries.customers, direct.customers);
    let names = store.external_ids().unwrap();
    for (s, id) in direct.customers.iter().zip(&file.ids) {
        assert_eq!(&names[s.customer.get() as usize], id);
    }
    assert_eq!(file.currency, store.currency());
    let euro: retention::Currency = "EUR:2".parse().unwrap();
    let e = summary_file::read(&path, Some(&euro)).unwrap_err().to_string();
    assert!(e.contains("USD:2 differs from EUR:2"), "{e}");
    // The same fit, bit for bit.
    let options = Default::default();
    let from_file =
        ClvModel::fit(&file.summaries, &file.currency, ModelKind::BgNbd, TimeUnit::Weeks, &options).unwrap();
    let from_store = store.fit_clv(as_of, ModelKind::BgNbd, TimeUnit::Weeks, &options).unwrap();
    assert_eq!(from_file.purchases.model.parameters(), from_store.purchases.model.parameters());
    assert_eq!(from_file.gamma_gamma(), from_store.gamma_gamma());
    // Streamed from a directory of parts in another customer order: still bit for bit.
    let parts = dir.path().join("parts");
    std::fs::create_dir(&parts).unwrap();
    let half = direct.customers.len() / 2;
    for (i, range) in [half..direct.customers.len(), 0..half].into_iter().enumerate() {
        let mut piece = direct.clone();
        piece.customers = direct.customers[range].to_vec();
        summary_file::write(&parts.join(format!("part-{i}.parquet")), &piece, &names, &store.currency()).unwrap();
    }
    let input = summary_file::fit_input(&parts, TimeUnit::Weeks, None).unwrap();
    assert_eq!(input.counts.customers(), direct.customers.len() as u64);
    let streamed = ClvModel::fit_data(&input.counts, &input.spend, input.as_of, ModelKind::BgNbd, &options).unwrap();
    assert_eq!(streamed.purchases.model.parameters(), from_store.purchases.model.parameters());
    assert_eq!(streamed.gamma_gamma(), from_store.gamma_gamma());
    assert_eq!(streamed.data, from_store.data);
    // RFM over the parts, in two passes with merged value counts: every customer's cell as the store's.
    let options = retention::rfm::RfmOptions::default();
    let (rfm, rfm_ids, _) = summary_file::rfm(&parts, None, &options, [None, None, None]).unwrap();
    let whole = retention::rfm::Rfm::compute(&direct, &options).unwrap();
    assert_eq!(rfm.cuts, whole.cuts);
    let by_id: std::collections::HashMap<&str, String> =
        rfm_ids.iter().map(String::as_str).zip(rfm.scores.iter().map(|s| s.cell())).collect();
    assert_eq!(by_id.len(), whole.scores.len());
    for s in &whole.scores {
        assert_eq!(by_id[names[s.customer.get() as usize].as_str()], s.cell());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644);
    }
}

/// Named columns of a test file.
type Columns = Vec<(&'static str, ArrayRef)>;

/// One valid row per column, as Spark would write it (32-bit integers, large strings).
fn columns(rows: usize) -> Columns {
    let days = |d: i32| Arc::new(Date32Array::from(vec![d; rows])) as ArrayRef;
    let ints = |v: i32| Arc::new(Int32Array::from(vec![v; rows])) as ArrayRef;
    vec![
        ("customer_id", Arc::new(LargeStringArray::from_iter_values((0..rows).map(|i| format!("c{i}"))))),
        ("first_purchase", days(19_000)),
        ("last_purchase", days(19_100)),
        ("purchase_days", ints(3)),
        ("orders", ints(4)),
        ("revenue", ints(9_000)),
        ("repeat_revenue", ints(6_000)),
        ("returns", ints(0)),
        ("returned", ints(0)),
        ("as_of", days(19_200)),
    ]
}

fn write(path: &Path, columns: Columns) {
    crate::common::write_parquet(path, columns);
}

fn error_of(path: &Path) -> String {
    summary_file::read(path, None).unwrap_err().to_string()
}

#[test]
fn foreign_files_are_read_and_bad_ones_named() {
    let dir = tempfile::tempdir().unwrap();
    // A Spark-like file: no retention metadata, Int32 counts, LargeUtf8 ids; read with the defaults.
    let good = dir.path().join("good.parquet");
    write(&good, columns(3));
    let file = summary_file::read(&good, None).unwrap();
    assert_eq!(file.ids, ["c0", "c1", "c2"]);
    assert_eq!(file.currency, retention::Currency::default());
    // Spark cannot write the currency key: the caller names it.
    let yen: retention::Currency = "JPY:0".parse().unwrap();
    assert_eq!(summary_file::read(&good, Some(&yen)).unwrap().currency, yen);
    let s = file.summaries.customers[1];
    assert_eq!((s.x(), s.t_x(), s.age(file.summaries.as_of), s.repeat_spend()), (2, 100, 200, 6_000));

    let case = |name: &str, change: &dyn Fn(&mut Columns), want: &[&str]| {
        let path = dir.path().join(format!("{name}.parquet"));
        let mut c = columns(3);
        change(&mut c);
        write(&path, c);
        let e = error_of(&path);
        assert!(e.contains(&format!("{name}.parquet")), "{name}: {e}");
        let streamed = summary_file::fit_input(&path, retention::clv::TimeUnit::Weeks, None).unwrap_err().to_string();
        assert_eq!(streamed, e, "{name}: the streaming reader of a fit reports the same");
        let options = retention::rfm::RfmOptions::default();
        let scored = summary_file::rfm(&path, None, &options, [None, None, None]).unwrap_err().to_string();
        assert_eq!(scored, e, "{name}: RFM's two passes report the same");
        for w in want {
            assert!(e.contains(w), "{name}: {e} (wanted {w:?})");
        }
    };
    case("missing", &|c| c.retain(|(n, _)| *n != "orders"), &["no column \"orders\""]);
    case("wrong_type", &|c| c[3].1 = Arc::new(StringArray::from(vec!["3"; 3])), &["purchase_days", "integer"]);
    case(
        "null_id",
        &|c| c[0].1 = Arc::new(StringArray::from(vec![Some("a"), None, Some("c")])),
        &["row group 0", "customer_id", "row 2", "null"],
    );
    case("after_as_of", &|c| c[2].1 = Arc::new(Date32Array::from(vec![19_100, 19_100, 19_300])), &["row 3", "t_x > T"]);
    case("negative", &|c| c[4].1 = Arc::new(Int64Array::from(vec![4, -1, 4])), &["orders", "row 2", "not a count"]);
    case(
        "too_many_days",
        &|c| {
            c[3].1 = Arc::new(Int64Array::from(vec![3, 102, 3]));
            c[4].1 = Arc::new(Int64Array::from(vec![4, 200, 4]));
        },
        &["row 2", "purchase_days", "do not fit"],
    );
    case("twice", &|c| c[0].1 = Arc::new(StringArray::from(vec!["a", "b", "a"])), &["row 3", "\"a\" appears twice"]);

    // A Spark output directory: part files, _SUCCESS and .crc beside them; a customer in two parts.
    let parts = dir.path().join("out");
    std::fs::create_dir(&parts).unwrap();
    write(&parts.join("part-00000.parquet"), columns(2));
    write(&parts.join("part-00001.parquet"), columns(3));
    std::fs::write(parts.join("_SUCCESS"), b"").unwrap();
    std::fs::write(parts.join(".part-00000.parquet.crc"), b"crc").unwrap();
    let e = error_of(&parts);
    assert!(e.contains("part-00001.parquet") && e.contains("\"c0\" appears twice"), "{e}");
    // The streaming reader of a fit finds it too, and names the same row.
    let streamed =
        retention::summary_file::fit_input(&parts, retention::clv::TimeUnit::Weeks, None).unwrap_err().to_string();
    assert_eq!(streamed, e);
    std::fs::remove_file(parts.join("part-00001.parquet")).unwrap();
    assert_eq!(summary_file::read(&parts, None).unwrap().ids, ["c0", "c1"]);
    // Two parts of different days (two runs of a job in one folder): refused by all three readers.
    let mut later = columns(3);
    later.retain(|(n, _)| *n != "customer_id" && *n != "as_of");
    later.insert(0, ("customer_id", Arc::new(StringArray::from(vec!["d0", "d1", "d2"])) as ArrayRef));
    later.push(("as_of", Arc::new(Date32Array::from(vec![19_201; 3])) as ArrayRef));
    write(&parts.join("part-00002.parquet"), later);
    let options = retention::rfm::RfmOptions::default();
    let errors = [
        error_of(&parts),
        summary_file::fit_input(&parts, retention::clv::TimeUnit::Weeks, None).unwrap_err().to_string(),
        summary_file::rfm(&parts, None, &options, [None, None, None]).unwrap_err().to_string(),
    ];
    for e in errors {
        assert!(e.contains("part-00002.parquet: row group 0") && e.contains("one as-of day"), "{e}");
    }
}

/// Row groups are read on several threads, each with a file handle of its own (clones of one
/// handle share the read position and once mixed up their pages); the counts of a fit match the
/// summaries written, cell for cell.
#[test]
fn many_row_groups_read_in_parallel() {
    use retention::clv::{BgNbd, CountData, simulate};
    use retention::{CustomerId, Summaries, Summary};
    let truth = BgNbd { r: 0.25, alpha: 30.0, a: 0.8, b: 2.4 };
    let triples = simulate::bgnbd(&truth, 150_000, (1, 700), 3).unwrap();
    let as_of = Day::from_ymd(2025, 1, 31).unwrap();
    let customers: Vec<Summary> = triples
        .iter()
        .enumerate()
        .map(|(i, &(x, t_x, age))| {
            let first = as_of.add_days(-(age as i32));
            Summary {
                customer: CustomerId::new(i as u32),
                first_purchase: first,
                last_purchase: first.add_days(t_x as i32),
                orders: x + 1,
                purchase_days: x + 1,
                spend: 1_000 + x as i64 * (1_000 + i as i64 % 7),
                first_day_spend: 1_000,
                returns: 0,
                returned: 0,
            }
        })
        .collect();
    let ids: Vec<String> = (0..customers.len()).map(|i| format!("k{i}")).collect();
    let summaries = Summaries { as_of, customers, data_version: 0, counts_only: false };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.parquet");
    summary_file::write(&path, &summaries, &ids, &retention::Currency::default()).unwrap();
    let file = summary_file::read(&path, None).unwrap();
    assert_eq!(file.summaries.customers, summaries.customers);
    assert_eq!(file.ids, ids);
    let input = summary_file::fit_input(&path, TimeUnit::Weeks, None).unwrap();
    let direct = CountData::from_summaries(&summaries, TimeUnit::Weeks);
    assert_eq!(input.counts.cells(), direct.cells());
}

/// The seam: the command line fits a summary set through `ClvModel::fit` (a `SummarySource`),
/// and scores it through `Rfm::from_source`; both agree with the store's own path, including M
/// left out (0) under `Monetary::None`.
#[test]
fn a_summary_set_is_a_summary_source_like_the_store() {
    use retention::rfm::{Monetary, Rfm, RfmOptions};
    let (dir, store) = generated_store(1_500, 11);
    let path = dir.path().join("summaries.parquet");
    store.write_summaries(None, &path).unwrap();
    let direct = store.summaries(None).unwrap();
    let set = summary_file::SummarySet::open(&path, None).unwrap();
    let options = Default::default();
    let via_seam = ClvModel::fit(&set, set.currency(), ModelKind::BgNbd, TimeUnit::Weeks, &options).unwrap();
    let from_store = store.fit_clv(None, ModelKind::BgNbd, TimeUnit::Weeks, &options).unwrap();
    assert_eq!(via_seam.purchases.model.parameters(), from_store.purchases.model.parameters());
    assert_eq!((via_seam.data, via_seam.as_of), (from_store.data, from_store.as_of));
    let none = RfmOptions::default().monetary(Monetary::None);
    let (from_file, ids) = Rfm::from_source(&set, &none, [None, None, None]).unwrap();
    let whole = Rfm::compute(&direct, &none).unwrap();
    assert_eq!((from_file.scores.len(), ids.len()), (whole.scores.len(), whole.scores.len()));
    assert!(from_file.scores.iter().chain(&whole.scores).all(|s| s.m == 0));
    assert_eq!(from_file.cuts[..2], whole.cuts[..2]);
}
