//! The store's read API: summaries for every customer, store-wide statistics and one customer's
//! profile. Scans go through `fold_records`; point lookups touch one id bucket and one block.

use serde::Serialize;

use super::categories::Categories;
use super::codec::block::BlockView;
use super::codec::record::{Record, RecordView};
use super::engine::Engine;
use super::summarize::summarize;
use super::{Snapshot, Store};
use super::{ids, keys};
use crate::day::Day;
use crate::error::{Error, Result};
use crate::money::Currency;
use crate::summary::{CustomerId, Summaries, Summary};

/// Store-wide totals (`retention stats`). Only data, so two stores holding the same orders compare
/// equal whatever their history of ingests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// Customers with at least one order (purchase or return).
    pub customers: u64,
    /// Customers with at least one purchase.
    pub buyers: u64,
    /// Purchase orders (non-negative total).
    pub orders: u64,
    /// Return orders (negative total).
    pub returns: u64,
    /// Total of purchases, minor units.
    pub gross: i64,
    /// Total of returns, minor units (zero or negative).
    pub returned: i64,
    /// `gross + returned`, minor units.
    pub revenue: i64,
    /// Day of the earliest order.
    pub first_day: Option<Day>,
    /// Day of the latest order.
    pub last_day: Option<Day>,
    /// Distinct categories.
    pub categories: u32,
    /// The store's currency.
    pub currency: Currency,
    /// The store holds purchase counts only: `gross`, `returned` and `revenue` are 0 because
    /// there are no amounts, not because nothing was sold (see [`Store::counts_only`]).
    pub counts_only: bool,
}

/// One customer with every stored order.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CustomerProfile {
    /// Internal id.
    pub id: CustomerId,
    /// The id the shop uses.
    pub external_id: String,
    /// Summary of the orders listed (none if they hold no purchase).
    pub summary: Option<Summary>,
    /// Orders in day order.
    pub orders: Vec<StoredOrderView>,
}

/// An order as stored: its day, net amount and spend per category.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoredOrderView {
    /// The order's day.
    pub day: Day,
    /// Net amount, minor units; negative for a return.
    pub amount: i64,
    /// Spend per category (empty when the input had no categories).
    pub lines: Vec<OrderLine>,
}

/// Spend of one order in one category.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderLine {
    /// Category name (`""` for lines that had none).
    pub category: String,
    /// Amount, minor units.
    pub amount: i64,
}

#[derive(Default)]
struct Totals {
    customers: u64,
    buyers: u64,
    orders: u64,
    returns: u64,
    gross: i64,
    returned: i64,
    first: Option<i32>,
    last: Option<i32>,
}

/// The read API on the current state: each call reads one snapshot (see [`Snapshot`]).
impl Store {
    /// Summaries of every customer with a purchase on or before `as_of`, computed by a parallel
    /// scan that reads only each record's (day, amount) column. `None` means the latest order day in
    /// the store.
    pub fn summaries(&self, as_of: Option<Day>) -> Result<Summaries> {
        self.snapshot().summaries(as_of)
    }

    /// Every customer's external id, indexed by internal id ([`CustomerId::get`]). A parallel scan
    /// reading only record headers; join it with [`Summaries`] to label results.
    pub fn external_ids(&self) -> Result<Vec<String>> {
        self.snapshot().external_ids()
    }

    /// Store-wide totals by a parallel scan.
    pub fn stats(&self) -> Result<Stats> {
        self.snapshot().stats()
    }

    /// The names of all categories, in id order.
    pub fn categories(&self) -> Result<Vec<String>> {
        self.snapshot().categories()
    }

    /// One customer's profile with every order, or `None` if the id is unknown.
    pub fn customer(&self, external_id: &str) -> Result<Option<CustomerProfile>> {
        self.snapshot().customer(external_id)
    }

    /// One customer's profile with the orders on or before `as_of` (all if `None`).
    pub fn customer_as_of(&self, external_id: &str, as_of: Option<Day>) -> Result<Option<CustomerProfile>> {
        self.snapshot().customer_as_of(external_id, as_of)
    }

    /// The profile of the customer with internal id `id` (as found in a [`Summary`]), or `None` if
    /// no customer has that id.
    pub fn customer_by_id(&self, id: CustomerId, as_of: Option<Day>) -> Result<Option<CustomerProfile>> {
        self.snapshot().customer_by_id(id, as_of)
    }
}

impl Snapshot {
    /// [`Store::summaries`] of this snapshot.
    pub fn summaries(&self, as_of: Option<Day>) -> Result<Summaries> {
        let meta = self.meta();
        let cut = as_of.map_or(i32::MAX, Day::days);
        let shards = self.fold_records(
            || (Vec::new(), None::<i32>),
            |(out, latest), id, record| {
                let (summary, last) =
                    summarize(id, &record, cut).map_err(|e| Error::corrupt(format!("customer {id}"), e.to_string()))?;
                out.extend(summary);
                *latest = (*latest).max(last);
                Ok(())
            },
        )?;
        let latest = shards.iter().filter_map(|s| s.1).max();
        let mut customers = Vec::with_capacity(shards.iter().map(|s| s.0.len()).sum());
        for (part, _) in shards {
            customers.extend(part);
        }
        let as_of = as_of.unwrap_or(Day::from_days(latest.unwrap_or(0)));
        Ok(Summaries { as_of, customers, data_version: meta.data_version, counts_only: meta.counts_only })
    }

