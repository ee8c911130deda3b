//! Pins the lifecycle lists on the six-customer store of the metrics tests, worked out by hand.

use retention::Day;
use retention::actions::{VipBy, WinBackOptions};

use crate::common::{ingest_str, temp_store};
use crate::metrics::SIX;

fn day(y: i32, m: u32, d: u32) -> Option<Day> {
    Day::from_ymd(y, m, d)
}

#[test]
fn lists_on_six_customers() {
    let (_dir, store) = temp_store();
    ingest_str(&store, SIX).unwrap();
    let as_of = day(2023, 12, 31);
    let name = |id: retention::CustomerId| store.customer_by_id(id, None).unwrap().unwrap().external_id;

    // Follow-up: only C has a single purchase day by the end, 2022-12-15, 381 days before.
    let hits = |after, within| -> Vec<String> {
        store.follow_ups(as_of, after, within, None).unwrap().iter().map(|f| name(f.customer)).collect()
    };
    assert_eq!(hits(381, 1), ["C"]);
    assert_eq!(hits(380, 2), ["C"]);
    assert!(hits(382, 7).is_empty() && hits(374, 7).is_empty());
    assert_eq!(hits(375, 7), ["C"]);

    // Win-back, two gaps needed: A's median gap is 265 days (10, 265, 273) and she bought 30 days
    // ago; E's is 141 (141, 375), one day ago. Nobody is overdue.
    assert!(store.win_backs(as_of, &WinBackOptions::default(), None).unwrap().is_empty());
    // One gap is enough: B last bought 333 days ago against a 92-day gap (3.6×); D's 91 days
    // against 153 is not overdue.
    let options = WinBackOptions { min_gaps: 1, ..WinBackOptions::default() };
    let list = store.win_backs(as_of, &options, None).unwrap();
    assert_eq!(list.len(), 1);
    let b = &list[0];
    assert_eq!(
        (name(b.customer).as_str(), b.reason, b.days_since_last, b.median_gap_days),
        ("B", "overdue", 333, Some(92))
    );
    assert!((b.overdue_factor.unwrap() - 333.0 / 92.0).abs() < 1e-12);
    // With a factor of 0.5, D (91 / 153 = 0.59) joins, after B (listed most overdue first).
    let options = WinBackOptions { min_gaps: 1, factor: 0.5, ..WinBackOptions::default() };
    let names: Vec<String> = store.win_backs(as_of, &options, None).unwrap().iter().map(|w| name(w.customer)).collect();
    assert_eq!(names, ["B", "D"]);
    // P(alive) needs a stored model, and says so.
    let options = WinBackOptions { p_alive_below: Some(0.3), ..WinBackOptions::default() };
    let err = store.win_backs(as_of, &options, None).unwrap_err();
    assert!(err.to_string().contains("run `retention clv fit` first"), "{err}");

    // VIPs: net spend A 100, B 75, C 15, D 120 (180 less a 60 return), E 130; the top 40% of five
    // customers are two: E, then D.
    let vips = store.vips(as_of, 0.4, VipBy::Spend, None).unwrap();
    let top: Vec<(String, u64, i64)> = vips.iter().map(|v| (name(v.customer), v.rank, v.spend)).collect();
    assert_eq!(top, [("E".to_string(), 1, 13_000), ("D".to_string(), 2, 12_000)]);
    // Within a group (A and C): A.
    let members = [true, false, true, false, false, false];
    let vips = store.vips(as_of, 0.5, VipBy::Spend, Some(&members)).unwrap();
    assert_eq!(vips.iter().map(|v| name(v.customer)).collect::<Vec<_>>(), ["A"]);
    assert!(store.vips(as_of, 0.0, VipBy::Spend, None).is_err());
}
