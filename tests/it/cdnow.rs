//! Pins the summaries against the published CDNOW per-customer statistics of Fader, Hardie & Lee
//! (x, t_x, T in weeks and mean repeat value zbar, calibration period ending 1997-09-30).

use std::collections::HashMap;

use retention::{Day, IngestOptions, Preset};

use crate::common::{fixture, temp_store};

fn cdnow() -> IngestOptions {
    IngestOptions::default().preset(Preset::Cdnow)
}

#[test]
fn sample_summaries_match_the_published_calibration_statistics() {
    let (_dir, store) = temp_store();
    let report = store.ingest_files(&[fixture("cdnow/CDNOW_sample.txt")], &cdnow()).unwrap();
    assert_eq!(report.rows_read, 6_919);
    assert_eq!(report.customers_new, 2_357);

    // The sample file names each customer twice: master id (first column, our customer id) and
    // sample id (second column, the published file's ID).
    let sample = std::fs::read_to_string(fixture("cdnow/CDNOW_sample.txt")).unwrap();
    let master_of: HashMap<u32, String> = sample
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some((f.next()?.to_string(), f.next()?.parse().ok()?))
        })
        .map(|(master, sid)| (sid, master))
        .collect();

    let as_of: Day = "1997-09-30".parse().unwrap();
    let summaries = store.summaries(Some(as_of)).unwrap();
    assert_eq!(summaries.customers.len(), 2_357);
    let by_id: HashMap<u32, &retention::Summary> = summaries.customers.iter().map(|s| (s.customer.get(), s)).collect();

    let published = std::fs::read_to_string(fixture("cdnow/cdnow_customers_summary_with_transactions.csv")).unwrap();
    let mut checked = 0;
    for line in published.lines().skip(1) {
        let f: Vec<&str> = line.trim_end().split(',').collect();
        let (sid, x, t_x, t, zbar): (u32, u32, f64, f64, f64) = (
            f[0].parse().unwrap(),
            f[1].parse().unwrap(),
            f[2].parse().unwrap(),
            f[3].parse().unwrap(),
            f[4].parse().unwrap(),
        );
        let profile = store.customer(&master_of[&sid]).unwrap().expect("customer exists");
        let s = by_id[&profile.id.get()];
        assert_eq!(s.x(), x, "x of sample customer {sid}");
        assert!((s.t_x() as f64 / 7.0 - t_x).abs() < 0.0051, "t_x of {sid}: {} vs {t_x}", s.t_x() as f64 / 7.0);
        assert!((s.age(as_of) as f64 / 7.0 - t).abs() < 0.0051, "T of {sid}");
        // zbar is in dollars, the store in cents; the file rounds to cents.
        let ours = s.average_repeat_value().map_or(0.0, |v| v / 100.0);
        assert!((ours - zbar).abs() < 0.0051, "zbar of {sid}: {ours} vs {zbar}");
        checked += 1;
    }
    assert_eq!(checked, 2_357);
}

#[test]
fn master_file_with_header_and_crlf() {
    let (_dir, store) = temp_store();
    let path = fixture("cdnow/CDNOW_master.txt");
    let report = store.ingest_files(&[&path], &cdnow()).unwrap();
    // Independent reading of the file: one transaction per non-header line.
    let text = std::fs::read_to_string(&path).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split_whitespace().collect()).collect();
    let cents: i64 = rows.iter().map(|r| (r[3].parse::<f64>().unwrap() * 100.0).round() as i64).sum();
    assert_eq!(report.rows_read, rows.len() as u64);
    assert_eq!(report.rows_read, 69_659);
    let stats = store.stats().unwrap();
    assert_eq!(stats.customers, 23_570);
    // Same-day duplicate transactions stay distinct orders (no order ids: content + occurrence).
    assert_eq!(stats.orders, 69_659);
    assert_eq!(stats.gross, cents);
    assert_eq!(stats.first_day, Some("1997-01-01".parse().unwrap()));
    assert_eq!(stats.last_day, Some("1998-06-30".parse().unwrap()));

    // Re-ingesting the file is a no-op.
    let again = store.ingest_files(&[&path], &cdnow()).unwrap();
    assert_eq!((again.orders_new, again.orders_updated, again.orders_unchanged), (0, 0, 69_659));
    assert_eq!(store.stats().unwrap(), stats);
}
