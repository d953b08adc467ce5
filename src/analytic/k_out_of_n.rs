//! `k`-out-of-`n` groups of identical repairable nodes sharing `r` repair crews: the
//! birth-death chain on the number of failed nodes, and the availability, failure
//! frequency and mean up/down times of "at least `k` nodes up" (a quorum is
//! `k = floor(n/2) + 1`).
//!
//! Invariants: the stationary law is computed in log space, so it is finite and sums to 1
//! for thousands of nodes and any λ/μ; results satisfy `A = MUT / (MUT + MDT)`.

use super::availability::Availability;
use super::{AnalyticError, positive};

/// `n` identical repairable nodes and `r` repair crews: the birth-death chain on the
/// number of failed nodes, and the availability of "at least `k` nodes up" built on it.
///
/// Model: each up node fails at rate λ (exponential); a failed node waits for a free crew
/// and is then repaired at rate μ (exponential); crews work on one node each. With `j`
/// nodes failed the chain moves to `j + 1` at rate `(n - j) λ` and to `j - 1` at rate
/// `min(j, r) μ`. Its stationary law is the product form
/// `π_j ∝ Π_{i=0..j-1} (n - i) λ / (min(i + 1, r) μ)`.
/// Source: Trivedi, Probability and Statistics with Reliability, Queuing, and Computer
/// Science Applications, 2nd ed. (2016), ch. 8 (birth-death processes; availability models
/// of systems with `n` units and shared repair).
#[derive(Clone, Debug, PartialEq)]
pub struct RepairableGroup {
    nodes: u32,
    failure_rate_per_s: f64,
    /// `ln` of the unnormalised weights `Π (n - i) λ / (min(i + 1, r) μ)`.
    log_w: Vec<f64>,
    pi: Vec<f64>,
}

impl RepairableGroup {
    /// `nodes` >= 1 nodes failing at `failure_rate_per_s` > 0 each while up, repaired at
    /// `repair_rate_per_s` > 0 per busy crew by `crews` >= 1 crews. Any `crews >= nodes`
    /// means unlimited repair (every failed node has its own crew).
    ///
    /// The stationary law is computed from the ratios `π_{j+1} / π_j` summed in log space
    /// and normalised after subtracting the largest log-weight, so it neither overflows nor
    /// underflows to all zeros for thousands of nodes or extreme λ/μ.
    pub fn new(
        nodes: u32,
        failure_rate_per_s: f64,
        repair_rate_per_s: f64,
        crews: u32,
    ) -> Result<RepairableGroup, AnalyticError> {
        let lambda = positive("failure_rate_per_s", failure_rate_per_s)?;
        let mu = positive("repair_rate_per_s", repair_rate_per_s)?;
        at_least_one("nodes", nodes)?;
        at_least_one("crews", crews)?;
        let crews = crews.min(nodes);
        let mut log_w = Vec::with_capacity(nodes as usize + 1);
        log_w.push(0.0);
        for j in 0..nodes {
            let birth = f64::from(nodes - j) * lambda;
            let death = f64::from((j + 1).min(crews)) * mu;
            log_w.push(log_w[j as usize] + (birth / death).ln());
        }
        let max = log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = log_w.iter().map(|l| (l - max).exp()).collect();
        let total: f64 = w.iter().sum();
        Ok(RepairableGroup {
            nodes,
            failure_rate_per_s: lambda,
            pi: w.into_iter().map(|x| x / total).collect(),
            log_w,
        })
    }

    /// `π_j` for `j = 0..=n`: the long-run fraction of time with exactly `j` nodes failed.
    pub fn pi(&self) -> &[f64] {
        &self.pi
    }

    /// The majority quorum `floor(n / 2) + 1`, e.g. 2 of 3 or 3 of 5 replicas.
    pub fn quorum(&self) -> u32 {
        self.nodes / 2 + 1
    }

    /// `P(at least k nodes up) = Σ_{j <= n-k} π_j`, for `1 <= k <= n`.
    pub fn availability(&self, k: u32) -> Result<f64, AnalyticError> {
        Ok(self.steady_state(k)?.availability)
    }

    /// System failures per second for "at least `k` up": `π_{n-k} k λ`; see
    /// [`Self::steady_state`].
    pub fn failure_frequency_per_s(&self, k: u32) -> Result<f64, AnalyticError> {
        Ok(self.steady_state(k)?.failure_frequency_per_s)
    }

    /// Mean up period of "at least `k` up", `A / f`.
    pub fn mean_up_s(&self, k: u32) -> Result<f64, AnalyticError> {
        Ok(self.steady_state(k)?.mean_up_s)
    }

