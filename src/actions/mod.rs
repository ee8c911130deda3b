//! Actions: what a retention team does with the numbers. Lifecycle lists (whom to contact today), cross-sell offers
//! and the loyalty programme (points, rewards, tiers); each is a library call returning typed rows
//! with the figures behind them, which the CLI streams as CSV.

mod cross_sell;
mod lifecycle;
mod loyalty;

pub use cross_sell::{CrossSell, CrossSellOptions};
pub use lifecycle::{FollowUp, Vip, VipBy, WinBack, WinBackOptions};
pub use loyalty::{Account, Lapse, Programme, ProgrammeTotals, Reward, Rounding, Tier, TierBasis};
