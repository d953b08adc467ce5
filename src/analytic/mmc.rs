//! The M/M/c FIFO queue in steady state: Poisson arrivals at rate λ, `c` identical servers
//! with exponential service at rate μ each, an unlimited FIFO waiting room. M/M/1 is c = 1.
//!
//! Invariant: an [`MMc`] exists only for a stable queue (ρ = λ / (cμ) < 1), so every
//! method returns a finite number.

use super::erlang::erlang_c;
use super::{AnalyticError, non_negative, positive, stable};

/// A validated, stable M/M/c queue.
///
/// Sources for all methods: Kleinrock, Queueing Systems Vol. 1 (1975), ch. 3 (M/M/m; the
/// Erlang C formula is eq. 3.40); Gross, Shortle, Thompson & Harris, Fundamentals of
/// Queueing Theory, 4th ed. (2008), "Simple Markovian Queueing Models", M/M/c, which also
/// gives the FIFO waiting-time distribution used below.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MMc {
    arrival_rate_per_s: f64,
    service_rate_per_s: f64,
    servers: u32,
}

impl MMc {
    /// A queue with arrival rate λ >= 0, per-server service rate μ > 0 and `servers` >= 1;
    /// refused with [`AnalyticError::Unstable`] when λ >= cμ.
    pub fn new(
        arrival_rate_per_s: f64,
        service_rate_per_s: f64,
        servers: u32,
    ) -> Result<MMc, AnalyticError> {
        let lambda = non_negative("arrival_rate_per_s", arrival_rate_per_s)?;
        let mu = positive("service_rate_per_s", service_rate_per_s)?;
        if servers == 0 {
            return Err(AnalyticError::InvalidParameter {
                name: "servers",
                bound: ">= 1",
                value: 0.0,
            });
        }
        stable(lambda / (f64::from(servers) * mu))?;
        Ok(MMc {
            arrival_rate_per_s: lambda,
            service_rate_per_s: mu,
            servers,
        })
    }

    /// λ, arrivals per second.
    pub fn arrival_rate_per_s(&self) -> f64 {
        self.arrival_rate_per_s
    }

    /// μ, completions per second of one busy server.
    pub fn service_rate_per_s(&self) -> f64 {
        self.service_rate_per_s
    }

    /// c, the number of servers.
    pub fn servers(&self) -> u32 {
        self.servers
    }

    /// Offered load `a = λ / μ` in erlangs: the mean number of busy servers.
    pub fn offered_load(&self) -> f64 {
        self.arrival_rate_per_s / self.service_rate_per_s
    }

    /// Utilization `ρ = λ / (cμ)`, the long-run fraction of time a given server is busy.
    pub fn utilization(&self) -> f64 {
        self.offered_load() / f64::from(self.servers)
    }

    /// `cμ - λ`: the rate of the exponential part of the waiting time.
    fn drain_rate_per_s(&self) -> f64 {
        f64::from(self.servers) * self.service_rate_per_s - self.arrival_rate_per_s
    }

    /// P(an arrival waits) = Erlang C(c, λ/μ); by PASTA also the fraction of time all
    /// servers are busy.
    pub fn wait_probability(&self) -> f64 {
        erlang_c(self.servers, self.offered_load())
    }

    /// Mean time in queue before service, `Wq = C / (cμ - λ)`.
    pub fn mean_wait_s(&self) -> f64 {
        self.wait_probability() / self.drain_rate_per_s()
    }

    /// Mean time in system (sojourn, response), `W = Wq + 1/μ`.
    pub fn mean_response_s(&self) -> f64 {
        self.mean_wait_s() + 1.0 / self.service_rate_per_s
    }

    /// Mean number waiting, `Lq = λ Wq` (Little's law).
    pub fn mean_in_queue(&self) -> f64 {
        self.arrival_rate_per_s * self.mean_wait_s()
    }

    /// Mean number in system, `L = λ W` (Little's law).
    pub fn mean_in_system(&self) -> f64 {
        self.arrival_rate_per_s * self.mean_response_s()
    }

    /// `P(Wq > t) = C e^{-(cμ-λ) t}` for `t >= 0` (FIFO): the wait is 0 with probability
    /// `1 - C`, and otherwise exponential with rate `cμ - λ`. 1.0 for `t < 0`.
    pub fn wait_exceeds_probability(&self, t_s: f64) -> f64 {
        if t_s < 0.0 {
            return 1.0;
        }
        self.wait_probability() * (-self.drain_rate_per_s() * t_s).exp()
    }

