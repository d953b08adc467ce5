//! The supermarket model in its mean-field limit: N → ∞ FIFO servers, Poisson arrivals at
//! total rate λN, each arrival samples `d` servers uniformly at random (with replacement)
//! and joins the one with the fewest customers (ties at random); service is exponential
//! with rate 1. Times are in units of the mean service time: multiply by it to get
//! seconds. `d = 1` is random assignment, i.e. N independent M/M/1 queues.
//!
//! Invariant: only `0 <= λ < 1` and `d >= 1` are answered. The results are limits: a finite
//! cluster of N servers approaches them as N grows (the simulation must use N large
//! enough, hundreds or more, for the comparison to be tight).
//!
//! Source: M. Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing", IEEE
//! Trans. Parallel and Distributed Systems 12(10):1094–1104 (2001), §3 (the supermarket
//! model, its fixed point and expected time in system); N. D. Vvedenskaya, R. L. Dobrushin
//! and F. I. Karpelevich, "Queueing system with selection of the shortest of two queues: an
//! asymptotic approach", Problems of Information Transmission 32(1):15–27 (1996).

use super::{AnalyticError, non_negative, stable};

/// Terms below this are dropped from the series; every sum here is >= 1 (or the first
/// term is λ), so this is also a relative truncation error of about 1e-15.
const TERM_CUTOFF: f64 = 1e-15;

fn checked(utilization: f64, choices: u32) -> Result<(f64, f64), AnalyticError> {
    let lambda = stable(non_negative("utilization", utilization)?)?;
    if choices == 0 {
        return Err(AnalyticError::InvalidParameter {
            name: "choices",
            bound: ">= 1",
            value: 0.0,
        });
    }
    Ok((lambda, f64::from(choices)))
}

/// `s_i`, the limiting fraction of servers with at least `i` customers (in service
/// included): `s_i = λ^{(d^i - 1)/(d - 1)}` (`= λ^i` for d = 1; `s_0 = 1`).
///
/// This is the unique fixed point, reached from any start with finite mean, of
/// `ds_i/dt = λ (s_{i-1}^d - s_i^d) - (s_i - s_{i+1})`. Assumptions and source: see the
/// module documentation.
pub fn supermarket_tail(utilization: f64, choices: u32, i: u32) -> Result<f64, AnalyticError> {
    let (lambda, d) = checked(utilization, choices)?;
    // (d^i - 1)/(d - 1) = 1 + d + ... + d^{i-1}, built by f_{k+1} = d f_k + 1 from f_0 = 0
    // (exact in f64 while below 2^53; beyond that the power is 0 anyway).
    let mut exponent = 0.0;
    for _ in 0..i {
        exponent = d * exponent + 1.0;
        if lambda.powf(exponent) == 0.0 {
            return Ok(0.0);
        }
    }
    Ok(lambda.powf(exponent))
}

/// Mean number of customers at a server in the limit, `Σ_{i>=1} s_i` (see
/// [`supermarket_tail`]), summed until the terms fall below 1e-15.
/// For d = 1 this is M/M/1's `λ / (1 - λ)`.
pub fn supermarket_mean_queue_length(utilization: f64, choices: u32) -> Result<f64, AnalyticError> {
    let (lambda, d) = checked(utilization, choices)?;
    // Σ_{i>=1} λ^{f_i} with f_1 = 1, f_{i+1} = d f_i + 1.
    Ok(series(lambda, d, 1.0, 1.0))
}

/// Expected time in system of a customer in the limit, in units of the mean service time:
/// `T_d(λ) = Σ_{i>=1} λ^{(d^i - d)/(d - 1)}`, summed until the terms fall below 1e-15.
///
/// It equals `(1/λ) Σ_{i>=1} s_i` by Little's law. For d = 1 every exponent is `i - 1` and
/// the sum is M/M/1's `1 / (1 - λ)`; for d >= 2 it grows only like `log_d(1 / (1 - λ))`
/// as λ → 1. The number of terms is about `ln(1e15) / -ln λ` for d = 1 (35 000 at
/// λ = 0.999) and a handful for d >= 2. Assumptions and source: see the module
/// documentation.
pub fn supermarket_mean_sojourn(utilization: f64, choices: u32) -> Result<f64, AnalyticError> {
    let (lambda, d) = checked(utilization, choices)?;
    // Σ_{i>=1} λ^{e_i} with e_1 = 0, e_{i+1} = d e_i + d, since
    // (d^{i+1} - d)/(d - 1) = d (d^i - d)/(d - 1) + d.
    Ok(series(lambda, d, 0.0, d))
}

