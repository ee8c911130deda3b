//! The fitting driver shared by every model: log-parameters, an optional L2 penalty, several
//! starts, BFGS with Nelder–Mead as fallback, and the checks that turn a boundary solution or a
//! failed optimisation into an error in words instead of parameters nobody should use.

use crate::clv::optimize::{Diagnostics, Minimum, Objective, Tolerances, bfgs, hessian, inverse_spd, nelder_mead};
use crate::error::{Error, Result};

/// Options of a maximum-likelihood fit.
#[derive(Clone, Debug, PartialEq)]
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

/// Log-likelihood of the data and its gradient, both in natural parameters, or `None` where not
/// finite.
pub(crate) type LogLikelihood<'a> = dyn Fn(&[f64]) -> Option<(f64, Vec<f64>)> + Sync + 'a;

/// Parameters outside [1e-8, 1e8] are a boundary solution: the data do not identify the model.
const LOWER: f64 = 1e-8;
const UPPER: f64 = 1e8;

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
}

/// The same likelihood over a systematic sample of the data, where the starts are tried before
/// one BFGS run on all of it (DESIGN.md: "start from a fit on a small random subsample").
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
/// method, and how many starts had a finite objective.
fn search(
    objective: &Objective<'_>,
    starts: &[Vec<f64>],
    tol: &Tolerances,
) -> (Option<(usize, Minimum, &'static str)>, usize) {
    let mut best: Option<(usize, Minimum, &'static str)> = None;
    let mut tried = 0;
    for (i, start) in starts.iter().enumerate() {
        let theta0: Vec<f64> = start.iter().map(|v| v.ln()).collect();
        if objective(&theta0).is_none() {
            continue;
        }
        tried += 1;
        let mut run = bfgs(objective, &theta0, tol, None).map(|m| (m, "bfgs"));
        if !run.as_ref().is_some_and(|(m, _)| m.converged) {
            // Fallback: a derivative-free search, then a BFGS polish from where it stopped.
            let from = run.as_ref().map_or(theta0.clone(), |(m, _)| m.point.clone());
            if let Some(nm) = nelder_mead(objective, &from, tol) {
                let polished = bfgs(objective, &nm.point, tol, None).filter(|m| m.value <= nm.value).unwrap_or(nm);
                run = Some((polished, "nelder-mead"));
            }
        }
        if let Some((m, method)) = run {
            let better = match &best {
                None => true,
                Some((_, b, _)) => (m.converged && !b.converged) || (m.converged == b.converged && m.value < b.value),
            };
            if better {
                best = Some((i, m, method));
            }
        }
    }
    (best, tried)
}

/// Maximises the log-likelihood over log-parameters from each start (on the sample first, when
/// the problem has one and no starts were given); returns the best natural parameters and the
/// diagnostics of the run that found them.
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
            "starting point",
            format!("{bad:?}"),
            format!("{} needs {} positive values ({})", problem.model, problem.names.len(), problem.names.join(", ")),
        ));
    }
    let penalty = options.penalty;
    if !(penalty >= 0.0 && penalty.is_finite()) {
        return Err(Error::invalid("--penalty", penalty.to_string(), "must be a finite number ≥ 0"));
    }
    let n = problem.observations.max(1.0);
    let tol = &options.tolerances;
    let objective = objective(problem.log_likelihood, n, penalty, problem.analytic_gradient);
    let objective = &*objective;

    let mut warm = None;
    let on_sample = problem.sample.as_ref().filter(|_| options.starts.is_empty()).map(|sample| {
        self::objective(sample.log_likelihood, sample.observations.max(1.0), penalty, problem.analytic_gradient)
    });
    if let Some(on_sample) = &on_sample
        && let (Some((i, m, method)), _) = search(&**on_sample, starts, tol)
    {
        // The mean objective's curvature on the sample estimates that on all the data, so its
        // inverse makes the first steps on all the data Newton steps.
        let h0 = hessian(&**on_sample, &m.point).and_then(|h| inverse_spd(&h));
        if let Some(full) = bfgs(objective, &m.point, tol, h0) {
            warm = full.converged.then_some((i, full, method));
        }
    }
    let sample_size = warm.as_ref().and(problem.sample.as_ref()).map(|s| s.observations as u64);
    let (best, tried) = match warm {
        Some(found) => (Some(found), starts.len()),
        None => search(objective, starts, tol),
    };
    let Some((start, m, method)) = best else {
        return Err(Error::Fit {
            model: problem.model.into(),
            reason: "the log-likelihood is not finite at any starting point".into(),
        });
    };
    let params: Vec<f64> = m.point.iter().map(|t| t.exp()).collect();
    let gradient_norm = m.gradient.iter().fold(0.0f64, |a, g| a.max(g.abs()));
    let log_likelihood = (problem.log_likelihood)(&params).map(|(ll, _)| ll).unwrap_or(f64::NAN);
    if !m.converged {
        return Err(Error::Fit {
            model: problem.model.into(),
            reason: format!(
                "the optimisation did not converge from {tried} starts (best: {} iterations, gradient norm {gradient_norm:.2e}, \
                 parameters {})",
                m.iterations,
                describe(problem.names, &params)
            ),
        });
    }
    for (name, value) in problem.names.iter().zip(&params) {
        if !(LOWER..=UPPER).contains(value) || !log_likelihood.is_finite() {
            return Err(Error::Fit {
                model: problem.model.into(),
                reason: format!(
                    "the likelihood is maximised at the edge of the parameter space ({name} = {value:.3e}; all: {}): \
                     the data do not identify the model{}",
                    describe(problem.names, &params),
                    hint(problem.model, name, *value)
                ),
            });
        }
    }
    // Uncertainty: the inverse Hessian of the mean objective over log-parameters, divided by n,
    // is the covariance of the log-estimates. With an analytic gradient the Hessian is central
    // differences of it on all the data (2k gradient passes over the grouped cells, tens of
    // milliseconds at a million customers). Without one (Pareto/NBD) each pass is itself 2k
    // likelihood passes, so after a warm start the curvature is taken on the sample at the optimum
    // found on all the data: it estimates the same per-customer information to about 1%. When the
    // sample's curvature is not positive definite, all the data decide.
    check_point_mass(problem, &params)?;
    let covariance_started = std::time::Instant::now();
    let on_the_sample = match (&on_sample, sample_size) {
        (Some(on_sample), Some(_)) if !problem.analytic_gradient => {
            hessian(&**on_sample, &m.point).and_then(|h| inverse_spd(&h))
        }
        _ => None,
    };
    let inverse = on_the_sample.or_else(|| hessian(objective, &m.point).and_then(|h| inverse_spd(&h)));
    let covariance: Option<Vec<Vec<f64>>> =
        inverse.map(|inv| inv.into_iter().map(|row| row.into_iter().map(|v| v / n).collect()).collect());
    let covariance_seconds = covariance_started.elapsed().as_secs_f64();
    let log_se: Option<Vec<f64>> = covariance.as_ref().map(|c| (0..params.len()).map(|i| c[i][i].sqrt()).collect());
    match (&covariance, &log_se) {
        (Some(c), Some(se)) => check_identified(problem, &params, c, se)?,
        _ => {
            return Err(Error::Fit {
                model: problem.model.into(),
                reason: format!(
                    "the likelihood is flat in some direction at the optimum ({}): the data do not identify every \
                     parameter (try --penalty 0.01)",
                    describe(problem.names, &params)
                ),
            });
        }
    }
    let diagnostics = Diagnostics {
        method: method.into(),
        start,
        starts: starts.len(),
        iterations: m.iterations,
        evaluations: m.evaluations,
        log_likelihood,
        gradient_norm,
        converged: true,
        penalty,
        seconds: started.elapsed().as_secs_f64(),
        warm_start_sample: sample_size,
        standard_errors: log_se.as_ref().map_or(Vec::new(), |se| se.iter().zip(&params).map(|(s, p)| s * p).collect()),
        covariance: covariance.unwrap_or_default(),
        observations: problem.observations as u64,
        covariance_seconds,
    };
    Ok((params, diagnostics))
}

