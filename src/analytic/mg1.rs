//! Mean values of the M/G/1 queue by the Pollaczek-Khinchine formula: Poisson arrivals at
//! rate λ, one server, independent service times S with any distribution of finite second
//! moment. M/D/1 (constant service) is the case `E[S²] = E[S]²`.
//!
//! Invariant: only stable queues (ρ = λ E[S] < 1) get a number; the mean wait depends on
//! the service distribution only through `E[S]` and `E[S²]`, and holds for any
//! work-conserving order that does not look at service times (FIFO, LIFO, random).

use super::{AnalyticError, non_negative, positive, stable};

/// Relative slack allowed on `E[S²] >= E[S]²`, for a second moment computed by the caller
/// as `mean * mean` or `var + mean * mean` in floating point.
const MOMENT_SLACK: f64 = 1e-12;

/// Checks the parameters and returns `(λ, E[S], E[S²], ρ)`.
fn checked(
    arrival_rate_per_s: f64,
    mean_service_s: f64,
    second_moment_service_s2: f64,
) -> Result<(f64, f64, f64, f64), AnalyticError> {
    let lambda = non_negative("arrival_rate_per_s", arrival_rate_per_s)?;
    let es = positive("mean_service_s", mean_service_s)?;
    let es2 = positive("second_moment_service_s2", second_moment_service_s2)?;
    if es2 < es * es * (1.0 - MOMENT_SLACK) {
        return Err(AnalyticError::InvalidParameter {
            name: "second_moment_service_s2",
            bound: ">= mean_service_s² (a variance cannot be negative)",
            value: es2,
        });
    }
    let rho = stable(lambda * es)?;
    Ok((lambda, es, es2, rho))
}

/// Mean wait in queue (before service) of M/G/1, the Pollaczek-Khinchine mean-value
/// formula `Wq = λ E[S²] / (2 (1 - ρ))`, `ρ = λ E[S]`.
///
/// Assumptions: Poisson arrivals, one server, i.i.d. service times independent of the
/// arrivals, `E[S²]` finite, ρ < 1 (else [`AnalyticError::Unstable`]).
/// Source: Kleinrock, Queueing Systems Vol. 1 (1975), ch. 5 (the M/G/1 queue, the P-K
/// mean-value formula); Gross, Shortle, Thompson & Harris, Fundamentals of Queueing Theory,
/// 4th ed. (2008), "General Arrival or Service Patterns", M/G/1.
pub fn mg1_mean_wait_s(
    arrival_rate_per_s: f64,
    mean_service_s: f64,
    second_moment_service_s2: f64,
) -> Result<f64, AnalyticError> {
    let (lambda, _, es2, rho) =
        checked(arrival_rate_per_s, mean_service_s, second_moment_service_s2)?;
    Ok(lambda * es2 / (2.0 * (1.0 - rho)))
}

/// Mean response (sojourn) time of M/G/1, `W = Wq + E[S]`; see [`mg1_mean_wait_s`].
pub fn mg1_mean_response_s(
    arrival_rate_per_s: f64,
    mean_service_s: f64,
    second_moment_service_s2: f64,
) -> Result<f64, AnalyticError> {
    Ok(
        mg1_mean_wait_s(arrival_rate_per_s, mean_service_s, second_moment_service_s2)?
            + mean_service_s,
    )
}

/// Mean number waiting in M/G/1, `Lq = λ Wq = λ² E[S²] / (2 (1 - ρ))` (Little's law);
/// see [`mg1_mean_wait_s`].
pub fn mg1_mean_in_queue(
    arrival_rate_per_s: f64,
    mean_service_s: f64,
    second_moment_service_s2: f64,
) -> Result<f64, AnalyticError> {
    Ok(arrival_rate_per_s
        * mg1_mean_wait_s(arrival_rate_per_s, mean_service_s, second_moment_service_s2)?)
}

/// Mean wait in queue of M/D/1 (every service takes exactly `service_s`):
/// P-K with `E[S²] = E[S]²`, `Wq = ρ E[S] / (2 (1 - ρ))`, half the M/M/1 wait at the same ρ.
/// Source: as [`mg1_mean_wait_s`].
pub fn md1_mean_wait_s(arrival_rate_per_s: f64, service_s: f64) -> Result<f64, AnalyticError> {
    mg1_mean_wait_s(arrival_rate_per_s, service_s, service_s * service_s)
}

#[cfg(test)]
mod tests {
    use super::super::MMc;
    use super::*;

    use crate::analytic::close;

    #[test]
    fn md1_textbook_values() {
        // λ = 0.5, E[S] = 1: ρ = 0.5, Wq = 0.5 · 1 / (2 · 0.5) = 0.5, W = 1.5.
        close(md1_mean_wait_s(0.5, 1.0).unwrap(), 0.5, 1e-15);
        close(mg1_mean_response_s(0.5, 1.0, 1.0).unwrap(), 1.5, 1e-15);
        // ρ = 0.8: Lq = ρ² / (2 (1 - ρ)) = 0.64 / 0.4 = 1.6 (M/D/1 queue length).
        close(mg1_mean_in_queue(0.8, 1.0, 1.0).unwrap(), 1.6, 1e-14);
        // Scale: E[S] = 10 ms at 80/s is ρ = 0.8, Wq = 0.8 · 0.01 / 0.4 = 0.02 s.
        close(md1_mean_wait_s(80.0, 0.01).unwrap(), 0.02, 1e-14);
    }

    #[test]
    fn exponential_service_gives_mm1() {
        // Exp(μ) has E[S²] = 2/μ², so P-K must equal M/M/1's Wq = ρ / (μ - λ).
        for (lambda, mu) in [(0.5, 1.0), (9.0, 10.0), (0.01, 3.0)] {
            let mm1 = MMc::new(lambda, mu, 1).unwrap();
            let es = 1.0 / mu;
            close(
                mg1_mean_wait_s(lambda, es, 2.0 * es * es).unwrap(),
                mm1.mean_wait_s(),
                1e-13,
            );
            close(
                mg1_mean_response_s(lambda, es, 2.0 * es * es).unwrap(),
                mm1.mean_response_s(),
                1e-13,
            );
        }
    }

    #[test]
    fn erlang_k_service() {
        // Erlang-k service with mean 1 has E[S²] = 1 + 1/k; k = 4, λ = 0.6:
        // Wq = 0.6 · 1.25 / (2 · 0.4) = 0.9375.
        close(mg1_mean_wait_s(0.6, 1.0, 1.25).unwrap(), 0.9375, 1e-15);
    }

    #[test]
    fn refuses_unstable_and_impossible_moments() {
        assert_eq!(
            md1_mean_wait_s(2.0, 0.5),
            Err(AnalyticError::Unstable { utilization: 1.0 })
        );
        assert!(matches!(
            mg1_mean_wait_s(0.5, 1.0, 0.9),
            Err(AnalyticError::InvalidParameter {
                name: "second_moment_service_s2",
                ..
            })
        ));
        assert!(mg1_mean_wait_s(0.5, 0.0, 1.0).is_err());
        assert!(mg1_mean_wait_s(-1.0, 1.0, 1.0).is_err());
    }
}
