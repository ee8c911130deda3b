//! Runs the `retention` binary on files in a temporary directory: the commands, exit codes, and
//! every bad-input case of the foundation issue with the check that the store is unchanged after.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::common::fixture;

fn retention(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_retention")).args(args).output().expect("run retention")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stats_json(db: &Path) -> String {
    let o = retention(&["stats", "--db", db.to_str().unwrap(), "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

/// A store in `dir` holding the CDNOW 1/10 sample; its path.
fn cdnow_sample_db(dir: &Path) -> String {
    let db = dir.join("db");
    let cdnow = fixture("cdnow/CDNOW_sample.txt");
    let o = retention(&["ingest", cdnow.to_str().unwrap(), "--preset", "cdnow", "--db", db.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    db.to_str().unwrap().to_string()
}

/// A store in `dir` holding [`GOOD`]; its path.
fn good_db(dir: &Path) -> String {
    let (db, file) = (dir.join("db"), dir.join("orders.csv"));
    std::fs::write(&file, GOOD).unwrap();
    let o = retention(&["ingest", file.to_str().unwrap(), "--db", db.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    db.to_str().unwrap().to_string()
}

const GOOD: &str = "customer_id,order_id,timestamp,amount,category\n\
                    ann,1,2024-01-05T10:00:00Z,20.00,books\n\
                    bob,2,2024-01-06T11:00:00Z,12.50,music\n\
                    ann,3,2024-02-01T09:00:00Z,-5.00,books\n";

#[test]
fn ingest_stats_and_customer() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let file = dir.path().join("orders.csv");
    std::fs::write(&file, GOOD).unwrap();
    let o = retention(&["ingest", file.to_str().unwrap(), "--db", db.to_str().unwrap(), "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("rows_read,rows_rejected,rows_skipped,orders_new,"), "{out}");
    assert!(out.lines().nth(1).unwrap().starts_with("3,0,0,3,0,0,1,2,2,"), "{out}");

    let o = retention(&["stats", "--db", db.to_str().unwrap()]);
    let out = stdout(&o);
    assert!(out.contains("customers   2\n"), "{out}");
    assert!(out.contains("revenue     27.50\n"), "{out}");
    assert!(out.contains("last day    2024-02-01\n"), "{out}");

    let o = retention(&["customer", "ann", "--db", db.to_str().unwrap(), "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["external_id"], "ann");
    assert_eq!(v["summary"]["spend"], 2000);
    assert_eq!(v["orders"][1]["amount"], -500);
    assert!(v["saved_segment"].is_null() && v["clv"].is_null(), "{v}");

    let o = retention(&["customer", "nobody", "--db", db.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(5));
    assert!(stderr(&o).contains("no customer \"nobody\""), "{}", stderr(&o));
}

#[test]
fn same_ingest_twice_leaves_stats_identical() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let cdnow = fixture("cdnow/CDNOW_sample.txt");
    let args =
        ["ingest", cdnow.to_str().unwrap(), "--db", db.to_str().unwrap(), "--preset", "cdnow", "--format", "json"];
    let first = retention(&args);
    assert!(first.status.success(), "{}", stderr(&first));
    let before = stats_json(&db);
    let second = retention(&args);
    let report: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(report["orders_unchanged"], 6_919);
    assert_eq!(report["orders_new"], 0);
    assert_eq!(stats_json(&db), before);
}

/// Each case: a file that must be rejected with exit code 3, the message parts it must contain,
/// and the store left exactly as it was.
#[test]
fn bad_input_is_rejected_with_location_and_the_store_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let good = dir.path().join("good.csv");
    std::fs::write(&good, GOOD).unwrap();
    assert!(retention(&["ingest", good.to_str().unwrap(), "--db", db.to_str().unwrap()]).status.success());
    let before = stats_json(&db);

    let header = "customer_id,order_id,timestamp,amount,category\n";
    let mut middle = String::from(header);
    for i in 0..1_000 {
        middle.push_str(&format!("c{i},{i},2024-03-01,1.00,books\n"));
    }
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        (
            "missing-field.csv",
            format!("{header}zed,9,2024-01-01,1.00\n").into_bytes(),
            vec![":2:", "column 5 (category)", "the row has 4 columns, the header 5"],
        ),
        (
            "bad-amount.csv",
            format!("{header}zed,9,2024-01-01,12;50,books\n").into_bytes(),
            vec![":2:", "column 4 (amount)", "\"12;50\""],
        ),
        (
            "bad-date.csv",
            format!("{header}zed,9,2024-02-30,1,books\n").into_bytes(),
            vec![":2:", "column 3 (timestamp)", "not a calendar date", "\"2024-02-30\""],
        ),
        (
            "empty-customer.csv",
            format!("{header} ,9,2024-01-01,1,books\n").into_bytes(),
            vec![":2:", "column 1 (customer_id)", "empty"],
        ),
        (
            "too-many-columns.csv",
            format!("{header}zed,9,2024-01-01,1,books,extra\n").into_bytes(),
            vec![":2:", "column 6", "the row has 6 columns, the header 5", "\"extra\""],
        ),
        (
            "invalid-utf8.csv",
            [header.as_bytes(), b"z\xffd,9,2024-01-01,1,books\n"].concat(),
            vec![":2:", "column 1 (customer_id)", "not valid UTF-8"],
        ),
        (
            "corrupt-middle.csv",
            format!("{middle}c-bad,x,2024-03-01,1.0.0,books\n{}", &middle[header.len()..]).into_bytes(),
            vec![":1002:", "column 4 (amount)", "\"1.0.0\""],
        ),
        (
            "thousands.csv",
            format!("{header}zed,9,2024-01-01,\"1,234.50\",books\n").into_bytes(),
            vec![":2:", "thousands separators"],
        ),
        (
            "old-date.csv",
            format!("{header}zed,9,1899-12-31,1,books\n").into_bytes(),
            vec![":2:", "outside 1900..=2200"],
        ),
        ("empty.csv", Vec::new(), vec!["the input is empty"]),
        (
            "no-amount-column.csv",
            b"customer_id,timestamp\na,2024-01-01\n".to_vec(),
            vec!["no amount column", "the header has: customer_id, timestamp"],
        ),
        ("semicolons.csv", b"customer_id;timestamp;amount\na;2024-01-01;1\n".to_vec(), vec!["separated by ';'"]),
    ];
    for (name, content, expect) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &content).unwrap();
        let o = retention(&["ingest", path.to_str().unwrap(), "--db", db.to_str().unwrap()]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(3), "{name}: {err}");
        assert!(err.contains(name), "{name}: message does not name the file: {err}");
        for part in expect {
            assert!(err.contains(part), "{name}: {err:?} lacks {part:?}");
        }
        assert_eq!(stats_json(&db), before, "{name} changed the store");
    }

    // With --skip-invalid the good rows of the corrupt file go in and the bad one is reported.
    let rejects = dir.path().join("rejects.csv");
    let corrupt = dir.path().join("corrupt-middle.csv");
    let o = retention(&[
        "ingest",
        corrupt.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--skip-invalid",
        "--rejects",
        rejects.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((report["rows_rejected"].as_u64(), report["orders_new"].as_u64()), (Some(1), Some(1_000)));
    let rejected = std::fs::read_to_string(rejects).unwrap();
    assert!(rejected.contains("1002,4 (amount),"), "{rejected}");
    assert!(rejected.contains("c-bad,x,2024-03-01,1.0.0,books"), "{rejected}");
}

#[test]
fn usage_and_store_errors_have_their_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let not_store = dir.path().join("photos");
    std::fs::create_dir(&not_store).unwrap();
    std::fs::write(not_store.join("cat.jpg"), b"jpeg").unwrap();
    let o = retention(&["stats", "--db", not_store.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("not a retention store"), "{}", stderr(&o));

    // Readers never create a store: a mistyped path is an error and stays absent.
    let typo = dir.path().join("typo");
    for args in [vec!["stats", "--db"], vec!["customer", "ann", "--db"]] {
        let o = retention(&[args.as_slice(), &[typo.to_str().unwrap()]].concat());
        assert_eq!(o.status.code(), Some(4), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("no such directory"), "{}", stderr(&o));
        assert!(!typo.exists(), "{args:?} created {}", typo.display());
    }

    let f = dir.path().join("x.csv");
    std::fs::write(&f, GOOD).unwrap();
    let o = retention(&[
        "ingest",
        f.to_str().unwrap(),
        "--db",
        dir.path().join("db").to_str().unwrap(),
        "--preset",
        "excel",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--preset"), "{}", stderr(&o));

    let o = retention(&["stats"]);
    assert_eq!(o.status.code(), Some(2), "missing --db is a usage error");
}

#[test]
fn generate_is_deterministic_and_pipes_into_ingest() {
    let a = retention(&["generate", "--customers", "300", "--seed", "7"]);
    let b = retention(&["generate", "--customers", "300", "--seed", "7"]);
    let c = retention(&["generate", "--customers", "300", "--seed", "8"]);
    assert!(a.status.success());
    assert!(a.stdout == b.stdout, "the same seed gave different files");
    assert!(a.stdout != c.stdout, "different seeds gave the same file");
    assert!(stdout(&a).starts_with("customer_id,order_id,timestamp,amount,category\n"));

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_retention"))
        .args(["ingest", "-", "--db", db.to_str().unwrap(), "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&a.stdout).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let lines = a.stdout.iter().filter(|&&b| b == b'\n').count() as u64 - 1;
    assert_eq!(report["rows_read"].as_u64(), Some(lines));
    assert_eq!(report["customers_new"].as_u64(), Some(300));
}

#[test]
fn a_closed_pipe_is_a_normal_end() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_retention"))
        .args(["generate", "--customers", "200000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    use std::io::Read;
    out.read_exact(&mut first).unwrap();
    drop(out);
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "exit {:?}: {}", o.status.code(), stderr(&o));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

#[test]
fn demo_runs_on_a_small_shop() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo");
    let o = retention(&["demo", "--db", db.to_str().unwrap(), "--customers", "2000"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("Generated a shop of 2000 customers"), "{out}");
    assert!(out.contains("The best customer by spend:"), "{out}");
    assert!(out.contains("customers   2000\n") || out.contains("customers  2000\n"), "{out}");
    assert!(out.contains("CLV: BG/NBD and Gamma-Gamma fitted on 2000 customers"), "{out}");
    // The demo saved its model: scoring works straight away.
    let o = retention(&["clv", "score", "--db", db.to_str().unwrap(), "--format", "csv"]);
    assert!(o.status.success() && stdout(&o).lines().count() == 2_001, "{}", stderr(&o));
    // It wrote the report beside the store, with the CLV section.
    let page = std::fs::read_to_string(dir.path().join("demo.html")).unwrap();
    assert!(page.contains(r#"<section id="clv">"#) && page.contains("Model bgnbd"), "{page}");
    assert!(out.contains("demo.html"), "{out}");
    // A shop of 10 customers (4 of them repeat buyers) is thin but not empty: it is fitted, with a
    // warning in the fit, instead of refused.
    let tiny = dir.path().join("tiny");
    let o = retention(&["demo", "--db", tiny.to_str().unwrap(), "--customers", "10"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("CLV: BG/NBD and Gamma-Gamma fitted on 10 customers"), "{}", stdout(&o));
    let o = retention(&["clv", "fit", "--db", tiny.to_str().unwrap(), "--no-save"]);
    assert!(stdout(&o).contains("warning") && stdout(&o).contains("made a repeat purchase"), "{}", stdout(&o));
}

#[test]
fn rfm_streams_every_customer_and_segments_reports_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo");
    let db = db.to_str().unwrap();
    assert!(retention(&["demo", "--db", db, "--customers", "500"]).status.success());

    let o = retention(&["rfm", "--db", db, "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("customer,recency,frequency,monetary,r,f,m,cell,fm,total,segment"));
    assert_eq!(lines.count(), 500);

    let o = retention(&["rfm", "--db", db, "--format", "json", "--segment", "champions"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["segment"] == "Champions" && r["r"].as_u64() >= Some(4)));

    let o = retention(&["segments", "--db", db, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let segments = v["report"]["segments"].as_array().unwrap();
    assert_eq!(segments.len(), 11);
    let customers: u64 = segments.iter().map(|s| s["customers"].as_u64().unwrap()).sum();
    assert_eq!(customers, 500);
    assert!(v["top_10_order_value_ratio"].as_f64().unwrap() > 0.0);

    let o = retention(&["rfm", "--db", db, "--segment", "Whales"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("Champions"), "{}", stderr(&o));
    let o = retention(&["segments", "--db", db, "--bins", "7"]);
    assert_eq!(o.status.code(), Some(2));

    // A rules file extending the default map, and the filters of `segment NAME`.
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "mode = \"extend\"\n[[segment]]\nname = \"Whales\"\nmin_spend = \"500\"\n").unwrap();
    let rules = rules.to_str().unwrap();
    let o = retention(&["segments", "--db", db, "--rules", rules, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["report"]["segments"][0]["segment"], "Whales");
    assert_eq!(v["report"]["segments"].as_array().unwrap().len(), 12);
    let o = retention(&["segment", "whales", "--db", db, "--rules", rules, "--min-spend", "900", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        rows.as_array().unwrap().iter().all(|r| r["segment"] == "Whales" && r["monetary"].as_i64() >= Some(90_000))
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[segment]]\nname = \"A\"\nmin_spend = \"lots\"\n").unwrap();
    let o = retention(&["segments", "--db", db, "--rules", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad.toml:3:") && stderr(&o).contains("\"lots\""), "{}", stderr(&o));
}

#[test]
fn clv_fit_score_evaluate_and_customer() {
    let dir = tempfile::tempdir().unwrap();
    let db = &cdnow_sample_db(dir.path());

    // No model yet: score explains what to run.
    let o = retention(&["clv", "score", "--db", db]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("run `retention clv fit` first"), "{}", stderr(&o));

    let o = retention(&["clv", "fit", "--db", db, "--as-of", "1997-09-30", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = v["model"]["purchases"]["model"]["bgnbd"]["r"].as_f64().unwrap();
    assert!((r - 0.24259).abs() < 2e-4, "{v}");
    assert_eq!(v["saved"], true);

    let o = retention(&["clv", "score", "--db", db, "--format", "csv", "--horizon", "52w"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some(
            "customer,repeat_purchases,p_alive,p_alive_window_end,expected_purchases,p_no_purchase,\
             expected_order_value,discounted_purchases,clv"
        )
    );
    let rows: Vec<Vec<f64>> = lines.map(|l| l.split(',').skip(1).map(|f| f.parse().unwrap()).collect()).collect();
    assert_eq!(rows.len(), 2_357);
    assert!(rows.iter().all(|r| (0.0..=1.0).contains(&r[1]) && r[3] >= 0.0 && r[5] > 0.0 && r[7] >= 0.0));

    // Calendar horizons, a rate per unit, per-quarter CLV, counts and 90% intervals.
    let o = retention(&[
        "clv",
        "score",
        "--db",
        db,
        "--format",
        "csv",
        "--horizon",
        "12months",
        "--window",
        "90days",
        "--discount",
        "10%/year",
        "--periods",
        "quarter",
        "--counts",
        "2",
        "--interval",
        "0.9",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let header: Vec<&str> = out.lines().next().unwrap().split(',').collect();
    assert_eq!(header.len(), 9 + 6 + 4 + 3, "{header:?}");
    assert_eq!(&header[15..19], ["clv_to_1997-12-30", "clv_to_1998-03-30", "clv_to_1998-06-30", "clv_to_1998-09-30"]);
    for line in out.lines().skip(1).take(200) {
        let f: Vec<f64> = line.split(',').skip(1).map(|v| v.parse().unwrap()).collect();
        let (clv, lower, upper) = (f[7], f[12], f[13]);
        assert!(lower <= clv + 0.01 && clv <= upper + 0.01, "{line}");
        let quarters: f64 = f[14..18].iter().sum();
        assert!((quarters - clv).abs() <= 0.03, "{line}");
        assert_eq!(f[18], f[4], "P(0) is the no-purchase column: {line}");
    }
    // JSON rows: one "customer" key (the shop's id), the intervals and breakdowns nested.
    let o = retention(&[
        "clv",
        "score",
        "--db",
        db,
        "--format",
        "json",
        "--interval",
        "0.9",
        "--periods",
        "year",
        "--counts",
        "1",
    ]);
    let text = stdout(&o);
    let first = text.lines().nth(1).unwrap();
    assert_eq!(first.matches("\"customer\"").count(), 1, "{first}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let row = &v[0];
    assert_eq!(row["customer"], "00004");
    assert!(row["intervals"]["clv"]["lower"].as_f64().unwrap() < row["clv"].as_f64().unwrap());
    let (period, total) = (row["clv_by_period"][0]["clv"].as_f64().unwrap(), row["clv"].as_f64().unwrap());
    assert!((period - total).abs() <= 1e-12 * total.abs(), "{period} vs {total}");
    assert_eq!(row["purchase_counts"][0], row["p_no_purchase"]);
    let o = retention(&["clv", "score", "--db", db, "--horizon", "12 fortnights"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--horizon") && stderr(&o).contains("12months"), "{}", stderr(&o));
    let o = retention(&["clv", "score", "--db", db, "--discount", "10%/fortnight"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--discount"), "{}", stderr(&o));

    let o = retention(&["customer", "00004", "--db", db]);
    assert!(stdout(&o).contains("clv model             BG/NBD as of 1997-09-30"), "{}", stdout(&o));
    let o = retention(&["customer", "00004", "--db", db, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["clv"]["value"]["p_alive"].as_f64().is_some_and(|p| p > 0.0 && p < 1.0), "{v}");

    let o = retention(&[
        "clv",
        "evaluate",
        "--db",
        db,
        "--calibration-end",
        "1997-09-30",
        "--holdout-end",
        "1998-06-30",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["actual_total"], 1882);
    assert_eq!(v["models"].as_array().unwrap().len(), 3);
    assert_eq!(v["histogram_actual"][0], 1411);

    // The diagnostics as CSV: the period-transaction histogram and the weekly tracking.
    let split =
        ["--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30", "--models", "bgnbd", "--format", "csv"];
    let o = retention(&[&["clv", "evaluate", "--db", db, "--show", "histogram"][..], &split[..]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "repeat_purchases,actual,bgnbd");
    assert_eq!(lines.len(), 9);
    assert!(lines[1].starts_with("0,1411,") && lines[8].starts_with("7+,"), "{out}");
    let o = retention(&[&["clv", "evaluate", "--db", db, "--show", "tracking"][..], &split[..]].concat());
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "week_end,period,actual,bgnbd,actual_cumulative,bgnbd_cumulative");
    assert_eq!(lines.iter().filter(|l| l.contains(",holdout,")).count(), 39);
    assert!(lines.last().unwrap().starts_with("1998-06-30,holdout,"), "{out}");

    // The population curve rises, and `clv data` exports what the fit saw.
    let o = retention(&["clv", "curve", "--db", db, "--to", "52w", "--step", "1w", "--format", "csv"]);
    let curve: Vec<f64> = stdout(&o).lines().skip(1).map(|l| l.split(',').nth(1).unwrap().parse().unwrap()).collect();
    assert_eq!(curve.len(), 52);
    assert!(curve.windows(2).all(|w| w[1] > w[0]) && curve[0] > 0.0, "{curve:?}");
    let o = retention(&["clv", "data", "--db", db, "--as-of", "1997-09-30"]);
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 2_358);
    assert!(out.contains("\n00004,2,30.428571428571427,38.857142857142854,22.345\n"), "{}", &out[..200]);

    // Bad options name the flag.
    let o = retention(&["clv", "fit", "--db", db, "--model", "weibull"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--model"), "{}", stderr(&o));
    let o = retention(&["clv", "score", "--db", db, "--horizon", "12m"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--horizon"), "{}", stderr(&o));
}

#[test]
fn clv_fit_on_degenerate_data_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let file = dir.path().join("orders.csv");
    // Nobody ever comes back.
    let rows: String = (0..50).map(|i| format!("c{i},{i},2024-01-{:02},10.00\n", 1 + i % 28)).collect();
    std::fs::write(&file, format!("customer_id,order_id,timestamp,amount\n{rows}")).unwrap();
    assert!(retention(&["ingest", file.to_str().unwrap(), "--db", db.to_str().unwrap()]).status.success());
    let o = retention(&["clv", "fit", "--db", db.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(6));
    assert!(stderr(&o).contains("none of the 50 customers made a repeat purchase"), "{}", stderr(&o));
    // The refusal names the next step as a command to paste.
    assert!(stderr(&o).contains("next: retention clv fit --db"), "{}", stderr(&o));
    assert!(stderr(&o).contains("--as-of YYYY-MM-DD"), "{}", stderr(&o));
}

#[test]
fn last_order_filters_outside_the_window_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = &good_db(dir.path());
    let o = retention(&["rfm", "--db", db, "--as-of", "2024-01-31", "--last-order-from", "2024-02-15"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--last-order-from") && stderr(&o).contains("after the as-of day 2024-01-31"),
        "{}",
        stderr(&o)
    );
    let o = retention(&["rfm", "--db", db, "--last-order-from", "2024-01-20", "--last-order-to", "2024-01-10"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is after --last-order-to 2024-01-10"), "{}", stderr(&o));
}

#[test]
fn metrics_for_the_store_and_a_segment() {
    let dir = tempfile::tempdir().unwrap();
    let db = &cdnow_sample_db(dir.path());
    let o = retention(&["metrics", "--db", db, "--as-of", "1998-06-30"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("period                         1997-07-01 to 1998-06-30"), "{out}");
    assert!(out.contains("customers by the end           2357"), "{out}");
    let o = retention(&["metrics", "--db", db, "--as-of", "1998-06-30", "--segment", "lost", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let lost = v["metrics"]["customers"].as_u64().unwrap();
    assert!(lost > 0 && lost < 2_357, "{v}");
    assert_eq!(v["metrics"]["buyers"], 0, "Lost customers (R = 1) bought nothing in the last year: {v}");
    let o = retention(&["cohorts", "--db", db, "--as-of", "1998-06-30", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 4, "{out}"); // header and three cohorts
    assert!(rows.iter().all(|r| r.len() == 20), "{out}"); // cohort, customers, k = 0..17
    assert_eq!(rows[1][..3], ["1997-01", "781", "1.000000"], "{out}");
    let o = retention(&["metrics", "--db", db, "--period", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--period"), "{}", stderr(&o));
}

#[test]
fn actions_stream_lists_for_an_email_tool() {
    let dir = tempfile::tempdir().unwrap();
    let db = &cdnow_sample_db(dir.path());
    assert!(retention(&["clv", "fit", "--db", db, "--as-of", "1998-06-30"]).status.success());
    let o = retention(&["actions", "win-back", "--db", db, "--p-alive-below", "0.2", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some(
            "customer,reason,last_purchase,days_since_last,median_gap_days,overdue_factor,p_alive,purchase_days,spend"
        )
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.len() > 10, "{out}");
    for r in &rows {
        let p_alive: Option<f64> = r[6].parse().ok();
        let overdue: Option<f64> = r[5].parse().ok();
        assert!(p_alive.is_some_and(|p| p < 0.2) || overdue.is_some_and(|f| f > 2.0), "{r:?}");
    }
    let o = retention(&["actions", "vip", "--db", db, "--top", "1%", "--by", "clv", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 1 + 24, "ceil(1% of 2,357) customers and a header");
    let o = retention(&["actions", "vip", "--db", db, "--top", "two"]);
    assert_eq!(o.status.code(), Some(2));
    // New orders make the model stale: lists that act on it refuse until it is refitted.
    let more = dir.path().join("more.txt");
    std::fs::write(&more, "99999 99999 19980701 1 10.00\n").unwrap();
    assert!(retention(&["ingest", more.to_str().unwrap(), "--preset", "cdnow", "--db", db]).status.success());
    let o = retention(&["actions", "vip", "--db", db, "--by", "clv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is stale"), "{}", stderr(&o));
}

#[test]
fn loyalty_accounts_and_totals() {
    let dir = tempfile::tempdir().unwrap();
    let db = good_db(dir.path());
    let programme = dir.path().join("loyalty.toml");
    std::fs::write(&programme, "points_per_unit = 10\n[[reward]]\npoints = 100\nvalue = \"2.00\"\n[[tier]]\nname = \"Gold\"\nmin_spend = \"15.00\"\n").unwrap();
    let (db, programme) = (db.as_str(), programme.to_str().unwrap());
    // ann: 20.00 → 200 points, a 5.00 return takes 50 back; bob: 12.50 → 125.
    let o = retention(&["loyalty", "--db", db, "--programme", programme, "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("\nann,200,50,0,150,1,2.00,Gold,15.00,\n"), "{out}");
    assert!(out.contains("\nbob,125,0,0,125,1,2.00,,12.50,2.50\n"), "{out}");
    let o = retention(&["loyalty", "--db", db, "--programme", programme, "--totals", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((v["totals"]["liability"].as_i64(), v["totals"]["per_tier"][0].as_u64()), (Some(400), Some(1)));
    // A bad programme is bad input (exit 3) with its line.
    std::fs::write(dir.path().join("bad.toml"), "points_per_unit = 1\nrounding = \"up\"\n").unwrap();
    let o = retention(&["loyalty", "--db", db, "--programme", dir.path().join("bad.toml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("bad.toml:2:"), "{}", stderr(&o));
}

#[test]
fn affinity_and_cross_sell_lists() {
    let dir = tempfile::tempdir().unwrap();
    let (db, file) = (dir.path().join("db"), dir.path().join("baskets.csv"));
    std::fs::write(&file, crate::affinity::BASKETS).unwrap();
    let db = db.to_str().unwrap();
    assert!(retention(&["ingest", file.to_str().unwrap(), "--db", db]).status.success());
    let o = retention(&["affinity", "--db", db, "--as-of", "2024-01-31", "--min-customers", "2", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "a,b,customers,support,P(b | a),P(a | b),lift\nbooks,music,2,0.3333,0.6667,0.6667,1.333\n");
    let o = retention(&["affinity", "--db", db, "--as-of", "2024-01-31", "--customers", "--format", "csv"]);
    assert!(stdout(&o).contains("\nE,toys,12.00,0.6000\nE,(uncategorised),8.00,0.4000\n"), "{}", stdout(&o));
    let o = retention(&[
        "actions",
        "cross-sell",
        "--db",
        db,
        "--as-of",
        "2024-01-31",
        "--min-customers",
        "1",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "customer,reason,rank,category,because,lift,confidence,customers_both\n\
         C,cross_sell,1,music,books,1.333,0.6667,2\n\
         D,cross_sell,1,books,music,1.333,0.6667,2\n"
    );
    let o = retention(&["actions", "cross-sell", "--db", db, "--top", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn report_writes_html_or_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = &cdnow_sample_db(dir.path());
    let html = dir.path().join("report.html");
    let o = retention(&["report", "--db", db, "--out", html.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
    assert!(page.contains(r#"<section id="cohorts">"#));
    // Written through a temporary file that is renamed away: only the report and the store remain.
    let mut left: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["db", "report.html"]);
    let o = retention(&["report", "--db", db, "--format", "json", "--as-of", "1998-06-30"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["as_of"], "1998-06-30");
    assert_eq!(v["metrics"]["customers"].as_u64(), Some(2_357));
    assert!(v["clv"].is_null() && v["clv_note"].as_str().unwrap().contains("clv fit"));
    let o = retention(&["report", "--db", db, "--format", "csv"]);
    assert_eq!(o.status.code(), Some(2));
    // A failed write names the file and leaves nothing behind.
    let missing = dir.path().join("no/such/dir/report.html");
    let o = retention(&["report", "--db", db, "--out", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("report.html"), "{}", stderr(&o));
}

#[test]
fn export_restores_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = cdnow_sample_db(dir.path());
    let backup = dir.path().join("backup.csv");
    let o = retention(&["export", "--db", &db, "--out", backup.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&backup).unwrap();
    assert!(
        text.starts_with(
            "# retention export: currency=USD:2 time_zone=UTC\ncustomer_id,order_key,date,amount,category\n"
        ),
        "{}",
        &text[..200]
    );
    let restored = dir.path().join("restored");
    let o = retention(&["ingest", backup.to_str().unwrap(), "--db", restored.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stats_json(&restored), stats_json(Path::new(&db)));
    // To standard output, the same bytes.
    let o = retention(&["export", "--db", restored.to_str().unwrap()]);
    assert_eq!(String::from_utf8(o.stdout).unwrap(), text);
    let o = retention(&["export", "--db", &db, "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
}

/// `retention summaries` writes the summary file that `clv fit --summaries` fits to the store's
/// parameters and `rfm`/`segments --summaries` score to the store's cells; the two inputs exclude
/// each other.
#[test]
fn summary_files_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = &cdnow_sample_db(dir.path());
    let file = dir.path().join("s.parquet");
    let o = retention(&["summaries", "--db", db, "--as-of", "1997-09-30", "--out", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("2357 customer summaries written"), "{}", stdout(&o));
    let from_file = retention(&["clv", "fit", "--summaries", file.to_str().unwrap(), "--format", "csv"]);
    let from_store = retention(&["clv", "fit", "--db", db, "--as-of", "1997-09-30", "--no-save", "--format", "csv"]);
    assert!(from_file.status.success(), "{}", stderr(&from_file));
    assert_eq!(stdout(&from_file), stdout(&from_store));
    let o = retention(&["clv", "fit", "--summaries", file.to_str().unwrap(), "--db", db]);
    assert_eq!(o.status.code(), Some(2));
    // RFM scores and segments from the file are the store's, cell for cell.
    for command in ["rfm", "segments"] {
        let from_file = retention(&[command, "--summaries", file.to_str().unwrap(), "--format", "csv"]);
        let from_store = retention(&[command, "--db", db, "--as-of", "1997-09-30", "--format", "csv"]);
        assert!(from_file.status.success(), "{command}: {}", stderr(&from_file));
        assert_eq!(stdout(&from_file), stdout(&from_store), "{command}");
        assert!(stdout(&from_file).lines().count() > 5);
    }
    let o = retention(&["segments", "--summaries", file.to_str().unwrap(), "--save"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("needs a store"), "{}", stderr(&o));
    // A model fitted on the file and kept as JSON scores the file's customers as the store's saved
    // model scores the store's.
    let model = dir.path().join("model.json");
    let s = file.to_str().unwrap();
    let o = retention(&["clv", "fit", "--summaries", s, "--model-out", model.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(retention(&["clv", "fit", "--db", db, "--as-of", "1997-09-30"]).status.success());
    let flags = ["--format", "csv", "--window", "90days", "--interval", "0.9", "--periods", "quarter"];
    let from_file =
        retention(&[&["clv", "score", "--summaries", s, "--model", model.to_str().unwrap()][..], &flags].concat());
    let from_store = retention(&[&["clv", "score", "--db", db][..], &flags].concat());
    assert!(from_file.status.success(), "{}", stderr(&from_file));
    assert_eq!(stdout(&from_file), stdout(&from_store));
    assert_eq!(stdout(&from_file).lines().count(), 2_358);
    let o = retention(&["clv", "score", "--summaries", s]);
    assert_eq!(o.status.code(), Some(2), "--summaries needs --model");
}

/// A platform's customers are their e-mails lower-cased; `customer` finds them however the
/// e-mail is typed.
#[test]
fn customer_lookup_folds_an_e_mail() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let export = crate::common::fixture("exports/shopify/orders_export_1.csv");
    assert!(retention(&["ingest", export.to_str().unwrap(), "--db", db.to_str().unwrap()]).status.success());
    let o = retention(&["customer", " Ann@X.com", "--db", db.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("ann@x.com"));
    let o = retention(&["customer", "nobody@x.com", "--db", db.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(5));
}