    /// Mean outage of "at least `k` up", `(1 - A) / f`.
    pub fn mean_down_s(&self, k: u32) -> Result<f64, AnalyticError> {
        Ok(self.steady_state(k)?.mean_outage_s)
    }

    /// Availability, frequency and durations for "the system is up while at least `k`
    /// nodes are up", `1 <= k <= n`.
    ///
    /// Derivation: the system fails exactly when the chain jumps from `j = n - k` failed
    /// nodes (k up) to `n - k + 1` (k - 1 up), which happens at rate `(n - (n-k)) λ = k λ`
    /// while in state `n - k`; so the failure frequency is `f = π_{n-k} k λ` (by cut
    /// balance it also equals `π_{n-k+1} min(n-k+1, r) μ`, the rate of recoveries). Then
    /// `MUT = A / f` and `MDT = (1 - A) / f`. Unavailability is `Σ_{j > n-k} π_j`.
    /// The durations are summed as `Σ π_j / π_{n-k}` from the log-weights, so they stay
    /// finite where `π_{n-k}` itself underflows (a frequency below 1e-308 per second).
    pub fn steady_state(&self, k: u32) -> Result<Availability, AnalyticError> {
        if k == 0 || k > self.nodes {
            return Err(AnalyticError::InvalidParameter {
                name: "k",
                bound: "in 1..=nodes",
                value: f64::from(k),
            });
        }
        let boundary = (self.nodes - k) as usize;
        let availability: f64 = self.pi[..=boundary].iter().sum();
        let unavailability: f64 = self.pi[boundary + 1..].iter().sum();
        let rate = f64::from(k) * self.failure_rate_per_s;
        let at = self.log_w[boundary];
        let relative = |lw: &[f64]| lw.iter().map(|l| (l - at).exp()).sum::<f64>() / rate;
        Ok(Availability {
            availability,
            unavailability,
            failure_frequency_per_s: self.pi[boundary] * rate,
            mean_up_s: relative(&self.log_w[..=boundary]),
            mean_outage_s: relative(&self.log_w[boundary + 1..]),
        })
    }
}

