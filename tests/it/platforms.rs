//! Platform exports read by the platform rules with no flags beyond the store's currency: the
//! fixtures under `tests/fixtures/exports/` are written from the layouts in their LAYOUTS.md,
//! each with the quirks a real export has, and every expected figure below is worked out by hand
//! from the rules in the README ("From your shop's export").

use std::path::PathBuf;

use retention::{Currency, Day, IngestOptions, IngestReport, Store, StoreOptions};

use crate::common::{by_name, fixture};

/// A new store in `currency` (a bare ISO code, so JPY gets no decimals).
fn store_in(currency: &str) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions::default().currency(currency.parse::<Currency>().unwrap());
    let store = Store::open_with(dir.path().join("store"), &options).unwrap();
    (dir, store)
}

fn ingest(store: &Store, files: &[&str]) -> IngestReport {
    let paths: Vec<PathBuf> = files.iter().map(|f| fixture(&format!("exports/{f}"))).collect();
    store.ingest_files(&paths, &IngestOptions::default()).unwrap()
}

/// Per customer: orders, first and last order day, net revenue in minor units.
fn per_customer(store: &Store) -> Vec<(String, u32, Day, Day, i64)> {
    by_name(store, None).into_iter().map(|(n, s)| (n, s.orders, s.first_purchase, s.last_purchase, s.spend)).collect()
}

fn row(name: &str, orders: u32, first: &str, last: &str, net: i64) -> (String, u32, Day, Day, i64) {
    (name.to_string(), orders, first.parse().unwrap(), last.parse().unwrap(), net)
}

fn excluded(r: &IngestReport) -> Vec<(&str, u64)> {
    r.orders_excluded.iter().map(|(k, v)| (k.as_str(), *v)).collect()
}

/// WooCommerce through WebToffee's exporter (one row per order, items packed in `line_item_N`,
/// refunds only inside `refund_items`): guests (`customer_id` 0) are their billing e-mail, a
/// registered customer is their id; failed, cancelled, pending and draft orders are excluded; a
/// later export (every field quoted, as the older bulk exporter writes) upserts in place.
#[test]
fn woocommerce_orders_by_the_platform_rules() {
    let (_d, store) = store_in("USD");
    let r = ingest(&store, &["woocommerce/order_export_2025-04-05.csv"]);
    assert_eq!((r.sources[0].layout.as_str(), r.sources[0].detected), ("woocommerce", true));
    assert_eq!(
        excluded(&r),
        [("cancelled", 1), ("failed payment", 1), ("other currency", 1), ("unfinished checkout", 2)]
    );
    assert_eq!((r.orders_unattributed, r.other_currencies.get("EUR")), (1, Some(&1)));
    assert_eq!(r.unattributed_examples[0].value.as_deref(), Some("108"));
    // carol (pending, draft) and dan (a euro order) bought nothing: no customer is created.
    assert_eq!((r.customers_new, store.stats().unwrap().customers), (2, 2));
    assert_eq!(
        per_customer(&store),
        [
            // 49.90; refunded in full (net 0, still an order); 61.30. Ann@X.com is customer 12.
            row("12", 3, "2025-01-05", "2025-04-02", 11_120),
            // 20.00 − 5.00 refunded; on hold (awaiting payment) 12.50; 10.00 − 1.00 − 2.50.
            row("bob@y.com", 3, "2025-01-20", "2025-04-01", 3_400),
        ]
    );
    // The order total is shared over the SKUs by line value (30.00 : 15.00 of 49.90).
    let ann = store.customer("12").unwrap().unwrap();
    let first = &ann.orders[0];
    let lines: Vec<i64> = first.lines.iter().map(|l| l.amount).collect();
    assert_eq!((first.amount, lines.iter().sum::<i64>()), (4_990, 4_990));
    assert_eq!(lines.len(), 2);

    // A month later: 102 refunded a further 2.00, 107 refunded in full, 112 cancelled, 113 new.
    let later = "woocommerce/order_export_2025-04-15.csv";
    let r = ingest(&store, &[later]);
    assert_eq!((r.orders_updated, r.orders_removed, r.orders_new), (2, 1, 1));
    let (_d2, fresh) = store_in("USD");
    ingest(&fresh, &[later]);
    assert_eq!(by_name(&store, None), by_name(&fresh, None));
    assert_eq!(store.stats().unwrap(), fresh.stats().unwrap());
    assert_eq!(
        per_customer(&store),
        [
            row("12", 2, "2025-01-05", "2025-03-10", 4_990),
            row("bob@y.com", 3, "2025-01-20", "2025-04-01", 1_950),
            row("erin@v.com", 1, "2025-04-12", "2025-04-12", 2_500),
        ]
    );
}

