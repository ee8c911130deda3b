//! Minimisers for the model fits, over log-parameters: BFGS with a backtracking line search that
//! halves the step whenever the objective is not finite (so one overflow never aborts a fit,
//! CLVTools#132), and Nelder–Mead as the derivative-free fallback.

use serde::{Deserialize, Serialize};

/// How a fit's minimum was found, and how good it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Diagnostics {
    /// `bfgs` or `nelder-mead`.
    pub method: String,
    /// Which start (0-based) gave the reported optimum.
    pub start: usize,
    /// Starts tried.
    pub starts: usize,
    /// Iterations of the winning run.
    pub iterations: u32,
    /// Objective evaluations of the winning run.
    pub evaluations: u32,
    /// Total log-likelihood at the optimum (without the penalty).
    pub log_likelihood: f64,
    /// Largest absolute gradient component of the mean log-likelihood with respect to the
    /// log-parameters, at the optimum.
    pub gradient_norm: f64,
    /// True when the gradient test or the relative-change test passed (see [`Tolerances`]).
    pub converged: bool,
    /// L2 penalty weight used.
    pub penalty: f64,
    /// Wall-clock seconds of the fit on prepared data (sampling, starts, final run, Hessian).
    pub seconds: f64,
    /// Observations in the systematic sample the starts were tried on before the final run on all
    /// the data (large data only); `None` when every start ran on all the data.
    pub warm_start_sample: Option<u64>,
    /// Asymptotic standard error of each parameter (natural scale, same order as the
    /// parameters): θᵢ·√Σᵢᵢ with Σ = [`covariance`](Self::covariance) (the delta method, as
    /// lifetimes' `summary` computes it).
    pub standard_errors: Vec<f64>,
    /// Covariance of the log-parameter estimates (ln θ₁, ln θ₂, ...): the inverse of the observed
    /// information, i.e. of the Hessian of the negative log-likelihood (plus the penalty, if any)
    /// over log-parameters at the optimum. Prediction intervals are built on it.
    pub covariance: Vec<Vec<f64>>,
    /// Observations (customers) the model was fitted on: the n of BIC.
    pub observations: u64,
    /// Wall-clock seconds of the covariance (Hessian and its inverse), part of `seconds`.
    pub covariance_seconds: f64,
    /// Likelihood passes over all the data the whole fit made (every start, the limits tried),
    /// at most 6,000 for the search and 2,000 for each limit tried (`clv::fit`); the curvature's
    /// passes are not counted.
    #[serde(default)]
    pub passes: u64,
    /// Where the maximum lies when it is on the boundary of the parameter space: the limiting
    /// model that was fitted (its parameters are the fit's, at the limit), `None` inside.
    #[serde(default)]
    pub boundary: Option<crate::clv::boundary::Boundary>,
    /// What the data pin down only loosely (the fit goes on; each names a next step).
    #[serde(default)]
    pub warnings: Vec<crate::clv::boundary::Warning>,
}

/// Stopping rules. A fit has converged when the largest gradient component (mean log-likelihood,
/// log-parameters) is below `gradient`, or when the objective's relative change stayed below
/// `relative_change` for three iterations with the gradient below `gradient_loose`: the second
/// rule accepts a minimum that is as good as floating point allows (lifetimes#396 reported such
/// fits as failures).
///
/// ```
/// use retention::clv::Tolerances;
/// let tolerances = Tolerances::default().gradient(1e-8).max_iterations(2_000);
/// assert_eq!((tolerances.gradient, tolerances.max_iterations), (1e-8, 2_000));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Tolerances {
    /// Gradient test.
    pub gradient: f64,
    /// Gradient bound for the relative-change test.
    pub gradient_loose: f64,
    /// Relative change test.
    pub relative_change: f64,
    /// Iteration cap per start.
    pub max_iterations: u32,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances { gradient: 1e-9, gradient_loose: 1e-5, relative_change: 1e-14, max_iterations: 500 }
    }
}

