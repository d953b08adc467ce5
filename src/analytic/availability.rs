//! Steady-state availability of one repairable unit with any up/down-time distributions,
//! and the [`Availability`] figures every availability model here returns. `k`-out-of-`n`
//! groups with repair crews are in [`super::k_out_of_n`]; the active-standby pair with a
//! failover time is in [`super::active_standby`](mod@super::active_standby).
//!
//! Invariants: every result is a long-run time fraction or rate of a stationary process;
//! rates are per second and times in seconds; availability is also returned as its
//! complement, computed directly (not as `1 - A`) so that "many nines" keep their digits.
//! Every result satisfies the identity the validation suite relies on,
//! `A = MUT / (MUT + MDT)`: with `f` the frequency of system failures (up → down
//! transitions per second), `MUT = A / f` and `MDT = (1 - A) / f` (Billinton & Allan,
//! Reliability Evaluation of Engineering Systems, 2nd ed. (1992), frequency and duration
//! techniques; for an alternating renewal process it is the renewal-reward theorem).

use statrs::function::gamma::gamma as gamma_fn;

use super::{AnalyticError, positive};

/// Long-run availability figures of a system that alternates between up and down periods.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Availability {
    /// Long-run fraction of time up, `A`.
    pub availability: f64,
    /// Long-run fraction of time down, `1 - A`, computed without cancellation.
    pub unavailability: f64,
    /// System failures (up → down transitions) per second in steady state, `f`.
    pub failure_frequency_per_s: f64,
    /// Mean length of an up period, `MUT = A / f`.
    pub mean_up_s: f64,
    /// Mean length of an outage (down period), `MDT = (1 - A) / f`.
    pub mean_outage_s: f64,
}

/// One repairable unit that alternates between up periods (mean `mttf_s`) and repairs
/// (mean `mttr_s`).
///
/// Formula: `A = MTTF / (MTTF + MTTR)`, `f = 1 / (MTTF + MTTR)`, `MUT = MTTF`,
/// `MDT = MTTR`.
/// Assumptions: an alternating renewal process — up times i.i.d., down times i.i.d.
/// (each pair may be dependent), both with finite means. The result holds for **any**
/// distributions (Weibull, lognormal, deterministic, ...), not only exponential ones; use
/// [`weibull_mean_s`] and [`lognormal_mean_s`] to get the means.
/// Source: Ross, Stochastic Processes, 2nd ed. (1996), ch. 3: the limiting probability of
/// an alternating renewal process being "on" (renewal-reward theorem), and the elementary
/// renewal theorem for the cycle rate `1 / (MTTF + MTTR)`.
pub fn single_unit(mttf_s: f64, mttr_s: f64) -> Result<Availability, AnalyticError> {
    let up = positive("mttf_s", mttf_s)?;
    let down = positive("mttr_s", mttr_s)?;
    let cycle = up + down;
    Ok(Availability {
        availability: up / cycle,
        unavailability: down / cycle,
        failure_frequency_per_s: 1.0 / cycle,
        mean_up_s: up,
        mean_outage_s: down,
    })
}

/// Mean of a Weibull distribution with shape `k` and scale `λ`: `λ Γ(1 + 1/k)`
/// (Johnson, Kotz & Balakrishnan, Continuous Univariate Distributions Vol. 1, 2nd ed.
/// (1994), ch. 21). The parametrisation is that of `rand_distr::Weibull::new(scale, shape)`.
pub fn weibull_mean_s(shape: f64, scale_s: f64) -> Result<f64, AnalyticError> {
    let k = positive("shape", shape)?;
    Ok(positive("scale_s", scale_s)? * gamma_fn(1.0 + 1.0 / k))
}

/// Mean of the lognormal `exp(N(mu, sigma²))`: `exp(mu + sigma² / 2)` (Johnson, Kotz &
/// Balakrishnan, Continuous Univariate Distributions Vol. 1, 2nd ed. (1994), ch. 14).
/// `mu` and `sigma` are the mean and standard deviation of the logarithm, as in
/// `rand_distr::LogNormal::new(mu, sigma)`.
pub fn lognormal_mean_s(mu: f64, sigma: f64) -> Result<f64, AnalyticError> {
    if !mu.is_finite() {
        return Err(AnalyticError::InvalidParameter {
            name: "mu",
            bound: "finite",
            value: mu,
        });
    }
    let s = positive("sigma", sigma)?;
    Ok((mu + 0.5 * s * s).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, LogNormal, Weibull};
    use rand_xoshiro::Xoshiro256PlusPlus;

    use crate::analytic::close;

    /// Mean and standard error of batch means.
    fn mean_se(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
        (m, (var / n).sqrt())
    }

    #[test]
    fn single_unit_values() {
        // MTTF 999 s, MTTR 1 s: A = 999/1000, U = 1/1000, one cycle per 1000 s.
        let a = single_unit(999.0, 1.0).unwrap();
        close(a.availability, 0.999, 1e-15);
        close(a.unavailability, 1e-3, 1e-15);
        close(a.failure_frequency_per_s, 1e-3, 1e-15);
        assert_eq!((a.mean_up_s, a.mean_outage_s), (999.0, 1.0));
        assert!(matches!(
            single_unit(0.0, 1.0),
            Err(AnalyticError::InvalidParameter { name: "mttf_s", .. })
        ));
        assert!(single_unit(1.0, f64::INFINITY).is_err());
        assert!(weibull_mean_s(0.0, 1.0).is_err());
        assert!(lognormal_mean_s(f64::NAN, 1.0).is_err());
    }

    #[test]
    fn distribution_means() {
        // Weibull shape 1 is exponential (mean = scale); shape 2: Γ(3/2) = √π / 2.
        close(weibull_mean_s(1.0, 7.0).unwrap(), 7.0, 1e-14);
        close(
            weibull_mean_s(2.0, 10.0).unwrap(),
            5.0 * std::f64::consts::PI.sqrt(),
            1e-14,
        );
        // exp(N(0, 1)) has mean e^{1/2}.
        close(lognormal_mean_s(0.0, 1.0).unwrap(), 0.5f64.exp(), 1e-15);
    }

    #[test]
    fn single_unit_holds_for_weibull_up_and_lognormal_down_times() {
        // Alternating renewal with Weibull(shape 1.5, scale 100) up times and
        // lognormal(mu 1, sigma 1) repairs: A = MTTF / (MTTF + MTTR) although neither is
        // exponential. 200 batches of 1000 cycles; within 5 standard errors.
        let (shape, scale, mu, sigma) = (1.5, 100.0, 1.0, 1.0);
        let ttf = Weibull::new(scale, shape).unwrap();
        let ttr = LogNormal::new(mu, sigma).unwrap();
        let exact = single_unit(
            weibull_mean_s(shape, scale).unwrap(),
            lognormal_mean_s(mu, sigma).unwrap(),
        )
        .unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let (mut avail, mut freq) = (Vec::new(), Vec::new());
        for _ in 0..200 {
            let (mut up, mut down) = (0.0, 0.0);
            for _ in 0..1000 {
                up += ttf.sample(&mut rng);
                down += ttr.sample(&mut rng);
            }
            avail.push(up / (up + down));
            freq.push(1000.0 / (up + down));
        }
        for (xs, expected) in [
            (avail, exact.availability),
            (freq, exact.failure_frequency_per_s),
        ] {
            let (m, se) = mean_se(&xs);
            assert!((m - expected).abs() < 5.0 * se, "{m} ± {se} vs {expected}");
        }
    }
}
