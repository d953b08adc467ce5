//! Probability distributions of durations: validated specs (`DistSpec`) and the samplers
//! built from them (`Dist`, backed by rand_distr).
//!
//! Every spec is kept in its canonical parameters (seconds for scales, plain numbers for
//! shapes); the mean/cv parametrisations of scenario files are converted once, here, by
//! the constructors, which refuse parameters the distribution cannot take. Invariant: a
//! `Dist` cannot fail to sample, and every sample is a finite, non-negative duration.

use std::sync::Arc;

use rand::Rng;
use rand_distr::{Distribution, Exp, Gamma, Normal, Pareto, StandardNormal, Uniform, Weibull};
use statrs::function::gamma::gamma as gamma_fn;

use crate::time::SimTime;

/// A validated distribution of durations, in canonical parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum DistSpec {
    /// Memoryless, with the given mean.
    Exponential { mean_s: f64 },
    /// Always the same value.
    Constant { value_s: f64 },
    /// Uniform on `[min_s, max_s)`.
    Uniform { min_s: f64, max_s: f64 },
    /// Normal truncated at zero (negative draws are redrawn), so its mean is a little above
    /// `mean_s` when `sd_s` is not small against it.
    Normal { mean_s: f64, sd_s: f64 },
    /// `exp(N(mu, sigma²))` seconds.
    LogNormal { mu: f64, sigma: f64 },
    /// Gamma with shape k and scale θ (mean kθ).
    Gamma { shape: f64, scale_s: f64 },
    /// Weibull with shape k and scale λ (mean λ Γ(1 + 1/k)).
    Weibull { shape: f64, scale_s: f64 },
    /// Pareto (type I) with shape α and minimum x_m (mean α x_m / (α − 1) for α > 1).
    Pareto { shape: f64, scale_s: f64 },
    /// Resampling (with replacement) of observed durations.
    Empirical { samples_s: Arc<[f64]> },
}

/// Why distribution parameters were refused; the message says what is allowed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ParamError(pub String);

/// `spec` if rand_distr can sample it: parameters valid one by one can still give a
/// derived parameter that overflows or vanishes in double precision (a lognormal's sigma
/// from cv = 1e300, a gamma's shape from cv = 1e-300).
fn samplable(spec: DistSpec) -> Result<DistSpec, ParamError> {
    match spec.try_sampler() {
        Ok(_) => Ok(spec),
        Err(why) => Err(ParamError(format!(
            "these parameters give {spec:?}, which cannot be sampled in double precision ({why}); use values of a realistic magnitude"
        ))),
    }
}

fn positive(name: &str, v: f64) -> Result<f64, ParamError> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(ParamError(format!(
            "{name} must be a finite number > 0, found {v}"
        )))
    }
}

fn non_negative(name: &str, v: f64) -> Result<f64, ParamError> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(ParamError(format!(
            "{name} must be a finite number >= 0, found {v}"
        )))
    }
}

impl DistSpec {
    /// Exponential with the given mean (> 0).
    pub fn exponential(mean_s: f64) -> Result<DistSpec, ParamError> {
        samplable(DistSpec::Exponential {
            mean_s: positive("mean", mean_s)?,
        })
    }

    /// A constant (>= 0).
    pub fn constant(value_s: f64) -> Result<DistSpec, ParamError> {
        samplable(DistSpec::Constant {
            value_s: non_negative("value", value_s)?,
        })
    }

    /// Uniform on `[min, max)`, `0 <= min < max`.
    pub fn uniform(min_s: f64, max_s: f64) -> Result<DistSpec, ParamError> {
        non_negative("min", min_s)?;
        if !(max_s.is_finite() && max_s > min_s) {
            return Err(ParamError(format!(
                "max must be > min ({min_s}), found {max_s}"
            )));
        }
        samplable(DistSpec::Uniform { min_s, max_s })
    }

    /// Normal truncated at zero; `mean > 0`, `sd > 0`.
    pub fn normal(mean_s: f64, sd_s: f64) -> Result<DistSpec, ParamError> {
        samplable(DistSpec::Normal {
            mean_s: positive("mean", mean_s)?,
            sd_s: positive("sd", sd_s)?,
        })
    }

    /// Lognormal from its mean and coefficient of variation:
    /// σ² = ln(1 + cv²), μ = ln(mean) − σ²/2.
    pub fn lognormal_mean_cv(mean_s: f64, cv: f64) -> Result<DistSpec, ParamError> {
        positive("mean", mean_s)?;
        positive("cv", cv)?;
        let sigma2 = (1.0 + cv * cv).ln();
        samplable(DistSpec::LogNormal {
            mu: mean_s.ln() - sigma2 / 2.0,
            sigma: sigma2.sqrt(),
        })
    }

