//! The fitting driver shared by every model: log-parameters, an optional L2 penalty, several
//! starts, BFGS with Nelder–Mead as fallback; when the likelihood rises towards the edge of the
//! parameter space, the limiting models the model declares are fitted and the best is returned
//! as a boundary finding; weakly identified parameters become warnings. Only data that carry no
//! information for the model are refused (see `CountData::check_identifiable`).
//!
//! Bounded work (NUMERICS): every run has an iteration cap (`Tolerances::max_iterations`, 500
//! BFGS iterations of at most 60 line-search steps, Nelder–Mead 20× that), every start and every
//! limit is one run, and every special function has its own term or panel cap, so a fit does a
//! bounded number of likelihood passes of bounded cost whatever the data.

use crate::clv::boundary::{Boundary, LIMIT_SHAPE, Limit, Warning, WarningKind};
use crate::clv::optimize::{Diagnostics, Minimum, Objective, Tolerances, bfgs, hessian, inverse_spd, nelder_mead};
use crate::error::{Error, NextStep, Result};

/// Options of a maximum-likelihood fit.
///
/// ```
/// use retention::clv::{FitOptions, Tolerances};
/// let options = FitOptions::default().penalty(0.01).tolerances(Tolerances::default().max_iterations(1_000));
/// assert_eq!((options.penalty, options.tolerances.max_iterations), (0.01, 1_000));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct FitOptions {
    /// Weight λ of the L2 penalty λ·Σ(ln θᵢ)² added to the mean negative log-likelihood: it pulls
    /// every parameter towards 1 in the model's units (so its effect on α depends on the time unit,
    /// on γ on the currency) and can never push a parameter negative (lifetimes#288). 0 (the
    /// default) is plain maximum likelihood.
    pub penalty: f64,
    /// Stopping rules.
    pub tolerances: Tolerances,
    /// Starting points (natural parameters); empty means the model's own spread of starts.
    pub starts: Vec<Vec<f64>>,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions { penalty: 0.0, tolerances: Tolerances::default(), starts: Vec::new() }
    }
}

crate::options::setters! {
    FitOptions {
        /// Sets the weight λ of the L2 penalty on the log-parameters (0: plain maximum likelihood).
        penalty: f64,
        /// Sets the stopping rules.
        tolerances: Tolerances,
        /// Sets the starting points (natural parameters; empty: the model's own starts).
        starts: Vec<Vec<f64>>,
    }
}

/// Log-likelihood of the data and its gradient, both in natural parameters, or `None` where not
/// finite.
pub(crate) type LogLikelihood<'a> = dyn Fn(&[f64]) -> Option<(f64, Vec<f64>)> + Sync + 'a;

/// Parameters outside [1e-8, 1e8] are a boundary solution: the limits are fitted instead.
const LOWER: f64 = 1e-8;
const UPPER: f64 = 1e8;
/// |ln θ| beyond which the search does not go (θ outside [10⁻¹⁰, 10¹⁰]).
const SEARCH_BOX: f64 = 23.025850929940457;

/// A shape (Gamma r or s, Beta a or b, Gamma-Gamma p or q) outside this range is on its way to a
/// limit: the interior point is compared with the limits, and is "interior" for the
/// likelihood-ratio of a boundary finding only inside it.
const INTERIOR: (f64, f64) = (1e-4, 1e4);

/// What a model tells the driver about itself.
pub(crate) struct Problem<'a> {
    pub model: &'a str,
    pub names: &'a [&'a str],
    /// Observations (customers); the objective is the mean so tolerances do not scale with data.
    pub observations: f64,
    pub log_likelihood: &'a LogLikelihood<'a>,
    /// False when `log_likelihood` returns no gradient (an empty vector): central differences.
    pub analytic_gradient: bool,
    /// A sample of the data to try the starts on first.
    pub sample: Option<Sample<'a>>,
    /// Indices of the shape parameters (what [`INTERIOR`] bounds).
    pub shapes: &'a [usize],
    /// The limits of the parameter space to try when the maximum is not inside it.
    pub limits: &'a [LimitSpec],
    /// Model key for next steps and boundary descriptions (`None` for Gamma-Gamma).
    pub kind: Option<crate::clv::ModelKind>,
    /// Warnings known before the fit (few repeat customers).
    pub warnings: Vec<Warning>,
    /// The search's budget of likelihood passes ([`MAX_PASSES`]; a limit's reduced fit has
    /// [`LIMIT_PASSES`]). The final evaluation and the curvature are outside it.
    pub max_passes: u64,
}

