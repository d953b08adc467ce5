//! The workload rate in capacity fidelity: held constant over spans, each at the exact
//! average of the pattern over it. Spans end at every breakpoint of the pattern (a step,
//! a spike's edges, a trace point) and, where the pattern varies continuously (diurnal, a
//! trace between points), at least every `capacity_step`.

use crate::model::workload::multiplier;
use crate::scenario::Pattern;
use crate::time::SimTime;

/// Where the rate changes during a trial.
pub struct RateSteps {
    breakpoints: Vec<SimTime>,
    next: usize,
    /// `capacity_step` where the pattern varies continuously, else `None`.
    grid: Option<SimTime>,
}

impl RateSteps {
    /// The spans of `pattern` up to `horizon`.
    pub fn new(pattern: &Pattern, step: SimTime, horizon: SimTime) -> RateSteps {
        let mut breakpoints = Vec::new();
        let continuous = collect(pattern, &mut breakpoints);
        breakpoints.retain(|&b| b > SimTime::ZERO && b < horizon);
        breakpoints.sort();
        breakpoints.dedup();
        RateSteps {
            breakpoints,
            next: 0,
            grid: continuous.then_some(step),
        }
    }

    /// The end of the span starting at `now`: the next breakpoint or grid time after it
    /// (`None`: the rate never changes again).
    pub fn span_end(&mut self, now: SimTime) -> Option<SimTime> {
        while self.breakpoints.get(self.next).is_some_and(|&b| b <= now) {
            self.next += 1;
        }
        let breakpoint = self.breakpoints.get(self.next).copied();
        let grid = self
            .grid
            .map(|g| SimTime((now.0 / g.0 + 1).saturating_mul(g.0)));
        match (breakpoint, grid) {
            (Some(b), Some(g)) => Some(b.min(g)),
            (b, g) => b.or(g),
        }
    }
}

/// The pattern's average multiplier over [from, to] by Milne's rule (open Newton–Cotes,
/// exact for cubics, so for the constant and linear pieces inside one span, and within
/// 1e-9 relative for a diurnal cosine over spans of minutes). Being open, it never
/// evaluates the pattern at a span's ends, where a step changes.
pub fn average(pattern: &Pattern, from: SimTime, to: SimTime) -> f64 {
    let (a, b) = (from.as_secs_f64(), to.as_secs_f64());
    if b <= a {
        return multiplier(pattern, a);
    }
    let h = (b - a) / 4.0;
    let at = |t: f64| multiplier(pattern, t);
    (at(a + h) * 2.0 - at(a + 2.0 * h) + at(a + 3.0 * h) * 2.0) / 3.0
}

/// Adds `pattern`'s breakpoints; true when it varies continuously somewhere.
fn collect(pattern: &Pattern, out: &mut Vec<SimTime>) -> bool {
    match pattern {
        Pattern::Constant => false,
        Pattern::Diurnal { .. } => true,
        Pattern::Steps { at, .. } => {
            out.extend(at.iter().copied());
            false
        }
        Pattern::Spike { at, duration, .. } => {
            out.extend([*at, *at + *duration]);
            false
        }
        Pattern::Trace { points } => {
            out.extend(points.iter().map(|&(t, _)| SimTime::from_secs_f64(t)));
            true
        }
        Pattern::Product(parts) => parts.iter().fold(false, |any, p| collect(p, out) | any),
    }
}
