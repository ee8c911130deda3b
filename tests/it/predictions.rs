//! Predictions over calendar horizons: CLV per period adds up to the total, a horizon means the
//! same in every time unit, and churn-in-window and purchase-count columns agree with each other.

use retention::Day;
use retention::clv::{CalendarUnit, DiscountRate, ModelKind, Periods, Span, TimeUnit, ValueOptions};

use crate::common::generated_store;

fn jan_1_2024() -> Option<Day> {
    Day::from_ymd(2024, 1, 1)
}

#[test]
fn per_period_values_sum_to_the_total() {
    let (_dir, store) = generated_store(3_000, 11);
    let model = store.fit_clv(jan_1_2024(), ModelKind::BgNbd, TimeUnit::Weeks, &Default::default()).unwrap();
    for (periods, horizon, count) in [
        (Periods::Month, Span::months(24), 24),
        (Periods::Quarter, Span::days(400), 5),
        (Periods::Year, Span::months(30), 3),
    ] {
        let options = ValueOptions::default().horizon(horizon).periods(periods);
        let scores = store.clv_scores(&model, &options).unwrap();
        assert_eq!(scores.period_ends.len(), count, "{periods:?}");
        assert_eq!(scores.period_ends.last(), Some(&horizon.end(jan_1_2024().unwrap())));
        assert!(scores.values.iter().any(|v| v.clv > 0.0));
        for (i, v) in scores.values.iter().enumerate() {
            let parts = scores.periods_of(i);
            let sum: f64 = parts.iter().sum();
            assert!(
                (sum - v.clv).abs() <= 1e-9 * v.clv.abs(),
                "{periods:?} customer {i}: {parts:?} sum {sum} vs {}",
                v.clv
            );
            // Later periods of equal length are worth less (discounting, dropout).
            assert!(parts.iter().all(|p| *p >= 0.0), "{parts:?}");
        }
    }
}

/// 12 months from 2024-01-01 is 366 days; so are 1 year and 52 weeks and 2 days; and a model
/// fitted in days gives the CLV of one fitted in weeks.
#[test]
fn a_horizon_means_the_same_in_every_unit() {
    let (_dir, store) = generated_store(3_000, 11);
    let weeks = store.fit_clv(jan_1_2024(), ModelKind::BgNbd, TimeUnit::Weeks, &Default::default()).unwrap();
    let days = store.fit_clv(jan_1_2024(), ModelKind::BgNbd, TimeUnit::Days, &Default::default()).unwrap();
    let clv = |model, horizon: &str| {
        let options = ValueOptions::default().horizon(Span::parse("--horizon", horizon).unwrap());
        store.clv_values(model, &options).unwrap()
    };
    let months = clv(&weeks, "12months");
    assert_eq!(months, clv(&weeks, "366days"));
    assert_eq!(months, clv(&weeks, "1year"));
    assert_ne!(months, clv(&weeks, "365days"));
    let in_days = clv(&days, "12months");
    for (w, d) in months.iter().zip(&in_days) {
        assert!((w.clv - d.clv).abs() <= 1e-5 * w.clv.max(1e-9), "{w:?} vs {d:?}");
        assert!((w.p_no_purchase - d.p_no_purchase).abs() <= 1e-6, "{w:?} vs {d:?}");
    }
    // A discount of 10% a year is one of (1.1^(1/12) − 1) a month, to rounding.
    let monthly = 1.1f64.powf(1.0 / 12.0) - 1.0;
    let per_month = ValueOptions::default().discount(DiscountRate { rate: monthly, per: CalendarUnit::Month });
    let by_month = store.clv_values(&weeks, &per_month).unwrap();
    let total = |v: &[retention::clv::CustomerValue]| v.iter().map(|c| c.clv).sum::<f64>();
    // Not identical: a calendar month is a twelfth of a year only on average.
    assert!((total(&by_month) / total(&months) - 1.0).abs() < 1e-3);
}

/// The window columns agree with the model's functions: no purchase = P(0), expected purchases
/// = the mean of the counts (to the mass beyond 250 purchases), and P(alive) at the window's end never exceeds P(alive) now.
#[test]
fn window_columns_agree_with_the_purchase_counts() {
    let (_dir, store) = generated_store(3_000, 11);
    for kind in [ModelKind::BgNbd, ModelKind::ParetoNbd] {
        let model = store.fit_clv(jan_1_2024(), kind, TimeUnit::Weeks, &Default::default()).unwrap();
        let options = ValueOptions::default().window(Span::days(90)).max_count(250);
        let scores = store.clv_scores(&model, &options).unwrap();
        for (i, v) in scores.values.iter().enumerate() {
            let counts = scores.counts_of(i);
            assert_eq!(counts.len(), 251);
            assert!((counts[0] - v.p_no_purchase).abs() < 1e-12, "{kind:?} {v:?}");
            let mean: f64 = counts.iter().enumerate().map(|(n, p)| n as f64 * p).sum();
            assert!(
                (mean - v.expected_purchases).abs() < 1e-6 * v.expected_purchases.max(1.0),
                "{kind:?} {v:?} {mean}"
            );
            assert!(v.p_alive_at_window_end <= v.p_alive && v.p_alive_at_window_end >= 0.0, "{v:?}");
            assert!((0.0..=1.0).contains(&v.p_no_purchase) && v.discounted_purchases >= 0.0, "{v:?}");
        }
    }
}

/// The discounted purchases over a 100-year horizon, summed month by month at each month's
/// midpoint discount, agree with the Pareto/NBD's closed-form DERT (an unbounded horizon with
/// continuous discounting): two independent routes to the same number.
#[test]
fn discounted_purchases_approach_the_closed_form_dert() {
    let (_dir, store) = generated_store(3_000, 11);
    let model = store.fit_clv(jan_1_2024(), ModelKind::ParetoNbd, TimeUnit::Weeks, &Default::default()).unwrap();
    let retention::clv::CountModel::ParetoNbd(pnbd) = model.purchases.model else { panic!("{model:?}") };
    let daily = 0.0004; // 0.04% a day, about 15.7% a year
    let options = ValueOptions::default()
        .horizon(Span::months(1_200))
        .discount(DiscountRate { rate: daily, per: CalendarUnit::Day });
    let values = store.clv_values(&model, &options).unwrap();
    let summaries = store.summaries(jan_1_2024()).unwrap();
    let delta = 7.0 * f64::ln_1p(daily); // per week, continuous
    for (v, s) in values.iter().zip(&summaries.customers).step_by(7) {
        let as_of = summaries.as_of;
        let closed = pnbd.dert(delta, s.x() as f64, s.t_x() as f64 / 7.0, s.age(as_of) as f64 / 7.0);
        assert!((v.discounted_purchases / closed - 1.0).abs() < 1e-4, "{v:?}: closed form {closed}");
    }
}