/// The limits the four-parameter count models share: their parameters are laid out alike
/// (purchase-rate shape and rate, dropout shape and scale: BG/NBD's r, α, a, b and Pareto/NBD's
/// r, α, s, β), and a dropout shape of 0 is the no-dropout model in both (the scale is then unused
/// and set to 1). No dropout: the NBD.
pub(crate) const NO_DROPOUT: LimitSpec = LimitSpec {
    limits: &[Limit::NoDropout],
    names: &["r", "alpha"],
    embed: |v| (vec![v[0], v[1], 0.0, 1.0], jacobian(&[&[1.0, 0.0], &[0.0, 1.0], &[0.0, 0.0], &[0.0, 0.0]])),
    project: |p| vec![p[0], p[1]],
    report: |v| vec![("r".into(), v[0]), ("alpha".into(), v[1])],
};

/// No dropout and one purchase rate λ = r/α: a Poisson process.
pub(crate) const POISSON: LimitSpec = LimitSpec {
    limits: &[Limit::OnePurchaseRate, Limit::NoDropout],
    names: &["lambda"],
    embed: |v| {
        let (r, alpha, dalpha) = rate_shapes(v[0]);
        (vec![r, alpha, 0.0, 1.0], jacobian(&[&[0.0], &[dalpha], &[0.0], &[0.0]]))
    },
    project: |p| vec![p[0] / p[1]],
    report: |v| vec![("lambda".into(), v[0])],
};

/// A Gamma at the point-mass shape K with mean λ: (r, α, ∂α/∂λ).
pub(crate) fn rate_shapes(lambda: f64) -> (f64, f64, f64) {
    (LIMIT_SHAPE, LIMIT_SHAPE / lambda, -LIMIT_SHAPE / (lambda * lambda))
}

pub(crate) fn jacobian(rows: &[&[f64]]) -> Vec<Vec<f64>> {
    rows.iter().map(|r| r.to_vec()).collect()
}

/// Full natural parameters and the Jacobian ∂p/∂v of a limit's embedding.
pub(crate) type Embedded = (Vec<f64>, Vec<Vec<f64>>);

/// A limiting model of a model: the limits it stands for and how its free (reduced) parameters v
/// map onto the full ones.
pub(crate) struct LimitSpec {
    pub limits: &'static [Limit],
    /// Names of the reduced parameters as the optimiser sees them (all positive).
    pub names: &'static [&'static str],
    /// Full natural parameters from v, with the Jacobian ∂p/∂v (rows: full, columns: reduced).
    pub embed: fn(&[f64]) -> Embedded,
    /// The v nearest a full point: where the limit's search starts.
    pub project: fn(&[f64]) -> Vec<f64>,
    /// The reduced parameters as reported (odds become probabilities).
    pub report: fn(&[f64]) -> Vec<(String, f64)>,
}

/// The same likelihood over a systematic sample of the data, where the starts are tried before
/// one BFGS run on all of it, started from the sample's optimum (see ARCHITECTURE.md, "CLV").
pub(crate) struct Sample<'a> {
    pub observations: f64,
    pub log_likelihood: &'a LogLikelihood<'a>,
}

/// Data smaller than this are fitted from every start directly; larger data get a warm start from
/// a sample of about `SAMPLE_TARGET` observations.
pub(crate) const SAMPLE_ABOVE: u64 = 200_000;
pub(crate) const SAMPLE_TARGET: u64 = 50_000;

/// The thinning step that leaves about `SAMPLE_TARGET` of `n` observations, or `None` for small data.
pub(crate) fn sample_step(n: u64) -> Option<usize> {
    (n > SAMPLE_ABOVE).then(|| n.div_ceil(SAMPLE_TARGET) as usize)
}

