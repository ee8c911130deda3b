//! The saved CLV model: one value holding the fitted purchase and spend models with the data
//! version they describe, so `customer` and services score without refitting and see when it is
//! stale. A save is one transaction (see `generation`): the model goes under its generation's key
//! and the metadata points at it when the save commits.

use super::codec;
use super::engine::WriteBatch;
use super::generation::{Transaction, Written};
use super::keys;
use super::{Snapshot, Store};
use crate::clv::{ClvModel, SavedClv};
use crate::error::Result;

/// Layout version of the saved model value.
/// 6: diagnostics carry the boundary finding and the warnings of the fit.
const MODEL_VERSION: u8 = 6;

impl Store {
    /// Saves `model` as the store's CLV model, replacing any earlier one.
    pub fn save_clv(&self, model: &ClvModel) -> Result<()> {
        let _guard = self.inner().write_lock.lock().unwrap_or_else(|p| p.into_inner());
        self.settle()?;
        let result = (|| {
            let meta = self.meta();
            let mut txn = Transaction::begin(&self.inner().engine, &meta)?;
            let g = txn.generation();
            let mut written = vec![Written::Created(keys::clv_model(g))];
            written.extend(meta.clv.map(|old| Written::Replaced(keys::clv_model(old))));
            let mut batch = WriteBatch::default();
            batch.put(keys::clv_model(g), codec::encode_value(MODEL_VERSION, model)?);
            txn.apply(batch, &written)?;
            let mut next = (*meta).clone();
            next.clv = Some(g);
            txn.commit(next)
        })();
        self.after_write(result)
    }

    /// The saved CLV model, if one was saved, and whether data changed since its fit.
    pub fn saved_clv(&self) -> Result<Option<SavedClv>> {
        self.snapshot().saved_clv()
    }
}

impl Snapshot {
    /// [`Store::saved_clv`] of this snapshot.
    pub fn saved_clv(&self) -> Result<Option<SavedClv>> {
        use super::engine::Engine;
        let meta = self.meta();
        let Some(g) = meta.clv else { return Ok(None) };
        let Some(v) = self.engine().get(&keys::clv_model(g))? else {
            return Err(crate::Error::corrupt("saved CLV model", "missing though the metadata names it"));
        };
        if v.first() != Some(&MODEL_VERSION) {
            return Err(crate::Error::invalid(
                "saved CLV model",
                format!("layout {}", v.first().copied().unwrap_or(0)),
                "was written by another retention version; run `retention clv fit` again to replace it",
            ));
        }
        let model: ClvModel = codec::decode_value(MODEL_VERSION, v.as_ref(), "saved CLV model")?;
        // The model records the data version of the summaries it was fitted on.
        let stale = model.data_version != meta.data_version;
        Ok(Some(SavedClv { model, stale }))
    }
}
