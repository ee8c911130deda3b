//! A synthetic online shop: customers acquired uniformly over the period, buying by the BG/NBD process
//! with Gamma-Gamma spend, plus multi-line orders, same-day repeats and returns. Lines stream out in time
//! order from a queue of pending events, so memory follows the active customers, not the history.
//!
//! The output is a pure function of [`ShopConfig`]: the random number algorithms (`rng`), the
//! samplers (`dist`) and the order in which each customer draws its numbers are part of the contract,
//! so the same configuration gives byte-identical CSV on every platform and in every release.
//!
//! ```
//! use retention::generate::{Shop, ShopConfig};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let shop = Shop::new(ShopConfig::new(50, 7))?;
//! let mut csv = Vec::new();
//! let rows = shop.write_csv(&mut csv)?;
//! assert_eq!(rows as usize, shop.lines().count());
//! assert!(csv.starts_with(b"customer_id,order_id,timestamp,amount,category\nC0000000,100000,2023-01-"));
//! # Ok(())
//! # }
//! ```

mod queue;

use std::cmp::Ordering;
use std::io::{self, Write};

use self::queue::{Queue, Timed};
use crate::random::dist::{Beta, Gamma, exp, exponential};
use crate::random::rng::Rng;
use crate::{Day, Error, Result};

/// The product categories, most popular first.
pub const CATEGORIES: [&str; 8] = ["books", "music", "video", "games", "electronics", "home", "garden", "toys"];

/// Popularity weights of [`CATEGORIES`] in percent (a skewed, roughly Zipf-like mix).
const POPULARITY: [u32; 8] = [30, 20, 15, 10, 9, 7, 5, 4];
/// `POPULAR[i]` is the category of percentile `i`: a popularity-weighted draw is one table look-up.
const POPULAR: [u8; 100] = popularity_table();
/// Probability that an order's category is the customer's preferred one.
const PREFERRED_SHARE: f64 = 0.6;
/// Probability that a multi-line order has 3 lines rather than 2.
const THREE_LINE_SHARE: f64 = 1.0 / 3.0;
/// Probability that a return refunds the whole order rather than half of it.
const FULL_RETURN_SHARE: f64 = 0.7;
/// Mean time from an order to a same-day repeat order, in seconds, before clamping to the day's end.
const SAME_DAY_MEAN_GAP: f64 = 2.0 * 3600.0;
/// The first order number.
const FIRST_ORDER: u64 = 100_000;
/// Largest order total in cents (1,000,000.00): keeps a customer with a near-zero spend rate `ν`
/// from writing absurd amounts.
const MAX_ORDER_CENTS: i64 = 100_000_000;
const SECONDS_PER_DAY: i64 = 86_400;
/// Day numbers of 1900-01-01 and 2200-12-31, the range the engine accepts (checked in the tests).
const MIN_DAY: i64 = -25_567;
const MAX_DAY: i64 = 84_370;

const fn popularity_table() -> [u8; 100] {
    let mut table = [0u8; 100];
    let (mut i, mut category, mut upto) = (0, 0, POPULARITY[0]);
    while i < 100 {
        while i as u32 >= upto {
            category += 1;
            upto += POPULARITY[category];
        }
        table[i] = category as u8;
        i += 1;
    }
    table
}

/// Parameters of the synthetic shop. `Default` gives about 10 CSV rows per customer over 3 years,
/// about 35% one-time buyers and a mean order value of about 30.00.
///
/// The purchase process is BG/NBD (Fader, Hardie & Lee 2005): each customer buys at rate
/// `λ ~ Gamma(r, alpha)` per day while active and, after each purchase, drops out for good with
/// probability `p ~ Beta(a, b)`. Spend is Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"): a
/// customer's rate `ν ~ Gamma(q, gamma)`, each order value `z ~ Gamma(p, ν)` in major units, so the
/// mean order value is `p·gamma/(q − 1)`.
///
/// ```
/// use retention::generate::ShopConfig;
/// let config = ShopConfig::default().customers(1_000).seed(7).days(365).return_rate(0.05);
/// assert_eq!((config.customers, config.seed, config.days), (1_000, 7, 365));
/// config.validate()?;
/// # Ok::<(), retention::Error>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ShopConfig {
    /// Number of customers, each making at least one purchase. Default 100,000.
    pub customers: u64,
    /// Seed of every random draw. Default 42.
    pub seed: u64,
    /// First day of the period. Default 2023-01-01.
    pub start: Day,
    /// Length of the period in days. Default 1096 (2023-01-01 to 2025-12-31 inclusive).
    pub days: u32,
    /// First purchases are spread uniformly over the first this-share of the period. Default 0.85.
    pub acquisition_share: f64,
    /// BG/NBD: shape of the gamma distribution of purchase rates. Default 0.35.
    pub r: f64,
    /// BG/NBD: rate of the gamma distribution of purchase rates, in days. Default 5.8 (mean rate
    /// `r/alpha` ≈ 0.06 purchases per day, very dispersed: most customers buy far less often).
    pub alpha: f64,
    /// BG/NBD: first shape of the beta distribution of dropout probabilities. Default 0.8.
    pub a: f64,
    /// BG/NBD: second shape of the beta distribution of dropout probabilities. Default 3.5 (mean
    /// dropout probability per purchase `a/(a+b)` ≈ 0.19).
    pub b: f64,
    /// Gamma-Gamma: shape of each order's value distribution. Default 6.0.
    pub p: f64,
    /// Gamma-Gamma: shape of the distribution of customers' spend rates; must exceed 1. Default 4.0.
    pub q: f64,
    /// Gamma-Gamma: rate of the distribution of customers' spend rates. Default 15.0.
    pub gamma: f64,
    /// Probability that an order is returned 1 to 30 days later (if still inside the period).
    /// Default 0.03.
    pub return_rate: f64,
    /// Probability that a customer who stays active after a purchase makes the next purchase later
    /// the same (UTC) day, as a separate order. Default 0.05.
    pub same_day_repeat_rate: f64,
    /// Probability that an order is written as 2 or 3 lines with different categories. Default 0.15.
    pub multi_line_rate: f64,
}