/// The minimisation objective over log-parameters θ: the mean negative log-likelihood plus the
/// penalty, with its gradient (analytic, or by central differences).
fn objective<'a>(ll: &'a LogLikelihood<'a>, n: f64, penalty: f64, analytic: bool) -> Box<Objective<'a>> {
    let value_and_gradient = move |theta: &[f64]| -> Option<(f64, Vec<f64>)> {
        // Beyond 10^±10 a parameter is on its way to a limit, which is fitted as such: the search
        // stops at this box instead of running on (to α of 1e-162 on data with a rate going to ∞).
        if theta.iter().any(|t| t.abs() > SEARCH_BOX) {
            return None;
        }
        let p: Vec<f64> = theta.iter().map(|t| t.exp()).collect();
        if p.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
            return None;
        }
        let (ll, g) = ll(&p)?;
        let value = -ll / n + penalty * theta.iter().map(|t| t * t).sum::<f64>();
        if !value.is_finite() {
            return None;
        }
        let grad: Vec<f64> = if analytic {
            g.iter().zip(&p).zip(theta).map(|((gi, pi), ti)| -gi * pi / n + 2.0 * penalty * ti).collect()
        } else {
            Vec::new()
        };
        Some((value, grad))
    };
    if analytic {
        return Box::new(value_and_gradient);
    }
    Box::new(move |theta: &[f64]| -> Option<(f64, Vec<f64>)> {
        let (value, _) = value_and_gradient(theta)?;
        let mut grad = Vec::with_capacity(theta.len());
        let mut probe = theta.to_vec();
        for i in 0..theta.len() {
            let h = 1e-5;
            probe[i] = theta[i] + h;
            let up = value_and_gradient(&probe).map(|v| v.0);
            probe[i] = theta[i] - h;
            let down = value_and_gradient(&probe).map(|v| v.0);
            probe[i] = theta[i];
            grad.push(match (up, down) {
                (Some(u), Some(d)) => (u - d) / (2.0 * h),
                (Some(u), None) => (u - value) / h,
                (None, Some(d)) => (value - d) / h,
                (None, None) => return None,
            });
        }
        Some((value, grad))
    })
}

