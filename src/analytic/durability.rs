//! Durability of replicated data: mean time to data loss (MTTDL) and the probability of a
//! loss within a horizon for one chunk's replica group, and the probability that a
//! simultaneous loss of F of N nodes loses some chunk under random and copyset placement.
//!
//! The replica group is the absorbing birth-death chain of the classic RAID / replication
//! reliability analyses (Gibson 1991; Rao, Hafner & Golding, "Reliability for networked
//! storage nodes", IEEE TDSC 2011): state k = replicas lost (0 ≤ k < r), k → k + 1 at
//! (r − k)·λ (each node still holding a replica fails independently at rate λ), k → k − 1
//! at min(k, s)·μ (s repair streams: s = r − 1 or more is "all lost replicas re-created in
//! parallel", s = 1 is "one at a time"), and k = r absorbing (the data is lost). Assumes
//! exponential times to failure and to re-create one replica, and a group starting whole.

use super::{AnalyticError, positive};
use statrs::function::factorial::ln_binomial;

/// One chunk's replica group: `replicas` copies, each lost at `failure_rate_per_s`,
/// re-created at `repair_rate_per_s` per stream with `streams` streams.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReplicaGroup {
    pub replicas: u32,
    pub failure_rate_per_s: f64,
    pub repair_rate_per_s: f64,
    pub streams: u32,
}

impl ReplicaGroup {
    /// Checks the parameters: rates > 0, replicas and streams >= 1.
    pub fn new(
        replicas: u32,
        failure_rate_per_s: f64,
        repair_rate_per_s: f64,
        streams: u32,
    ) -> Result<ReplicaGroup, AnalyticError> {
        positive("failure_rate_per_s", failure_rate_per_s)?;
        positive("repair_rate_per_s", repair_rate_per_s)?;
        positive("replicas", replicas as f64)?;
        positive("streams", streams as f64)?;
        Ok(ReplicaGroup {
            replicas,
            failure_rate_per_s,
            repair_rate_per_s,
            streams,
        })
    }

    /// The generator restricted to the transient states 0..r (row k: rates out of k; the
    /// diagonal holds minus the total rate out, absorption included).
    fn transient_generator(&self) -> Vec<Vec<f64>> {
        let r = self.replicas as usize;
        let mut q = vec![vec![0.0; r]; r];
        for (k, row) in q.iter_mut().enumerate() {
            let fail = (r - k) as f64 * self.failure_rate_per_s;
            let repair = k.min(self.streams as usize) as f64 * self.repair_rate_per_s;
            if k + 1 < r {
                row[k + 1] = fail;
            }
            if k > 0 {
                row[k - 1] = repair;
            }
            row[k] = -(fail + repair);
        }
        q
    }

    /// Mean time to data loss from the whole group, in seconds: the first component of
    /// t solving (−Q_T) t = 1 (the expected absorption times of an absorbing chain).
    pub fn mttdl_s(&self) -> f64 {
        let q = self.transient_generator();
        let a: Vec<Vec<f64>> = q
            .iter()
            .map(|row| row.iter().map(|x| -x).collect())
            .collect();
        solve(a, vec![1.0; q.len()])[0]
    }

    /// Probability that the group, whole at time zero, has lost the data by `t_s`:
    /// 1 − Σ_k (e^{Q_T t})_{0k}.
    pub fn loss_probability(&self, t_s: f64) -> f64 {
        let q = self.transient_generator();
        let scaled: Vec<Vec<f64>> = q
            .iter()
            .map(|row| row.iter().map(|x| x * t_s).collect())
            .collect();
        let e = expm(&scaled);
        1.0 - e[0].iter().sum::<f64>()
    }
}

/// Solves a·x = b by Gaussian elimination with partial pivoting (a small, non-singular
/// system).
pub(crate) fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))
            .expect("non-empty");
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col].clone();
        for row in col + 1..n {
            let f = a[row][col] / pivot_row[col];
            for (x, &p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    x
}

fn matmul(a: &[Vec<f64>], b: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = a.len();
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| (0..n).map(|k| a[i][k] * b[k][j]).sum())
                .collect()
        })
        .collect()
}

/// e^A by scaling and squaring: A / 2^s with max-row-sum norm <= 1/2, a Taylor series of
/// 30 terms there (truncation error below 0.5³⁰/30! ≈ 4e-42), then s squarings (Moler &
/// Van Loan, "Nineteen dubious ways", SIAM Review 2003, method 3).
fn expm(a: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = a.len();
    let norm = a
        .iter()
        .map(|row| row.iter().map(|x| x.abs()).sum::<f64>())
        .fold(0.0, f64::max);
    let mut squarings = 0;
    while norm / 2f64.powi(squarings) > 0.5 {
        squarings += 1;
    }
    let scale = 2f64.powi(squarings);
    let small: Vec<Vec<f64>> = a
        .iter()
        .map(|row| row.iter().map(|x| x / scale).collect())
        .collect();
    let identity: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| (i == j) as u8 as f64).collect())
        .collect();
    let mut sum = identity.clone();
    let mut term = identity;
    for k in 1..=30 {
        term = matmul(&term, &small);
        term.iter_mut()
            .for_each(|row| row.iter_mut().for_each(|x| *x /= k as f64));
        for (srow, trow) in sum.iter_mut().zip(&term) {
            for (s, t) in srow.iter_mut().zip(trow) {
                *s += t;
            }
        }
    }
    for _ in 0..squarings {
        sum = matmul(&sum, &sum);
    }
    sum
}