fn at_least_one(name: &'static str, value: u32) -> Result<u32, AnalyticError> {
    if value >= 1 {
        Ok(value)
    } else {
        Err(AnalyticError::InvalidParameter {
            name,
            bound: ">= 1",
            value: f64::from(value),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::availability::single_unit;
    use super::super::ctmc_solve::Ctmc;
    use super::*;

    use crate::analytic::close;

    #[test]
    fn two_nodes_one_crew_textbook() {
        // n = 2, r = 1, λ = 1, μ = 4, ρ = 1/4: π ∝ 1 : 2ρ : 2ρ² = 1 : 1/2 : 1/8, so
        // π = (8, 4, 1) / 13. 1-of-2: A = 12/13, f = π_1 λ = 4/13, MUT = A/f = 3,
        // MDT = (1/13)/(4/13) = 1/4 = 1/μ (one crew: the outage ends at the first repair).
        let g = RepairableGroup::new(2, 1.0, 4.0, 1).unwrap();
        for (p, e) in g.pi().iter().zip([8.0 / 13.0, 4.0 / 13.0, 1.0 / 13.0]) {
            close(*p, e, 1e-15);
        }
        let s = g.steady_state(1).unwrap();
        close(s.availability, 12.0 / 13.0, 1e-15);
        close(s.unavailability, 1.0 / 13.0, 1e-15);
        close(s.failure_frequency_per_s, 4.0 / 13.0, 1e-15);
        close(s.mean_up_s, 3.0, 1e-14);
        close(s.mean_outage_s, 0.25, 1e-14);
    }

    #[test]
    fn one_node_is_the_single_unit() {
        let g = RepairableGroup::new(1, 0.01, 0.5, 3)
            .unwrap()
            .steady_state(1);
        let u = single_unit(100.0, 2.0).unwrap();
        let g = g.unwrap();
        for (a, b) in [
            (g.availability, u.availability),
            (g.unavailability, u.unavailability),
            (g.failure_frequency_per_s, u.failure_frequency_per_s),
            (g.mean_up_s, u.mean_up_s),
            (g.mean_outage_s, u.mean_outage_s),
        ] {
            close(a, b, 1e-14);
        }
    }

    #[test]
    fn unlimited_crews_are_independent_nodes() {
        // With crews >= n each node is an independent 2-state chain, up w.p.
        // p = μ/(λ+μ); the number up is Binomial(n, p). The system (at least k up) fails
        // at rate P(exactly k up) k λ. Quorum of 3 is 2: A = p³ + 3p²(1-p).
        let (lambda, mu) = (0.2, 1.0);
        let p = mu / (lambda + mu);
        let g3 = RepairableGroup::new(3, lambda, mu, 3).unwrap();
        assert_eq!(g3.quorum(), 2);
        close(
            g3.availability(2).unwrap(),
            p.powi(3) + 3.0 * p * p * (1.0 - p),
            1e-14,
        );
        let g5 = RepairableGroup::new(5, lambda, mu, 99).unwrap();
        assert_eq!(g5.quorum(), 3);
        let binom = [1.0, 5.0, 10.0, 10.0, 5.0, 1.0];
        let exactly = |up: usize| binom[up] * p.powi(up as i32) * (1.0 - p).powi(5 - up as i32);
        for k in 1..=5u32 {
            let a: f64 = (k as usize..=5).map(exactly).sum();
            let u: f64 = (0..k as usize).map(exactly).sum();
            close(g5.availability(k).unwrap(), a, 1e-13);
            let f = exactly(k as usize) * f64::from(k) * lambda;
            close(g5.failure_frequency_per_s(k).unwrap(), f, 1e-13);
            close(g5.mean_down_s(k).unwrap(), u / f, 1e-12);
            close(g5.mean_up_s(k).unwrap(), a / f, 1e-12);
        }
    }

    #[test]
    fn matches_a_dense_ctmc_solve_and_cut_balance() {
        // n = 6, r = 2: solve the generator directly; the frequency of system failures is
        // the probability flow across the cut between n-k and n-k+1 failed nodes, counted
        // in both directions (they balance).
        let (n, lambda, mu, r) = (6u32, 0.3, 0.7, 2u32);
        let mut q = Ctmc::new(n as usize + 1);
        for j in 0..n {
            q.add(j as usize, j as usize + 1, f64::from(n - j) * lambda);
            q.add(j as usize + 1, j as usize, f64::from((j + 1).min(r)) * mu);
        }
        let pi = q.stationary();
        let g = RepairableGroup::new(n, lambda, mu, r).unwrap();
        for (a, b) in g.pi().iter().zip(&pi) {
            close(*a, *b, 1e-12);
        }
        for k in 1..=n {
            let b = (n - k) as usize;
            let down_flow = pi[b] * f64::from(k) * lambda;
            let up_flow = pi[b + 1] * f64::from((n - k + 1).min(r)) * mu;
            close(down_flow, up_flow, 1e-12);
            let s = g.steady_state(k).unwrap();
            close(s.failure_frequency_per_s, down_flow, 1e-12);
            close(s.availability, pi[..=b].iter().sum(), 1e-12);
            close(s.availability + s.unavailability, 1.0, 1e-15);
        }
        assert!(g.availability(0).is_err());
        assert!(g.availability(7).is_err());
        assert!(RepairableGroup::new(0, 1.0, 1.0, 1).is_err());
        assert!(RepairableGroup::new(3, 1.0, 1.0, 0).is_err());
    }

    #[test]
    fn large_groups_stay_finite() {
        // 2000 nodes, one crew, ratios π_{j+1}/π_j = (n-j)λ/μ. For λ/μ = 1e-3 the weights
        // rise to ~e^386 at j = 1000 (near the f64 limit); for λ/μ = 10 they reach
        // 2000!·10^2000 ≈ e^15800, far beyond f64 without log space, and the quorum's
        // π_{n-k} underflows to 0, yet the mean up time (~1/(kλ)) must stay finite; the
        // mean outage (~e^8000 s) is honestly infinite.
        for (lambda, mu) in [(1e-3, 1.0), (10.0, 1.0)] {
            let g = RepairableGroup::new(2000, lambda, mu, 1).unwrap();
            assert!(g.pi().iter().all(|p| p.is_finite() && *p >= 0.0));
            close(g.pi().iter().sum(), 1.0, 1e-12);
        }
        let s = RepairableGroup::new(2000, 1e-3, 1.0, 1)
            .unwrap()
            .steady_state(1001);
        let s = s.unwrap();
        assert!(s.mean_up_s.is_finite() && s.mean_outage_s.is_finite());
        close(
            s.mean_up_s / s.mean_outage_s,
            s.availability / s.unavailability,
            1e-9,
        );
        let s = RepairableGroup::new(2000, 10.0, 1.0, 1)
            .unwrap()
            .steady_state(1001);
        let s = s.unwrap();
        assert_eq!(s.failure_frequency_per_s, 0.0);
        assert!(s.mean_up_s > 0.0 && s.mean_up_s < 1.0 / (1001.0 * 10.0) * 2.0);
    }
}
