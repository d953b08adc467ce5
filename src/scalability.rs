//! Scalability of a sweep: the knee of the latency curve and a Universal Scalability Law
//! fit of throughput.
//!
//! - **Knee**: the smallest swept value at which p99 latency exceeds [`KNEE_FACTOR`] times
//!   its value at the smallest swept value (for a sweep over load: where queueing starts to
//!   dominate). `None` when p99 never does.
//! - **USL** (Gunther 2007, *Guerrilla Capacity Planning*, eq. 4.31): relative capacity
//!   C(N) = N / (1 + σ(N−1) + κN(N−1)), σ the contention and κ the coherency cost. Relative
//!   capacity is throughput normalised by the smallest point N₀ and assumed linear up to
//!   it: C(N) = N₀·X(N)/X(N₀) (so C(N) = X(N)/X(1) when N₀ = 1). The fit is ordinary least
//!   squares on the linearised form N/C(N) − 1 = σ(N−1) + κN(N−1) (two unknowns, no
//!   intercept); R² is computed on C itself, 1 − Σ(C − Ĉ)² / Σ(C − C̄)².

use serde::Serialize;

/// p99 at the knee exceeds this multiple of p99 at the smallest swept value.
pub const KNEE_FACTOR: f64 = 2.0;

/// The smallest `x` (of points sorted by x) whose `p99` exceeds KNEE_FACTOR × the p99 at
/// the smallest x.
pub fn knee(points: &[(f64, f64)]) -> Option<f64> {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let base = sorted.first()?.1;
    sorted
        .iter()
        .find(|(_, p99)| *p99 > KNEE_FACTOR * base)
        .map(|(x, _)| *x)
}

/// A USL fit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct UslFit {
    pub sigma: f64,
    pub kappa: f64,
    pub r_squared: f64,
}

impl UslFit {
    /// C(N) with the fitted coefficients.
    pub fn capacity(&self, n: f64) -> f64 {
        n / (1.0 + self.sigma * (n - 1.0) + self.kappa * n * (n - 1.0))
    }
}

/// Fits the USL to (N, throughput) points; `None` with fewer than three distinct N, a
/// non-positive N or throughput, or a singular system.
pub fn usl_fit(points: &[(f64, f64)]) -> Option<UslFit> {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    sorted.dedup_by(|a, b| a.0 == b.0);
    if sorted.len() < 3 || sorted.iter().any(|(n, x)| *n < 1.0 || *x <= 0.0) {
        return None;
    }
    let (n0, x0) = sorted[0];
    let capacity: Vec<(f64, f64)> = sorted.iter().map(|(n, x)| (*n, n0 * x / x0)).collect();
    // Normal equations of z = σ·a + κ·b, a = N − 1, b = N(N − 1), z = N/C − 1.
    let (mut saa, mut sab, mut sbb, mut saz, mut sbz) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(n, c) in &capacity {
        let (a, b, z) = (n - 1.0, n * (n - 1.0), n / c - 1.0);
        saa += a * a;
        sab += a * b;
        sbb += b * b;
        saz += a * z;
        sbz += b * z;
    }
    let det = saa * sbb - sab * sab;
    if det.abs() <= f64::EPSILON * saa * sbb {
        return None;
    }
    let sigma = (saz * sbb - sbz * sab) / det;
    let kappa = (sbz * saa - saz * sab) / det;
    let mut fit = UslFit {
        sigma,
        kappa,
        r_squared: 0.0,
    };
    let mean = capacity.iter().map(|p| p.1).sum::<f64>() / capacity.len() as f64;
    let ss_tot: f64 = capacity.iter().map(|p| (p.1 - mean).powi(2)).sum();
    let ss_res: f64 = capacity
        .iter()
        .map(|&(n, c)| (c - fit.capacity(n)).powi(2))
        .sum();
    fit.r_squared = if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else {
        1.0
    };
    Some(fit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fit_recovers_known_coefficients() {
        // Throughput X(N) = 100·C(N) with σ = 0.05, κ = 0.002: noise-free, so the
        // linearised least squares is exact and R² = 1.
        let truth = UslFit {
            sigma: 0.05,
            kappa: 0.002,
            r_squared: 1.0,
        };
        let points: Vec<(f64, f64)> = (1..=32)
            .map(|n| (n as f64, 100.0 * truth.capacity(n as f64)))
            .collect();
        let fit = usl_fit(&points).unwrap();
        assert!((fit.sigma - 0.05).abs() < 1e-9, "{fit:?}");
        assert!((fit.kappa - 0.002).abs() < 1e-9, "{fit:?}");
        assert!((fit.r_squared - 1.0).abs() < 1e-9);
    }

    #[test]
    fn noisy_data_from_a_larger_first_point() {
        // Points from N = 2 (C normalised by N₀ = 2: exact only if C(2) = 2, i.e. the fit
        // then absorbs the small loss at N = 2), ±1% deterministic noise: σ and κ within a
        // few thousandths, R² near 1.
        let truth = UslFit {
            sigma: 0.03,
            kappa: 0.0005,
            r_squared: 1.0,
        };
        let points: Vec<(f64, f64)> = (2..=40)
            .step_by(2)
            .enumerate()
            .map(|(i, n)| {
                let noise = if i % 2 == 0 { 1.01 } else { 0.99 };
                let n = n as f64;
                (n, 50.0 * truth.capacity(n) * noise)
            })
            .collect();
        let fit = usl_fit(&points).unwrap();
        assert!((fit.sigma - 0.03).abs() < 0.02, "{fit:?}");
        assert!((fit.kappa - 0.0005).abs() < 0.001, "{fit:?}");
        assert!(fit.r_squared > 0.95, "{fit:?}");
    }

    #[test]
    fn too_few_points_give_no_fit() {
        assert!(usl_fit(&[(1.0, 10.0), (2.0, 19.0)]).is_none());
        assert!(usl_fit(&[(0.0, 1.0), (1.0, 10.0), (2.0, 19.0)]).is_none());
    }

    #[test]
    fn the_knee_is_where_p99_doubles() {
        // p99 at the lowest load 0.1 s; 0.21 s at load 300 is the first above 0.2 s.
        let pts = [(100.0, 0.1), (300.0, 0.21), (200.0, 0.15), (400.0, 0.5)];
        assert_eq!(knee(&pts), Some(300.0));
        assert_eq!(knee(&[(1.0, 0.1), (2.0, 0.12)]), None);
    }
}