/// The other two WooCommerce exporters: algolplus (one row per product, the order's totals
/// repeated on each, status labels, CRLF) and SkyVerge (items packed with `;`, `refunded_total`).
#[test]
fn woocommerce_plugin_layouts() {
    let (_d, store) = store_in("USD");
    let r = ingest(&store, &["woocommerce/advanced_order_export.csv"]);
    assert_eq!(r.sources[0].layout, "woocommerce");
    assert_eq!(excluded(&r), [("failed payment", 1), ("unfinished checkout", 1)]);
    assert_eq!(
        per_customer(&store),
        [
            // 36 (two rows, one order), 25.5 − 5 refunded, 18 refunded in full.
            row("fay@u.com", 3, "2025-05-01", "2025-05-07", 5_650),
            row("gus@t.com", 1, "2025-05-06", "2025-05-06", 999),
        ]
    );
    let (_d, store) = store_in("GBP");
    let r = ingest(&store, &["woocommerce/customer_order_export.csv"]);
    assert_eq!(excluded(&r), [("cancelled", 1)]);
    assert_eq!(
        per_customer(&store),
        [row("7", 2, "2025-06-01", "2025-06-09", 5_100), row("ivy@r.com", 1, "2025-06-10", "2025-06-10", 1_500)]
    );
    // The same file into a dollar store: every order is in another currency, none is stored.
    let (_d, usd) = store_in("USD");
    let r = ingest(&usd, &["woocommerce/customer_order_export.csv"]);
    assert_eq!((r.other_currencies.get("GBP"), usd.stats().unwrap().customers), (Some(&3), 0));
}

/// Stripe's payments export: one payment is one order; the customer is `Customer ID`, else the
/// e-mail; `Amount` − `Amount Refunded`; failed, incomplete and cancelled payments excluded; the
/// UTC day as written. The older `Created (UTC)` layout of a yen account: amounts are whole yen.
#[test]
fn stripe_payments_by_the_platform_rules() {
    let (_d, store) = store_in("USD");
    let r = ingest(&store, &["stripe/unified_payments.csv"]);
    assert_eq!((r.sources[0].layout.as_str(), r.sources[0].detected), ("stripe", true));
    assert_eq!(
        excluded(&r),
        [("cancelled", 1), ("failed payment", 1), ("other currency", 1), ("unfinished checkout", 1)]
    );
    assert_eq!(r.orders_unattributed, 1);
    assert_eq!(
        per_customer(&store),
        [
            row("cus_Pa1", 2, "2025-10-25", "2025-10-26", 4_234),
            // Refunded in full (0) and 7.00 at 23:59:59 UTC on New Year's Eve.
            row("cus_Pb2", 2, "2025-11-01", "2025-12-31", 700),
            row("dee@x.com", 1, "2025-10-28", "2025-10-28", 500),
        ]
    );
    let (_d, yen) = store_in("JPY");
    let r = ingest(&yen, &["stripe/payments_2019_jpy.csv"]);
    assert_eq!(excluded(&r), [("test order", 1)]);
    assert_eq!(
        per_customer(&yen),
        [row("cus_J1", 2, "2019-02-03", "2019-03-04", 3_500), row("mei@j.jp", 1, "2019-04-01", "2019-04-01", 980)]
    );
}

/// Etsy's sold orders (US and UK English headers): `MM/DD/YY` dates, the buyer's user id (empty
/// for a guest: unattributed), `Order Total` or the adjusted total after a refund; the items
/// export is refused with the file to use instead.
#[test]
fn etsy_sold_orders_by_the_platform_rules() {
    let (_d, store) = store_in("USD");
    let r = ingest(&store, &["etsy/EtsySoldOrders2025.csv", "etsy/EtsySoldOrders2020_uk.csv"]);
    assert!(r.sources.iter().all(|s| s.layout == "etsy" && s.detected));
    assert_eq!((excluded(&r), r.orders_unattributed), (vec![("cancelled", 1)], 1));
    assert_eq!(
        per_customer(&store),
        [
            row("annsmith", 2, "2024-12-30", "2025-10-04", 3_520),
            // Adjusted to 30.00 after a partial refund; refunded in full (0).
            row("bobshop", 2, "2025-07-15", "2025-09-30", 3_000),
            row("tomuk", 2, "2020-11-01", "2020-11-02", 3_049),
        ]
    );
    let (_d, other) = store_in("USD");
    let e = other
        .ingest_files(&[fixture("exports/etsy/EtsySoldOrderItems2025.csv")], &IngestOptions::default())
        .unwrap_err();
    assert!(e.to_string().contains("EtsySoldOrders"), "{e}");
}

