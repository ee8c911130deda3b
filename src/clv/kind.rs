//! Which purchase-count model: the names a caller picks a model by. Nothing here depends on the
//! models themselves, so that fit limits and warnings (`boundary.rs`) can name a model without
//! importing it; [`ModelKind::fit`] lives with [`CountModel`](crate::clv::CountModel).

use serde::{Deserialize, Serialize};

/// The purchase-count models this crate fits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ModelKind {
    /// [`BgNbd`](crate::clv::BgNbd).
    #[serde(rename = "bgnbd")]
    BgNbd,
    /// [`MbgNbd`](crate::clv::MbgNbd).
    #[serde(rename = "mbgnbd")]
    MbgNbd,
    /// [`ParetoNbd`](crate::clv::ParetoNbd).
    #[serde(rename = "pnbd")]
    ParetoNbd,
}

impl ModelKind {
    /// Every model, in the order reports list them.
    pub const ALL: [ModelKind; 3] = [ModelKind::BgNbd, ModelKind::MbgNbd, ModelKind::ParetoNbd];

    /// The name used on the command line (`bgnbd`, `mbgnbd`, `pnbd`).
    pub fn key(self) -> &'static str {
        match self {
            ModelKind::BgNbd => "bgnbd",
            ModelKind::MbgNbd => "mbgnbd",
            ModelKind::ParetoNbd => "pnbd",
        }
    }

    /// Parses a model's key (`bgnbd`, `mbgnbd`, `pnbd`) or a common spelling of its name.
    pub fn parse(text: &str) -> crate::Result<ModelKind> {
        match text.to_ascii_lowercase().replace(['/', '-', '_'], "").as_str() {
            "bgnbd" | "bg" => Ok(ModelKind::BgNbd),
            "mbgnbd" | "mbg" => Ok(ModelKind::MbgNbd),
            "pnbd" | "paretonbd" | "pareto" => Ok(ModelKind::ParetoNbd),
            _ => Err(crate::Error::invalid("ModelKind", text, "expected bgnbd, mbgnbd or pnbd")),
        }
    }
}
