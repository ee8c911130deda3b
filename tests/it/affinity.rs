//! Category affinity and cross-sell on a six-customer store whose figures are worked out by hand.

use retention::actions::CrossSellOptions;
use retention::metrics::Affinity;
use retention::{Day, Store};

use crate::common::{ingest_str, temp_store};

/// As of 2024-01-31 (F's books order on 2024-02-01 does not count). Bought (positive net spend in a
/// named category): A {books, music}, B {books, music, games} (one order, three lines), C {books},
/// D {music} (games returned in full), E {toys} (plus spend without a category), F {games}.
pub const BASKETS: &str = "customer_id,order_id,timestamp,amount,category
A,1,2024-01-01,10.00,books
B,3,2024-01-02,10.00,books
B,3,2024-01-02,5.00,music
B,3,2024-01-02,5.00,games
A,2,2024-01-05,20.00,music
C,4,2024-01-03,15.00,books
D,5,2024-01-04,20.00,music
D,6,2024-01-04,30.00,games
D,7,2024-01-06,-30.00,games
E,8,2024-01-02,12.00,toys
E,9,2024-01-03,8.00,
F,10,2024-01-05,40.00,games
F,11,2024-02-01,50.00,books
";

fn as_of() -> Option<Day> {
    Day::from_ymd(2024, 1, 31)
}

fn store() -> (tempfile::TempDir, Store) {
    let (dir, store) = temp_store();
    ingest_str(&store, BASKETS).unwrap();
    (dir, store)
}

fn id(affinity: &Affinity, name: &str) -> u32 {
    affinity.categories.iter().find(|c| c.name == name).unwrap().category
}

#[test]
fn affinity_by_hand() {
    let (_dir, store) = store();
    let a = store.category_affinity(as_of(), 1, None).unwrap();
    assert_eq!(a.customers, 6);
    let figures = |name: &str| {
        let c = a.categories.iter().find(|c| c.name == name).unwrap();
        (c.customers, c.revenue)
    };
    // Revenue: books 10 + 10 + 15; music 20 + 5 + 20; games 5 + 30 − 30 + 40; toys 12; none 8.
    assert_eq!(figures("books"), (3, 3_500));
    assert_eq!(figures("music"), (3, 4_500));
    assert_eq!(figures("games"), (2, 4_500));
    assert_eq!(figures("toys"), (1, 1_200));
    assert_eq!(figures("(uncategorised)"), (1, 800));
    let books = a.categories.iter().find(|c| c.name == "books").unwrap();
    assert!((books.revenue_share - 35.0 / 145.0).abs() < 1e-15);

    // Pairs: books & music (A, B), books & games (B), music & games (B); toys with nothing.
    assert_eq!(a.pairs.len(), 3);
    let top = &a.pairs[0];
    assert_eq!((a.name(top.a), a.name(top.b)), ("books", "music"));
    assert_eq!(top.customers, 2);
    assert!((top.support - 2.0 / 6.0).abs() < 1e-15);
    assert!((top.confidence_ab - 2.0 / 3.0).abs() < 1e-15);
    assert!((top.confidence_ba - 2.0 / 3.0).abs() < 1e-15);
    assert!((top.lift - 2.0 * 6.0 / (3.0 * 3.0)).abs() < 1e-15);
    let games = id(&a, "games");
    for p in &a.pairs[1..] {
        // 1 customer of 6, against 3/6 × 2/6: independent.
        assert_eq!((p.customers, p.lift), (1, 1.0));
        assert!(p.a == games || p.b == games);
        let conf_from_games = if p.a == games { p.confidence_ab } else { p.confidence_ba };
        assert_eq!(conf_from_games, 0.5);
    }

    // A support floor keeps only the pair two customers share.
    let strict = store.category_affinity(as_of(), 2, None).unwrap();
    assert_eq!(strict.pairs.len(), 1);
    // Orders after the as-of day count once it moves: F's books on 2024-02-01.
    let later = store.category_affinity(Day::from_ymd(2024, 2, 1), 1, None).unwrap();
    let books_games = later.pairs.iter().find(|p| p.a.min(p.b) == id(&a, "books") && p.a.max(p.b) == games);
    assert_eq!(books_games.map(|p| p.customers), Some(2));
    // Restricted to A and C (ids 0 and 2): books 2 customers, music 1, one pair.
    let members = [true, false, true, false, false, false];
    let sub = store.category_affinity(as_of(), 1, Some(&members)).unwrap();
    assert_eq!(sub.customers, 2);
    assert_eq!(sub.pairs.len(), 1);
    assert_eq!(sub.pairs[0].lift, 1.0); // 1 × 2 / (2 × 1)
}