    /// The `q`-quantile of the FIFO wait: 0 when `q <= 1 - C`, else
    /// `ln(C / (1 - q)) / (cμ - λ)` (the inverse of [`Self::wait_exceeds_probability`]).
    ///
    /// # Panics
    /// If `q` is not in `[0, 1)`.
    pub fn wait_quantile_s(&self, q: f64) -> f64 {
        assert_quantile(q);
        let c = self.wait_probability();
        if q <= 1.0 - c {
            0.0
        } else {
            (c / (1.0 - q)).ln() / self.drain_rate_per_s()
        }
    }

    /// `P(T > t)` for the FIFO response time `T = Wq + S`, `t >= 0`; 1.0 for `t < 0`.
    ///
    /// Derivation: with `γ = cμ - λ`, `Wq` is 0 w.p. `1 - C` and `Exp(γ)` w.p. `C`,
    /// independent of `S ~ Exp(μ)`. The sum of `Exp(γ)` and `Exp(μ)` has tail
    /// `(γ e^{-μt} - μ e^{-γt}) / (γ - μ)` (hypoexponential), so
    /// `P(T > t) = (1 - C) e^{-μt} + C (γ e^{-μt} - μ e^{-γt}) / (γ - μ)`
    /// `         = e^{-μt} + C μ (e^{-μt} - e^{-γt}) / (γ - μ)`.
    /// When `γ = μ` the sum is Erlang-2 and the limit is `e^{-μt} (1 + C μ t)`. The code
    /// writes `(e^{-μt} - e^{-γt}) / (γ - μ) = e^{-min(μ,γ) t} (1 - e^{-|γ-μ| t}) / |γ-μ|`
    /// with `expm1`, which is exact near `γ = μ` and never overflows.
    /// For c = 1 this reduces to `e^{-(μ-λ) t}`.
    pub fn response_exceeds_probability(&self, t_s: f64) -> f64 {
        if t_s < 0.0 {
            return 1.0;
        }
        let mu = self.service_rate_per_s;
        let gamma = self.drain_rate_per_s();
        let delta = (gamma - mu).abs();
        let g = if delta == 0.0 {
            t_s * (-mu * t_s).exp()
        } else {
            (-mu.min(gamma) * t_s).exp() * -(-delta * t_s).exp_m1() / delta
        };
        ((-mu * t_s).exp() + self.wait_probability() * mu * g).min(1.0)
    }

    /// `P(T <= t)`, the CDF of the FIFO response time; see
    /// [`Self::response_exceeds_probability`].
    pub fn response_cdf(&self, t_s: f64) -> f64 {
        1.0 - self.response_exceeds_probability(t_s)
    }

    /// The `q`-quantile of the FIFO response time. For c = 1 the response time is
    /// exponential with rate `μ - λ`, so this is `-ln(1 - q) / (μ - λ)`; for c > 1 the CDF
    /// of [`Self::response_exceeds_probability`] is inverted by bisection to a relative
    /// error of 1e-12.
    ///
    /// # Panics
    /// If `q` is not in `[0, 1)`.
    pub fn response_quantile_s(&self, q: f64) -> f64 {
        assert_quantile(q);
        if self.servers == 1 {
            -(-q).ln_1p() / self.drain_rate_per_s()
        } else {
            self.invert_response_cdf(q)
        }
    }

