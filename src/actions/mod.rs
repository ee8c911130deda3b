//! Actions: the lists a retention team sends to its email tool. Each is a library call returning
//! typed rows (customer and the figures behind the choice); the CLI streams them as CSV.

mod lifecycle;

pub use lifecycle::{FollowUp, Vip, VipBy, WinBack, WinBackOptions};