#[test]
fn shares_by_hand() {
    let (_dir, store) = store();
    let shares = store.category_shares(as_of(), None).unwrap();
    let names = store.category_affinity(as_of(), 1, None).unwrap();
    assert_eq!(shares.len(), 6);
    let b = &shares[1];
    assert_eq!(b.spend, 2_000);
    let got: Vec<(&str, i64, f64)> = b.categories.iter().map(|c| (names.name(c.category), c.spend, c.share)).collect();
    // Equal spend: lower category id (first seen) first.
    assert_eq!(got, [("books", 1_000, 0.5), ("music", 500, 0.25), ("games", 500, 0.25)]);
    // D returned the games in full: all their spend is music.
    let d = &shares[3];
    assert_eq!(
        (d.spend, d.categories.len(), names.name(d.categories[0].category), d.categories[0].share),
        (2_000, 1, "music", 1.0)
    );
    // E: toys 12 of 20, the rest without a category.
    let e: Vec<(&str, f64)> = shares[4].categories.iter().map(|c| (names.name(c.category), c.share)).collect();
    assert_eq!(e, [("toys", 0.6), ("(uncategorised)", 0.4)]);
}

#[test]
fn cross_sell_by_hand() {
    let (_dir, store) = store();
    let a = store.category_affinity(as_of(), 1, None).unwrap();
    let name = |id| a.name(id).to_string();
    let offers = |o: &CrossSellOptions, members: Option<&[bool]>| {
        store
            .cross_sell(&a, o, members)
            .unwrap()
            .into_iter()
            .map(|x| (x.customer.get(), x.rank, name(x.category), name(x.because)))
            .collect::<Vec<_>>()
    };
    // Only rules with lift above 1: books ↔ music (4/3). C gets music, D gets books.
    let base = CrossSellOptions::default().min_customers(1);
    let s = |x: &str| x.to_string();
    assert_eq!(offers(&base, None), [(2, 1, s("music"), s("books")), (3, 1, s("books"), s("music"))]);
    let list = store.cross_sell(&a, &base, None).unwrap();
    assert!((list[0].lift - 4.0 / 3.0).abs() < 1e-15);
    assert!((list[0].confidence - 2.0 / 3.0).abs() < 1e-15);
    assert_eq!(list[0].customers_both, 2);

    // Down to lift 1 (independent rules too): games reaches A and C but not D, who bought games
    // and returned them; F (games) gets books and music at equal lift and confidence 1/2, lower
    // category id first.
    let loose = base.min_lift(0.5);
    let got = offers(&loose, None);
    assert_eq!(
        got,
        [
            (0, 1, s("games"), s("books")),
            (2, 1, s("music"), s("books")),
            (2, 2, s("games"), s("books")),
            (3, 1, s("books"), s("music")),
            (5, 1, s("books"), s("games")),
            (5, 2, s("music"), s("games")),
        ]
    );
    // One offer each, and only for D.
    let members = [false, false, false, true, false, false];
    assert_eq!(offers(&loose.top(1), Some(&members)), [(3, 1, s("books"), s("music"))]);
    // The support floor is the default guard against noise: no rule has 20 customers here.
    assert!(store.cross_sell(&a, &CrossSellOptions::default(), None).unwrap().is_empty());
    assert_eq!(store.cross_sell(&a, &base.top(0), None).unwrap_err().parameter(), Some("CrossSellOptions::top"));
}

/// More categories than the dense triangle holds: pairs are counted in a map, with the same result.
#[test]
fn many_categories_use_the_sparse_counts() {
    let (_dir, store) = temp_store();
    let mut csv = String::from("customer_id,order_id,timestamp,amount,category\n");
    // Customer i buys categories i and i + 1 (of 1,101); customer "both" buys 0 and 1100.
    for i in 0..1_100 {
        csv.push_str(&format!("c{i},{},2024-01-01,1.00,k{i}\nc{i},{},2024-01-02,1.00,k{}\n", 2 * i, 2 * i + 1, i + 1));
    }
    csv.push_str("both,9000,2024-01-01,1.00,k0\nboth,9001,2024-01-01,1.00,k1100\n");
    ingest_str(&store, &csv).unwrap();
    let a = store.category_affinity(None, 1, None).unwrap();
    assert_eq!(a.categories.len(), 1_101);
    assert_eq!(a.customers, 1_101);
    assert_eq!(a.pairs.len(), 1_101);
    let ends = a.pairs.iter().find(|p| (a.name(p.a), a.name(p.b)) == ("k0", "k1100")).unwrap();
    // k0: c0 and both; k1100: c1099 and both; together: both. Lift 1 × 1101 / (2 × 2).
    assert_eq!(ends.customers, 1);
    assert!((ends.lift - 1_101.0 / 4.0).abs() < 1e-12);
    assert_eq!(store.category_figures(None, None).unwrap(), a.categories);
}