impl Default for ShopConfig {
    fn default() -> Self {
        ShopConfig {
            customers: 100_000,
            seed: 42,
            start: Day::from_days(19_358), // 2023-01-01
            days: 1096,
            acquisition_share: 0.85,
            r: 0.35,
            alpha: 5.8,
            a: 0.8,
            b: 3.5,
            p: 6.0,
            q: 4.0,
            gamma: 15.0,
            return_rate: 0.03,
            same_day_repeat_rate: 0.05,
            multi_line_rate: 0.15,
        }
    }
}

impl ShopConfig {
    /// The default shop with this many customers and this seed.
    pub fn new(customers: u64, seed: u64) -> Self {
        ShopConfig { customers, seed, ..ShopConfig::default() }
    }

    /// Checks that every parameter makes sense: at least one customer and one day, a period inside
    /// 1900-01-01..=2200-12-31, positive finite model shapes and rates, `q > 1` (otherwise the mean
    /// order value is infinite), probabilities in `[0, 1]` and an acquisition share in `(0, 1]`.
    pub fn validate(&self) -> Result<()> {
        if self.customers == 0 {
            return Err(Error::invalid("customers", "0", "the shop needs at least one customer"));
        }
        if self.days == 0 {
            return Err(Error::invalid("days", "0", "the period needs at least one day"));
        }
        let first = i64::from(self.start.days());
        if first < MIN_DAY {
            return Err(Error::invalid("start", self.start.to_string(), "the period must start in 1900 or later"));
        }
        if first + i64::from(self.days) - 1 > MAX_DAY {
            return Err(Error::invalid(
                "days",
                self.days.to_string(),
                format!("a period starting {} would end after 2200-12-31", self.start),
            ));
        }
        let share = self.acquisition_share;
        if !(share > 0.0 && share <= 1.0) {
            return Err(Error::invalid("acquisition_share", share.to_string(), "expected a share in (0, 1]"));
        }
        for (name, value) in
            [("r", self.r), ("alpha", self.alpha), ("a", self.a), ("b", self.b), ("p", self.p), ("gamma", self.gamma)]
        {
            if !(value > 0.0 && value.is_finite()) {
                return Err(Error::invalid(name, value.to_string(), "expected a positive finite number"));
            }
        }
        if !(self.q > 1.0 && self.q.is_finite()) {
            return Err(Error::invalid(
                "q",
                self.q.to_string(),
                "expected a finite number above 1 (the Gamma-Gamma mean spend is infinite for q <= 1)",
            ));
        }
        for (name, value) in [
            ("return_rate", self.return_rate),
            ("same_day_repeat_rate", self.same_day_repeat_rate),
            ("multi_line_rate", self.multi_line_rate),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(Error::invalid(name, value.to_string(), "expected a probability in [0, 1]"));
            }
        }
        Ok(())
    }
}

crate::options::setters! {
    ShopConfig {
        /// Sets the number of customers.
        customers: u64,
        /// Sets the seed of every random draw.
        seed: u64,
        /// Sets the first day of the period.
        start: Day,
        /// Sets the length of the period in days.
        days: u32,
        /// Sets the share of the period over which first purchases are spread.
        acquisition_share: f64,
        /// Sets the shape of the BG/NBD gamma distribution of purchase rates.
        r: f64,
        /// Sets the rate of the BG/NBD gamma distribution of purchase rates, in days.
        alpha: f64,
        /// Sets the first shape of the BG/NBD beta distribution of dropout probabilities.
        a: f64,
        /// Sets the second shape of the BG/NBD beta distribution of dropout probabilities.
        b: f64,
        /// Sets the shape of each order's Gamma-Gamma value distribution.
        p: f64,
        /// Sets the shape of the Gamma-Gamma distribution of customers' spend rates (above 1).
        q: f64,
        /// Sets the rate of the Gamma-Gamma distribution of customers' spend rates.
        gamma: f64,
        /// Sets the probability that an order is returned.
        return_rate: f64,
        /// Sets the probability of a separate repeat order later the same day.
        same_day_repeat_rate: f64,
        /// Sets the probability that an order is written as 2 or 3 lines.
        multi_line_rate: f64,
    }
}

/// One CSV line of the generated history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Customer index, `0..customers`, in order of first purchase.
    pub customer: u64,
    /// Order number: 100000 for the first order emitted, then counting up in time order.
    pub order: u64,
    /// A return: the order id is written `R{order}` and the amount is negative.
    pub is_return: bool,
    /// Seconds since 1970-01-01T00:00:00Z.
    pub timestamp: i64,
    /// Minor units (cents); negative for returns. The lines of one order sum to the order total.
    pub amount: i64,
    /// One of [`CATEGORIES`].
    pub category: &'static str,
}

/// A generated shop. [`lines`](Shop::lines) yields its history in non-decreasing timestamp order,
/// like a real export; [`write_csv`](Shop::write_csv) writes it in the engine's `generic` layout.
#[derive(Debug)]
pub struct Shop {
    config: ShopConfig,
    start_ts: i64,
    end_ts: i64,
    acquisition_secs: f64,
    purchase_rate: Gamma,
    dropout: Beta,
    spend_rate: Gamma,
    order_value: Gamma,
}

impl Shop {
    /// The shop for this configuration, after [`ShopConfig::validate`].
    pub fn new(config: ShopConfig) -> Result<Shop> {
        config.validate()?;
        let invalid =
            |name: &str, value: f64| Error::invalid(name, value.to_string(), "invalid distribution parameter");
        let start_ts = i64::from(config.start.days()) * SECONDS_PER_DAY;
        Ok(Shop {
            start_ts,
            end_ts: start_ts + i64::from(config.days) * SECONDS_PER_DAY,
            acquisition_secs: config.acquisition_share * f64::from(config.days) * SECONDS_PER_DAY as f64,
            purchase_rate: Gamma::new(config.r, config.alpha).ok_or_else(|| invalid("r", config.r))?,
            dropout: Beta::new(config.a, config.b).ok_or_else(|| invalid("a", config.a))?,
            spend_rate: Gamma::new(config.q, config.gamma).ok_or_else(|| invalid("q", config.q))?,
            order_value: Gamma::new(config.p, 1.0).ok_or_else(|| invalid("p", config.p))?,
            config,
        })
    }

    /// The configuration this shop was built from.
    pub fn config(&self) -> &ShopConfig {
        &self.config
    }

