//! RFM scores and segments end to end: a hand-computed ten-customer shop, and the CDNOW data set's
//! segment report adding up to the store totals.

use retention::rfm::{Clusters, RfmOptions, SegmentReport, Segments};
use retention::{Day, IngestOptions, Preset};

use crate::common::{fixture, ingest_str, temp_store};

/// Customer i: last purchase 10·i days before 2024-12-31, `freq` orders 5 days apart, `total` dollars.
const SHOP: [(u32, i64); 10] =
    [(5, 500), (1, 10), (2, 60), (1, 20), (3, 90), (1, 30), (2, 40), (1, 15), (4, 200), (1, 5)];

#[test]
fn ten_customers_score_as_computed_by_hand() {
    let (_d, store) = temp_store();
    let as_of: Day = "2024-12-31".parse().unwrap();
    let mut csv = String::from("customer_id,order_id,timestamp,amount\n");
    for (i, &(freq, total)) in SHOP.iter().enumerate() {
        for j in 0..freq {
            let day = as_of.add_days(-(10 * i as i32) - 5 * j as i32);
            csv.push_str(&format!("c{i},c{i}-{j},{day},{}\n", total / i64::from(freq)));
        }
    }
    ingest_str(&store, &csv).unwrap();
    let rfm = store.rfm(Some(as_of), &RfmOptions::default()).unwrap();
    let segments = Segments::default();

    // With N = 10 and 5 bins a score is 1 + ⌊L/2⌋, L = customers with a strictly worse value.
    // R: recency 0..90 all distinct, L = 9 - i. F: five 1s (L 0), two 2s (L 5), 3 (L 7), 4 (L 8),
    // 5 (L 9). M: ranks of 500 10 60 20 90 30 40 15 200 5.
    let expected = [
        ("555", 5, "Champions"),
        ("511", 1, "New Customers"),
        ("434", 3, "Potential Loyalists"),
        ("412", 1, "Promising"),
        ("344", 4, "Loyal Customers"),
        ("313", 2, "About to Sleep"),
        ("233", 3, "At Risk"),
        ("212", 1, "Hibernating"),
        ("155", 5, "Can't Lose Them"),
        ("111", 1, "Lost"),
    ];
    assert_eq!(rfm.scores.len(), 10);
    for (i, (s, (cell, fm, segment))) in rfm.scores.iter().zip(expected).enumerate() {
        assert_eq!(s.recency, 10 * i as u32);
        assert_eq!((s.cell().as_str(), s.fm(), segments.name(segments.of(s, rfm.bins))), (cell, fm, segment), "c{i}");
    }

    let report = SegmentReport::new(&rfm, &segments);
    assert_eq!((report.total.customers, report.total.revenue), (10, 97_000));
    // ⌈1% of 10⌉ = ⌈10% of 10⌉ = 1 customer: c0 with 500.00 over 5 orders.
    let c = &report.concentration;
    assert_eq!((c.top_1.customers, c.top_1.revenue, c.top_10.revenue), (1, 50_000, 50_000));
    assert_eq!((c.rest_90.customers, c.rest_90.revenue, c.rest_90.orders), (9, 47_000, 16));
    let ratio = (50_000.0 / 5.0) / (47_000.0 / 16.0);
    assert!((c.top_10_order_value_ratio() - ratio).abs() < 1e-12);
}

#[test]
fn cdnow_segment_report_adds_up_to_the_store_totals() {
    let (_d, store) = temp_store();
    let options = IngestOptions::default().preset(Preset::Cdnow);
    store.ingest_files(&[fixture("cdnow/CDNOW_master.txt")], &options).unwrap();
    let as_of: Day = "1998-06-30".parse().unwrap();
    let stats = store.stats().unwrap();

    for bins in [3, 4, 5, 10] {
        let rfm = store.rfm(Some(as_of), &RfmOptions::default().bins(bins)).unwrap();
        assert_eq!(rfm.scores.len(), 23_570);
        assert!(rfm.scores.iter().all(|s| (1..=bins).contains(&s.r) && (1..=bins).contains(&s.m)));
        let report = SegmentReport::new(&rfm, &Segments::default());
        let customers: u64 = report.segments.iter().map(|s| s.group.customers).sum();
        let revenue: i64 = report.segments.iter().map(|s| s.group.revenue).sum();
        let orders: u64 = report.segments.iter().map(|s| s.group.orders).sum();
        assert_eq!((customers, report.total.customers), (23_570, 23_570));
        assert_eq!((revenue, report.total.revenue), (stats.revenue, stats.revenue));
        assert_eq!(orders, stats.orders);
        let shares: f64 = report.segments.iter().map(|s| s.group.revenue_share).sum();
        assert!((shares - 1.0).abs() < 1e-9, "{shares}");
        let c = &report.concentration;
        assert_eq!((c.top_1.customers, c.top_10.customers), (236, 2_357));
        assert_eq!(c.top_10.revenue + c.rest_90.revenue, stats.revenue);
        assert_eq!(c.top_1.revenue + c.rest_99.revenue, stats.revenue);
        // The top customers by spend are at least as valuable per head as any other group.
        assert!(c.top_1.revenue as f64 / 236.0 >= c.top_10.revenue as f64 / 2_357.0);
    }
}

