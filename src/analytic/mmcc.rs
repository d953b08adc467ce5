//! The M/M/c/c loss system: `c` servers and no waiting room, so an arrival that finds
//! every server busy is blocked and leaves (a cluster admitting at most `c` concurrent
//! jobs and rejecting the rest).
//!
//! Invariant: always stable (at most `c` in system), so only the parameters are checked.

use super::erlang::erlang_b;
use super::{AnalyticError, non_negative, positive};

/// A validated M/M/c/c loss system.
///
/// Assumptions: Poisson arrivals at rate λ, `c` identical servers with mean service time
/// 1/μ. By insensitivity every result here also holds for M/G/c/c with the same mean.
/// Source: Erlang's loss formula; Kleinrock, Queueing Systems Vol. 1 (1975), ch. 3,
/// "M/M/m/m: the m-server loss system"; Gross, Shortle, Thompson & Harris, Fundamentals of
/// Queueing Theory, 4th ed. (2008), "Simple Markovian Queueing Models", M/M/c/c.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MMcc {
    arrival_rate_per_s: f64,
    service_rate_per_s: f64,
    servers: u32,
}

impl MMcc {
    /// A loss system with arrival rate λ >= 0, per-server service rate μ > 0 and
    /// `servers` >= 1.
    pub fn new(
        arrival_rate_per_s: f64,
        service_rate_per_s: f64,
        servers: u32,
    ) -> Result<MMcc, AnalyticError> {
        let lambda = non_negative("arrival_rate_per_s", arrival_rate_per_s)?;
        let mu = positive("service_rate_per_s", service_rate_per_s)?;
        if servers == 0 {
            return Err(AnalyticError::InvalidParameter {
                name: "servers",
                bound: ">= 1",
                value: 0.0,
            });
        }
        Ok(MMcc {
            arrival_rate_per_s: lambda,
            service_rate_per_s: mu,
            servers,
        })
    }

    /// c, the number of servers.
    pub fn servers(&self) -> u32 {
        self.servers
    }

    /// Offered load `a = λ / μ` erlangs: the mean number of busy servers there would be if
    /// nothing were blocked.
    pub fn offered_load(&self) -> f64 {
        self.arrival_rate_per_s / self.service_rate_per_s
    }

    /// P(an arrival is blocked) = Erlang B(c, a); by PASTA also the fraction of time all
    /// `c` servers are busy.
    pub fn blocking_probability(&self) -> f64 {
        erlang_b(self.servers, self.offered_load())
    }

    /// Carried load `a (1 - B)` erlangs: the mean number of busy servers (equivalently,
    /// by Little's law, the mean number in system).
    pub fn carried_load(&self) -> f64 {
        self.offered_load() * (1.0 - self.blocking_probability())
    }

    /// Rate of admitted (and so of completed) arrivals, `λ (1 - B)`.
    pub fn throughput_per_s(&self) -> f64 {
        self.arrival_rate_per_s * (1.0 - self.blocking_probability())
    }

    /// Rate of blocked arrivals, `λ B`.
    pub fn blocked_rate_per_s(&self) -> f64 {
        self.arrival_rate_per_s * self.blocking_probability()
    }

    /// Fraction of time a given server is busy, `a (1 - B) / c`.
    pub fn server_utilization(&self) -> f64 {
        self.carried_load() / f64::from(self.servers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::analytic::close;

    #[test]
    fn two_servers_by_hand() {
        // λ = 2, μ = 2, c = 2: a = 1, B(2, 1) = 0.5 / 2.5 = 0.2; carried 1 · 0.8 = 0.8
        // erlangs; throughput 2 · 0.8 = 1.6/s; blocked 0.4/s; each server busy 0.4.
        let s = MMcc::new(2.0, 2.0, 2).unwrap();
        close(s.blocking_probability(), 0.2, 1e-15);
        close(s.carried_load(), 0.8, 1e-15);
        close(s.throughput_per_s(), 1.6, 1e-15);
        close(s.blocked_rate_per_s(), 0.4, 1e-15);
        close(s.server_utilization(), 0.4, 1e-15);
    }

    #[test]
    fn carried_load_from_the_stationary_distribution() {
        // Independent route: p_k ∝ a^k / k! (truncated Poisson), mean busy = Σ k p_k.
        let (a, c) = (7.5f64, 10u32);
        let mut term = 1.0;
        let (mut norm, mut mean) = (1.0, 0.0);
        for k in 1..=c {
            term *= a / f64::from(k);
            norm += term;
            mean += f64::from(k) * term;
        }
        let s = MMcc::new(a, 1.0, c).unwrap();
        close(s.carried_load(), mean / norm, 1e-13);
        close(s.blocking_probability(), term / norm, 1e-13);
    }

    #[test]
    fn overload_is_allowed() {
        // A loss system is stable at any load. a = 100 on 10 servers: exact rational
        // B(10, 100) = 0.90108470478153..., so each server is busy
        // 100 (1 - B) / 10 = 0.98915295218461... of the time.
        let s = MMcc::new(100.0, 1.0, 10).unwrap();
        close(s.blocking_probability(), 0.901_084_704_781_538_3, 1e-13);
        close(s.server_utilization(), 0.989_152_952_184_616_5, 1e-13);
    }
}
