//! Saved RFM scores, for services that need a customer's segment without a rescan: a store result
//! named `rfm` (see `Store::save_result`) of 4 bytes per customer (R, F, M, segment) under one
//! header that names the as-of day, the bins, a hash of the rules and the data version the scores
//! describe. The store keeps the bytes and makes each save one transaction; this module owns what
//! they mean.

use serde::{Deserialize, Serialize};

use super::{Rfm, Segments};
use crate::day::Day;
use crate::error::{Error, Result};
use crate::store::codec::{self, fingerprint};
use crate::store::{Cells, Snapshot, Store};
use crate::summary::CustomerId;

/// The name the scores are saved under (format 3 stored them at fixed keys read under this name).
const NAME: &str = "rfm";
/// Bytes per customer: R, F, M, segment (R is at least 1 for a scored customer).
const CELL: usize = 4;

const HEADER_VERSION: u8 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Header {
    /// Format 3 numbered saves here; the store's generations do that now (0).
    generation: u64,
    data_version: u64,
    as_of: i32,
    bins: u8,
    rules_hash: u64,
    segments: Vec<String>,
    customers: u64,
}

/// What a save recorded, and whether the store has changed since.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SavedScores {
    /// The as-of day of the scores.
    pub as_of: Day,
    /// Scores run 1..=`bins`.
    pub bins: u8,
    /// Hash of the segment rules and score cuts used (xxh3 of their encoding).
    pub rules_hash: u64,
    /// Customers scored.
    pub customers: u64,
    /// Segment names, indexed by [`SavedScore::segment_id`].
    pub segments: Vec<String>,
    /// True once an ingest has changed the store's data after the save: the scores no longer
    /// describe it and must be recomputed before they are trusted.
    pub stale: bool,
}

/// One customer's saved scores.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SavedScore {
    /// R, F and M scores.
    pub r: u8,
    /// F score.
    pub f: u8,
    /// M score.
    pub m: u8,
    /// Index into [`SavedScores::segments`].
    pub segment_id: u8,
    /// The segment's name.
    pub segment: String,
    /// The save this score belongs to.
    pub saved: SavedScores,
}

impl Store {
    /// Saves `rfm`'s scores and `segments`' assignment for every customer, replacing any earlier
    /// save; [`Store::saved_score`] then answers per customer without a scan.
    ///
    /// ```
    /// use retention::rfm::{RfmOptions, Segments};
    /// # fn main() -> retention::Result<()> {
    /// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
    /// let store = retention::Store::open(dir.path().join("shop"))?;
    /// store.ingest("customer_id,order_id,timestamp,amount\na,1,2024-01-01,10\n".as_bytes(), &Default::default())?;
    /// let rfm = store.rfm(None, &RfmOptions::default())?;
    /// store.save_scores(&rfm, &Segments::default())?;
    /// let a = store.customer("a")?.expect("a was ingested").id;
    /// let saved = store.saved_score(a)?.expect("a was scored");
    /// assert_eq!((saved.r, saved.segment.as_str(), saved.saved.stale), (1, "Lost", false));
    ///
    /// store.ingest("customer_id,order_id,timestamp,amount\na,2,2024-02-01,10\n".as_bytes(), &Default::default())?;
    /// assert!(store.saved_score(a)?.expect("scores were saved").saved.stale); // never served silently
    /// # Ok(()) }
    /// ```
    pub fn save_scores(&self, rfm: &Rfm, segments: &Segments) -> Result<()> {
        let assigned = segments.assign(rfm);
        let rules = codec::encode_value(1, &(segments, &rfm.cuts, rfm.bins, rfm.monetary))?;
        let header = Header {
            generation: 0,
            data_version: rfm.data_version,
            as_of: rfm.as_of.days(),
            bins: rfm.bins,
            rules_hash: fingerprint::content(0, 0, &rules),
            segments: segments.names().to_vec(),
            customers: rfm.scores.len() as u64,
        };
        let block_size = u64::from(self.block_size());
        let mut scores = rfm.scores.iter().zip(&assigned).peekable();
        let mut fill = |b: u64, cells: &mut [u8]| {
            while let Some(&(s, &segment)) = scores.peek() {
                let id = u64::from(s.customer.get());
                if id >= (b + 1) * block_size {
                    break;
                }
                let at = CELL * (id - b * block_size) as usize;
                cells[at..at + CELL].copy_from_slice(&[s.r, s.f, s.m, segment]);
                scores.next();
            }
            Ok(())
        };
        let check = |snapshot: &Snapshot| {
            let ids_ascend = rfm.scores.windows(2).all(|w| w[0].customer < w[1].customer);
            let last = rfm.scores.last().map(|s| u64::from(s.customer.get()));
            if !ids_ascend || last.is_some_and(|id| id >= snapshot.customer_count()) {
                return Err(Error::invalid(
                    "Store::save_scores(rfm)",
                    format!("{} scores", rfm.scores.len()),
                    "must be one per customer of this store, sorted by id, as Rfm::compute returns them",
                ));
            }
            Ok(())
        };
        let value = codec::encode_value(HEADER_VERSION, &header)?;
        self.save_result(NAME, &value, Some(Cells { width: CELL, fill: &mut fill }), check)
    }

    /// What the last [`Store::save_scores`] recorded, if scores were ever saved.
    pub fn saved_scores(&self) -> Result<Option<SavedScores>> {
        self.snapshot().saved_scores()
    }

