//! The bad-input matrix: one test per kind of bad input, each with the message a user sees and
//! the check that the store is exactly as before. Inputs with a documented handling instead of an
//! error (a header-only file, timestamps with and without offsets, one order id used by two
//! customers) test that handling.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const HEADER: &str = "customer_id,order_id,timestamp,amount\n";

struct Shop {
    _dir: tempfile::TempDir,
    root: PathBuf,
    db: String,
}

fn retention(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_retention")).args(args).output().expect("run retention")
}

/// Every order, key and category line of the store.
fn export(db: &str) -> Vec<u8> {
    let o = retention(&["export", "--db", db]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

fn stats(db: &str) -> String {
    let o = retention(&["stats", "--db", db, "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// A store holding one good order.
fn shop() -> Shop {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let good = root.join("good.csv");
    std::fs::write(&good, format!("{HEADER}ann,1,2024-01-05,20.00\n")).unwrap();
    let db = root.join("db").to_str().unwrap().to_string();
    assert!(retention(&["ingest", good.to_str().unwrap(), "--db", &db]).status.success());
    Shop { _dir: dir, root, db }
}

impl Shop {
    fn file(&self, name: &str, content: &[u8]) -> String {
        let path = self.root.join(name);
        std::fs::write(&path, content).unwrap();
        path.to_str().unwrap().to_string()
    }

    /// Ingests `content` as `name` (plus `extra` flags), expects exit `code` and every part of
    /// `expect` in the message, and checks the store did not change.
    fn rejects(&self, name: &str, content: &[u8], extra: &[&str], code: i32, expect: &[&str]) {
        let before = export(&self.db);
        let path = self.file(name, content);
        let o = retention(&[&["ingest", path.as_str(), "--db", self.db.as_str()], extra].concat());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{name}: {err}");
        for part in expect {
            assert!(err.contains(part), "{name}: {err:?} lacks {part:?}");
        }
        assert!(export(&self.db) == before, "{name} changed the store");
        let o = retention(&["customer", "fresh", "--db", self.db.as_str()]);
        assert_eq!(o.status.code(), Some(5), "{name}: the valid row before the bad one was written");
    }
}

/// A file with a valid row of a new customer ("fresh"), then the bad row: a failed ingest must
/// not have written the first.
fn row(fields: &str) -> Vec<u8> {
    format!("{HEADER}fresh,1000,2024-02-01,3.00\n{fields}\n").into_bytes()
}

#[test]
fn empty_file() {
    shop().rejects("empty.csv", b"", &[], 3, &["empty.csv", "the input is empty"]);
}

#[test]
fn header_only_is_an_empty_export() {
    let s = shop();
    let before = stats(&s.db);
    let path = s.file("header.csv", HEADER.as_bytes());
    let o = retention(&["ingest", &path, "--db", &s.db, "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((report["rows_read"].as_u64(), report["orders_new"].as_u64()), (Some(0), Some(0)));
    assert_eq!(stats(&s.db), before);
}

#[test]
fn missing_required_column() {
    shop().rejects(
        "no-customer.csv",
        b"order_id,timestamp,amount\n1,2024-01-01,1\n",
        &[],
        3,
        &["no customer id column", "--customer-col", "the header has: order_id, timestamp, amount"],
    );
}

#[test]
fn unknown_preset() {
    shop().rejects("x.csv", &row("zed,9,2024-01-01,1.00"), &["--preset", "excel"], 2, &["--preset", "excel"]);
}

#[test]
fn wrong_delimiter() {
    shop().rejects(
        "semi.csv",
        b"customer_id;timestamp;amount\na;2024-01-01;1\n",
        &[],
        3,
        &["separated by ';'", "--delimiter"],
    );
}

#[test]
fn invalid_utf8() {
    let content = [HEADER.as_bytes(), b"z\xffd,9,2024-01-01,1\n"].concat();
    shop().rejects("utf8.csv", &content, &[], 3, &["utf8.csv:2:", "column 1 (customer_id)", "not valid UTF-8"]);
    let content = [&row("")[..row("").len() - 1], b"z\xffd,9,2024-01-01,1\n"].concat();
    shop().rejects("utf8-later.csv", &content, &[], 3, &["utf8-later.csv:3:", "not valid UTF-8"]);
}

#[test]
fn a_ten_megabyte_line() {
    let content = row(&format!("z,9,2024-01-01,1{}", ",x".repeat(5_000_000)));
    shop().rejects("long.csv", &content, &[], 3, &["long.csv", "line 3", "longer than 8 MiB"]);
}

#[test]
fn amount_with_thousands_separators() {
    shop().rejects(
        "k.csv",
        &row("z,9,2024-01-01,\"1,234.50\""),
        &[],
        3,
        &["k.csv:3:", "column 4 (amount)", "thousands separators"],
    );
}

#[test]
fn amount_with_a_currency_symbol() {
    shop().rejects(
        "sym.csv",
        &row("z,9,2024-01-01,$12.50"),
        &[],
        3,
        &["sym.csv:3:", "currency symbols are not accepted", "\"$12.50\""],
    );
}

#[test]
fn amount_with_more_decimals_than_the_currency() {
    shop().rejects(
        "dec.csv",
        &row("z,9,2024-01-01,1.005"),
        &[],
        3,
        &["dec.csv:3:", "3 decimals, more than the currency's 2"],
    );
}

#[test]
fn amount_beyond_i64_minor_units() {
    shop().rejects(
        "big.csv",
        &row("z,9,2024-01-01,99999999999999999999"),
        &[],
        3,
        &["big.csv:3:", "does not fit in 64-bit minor units"],
    );
}

#[test]
fn amounts_that_add_up_beyond_i64() {
    let content = row("z,9,2024-01-01,90000000000000000.00\nz,10,2024-01-02,90000000000000000.00");
    shop().rejects("sum.csv", &content, &[], 3, &["sum.csv:4:", "add up to more than 64-bit minor units"]);
}

#[test]
fn malformed_date() {
    shop().rejects(
        "date.csv",
        &row("z,9,01/02/24x,1"),
        &[],
        3,
        &["date.csv:3:", "column 3 (timestamp)", "not a date", "\"01/02/24x\""],
    );
}

#[test]
fn date_before_1900() {
    shop().rejects("old.csv", &row("z,9,1899-12-31,1"), &[], 3, &["old.csv:3:", "outside 1900..=2200"]);
}

#[test]
fn date_after_2200() {
    shop().rejects("late.csv", &row("z,9,2201-01-01,1"), &[], 3, &["late.csv:3:", "year 2201 is outside 1900..=2200"]);
}

#[test]
fn timestamps_with_and_without_offsets() {
    // The store's zone is UTC: an offset moves the instant into UTC before the day is taken; a
    // timestamp without one is read in the store's zone.
    let s = shop();
    let content = format!("{HEADER}o,1,2024-01-01T23:30:00-02:00,1.00\nn,2,2024-01-01 23:30:00,1.00\n");
    let path = s.file("tz.csv", content.as_bytes());
    assert!(retention(&["ingest", &path, "--db", &s.db]).status.success());
    let day = |id: &str| {
        let o = retention(&["customer", id, "--db", &s.db, "--format", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["orders"][0]["day"].as_str().unwrap().to_string()
    };
    assert_eq!(day("o"), "2024-01-02");
    assert_eq!(day("n"), "2024-01-01");
}

#[test]
fn one_order_id_for_two_customers_is_two_orders() {
    // An order is identified by (customer, order id): shops number orders per customer as well as
    // globally, so the same id under two customers is two orders, never merged.
    let s = shop();
    let path = s.file("shared.csv", format!("{HEADER}x,77,2024-01-01,1.00\ny,77,2024-01-01,2.00\n").as_bytes());
    assert!(retention(&["ingest", &path, "--db", &s.db]).status.success());
    let v: serde_json::Value = serde_json::from_str(&stats(&s.db)).unwrap();
    assert_eq!((v["customers"].as_u64(), v["orders"].as_u64(), v["revenue"].as_i64()), (Some(3), Some(3), Some(2_300)));
}

#[test]
fn one_invoice_for_two_customers_in_line_items() {
    // The line-items preset (UCI Online Retail): an invoice number under two CustomerIDs is two
    // orders, one per customer, as in the generic layout.
    let s = shop();
    let content = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n\
                   536365,A,x,2,12/1/2010 8:26,1.50,17850,UK\n536365,B,y,1,12/1/2010 8:26,4.00,13047,UK\n";
    let path = s.file("lines.csv", content.as_bytes());
    let o = retention(&["ingest", &path, "--db", &s.db, "--preset", "line-items"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(&stats(&s.db)).unwrap();
    assert_eq!((v["customers"].as_u64(), v["orders"].as_u64(), v["revenue"].as_i64()), (Some(3), Some(3), Some(2_700)));
}

#[test]
fn customer_id_of_only_spaces() {
    shop().rejects(
        "blank.csv",
        &row("   ,9,2024-01-01,1"),
        &[],
        3,
        &["blank.csv:3:", "column 1 (customer_id)", "empty"],
    );
}

#[test]
fn a_directory_that_is_not_a_store() {
    let s = shop();
    let photos = s.root.join("photos");
    std::fs::create_dir(&photos).unwrap();
    std::fs::write(photos.join("cat.jpg"), b"jpeg").unwrap();
    let path = s.file("ok.csv", &row("z,9,2024-01-01,1"));
    let o = retention(&["ingest", &path, "--db", photos.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a retention store"));
    let files: Vec<_> = std::fs::read_dir(&photos).unwrap().collect();
    assert_eq!(files.len(), 1, "nothing was written into the directory");
}

#[test]
fn a_store_of_a_newer_format() {
    let s = shop();
    let before = stats(&s.db);
    let marker = Path::new(&s.db).join("RETENTION-STORE");
    let original = std::fs::read(&marker).unwrap();
    std::fs::write(&marker, "retention store\nformat 99\n").unwrap();
    let path = s.file("ok.csv", &row("z,9,2024-01-01,1"));
    for args in [vec!["ingest", path.as_str(), "--db", s.db.as_str()], vec!["stats", "--db", s.db.as_str()]] {
        let o = retention(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(4), "{err}");
        assert!(err.contains("store format version 99 is not supported"), "{err}");
    }
    std::fs::write(&marker, original).unwrap();
    assert_eq!(stats(&s.db), before, "the refused ingest wrote nothing");
}

#[test]
fn a_rules_file_with_an_unknown_field() {
    let s = shop();
    let rules = s.file("rules.toml", b"[[segment]]\nname = \"A\"\ncolour = \"red\"\n");
    let o = retention(&["segments", "--db", &s.db, "--rules", &rules]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("rules.toml:3:") && err.contains("unknown field"), "{err}");
    let programme = s.file("loyalty.toml", b"points_per_unit = 1\nbonus = 2\n");
    let o = retention(&["loyalty", "--db", &s.db, "--programme", &programme]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("loyalty.toml:2:") && err.contains("unknown field"), "{err}");
}