    /// Lognormal from the parameters of the underlying normal (μ in log-seconds).
    pub fn lognormal_mu_sigma(mu: f64, sigma: f64) -> Result<DistSpec, ParamError> {
        if !mu.is_finite() {
            return Err(ParamError(format!(
                "mu must be a finite number, found {mu}"
            )));
        }
        samplable(DistSpec::LogNormal {
            mu,
            sigma: positive("sigma", sigma)?,
        })
    }

    /// Gamma from its mean and cv: shape = 1/cv², scale = mean·cv².
    pub fn gamma_mean_cv(mean_s: f64, cv: f64) -> Result<DistSpec, ParamError> {
        positive("mean", mean_s)?;
        positive("cv", cv)?;
        samplable(DistSpec::Gamma {
            shape: 1.0 / (cv * cv),
            scale_s: mean_s * cv * cv,
        })
    }

    /// Weibull from shape and scale.
    pub fn weibull(shape: f64, scale_s: f64) -> Result<DistSpec, ParamError> {
        samplable(DistSpec::Weibull {
            shape: positive("shape", shape)?,
            scale_s: positive("scale", scale_s)?,
        })
    }

    /// Weibull from shape and mean: scale = mean / Γ(1 + 1/shape).
    pub fn weibull_mean(shape: f64, mean_s: f64) -> Result<DistSpec, ParamError> {
        positive("shape", shape)?;
        positive("mean", mean_s)?;
        DistSpec::weibull(shape, mean_s / gamma_fn(1.0 + 1.0 / shape))
    }

    /// Pareto from shape α and minimum (scale) x_m.
    pub fn pareto(shape: f64, scale_s: f64) -> Result<DistSpec, ParamError> {
        samplable(DistSpec::Pareto {
            shape: positive("shape", shape)?,
            scale_s: positive("scale", scale_s)?,
        })
    }

    /// Pareto from shape α > 1 and mean: x_m = mean (α − 1) / α.
    pub fn pareto_mean(shape: f64, mean_s: f64) -> Result<DistSpec, ParamError> {
        positive("mean", mean_s)?;
        if !(shape.is_finite() && shape > 1.0) {
            return Err(ParamError(format!(
                "a Pareto given by its mean needs shape > 1 (the mean is infinite otherwise), found {shape}"
            )));
        }
        DistSpec::pareto(shape, mean_s * (shape - 1.0) / shape)
    }