crate::options::setters! {
    Tolerances {
        /// Sets the gradient test.
        gradient: f64,
        /// Sets the gradient bound of the relative-change test.
        gradient_loose: f64,
        /// Sets the relative-change test.
        relative_change: f64,
        /// Sets the iteration cap per start.
        max_iterations: u32,
    }
}

/// The objective: value and gradient at a point, or `None` where it is not finite.
pub(crate) type Objective<'a> = dyn Fn(&[f64]) -> Option<(f64, Vec<f64>)> + Sync + 'a;

/// One minimisation's result.
#[derive(Clone, Debug)]
pub(crate) struct Minimum {
    pub point: Vec<f64>,
    pub value: f64,
    pub gradient: Vec<f64>,
    pub iterations: u32,
    pub evaluations: u32,
    pub converged: bool,
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, g| m.max(g.abs()))
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Largest step in any log-parameter: a factor of e⁴ per line search keeps trial points finite.
const MAX_STEP: f64 = 4.0;

/// BFGS on the inverse Hessian, started from `x0` (which must have a finite objective) and from
/// `h0` as the inverse Hessian when known (then the first steps are Newton steps), else a scaled
/// identity.
pub(crate) fn bfgs(f: &Objective<'_>, x0: &[f64], tol: &Tolerances, h0: Option<Vec<Vec<f64>>>) -> Option<Minimum> {
    let n = x0.len();
    let (mut fx, mut g) = f(x0)?;
    let mut x = x0.to_vec();
    let mut evaluations = 1u32;
    let scale_first = h0.is_none();
    let mut h = h0.unwrap_or_else(|| identity(n));
    let mut quiet = 0;
    let mut iterations = 0;
    let mut converged = max_abs(&g) <= tol.gradient;
    while !converged && iterations < tol.max_iterations {
        iterations += 1;
        let mut d: Vec<f64> = (0..n).map(|i| -dot(&h[i], &g)).collect();
        let mut slope = dot(&g, &d);
        if slope >= 0.0 || !slope.is_finite() {
            h = identity(n);
            d = g.iter().map(|v| -v).collect();
            slope = -dot(&g, &g);
        }
        let longest = max_abs(&d);
        let mut step = if longest > MAX_STEP { MAX_STEP / longest } else { 1.0 };
        let mut accepted = None;
        for _ in 0..60 {
            // A predicted decrease below the objective's rounding cannot be verified: stop here.
            if -step * slope < 1e-15 * fx.abs() {
                break;
            }
            let trial: Vec<f64> = x.iter().zip(&d).map(|(xi, di)| xi + step * di).collect();
            evaluations += 1;
            if let Some((ft, gt)) = f(&trial)
                && ft <= fx + 1e-4 * step * slope
            {
                accepted = Some((trial, ft, gt));
                break;
            }
            step *= 0.5;
        }
        let Some((xn, fnew, gn)) = accepted else {
            // No decrease along a descent direction: we are at the floating-point floor.
            converged = max_abs(&g) <= tol.gradient_loose;
            break;
        };
        let s: Vec<f64> = xn.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = gn.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 * dot(&s, &s).sqrt() * dot(&y, &y).sqrt() {
            if iterations == 1 && scale_first {
                let scale = sy / dot(&y, &y);
                h = identity(n).into_iter().map(|row| row.into_iter().map(|v| v * scale).collect()).collect();
            }
            update_inverse_hessian(&mut h, &s, &y, sy);
        }
        let change = (fx - fnew).abs() / fx.abs().max(1e-300);
        x = xn;
        fx = fnew;
        g = gn;
        quiet = if change < tol.relative_change { quiet + 1 } else { 0 };
        converged = max_abs(&g) <= tol.gradient || (quiet >= 3 && max_abs(&g) <= tol.gradient_loose);
    }
    Some(Minimum { point: x, value: fx, gradient: g, iterations, evaluations, converged })
}

