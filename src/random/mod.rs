//! Seeded randomness for the library's own use: a small, fast, reproducible generator and the
//! distributions drawn from it. Models draw prediction intervals and simulations with it, k-means
//! its starts, and the synthetic shop (`generate`) its customers; none of them depends on another
//! for random numbers.

pub(crate) mod dist;
pub(crate) mod rng;