    /// The history, line by line, in non-decreasing timestamp order. Each call starts afresh and
    /// yields the same lines.
    pub fn lines(&self) -> Lines<'_> {
        Lines { shop: self, engine: Engine::new(self), batch: Batch::new() }
    }

    /// Writes the history as CSV (header `customer_id,order_id,timestamp,amount,category`, lines such
    /// as `C0000123,100457,2023-04-05T13:45:07Z,23.99,books` or `C0000123,R100457,...,-23.99,books`)
    /// and flushes `out`. Returns the number of rows written, header excluded. `out` needs no
    /// buffering of its own: rows are written in 64 KiB blocks.
    pub fn write_csv<W: Write>(&self, mut out: W) -> io::Result<u64> {
        const BLOCK: usize = 64 * 1024;
        let mut csv = CsvWriter::new(BLOCK);
        csv.bytes(b"customer_id,order_id,timestamp,amount,category\n");
        let mut engine = Engine::new(self);
        let mut batch = Batch::new();
        let mut rows = 0u64;
        while engine.step(self, &mut batch) {
            for row in &batch.rows[..batch.len] {
                if csv.pos >= BLOCK {
                    out.write_all(csv.written())?;
                    csv.pos = 0;
                }
                csv.row(row);
            }
            rows += batch.len as u64;
            batch.len = 0;
        }
        out.write_all(csv.written())?;
        out.flush()?;
        Ok(rows)
    }

    /// The external id of customer `index`: `C` and the index zero-padded to 7 digits
    /// (`C0000123`), wider when needed (`C12345678`).
    pub fn customer_id(index: u64) -> String {
        format!("C{index:07}")
    }
}

/// Iterator over a shop's lines, from [`Shop::lines`].
pub struct Lines<'a> {
    shop: &'a Shop,
    engine: Engine,
    batch: Batch,
}

impl std::fmt::Debug for Lines<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lines")
            .field("customers_started", &self.engine.scheduled)
            .field("next_order", &self.engine.next_order)
            .finish_non_exhaustive()
    }
}

impl Iterator for Lines<'_> {
    type Item = Line;

    fn next(&mut self) -> Option<Line> {
        if self.batch.pos == self.batch.len {
            self.batch.pos = 0;
            self.batch.len = 0;
            if !self.engine.step(self.shop, &mut self.batch) {
                return None;
            }
        }
        let row = self.batch.rows[self.batch.pos];
        self.batch.pos += 1;
        Some(row.line())
    }
}

/// A line as the engine makes it, with the category as an index into [`CATEGORIES`].
#[derive(Clone, Copy, Debug, Default)]
struct Row {
    customer: u64,
    order: u64,
    is_return: bool,
    timestamp: i64,
    amount: i64,
    category: u8,
}

impl Row {
    fn line(&self) -> Line {
        Line {
            customer: self.customer,
            order: self.order,
            is_return: self.is_return,
            timestamp: self.timestamp,
            amount: self.amount,
            category: CATEGORIES[self.category as usize],
        }
    }
}

/// The rows of one event (an order has at most 3 lines).
struct Batch {
    rows: [Row; 3],
    len: usize,
    pos: usize,
}

impl Batch {
    fn new() -> Batch {
        Batch { rows: [Row::default(); 3], len: 0, pos: 0 }
    }

    fn push(&mut self, row: Row) {
        self.rows[self.len] = row;
        self.len += 1;
    }
}

/// A customer between purchases: its own random stream and its latent BG/NBD and Gamma-Gamma
/// parameters. It travels inside its next purchase event, so only active customers take memory.
#[derive(Clone, Debug)]
struct Customer {
    rng: Rng,
    /// Purchase rate λ, per second. The latent parameters are kept as `f32` to keep events small;
    /// they are drawn in `f64` and rounded once.
    rate: f32,
    /// Dropout probability after each purchase.
    dropout: f32,
    /// `1/ν`: the scale of this customer's order values, in major units.
    spend_scale: f32,
    /// Index into [`CATEGORIES`].
    preferred: u8,
}

/// What happens at an event.
#[derive(Clone, Debug)]
enum Action {
    /// The customer's first purchase; the customer is created when it comes due.
    Admit,
    /// A later purchase.
    Purchase(Customer),
    /// A return of `order`: `amount` cents (positive) of `category`.
    Return { order: u64, amount: i64, category: u8 },
}

/// A queued event. Its key `(time, customer, order)` is unique, so the output never depends on how
/// ties are broken: `order` is 0 for a customer's next purchase (at most one per customer) and the
/// returned order's number for a return.
#[derive(Clone, Debug)]
struct Event {
    time: i64,
    customer: u64,
    action: Action,
}

