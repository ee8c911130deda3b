//! Pins the retention metrics on a six-customer store whose every figure is worked out by hand in
//! the comments, and on the CDNOW master file.

use retention::metrics::MetricsOptions;
use retention::{Day, IngestOptions, Preset};

use crate::common::{fixture, ingest_str, temp_store};

/// Period 2023-01-01..2023-12-31 (365 days to 2023-12-31), activity window 180 days: a customer at
/// the start bought in 2022-07-05..2022-12-31, at the end in 2023-07-05..2023-12-31.
pub const SIX: &str = "customer_id,order_id,timestamp,amount
A,1,2022-06-01,10.00
A,2,2023-03-01,20.00
A,3,2023-03-11,30.00
A,4,2023-12-01,40.00
B,5,2022-11-01,50.00
B,6,2023-02-01,25.00
C,7,2022-12-15,15.00
D,8,2023-05-01,100.00
D,9,2023-05-01,20.00
D,10,2023-10-01,60.00
D,11,2023-10-05,-60.00
E,12,2022-08-01,30.00
E,13,2022-12-20,30.00
E,14,2023-12-30,70.00
F,15,2024-01-05,10.00
";

#[test]
fn six_customers_by_hand() {
    let (_dir, store) = temp_store();
    ingest_str(&store, SIX).unwrap();
    let options = MetricsOptions::default()
        .as_of(Day::from_ymd(2023, 12, 31).unwrap())
        .period_days(365)
        .activity_window_days(180);
    let m = store.period_metrics(&options, None).unwrap();
    assert_eq!((m.start, m.end), (Day::from_ymd(2023, 1, 1).unwrap(), Day::from_ymd(2023, 12, 31).unwrap()));
    // Purchase days by the end: A 4, B 2, C 1, D 2 (two orders on 2023-05-01 are one day), E 3;
    // F buys only after the end. At least 1: 5, 2: 4, 3: 2, 4: 1, 5: 0.
    assert_eq!(m.customers, 5);
    assert_eq!(m.repeat_rate, 0.8);
    assert_eq!(&m.conditional_repeat[..5], &[Some(0.8), Some(0.5), Some(0.5), Some(0.0), None]);
    // In the period: buyers A, B, D, E; orders 3 + 1 + 3 + 1; purchase days 3 + 1 + 2 + 1.
    assert_eq!((m.buyers, m.orders, m.purchase_days), (4, 8, 7));
    assert_eq!(m.frequency, 2.0);
    // Purchases 90 + 25 + 180 + 70 = 365.00 over 8 orders; net revenue 365 − 60 (D's return).
    assert_eq!(m.average_order_value, 4_562.5);
    assert_eq!((m.revenue, m.revenue_new, m.revenue_returning), (30_500, 12_000, 18_500));
    // Gaps ending in the period: A 273, 10, 265; B 92; D 153; E 375. Lower median of six: 153.
    assert_eq!(m.median_gap_days, Some(153));
    let buckets: Vec<u64> = m.gap_distribution.iter().map(|b| b.1).collect();
    assert_eq!(buckets, [0, 1, 0, 0, 0, 2, 2, 1, 0]);
    // At the start: B, C, E. At the end: A (back after a year), D (new), E. Retained: E.
    assert_eq!((m.customers_at_start, m.customers_at_end, m.new_customers, m.retained), (3, 3, 1, 1));
    assert!((m.retention_rate.unwrap() - 2.0 / 3.0).abs() < 1e-15); // (3 − 1) / 3
    assert!((m.churn_rate.unwrap() - 2.0 / 3.0).abs() < 1e-15); // (3 − 1) / 3

    // Restricted to A and E (ids 0 and 4).
    // A window shorter than the period: D (new in May, last bought 2023-10-01) has lapsed by the
    // end under a 60-day window, and is not subtracted from customers at the end (only E is one).
    let short = options.activity_window_days(60);
    let m = store.period_metrics(&short, None).unwrap();
    assert_eq!((m.customers_at_start, m.customers_at_end, m.new_customers), (2, 2, 1)); // C, E; A, E
    assert_eq!(m.retention_rate, Some(1.0)); // (2 − 0) / 2
    let e = store.period_metrics(&options.period_days(40_000), None).unwrap_err();
    assert_eq!(e.parameter(), Some("MetricsOptions::period_days"));

    let members = [true, false, false, false, true, false];
    let m = store.period_metrics(&options, Some(&members)).unwrap();
    assert_eq!((m.customers, m.buyers, m.orders, m.customers_at_start, m.retained), (2, 2, 4, 1, 1));
    assert_eq!(m.median_gap_days, Some(265)); // 10, 265, 273, 375
}