/// Probability that losing F of N nodes (a uniformly random F-subset) loses some chunk
/// when each of `chunks` chunks sits on its own uniformly random r-subset, independently:
/// 1 − (1 − C(F, r)/C(N, r))^chunks (each chunk is inside the lost set with probability
/// C(F, r)/C(N, r), independently given the set).
pub fn random_placement_loss(nodes: u64, failed: u64, replicas: u64, chunks: u64) -> f64 {
    let p = (ln_binomial(failed, replicas) - ln_binomial(nodes, replicas)).exp();
    1.0 - (chunks as f64 * (-p).ln_1p()).exp()
}

/// Probability that losing F of N nodes loses some chunk under copyset placement with
/// disjoint copysets (scatter width r − 1): G = ⌊N/r⌋ groups of r nodes, every group
/// holding at least one chunk. By inclusion-exclusion over the groups inside the lost set:
/// Σ_{j ≥ 1} (−1)^{j+1} C(G, j) C(N − jr, F − jr) / C(N, F). (Cidon et al., USENIX ATC
/// 2013, approximate this by G·C(F, r)/C(N, r) for small F.)
pub fn copyset_loss(nodes: u64, failed: u64, replicas: u64) -> f64 {
    let groups = nodes / replicas;
    let all = ln_binomial(nodes, failed);
    let mut p = 0.0;
    let mut j = 1;
    while j <= groups && j * replicas <= failed {
        let term = (ln_binomial(groups, j)
            + ln_binomial(nodes - j * replicas, failed - j * replicas)
            - all)
            .exp();
        p += if j % 2 == 1 { term } else { -term };
        j += 1;
    }
    p
}

/// Mean RPO when losses strike at times uniform over whole backup intervals (a Poisson
/// process over a horizon that is a multiple of `interval_s`, conditional on its count):
/// the time since the last recovery point is uniform on [0, interval), mean interval / 2.
pub fn periodic_backup_mean_rpo_s(interval_s: f64) -> f64 {
    interval_s / 2.0
}

/// The probability that a chunk group is empty: with `chunks` chunks over `groups`
/// groups uniformly, at most groups·(1 − 1/groups)^chunks (a union bound), for the
/// "every group holds a chunk" assumption of [`copyset_loss`].
pub fn empty_group_bound(groups: u64, chunks: u64) -> f64 {
    groups as f64 * (1.0 - 1.0 / groups as f64).powf(chunks as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytic::close;

    #[test]
    fn two_replicas_match_the_closed_form() {
        // r = 2, one stream: states 0 -(2λ)-> 1 -(λ)-> lost, 1 -(μ)-> 0.
        // t0 = 1/(2λ) + t1, t1 = 1/(λ+μ) + μ/(λ+μ) t0 => MTTDL = (3λ + μ) / (2λ²).
        let (l, m) = (0.1, 1.0);
        let g = ReplicaGroup::new(2, l, m, 1).unwrap();
        close(g.mttdl_s(), (3.0 * l + m) / (2.0 * l * l), 1e-12);
    }

    #[test]
    fn one_replica_is_exponential() {
        // r = 1: lost at rate λ, P(loss by t) = 1 − e^{−λt}, MTTDL = 1/λ.
        let g = ReplicaGroup::new(1, 0.5, 1.0, 1).unwrap();
        close(g.mttdl_s(), 2.0, 1e-12);
        close(g.loss_probability(3.0), 1.0 - (-1.5f64).exp(), 1e-12);
    }

    #[test]
    fn loss_probability_agrees_with_mttdl_for_rare_losses() {
        // When repair is much faster than failure, absorption is nearly exponential:
        // P(loss by t) ≈ 1 − e^{−t/MTTDL} (to O(λ/μ)).
        let g = ReplicaGroup::new(3, 1e-3, 1.0, 2).unwrap();
        let mttdl = g.mttdl_s();
        let t = mttdl / 3.0;
        close(g.loss_probability(t), 1.0 - (-t / mttdl).exp(), 1e-2);
        // Parallel repair beats serial.
        let serial = ReplicaGroup::new(3, 1e-3, 1.0, 1).unwrap();
        assert!(serial.mttdl_s() < mttdl);
    }

    #[test]
    fn combinatorics_are_exact_on_small_cases() {
        // N = 4, r = 2, F = 2: one chunk is lost iff the lost pair is its pair: 1/6.
        close(random_placement_loss(4, 2, 2, 1), 1.0 / 6.0, 1e-12);
        // Disjoint copysets {a,b}, {c,d}: 2 of the 6 pairs lose one: 1/3.
        close(copyset_loss(4, 2, 2), 1.0 / 3.0, 1e-12);
        // F = 3 of 4: any triple covers one of the two groups.
        close(copyset_loss(4, 3, 2), 1.0, 1e-12);
        close(ln_binomial(30, 6).exp(), 593_775.0, 1e-12);
    }
}