/// A standard error of ln θ above this (θ uncertain by a factor of e³ ≈ 20) means the data say
/// nothing about θ.
const MAX_LOG_SE: f64 = 3.0;
/// Two parameters whose log-estimates correlate beyond this, each uncertain by more than a factor
/// e^0.5, lie on a ridge: only a combination of them is identified (a/(a+b) for BG/NBD's a and b).
const RIDGE_CORRELATION: f64 = 0.999;
const RIDGE_LOG_SE: f64 = 0.5;

/// A Gamma or Beta shape above this makes the distribution a point mass: every customer has the
/// same rate (or dropout probability), and any larger value fits as well, so the estimate means
/// nothing (lifetimes#271). The optimiser stops somewhere on that plateau, often well below 1e8.
const MAX_SHAPE: f64 = 1e4;

/// Refuses an optimum where a Gamma or Beta shape ran off to a point mass (checked before the
/// curvature, which is singular on such a plateau and would only say "flat").
fn check_point_mass(problem: &Problem<'_>, params: &[f64]) -> Result<()> {
    let names = problem.names;
    let value = |name: &str| names.iter().position(|n| *n == name).map(|i| params[i]);
    let point_mass = match (value("r"), value("s"), value("a"), value("b"), value("q"), value("p")) {
        (Some(r), ..) if r > MAX_SHAPE => Some(("r", "every customer buys at the same rate")),
        (_, Some(s), ..) if s > MAX_SHAPE => Some(("s", "every customer has the same lifetime distribution")),
        (_, _, Some(a), Some(b), ..) if a > MAX_SHAPE && b > MAX_SHAPE => {
            Some(("a and b", "the dropout probability is the same for every customer"))
        }
        (.., Some(q), _) if q > MAX_SHAPE => Some(("q", "every customer has the same spend scale")),
        (.., Some(p)) if p > MAX_SHAPE => Some(("p", "each customer's orders all have the same value")),
        _ => None,
    };
    match point_mass {
        None => Ok(()),
        Some((which, meaning)) => Err(Error::Fit {
            model: problem.model.into(),
            reason: format!(
                "{which} ran off to a point mass ({}): {meaning}, so the heterogeneity the model describes is not \
                 identified by this data (try --penalty 0.01)",
                describe(names, params)
            ),
        }),
    }
}