    /// Bisection on the response-time tail: the `t` with `P(T > t) = 1 - q`.
    fn invert_response_cdf(&self, q: f64) -> f64 {
        const REL_TOL: f64 = 1e-12;
        if q == 0.0 {
            return 0.0;
        }
        let target = 1.0 - q;
        let mut lo = 0.0;
        let mut hi = self.mean_response_s();
        while self.response_exceeds_probability(hi) > target {
            lo = hi;
            hi *= 2.0;
        }
        while hi - lo > REL_TOL * hi {
            let mid = 0.5 * (lo + hi);
            if self.response_exceeds_probability(mid) > target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }
}

fn assert_quantile(q: f64) {
    assert!(
        (0.0..1.0).contains(&q),
        "quantile must be in [0, 1), found {q}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::analytic::close;

    #[test]
    fn refuses_unstable_and_invalid() {
        assert_eq!(
            MMc::new(2.0, 1.0, 2),
            Err(AnalyticError::Unstable { utilization: 1.0 })
        );
        assert!(matches!(
            MMc::new(1.0, 0.0, 2),
            Err(AnalyticError::InvalidParameter {
                name: "service_rate_per_s",
                ..
            })
        ));
        assert!(matches!(
            MMc::new(1.0, 1.0, 0),
            Err(AnalyticError::InvalidParameter {
                name: "servers",
                ..
            })
        ));
        assert!(matches!(
            MMc::new(f64::NAN, 1.0, 1),
            Err(AnalyticError::InvalidParameter { .. })
        ));
    }

    #[test]
    fn mm1_textbook_values() {
        // M/M/1 with λ = 0.5, μ = 1: ρ = 0.5, C = ρ = 0.5, Wq = ρ/(μ-λ) = 0.5/0.5 = 1,
        // W = 1/(μ-λ) = 2, L = ρ/(1-ρ) = 1, Lq = ρ²/(1-ρ) = 0.5.
        let q = MMc::new(0.5, 1.0, 1).unwrap();
        close(q.utilization(), 0.5, 1e-15);
        close(q.wait_probability(), 0.5, 1e-15);
        close(q.mean_wait_s(), 1.0, 1e-15);
        close(q.mean_response_s(), 2.0, 1e-15);
        close(q.mean_in_system(), 1.0, 1e-15);
        close(q.mean_in_queue(), 0.5, 1e-15);
        // Median response of Exp(μ-λ = 0.5): ln 2 / 0.5.
        close(
            q.response_quantile_s(0.5),
            2.0 * std::f64::consts::LN_2,
            1e-15,
        );
    }

    #[test]
    fn mm2_textbook_values() {
        // M/M/2 with λ = 1, μ = 1: ρ = 1/2, C = 1/3 (see erlang_c), Wq = (1/3)/(2-1) = 1/3,
        // W = 4/3. Independently, L for M/M/2 is 2ρ/(1-ρ²) = 1/0.75 = 4/3 = λW.
        let q = MMc::new(1.0, 1.0, 2).unwrap();
        close(q.wait_probability(), 1.0 / 3.0, 1e-15);
        close(q.mean_wait_s(), 1.0 / 3.0, 1e-15);
        close(q.mean_response_s(), 4.0 / 3.0, 1e-15);
        close(q.mean_in_system(), 4.0 / 3.0, 1e-15);
        // P(Wq > 1) = C e^{-(2-1)·1} = e^{-1} / 3.
        close(
            q.wait_exceeds_probability(1.0),
            (-1.0f64).exp() / 3.0,
            1e-15,
        );
        // This queue has γ = cμ - λ = 1 = μ: the Erlang-2 special case,
        // P(T > t) = e^{-t} (1 + t/3).
        for t in [0.0, 0.1, 1.0, 5.0, 40.0] {
            close(
                q.response_exceeds_probability(t),
                (-t).exp() * (1.0 + t / 3.0),
                1e-14,
            );
        }
    }

    #[test]
    fn wait_quantile_inverts_wait_tail() {
        let q = MMc::new(7.0, 1.0, 8).unwrap();
        let c = q.wait_probability();
        assert_eq!(q.wait_quantile_s(0.5 * (1.0 - c)), 0.0);
        for p in [1.0 - c + 1e-6, 0.9, 0.99, 0.999_999] {
            close(
                q.wait_exceeds_probability(q.wait_quantile_s(p)),
                1.0 - p,
                1e-12,
            );
        }
    }

    #[test]
    fn response_tail_is_continuous_through_the_special_case() {
        // γ = cμ - λ crosses μ at λ = (c-1)μ; the general and special formulas must join.
        let at = MMc::new(2.0, 1.0, 3).unwrap();
        for eps in [1e-6, 1e-9, 1e-12] {
            let below = MMc::new(2.0 + eps, 1.0, 3).unwrap();
            let above = MMc::new(2.0 - eps, 1.0, 3).unwrap();
            for t in [0.01, 0.5, 3.0, 20.0] {
                let p = at.response_exceeds_probability(t);
                close(below.response_exceeds_probability(t), p, 1e3 * eps);
                close(above.response_exceeds_probability(t), p, 1e3 * eps);
            }
        }
    }

    /// `P(T <= t)` by direct numerical convolution (composite Simpson, 20 000 panels):
    /// `(1-C)(1-e^{-μt}) + C ∫_0^t γ e^{-γs} (1 - e^{-μ(t-s)}) ds`.
    fn cdf_by_quadrature(q: &MMc, t: f64) -> f64 {
        let (mu, c) = (q.service_rate_per_s, q.wait_probability());
        let gamma = q.drain_rate_per_s();
        let f = |s: f64| gamma * (-gamma * s).exp() * (1.0 - (-mu * (t - s)).exp());
        let n = 20_000;
        let h = t / f64::from(n);
        let mut sum = f(0.0) + f(t);
        for k in 1..n {
            sum += f(f64::from(k) * h) * if k % 2 == 1 { 4.0 } else { 2.0 };
        }
        (1.0 - c) * (1.0 - (-mu * t).exp()) + c * sum * h / 3.0
    }

    #[test]
    fn response_cdf_matches_numerical_convolution() {
        // Cases with γ > μ, γ < μ and γ = μ.
        for (lambda, mu, servers) in [(3.0, 1.0, 4), (9.5, 1.0, 10), (0.8, 2.0, 1), (2.0, 1.0, 3)] {
            let q = MMc::new(lambda, mu, servers).unwrap();
            for t in [0.05, 0.7, 2.0, 9.0] {
                close(q.response_cdf(t), cdf_by_quadrature(&q, t), 1e-10);
            }
        }
    }

    #[test]
    fn response_tail_integrates_to_mean_response() {
        // E[T] = ∫_0^∞ P(T > t) dt; Simpson on [0, 60/min(μ,γ)] where the tail is < e^-60.
        let q = MMc::new(9.5, 1.0, 10).unwrap();
        let upper = 60.0 / 0.5;
        let n = 200_000;
        let h = upper / f64::from(n);
        let f = |t: f64| q.response_exceeds_probability(t);
        let mut sum = f(0.0) + f(upper);
        for k in 1..n {
            sum += f(f64::from(k) * h) * if k % 2 == 1 { 4.0 } else { 2.0 };
        }
        close(sum * h / 3.0, q.mean_response_s(), 1e-9);
    }

    #[test]
    fn response_quantile_inverts_cdf() {
        for (lambda, mu, servers) in [
            (3.0, 1.0, 4),
            (9.5, 1.0, 10),
            (2.0, 1.0, 3),
            (40.0, 0.5, 100),
        ] {
            let q = MMc::new(lambda, mu, servers).unwrap();
            assert_eq!(q.response_quantile_s(0.0), 0.0);
            for p in [1e-6, 0.1, 0.5, 0.9, 0.99, 0.999, 0.999_999] {
                let t = q.response_quantile_s(p);
                // Bisection stops within 1e-12 relative in t; the CDF's slope is at most
                // max(μ, γ)-ish, so 1 - CDF matches 1 - p to ~1e-10 relative.
                close(q.response_exceeds_probability(t), 1.0 - p, 1e-9);
            }
        }
    }

    #[test]
    fn bisection_agrees_with_mm1_closed_form() {
        // c = 1: T ~ Exp(μ - λ), quantile -ln(1-q)/(μ-λ); the bisection on the general
        // CDF must find the same point.
        let q = MMc::new(0.9, 1.0, 1).unwrap();
        for p in [0.01, 0.5, 0.95, 0.999_9] {
            close(q.invert_response_cdf(p), q.response_quantile_s(p), 1e-11);
            close(q.response_quantile_s(p), -(1.0f64 - p).ln() / 0.1, 1e-12);
        }
    }

    #[test]
    fn no_arrivals_means_service_only() {
        let q = MMc::new(0.0, 2.0, 3).unwrap();
        assert_eq!(q.wait_probability(), 0.0);
        assert_eq!(q.mean_wait_s(), 0.0);
        close(q.mean_response_s(), 0.5, 1e-15);
        // T = S ~ Exp(2): median ln 2 / 2.
        close(
            q.response_quantile_s(0.5),
            std::f64::consts::LN_2 / 2.0,
            1e-11,
        );
    }
}
