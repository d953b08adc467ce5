//! The arrival process: Poisson at `rate × pattern(t)`, generated exactly by thinning
//! (Lewis & Shedler 1979): candidates arrive at the constant bound rate × max pattern, and
//! a candidate at time t is kept with probability pattern(t) / max pattern. No step
//! approximation: the accepted points form a non-homogeneous Poisson process with exactly
//! the pattern's intensity.

use std::f64::consts::PI;

use rand::RngExt;
use rand_distr::{Distribution, Exp};

use crate::engine::SimRng;
use crate::scenario::Pattern;
use crate::time::SimTime;

/// The pattern's multiplier at `t_s` seconds.
pub fn multiplier(p: &Pattern, t_s: f64) -> f64 {
    match p {
        Pattern::Constant => 1.0,
        Pattern::Diurnal {
            period,
            peak,
            trough,
            peak_at,
        } => {
            let phase = 2.0 * PI * (t_s - peak_at.as_secs_f64()) / period.as_secs_f64();
            (peak + trough) / 2.0 + (peak - trough) / 2.0 * phase.cos()
        }
        Pattern::Steps { at, factors } => {
            let i = at.partition_point(|a| a.as_secs_f64() <= t_s);
            if i == 0 { 1.0 } else { factors[i - 1] }
        }
        Pattern::Spike {
            at,
            duration,
            factor,
        } => {
            let (start, end) = (at.as_secs_f64(), (*at + *duration).as_secs_f64());
            if (start..end).contains(&t_s) {
                *factor
            } else {
                1.0
            }
        }
        Pattern::Trace { points } => trace_at(points, t_s),
        Pattern::Product(parts) => parts.iter().map(|q| multiplier(q, t_s)).product(),
    }
}

/// Linear interpolation through `points` (time-sorted), flat outside them.
fn trace_at(points: &[(f64, f64)], t_s: f64) -> f64 {
    let i = points.partition_point(|&(t, _)| t <= t_s);
    match (i, points.len()) {
        (_, 0) => 1.0,
        (0, _) => points[0].1,
        (i, n) if i == n => points[n - 1].1,
        (i, _) => {
            let ((t0, v0), (t1, v1)) = (points[i - 1], points[i]);
            v0 + (v1 - v0) * (t_s - t0) / (t1 - t0)
        }
    }
}

/// An upper bound of the pattern over all time (exact for each pattern; a product of
/// bounds for a product).
pub fn max_multiplier(p: &Pattern) -> f64 {
    match p {
        Pattern::Constant => 1.0,
        Pattern::Diurnal { peak, trough, .. } => peak.max(*trough),
        Pattern::Steps { factors, .. } => factors.iter().copied().fold(1.0, f64::max),
        Pattern::Spike { factor, .. } => factor.max(1.0),
        Pattern::Trace { points } => points.iter().map(|p| p.1).fold(0.0, f64::max),
        Pattern::Product(parts) => parts.iter().map(max_multiplier).product(),
    }
}

/// Draws the arrival times of one trial.
pub struct Arrivals {
    rate_per_s: f64,
    pattern: Pattern,
    max: f64,
    candidates: Option<Exp<f64>>,
}

impl Arrivals {
    /// Arrivals at `rate_per_s × pattern(t)`; none without a rate or when the pattern is 0.
    pub fn new(rate_per_s: Option<f64>, pattern: &Pattern) -> Arrivals {
        let max = max_multiplier(pattern);
        let bound = rate_per_s
            .map(|r| r * max)
            .filter(|b| *b > 0.0 && b.is_finite());
        Arrivals {
            rate_per_s: rate_per_s.unwrap_or(0.0),
            pattern: pattern.clone(),
            max,
            candidates: bound.map(|b| Exp::new(b).expect("positive finite bound")),
        }
    }

    /// The intended arrival rate at `t`.
    pub fn rate_at(&self, t: SimTime) -> f64 {
        self.rate_per_s * multiplier(&self.pattern, t.as_secs_f64())
    }

    /// The first arrival after `now`, or `None` if there are no arrivals (or none before
    /// the end of time).
    pub fn next_after(&self, now: SimTime, rng: &mut SimRng) -> Option<SimTime> {
        let exp = self.candidates.as_ref()?;
        let constant = matches!(self.pattern, Pattern::Constant);
        let mut t = now.as_secs_f64();
        loop {
            t += exp.sample(rng);
            if !t.is_finite() || t >= SimTime::MAX.as_secs_f64() {
                return None;
            }
            // Thinning; a constant pattern accepts every candidate without a draw, so
            // constant-rate runs keep their random streams unchanged.
            if constant || rng.random::<f64>() * self.max < multiplier(&self.pattern, t) {
                return Some(SimTime::from_secs_f64(t));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream_rng;

    fn s(secs: u64) -> SimTime {
        SimTime::from_secs(secs)
    }

    #[test]
    fn patterns_have_their_documented_values() {
        let d = Pattern::Diurnal {
            period: s(86_400),
            peak: 1.8,
            trough: 0.4,
            peak_at: s(14 * 3_600),
        };
        assert!((multiplier(&d, 14.0 * 3_600.0) - 1.8).abs() < 1e-12);
        assert!((multiplier(&d, 2.0 * 3_600.0) - 0.4).abs() < 1e-12);
        let st = Pattern::Steps {
            at: vec![s(0), s(3_600)],
            factors: vec![1.0, 3.0],
        };
        assert_eq!(
            (multiplier(&st, 10.0), multiplier(&st, 3_600.0)),
            (1.0, 3.0)
        );
        let sp = Pattern::Spike {
            at: s(100),
            duration: s(10),
            factor: 5.0,
        };
        assert_eq!(
            (
                multiplier(&sp, 99.0),
                multiplier(&sp, 105.0),
                multiplier(&sp, 110.0)
            ),
            (1.0, 5.0, 1.0)
        );
        let tr = Pattern::Trace {
            points: vec![(0.0, 1.0), (10.0, 3.0)],
        };
        assert_eq!(
            (
                multiplier(&tr, -5.0),
                multiplier(&tr, 5.0),
                multiplier(&tr, 50.0)
            ),
            (1.0, 2.0, 3.0)
        );
        let pr = Pattern::Product(vec![st, sp]);
        assert_eq!(multiplier(&pr, 3_600.0 + 0.0), 3.0);
        assert_eq!(max_multiplier(&pr), 15.0);
    }

    #[test]
    fn thinning_matches_the_integrated_rate() {
        // Steps 1 then 4 over two 1,000 s halves at rate 10: 10,000 + 40,000 expected
        // arrivals; Poisson sd ≈ 100 and 200, so 5 sd is 500 and 1,000.
        let p = Pattern::Steps {
            at: vec![s(0), s(1_000)],
            factors: vec![1.0, 4.0],
        };
        let a = Arrivals::new(Some(10.0), &p);
        let mut rng = stream_rng(3, 0, 0);
        let (mut t, mut first, mut second) = (SimTime::ZERO, 0, 0);
        while let Some(next) = a.next_after(t, &mut rng) {
            if next >= s(2_000) {
                break;
            }
            if next < s(1_000) {
                first += 1
            } else {
                second += 1
            }
            t = next;
        }
        assert!((first as i64 - 10_000).abs() < 500, "{first}");
        assert!((second as i64 - 40_000).abs() < 1_000, "{second}");
    }
}