    /// Resampling of observed durations; needs at least one sample, all finite and >= 0.
    pub fn empirical(samples_s: Vec<f64>) -> Result<DistSpec, ParamError> {
        if samples_s.is_empty() {
            return Err(ParamError(
                "an empirical distribution needs at least one sample".into(),
            ));
        }
        if let Some(bad) = samples_s.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
            return Err(ParamError(format!(
                "samples must be finite durations >= 0, found {bad}"
            )));
        }
        samplable(DistSpec::Empirical {
            samples_s: samples_s.into(),
        })
    }

    /// The mean in seconds (infinite for a Pareto with shape <= 1). For the truncated
    /// normal this is the mean of the truncated distribution.
    pub fn mean_s(&self) -> f64 {
        match self {
            DistSpec::Exponential { mean_s } => *mean_s,
            DistSpec::Constant { value_s } => *value_s,
            DistSpec::Uniform { min_s, max_s } => (min_s + max_s) / 2.0,
            DistSpec::Normal { mean_s, sd_s } => truncated_normal_moments(*mean_s, *sd_s).0,
            DistSpec::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            DistSpec::Gamma { shape, scale_s } => shape * scale_s,
            DistSpec::Weibull { shape, scale_s } => scale_s * gamma_fn(1.0 + 1.0 / shape),
            DistSpec::Pareto { shape, scale_s } if *shape > 1.0 => shape * scale_s / (shape - 1.0),
            DistSpec::Pareto { .. } => f64::INFINITY,
            DistSpec::Empirical { samples_s } => {
                samples_s.iter().sum::<f64>() / samples_s.len() as f64
            }
        }
    }

    /// E[X²] in s² (infinite for a Pareto with shape <= 2): the second moment the
    /// Pollaczek-Khinchine formula needs.
    pub fn second_moment_s2(&self) -> f64 {
        match self {
            DistSpec::Exponential { mean_s } => 2.0 * mean_s * mean_s,
            DistSpec::Constant { value_s } => value_s * value_s,
            DistSpec::Uniform { min_s, max_s } => {
                (min_s * min_s + min_s * max_s + max_s * max_s) / 3.0
            }
            DistSpec::Normal { mean_s, sd_s } => truncated_normal_moments(*mean_s, *sd_s).1,
            DistSpec::LogNormal { mu, sigma } => (2.0 * mu + 2.0 * sigma * sigma).exp(),
            DistSpec::Gamma { shape, scale_s } => shape * (shape + 1.0) * scale_s * scale_s,
            DistSpec::Weibull { shape, scale_s } => scale_s * scale_s * gamma_fn(1.0 + 2.0 / shape),
            DistSpec::Pareto { shape, scale_s } if *shape > 2.0 => {
                shape * scale_s * scale_s / (shape - 2.0)
            }
            DistSpec::Pareto { .. } => f64::INFINITY,
            DistSpec::Empirical { samples_s } => {
                samples_s.iter().map(|x| x * x).sum::<f64>() / samples_s.len() as f64
            }
        }
    }

    /// Coefficient of variation (sd / mean).
    pub fn cv(&self) -> f64 {
        let m = self.mean_s();
        (self.second_moment_s2() - m * m).max(0.0).sqrt() / m
    }

    /// The values at each probability level in `levels` (each in (0, 1)): the inverse of
    /// the distribution function, read from statrs; for the truncated normal, the normal's
    /// inverse over [F(0), 1); for empirical samples, the lower empirical quantile.
    pub fn quantiles_s(&self, levels: &[f64]) -> Vec<f64> {
        use statrs::distribution::{
            ContinuousCDF, Exp as SExp, Gamma as SGamma, LogNormal as SLogNormal,
            Normal as SNormal, Pareto as SPareto, Weibull as SWeibull,
        };
        fn inverse(d: &impl ContinuousCDF<f64, f64>, levels: &[f64]) -> Vec<f64> {
            levels.iter().map(|&u| d.inverse_cdf(u)).collect()
        }
        // Parameters were validated by the constructors, so statrs accepts them.
        match self {
            DistSpec::Exponential { mean_s } => {
                inverse(&SExp::new(1.0 / mean_s).expect("validated"), levels)
            }
            DistSpec::Constant { value_s } => vec![*value_s; levels.len()],
            DistSpec::Uniform { min_s, max_s } => {
                levels.iter().map(|u| min_s + u * (max_s - min_s)).collect()
            }
            DistSpec::Normal { mean_s, sd_s } => {
                let n = SNormal::new(*mean_s, *sd_s).expect("validated");
                let below = n.cdf(0.0);
                let shifted: Vec<f64> = levels.iter().map(|u| below + u * (1.0 - below)).collect();
                inverse(&n, &shifted)
                    .into_iter()
                    .map(|x| x.max(0.0))
                    .collect()
            }
            DistSpec::LogNormal { mu, sigma } => {
                inverse(&SLogNormal::new(*mu, *sigma).expect("validated"), levels)
            }
            DistSpec::Gamma { shape, scale_s } => inverse(
                &SGamma::new(*shape, 1.0 / scale_s).expect("validated"),
                levels,
            ),
            DistSpec::Weibull { shape, scale_s } => {
                inverse(&SWeibull::new(*shape, *scale_s).expect("validated"), levels)
            }
            DistSpec::Pareto { shape, scale_s } => {
                inverse(&SPareto::new(*scale_s, *shape).expect("validated"), levels)
            }
            DistSpec::Empirical { samples_s } => {
                let mut sorted = samples_s.to_vec();
                sorted.sort_by(f64::total_cmp);
                let n = sorted.len();
                levels
                    .iter()
                    .map(|u| sorted[((u * n as f64) as usize).min(n - 1)])
                    .collect()
            }
        }
    }

    /// The sampler for this spec.
    pub fn sampler(&self) -> Dist {
        // Every constructor checked that rand_distr accepts the parameters (`samplable`).
        self.try_sampler().expect("validated")
    }

    /// The sampler, or rand_distr's objection to the parameters.
    fn try_sampler(&self) -> Result<Dist, String> {
        let why = |e: &dyn std::fmt::Debug| format!("{e:?}");
        let kind = match self {
            DistSpec::Exponential { mean_s } => {
                Kind::Exp(Exp::new(1.0 / mean_s).map_err(|e| why(&e))?)
            }
            DistSpec::Constant { value_s } => Kind::Constant(*value_s),
            DistSpec::Uniform { min_s, max_s } => {
                Kind::Uniform(Uniform::new(*min_s, *max_s).map_err(|e| why(&e))?)
            }
            DistSpec::Normal { mean_s, sd_s } => {
                Kind::Normal(Normal::new(*mean_s, *sd_s).map_err(|e| why(&e))?)
            }
            DistSpec::LogNormal { mu, sigma } => {
                Kind::LogNormal(Normal::new(*mu, *sigma).map_err(|e| why(&e))?)
            }
            DistSpec::Gamma { shape, scale_s } => {
                Kind::Gamma(Gamma::new(*shape, *scale_s).map_err(|e| why(&e))?)
            }
            DistSpec::Weibull { shape, scale_s } => {
                Kind::Weibull(Weibull::new(*scale_s, *shape).map_err(|e| why(&e))?)
            }
            DistSpec::Pareto { shape, scale_s } => {
                Kind::Pareto(Pareto::new(*scale_s, *shape).map_err(|e| why(&e))?)
            }
            DistSpec::Empirical { samples_s } => Kind::Empirical(samples_s.clone()),
        };
        Ok(Dist { kind })
    }
}

