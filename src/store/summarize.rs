//! One customer's record → its [`Summary`] as of a day: the per-customer statistics every
//! analysis reads, computed in one pass over the record's (day, amount) column. Here, in the
//! store, because it reads the record's encoding; `summary` only defines the types.

use crate::day::Day;
use crate::store::codec::record::RecordView;
use crate::store::codec::varint::DecodeResult;
use crate::summary::{CustomerId, Summary};

/// What a scan of one record yields: its summary (if it has a purchase by `as_of`) and the latest
/// order day seen (purchases and returns), used for the default as-of day.
pub(crate) fn summarize(id: u32, record: &RecordView<'_>, as_of: i32) -> DecodeResult<(Option<Summary>, Option<i32>)> {
    let mut s = Summary {
        customer: CustomerId(id),
        first_purchase: Day::from_days(0),
        last_purchase: Day::from_days(0),
        orders: 0,
        purchase_days: 0,
        spend: 0,
        first_day_spend: 0,
        returns: 0,
        returned: 0,
    };
    let mut last_day = None;
    for pair in record.pairs() {
        let (day, amount) = pair?;
        if day > as_of {
            break;
        }
        last_day = Some(day);
        if amount < 0 {
            s.returns += 1;
            s.returned = s.returned.saturating_add(amount);
            continue;
        }
        if s.orders == 0 {
            s.first_purchase = Day::from_days(day);
            s.purchase_days = 1;
        } else if day != s.last_purchase.days() {
            s.purchase_days += 1;
        }
        if day == s.first_purchase.days() {
            s.first_day_spend = s.first_day_spend.saturating_add(amount);
        }
        s.orders += 1;
        s.spend = s.spend.saturating_add(amount);
        s.last_purchase = Day::from_days(day);
    }
    Ok(((s.orders > 0).then_some(s), last_day))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::record::Record;

    fn summary_of(orders: &[(i32, i64)], as_of: i32) -> Option<Summary> {
        let mut r = Record::new(b"c".to_vec());
        for (i, &(day, amount)) in orders.iter().enumerate() {
            r.push_order(day, amount, i as u64, &[]);
        }
        r.sort_orders();
        let mut bytes = Vec::new();
        r.encode(&mut bytes);
        summarize(3, &RecordView::parse(&bytes).unwrap(), as_of).unwrap().0
    }

    #[test]
    fn hand_computed_case() {
        // Two orders on day 10, one on 15, a return on 16, one on 30, one after as-of.
        let s = summary_of(&[(10, 500), (10, 700), (15, 1_000), (16, -300), (30, 2_000), (50, 9_999)], 40).unwrap();
        assert_eq!(s.customer, CustomerId(3));
        assert_eq!((s.first_purchase.days(), s.last_purchase.days()), (10, 30));
        assert_eq!((s.orders, s.purchase_days), (4, 3));
        assert_eq!((s.x(), s.t_x(), s.age(Day::from_days(40))), (2, 20, 30));
        assert_eq!(s.recency(Day::from_days(40)), 10);
        assert_eq!((s.spend, s.first_day_spend, s.repeat_spend()), (4_200, 1_200, 3_000));
        assert_eq!((s.returns, s.returned, s.net_spend()), (1, -300, 3_900));
        assert_eq!(s.average_order_value(), 1_050.0);
        assert_eq!(s.average_repeat_value(), Some(1_500.0));
    }

    #[test]
    fn as_of_cuts_history_and_returns_never_activate() {
        assert_eq!(summary_of(&[(10, 500)], 9), None);
        assert_eq!(summary_of(&[(5, -100), (12, -50)], 40), None);
        let one = summary_of(&[(10, 500), (20, 600)], 15).unwrap();
        assert_eq!((one.orders, one.x(), one.average_repeat_value()), (1, 0, None));
        // A zero-value order is a purchase.
        assert_eq!(summary_of(&[(10, 0)], 15).map(|s| s.orders), Some(1));
    }
}