#[test]
fn cdnow_clusters_are_reproducible_and_cover_everyone() {
    let (_d, store) = temp_store();
    let options = IngestOptions::default().preset(Preset::Cdnow);
    store.ingest_files(&[fixture("cdnow/CDNOW_master.txt")], &options).unwrap();
    let rfm = store.rfm(Some("1998-06-30".parse().unwrap()), &RfmOptions::default()).unwrap();

    let fit = Clusters::fit(&rfm, Some(4), 42).unwrap();
    assert_eq!(fit, Clusters::fit(&rfm, Some(4), 42).unwrap(), "a seed must give the same clusters");
    assert!(fit.converged);
    assert_eq!(fit.assignment.len(), 23_570);
    let sizes: Vec<u64> = fit.clusters.iter().map(|c| c.customers).collect();
    assert_eq!(sizes.iter().sum::<u64>(), 23_570);
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "largest first: {sizes:?}");
    for (i, c) in fit.clusters.iter().enumerate() {
        let members = fit.assignment.iter().filter(|&&a| usize::from(a) == i).count() as u64;
        assert_eq!(members, c.customers);
        // A centre in original units lies within the range of the data.
        assert!(c.centre[0] >= 0.0 && c.centre[0] <= 547.0 && c.centre[1] >= 1.0, "{c:?}");
    }

    let auto = Clusters::fit(&rfm, None, 42).unwrap();
    let tried = auto.silhouettes.as_ref().unwrap();
    assert_eq!(tried.iter().map(|t| t.0).collect::<Vec<_>>(), (2..=10).collect::<Vec<_>>());
    let best = tried.iter().map(|t| t.1).fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(tried.iter().find(|t| t.1 == best).map(|t| t.0), Some(auto.k));
}

#[test]
fn saved_scores_match_a_fresh_scoring_until_the_data_changes() {
    let (_d, store) = temp_store();
    let options = IngestOptions::default().preset(Preset::Cdnow);
    store.ingest_files(&[fixture("cdnow/CDNOW_sample.txt")], &options).unwrap();
    assert!(store.saved_scores().unwrap().is_none());
    let as_of: Day = "1997-09-30".parse().unwrap();
    let rfm = store.rfm(Some(as_of), &RfmOptions::default()).unwrap();
    let segments = Segments::default();
    store.save_scores(&rfm, &segments).unwrap();

    let saved = store.saved_scores().unwrap().unwrap();
    assert_eq!((saved.as_of, saved.bins, saved.customers, saved.stale), (as_of, 5, rfm.scores.len() as u64, false));
    for s in &rfm.scores {
        let got = store.saved_score(s.customer).unwrap().unwrap();
        assert_eq!((got.r, got.f, got.m), (s.r, s.f, s.m));
        assert_eq!(got.segment, segments.name(segments.of(s, 5)));
    }
    // Every CDNOW customer's first purchase is in the first quarter of 1997: all were scored.
    assert_eq!(saved.customers, 2_357);

    // Re-ingesting the same file changes nothing, so the scores stay fresh; a new order does not.
    store.ingest_files(&[fixture("cdnow/CDNOW_sample.txt")], &options).unwrap();
    assert!(!store.saved_scores().unwrap().unwrap().stale);
    store.ingest("00001 00001 19980701 1 9.99\n".as_bytes(), &options).unwrap();
    assert!(store.saved_scores().unwrap().unwrap().stale);
    assert!(store.saved_score(rfm.scores[0].customer).unwrap().unwrap().saved.stale);
}