impl Event {
    fn key(&self) -> (i64, u64, u64) {
        let order = match self.action {
            Action::Return { order, .. } => order,
            Action::Admit | Action::Purchase(_) => 0,
        };
        (self.time, self.customer, order)
    }
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Event {}

impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Event {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl Timed for Event {
    type Key = (i64, u64, u64);
    fn time(&self) -> i64 {
        self.time
    }
    fn key(&self) -> (i64, u64, u64) {
        self.key()
    }
}

/// The simulation state behind [`Lines`] and [`Shop::write_csv`].
struct Engine {
    /// Draws the acquisition times (a stream apart from every customer's).
    acquisition: Rng,
    /// Customers whose first purchase has been scheduled.
    scheduled: u64,
    /// `ln(1 − U₍ₖ₎)` for the latest order statistic `U₍ₖ₎` of the acquisition times.
    log_rest: f64,
    /// Pending events: active customers' next purchases, the next first purchase, returns.
    queue: Queue<Event>,
    next_order: u64,
}

impl Engine {
    fn new(shop: &Shop) -> Engine {
        let mut engine = Engine {
            acquisition: Rng::seed_from_u64(shop.config.seed),
            scheduled: 0,
            log_rest: 0.0,
            queue: Queue::new(shop.start_ts),
            next_order: FIRST_ORDER,
        };
        engine.schedule_next_customer(shop, shop.start_ts);
        engine
    }

    /// Queues the first purchase of the next customer, if any is left. Acquisition times are the
    /// order statistics of `n` uniforms, drawn in increasing order: the `k`-th smallest satisfies
    /// `1 − U₍ₖ₊₁₎ = (1 − U₍ₖ₎)·V^(1/(n−k))` with `V` uniform (Bentley & Saxe 1980, "Generating sorted
    /// lists of random numbers"), so they come out one at a time without storing any.
    fn schedule_next_customer(&mut self, shop: &Shop, previous: i64) {
        if self.scheduled == shop.config.customers {
            return;
        }
        let left = (shop.config.customers - self.scheduled) as f64;
        self.log_rest -= exponential(&mut self.acquisition, 1.0) / left;
        let offset = (shop.acquisition_secs * (1.0 - exp(self.log_rest))) as i64;
        // Rounding cannot reorder the draws, but keep the guarantee explicit.
        let time = (shop.start_ts + offset).max(previous).min(shop.end_ts - 1);
        self.queue.push(Event { time, customer: self.scheduled, action: Action::Admit });
        self.scheduled += 1;
    }

    /// Handles the earliest event, putting its lines in `batch`. False when the history is over.
    fn step(&mut self, shop: &Shop, batch: &mut Batch) -> bool {
        let Some(Event { time, customer: index, action }) = self.queue.pop() else {
            return false;
        };
        let mut customer = match action {
            Action::Return { order, amount, category } => {
                let timestamp = time;
                batch.push(Row { customer: index, order, is_return: true, timestamp, amount: -amount, category });
                return true;
            }
            Action::Purchase(customer) => customer,
            Action::Admit => {
                self.schedule_next_customer(shop, time);
                Customer::new(shop, index)
            }
        };
        let order = self.next_order;
        self.next_order += 1;
        let (next, refund) = purchase(shop, &mut customer, time, index, order, batch);
        if let Some(refund) = refund {
            self.queue.push(refund);
        }
        if let Some(time) = next {
            self.queue.push(Event { time, customer: index, action: Action::Purchase(customer) });
        }
        true
    }
}

impl Customer {
    /// Customer `index`: its stream and latent parameters, drawn in this order.
    fn new(shop: &Shop, index: u64) -> Customer {
        let mut rng = Rng::stream(shop.config.seed, index);
        let rate = (shop.purchase_rate.sample(&mut rng) / SECONDS_PER_DAY as f64) as f32;
        let dropout = shop.dropout.sample(&mut rng) as f32;
        let spend_scale = (1.0 / shop.spend_rate.sample(&mut rng)) as f32;
        let preferred = popular(&mut rng);
        Customer { rng, rate, dropout, spend_scale, preferred }
    }
}

/// Customer `index` buys at `time`: writes the order's lines to `batch` and returns the time of the
/// customer's next purchase (`None` once it drops out or the period ends) and the order's return, if
/// any. The draws, in this order, are part of the output contract.
fn purchase(
    shop: &Shop,
    customer: &mut Customer,
    time: i64,
    index: u64,
    order: u64,
    batch: &mut Batch,
) -> (Option<i64>, Option<Event>) {
    let config = &shop.config;
    let rng = &mut customer.rng;

    let category = if rng.bernoulli(PREFERRED_SHARE) { customer.preferred } else { popular(rng) };
    let value = shop.order_value.sample_standard(rng) * f64::from(customer.spend_scale);
    let total = to_cents(value);

    let mut line = |amount: i64, category: u8| {
        batch.push(Row { customer: index, order, is_return: false, timestamp: time, amount, category })
    };
    let lines =
        if rng.bernoulli(config.multi_line_rate) { if rng.bernoulli(THREE_LINE_SHARE) { 3 } else { 2 } } else { 1 };
    if lines > 1 && total >= lines {
        // Cut points: uniform over distinct positions in 1..total, so every line gets >= 1 cent.
        let first_cut = 1 + rng.below(total as u64 - 1) as i64;
        let second = popular_except(rng, &[category]);
        if lines == 2 {
            line(first_cut, category);
            line(total - first_cut, second);
        } else {
            let mut other_cut = 1 + rng.below(total as u64 - 2) as i64;
            if other_cut >= first_cut {
                other_cut += 1;
            }
            let (low, high) = (first_cut.min(other_cut), first_cut.max(other_cut));
            let third = popular_except(rng, &[category, second]);
            line(low, category);
            line(high - low, second);
            line(total - high, third);
        }
    } else {
        line(total, category);
    }

    let refund = if rng.bernoulli(config.return_rate) {
        let delay = SECONDS_PER_DAY + rng.below(29 * SECONDS_PER_DAY as u64 + 1) as i64;
        let amount = if rng.bernoulli(FULL_RETURN_SHARE) { total } else { (total / 2).max(1) };
        let when = time + delay;
        (when < shop.end_ts).then_some(Event {
            time: when,
            customer: index,
            action: Action::Return { order, amount, category },
        })
    } else {
        None
    };

    let next = if rng.bernoulli(f64::from(customer.dropout)) {
        None
    } else if rng.bernoulli(config.same_day_repeat_rate) {
        let end_of_day = time - time.rem_euclid(SECONDS_PER_DAY) + SECONDS_PER_DAY - 1;
        let gap = 1.0 + exponential(rng, 1.0 / SAME_DAY_MEAN_GAP);
        Some(if gap < (end_of_day - time) as f64 { time + gap as i64 } else { end_of_day })
    } else {
        // An infinite or huge gap (λ near 0) compares false and ends the customer, never overflows.
        let gap = exponential(rng, f64::from(customer.rate));
        (gap < (shop.end_ts - time) as f64).then(|| time + gap as i64)
    };
    (next.filter(|&t| t < shop.end_ts), refund)
}

/// Major units to cents, rounded half up, within `1..=MAX_ORDER_CENTS` (NaN gives 1).
fn to_cents(value: f64) -> i64 {
    let cents = value * 100.0 + 0.5;
    if cents >= MAX_ORDER_CENTS as f64 {
        MAX_ORDER_CENTS
    } else if cents >= 1.0 {
        cents as i64 // truncation of a positive number: the floor
    } else {
        1
    }
}

/// A popularity-weighted category.
fn popular(rng: &mut Rng) -> u8 {
    POPULAR[rng.below(100) as usize]
}

/// A popularity-weighted category other than those in `used` (at most 7 of them).
fn popular_except(rng: &mut Rng, used: &[u8]) -> u8 {
    let excluded: u32 = used.iter().map(|&c| POPULARITY[c as usize]).sum();
    let mut r = rng.below(u64::from(100 - excluded)) as u32;
    let mut last = 0;
    for (c, &weight) in POPULARITY.iter().enumerate() {
        if used.contains(&(c as u8)) {
            continue;
        }
        if r < weight {
            return c as u8;
        }
        r -= weight;
        last = c as u8;
    }
    last
}

/// Formats rows into a fixed byte buffer without `format!` or per-field allocation. Every write is a
/// constant-size copy or a single byte, so nothing calls `memcpy` for a few bytes.
struct CsvWriter {
    /// Fixed length: the flush threshold plus room for one more row.
    buf: Vec<u8>,
    /// Bytes written so far.
    pos: usize,
    /// Day number whose `YYYY-MM-DDT` prefix is in `date` (lines come in time order, so it rarely
    /// changes).
    day: i64,
    date: [u8; 11],
}

/// More than the longest possible row (`C` + 20 digits, `R` + 20 digits, the timestamp, a sign and 20
/// digits, a category: 103 bytes) plus the spare bytes a fixed-size copy may write past it, so a row
/// started below the flush threshold always fits.
const ROW_MAX: usize = 128;

/// `,category\n` for each category, padded to 16 bytes, and its length.
const CATEGORY_FIELDS: [([u8; 16], usize); 8] = {
    let mut fields = [([0u8; 16], 0); 8];
    let mut c = 0;
    while c < 8 {
        let name = CATEGORIES[c].as_bytes();
        fields[c].0[0] = b',';
        let mut i = 0;
        while i < name.len() {
            fields[c].0[1 + i] = name[i];
            i += 1;
        }
        fields[c].0[1 + i] = b'\n';
        fields[c].1 = name.len() + 2;
        c += 1;
    }
    fields
};

impl CsvWriter {
    /// A writer whose caller empties it before each row once `pos` reaches `block`.
    fn new(block: usize) -> CsvWriter {
        CsvWriter { buf: vec![0; block + ROW_MAX], pos: 0, day: i64::MIN, date: *b"0000-00-00T" }
    }

    fn written(&self) -> &[u8] {
        &self.buf[..self.pos]
    }

    /// Appends arbitrary bytes (the header); at most `ROW_MAX`.
    fn bytes(&mut self, bytes: &[u8]) {
        self.buf[self.pos..self.pos + bytes.len()].copy_from_slice(bytes);
        self.pos += bytes.len();
    }

    #[inline]
    fn fixed<const N: usize>(&mut self, bytes: &[u8; N]) {
        self.buf[self.pos..self.pos + N].copy_from_slice(bytes);
        self.pos += N;
    }

    #[inline]
    fn byte(&mut self, byte: u8) {
        self.buf[self.pos] = byte;
        self.pos += 1;
    }

    /// Appends `value` in decimal, zero-padded to at least `width` digits (`width <= 8`).
    #[inline]
    fn number(&mut self, value: u64, width: usize) {
        if value < 100_000_000 {
            // The 8 digits as one little-endian word (first digit in the low byte); drop the leading
            // zeros beyond `width` by shifting, then store the word whole.
            let word = u64::from_le_bytes(eight_digits(value as u32));
            let zeros = ((word ^ u64::from_le_bytes(*b"00000000")).trailing_zeros() / 8) as usize;
            let len = (8 - zeros.min(7)).max(width);
            self.fixed(&(word >> (8 * (8 - len))).to_le_bytes());
            self.pos -= 8 - len;
        } else {
            // At least 9 digits, so wider than `width`: the leading part, then 8 digits.
            self.number(value / 100_000_000, 1);
            self.fixed(&eight_digits((value % 100_000_000) as u32));
        }
    }

    fn row(&mut self, row: &Row) {
        self.byte(b'C');
        self.number(row.customer, 7);
        self.byte(b',');
        if row.is_return {
            self.byte(b'R');
        }
        self.number(row.order, 1);
        self.byte(b',');

        let day = row.timestamp.div_euclid(SECONDS_PER_DAY);
        if day != self.day {
            self.day = day;
            // Validated periods lie in years 1900..=2200, so the year has 4 digits.
            let (y, m, d) = Day::from_days(day as i32).to_ymd();
            let y = y.unsigned_abs() as usize;
            self.date[0..2].copy_from_slice(&TWO_DIGITS[y / 100 % 100]);
            self.date[2..4].copy_from_slice(&TWO_DIGITS[y % 100]);
            self.date[5..7].copy_from_slice(&TWO_DIGITS[m as usize]);
            self.date[8..10].copy_from_slice(&TWO_DIGITS[d as usize]);
        }
        let date = self.date;
        self.fixed(&date);
        let second = row.timestamp.rem_euclid(SECONDS_PER_DAY) as usize;
        self.fixed(&TWO_DIGITS[second / 3600]);
        self.byte(b':');
        self.fixed(&TWO_DIGITS[second / 60 % 60]);
        self.byte(b':');
        self.fixed(&TWO_DIGITS[second % 60]);
        self.fixed(b"Z,");

        if row.amount < 0 {
            self.byte(b'-');
        }
        let cents = row.amount.unsigned_abs();
        self.number(cents / 100, 1);
        self.byte(b'.');
        self.fixed(&TWO_DIGITS[(cents % 100) as usize]);

        let (field, len) = &CATEGORY_FIELDS[row.category as usize];
        self.fixed(field);
        self.pos -= field.len() - len;
    }
}

/// The 8 decimal digits of `value < 10^8`, zero-padded, most significant first.
#[inline]
fn eight_digits(value: u32) -> [u8; 8] {
    let (high, low) = ((value / 10_000) as usize, (value % 10_000) as usize);
    let [a, b] = TWO_DIGITS[high / 100];
    let [c, d] = TWO_DIGITS[high % 100];
    let [e, f] = TWO_DIGITS[low / 100];
    let [g, h] = TWO_DIGITS[low % 100];
    [a, b, c, d, e, f, g, h]
}

/// `"00"`, `"01"`, ..., `"99"`.
const TWO_DIGITS: [[u8; 2]; 100] = {
    let mut table = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        table[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;

    fn shop(customers: u64, seed: u64) -> Shop {
        Shop::new(ShopConfig::new(customers, seed)).expect("valid config")
    }

    /// A purchase order: its customer, time, and lines as (amount, category).
    type Order = (u64, i64, Vec<(i64, &'static str)>);

    /// Purchase orders by number, checking that an order's lines share customer and time.
    fn orders(lines: &[Line]) -> BTreeMap<u64, Order> {
        let mut orders = BTreeMap::new();
        for l in lines.iter().filter(|l| !l.is_return) {
            let entry: &mut Order = orders.entry(l.order).or_insert((l.customer, l.timestamp, Vec::new()));
            assert_eq!((entry.0, entry.1), (l.customer, l.timestamp), "order {} is split", l.order);
            entry.2.push((l.amount, l.category));
        }
        orders
    }

    #[test]
    fn day_range_constants_match_the_calendar() {
        assert_eq!(Day::from_ymd(1900, 1, 1).map(|d| i64::from(d.days())), Some(MIN_DAY));
        assert_eq!(Day::from_ymd(2200, 12, 31).map(|d| i64::from(d.days())), Some(MAX_DAY));
        assert_eq!(ShopConfig::default().start, Day::from_ymd(2023, 1, 1).expect("date"));
        let c = ShopConfig::default();
        assert_eq!(c.start.add_days(c.days as i32 - 1), Day::from_ymd(2025, 12, 31).expect("date"));
    }

    #[test]
    fn events_stay_small() {
        // Every pending purchase carries its customer; the size is the memory per active customer.
        assert!(std::mem::size_of::<Event>() <= 72, "{}", std::mem::size_of::<Event>());
        assert_eq!(std::mem::size_of::<Option<Event>>(), std::mem::size_of::<Event>());
    }

    #[test]
    fn popularity_table_follows_the_weights() {
        for (c, &w) in POPULARITY.iter().enumerate() {
            assert_eq!(POPULAR.iter().filter(|&&x| x as usize == c).count() as u32, w);
        }
        assert_eq!(POPULARITY.iter().sum::<u32>(), 100);
    }

    #[test]
    fn same_seed_same_lines_other_seed_other_lines() {
        let a: Vec<Line> = shop(300, 5).lines().collect();
        let b: Vec<Line> = shop(300, 5).lines().collect();
        assert_eq!(a, b);
        let s = shop(300, 5);
        assert!(s.lines().eq(s.lines()), "lines() is repeatable");
        let c: Vec<Line> = shop(300, 6).lines().collect();
        assert_ne!(a, c);
    }

    #[test]
    fn output_is_pinned() {
        // The output contract: seed 42 with 1,000 customers must give exactly this CSV, in every
        // release and on every platform. A change here changes every user's generated data.
        let mut csv = Vec::new();
        let rows = shop(1000, 42).write_csv(&mut csv).expect("write to a Vec");
        let text = std::str::from_utf8(&csv).expect("ASCII");
        let head: Vec<&str> = text.lines().take(5).collect();
        assert_eq!(
            head,
            [
                "customer_id,order_id,timestamp,amount,category",
                "C0000000,100000,2023-01-02T13:36:43Z,22.09,home",
                "C0000001,100001,2023-01-02T22:11:19Z,6.68,games",
                "C0000001,100001,2023-01-02T22:11:19Z,7.17,garden",
                "C0000001,100001,2023-01-02T22:11:19Z,4.63,music",
            ]
        );
        assert!(text.contains("\nC0000002,R100002,2023-01-20T19:33:35Z,-7.64,books\n"));
        // FNV-1a 64 of the whole file.
        let hash =
            csv.iter().fold(0xCBF2_9CE4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3));
        assert_eq!((rows, csv.len(), hash), (10_318, 510_330, 0x2E0F_FDB8_7849_9A94), "{hash:#X}");
    }

    #[test]
    fn lines_are_chronological_and_inside_the_period() {
        let s = shop(2000, 1);
        let (start, end) = (s.start_ts, s.end_ts);
        let lines: Vec<Line> = s.lines().collect();
        assert!(lines.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
        for l in &lines {
            assert!((start..end).contains(&l.timestamp), "{l:?}");
            let (y, _, _) = Day::from_days(l.timestamp.div_euclid(SECONDS_PER_DAY) as i32).to_ymd();
            assert!((2023..=2025).contains(&y) && y >= 1900);
            assert!(CATEGORIES.contains(&l.category));
            assert!(l.customer < 2000);
        }
        // First purchases: the last acquisition falls before 85% of the period.
        let mut first = HashMap::new();
        for l in &lines {
            first.entry(l.customer).or_insert(l.timestamp);
        }
        let cutoff = start + (0.85 * 1096.0 * 86_400.0) as i64;
        assert!(first.values().all(|&t| t < cutoff));
        assert!(first.values().any(|&t| t > cutoff - 30 * 86_400), "acquisition spans the share");
        // Customer index = acquisition rank.
        let mut by_index: Vec<(u64, i64)> = first.into_iter().collect();
        by_index.sort();
        assert!(by_index.windows(2).all(|w| w[0].1 <= w[1].1));
    }

    #[test]
    fn acquisition_times_are_uniform_and_memory_follows_active_customers() {
        const N: usize = 20_000;
        let s = shop(N as u64, 8);
        let mut lines = s.lines();
        let mut first = vec![None; N];
        let mut peak = 0;
        while let Some(line) = lines.next() {
            first[line.customer as usize].get_or_insert(line.timestamp);
            peak = peak.max(lines.engine.queue.len());
        }
        // Kolmogorov-Smirnov distance of the first purchases (sorted by index = rank) from the uniform
        // distribution over the acquisition window; 1.63/√n is the 1% critical value.
        let mut ks: f64 = 0.0;
        for (k, t) in first.iter().enumerate() {
            let u = (t.expect("every customer buys") - s.start_ts) as f64 / s.acquisition_secs;
            ks = ks.max((u - k as f64 / N as f64).abs()).max((u - (k + 1) as f64 / N as f64).abs());
        }
        assert!(ks < 1.63 / (N as f64).sqrt(), "KS distance {ks}");
        // Pending events: active customers plus returns, about a quarter of the base at its peak.
        assert!(peak < N * 2 / 5, "{peak} pending events for {N} customers");
        assert!(peak > N / 20, "{peak} pending events for {N} customers");
    }

    #[test]
    fn every_customer_buys_and_order_numbers_count_up_in_time() {
        let lines: Vec<Line> = shop(3000, 2).lines().collect();
        let mut seen = vec![false; 3000];
        for l in &lines {
            seen[l.customer as usize] = true;
        }
        assert!(seen.iter().all(|&s| s), "a customer never bought");
        let purchases: Vec<u64> = lines.iter().filter(|l| !l.is_return).map(|l| l.order).collect();
        assert_eq!(purchases[0], FIRST_ORDER);
        assert_eq!(lines[0].customer, 0);
        assert!(purchases.windows(2).all(|w| w[1] == w[0] || w[1] == w[0] + 1));
    }

    #[test]
    fn multi_line_orders_are_consistent() {
        let lines: Vec<Line> = shop(3000, 3).lines().collect();
        let orders = orders(&lines);
        let mut sizes = [0usize; 4];
        for (customer, _, items) in orders.values() {
            sizes[items.len()] += 1;
            assert!(items.iter().all(|&(amount, _)| amount >= 1), "customer {customer}: {items:?}");
            for i in 0..items.len() {
                for j in i + 1..items.len() {
                    assert_ne!(items[i].1, items[j].1, "repeated category in {items:?}");
                }
            }
        }
        let n = orders.len() as f64;
        assert!(sizes[2] > 0 && sizes[3] > 0, "{sizes:?}");
        let multi = (sizes[2] + sizes[3]) as f64 / n;
        assert!((multi - 0.15).abs() < 0.02, "multi-line share {multi}");
    }

    #[test]
    fn returns_follow_their_orders() {
        let lines: Vec<Line> = shop(4000, 4).lines().collect();
        let orders = orders(&lines);
        let returns: Vec<&Line> = lines.iter().filter(|l| l.is_return).collect();
        assert!(!returns.is_empty());
        let mut full = 0;
        for r in &returns {
            let (customer, time, items) = &orders[&r.order];
            let total: i64 = items.iter().map(|i| i.0).sum();
            assert_eq!(*customer, r.customer);
            assert!(r.amount < 0);
            assert!(r.amount == -total || r.amount == -(total / 2).max(1), "{r:?} of {total}");
            full += usize::from(r.amount == -total);
            assert_eq!(r.category, items[0].1);
            let delay = r.timestamp - time;
            assert!((86_400..=30 * 86_400).contains(&delay), "return after {delay} s");
        }
        let share = returns.len() as f64 / orders.len() as f64;
        assert!(share > 0.02 && share < 0.035, "return share {share}");
        let full_share = full as f64 / returns.len() as f64;
        assert!(full_share > 0.55 && full_share < 0.85, "full refunds {full_share}");
        // At most one return per order.
        let mut returned: Vec<u64> = returns.iter().map(|r| r.order).collect();
        returned.dedup();
        assert_eq!(returned.len(), returns.len());
    }

    #[test]
    fn same_day_repeats_are_separate_orders() {
        // Share of orders placed on a day the customer already ordered on. Frequent buyers do that by
        // chance too, so compare with the same shop without same-day repeats.
        let share = |rate: f64| {
            let config = ShopConfig { same_day_repeat_rate: rate, ..ShopConfig::new(4000, 5) };
            let lines: Vec<Line> = Shop::new(config).expect("valid").lines().collect();
            let orders = orders(&lines);
            let mut days: HashMap<(u64, i64), usize> = HashMap::new();
            for (customer, time, _) in orders.values() {
                *days.entry((*customer, time.div_euclid(86_400))).or_default() += 1;
            }
            days.values().map(|&n| n - 1).sum::<usize>() as f64 / orders.len() as f64
        };
        let (with, without) = (share(0.05), share(0.0));
        // 5% of the purchases after which the customer stays active (about 80% of them).
        assert!((0.025..0.06).contains(&(with - without)), "same-day repeats {with} vs {without}");
    }

    #[test]
    fn default_shape_is_realistic() {
        let lines: Vec<Line> = shop(20_000, 42).lines().collect();
        let rows_per_customer = lines.len() as f64 / 20_000.0;
        assert!((9.0..=11.0).contains(&rows_per_customer), "rows per customer {rows_per_customer}");
        let orders = orders(&lines);
        let mut per_customer = vec![0u32; 20_000];
        let mut total = 0i64;
        for (customer, _, items) in orders.values() {
            per_customer[*customer as usize] += 1;
            total += items.iter().map(|i| i.0).sum::<i64>();
        }
        let one_time = per_customer.iter().filter(|&&n| n == 1).count() as f64 / 20_000.0;
        assert!((0.3..=0.5).contains(&one_time), "one-time buyers {one_time}");
        let loyal = per_customer.iter().filter(|&&n| n >= 30).count() as f64 / 20_000.0;
        assert!((0.02..0.15).contains(&loyal), "customers with 30+ orders {loyal}");
        let mean_order = total as f64 / 100.0 / orders.len() as f64;
        assert!((27.0..33.0).contains(&mean_order), "mean order value {mean_order}");
    }

    #[test]
    fn csv_has_the_generic_layout() {
        let s = shop(500, 7);
        let mut out = Vec::new();
        let rows = s.write_csv(&mut out).expect("write to a Vec");
        let text = String::from_utf8(out).expect("ASCII");
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("customer_id,order_id,timestamp,amount,category"));
        assert!(text.ends_with('\n'));
        let expected: Vec<Line> = s.lines().collect();
        assert_eq!(rows as usize, expected.len());
        let mut count = 0;
        for (row, line) in lines.zip(&expected) {
            count += 1;
            let fields: Vec<&str> = row.split(',').collect();
            assert_eq!(fields.len(), 5, "{row}");
            assert_eq!(fields[0], Shop::customer_id(line.customer));
            let order = if line.is_return { format!("R{}", line.order) } else { line.order.to_string() };
            assert_eq!(fields[1], order);
            let day = Day::from_days(line.timestamp.div_euclid(86_400) as i32);
            let sec = line.timestamp.rem_euclid(86_400);
            let stamp = format!("{day}T{:02}:{:02}:{:02}Z", sec / 3600, sec / 60 % 60, sec % 60);
            assert_eq!(fields[2], stamp);
            assert_eq!(fields[3], crate::Currency::default().format(line.amount));
            assert_eq!(fields[4], line.category);
        }
        assert_eq!(count, expected.len());
    }

    #[test]
    fn csv_formats_small_and_negative_amounts() {
        let mut csv = CsvWriter::new(256);
        let row = |order, is_return, amount, customer, category| Row {
            customer,
            order,
            is_return,
            timestamp: 1_680_702_307, // 2023-04-05T13:45:07Z
            amount,
            category,
        };
        csv.row(&row(100_457, false, 2399, 123, 0));
        csv.row(&row(100_457, true, -5, 123, 0));
        csv.row(&row(100_458, false, 100, 12_345_678, 4));
        csv.row(&row(100_459, true, -1_234_500, 0, 7));
        assert_eq!(
            std::str::from_utf8(csv.written()).expect("ASCII"),
            "C0000123,100457,2023-04-05T13:45:07Z,23.99,books\n\
             C0000123,R100457,2023-04-05T13:45:07Z,-0.05,books\n\
             C12345678,100458,2023-04-05T13:45:07Z,1.00,electronics\n\
             C0000000,R100459,2023-04-05T13:45:07Z,-12345.00,toys\n"
        );
        let mut csv = CsvWriter::new(64);
        csv.row(&Row { timestamp: -2_208_988_800, ..row(1, false, 0, 1, 1) }); // 1900-01-01
        csv.row(&Row { timestamp: 7_289_654_399, ..row(2, false, 7, 2, 2) }); // 2200-12-31
        assert_eq!(
            csv.written(),
            b"C0000001,1,1900-01-01T00:00:00Z,0.00,music\nC0000002,2,2200-12-31T23:59:59Z,0.07,video\n"
        );
    }

    #[test]
    fn customer_ids_are_padded() {
        assert_eq!(Shop::customer_id(0), "C0000000");
        assert_eq!(Shop::customer_id(123), "C0000123");
        assert_eq!(Shop::customer_id(12_345_678), "C12345678");
        let mut csv = CsvWriter::new(64);
        for (value, width) in [(0, 1), (9, 1), (10, 1), (99, 3), (100, 1), (5, 8), (1_234_567, 7), (u64::MAX, 7)] {
            csv.pos = 0;
            csv.number(value, width);
            assert_eq!(csv.written(), format!("{value:0width$}").as_bytes());
        }
    }

    #[test]
    fn validate_rejects_nonsense() {
        let ok = ShopConfig::default();
        assert!(ok.validate().is_ok());
        assert!(ShopConfig { days: 65_013, ..ok.clone() }.validate().is_ok()); // last day 2200-12-31
        let bad: Vec<(&str, ShopConfig)> = vec![
            ("customers", ShopConfig { customers: 0, ..ok.clone() }),
            ("days", ShopConfig { days: 0, ..ok.clone() }),
            ("start", ShopConfig { start: Day::from_days(-25_568), ..ok.clone() }),
            ("days", ShopConfig { days: 65_014, ..ok.clone() }), // last day 2201-01-01
            ("acquisition_share", ShopConfig { acquisition_share: 0.0, ..ok.clone() }),
            ("acquisition_share", ShopConfig { acquisition_share: 1.5, ..ok.clone() }),
            ("r", ShopConfig { r: 0.0, ..ok.clone() }),
            ("alpha", ShopConfig { alpha: -1.0, ..ok.clone() }),
            ("a", ShopConfig { a: f64::NAN, ..ok.clone() }),
            ("b", ShopConfig { b: f64::INFINITY, ..ok.clone() }),
            ("p", ShopConfig { p: 0.0, ..ok.clone() }),
            ("q", ShopConfig { q: 1.0, ..ok.clone() }),
            ("gamma", ShopConfig { gamma: 0.0, ..ok.clone() }),
            ("return_rate", ShopConfig { return_rate: 1.01, ..ok.clone() }),
            ("same_day_repeat_rate", ShopConfig { same_day_repeat_rate: -0.1, ..ok.clone() }),
            ("multi_line_rate", ShopConfig { multi_line_rate: f64::NAN, ..ok.clone() }),
        ];
        for (name, config) in bad {
            match config.validate() {
                Err(Error::InvalidArgument { parameter: got, .. }) => assert_eq!(got, name),
                other => panic!("{name}: expected InvalidArgument, got {other:?}"),
            }
            assert_eq!(Shop::new(config).unwrap_err().parameter(), Some(name));
        }
        // The edges of the valid range are accepted and generate.
        let edge = ShopConfig {
            customers: 1,
            days: 1,
            start: Day::from_days(MAX_DAY as i32),
            acquisition_share: 1.0,
            return_rate: 1.0,
            same_day_repeat_rate: 1.0,
            multi_line_rate: 1.0,
            ..ok.clone()
        };
        let lines: Vec<Line> = Shop::new(edge).expect("valid").lines().collect();
        assert!(!lines.is_empty() && lines.iter().all(|l| l.timestamp < (MAX_DAY + 1) * 86_400));
        let early = ShopConfig { start: Day::from_days(MIN_DAY as i32), customers: 50, ..ok };
        let s = Shop::new(early).expect("valid");
        assert!(s.lines().all(|l| l.timestamp >= MIN_DAY * 86_400));
        let mut out = Vec::new();
        s.write_csv(&mut out).expect("write");
        assert!(out.windows(9).any(|w| w == b",1900-01-"));
    }

    #[test]
    fn extreme_parameters_stay_finite() {
        // Tiny spend rates hit the order cap; tiny purchase rates end customers after one order.
        let config = ShopConfig {
            customers: 300,
            r: 0.01,
            alpha: 100.0,
            a: 0.01,
            b: 0.01,
            p: 0.05,
            q: 1.0001,
            gamma: 1e-6,
            ..ShopConfig::default()
        };
        let lines: Vec<Line> = Shop::new(config).expect("valid").lines().collect();
        assert!(lines.len() >= 300);
        assert!(lines.iter().all(|l| l.amount != 0 && l.amount.abs() <= MAX_ORDER_CENTS));
    }
}