/// Mean and second moment of N(m, s²) truncated to [0, ∞).
fn truncated_normal_moments(m: f64, s: f64) -> (f64, f64) {
    use statrs::distribution::{Continuous, ContinuousCDF, Normal as StdNormal};
    let std = StdNormal::new(0.0, 1.0).expect("standard normal");
    let alpha = -m / s;
    let z = 1.0 - std.cdf(alpha);
    let lambda = std.pdf(alpha) / z;
    let mean = m + s * lambda;
    let var = s * s * (1.0 + alpha * lambda - lambda * lambda);
    (mean, var + mean * mean)
}

/// A ready-to-use sampler of durations.
#[derive(Clone, Debug)]
pub struct Dist {
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    Exp(Exp<f64>),
    Constant(f64),
    Uniform(Uniform<f64>),
    Normal(Normal<f64>),
    /// The normal distribution of the logarithm: rand_distr's `LogNormal` is the exponential
    /// of this normal's draw, computed here from the standard normal through the
    /// `Distribution` trait so that the hot path inlines (the same draws and values).
    LogNormal(Normal<f64>),
    Gamma(Gamma<f64>),
    Weibull(Weibull<f64>),
    Pareto(Pareto<f64>),
    Empirical(Arc<[f64]>),
}

impl Dist {
    /// One draw, in seconds (finite and >= 0).
    pub fn sample_s<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match &self.kind {
            Kind::Exp(d) => d.sample(rng),
            Kind::Constant(v) => *v,
            Kind::Uniform(d) => d.sample(rng),
            Kind::Normal(d) => loop {
                // The mean is > 0, so at least half of all draws are accepted.
                let x = d.sample(rng);
                if x >= 0.0 {
                    break x;
                }
            },
            Kind::LogNormal(d) => d.from_zscore(StandardNormal.sample(rng)).exp(),
            Kind::Gamma(d) => d.sample(rng),
            Kind::Weibull(d) => d.sample(rng),
            Kind::Pareto(d) => d.sample(rng),
            Kind::Empirical(samples) => {
                let i = (rng.next_u64() % samples.len() as u64) as usize;
                samples[i]
            }
        }
    }

    /// One draw as simulated time (rounded to the nearest nanosecond, saturating).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SimTime {
        SimTime::from_secs_f64(self.sample_s(rng))
    }

    /// [`Dist::sample`] inlined where it is called, for a request's service time (the one
    /// draw every visit makes): the kinds a service time usually has inline, the others
    /// out of line. The same draws and values (callgrind: about 10 instructions a visit
    /// fewer than the call).
    #[inline(always)]
    pub fn sample_inline<R: Rng + ?Sized>(&self, rng: &mut R) -> SimTime {
        let s = match &self.kind {
            Kind::LogNormal(d) => d.from_zscore(StandardNormal.sample(rng)).exp(),
            Kind::Exp(d) => d.sample(rng),
            Kind::Constant(v) => *v,
            _ => self.sample_other(rng),
        };
        SimTime::from_secs_f64(s)
    }

    #[inline(never)]
    fn sample_other<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.sample_s(rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// The sample mean of n draws is within 5 standard errors of the spec's mean
    /// (a 5-sigma band: with fixed seeds this cannot flake, and a wrong parametrisation
    /// misses it by far more).
    fn check_mean(spec: DistSpec) {
        let d = spec.sampler();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| d.sample_s(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let sd = (spec.second_moment_s2() - spec.mean_s().powi(2))
            .max(0.0)
            .sqrt();
        let se = sd / (n as f64).sqrt();
        assert!(
            (mean - spec.mean_s()).abs() <= 5.0 * se + 1e-12,
            "{spec:?}: sample mean {mean} vs {} (se {se})",
            spec.mean_s()
        );
        assert!(xs.iter().all(|x| x.is_finite() && *x >= 0.0));
    }

    #[test]
    fn parameters_valid_alone_that_cannot_be_sampled_are_errors() {
        // Each value is positive and finite, but the derived parameters are not.
        assert!(DistSpec::gamma_mean_cv(1.0, 1e-300).is_err());
        assert!(DistSpec::lognormal_mean_cv(1.0, 1e300).is_err());
        assert!(DistSpec::lognormal_mean_cv(1.0, 3.0).is_ok());
    }

    #[test]
    fn samplers_match_their_means() {
        check_mean(DistSpec::exponential(0.02).unwrap());
        check_mean(DistSpec::constant(1.5).unwrap());
        check_mean(DistSpec::uniform(1.0, 3.0).unwrap());
        check_mean(DistSpec::normal(1.0, 0.8).unwrap());
        check_mean(DistSpec::lognormal_mean_cv(0.02, 1.2).unwrap());
        check_mean(DistSpec::lognormal_mu_sigma(-1.0, 0.5).unwrap());
        check_mean(DistSpec::gamma_mean_cv(4.0, 0.5).unwrap());
        check_mean(DistSpec::weibull_mean(1.5, 100.0).unwrap());
        check_mean(DistSpec::weibull(0.7, 10.0).unwrap());
        check_mean(DistSpec::pareto_mean(3.5, 2.0).unwrap());
        check_mean(DistSpec::empirical(vec![0.1, 0.2, 0.7]).unwrap());
    }

    #[test]
    fn the_inlined_draw_is_the_called_one() {
        let specs = [
            DistSpec::exponential(0.02).unwrap(),
            DistSpec::constant(1.5).unwrap(),
            DistSpec::uniform(1.0, 3.0).unwrap(),
            DistSpec::normal(1.0, 0.8).unwrap(),
            DistSpec::lognormal_mean_cv(0.02, 1.2).unwrap(),
            DistSpec::gamma_mean_cv(4.0, 0.5).unwrap(),
            DistSpec::weibull(0.7, 10.0).unwrap(),
            DistSpec::pareto_mean(3.5, 2.0).unwrap(),
            DistSpec::empirical(vec![0.1, 0.2, 0.7]).unwrap(),
        ];
        for spec in specs {
            let d = spec.sampler();
            let mut a = Xoshiro256PlusPlus::seed_from_u64(11);
            let mut b = a.clone();
            for _ in 0..10_000 {
                assert_eq!(d.sample(&mut a), d.sample_inline(&mut b), "{spec:?}");
            }
        }
    }

    #[test]
    fn mean_cv_parametrisations_round_trip() {
        let ln = DistSpec::lognormal_mean_cv(0.02, 1.2).unwrap();
        assert!((ln.mean_s() - 0.02).abs() < 1e-12);
        assert!((ln.cv() - 1.2).abs() < 1e-9);
        let g = DistSpec::gamma_mean_cv(4.0, 0.5).unwrap();
        assert!((g.mean_s() - 4.0).abs() < 1e-12 && (g.cv() - 0.5).abs() < 1e-12);
        let w = DistSpec::weibull_mean(2.0, 10.0).unwrap();
        assert!((w.mean_s() - 10.0).abs() < 1e-9);
        assert!((DistSpec::exponential(3.0).unwrap().cv() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn refuses_impossible_parameters() {
        assert!(DistSpec::lognormal_mean_cv(1.0, 0.0).is_err());
        assert!(DistSpec::exponential(-1.0).is_err());
        assert!(DistSpec::uniform(2.0, 1.0).is_err());
        assert!(DistSpec::pareto_mean(1.0, 1.0).is_err());
        assert!(DistSpec::empirical(vec![]).is_err());
        assert!(DistSpec::empirical(vec![1.0, f64::NAN]).is_err());
        assert!(DistSpec::gamma_mean_cv(1.0, f64::INFINITY).is_err());
    }
}