/// The Hessian of `f` at `x` by central differences of its gradient, symmetrised: two
/// evaluations per parameter, truncation error O(h²) ≈ 1e-8, so a weakly identified but real
/// direction is not mistaken for a flat one.
pub(crate) fn hessian(f: &Objective<'_>, x: &[f64]) -> Option<Vec<Vec<f64>>> {
    let n = x.len();
    let h = 1e-4;
    let mut rows = Vec::with_capacity(n);
    let mut probe = x.to_vec();
    for i in 0..n {
        probe[i] = x[i] + h;
        let (_, up) = f(&probe)?;
        probe[i] = x[i] - h;
        let (_, down) = f(&probe)?;
        probe[i] = x[i];
        rows.push(up.iter().zip(&down).map(|(u, d)| (u - d) / (2.0 * h)).collect::<Vec<f64>>());
    }
    Some((0..n).map(|i| (0..n).map(|j| 0.5 * (rows[i][j] + rows[j][i])).collect()).collect())
}

/// The lower-triangular L with L Lᵀ = m, or `None` if m is not symmetric positive definite.
pub(crate) fn cholesky(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = m[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if i == j {
                if !(s > 0.0 && s.is_finite()) {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    Some(l)
}

/// The inverse of a symmetric positive-definite matrix by Cholesky, or `None` if it is not one.
pub(crate) fn inverse_spd(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let l = cholesky(m)?;
    // Columns of L⁻¹, then (L⁻¹)ᵀ L⁻¹.
    let mut inv_l = vec![vec![0.0; n]; n];
    for i in 0..n {
        inv_l[i][i] = 1.0 / l[i][i];
        let row: Vec<f64> = (0..i).map(|j| -(j..i).map(|k| l[i][k] * inv_l[k][j]).sum::<f64>() / l[i][i]).collect();
        inv_l[i][..i].copy_from_slice(&row);
    }
    Some((0..n).map(|i| (0..n).map(|j| (0..n).map(|k| inv_l[k][i] * inv_l[k][j]).sum()).collect()).collect())
}

fn identity(n: usize) -> Vec<Vec<f64>> {
    (0..n).map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect()).collect()
}

/// H ← (I − ρsyᵀ) H (I − ρysᵀ) + ρssᵀ, ρ = 1/(yᵀs).
fn update_inverse_hessian(h: &mut [Vec<f64>], s: &[f64], y: &[f64], sy: f64) {
    let n = s.len();
    let rho = 1.0 / sy;
    let hy: Vec<f64> = (0..n).map(|i| dot(&h[i], y)).collect();
    let yhy = dot(y, &hy);
    for i in 0..n {
        for j in 0..n {
            h[i][j] += -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j];
        }
    }
}

/// Nelder–Mead on the objective's value (its gradient is only used to report convergence), from a
/// simplex of unit steps around `x0`; standard coefficients (1, 2, ½, ½).
pub(crate) fn nelder_mead(f: &Objective<'_>, x0: &[f64], tol: &Tolerances) -> Option<Minimum> {
    let n = x0.len();
    let value = |x: &[f64]| f(x).map_or(f64::INFINITY, |(v, _)| v);
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    simplex.push((x0.to_vec(), value(x0)));
    for i in 0..n {
        let mut p = x0.to_vec();
        p[i] += 0.5;
        let v = value(&p);
        simplex.push((p, v));
    }
    let mut evaluations = n as u32 + 1;
    let mut iterations = 0;
    let cap = tol.max_iterations * 20;
    while iterations < cap {
        iterations += 1;
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[n].1);
        if (worst - best).abs() <= 1e-15 * best.abs().max(1e-300) {
            break;
        }
        let centroid: Vec<f64> = (0..n).map(|j| simplex[..n].iter().map(|p| p.0[j]).sum::<f64>() / n as f64).collect();
        let along =
            |t: f64| -> Vec<f64> { (0..n).map(|j| centroid[j] + t * (simplex[n].0[j] - centroid[j])).collect() };
        let reflected = along(-1.0);
        let fr = value(&reflected);
        evaluations += 1;
        if fr < simplex[0].1 {
            let expanded = along(-2.0);
            let fe = value(&expanded);
            evaluations += 1;
            simplex[n] = if fe < fr { (expanded, fe) } else { (reflected, fr) };
        } else if fr < simplex[n - 1].1 {
            simplex[n] = (reflected, fr);
        } else {
            let contracted = if fr < worst { along(-0.5) } else { along(0.5) };
            let fc = value(&contracted);
            evaluations += 1;
            if fc < fr.min(worst) {
                simplex[n] = (contracted, fc);
            } else {
                let best_point = simplex[0].0.clone();
                for p in simplex.iter_mut().skip(1) {
                    p.0 = p.0.iter().zip(&best_point).map(|(a, b)| b + 0.5 * (a - b)).collect();
                    p.1 = value(&p.0);
                    evaluations += 1;
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (point, _) = simplex.swap_remove(0);
    let (v, gradient) = f(&point)?;
    let converged = max_abs(&gradient) <= tol.gradient_loose;
    Some(Minimum { point, value: v, gradient, iterations, evaluations: evaluations + 1, converged })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rosenbrock(x: &[f64]) -> Option<(f64, Vec<f64>)> {
        let (a, b) = (x[0], x[1]);
        let v = (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2);
        Some((v, vec![-2.0 * (1.0 - a) - 400.0 * a * (b - a * a), 200.0 * (b - a * a)]))
    }

    #[test]
    fn bfgs_finds_the_rosenbrock_minimum() {
        let m = bfgs(&rosenbrock, &[-1.2, 1.0], &Tolerances::default(), None).unwrap();
        assert!(m.converged);
        assert!((m.point[0] - 1.0).abs() < 1e-6 && (m.point[1] - 1.0).abs() < 1e-6, "{:?}", m.point);
    }

    #[test]
    fn bfgs_steps_back_from_non_finite_regions() {
        // Finite only for x < 3; the minimum of (x − 2)² sits close to the edge and the first
        // gradient step overshoots into the undefined region.
        let f = |x: &[f64]| {
            (x[0] < 3.0)
                .then(|| ((x[0] - 2.0).powi(2) - (3.0 - x[0]).ln(), vec![2.0 * (x[0] - 2.0) + 1.0 / (3.0 - x[0])]))
        };
        let m = bfgs(&f, &[0.0], &Tolerances::default(), None).unwrap();
        assert!(m.converged);
        let want = (10.0 - 12f64.sqrt()) / 4.0; // the root of 2(x − 2)(3 − x) + 1 = 0 below 3
        assert!((m.point[0] - want).abs() < 1e-7, "{} vs {want}", m.point[0]);
    }

    #[test]
    fn hessian_and_inverse_of_a_quadratic() {
        // f = x² + x·y + 2y²: Hessian [[2, 1], [1, 4]], inverse [[4, −1], [−1, 2]]/7.
        let f = |v: &[f64]| {
            Some((v[0] * v[0] + v[0] * v[1] + 2.0 * v[1] * v[1], vec![2.0 * v[0] + v[1], v[0] + 4.0 * v[1]]))
        };
        let h = hessian(&f, &[0.3, -0.2]).unwrap();
        let inv = inverse_spd(&h).unwrap();
        let want = [[4.0 / 7.0, -1.0 / 7.0], [-1.0 / 7.0, 2.0 / 7.0]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((inv[i][j] - want[i][j]).abs() < 1e-9, "{inv:?}");
            }
        }
        assert!(inverse_spd(&[vec![1.0, 2.0], vec![2.0, 1.0]]).is_none());
    }

    #[test]
    fn nelder_mead_finds_the_rosenbrock_minimum() {
        let m = nelder_mead(&rosenbrock, &[-1.2, 1.0], &Tolerances::default()).unwrap();
        assert!((m.point[0] - 1.0).abs() < 1e-4 && (m.point[1] - 1.0).abs() < 1e-4, "{:?}", m.point);
    }
}
