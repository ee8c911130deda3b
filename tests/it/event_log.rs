//! Counts-only event logs (customer and date, no amount): the store knows it holds purchase
//! counts only, recency, frequency and the count models work exactly as on the same purchases
//! with amounts, and every money figure is absent rather than 0.

use retention::clv::{COUNTS_ONLY, FitOptions, ModelKind, TimeUnit, ValueOptions};
use retention::rfm::{Monetary, RfmOptions};
use retention::{Day, IngestOptions, Preset, Store};

use crate::common::{fixture, temp_store};

/// CDNOW's sample as an event log: `customer_id,date`, one row per purchase, no amounts.
fn cdnow_events() -> String {
    let text = std::fs::read_to_string(fixture("cdnow/CDNOW_sample.txt")).unwrap();
    let mut csv = String::from("customer_id,date\n");
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let d = f[2];
        csv.push_str(&format!("{},{}-{}-{}\n", f[0], &d[..4], &d[4..6], &d[6..]));
    }
    csv
}

#[test]
fn an_event_log_fits_the_count_models_and_leaves_money_out() {
    let (_d, money) = temp_store();
    let options = IngestOptions::default().preset(Preset::Cdnow);
    money.ingest_files(&[fixture("cdnow/CDNOW_sample.txt")], &options).unwrap();
    let (dir, counts) = temp_store();
    let r = counts.ingest(cdnow_events().as_bytes(), &IngestOptions::default()).unwrap();
    assert!(r.counts_only && counts.counts_only() && !money.counts_only());
    assert_eq!(r.sources[0].columns.last().unwrap().1, "none: purchase counts only");
    let stats = counts.stats().unwrap();
    assert_eq!((stats.orders, stats.customers, stats.revenue), (money.stats().unwrap().orders, 2_357, 0));
    assert!(stats.counts_only);

    // Recency and frequency are the same purchases' scores; M is not scored.
    let as_of = Some("1997-09-30".parse::<Day>().unwrap());
    let options = RfmOptions::default();
    let (rfm_counts, rfm_money) = (counts.rfm(as_of, &options).unwrap(), money.rfm(as_of, &options).unwrap());
    assert_eq!(rfm_counts.monetary, Monetary::None);
    assert_eq!(rfm_counts.scores.len(), rfm_money.scores.len());
    for (c, m) in rfm_counts.scores.iter().zip(&rfm_money.scores) {
        assert_eq!((c.r, c.f, c.m, c.fm()), (m.r, m.f, 0, c.f));
        assert!(c.cell().ends_with('-'), "{}", c.cell());
    }

    // The count model is the same fit; the spend model and the money are absent.
    let fit = |s: &Store| s.fit_clv(as_of, ModelKind::BgNbd, TimeUnit::Weeks, &FitOptions::default()).unwrap();
    let (model_counts, model_money) = (fit(&counts), fit(&money));
    assert_eq!(model_counts.purchases.model, model_money.purchases.model);
    assert_eq!(model_counts.purchases.diagnostics.log_likelihood, model_money.purchases.diagnostics.log_likelihood);
    assert!(model_counts.spend.is_none() && model_money.spend.is_some());
    assert_eq!(model_counts.spend_error.as_deref(), Some(COUNTS_ONLY));
    let values = counts.clv_values(&model_counts, &ValueOptions::default()).unwrap();
    let with_money = money.clv_values(&model_money, &ValueOptions::default()).unwrap();
    for (c, m) in values.iter().zip(&with_money) {
        assert_eq!((c.p_alive, c.expected_purchases), (m.p_alive, m.expected_purchases));
        assert!(c.clv.is_nan() && c.expected_order_value.is_nan() && m.clv.is_finite());
    }

    // Ranking VIPs needs money: a sentence, not a list ranked by zeros.
    let e = counts.vips(as_of, 0.1, retention::actions::VipBy::Spend, None).unwrap_err().to_string();
    assert!(e.contains("purchase counts only"), "{e}");

    // One store never mixes amounts and counts, either way round; nothing is written.
    let e = counts.ingest("customer_id,date,amount\n1,1998-01-01,5\n".as_bytes(), &IngestOptions::default());
    assert!(e.unwrap_err().to_string().contains("the store holds purchase counts only"));
    let e = money.ingest("customer_id,date\n1,1998-01-01\n".as_bytes(), &IngestOptions::default());
    assert!(e.unwrap_err().to_string().contains("no amount column"));
    assert_eq!(counts.stats().unwrap(), stats);
    // The store remembers it holds counts only.
    let path = counts.path().to_path_buf();
    drop(counts);
    assert!(Store::open(&path).unwrap().counts_only());
    drop(dir);
}