    /// A customer's saved scores: one read, no scan. `None` if nothing was saved or the customer
    /// had no purchase by the saved as-of day. Check [`SavedScores::stale`] before trusting it.
    pub fn saved_score(&self, customer: CustomerId) -> Result<Option<SavedScore>> {
        self.snapshot().saved_score(customer)
    }
}

impl Snapshot {
    /// [`Store::saved_scores`] of this snapshot.
    pub fn saved_scores(&self) -> Result<Option<SavedScores>> {
        Ok(self.header()?.map(|h| h.describe(self)))
    }

    /// [`Store::saved_score`] of this snapshot.
    pub fn saved_score(&self, customer: CustomerId) -> Result<Option<SavedScore>> {
        let Some(header) = self.header()? else { return Ok(None) };
        let Some(cell) = self.saved_cell(NAME, u64::from(customer.get()), CELL, header.generation)? else {
            return Ok(None);
        };
        let &[r, f, m, segment_id] = cell.as_slice() else { return Ok(None) };
        if r == 0 {
            return Ok(None);
        }
        let segment =
            header.segments.get(usize::from(segment_id)).cloned().ok_or_else(|| {
                Error::corrupt(format!("saved scores of customer {}", customer.get()), "unknown segment")
            })?;
        Ok(Some(SavedScore { r, f, m, segment_id, segment, saved: header.describe(self) }))
    }

    fn header(&self) -> Result<Option<Header>> {
        let Some(value) = self.saved_value(NAME)? else { return Ok(None) };
        codec::decode_value(HEADER_VERSION, &value, "saved scores header").map(Some)
    }
}

impl Header {
    /// Stale when the data version of the snapshot differs from the one scored.
    fn describe(self, snapshot: &Snapshot) -> SavedScores {
        SavedScores {
            as_of: Day::from_days(self.as_of),
            bins: self.bins,
            rules_hash: self.rules_hash,
            customers: self.customers,
            segments: self.segments,
            stale: self.data_version != snapshot.data_version(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rfm::{RfmOptions, Segments};
    use crate::store::engine::Engine;
    use crate::{IngestOptions, Store};

    fn store_with_scores() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s")).unwrap();
        let csv = "customer_id,order_id,timestamp,amount\na,1,2024-01-01,10\nb,2,2024-01-03,20\n";
        store.ingest(csv.as_bytes(), &IngestOptions::default()).unwrap();
        let rfm = store.rfm(None, &RfmOptions::default()).unwrap();
        store.save_scores(&rfm, &Segments::default()).unwrap();
        assert!(!store.saved_scores().unwrap().unwrap().stale);
        (dir, store)
    }

    /// An ingest that failed half way changed nothing, so the saved scores are still fresh; one
    /// that commits makes them stale.
    #[test]
    fn only_a_committed_ingest_makes_saved_scores_stale() {
        let (_dir, store) = store_with_scores();
        let a = store.customer("a").unwrap().unwrap().id;
        let before = store.saved_score(a).unwrap().unwrap();
        let csv = "customer_id,order_id,timestamp,amount\na,3,2024-01-05,10\nz,4,2024-01-05,10\n";
        store.inner().engine.faults.fail_in(2, true);
        let e = store.ingest(csv.as_bytes(), &IngestOptions::default()).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Io, "{e}");
        store.inner().engine.faults.heal();
        assert_eq!(store.saved_score(a).unwrap().unwrap(), before);
        assert!(store.customer("z").unwrap().is_none());
        store.ingest(csv.as_bytes(), &IngestOptions::default()).unwrap();
        assert!(store.saved_scores().unwrap().unwrap().stale);
        assert!(store.saved_score(a).unwrap().unwrap().saved.stale);
    }

    /// A snapshot taken before a save reads the scores it saw, the store the new ones; once the
    /// snapshot is dropped the next write removes the old save.
    #[test]
    fn a_snapshot_keeps_the_scores_it_saw() {
        let (_dir, store) = store_with_scores();
        let a = store.customer("a").unwrap().unwrap().id;
        let old = store.snapshot();
        let rfm = store.rfm(None, &RfmOptions { bins: 3, ..RfmOptions::default() }).unwrap();
        store.save_scores(&rfm, &Segments::default()).unwrap();
        assert_eq!(old.saved_scores().unwrap().unwrap().bins, 5);
        assert!(old.saved_score(a).unwrap().is_some());
        assert_eq!(store.saved_scores().unwrap().unwrap().bins, 3);
        let census = || store.inner().engine.range(b"S", b"T").count();
        let two_saves = census();
        drop(old);
        store.save_scores(&rfm, &Segments::default()).unwrap();
        assert_eq!(census(), two_saves / 2, "one save's blocks left");
    }

    /// Scores computed before an ingest and saved after it describe the old data.
    #[test]
    fn scores_computed_before_an_ingest_are_saved_as_stale() {
        let (_dir, store) = store_with_scores();
        let before = store.rfm(None, &RfmOptions::default()).unwrap();
        store
            .ingest("customer_id,order_id,timestamp,amount\na,3,2024-01-05,10\n".as_bytes(), &IngestOptions::default())
            .unwrap();
        store.save_scores(&before, &Segments::default()).unwrap();
        assert!(store.saved_scores().unwrap().unwrap().stale);
    }

    #[test]
    fn scores_out_of_id_order_are_refused() {
        let (_dir, store) = store_with_scores();
        let mut rfm = store.rfm(None, &RfmOptions::default()).unwrap();
        rfm.scores.reverse();
        let err = store.save_scores(&rfm, &Segments::default()).unwrap_err();
        assert!(err.to_string().contains("sorted by id"), "{err}");
    }
}
