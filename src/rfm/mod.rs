//! RFM: recency, frequency and monetary values per customer, quantile scores with one documented
//! tie rule, named segments from the scores, the segment report with spend concentration, and
//! data-driven k-means clusters.
//!
//! ```
//! use retention::rfm::{Rfm, RfmOptions, Segments};
//! # fn main() -> retention::Result<()> {
//! # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
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
mod saved;
mod scores;
mod segments;

pub use kmeans::{Cluster, Clusters, KMeans, Point};
pub use report::{Concentration, Group, SegmentLine, SegmentReport};
pub use rules::RulesFile;
pub use saved::{SavedScore, SavedScores};
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

    /// Which customers are in segment `name` (any case) of `segments` as of `as_of`, as a flag per
    /// internal id for the metrics and lists that take `members`, and the day scored.
    ///
    /// ```
    /// use retention::rfm::Segments;
    /// # fn main() -> retention::Result<()> {
    /// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
    /// let store = retention::Store::open(dir.path().join("shop"))?;
    /// store.ingest("customer_id,order_id,timestamp,amount\na,1,2024-01-01,10\n".as_bytes(), &Default::default())?;
    /// let (members, _) = store.segment_members(None, &Segments::default(), "lost")?;
    /// assert_eq!(members, [true]);
    /// # Ok(()) }
    /// ```
    pub fn segment_members(&self, as_of: Option<Day>, segments: &Segments, name: &str) -> Result<(Vec<bool>, Day)> {
        let wanted = segments.names().iter().position(|n| n.eq_ignore_ascii_case(name)).ok_or_else(|| {
            crate::Error::invalid(
                "Store::segment_members(name)",
                name,
                format!("expected one of: {}", segments.names().join(", ")),
            )
        })? as u8;
        let rfm = self.rfm(as_of, &RfmOptions::default())?;
        let mut members = vec![false; self.customer_count() as usize];
        for s in &rfm.scores {
            if segments.of(s, rfm.bins) == wanted
                && let Some(m) = members.get_mut(s.customer.get() as usize)
            {
                *m = true;
            }
        }
        Ok((members, rfm.as_of))
    }
}
