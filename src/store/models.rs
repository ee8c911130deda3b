//! The saved CLV model: one key holding the fitted purchase and spend models with the data version
//! they describe, so `customer` and services score without refitting and see when it is stale.

use super::Store;
use super::codec;
use super::engine::{Engine, WriteBatch};
use super::keys;
use crate::clv::{ClvModel, SavedClv};
use crate::error::Result;

/// Layout version of the saved model value.
/// 6: diagnostics carry the boundary finding and the warnings of the fit.
const MODEL_VERSION: u8 = 6;

impl Store {
    /// Saves `model` as the store's CLV model, replacing any earlier one.
    pub fn save_clv(&self, model: &ClvModel) -> Result<()> {
        let _guard = self.inner().write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let engine = &self.inner().engine;
        let mut batch = WriteBatch::default();
        batch.put(keys::CLV_MODEL, codec::encode_value(MODEL_VERSION, model)?);
        engine.apply(batch)?;
        engine.flush()
    }

    /// The saved CLV model, if one was saved, and whether data changed since its fit.
    pub fn saved_clv(&self) -> Result<Option<SavedClv>> {
        let meta = self.meta();
        match self.inner().engine.get(keys::CLV_MODEL)? {
            None => Ok(None),
            Some(v) if v.first() != Some(&MODEL_VERSION) => Err(crate::Error::invalid(
                "saved CLV model",
                format!("layout {}", v.first().copied().unwrap_or(0)),
                "was written by another retention version; run `retention clv fit` again to replace it",
            )),
            Some(v) => {
                let model: ClvModel = codec::decode_value(MODEL_VERSION, v.as_ref(), "saved CLV model")?;
                // As for saved scores: a half-written (or crashed) ingest may already have changed data.
                let stale = model.data_version != meta.data_version || meta.in_progress;
                Ok(Some(SavedClv { model, stale }))
            }
        }
    }
}
