//! A primary / hot-standby pair with a deterministic failover time: steady-state
//! availability, outage frequency and mean outage, in closed form.
//!
//! Invariants: the full derivation is in `docs/analytic-active-standby.md`, and the tests
//! check it against its `d = 0` and instant-repair limits, a Monte Carlo simulation of the
//! stated rules, and an Erlang-k phase-type CTMC. The result satisfies
//! `A = MUT / (MUT + MDT)` with `MUT = 1/λ`.

use super::availability::Availability;
use super::{AnalyticError, non_negative, positive};

/// Availability of an active-standby pair: two nodes, failure rate λ each whenever up
/// (primary and hot standby alike), independent repair at rate μ per failed node
/// (unlimited crews), exponential; a failover of fixed length `failover_s` = d.
///
/// Rules: the service is up while the primary is up and not failing over. When the
/// primary fails, the service is down; a failover of length d to the other node starts at
/// once if that node is up, or when it (or the old primary) is first repaired otherwise,
/// and the target then becomes primary. **If the target fails during the failover**, the
/// failover is abandoned: a new one of length d starts at once to the other node if it is
/// up (it may have been repaired meanwhile), else when a node is first repaired. No
/// failback.
///
/// Formula, with `s = λ+μ`, `r = 2λ+μ`, `E = e^{λd} − 1`, `G = 1 − e^{−sd}`:
/// `MUT = 1/λ` (an up period is exactly the primary's lifetime),
/// `MDT = λ(2 − μG/s)/(2μr) + E/λ + λE/(2μs) + λ(E+G)/(2sr)`,
/// `A = 1/(1 + λ MDT)`, outage frequency `f = λA = 1/(MUT + MDT)`.
/// Sketch: every failover starts with the target up and the other node down, so the
/// process is semi-Markov on {S2, S1 (up), F, D0 (down)}; a failover lasts `min(d, Exp(λ))`,
/// the other node follows the 2-state chain (up at t w.p. `(μ/s)(1 − e^{−st})`), and
/// up/down cycles are i.i.d., so the renewal-reward theorem gives A.
/// Limits: d = 0 gives `1 − (λ/(λ+μ))²` (1-out-of-2 with two crews; `f` then counts
/// zero-length outages); μ → ∞ gives `MDT = (e^{λd} − 1)/λ`.
/// Source: derived in `docs/analytic-active-standby.md` using the renewal-reward theorem
/// (Ross, Stochastic Processes, 2nd ed. (1996), ch. 3).
pub fn active_standby(
    failure_rate_per_s: f64,
    repair_rate_per_s: f64,
    failover_s: f64,
) -> Result<Availability, AnalyticError> {
    let lambda = positive("failure_rate_per_s", failure_rate_per_s)?;
    let mu = positive("repair_rate_per_s", repair_rate_per_s)?;
    let d = non_negative("failover_s", failover_s)?;
    let s = lambda + mu;
    let r = 2.0 * lambda + mu;
    let e = (lambda * d).exp_m1();
    let g = -(-s * d).exp_m1();
    let mean_outage_s = lambda * (2.0 - mu * g / s) / (2.0 * mu * r)
        + e / lambda
        + lambda * e / (2.0 * mu * s)
        + lambda * (e + g) / (2.0 * s * r);
    // λ·MDT may overflow to ∞ for absurd λd (> 700 lifetimes); 1/∞ = 0 keeps A = 0, U = 1.
    let x = lambda * mean_outage_s;
    let availability = 1.0 / (1.0 + x);
    Ok(Availability {
        availability,
        unavailability: 1.0 / (1.0 + 1.0 / x),
        failure_frequency_per_s: lambda * availability,
        mean_up_s: 1.0 / lambda,
        mean_outage_s,
    })
}