    /// `as_of`, or when `None` the latest order day in the store (a header-and-pairs scan; the
    /// 1970-01-01 of an empty store).
    pub(crate) fn as_of_or_latest(&self, as_of: Option<Day>) -> Result<Day> {
        match as_of {
            Some(d) => Ok(d),
            None => Ok(self.stats()?.last_day.unwrap_or(Day::from_days(0))),
        }
    }

    /// [`Store::external_ids`] of this snapshot.
    pub fn external_ids(&self) -> Result<Vec<String>> {
        let shards = self.fold_records(Vec::new, |names: &mut Vec<String>, _, record| {
            names.push(String::from_utf8_lossy(record.external_id()).into_owned());
            Ok(())
        })?;
        Ok(shards.concat())
    }

    /// [`Store::stats`] of this snapshot.
    pub fn stats(&self) -> Result<Stats> {
        let meta = self.meta();
        let shards = self.fold_records(Totals::default, |t, id, record| {
            let corrupt =
                |e: super::codec::varint::DecodeError| Error::corrupt(format!("customer {id}"), e.to_string());
            let (mut bought, mut any) = (false, false);
            for pair in record.pairs() {
                any = true;
                let (day, amount) = pair.map_err(corrupt)?;
                if amount < 0 {
                    t.returns += 1;
                    t.returned = t.returned.saturating_add(amount);
                } else {
                    t.orders += 1;
                    t.gross = t.gross.saturating_add(amount);
                    bought = true;
                }
                t.first = Some(t.first.map_or(day, |f| f.min(day)));
                t.last = t.last.max(Some(day));
            }
            // A customer whose every order a later export excluded keeps an empty record; the
            // totals are the same as a store that never saw those orders.
            t.customers += any as u64;
            t.buyers += bought as u64;
            Ok(())
        })?;
        let mut all = Totals::default();
        for t in shards {
            all.customers += t.customers;
            all.buyers += t.buyers;
            all.orders += t.orders;
            all.returns += t.returns;
            all.gross = all.gross.saturating_add(t.gross);
            all.returned = all.returned.saturating_add(t.returned);
            all.first = match (all.first, t.first) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            all.last = all.last.max(t.last);
        }
        Ok(Stats {
            customers: all.customers,
            buyers: all.buyers,
            orders: all.orders,
            returns: all.returns,
            gross: all.gross,
            returned: all.returned,
            revenue: all.gross.saturating_add(all.returned),
            first_day: all.first.map(Day::from_days),
            last_day: all.last.map(Day::from_days),
            categories: meta.categories,
            currency: meta.currency.clone(),
            counts_only: meta.counts_only,
        })
    }

    /// [`Store::categories`] of this snapshot.
    pub fn categories(&self) -> Result<Vec<String>> {
        Ok(Categories::load(self.engine(), self.meta())?.names().to_vec())
    }

    /// [`Store::customer`] of this snapshot.
    pub fn customer(&self, external_id: &str) -> Result<Option<CustomerProfile>> {
        self.customer_as_of(external_id, None)
    }

    /// [`Store::customer_as_of`] of this snapshot.
    pub fn customer_as_of(&self, external_id: &str, as_of: Option<Day>) -> Result<Option<CustomerProfile>> {
        let Some(id) = ids::lookup(self.engine(), self.meta(), external_id.as_bytes())? else {
            return Ok(None);
        };
        let profile = self.profile(id, as_of)?;
        if profile.external_id != external_id {
            return Err(Error::corrupt(
                format!("customer {id}"),
                format!("the id map points {external_id:?} at the record of {:?}", profile.external_id),
            ));
        }
        Ok(Some(profile))
    }

    /// [`Store::customer_by_id`] of this snapshot.
    pub fn customer_by_id(&self, id: CustomerId, as_of: Option<Day>) -> Result<Option<CustomerProfile>> {
        if id.get() as u64 >= self.meta().next_id {
            return Ok(None);
        }
        self.profile(id.get() as u64, as_of).map(Some)
    }

    fn profile(&self, id: u64, as_of: Option<Day>) -> Result<CustomerProfile> {
        let (meta, engine) = (self.meta(), self.engine());
        let b = meta.block_of(id);
        let what = || format!("customer block {b}");
        let block = engine
            .get(&keys::block(b, meta.blocks.get(b)))?
            .ok_or_else(|| Error::corrupt(what(), "block is missing"))?;
        let view = BlockView::parse(block.as_ref()).map_err(|e| Error::corrupt(what(), e.to_string()))?;
        let bytes = view
            .record((id % meta.block_size as u64) as u32)
            .ok_or_else(|| Error::corrupt(what(), format!("customer {id} is missing")))?;
        let corrupt = |e: super::codec::varint::DecodeError| Error::corrupt(format!("customer {id}"), e.to_string());
        let record = Record::decode(bytes).map_err(corrupt)?;
        let cut = as_of.map_or(i32::MAX, Day::days);
        let summary = summarize(id as u32, &RecordView::parse(bytes).map_err(corrupt)?, cut).map_err(corrupt)?.0;
        let categories = if record.lines.is_empty() { Categories::default() } else { Categories::load(engine, meta)? };
        let orders = record
            .orders
            .iter()
            .filter(|o| o.day <= cut)
            .map(|o| StoredOrderView {
                day: Day::from_days(o.day),
                amount: o.amount,
                lines: record
                    .lines_of(o)
                    .iter()
                    .map(|l| OrderLine { category: categories.name(l.category).to_string(), amount: l.amount })
                    .collect(),
            })
            .collect();
        Ok(CustomerProfile {
            id: CustomerId(id as u32),
            external_id: String::from_utf8_lossy(&record.external_id).into_owned(),
            summary,
            orders,
        })
    }
}