/// The best minimum over `starts` (converged first, then lowest), with its start's index and
/// method; how many starts had a finite objective; the best converged end point for which
/// `in_box` holds; and the lowest objective any run ended at, converged or not (a run stopped by
/// the search box or the budget may have been climbing higher than the converged one).
#[allow(clippy::type_complexity)]
fn search(
    objective: &Objective<'_>,
    starts: &[Vec<f64>],
    tol: &Tolerances,
    in_box: &dyn Fn(&[f64]) -> bool,
    has_limits: bool,
) -> (Option<(usize, Minimum, &'static str)>, usize, Option<Vec<f64>>, f64) {
    let mut lowest = f64::INFINITY;
    let mut best: Option<(usize, Minimum, &'static str)> = None;
    let mut inside: Option<(f64, Vec<f64>)> = None;
    let mut tried = 0;
    for (i, start) in starts.iter().enumerate() {
        let theta0: Vec<f64> = start.iter().map(|v| v.ln()).collect();
        if objective(&theta0).is_none() {
            continue;
        }
        tried += 1;
        let mut run = bfgs(objective, &theta0, tol, None).map(|m| (m, "bfgs"));
        // In a problem with limits, a run that stopped outside the box was on its way to one, and
        // the limits near its end point are fitted next; the derivative-free fallback would only
        // follow it further at a cost of thousands of passes. (Other starts still search the
        // interior in full.)
        let heading_out = has_limits && run.as_ref().is_some_and(|(m, _)| !in_box(&m.point));
        if !run.as_ref().is_some_and(|(m, _)| m.converged) && !heading_out {
            // Fallback: a derivative-free search, then a BFGS polish from where it stopped.
            let from = run.as_ref().map_or(theta0.clone(), |(m, _)| m.point.clone());
            if let Some(nm) = nelder_mead(objective, &from, tol) {
                let polished = bfgs(objective, &nm.point, tol, None).filter(|m| m.value <= nm.value).unwrap_or(nm);
                run = Some((polished, "nelder-mead"));
            }
        }
        if let Some((m, method)) = run {
            lowest = lowest.min(m.value);
            if m.converged && in_box(&m.point) && inside.as_ref().is_none_or(|(v, _)| m.value < *v) {
                inside = Some((m.value, m.point.clone()));
            }
            let better = match &best {
                None => true,
                Some((_, b, _)) => (m.converged && !b.converged) || (m.converged == b.converged && m.value < b.value),
            };
            if better {
                best = Some((i, m, method));
            }
        }
    }
    (best, tried, inside.map(|(_, p)| p), lowest)
}

/// Likelihood passes over all the data that one fit's search may make (all starts): past it the
/// objective reports "not finite", the line search stops, and the run ends unconverged, so a fit
/// is bounded in work whatever the data. Each limit tried has [`LIMIT_PASSES`] more (the
/// curvature at the answer adds 2k gradients). A BG/NBD fit takes 100–300, with its limits
/// (six for the BG family, five for Pareto/NBD) at most 6,000 + 6 × 2,000 = 18,000.
pub(crate) const MAX_PASSES: u64 = 6_000;
/// Passes of one limit's reduced fit (one to three parameters).
pub(crate) const LIMIT_PASSES: u64 = 2_000;

/// How far (in log-likelihood, plus 10⁻⁴ of it) a limit's projection of the search's end point
/// may lie below that end point and still be fitted.
const LIMIT_MARGIN: f64 = 2.0;

/// What one optimisation over all the data found.
struct Found {
    params: Vec<f64>,
    minimum: Minimum,
    start: usize,
    method: &'static str,
    tried: usize,
    sample_size: Option<u64>,
    log_likelihood: f64,
    /// The best converged end point of a start that stayed inside [`INTERIOR`], as log-parameters.
    interior: Option<Vec<f64>>,
    /// An unconverged run ended higher than the converged answer: the likelihood may rise
    /// towards a limit beyond the converged local maximum.
    beaten: bool,
}

/// Runs the starts (on the sample first when there is one), as before any boundary logic.
fn optimise(
    problem: &Problem<'_>,
    starts: &[Vec<f64>],
    options: &FitOptions,
    objective: &Objective<'_>,
) -> Option<Found> {
    let tol = &options.tolerances;
    let in_box = |theta: &[f64]| {
        problem.shapes.iter().all(|&i| (INTERIOR.0.ln()..=INTERIOR.1.ln()).contains(&theta[i]))
            && theta.iter().all(|t| (LOWER.ln()..=UPPER.ln()).contains(t))
    };
    let on_sample = problem.sample.as_ref().filter(|_| options.starts.is_empty()).map(|sample| {
        self::objective(sample.log_likelihood, sample.observations.max(1.0), options.penalty, problem.analytic_gradient)
    });
    let mut warm = None;
    if let Some(on_sample) = &on_sample
        && let (Some((i, m, method)), ..) = search(&**on_sample, starts, tol, &in_box, !problem.limits.is_empty())
    {
        // The mean objective's curvature on the sample estimates that on all the data, so its
        // inverse makes the first steps on all the data Newton steps.
        let h0 = hessian(&**on_sample, &m.point).and_then(|h| inverse_spd(&h));
        if let Some(full) = bfgs(objective, &m.point, tol, h0) {
            warm = full.converged.then_some((i, full, method));
        }
    }
    let sample_size = warm.as_ref().and(problem.sample.as_ref()).map(|s| s.observations as u64);
    let (best, tried, interior, lowest) = match warm {
        Some(found) => {
            let inside = in_box(&found.1.point).then(|| found.1.point.clone());
            let value = found.1.value;
            (Some(found), starts.len(), inside, value)
        }
        None => search(objective, starts, tol, &in_box, !problem.limits.is_empty()),
    };
    let (start, minimum, method) = best?;
    let beaten = lowest < minimum.value - 1e-12 * minimum.value.abs();
    let params: Vec<f64> = minimum.point.iter().map(|t| t.exp()).collect();
    let log_likelihood = (problem.log_likelihood)(&params).map_or(f64::NAN, |(ll, _)| ll);
    Some(Found { params, minimum, start, method, tried, sample_size, log_likelihood, interior, beaten })
}

/// Maximises the log-likelihood over log-parameters from each start (on the sample first, when
/// the problem has one and no starts were given). When the result is not a clean interior
/// maximum (it ran towards 0 or ∞, a shape towards a point mass, or the curvature is flat), each
/// of the problem's limits is fitted as a reduced model and the best likelihood wins: a limit is
/// returned as a [`Boundary`] in the diagnostics, with full parameters at the limit. Weakly
/// identified parameters of an interior maximum come back as warnings.
pub(crate) fn maximise(
    problem: &Problem<'_>,
    default_starts: &[Vec<f64>],
    options: &FitOptions,
) -> Result<(Vec<f64>, Diagnostics)> {
    let started = std::time::Instant::now();
    let starts = if options.starts.is_empty() { default_starts } else { &options.starts[..] };
    if let Some(bad) =
        starts.iter().find(|s| s.len() != problem.names.len() || s.iter().any(|v| !(*v > 0.0 && v.is_finite())))
    {
        return Err(Error::invalid(
            "FitOptions::starts",
            format!("{bad:?}"),
            format!("{} needs {} positive values ({})", problem.model, problem.names.len(), problem.names.join(", ")),
        ));
    }
    let penalty = options.penalty;
    if !(penalty >= 0.0 && penalty.is_finite()) {
        return Err(Error::invalid("FitOptions::penalty", penalty.to_string(), "must be a finite number ≥ 0"));
    }
    let n = problem.observations.max(1.0);
    let passes = std::sync::atomic::AtomicU64::new(0);
    let budgeted = |p: &[f64]| -> Option<(f64, Vec<f64>)> {
        if passes.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= problem.max_passes {
            return None;
        }
        (problem.log_likelihood)(p)
    };
    let objective = objective(&budgeted, n, penalty, problem.analytic_gradient);
    let objective = &*objective;
    // The curvature at the answer is outside the search's budget (2k gradients, bounded anyway).
    let unbudgeted = self::objective(problem.log_likelihood, n, penalty, problem.analytic_gradient);
    let found = optimise(problem, starts, options, objective);

    // A clean interior maximum: converged, finite, every parameter inside [LOWER, UPPER] and every
    // shape inside INTERIOR.
    let usable = found.as_ref().filter(|f| {
        f.minimum.converged
            && f.log_likelihood.is_finite()
            && f.params.iter().all(|v| (LOWER..=UPPER).contains(v))
            && (penalty > 0.0 || check_point_mass(problem, &f.params).is_ok())
    });
    let inside =
        usable.is_some_and(|f| problem.shapes.iter().all(|&i| (INTERIOR.0..=INTERIOR.1).contains(&f.params[i])));
    let curvature = usable.map(|f| covariance(problem, &*unbudgeted, &f.minimum.point, n, f.sample_size, options));
    let identified = curvature.as_ref().is_some_and(|c| c.as_ref().is_ok_and(|c| c.warnings.is_empty()));

    // The limits, when the interior answer is not clean (a penalised fit stays interior: the
    // penalty is what the user chose to pull it there).
    // Each limit has a budget of its own, so neither a search that ran away nor a limit that
    // does can starve the others.
    let limit_passes = std::sync::atomic::AtomicU64::new(0);
    let mut best_limit: Option<(usize, Vec<f64>, Diagnostics, Vec<f64>)> = None;
    let beaten = found.as_ref().is_some_and(|f| f.beaten);
    if penalty == 0.0 && !(inside && identified && !beaten) {
        // Only limits near where the search ended are fitted: a limit whose projection of that end
        // point is far less likely cannot be where the likelihood rises (with heterogeneous
        // purchase rates, say, the one-rate limit starts thousands of log-units below), and its
        // fit would only spend the budget. Without an end point every limit is tried.
        let end = found.as_ref().filter(|f| f.log_likelihood.is_finite());
        let near = |spec: &LimitSpec| {
            end.is_none_or(|f| {
                let projected = (spec.embed)(&(spec.project)(&f.params)).0;
                (problem.log_likelihood)(&projected).is_some_and(|(ll, _)| {
                    ll >= f.log_likelihood - LIMIT_MARGIN * (1.0 + 1e-4 * f.log_likelihood.abs())
                })
            })
        };
        for (k, spec) in problem.limits.iter().enumerate().filter(|(_, spec)| near(spec)) {
            let fitted = fit_limit(problem, spec, found.as_ref(), default_starts, options);
            if let Some((_, d)) = &fitted {
                limit_passes.fetch_add(d.passes, std::sync::atomic::Ordering::Relaxed);
            }
            if let Some((v, d)) = fitted
                && best_limit.as_ref().is_none_or(|b| d.log_likelihood > b.2.log_likelihood)
            {
                let full = (spec.embed)(&v).0;
                best_limit = Some((k, full, d, v));
            }
        }
    }
    let interior_ll = usable.map(|f| f.log_likelihood);
    let limit_wins = match (&best_limit, interior_ll) {
        (Some((_, _, d, _)), Some(ll)) => d.log_likelihood + 1e-9 * ll.abs() >= ll,
        (Some(_), None) => true,
        _ => false,
    };
    if limit_wins && let Some((k, params, mut diagnostics, v)) = best_limit {
        let spec = &problem.limits[k];
        let interior_point_ll = found
            .as_ref()
            .and_then(|f| f.interior.as_ref())
            .and_then(|theta| (problem.log_likelihood)(&theta.iter().map(|t| t.exp()).collect::<Vec<_>>()))
            .map(|(ll, _)| ll);
        let parameters = spec.limits.iter().map(|l| l.parameters(problem.kind)).collect::<Vec<_>>().join("; ");
        diagnostics.boundary = Some(Boundary {
            limits: spec.limits.to_vec(),
            parameters,
            reduced: (spec.report)(&v),
            interior_log_likelihood: interior_point_ll,
            likelihood_ratio: interior_point_ll.map(|ll| 2.0 * (diagnostics.log_likelihood - ll).max(0.0)),
        });
        diagnostics.warnings.splice(0..0, problem.warnings.iter().cloned());
        diagnostics.starts = starts.len();
        diagnostics.seconds = started.elapsed().as_secs_f64();
        diagnostics.passes = passes.load(std::sync::atomic::Ordering::Relaxed).min(problem.max_passes)
            + limit_passes.load(std::sync::atomic::Ordering::Relaxed);
        return Ok((params, diagnostics));
    }
    let Some(f) = usable else {
        return Err(refusal(problem, found.as_ref(), passes.load(std::sync::atomic::Ordering::Relaxed)));
    };
    let Some(Ok(curvature)) = curvature else {
        return Err(Error::Fit {
            model: problem.model.into(),
            reason: format!(
                "the likelihood has no finite curvature at the optimum ({})",
                describe(problem.names, &f.params)
            ),
            next: vec![NextStep::Penalty { weight: 0.01 }],
        });
    };
    let mut warnings = problem.warnings.clone();
    warnings.extend(curvature.warnings);
    let diagnostics = Diagnostics {
        method: f.method.into(),
        start: f.start,
        starts: starts.len(),
        iterations: f.minimum.iterations,
        evaluations: f.minimum.evaluations,
        log_likelihood: f.log_likelihood,
        gradient_norm: f.minimum.gradient.iter().fold(0.0f64, |a, g| a.max(g.abs())),
        converged: true,
        penalty,
        seconds: started.elapsed().as_secs_f64(),
        warm_start_sample: f.sample_size,
        standard_errors: curvature.log_se.iter().zip(&f.params).map(|(s, p)| s * p).collect(),
        covariance: curvature.covariance,
        observations: problem.observations as u64,
        covariance_seconds: curvature.seconds,
        passes: passes.load(std::sync::atomic::Ordering::Relaxed).min(problem.max_passes)
            + limit_passes.load(std::sync::atomic::Ordering::Relaxed),
        boundary: None,
        warnings,
    };
    Ok((f.params.clone(), diagnostics))
}

/// The error when neither the interior search nor any limit gave an answer, with what to try.
fn refusal(problem: &Problem<'_>, found: Option<&Found>, passes: u64) -> Error {
    let mut next = vec![NextStep::Penalty { weight: 0.01 }];
    if let Some(kind) = problem.kind {
        for other in crate::clv::ModelKind::ALL {
            if other != kind {
                next.push(NextStep::OtherModel { model: other.key().into() });
            }
        }
    }
    let reason = match found {
        None => "the log-likelihood is not finite at any starting point".to_string(),
        Some(f) if passes >= problem.max_passes => format!(
            "the optimisation used its budget of {} likelihood passes without converging (best: {})",
            problem.max_passes,
            describe(problem.names, &f.params)
        ),
        Some(f) => format!(
            "the optimisation did not converge from {} starts (best: {} iterations, parameters {})",
            f.tried,
            f.minimum.iterations,
            describe(problem.names, &f.params)
        ),
    };
    Error::Fit { model: problem.model.into(), reason, next }
}

/// Fits one limit as a reduced model: the full likelihood through the limit's embedding, over
/// the reduced parameters, from the projection of the interior search's end point and of each
/// default start. Returns the reduced parameters and diagnostics whose covariance is mapped back
/// onto the full log-parameters (zero for a parameter held at 0).
fn fit_limit(
    problem: &Problem<'_>,
    spec: &LimitSpec,
    found: Option<&Found>,
    default_starts: &[Vec<f64>],
    options: &FitOptions,
) -> Option<(Vec<f64>, Diagnostics)> {
    let reduce = |ll: &LogLikelihood<'_>, v: &[f64]| -> Option<(f64, Vec<f64>)> {
        let (p, jacobian) = (spec.embed)(v);
        let (value, g) = ll(&p)?;
        let grad = if problem.analytic_gradient {
            (0..v.len()).map(|k| (0..p.len()).map(|i| g[i] * jacobian[i][k]).sum()).collect()
        } else {
            Vec::new()
        };
        Some((value, grad))
    };
    let full = |v: &[f64]| reduce(problem.log_likelihood, v);
    let on_sample = |v: &[f64]| problem.sample.as_ref().and_then(|s| reduce(s.log_likelihood, v));
    let mut starts: Vec<Vec<f64>> = Vec::new();
    if let Some(f) = found {
        starts.push((spec.project)(&f.params));
    }
    // The interior search's end point is usually on the way to the limit; the first default
    // start covers the case where it is not.
    starts.extend(default_starts.iter().take(1).map(|s| (spec.project)(s)));
    starts.retain(|s| s.iter().all(|v| *v > 0.0 && v.is_finite()));
    let reduced = Problem {
        model: problem.model,
        names: spec.names,
        observations: problem.observations,
        log_likelihood: &full,
        analytic_gradient: problem.analytic_gradient,
        sample: problem.sample.as_ref().map(|s| Sample { observations: s.observations, log_likelihood: &on_sample }),
        shapes: &[],
        limits: &[],
        kind: problem.kind,
        warnings: Vec::new(),
        max_passes: LIMIT_PASSES,
    };
    let options = FitOptions { starts: Vec::new(), ..options.clone() };
    let (v, mut diagnostics) = maximise(&reduced, &starts, &options).ok()?;
    // Covariance of the full log-parameters: G Σ Gᵀ with G = ∂ln p/∂ln v = J·v/p.
    let (p, jacobian) = (spec.embed)(&v);
    if diagnostics.covariance.len() == v.len() {
        let g: Vec<Vec<f64>> = (0..p.len())
            .map(|i| (0..v.len()).map(|k| if p[i] > 0.0 { jacobian[i][k] * v[k] / p[i] } else { 0.0 }).collect())
            .collect();
        let cov = &diagnostics.covariance;
        let mapped: Vec<Vec<f64>> = (0..p.len())
            .map(|i| {
                (0..p.len())
                    .map(|j| {
                        (0..v.len()).map(|a| (0..v.len()).map(|b| g[i][a] * cov[a][b] * g[j][b]).sum::<f64>()).sum()
                    })
                    .collect()
            })
            .collect();
        diagnostics.standard_errors = (0..p.len()).map(|i| p[i] * mapped[i][i].max(0.0).sqrt()).collect();
        diagnostics.covariance = mapped;
    }
    Some((v, diagnostics))
}

/// The covariance of the log-parameter estimates at an optimum and the warnings it carries.
struct Curvature {
    covariance: Vec<Vec<f64>>,
    log_se: Vec<f64>,
    warnings: Vec<Warning>,
    seconds: f64,
}

/// Uncertainty: the inverse Hessian of the mean objective over log-parameters, divided by n, is
/// the covariance of the log-estimates. With an analytic gradient (every model now) the Hessian
/// is central differences of it on all the data (2k gradient passes over the grouped cells, tens
/// of milliseconds at a million customers). Without one, each pass would itself be 2k likelihood
/// passes, so after a warm start the curvature would be taken on the sample at the optimum found
/// on all the data. A curvature that is not
/// positive definite at all (a flat direction) gets a ridge from 10⁻⁸ of its largest diagonal
/// element up: the standard errors it gives are finite but huge, and reported as "not identified".
fn covariance(
    problem: &Problem<'_>,
    objective: &Objective<'_>,
    theta: &[f64],
    n: f64,
    sample_size: Option<u64>,
    options: &FitOptions,
) -> Result<Curvature> {
    let started = std::time::Instant::now();
    let on_the_sample = match (&problem.sample, sample_size) {
        (Some(sample), Some(_)) if !problem.analytic_gradient => {
            let on_sample = self::objective(
                sample.log_likelihood,
                sample.observations.max(1.0),
                options.penalty,
                problem.analytic_gradient,
            );
            hessian(&*on_sample, theta).and_then(|h| inverse_spd(&h))
        }
        _ => None,
    };
    let mut flat = false;
    let inverse = match on_the_sample {
        Some(inv) => Some(inv),
        None => hessian(objective, theta).and_then(|h| {
            inverse_spd(&h).or_else(|| {
                // Flat or, from rounding, slightly indefinite: the smallest ridge (10⁻⁸ of the
                // largest curvature, then 100 times more each try) that makes it invertible.
                flat = true;
                let scale = (0..h.len()).map(|i| h[i][i].abs()).fold(0.0, f64::max).max(1e-300);
                [1e-8, 1e-6, 1e-4, 1e-2, 1.0].iter().find_map(|ridge| {
                    let ridged: Vec<Vec<f64>> = (0..h.len())
                        .map(|i| (0..h.len()).map(|j| h[i][j] + if i == j { ridge * scale } else { 0.0 }).collect())
                        .collect();
                    inverse_spd(&ridged)
                })
            })
        }),
    };
    let Some(inverse) = inverse else {
        return Err(Error::Numeric(format!("{}: the curvature at the optimum is not finite", problem.model)));
    };
    let covariance: Vec<Vec<f64>> = inverse.into_iter().map(|row| row.into_iter().map(|v| v / n).collect()).collect();
    let log_se: Vec<f64> = (0..covariance.len()).map(|i| covariance[i][i].max(0.0).sqrt()).collect();
    let warnings = identification_warnings(problem, &covariance, &log_se, flat);
    Ok(Curvature { covariance, log_se, warnings, seconds: started.elapsed().as_secs_f64() })
}

/// A standard error of ln θ above this (θ uncertain by a factor of e³ ≈ 20) means the data say
/// next to nothing about θ: a warning.
const MAX_LOG_SE: f64 = 3.0;
/// Two parameters whose log-estimates correlate beyond this, each uncertain by more than a factor
/// e^0.5, lie on a ridge: only a combination of them is identified (a/(a+b) for BG/NBD's a and b).
const RIDGE_CORRELATION: f64 = 0.999;
const RIDGE_LOG_SE: f64 = 0.5;

/// A Gamma or Beta shape above this makes the distribution nearly a point mass: every customer
/// has the same rate (or dropout probability), and any larger value fits about as well
/// (lifetimes#271). Such an end point is compared with the point-mass limits.
const MAX_SHAPE: f64 = 1e4;

/// `Err` when a shape ran off towards a point mass (the curvature is singular on such a plateau).
fn check_point_mass(problem: &Problem<'_>, params: &[f64]) -> std::result::Result<(), usize> {
    match problem.shapes.iter().find(|&&i| params[i] > MAX_SHAPE) {
        Some(&i) => Err(i),
        None => Ok(()),
    }
}

/// Warnings for parameters the curvature pins down only loosely: a ridge between two, a large
/// or infinite standard error of one. Each names what would pin them down.
fn identification_warnings(problem: &Problem<'_>, cov: &[Vec<f64>], log_se: &[f64], flat: bool) -> Vec<Warning> {
    let names = problem.names;
    let next = || vec![NextStep::Penalty { weight: 0.001 }, NextStep::LaterAsOf];
    let mut warnings = Vec::new();
    let mut named = vec![false; names.len()];
    for i in 0..names.len() {
        for j in i + 1..names.len() {
            let corr = cov[i][j] / (cov[i][i] * cov[j][j]).sqrt();
            if corr.abs() > RIDGE_CORRELATION && log_se[i] > RIDGE_LOG_SE && log_se[j] > RIDGE_LOG_SE {
                warnings.push(Warning {
                    kind: WarningKind::Ridge { correlation: corr },
                    parameters: vec![names[i].to_string(), names[j].to_string()],
                    next_steps: vec![NextStep::Penalty { weight: 0.001 }],
                });
                named[i] = true;
                named[j] = true;
            }
        }
    }
    for i in 0..names.len() {
        if log_se[i] > MAX_LOG_SE && !named[i] {
            warnings.push(Warning {
                kind: WarningKind::WeaklyIdentified { log_se: (!flat).then_some(log_se[i]) },
                parameters: vec![names[i].to_string()],
                next_steps: next(),
            });
        }
    }
    warnings
}

fn describe(names: &[&str], params: &[f64]) -> String {
    names.iter().zip(params).map(|(n, v)| format!("{n} {v:.4e}")).collect::<Vec<_>>().join(", ")
}