#[cfg(test)]
mod tests {
    use super::super::ctmc_solve::Ctmc;
    use super::super::k_out_of_n::RepairableGroup;
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Exp};
    use rand_xoshiro::Xoshiro256PlusPlus;

    use crate::analytic::close;

    /// Cases: failover-dominated, repair-dominated, and a cloud-like one (MTTF 30 days,
    /// MTTR 4 h, 30 s failover).
    const CASES: [(f64, f64, f64); 3] = [
        (0.5, 2.0, 0.3),
        (1.0, 1.0, 1.0),
        (1.0 / 2_592_000.0, 1.0 / 14_400.0, 30.0),
    ];

    #[test]
    fn refuses_invalid_parameters() {
        assert!(active_standby(0.0, 1.0, 1.0).is_err());
        assert!(active_standby(1.0, -1.0, 1.0).is_err());
        assert!(active_standby(1.0, 1.0, -1.0).is_err());
        assert!(active_standby(1.0, 1.0, f64::NAN).is_err());
    }

    #[test]
    fn zero_failover_is_one_out_of_two() {
        // d = 0: A = 1 - (λ/(λ+μ))², the 1-of-2 group with two crews. λ = 1, μ = 3:
        // 1 - 1/16 = 15/16, MDT = λ/(μ(2λ+μ)) = 1/15, f = λA = 15/16.
        let a = active_standby(1.0, 3.0, 0.0).unwrap();
        close(a.availability, 15.0 / 16.0, 1e-15);
        close(a.unavailability, 1.0 / 16.0, 1e-15);
        close(a.mean_outage_s, 1.0 / 15.0, 1e-15);
        close(a.failure_frequency_per_s, 15.0 / 16.0, 1e-15);
        for (lambda, mu, _) in CASES {
            let pair = RepairableGroup::new(2, lambda, mu, 2).unwrap();
            let group = pair.steady_state(1).unwrap();
            let a = active_standby(lambda, mu, 0.0).unwrap();
            close(a.unavailability, group.unavailability, 1e-13);
            // Continuity: dMDT/dd is O(1), so d = 1e-9 MDT(0) moves U by O(1e-9) relative.
            let tiny = active_standby(lambda, mu, 1e-9 * a.mean_outage_s).unwrap();
            close(tiny.unavailability, a.unavailability, 1e-7);
        }
    }

    #[test]
    fn instant_repair_retries_failovers() {
        // μ → ∞: the other node is always up, so an outage is a geometric number of
        // failover attempts min(d, Exp(λ)) until one survives d: MDT = (e^{λd} - 1)/λ.
        // λ = 1, d = 2: MDT = e² - 1. Neglected terms are O(λ/μ) = 1e-12.
        let a = active_standby(1.0, 1e12, 2.0).unwrap();
        close(a.mean_outage_s, 2.0f64.exp_m1(), 1e-11);
        close(a.mean_up_s, 1.0, 0.0);
    }

    #[test]
    fn identities_hold() {
        for (lambda, mu, d) in CASES {
            let a = active_standby(lambda, mu, d).unwrap();
            close(a.availability + a.unavailability, 1.0, 1e-15);
            let cycle = a.mean_up_s + a.mean_outage_s;
            close(a.availability, a.mean_up_s / cycle, 1e-14);
            close(a.failure_frequency_per_s, 1.0 / cycle, 1e-14);
        }
        // λd = 800: MDT overflows; the answer degrades to "never up", not NaN.
        let a = active_standby(1.0, 1.0, 800.0).unwrap();
        assert_eq!((a.availability, a.unavailability), (0.0, 1.0));
    }

    /// Unavailability of the CTMC in which the failover time is Erlang-k (k phases of rate
    /// k/d). States: 0 = S2 (primary up, standby up), 1 = S1 (primary up, standby down),
    /// 2 = D0 (both down), 3 + 2i + o = failover in phase i with the target up and the
    /// other node up (o = 1) or down (o = 0).
    fn erlang_k_unavailability(lambda: f64, mu: f64, d: f64, k: usize) -> f64 {
        let f = |i: usize, o: usize| 3 + 2 * i + o;
        let mut q = Ctmc::new(3 + 2 * k);
        q.add(0, f(0, 0), lambda); // primary fails: fail over to the standby
        q.add(0, 1, lambda); // standby fails
        q.add(1, 0, mu); // standby repaired
        q.add(1, 2, lambda); // primary fails with the standby down
        q.add(2, f(0, 0), 2.0 * mu); // first repair: fail over to it
        let phase = k as f64 / d;
        for i in 0..k {
            let done = |o| if i + 1 < k { f(i + 1, o) } else { 1 - o };
            q.add(f(i, 0), done(0), phase);
            q.add(f(i, 1), done(1), phase);
            q.add(f(i, 0), f(i, 1), mu); // other node repaired
            q.add(f(i, 1), f(i, 0), lambda); // other node fails
            q.add(f(i, 0), 2, lambda); // target fails, other down: wait for repair
            q.add(f(i, 1), f(0, 0), lambda); // target fails, other up: new failover
        }
        q.stationary()[2..].iter().sum()
    }

    #[test]
    fn erlang_k_ctmc_converges_to_the_closed_form() {
        // The Erlang-k error is O(1/k); Richardson 2U(2k) - U(k) cancels the 1/k term.
        for (lambda, mu, d) in CASES {
            let exact = active_standby(lambda, mu, d).unwrap().unavailability;
            let u64_ = erlang_k_unavailability(lambda, mu, d, 64);
            let u128_ = erlang_k_unavailability(lambda, mu, d, 128);
            let extrapolated = 2.0 * u128_ - u64_;
            eprintln!(
                "λ={lambda:e} μ={mu:e} d={d}: exact U {exact:.10e}, Erlang-64 {:.3e} rel, \
                 Erlang-128 {:.3e} rel, extrapolated {:.3e} rel",
                u64_ / exact - 1.0,
                u128_ / exact - 1.0,
                extrapolated / exact - 1.0
            );
            // Measured: Erlang-64 is off by -8.3e-4, -3.0e-3, -2.5e-8 (relative) and
            // Erlang-128 by half that; the extrapolation by 6e-7, 1e-5, 3e-15.
            close(u64_ / exact - 1.0, 2.0 * (u128_ / exact - 1.0), 0.02);
            close(extrapolated, exact, 5e-5);
        }
    }

    /// The mode of the simulated pair.
    #[derive(Clone, Copy)]
    enum Mode {
        Serving(usize),
        Failover { target: usize, end: f64 },
        Waiting,
    }

    /// Simulates the stated rules directly (node clocks, primary, failover timer), and
    /// returns (down seconds, outages started) for each of `batches` batches of `batch_s`.
    fn simulate(lambda: f64, mu: f64, d: f64, batches: usize, batch_s: f64) -> Vec<(f64, f64)> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(20_240_611);
        let (fail, repair) = (Exp::new(lambda).unwrap(), Exp::new(mu).unwrap());
        let mut up = [true, true];
        let mut next = [fail.sample(&mut rng), fail.sample(&mut rng)];
        let mut mode = Mode::Serving(0);
        let (mut t, mut batch_end) = (0.0, batch_s);
        let (mut down, mut outages, mut out) = (0.0, 0.0, Vec::new());
        loop {
            let failover_end = match mode {
                Mode::Failover { end, .. } => end,
                _ => f64::INFINITY,
            };
            let t_next = next[0].min(next[1]).min(failover_end);
            let serving = matches!(mode, Mode::Serving(_));
            while t_next > batch_end {
                down += if serving { 0.0 } else { batch_end - t };
                t = batch_end;
                out.push((down, outages));
                if out.len() == batches {
                    return out;
                }
                (down, outages, batch_end) = (0.0, 0.0, batch_end + batch_s);
            }
            down += if serving { 0.0 } else { t_next - t };
            t = t_next;
            if let Mode::Failover { target, end } = mode
                && t == end
            {
                mode = Mode::Serving(target);
                continue;
            }
            let i = usize::from(next[1] < next[0]);
            up[i] = !up[i];
            next[i] = t + if up[i] { &fail } else { &repair }.sample(&mut rng);
            let other = 1 - i;
            let to_other = if up[other] {
                Mode::Failover {
                    target: other,
                    end: t + d,
                }
            } else {
                Mode::Waiting
            };
            mode = match mode {
                Mode::Serving(p) if p == i && !up[i] => {
                    outages += 1.0;
                    to_other
                }
                Mode::Failover { target, .. } if target == i && !up[i] => to_other,
                Mode::Waiting if up[i] => Mode::Failover {
                    target: i,
                    end: t + d,
                },
                m => m,
            };
        }
    }

    /// Mean and standard error of batch means.
    fn mean_se(xs: impl Iterator<Item = f64>) -> (f64, f64) {
        let xs: Vec<f64> = xs.collect();
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
        (m, (var / n).sqrt())
    }

    #[test]
    fn monte_carlo_of_the_stated_rules_agrees() {
        // ~2 events per unit time: 100 batches of 2·10^4 s are ~4·10^6 events per case.
        // Unavailability and outage frequency within 5 batch-means standard errors; the
        // mean outage (a ratio) through the residuals down_b - MDT·n_b.
        for (lambda, mu, d) in &CASES[..2] {
            let exact = active_standby(*lambda, *mu, *d).unwrap();
            let batch_s = 2e4;
            let runs = simulate(*lambda, *mu, *d, 100, batch_s);
            let (u, u_se) = mean_se(runs.iter().map(|r| r.0 / batch_s));
            let (f, f_se) = mean_se(runs.iter().map(|r| r.1 / batch_s));
            let mdt = runs.iter().map(|r| r.0).sum::<f64>() / runs.iter().map(|r| r.1).sum::<f64>();
            let (_, z_se) = mean_se(runs.iter().map(|r| r.0 - mdt * r.1));
            let mdt_se = z_se / (f * batch_s);
            eprintln!(
                "λ={lambda} μ={mu} d={d}: U {u:.6} ± {u_se:.1e} (exact {:.6}), \
                 f {f:.6} ± {f_se:.1e} (exact {:.6}), MDT {mdt:.6} ± {mdt_se:.1e} (exact {:.6})",
                exact.unavailability, exact.failure_frequency_per_s, exact.mean_outage_s
            );
            assert!((u - exact.unavailability).abs() < 5.0 * u_se);
            assert!((f - exact.failure_frequency_per_s).abs() < 5.0 * f_se);
            assert!((mdt - exact.mean_outage_s).abs() < 5.0 * mdt_se);
        }
    }
}
