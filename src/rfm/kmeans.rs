//! Data-driven segments: k-means on standardised log(1+R), log(1+F), log(1+M), with k-means++
//! seeding and parallel Lloyd iterations. Sums run over fixed-size chunks added in order, so a
//! seed gives the same clusters whatever the thread count; `k = auto` picks k by silhouette.

use rayon::prelude::*;
use serde::Serialize;

use super::scores::Rfm;
use crate::error::{Error, Result};
use crate::random::rng::Rng;

/// A point in feature space.
pub type Point = [f64; 3];

/// Points per parallel chunk: sums are formed per chunk and added in chunk order (determinism).
const CHUNK: usize = 8_192;
/// Lloyd iterations stop after this many even if assignments still change.
const MAX_ITERATIONS: usize = 300;
/// Points used to score each k by silhouette when k is chosen automatically.
const SILHOUETTE_SAMPLE: usize = 2_000;

/// A k-means fit on plain points.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KMeans {
    /// Cluster centres.
    pub centres: Vec<Point>,
    /// The cluster of each point.
    pub assignment: Vec<u8>,
    /// Lloyd iterations run.
    pub iterations: usize,
    /// Whether assignments stopped changing before the iteration limit.
    pub converged: bool,
    /// Sum of squared distances of points to their centres.
    pub inertia: f64,
}

impl KMeans {
    /// Fits `k` clusters (1..=64) to `points` from k-means++ seeds drawn with `seed`.
    ///
    /// ```
    /// use retention::rfm::KMeans;
    /// # fn main() -> retention::Result<()> {
    /// let points = [[0.0, 0.0, 0.0], [0.1, 0.0, 0.0], [9.0, 9.0, 9.0], [9.1, 9.0, 9.0]];
    /// let fit = KMeans::fit(&points, 2, 7)?;
    /// assert_eq!(fit.assignment[0], fit.assignment[1]);
    /// assert_ne!(fit.assignment[0], fit.assignment[2]);
    /// # Ok(()) }
    /// ```
    pub fn fit(points: &[Point], k: usize, seed: u64) -> Result<KMeans> {
        if !(1..=64).contains(&k) {
            return Err(Error::invalid("KMeans::fit(k)", k.to_string(), "expected 1 to 64 clusters"));
        }
        if points.len() < k {
            return Err(Error::invalid(
                "KMeans::fit(k)",
                k.to_string(),
                format!("only {} customers to cluster", points.len()),
            ));
        }
        let mut centres = seed_plus_plus(points, k, seed);
        let mut assignment = vec![u8::MAX; points.len()];
        let (mut iterations, mut converged) = (0, false);
        while iterations < MAX_ITERATIONS {
            iterations += 1;
            let changed = assign(points, &centres, &mut assignment);
            if changed == 0 {
                converged = true;
                break;
            }
            centres = update(points, &assignment, &centres);
        }
        let inertia = chunked_sum(points, |i, p| distance2(p, &centres[usize::from(assignment[i])]));
        Ok(KMeans { centres, assignment, iterations, converged, inertia })
    }
}

fn distance2(a: &Point, b: &Point) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
}

fn add(a: &mut Point, b: &Point) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

fn nearest(p: &Point, centres: &[Point]) -> (u8, f64) {
    let mut best = (0u8, f64::INFINITY);
    for (i, c) in centres.iter().enumerate() {
        let d = distance2(p, c);
        if d < best.1 {
            best = (i as u8, d);
        }
    }
    best
}

/// `Σ f(i, point)` over fixed chunks, added in chunk order.
fn chunked_sum(points: &[Point], f: impl Fn(usize, &Point) -> f64 + Sync) -> f64 {
    let parts: Vec<f64> = points
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(c, chunk)| chunk.iter().enumerate().map(|(j, p)| f(c * CHUNK + j, p)).sum())
        .collect();
    parts.iter().sum()
}