/// `Σ_{i>=1} λ^{e_i}` with `e_1 = first_exponent`, `e_{i+1} = d e_i + step`, stopping at the
/// first term below [`TERM_CUTOFF`]. The exponents grow at least linearly, so for λ < 1
/// this terminates.
fn series(lambda: f64, d: f64, first_exponent: f64, step: f64) -> f64 {
    let mut sum = 0.0;
    let mut exponent = first_exponent;
    loop {
        let term = lambda.powf(exponent);
        if term < TERM_CUTOFF {
            return sum;
        }
        sum += term;
        exponent = d * exponent + step;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::analytic::close;

    #[test]
    fn random_assignment_is_mm1() {
        // d = 1: each server is an independent M/M/1 with ρ = λ, so T = 1/(1-λ),
        // L = λ/(1-λ), s_i = λ^i. This checks the general series at its degenerate d.
        for lambda in [0.0, 0.1, 0.5, 0.9, 0.99] {
            close(
                supermarket_mean_sojourn(lambda, 1).unwrap(),
                1.0 / (1.0 - lambda),
                1e-13,
            );
            if lambda > 0.0 {
                close(
                    supermarket_mean_queue_length(lambda, 1).unwrap(),
                    lambda / (1.0 - lambda),
                    1e-13,
                );
            }
            close(
                supermarket_tail(lambda, 1, 3).unwrap(),
                lambda.powi(3),
                1e-15,
            );
        }
    }

    #[test]
    fn two_choices_by_hand() {
        // d = 2, λ = 0.5: exponents (2^i - 2) are 0, 2, 6, 14, 30, 62, ... so
        // T = 1 + 0.5^2 + 0.5^6 + 0.5^14 + 0.5^30 + 0.5^62 + ... (next term 0.5^126 < 1e-15).
        let expected = 1.0 + 0.25 + 0.015_625 + 0.5f64.powi(14) + 0.5f64.powi(30) + 0.5f64.powi(62);
        close(supermarket_mean_sojourn(0.5, 2).unwrap(), expected, 1e-15);
        // s_i = λ^{2^i - 1}: s_1 = λ (every arrival is a busy-server's worth of load),
        // s_2 = λ^3, s_3 = λ^7.
        close(supermarket_tail(0.9, 2, 1).unwrap(), 0.9, 1e-15);
        close(supermarket_tail(0.9, 2, 2).unwrap(), 0.729, 1e-15);
        close(supermarket_tail(0.9, 2, 3).unwrap(), 0.9f64.powi(7), 1e-15);
        assert_eq!(supermarket_tail(0.9, 2, 0).unwrap(), 1.0);
    }

    #[test]
    fn littles_law_links_the_two_sums() {
        // T = L / λ in the limit (the arrival rate per server is λ).
        for d in 1..6 {
            for lambda in [0.2, 0.7, 0.95] {
                close(
                    supermarket_mean_sojourn(lambda, d).unwrap(),
                    supermarket_mean_queue_length(lambda, d).unwrap() / lambda,
                    1e-13,
                );
            }
        }
    }

    /// Integrates the mean-field ODE `ds_i/dt = λ (s_{i-1}^d - s_i^d) - (s_i - s_{i+1})`,
    /// `s_0 = 1`, from an empty system with classical RK4 until it stops moving, and
    /// returns `s_1..s_K`. An independent route to the fixed point (no closed form used).
    fn ode_fixed_point(lambda: f64, d: i32) -> Vec<f64> {
        const K: usize = 200;
        let deriv = |s: &[f64]| -> Vec<f64> {
            (1..=K)
                .map(|i| {
                    let prev = if i == 1 { 1.0 } else { s[i - 2] };
                    let next = if i == K { 0.0 } else { s[i] };
                    lambda * (prev.powi(d) - s[i - 1].powi(d)) - (s[i - 1] - next)
                })
                .collect()
        };
        let axpy = |s: &[f64], k: &[f64], h: f64| -> Vec<f64> {
            s.iter().zip(k).map(|(a, b)| a + h * b).collect()
        };
        let dt = 0.05;
        let mut s = vec![0.0; K];
        for _ in 0..2_000_000 {
            let k1 = deriv(&s);
            let k2 = deriv(&axpy(&s, &k1, dt / 2.0));
            let k3 = deriv(&axpy(&s, &k2, dt / 2.0));
            let k4 = deriv(&axpy(&s, &k3, dt));
            for i in 0..K {
                s[i] += dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
            }
            if k1.iter().all(|v| v.abs() < 1e-14) {
                return s;
            }
        }
        panic!("the ODE did not settle");
    }

    #[test]
    fn closed_form_matches_the_ode_fixed_point() {
        // d = 2, λ = 0.9: the series gives T ≈ 2.614 (vs 10 for random assignment).
        for (lambda, d) in [(0.9, 2), (0.5, 2), (0.9, 3), (0.8, 1)] {
            let s = ode_fixed_point(lambda, d);
            let d = d as u32;
            for (i, s_i) in s.iter().enumerate().take(8) {
                let exact = supermarket_tail(lambda, d, i as u32 + 1).unwrap();
                assert!(
                    (s_i - exact).abs() < 1e-11,
                    "s_{} = {s_i} vs {exact}",
                    i + 1
                );
            }
            let t_ode: f64 = s.iter().sum::<f64>() / lambda;
            close(supermarket_mean_sojourn(lambda, d).unwrap(), t_ode, 1e-10);
        }
        close(
            supermarket_mean_sojourn(0.9, 2).unwrap(),
            2.614_057_377_323_876,
            1e-14,
        );
    }

    #[test]
    fn more_choices_help_with_diminishing_returns() {
        let t: Vec<f64> = (1..=4)
            .map(|d| supermarket_mean_sojourn(0.99, d).unwrap())
            .collect();
        assert!(t[0] > t[1] && t[1] > t[2] && t[2] > t[3]);
        // 100 → ~5.4: the big step is from one choice to two.
        assert!(t[0] - t[1] > 10.0 * (t[1] - t[2]));
    }

    #[test]
    fn refuses_overload_and_zero_choices() {
        assert_eq!(
            supermarket_mean_sojourn(1.0, 2),
            Err(AnalyticError::Unstable { utilization: 1.0 })
        );
        assert!(supermarket_mean_sojourn(0.5, 0).is_err());
        assert!(supermarket_tail(-0.1, 2, 1).is_err());
    }
}
