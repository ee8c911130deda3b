//! Pins the lifecycle lists on the six-customer store of the metrics tests, worked out by hand.

use retention::actions::{VipBy, WinBackOptions};
use retention::{Day, Error, ErrorKind, Need};

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
    let options = WinBackOptions::default().min_gaps(1);
    let list = store.win_backs(as_of, &options, None).unwrap();
    assert_eq!(list.len(), 1);
    let b = &list[0];
    assert_eq!(
        (name(b.customer).as_str(), b.reason, b.days_since_last, b.median_gap_days),
        ("B", "overdue", 333, Some(92))
    );
    assert!((b.overdue_factor.unwrap() - 333.0 / 92.0).abs() < 1e-12);
    // With a factor of 0.5, D (91 / 153 = 0.59) joins, after B (listed most overdue first).
    let options = WinBackOptions::default().min_gaps(1).factor(0.5);
    let names: Vec<String> = store.win_backs(as_of, &options, None).unwrap().iter().map(|w| name(w.customer)).collect();
    assert_eq!(names, ["B", "D"]);
    // P(alive) needs a stored model, and says so.
    let options = WinBackOptions::default().p_alive_below(0.3);
    let err = store.win_backs(as_of, &options, None).unwrap_err();
    assert!(
        matches!(&err, Error::Needs { by, need: Need::ClvModel } if by == "WinBackOptions::p_alive_below"),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Missing);

    // VIPs: net spend A 100, B 75, C 15, D 120 (180 less a 60 return), E 130; the top 40% of five
    // customers are two: E, then D.
    let vips = store.vips(as_of, 0.4, VipBy::Spend, None).unwrap();
    let top: Vec<(String, u64, i64)> = vips.iter().map(|v| (name(v.customer), v.rank, v.spend)).collect();
    assert_eq!(top, [("E".to_string(), 1, 13_000), ("D".to_string(), 2, 12_000)]);
    // Within a group (A and C): A.
    let members = [true, false, true, false, false, false];
    let vips = store.vips(as_of, 0.5, VipBy::Spend, Some(&members)).unwrap();
    assert_eq!(vips.iter().map(|v| name(v.customer)).collect::<Vec<_>>(), ["A"]);
    assert_eq!(store.vips(as_of, 0.0, VipBy::Spend, None).unwrap_err().parameter(), Some("Store::vips(share)"));
}

/// 1 point per 1.00 (floor), points expire after 365 days, 50 points buy 1.00; tiers by
/// trailing-12-month net spend: Silver from 100.00, Gold from 125.00.
const PROGRAMME: &str = r#"points_per_unit = 1
expiry_days = 365
tier_basis = "trailing_12_months"
[[reward]]
points = 50
value = "1.00"
[[tier]]
name = "Silver"
min_spend = "100.00"
benefits = ["free shipping"]
[[tier]]
name = "Gold"
min_spend = "125.00"
"#;

#[test]
fn loyalty_accounts_by_hand() {
    use retention::actions::Programme;
    let (_dir, store) = temp_store();
    ingest_str(&store, SIX).unwrap();
    let programme = Programme::parse(PROGRAMME, "loyalty.toml", &store.currency()).unwrap();
    let (accounts, totals) = store.loyalty(&programme, day(2023, 12, 31)).unwrap();
    let row = |name: &str| {
        let a = accounts.iter().find(|a| store.customer_by_id(a.customer, None).unwrap().unwrap().external_id == name);
        let a = a.unwrap();
        (a.earned, a.deducted, a.expired, a.balance, a.rewards, a.reward_value, a.tier_spend, a.tier, a.to_next_tier)
    };
    // A: 10 (2022-06-01, expired), 20, 30, 40 → 90 left, one reward; 2023 spend 90.00, 10.00 short of Silver.
    assert_eq!(row("A"), (100, 0, 10, 90, 1, 100, 9_000, None, Some(1_000)));
    // B: 50 from 2022-11-01 expired, 25 left.
    assert_eq!(row("B"), (75, 0, 50, 25, 0, 0, 2_500, None, Some(7_500)));
    // C: 15 from 2022-12-15, expired.
    assert_eq!(row("C"), (15, 0, 15, 0, 0, 0, 0, None, Some(10_000)));
    // D: 100 + 20 + 60, the 60.00 return takes the newest 60 back; 120.00 net: Silver, 5.00 to Gold.
    assert_eq!(row("D"), (180, 60, 0, 120, 2, 200, 12_000, Some(0), Some(500)));
    // E: 30 and 30 from 2022 expired, 70 from 2023-12-30; trailing spend 70.00.
    assert_eq!(row("E"), (130, 0, 60, 70, 1, 100, 7_000, None, Some(3_000)));
    assert_eq!(accounts.len(), 5); // F buys after the day
    assert_eq!(
        (totals.members, totals.points_outstanding, totals.liability, totals.per_tier.clone()),
        (5, 305, 400, vec![1, 0])
    );
}

#[test]
fn about_to_lapse_by_hand() {
    use retention::actions::Programme;
    let (_dir, store) = temp_store();
    ingest_str(&store, SIX).unwrap();
    let programme = Programme::parse(PROGRAMME, "loyalty.toml", &store.currency()).unwrap();
    // D is Silver on 120.00 of trailing spend. Both orders of 2023-05-01 (100 + 20) leave the
    // window together on 2024-04-30, 121 days on; what remains is 60 − 60 = 0.00, so keeping
    // Silver (100.00) takes 100.00 of new spend by then.
    let as_of = day(2023, 12, 31);
    assert!(store.tier_lapses(&programme, as_of, 120, None).unwrap().is_empty());
    let lapses = store.tier_lapses(&programme, as_of, 121, None).unwrap();
    assert_eq!(lapses.len(), 1);
    let d = &lapses[0];
    assert_eq!(
        (d.tier, d.tier_spend, d.lapses_on, d.to_keep),
        (0, 12_000, Day::from_ymd(2024, 4, 30).unwrap(), 10_000)
    );
    // D is id 3: a group without D has nobody about to lapse.
    let without_d = [true, true, true, false, true, true];
    assert!(store.tier_lapses(&programme, as_of, 121, Some(&without_d)).unwrap().is_empty());
    let lifetime = Programme::parse("points_per_unit = 1\n", "l.toml", &store.currency()).unwrap();
    assert_eq!(store.tier_lapses(&lifetime, as_of, 30, None).unwrap_err().parameter(), Some("Programme::tier_basis"));
}