/// k-means++ (Arthur & Vassilvitskii 2007): each next seed is drawn with probability proportional
/// to the squared distance to the nearest seed so far.
fn seed_plus_plus(points: &[Point], k: usize, seed: u64) -> Vec<Point> {
    let mut rng = Rng::seed_from_u64(seed);
    let mut centres = vec![points[rng.below(points.len() as u64) as usize]];
    let mut d2: Vec<f64> = points.par_iter().map(|p| distance2(p, &centres[0])).collect();
    while centres.len() < k {
        let total = chunked_sum(points, |i, _| d2[i]);
        let next = if total > 0.0 {
            let mut target = rng.f64() * total;
            // Walk chunk totals first, then points, so the draw costs one pass at most.
            let chunk_totals: Vec<f64> = d2.par_chunks(CHUNK).map(|c| c.iter().sum()).collect();
            let mut index = points.len() - 1;
            let mut start = 0;
            for (c, &t) in chunk_totals.iter().enumerate() {
                if target < t || c + 1 == chunk_totals.len() {
                    start = c * CHUNK;
                    break;
                }
                target -= t;
            }
            for (j, &d) in d2[start..].iter().enumerate() {
                if target < d {
                    index = start + j;
                    break;
                }
                target -= d;
            }
            index
        } else {
            // Fewer distinct points than k: any point will do.
            rng.below(points.len() as u64) as usize
        };
        let c = points[next];
        centres.push(c);
        d2.par_iter_mut().zip(points.par_iter()).for_each(|(d, p)| *d = d.min(distance2(p, &c)));
    }
    centres
}

/// Assigns every point to its nearest centre; returns how many changed cluster.
fn assign(points: &[Point], centres: &[Point], assignment: &mut [u8]) -> usize {
    points
        .par_iter()
        .zip(assignment.par_iter_mut())
        .map(|(p, a)| {
            let (best, _) = nearest(p, centres);
            let changed = *a != best;
            *a = best;
            usize::from(changed)
        })
        .sum()
}

/// New centres: the mean of each cluster's points; an empty cluster keeps its old centre.
fn update(points: &[Point], assignment: &[u8], old: &[Point]) -> Vec<Point> {
    let k = old.len();
    let parts: Vec<Vec<(Point, u64)>> = points
        .par_chunks(CHUNK)
        .zip(assignment.par_chunks(CHUNK))
        .map(|(ps, asg)| {
            let mut acc = vec![([0.0; 3], 0u64); k];
            for (p, &a) in ps.iter().zip(asg) {
                let (sum, n) = &mut acc[usize::from(a)];
                add(sum, p);
                *n += 1;
            }
            acc
        })
        .collect();
    let mut total = vec![([0.0; 3], 0u64); k];
    for part in &parts {
        for (t, (sum, n)) in total.iter_mut().zip(part) {
            add(&mut t.0, sum);
            t.1 += n;
        }
    }
    total.iter().zip(old).map(|((sum, n), o)| if *n == 0 { *o } else { sum.map(|s| s / *n as f64) }).collect()
}

/// Mean silhouette of a fit over the sampled points (`sample` holds indexes into `points`).
fn silhouette(points: &[Point], assignment: &[u8], k: usize, sample: &[usize]) -> f64 {
    let scores: Vec<f64> = sample
        .par_iter()
        .map(|&i| {
            let mut sum = vec![0.0; k];
            let mut count = vec![0usize; k];
            for &j in sample {
                if j != i {
                    let c = usize::from(assignment[j]);
                    sum[c] += distance2(&points[i], &points[j]).sqrt();
                    count[c] += 1;
                }
            }
            let own = usize::from(assignment[i]);
            if count[own] == 0 {
                return 0.0; // a singleton scores 0 by convention
            }
            let a = sum[own] / count[own] as f64;
            let b = (0..k)
                .filter(|&c| c != own && count[c] > 0)
                .map(|c| sum[c] / count[c] as f64)
                .fold(f64::INFINITY, f64::min);
            if b.is_finite() { (b - a) / a.max(b) } else { 0.0 }
        })
        .collect();
    scores.iter().sum::<f64>() / scores.len().max(1) as f64
}

/// One cluster of customers: its size and its centre in original units.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cluster {
    /// Customers in the cluster.
    pub customers: u64,
    /// The centre mapped back to days, orders and minor units (`exp(μ + σ·z) − 1` per dimension).
    pub centre: [f64; 3],
    /// The mean recency, frequency and monetary value of the members.
    pub mean: [f64; 3],
}

