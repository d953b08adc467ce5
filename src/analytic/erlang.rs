//! Erlang's loss (B) and delay (C) formulas for `c` exponential servers fed by Poisson
//! arrivals with offered load `a = λ/μ` erlangs.
//!
//! Invariant: both are computed by the recursion on the number of servers, never from
//! `a^c / c!`, so they stay finite and accurate for thousands of servers.

/// Erlang B: the probability that an arrival finds all `servers` busy in a loss system
/// (M/M/c/c, blocked arrivals leave) offered `offered_load` erlangs (λ/μ).
///
/// Formula: `B(c, a) = (a^c / c!) / Σ_{k=0..c} a^k / k!`, evaluated by the numerically
/// stable recursion `B(0) = 1`, `B(k) = a B(k-1) / (k + a B(k-1))`, in its reciprocal
/// form `1/B(k) = 1 + (k/a) / B(k-1)`: a multiply and an add per server instead of a
/// division (capacity fidelity runs it over thousands of slots per state). Every term is
/// positive, so nothing cancels; past 1e308 the reciprocal is infinite and B is 0.
/// Assumptions: Poisson arrivals, `c` identical servers, no waiting room. The result is
/// insensitive to the service-time distribution beyond its mean (M/G/c/c).
/// Source: Erlang's loss formula; Kleinrock, Queueing Systems Vol. 1 (1975), ch. 3,
/// "M/M/m/m: the m-server loss system"; the recursion in this form: Gross, Shortle,
/// Thompson & Harris, Fundamentals of Queueing Theory, 4th ed. (2008), "Simple Markovian
/// Queueing Models", M/M/c/c.
///
/// # Panics
/// If `offered_load` is negative or not finite.
pub fn erlang_b(servers: u32, offered_load: f64) -> f64 {
    assert!(
        offered_load.is_finite() && offered_load >= 0.0,
        "offered_load must be a finite number >= 0, found {offered_load}"
    );
    let per_erlang = 1.0 / offered_load;
    let mut reciprocal = 1.0;
    for k in 1..=servers {
        reciprocal = 1.0 + f64::from(k) * per_erlang * reciprocal;
    }
    1.0 / reciprocal
}

/// Erlang C: the probability that an arrival must wait in an M/M/c FIFO queue with
/// `servers` servers offered `offered_load` erlangs (λ/μ).
///
/// Formula: from Erlang B, `C = B / (1 - ρ (1 - B))` with `ρ = a / c`; equivalently
/// `C = (a^c / c!) (c / (c - a)) / (Σ_{k<c} a^k / k! + (a^c / c!) (c / (c - a)))`.
/// Returns 1.0 when `ρ >= 1` (or `servers == 0`): without a steady state every arrival
/// eventually waits.
/// Assumptions: Poisson arrivals, exponential service, `c` identical servers, infinite
/// waiting room, work-conserving discipline.
/// Source: Erlang's delay formula; Kleinrock, Queueing Systems Vol. 1 (1975), eq. 3.40;
/// the relation to B: Gross, Shortle, Thompson & Harris, Fundamentals of Queueing Theory,
/// 4th ed. (2008), "Simple Markovian Queueing Models", M/M/c.
///
/// # Panics
/// If `offered_load` is negative or not finite.
pub fn erlang_c(servers: u32, offered_load: f64) -> f64 {
    let b = erlang_b(servers, offered_load);
    if servers == 0 {
        return 1.0;
    }
    let rho = offered_load / f64::from(servers);
    if rho >= 1.0 {
        return 1.0;
    }
    b / (1.0 - rho * (1.0 - b))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::analytic::close;

    #[test]
    fn erlang_b_small_cases_by_hand() {
        // B(0, a) = 1: with no server every arrival is lost.
        assert_eq!(erlang_b(0, 3.0), 1.0);
        // B(1, a) = a / (1 + a): one server busy with probability a / (1 + a).
        close(erlang_b(1, 3.0), 0.75, 1e-15);
        // B(2, 1) = (1/2!) / (1 + 1 + 1/2) = 0.5 / 2.5 = 0.2.
        close(erlang_b(2, 1.0), 0.2, 1e-15);
        // No load, no blocking.
        assert_eq!(erlang_b(5, 0.0), 0.0);
    }

    #[test]
    fn erlang_b_matches_exact_rational_sums() {
        // Reference values: (a^c/c!) / Σ_{k<=c} a^k/k! evaluated in exact rational
        // arithmetic (Python fractions.Fraction), then rounded to f64.
        close(erlang_b(10, 5.0), 0.018_384_570_336_648_132, 1e-13);
        // The classic telephony table value B(100, 100) ≈ 0.0757.
        close(erlang_b(100, 100.0), 0.075_700_452_710_860_97, 1e-12);
        // Large c, where a^c / c! alone would overflow f64 (900^1000).
        close(erlang_b(1000, 900.0), 5.929_862_670_146_224e-5, 1e-10);
        // Thousands of servers, as capacity fidelity meets them (exact: Python fractions).
        close(erlang_b(2000, 1950.0), 0.005_409_204_426_570_646, 1e-10);
        // Far below capacity the chance is under the smallest double: 0, not a NaN.
        assert_eq!(erlang_b(8000, 4800.0), 0.0);
    }

    #[test]
    fn erlang_c_small_cases_by_hand() {
        // c = 2, a = 1: ρ = 1/2, B = 0.2, C = 0.2 / (1 - 0.5 * 0.8) = 0.2 / 0.6 = 1/3.
        close(erlang_c(2, 1.0), 1.0 / 3.0, 1e-15);
        // c = 1: an M/M/1 arrival waits exactly when the server is busy, C = ρ = a.
        close(erlang_c(1, 0.7), 0.7, 1e-15);
        assert_eq!(erlang_c(3, 0.0), 0.0);
    }

    #[test]
    fn erlang_c_matches_exact_rational_sums() {
        // Exact rational B(c, a) / (1 - ρ (1 - B(c, a))), as for erlang_b above.
        close(erlang_c(10, 8.0), 0.409_180_150_796_443_54, 1e-13);
        close(erlang_c(100, 90.0), 0.216_940_480_906_366_4, 1e-12);
    }

    #[test]
    fn erlang_c_is_one_without_steady_state() {
        assert_eq!(erlang_c(4, 4.0), 1.0);
        assert_eq!(erlang_c(4, 9.0), 1.0);
        assert_eq!(erlang_c(0, 1.0), 1.0);
    }

    #[test]
    fn erlang_c_is_at_least_erlang_b() {
        // Waiting customers keep servers busy that would otherwise be lost: C >= B.
        for c in 1..30 {
            for tenth in 1..(10 * c) {
                let a = f64::from(tenth) / 10.0;
                assert!(erlang_c(c, a) >= erlang_b(c, a));
            }
        }
    }
}
