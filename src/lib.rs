//! `retention` turns a shop's order history into the numbers that drive retention work.
//!
//! The core is an embedded store of compact per-customer purchase vectors (sled underneath) and
//! parallel scans over them. Orders go in through [`Store::ingest`]; per-customer
//! [`Summary`]s (recency, frequency, spend and the BTYD inputs `x`, `t_x`, `T`) come out of
//! [`Store::summaries`], a parallel scan that later analyses (RFM, CLV, retention metrics) build on.
//!
//! ```
//! # fn main() -> retention::Result<()> {
//! use retention::{IngestOptions, Store};
//!
//! # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
//! let store = Store::open(dir.path().join("shop"))?;
//! let orders = "\
//! customer_id,order_id,timestamp,amount,category
//! ann,1001,2024-01-05T10:00:00Z,20.00,books
//! ann,1002,2024-03-01T18:30:00Z,35.50,music
//! bob,1003,2024-02-11T09:15:00Z,12.00,books
//! ";
//! let report = store.ingest(orders.as_bytes(), &IngestOptions::default())?;
//! assert_eq!((report.orders_new, report.customers_new), (3, 2));
//!
//! // Ingesting the same file again changes nothing: orders are upserted by (customer, order id).
//! let again = store.ingest(orders.as_bytes(), &IngestOptions::default())?;
//! assert_eq!((again.orders_new, again.orders_unchanged), (0, 3));
//!
//! let summaries = store.summaries(None)?; // as of the latest order day
//! assert_eq!(summaries.as_of.to_string(), "2024-03-01");
//! let ann = &summaries.customers[0];
//! assert_eq!((ann.orders, ann.x(), ann.t_x(), ann.spend), (2, 1, 56, 5550));
//! # Ok(()) }
//! ```
//!
//! ## From orders to whom to contact: open → ingest → score → look up
//!
//! A service holds one [`Store`] (it is `Send + Sync`; clone it freely) and calls it from any
//! thread. Writes are transactions: an ingest or a save either commits whole or, after a crash,
//! is rolled back at the next open; reads see one committed state ([`Store::snapshot`]).
//!
//! ```
//! # fn main() -> retention::Result<()> {
//! use retention::clv::{FitOptions, ModelKind, TimeUnit, ValueOptions};
//! use retention::generate::{Shop, ShopConfig};
//! use retention::rfm::{RfmOptions, Segments};
//! use retention::{IngestOptions, Store};
//!
//! # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
//! // Open (or create) a store and ingest an order export: CSV, gzip, Parquet, a workbook, or a
//! // platform's export (Shopify, WooCommerce, Stripe, Etsy), recognised from its header.
//! let store = Store::open(dir.path().join("shop"))?;
//! let mut orders = Vec::new(); // here a synthetic shop of 2,000 customers
//! Shop::new(ShopConfig::new(2_000, 7))?.write_csv(&mut orders).map_err(|e| retention::Error::io("generating", e))?;
//! store.ingest(orders.as_slice(), &IngestOptions::default())?;
//!
//! // RFM scores and named segments, saved so that single customers can be looked up later.
//! let rfm = store.rfm(None, &RfmOptions::default())?;
//! store.save_scores(&rfm, &Segments::default())?;
//!
//! // A CLV model: BG/NBD for purchases (Gamma-Gamma for spend comes with it), fitted and saved.
//! let model = store.fit_clv(None, ModelKind::BgNbd, TimeUnit::Weeks, &FitOptions::default())?;
//! store.save_clv(&model)?;
//!
//! // Look one customer up: their orders, saved scores and predictions.
//! let profile = store.customer(&retention::generate::Shop::customer_id(42))?.expect("customer 42 bought");
//! let score = store.saved_score(profile.id)?.expect("scores are saved");
//! let value = store.clv_of(profile.id, &model, &ValueOptions::default())?.expect("bought by the model's day");
//! assert!(score.r >= 1 && (0.0..=1.0).contains(&value.p_alive) && value.clv >= 0.0);
//! # Ok(()) }
//! ```
//!
//! ## Errors
//!
//! Every function returns [`Result`]; nothing panics on user data. Branch on [`Error::kind`]
//! ([`ErrorKind::Input`]: a bad row, with file, line, column and value; [`ErrorKind::StoreBusy`],
//! [`ErrorKind::Corrupt`], [`ErrorKind::NotIdentified`] for a model the data cannot fit, ...);
//! an invalid option names the library parameter (`ValueOptions::horizon`) and its value as data.
//!
//! ## Layout
//!
//! Modules follow the data, each layer using only those below it (`ARCHITECTURE.md`, checked by a
//! test): [`day`], [`money`], [`error`] → [`summary`] → [`store`] (records, scans, transactions,
//! saved results as bytes) → [`ingest`] (rows in) → the analyses [`rfm`], [`clv`], [`metrics`] →
//! [`actions`] (lists) → [`report`] → Parquet adapters (`lake`, `summary_file`). [`generate`]
//! makes realistic synthetic shops for demos, tests and benchmarks.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Outside tests nothing may unwrap or expect: user data and I/O fail with an `Error` instead.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod actions;
mod atomic;
pub mod clv;
pub mod day;
pub mod error;
pub mod generate;
pub mod ingest;
#[doc(hidden)]
pub mod internals;
#[cfg(feature = "parquet")]
pub mod lake;
pub mod metrics;
pub mod money;
mod options;
mod random;
pub mod report;
pub mod rfm;
pub mod store;
pub mod summary;
#[cfg(feature = "parquet")]
pub mod summary_file;
mod toml_file;
mod zone;

pub use atomic::{AtomicFile, write_atomically};
pub use day::Day;
pub use error::{Error, ErrorKind, InputError, Need, Result};
pub use ingest::{
    ColumnNames, DateOrder, FxRates, Ingest, IngestOptions, IngestReport, Preset, Progress, REJECTED_EXAMPLES,
    SourceLayout,
};
pub use money::Currency;
pub use store::{CustomerProfile, OrderLine, Recovery, Snapshot, Stats, Store, StoreOptions, StoredOrderView};
pub use summary::{CustomerId, Summaries, Summary};
