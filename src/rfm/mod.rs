//! RFM: recency, frequency and monetary values per customer, quantile scores with one documented
//! tie rule, named segments from the scores, the segment report with spend concentration, and
//! data-driven k-means clusters.
//!
//! ```
//! use retention::rfm::{Rfm, RfmOptions, Segments};
//! # fn main() -> retention::Result<()> {
//! # let dir = tempfile::tempdir().unwrap();
//! let store = retention::Store::open(dir.path().join("shop"))?;
//! store.ingest("customer_id,order_id,timestamp,amount\na,1,2024-01-01,10\n".as_bytes(), &Default::default())?;
//! let rfm = store.rfm(None, &RfmOptions::default())?;
//! let segments = Segments::default();
//! let first = &rfm.scores[0];
//! println!("{} {}", first.cell(), segments.name(segments.of(first, rfm.bins)));
//! # Ok(()) }
//! ```

mod kmeans;
mod report;
mod rules;
mod scores;
mod segments;

pub use kmeans::{Cluster, Clusters, KMeans, Point};
pub use report::{Concentration, Group, SegmentLine, SegmentReport};
pub use rules::RulesFile;
pub use scores::{Cuts, Monetary, Rfm, RfmOptions, RfmScore};
pub use segments::{Conditions, Rule, ScoreRange, Segments};

use crate::day::Day;
use crate::error::Result;
use crate::store::Store;

impl Store {
    /// RFM scores of every customer with a purchase by `as_of` (default: the latest order day):
    /// one summary scan, then [`Rfm::compute`].
    pub fn rfm(&self, as_of: Option<Day>, options: &RfmOptions) -> Result<Rfm> {
        Rfm::compute(&self.summaries(as_of)?, options)
    }
}