/// Orders in another currency are left out unless the user passes rates: then each is converted
/// at its day's rate (or the latest before it), exactly, in the other currency's own minor unit
/// (yen have none) and rounded half away from zero to the store's.
#[test]
fn other_currencies_convert_at_the_rates_given() {
    let rates = std::sync::Arc::new(retention::FxRates::from_path(&fixture("exports/fx_rates.csv")).unwrap());
    let options = IngestOptions::default().fx(rates);
    let ingest_fx =
        |store: &Store, file: &str| store.ingest_files(&[fixture(&format!("exports/{file}"))], &options).unwrap();
    let (_d, woo) = store_in("USD");
    let r = ingest_fx(&woo, "woocommerce/order_export_2025-04-05.csv");
    assert_eq!((r.orders_converted.get("EUR"), r.other_currencies.len()), (Some(&1), 0));
    assert!(!r.orders_excluded.contains_key("other currency"));
    // €40.00 on Monday 17 March at Friday's 1.0850.
    assert_eq!(per_customer(&woo)[2], row("dan@w.com", 1, "2025-03-17", "2025-03-17", 4_340));

    let (_d, stripe) = store_in("USD");
    ingest_fx(&stripe, "stripe/unified_payments.csv");
    // €30.00 on 3 November at that day's 1.15: $34.50 besides the refunded payment and $7.00.
    assert_eq!(per_customer(&stripe)[1], row("cus_Pb2", 3, "2025-11-01", "2025-12-31", 4_150));

    // Yen into a dollar store: ¥1,500 and ¥2,000 at 0.0091 are $13.65 and $18.20; ¥980 is $8.918.
    let (_d, yen) = store_in("USD");
    let r = ingest_fx(&yen, "stripe/payments_2019_jpy.csv");
    assert_eq!(r.orders_converted.get("JPY"), Some(&3));
    assert_eq!(
        per_customer(&yen),
        [row("cus_J1", 2, "2019-02-03", "2019-03-04", 3_185), row("mei@j.jp", 1, "2019-04-01", "2019-04-01", 892)]
    );
}

/// An excluded order counts under its reason whether or not it names a customer; only an order
/// that would count and names no one is unattributed. A decimal-comma amount (a German or French
/// dashboard's `"12,34"`) is read as the amount it is.
#[test]
fn exclusions_come_before_attribution() {
    let text = std::fs::read_to_string(fixture("exports/stripe/unified_payments.csv")).unwrap();
    let header = text.lines().next().unwrap().trim_start_matches('\u{feff}');
    let names: Vec<&str> = header.split(',').collect();
    let payment = |cells: &[(&str, &str)]| {
        let mut row = vec![""; names.len()];
        for (name, value) in cells {
            row[names.iter().position(|n| n == name).unwrap()] = value;
        }
        row.iter()
            .map(|v| if v.contains(',') { format!("\"{v}\"") } else { v.to_string() })
            .collect::<Vec<_>>()
            .join(",")
    };
    let base = [("Created date (UTC)", "2025-10-01 10:00:00"), ("Amount Refunded", "0")];
    let rows = [
        payment(
            &[&base[..], &[("id", "ch_1"), ("Amount", "5.00"), ("Currency", "usd"), ("Status", "Failed")]].concat(),
        ),
        payment(&[&base[..], &[("id", "ch_2"), ("Amount", "5.00"), ("Currency", "eur"), ("Status", "Paid")]].concat()),
        payment(&[&base[..], &[("id", "ch_3"), ("Amount", "5.00"), ("Currency", "usd"), ("Status", "Paid")]].concat()),
        payment(
            &[
                &base[..],
                &[
                    ("id", "ch_4"),
                    ("Amount", "12,34"),
                    ("Currency", "usd"),
                    ("Status", "Paid"),
                    ("Customer ID", "cus_1"),
                ],
            ]
            .concat(),
        ),
    ];
    let (_d, store) = store_in("USD");
    let csv = format!("{header}\n{}\n", rows.join("\n"));
    let r = store.ingest(csv.as_bytes(), &IngestOptions::default()).unwrap();
    assert_eq!(excluded(&r), [("failed payment", 1), ("other currency", 1)]);
    assert_eq!((r.other_currencies.get("EUR"), r.orders_unattributed), (Some(&1), 1));
    assert_eq!(r.unattributed_examples[0].value.as_deref(), Some("ch_3"));
    assert_eq!(per_customer(&store), [row("cus_1", 1, "2025-10-01", "2025-10-01", 1_234)]);
}

/// `rejects` lists the unattributed orders, once each, without skipping invalid rows.
#[test]
fn unattributed_orders_go_to_the_rejects_file() {
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.csv");
    let (_d, store) = store_in("USD");
    let options = IngestOptions::default().rejects(rejects.clone());
    let r = store.ingest_files(&[fixture("exports/woocommerce/order_export_2025-04-05.csv")], &options).unwrap();
    assert_eq!(r.orders_unattributed, 1);
    let text = std::fs::read_to_string(&rejects).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[1].contains(",9,1 (order_id),\"order 108 has no customer id and no e-mail"), "{text}");
}