#[test]
fn cdnow_repeat_curve_as_of_the_end() {
    let (_dir, store) = temp_store();
    let options = IngestOptions::default().preset(Preset::Cdnow);
    store.ingest_files(&[fixture("cdnow/CDNOW_master.txt")], &options).unwrap();
    let as_of = Day::from_ymd(1998, 6, 30).unwrap();
    let m = store.period_metrics(&MetricsOptions::default().as_of(as_of), None).unwrap();
    let summaries = store.summaries(Some(as_of)).unwrap();
    // Cross-check against the summaries: the same customers, the same repeaters.
    let repeaters = summaries.customers.iter().filter(|s| s.purchase_days > 1).count();
    assert_eq!(m.customers, 23_570);
    assert_eq!(m.repeat_rate, repeaters as f64 / 23_570.0);
    let at_least = |k: u32| summaries.customers.iter().filter(|s| s.purchase_days >= k).count() as f64;
    assert_eq!(m.conditional_repeat[0], Some(at_least(2) / at_least(1)));
    assert_eq!(m.conditional_repeat[1], Some(at_least(3) / at_least(2)));
    // Every CDNOW customer first bought in 1997 Q1, so nobody is new in the year to 1998-06-30.
    assert_eq!(m.new_customers, 0);
}

#[test]
fn six_customer_cohorts_by_hand() {
    use retention::metrics::CohortPeriod;
    let (_dir, store) = temp_store();
    ingest_str(&store, SIX).unwrap();
    let c = store.cohorts(CohortPeriod::Month, Some(Day::from_ymd(2023, 12, 31).unwrap())).unwrap();
    // First purchases: A 2022-06, E 2022-08, B 2022-11, C 2022-12, D 2023-05 (F buys after the end).
    let starts: Vec<String> = c.cohorts.iter().map(|c| c.start.to_string()).collect();
    assert_eq!(starts, ["2022-06-01", "2022-08-01", "2022-11-01", "2022-12-01", "2023-05-01"]);
    // Rows run to 2023-12: 19, 17, 14, 13 and 8 months.
    let lengths: Vec<usize> = c.cohorts.iter().map(|c| c.active.len()).collect();
    assert_eq!(lengths, [19, 17, 14, 13, 8]);
    // A buys in months 0, 9 (two orders, one customer) and 18 after June 2022.
    let a = &c.cohorts[0];
    let active: Vec<usize> = (0..19).filter(|&k| a.active[k] > 0).collect();
    assert_eq!((a.customers, active), (1, vec![0, 9, 18]));
    assert_eq!((a.revenue[0], a.revenue[9], a.revenue[18]), (1_000, 5_000, 4_000));
    // E: months 0, 4, 16. B: 0, 3. C: 0.
    assert_eq!((0..17).filter(|&k| c.cohorts[1].active[k] > 0).collect::<Vec<_>>(), [0, 4, 16]);
    assert_eq!((0..14).filter(|&k| c.cohorts[2].active[k] > 0).collect::<Vec<_>>(), [0, 3]);
    assert_eq!(c.cohorts[3].active.iter().sum::<u64>(), 1);
    // D: two orders in May (one active month, 120.00), a purchase and its return in October.
    let d = &c.cohorts[4];
    assert_eq!(d.active, [1, 0, 0, 0, 0, 1, 0, 0]);
    assert_eq!((d.revenue[0], d.revenue[5]), (12_000, 0));
    assert_eq!(d.share_active(5), Some(1.0));
}

#[test]
fn cdnow_monthly_cohorts() {
    use retention::metrics::CohortPeriod;
    let (_dir, store) = temp_store();
    let options = IngestOptions::default().preset(Preset::Cdnow);
    store.ingest_files(&[fixture("cdnow/CDNOW_master.txt")], &options).unwrap();
    let c = store.cohorts(CohortPeriod::Month, Some(Day::from_ymd(1998, 6, 30).unwrap())).unwrap();
    // Everyone first bought in January, February or March 1997.
    let sizes: Vec<u64> = c.cohorts.iter().map(|c| c.customers).collect();
    assert_eq!(sizes.iter().sum::<u64>(), 23_570);
    assert_eq!(c.cohorts.len(), 3);
    assert_eq!(c.cohorts[0].active.len(), 18);
    // The cohorts' revenue adds up to the store's net revenue to the end.
    let revenue: i64 = c.cohorts.iter().flat_map(|c| c.revenue.iter()).sum();
    assert_eq!(revenue, store.stats().unwrap().revenue);
    for cohort in &c.cohorts {
        assert_eq!(cohort.active[0], cohort.customers);
        assert!(cohort.active[1..].iter().all(|&a| a < cohort.customers / 5));
    }
}