/// k-means clusters of customers on their RFM values.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Clusters {
    /// The number of clusters.
    pub k: usize,
    /// How k was chosen: `None` if given, else the silhouette of each k tried (2..=10).
    pub silhouettes: Option<Vec<(usize, f64)>>,
    /// The clusters, largest first.
    pub clusters: Vec<Cluster>,
    /// The cluster of each customer, in the order of [`Rfm::scores`].
    pub assignment: Vec<u8>,
    /// Lloyd iterations of the final fit, and whether it converged.
    pub iterations: usize,
    /// See [`KMeans::converged`].
    pub converged: bool,
}

impl Clusters {
    /// Clusters the customers of `rfm` into `k` groups, or with `k = None` into the k in 2..=10
    /// with the highest mean silhouette on a sample of 2,000 customers (seeded by `seed`).
    ///
    /// Features are log(1 + recency), log(1 + frequency) and log(1 + max(monetary, 0)), each
    /// standardised to mean 0 and standard deviation 1 (a constant feature is left at 0).
    ///
    /// ```
    /// use retention::generate::{Shop, ShopConfig};
    /// use retention::rfm::{Clusters, RfmOptions};
    /// # fn main() -> retention::Result<()> {
    /// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
    /// let store = retention::Store::open(dir.path().join("shop"))?;
    /// let mut csv = Vec::new();
    /// Shop::new(ShopConfig::new(500, 1))?.write_csv(&mut csv).map_err(|e| retention::Error::io("generating", e))?;
    /// store.ingest(&csv[..], &Default::default())?;
    /// let rfm = store.rfm(None, &RfmOptions::default())?;
    /// let fit = Clusters::fit(&rfm, Some(3), 42)?;
    /// assert_eq!(fit.clusters.iter().map(|c| c.customers).sum::<u64>(), 500);
    /// assert_eq!(fit, Clusters::fit(&rfm, Some(3), 42)?); // a seed gives the same clusters
    /// # Ok(()) }
    /// ```
    pub fn fit(rfm: &Rfm, k: Option<usize>, seed: u64) -> Result<Clusters> {
        let raw: Vec<Point> = rfm
            .scores
            .par_iter()
            .map(|s| [f64::from(s.recency), f64::from(s.frequency), s.monetary.max(0) as f64])
            .collect();
        let logs: Vec<Point> = raw.par_iter().map(|p| p.map(f64::ln_1p)).collect();
        let n = logs.len().max(1) as f64;
        let mut mean = [0.0; 3];
        let mut sd = [0.0; 3];
        for d in 0..3 {
            mean[d] = chunked_sum(&logs, |_, p| p[d]) / n;
            let var = chunked_sum(&logs, |_, p| (p[d] - mean[d]).powi(2)) / n;
            sd[d] = if var > 0.0 { var.sqrt() } else { 1.0 };
        }
        let points: Vec<Point> = logs.par_iter().map(|p| std::array::from_fn(|d| (p[d] - mean[d]) / sd[d])).collect();

        let (k, silhouettes) = match k {
            Some(k) => (k, None),
            None => {
                let mut rng = Rng::seed_from_u64(seed ^ 0x5111_0057);
                let m = SILHOUETTE_SAMPLE.min(points.len());
                let sample: Vec<usize> = (0..m).map(|_| rng.below(points.len() as u64) as usize).collect();
                let mut tried = Vec::new();
                for k in 2..=10.min(points.len()) {
                    let fit = KMeans::fit(&points, k, seed)?;
                    tried.push((k, silhouette(&points, &fit.assignment, k, &sample)));
                }
                let best = tried.iter().copied().fold((1, f64::NEG_INFINITY), |b, t| if t.1 > b.1 { t } else { b });
                (best.0, Some(tried))
            }
        };
        let fit = KMeans::fit(&points, k, seed)?;

        let mut clusters: Vec<Cluster> = fit
            .centres
            .iter()
            .map(|c| Cluster {
                customers: 0,
                centre: std::array::from_fn(|d| (mean[d] + sd[d] * c[d]).exp_m1()),
                mean: [0.0; 3],
            })
            .collect();
        for (p, &a) in raw.iter().zip(&fit.assignment) {
            let c = &mut clusters[usize::from(a)];
            c.customers += 1;
            add(&mut c.mean, p);
        }
        for c in &mut clusters {
            c.mean = c.mean.map(|s| s / c.customers.max(1) as f64);
        }
        // Largest first; renumber the assignment to match.
        let mut order: Vec<usize> = (0..clusters.len()).collect();
        order.sort_by_key(|&i| (std::cmp::Reverse(clusters[i].customers), i));
        let mut rank = vec![0u8; order.len()];
        for (new, &old) in order.iter().enumerate() {
            rank[old] = new as u8;
        }
        let assignment = fit.assignment.par_iter().map(|&a| rank[usize::from(a)]).collect();
        let clusters = order.iter().map(|&i| clusters[i].clone()).collect();
        Ok(Clusters { k, silhouettes, clusters, assignment, iterations: fit.iterations, converged: fit.converged })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three well-separated blobs of 300 points each, with a little seeded noise.
    fn planted() -> (Vec<Point>, Vec<usize>) {
        let mut rng = Rng::seed_from_u64(11);
        let centres = [[0.0, 0.0, 0.0], [8.0, 8.0, 0.0], [0.0, 8.0, -8.0]];
        let mut points = Vec::new();
        let mut truth = Vec::new();
        for i in 0..900 {
            let c = centres[i % 3];
            points.push(std::array::from_fn(|d| c[d] + (rng.f64() - 0.5)));
            truth.push(i % 3);
        }
        (points, truth)
    }

    #[test]
    fn recovers_planted_clusters() {
        let (points, truth) = planted();
        let fit = KMeans::fit(&points, 3, 42).unwrap();
        assert!(fit.converged);
        // Each found cluster holds exactly one planted blob.
        for blob in 0..3 {
            let labels: std::collections::BTreeSet<u8> =
                truth.iter().zip(&fit.assignment).filter(|(t, _)| **t == blob).map(|(_, a)| *a).collect();
            assert_eq!(labels.len(), 1, "blob {blob} split over {labels:?}");
        }
        let distinct: std::collections::BTreeSet<u8> = fit.assignment.iter().copied().collect();
        assert_eq!(distinct.len(), 3);
        // Centres land within the noise of the planted ones.
        for c in &fit.centres {
            assert!(
                [[0.0, 0.0, 0.0], [8.0, 8.0, 0.0], [0.0, 8.0, -8.0]].iter().any(|p| distance2(c, p) < 0.05),
                "{c:?}"
            );
        }
    }

    #[test]
    fn silhouette_prefers_the_planted_k() {
        let (points, _) = planted();
        let sample: Vec<usize> = (0..points.len()).step_by(3).chain((1..points.len()).step_by(3)).collect();
        let score = |k| silhouette(&points, &KMeans::fit(&points, k, 1).unwrap().assignment, k, &sample);
        let s3 = score(3);
        assert!(s3 > 0.9, "{s3}");
        assert!(s3 > score(2) && s3 > score(4), "{s3} {} {}", score(2), score(4));
    }

    #[test]
    fn the_same_seed_gives_the_same_fit() {
        let (points, _) = planted();
        assert_eq!(KMeans::fit(&points, 4, 5).unwrap(), KMeans::fit(&points, 4, 5).unwrap());
    }

    #[test]
    fn bad_k_is_an_error() {
        let (points, _) = planted();
        for (points, k) in [(&points[..], 0), (&points[..2], 3)] {
            assert_eq!(KMeans::fit(points, k, 1).unwrap_err().parameter(), Some("KMeans::fit(k)"), "k {k}");
        }
        // Identical points: the seeding must not loop or divide by zero.
        let same = vec![[1.0, 1.0, 1.0]; 10];
        let fit = KMeans::fit(&same, 3, 1).unwrap();
        assert_eq!(fit.inertia, 0.0);
    }
}