fn check_identified(problem: &Problem<'_>, params: &[f64], cov: &[Vec<f64>], log_se: &[f64]) -> Result<()> {
    let fail = |reason: String| Err(Error::Fit { model: problem.model.into(), reason });
    let names = problem.names;
    for i in 0..params.len() {
        for j in i + 1..params.len() {
            let corr = cov[i][j] / (cov[i][i] * cov[j][j]).sqrt();
            if corr.abs() > RIDGE_CORRELATION && log_se[i] > RIDGE_LOG_SE && log_se[j] > RIDGE_LOG_SE {
                return fail(format!(
                    "{} and {} are not separately identified: their estimates ({:.4e}, {:.4e}) lie on a ridge \
                     (correlation {corr:.5}, each uncertain by a factor of {:.1}){}",
                    names[i],
                    names[j],
                    params[i],
                    params[j],
                    log_se[i].max(log_se[j]).exp(),
                    hint(problem.model, names[i], 2.0)
                ));
            }
        }
        if log_se[i] > MAX_LOG_SE {
            return fail(format!(
                "{} = {:.4e} is not identified by the data (uncertain by a factor of {:.0}){}",
                names[i],
                params[i],
                log_se[i].exp(),
                hint(problem.model, names[i], params[i])
            ));
        }
    }
    Ok(())
}

fn describe(names: &[&str], params: &[f64]) -> String {
    names.iter().zip(params).map(|(n, v)| format!("{n} {v:.4e}")).collect::<Vec<_>>().join(", ")
}

/// What a boundary value usually means in the data.
fn hint(model: &str, name: &str, value: f64) -> &'static str {
    match (model, name, value < 1.0) {
        (_, "a", true) => {
            "; dropout after a purchase is almost never observed (nearly every repeat customer is still buying at the end)"
        }
        (_, "a" | "b", false) => "; the dropout probability is about the same for every customer (try --penalty 0.01)",
        (_, "s", true) | (_, "beta", _) => {
            "; lifetimes are not identified from this window (too few customers seen to stop)"
        }
        (_, "r" | "alpha", _) => {
            "; purchase rates are not identified (every customer buys at nearly the same rate, or too few repeat purchases)"
        }
        ("Gamma-Gamma", _, _) => "; repeat spend hardly varies between customers or between orders",
        _ => "",
    }
}
