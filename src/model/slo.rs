//! SLO windows: consecutive windows of `slo.window` from the end of the warmup; a window
//! meets the SLO when the entry service was available at least `availability` of it, the
//! requests that ended in it had an error ratio within `error_ratio`, and at most 1% of
//! those that succeeded took longer than `latency_p99` (which is what "p99 within the
//! target" means, counted without a histogram). A window without requests meets the
//! request targets vacuously.

use super::Model;
use crate::scenario::SloSpec;
use crate::time::SimTime;

/// The windows of one trial.
pub struct SloWindows {
    spec: Option<SloSpec>,
    horizon: SimTime,
    start: SimTime,
    /// Entry up time in the current window so far, and when the entry's state last changed.
    up_ns: u64,
    entry_up: bool,
    since: SimTime,
    /// Requests of the window (expected counts in capacity fidelity, hence f64).
    completed: f64,
    slow: f64,
    failed: f64,
    met: u64,
    windows: u64,
}

impl SloWindows {
    /// The windows of `model`'s SLO (none without one).
    pub fn new(model: &Model) -> SloWindows {
        SloWindows {
            spec: model.slo.clone(),
            horizon: model.horizon,
            start: model.warmup,
            up_ns: 0,
            entry_up: true,
            since: model.warmup,
            completed: 0.0,
            slow: 0.0,
            failed: 0.0,
            met: 0,
            windows: 0,
        }
    }

    /// When the first window ends, if it fits in the horizon.
    pub fn first_end(&self) -> Option<SimTime> {
        let end = self.start.saturating_add(self.spec.as_ref()?.window);
        (end <= self.horizon).then_some(end)
    }

    /// The entry service's availability changes at `now` (after the warmup).
    pub fn entry_changed(&mut self, now: SimTime, up: bool) {
        if now < self.start || self.spec.is_none() {
            return;
        }
        if self.entry_up {
            self.up_ns += (now - self.since).0;
        }
        self.entry_up = up;
        self.since = now;
    }

    /// A counted request succeeded with this end-to-end latency.
    pub fn record_success(&mut self, latency: SimTime) {
        if let Some(spec) = &self.spec {
            self.completed += 1.0;
            self.slow += spec.latency_p99.is_some_and(|t| latency > t) as u8 as f64;
        }
    }

    /// A counted request failed.
    pub fn record_failure(&mut self) {
        self.failed += 1.0;
    }

    /// Capacity fidelity: expected requests of a span — `completed`, of which a share
    /// `slow_share` slower than the latency target, and `failed`.
    pub fn record_expected(&mut self, completed: f64, slow_share: f64, failed: f64) {
        self.completed += completed;
        self.slow += completed * slow_share;
        self.failed += failed;
    }

    /// The latency target, if the SLO has one.
    pub fn latency_target(&self) -> Option<SimTime> {
        self.spec.as_ref().and_then(|s| s.latency_p99)
    }

    /// Closes the window ending at `now` (the entry is `up` now); returns when the next one
    /// ends, if it fits in the horizon.
    pub fn close_window(&mut self, now: SimTime, up: bool) -> Option<SimTime> {
        let spec = self.spec.clone()?;
        self.entry_changed(now, up);
        let span = (now - self.start).0 as f64;
        let resolved = self.completed + self.failed;
        let available = spec
            .availability
            .is_none_or(|a| self.up_ns as f64 / span >= a);
        let errors_ok = spec
            .error_ratio
            .is_none_or(|e| resolved == 0.0 || self.failed <= e * resolved);
        let latency_ok = self.completed == 0.0 || self.slow <= 0.01 * self.completed;
        self.windows += 1;
        self.met += (available && errors_ok && latency_ok) as u64;
        self.start = now;
        self.since = now;
        self.up_ns = 0;
        (self.completed, self.slow, self.failed) = (0.0, 0.0, 0.0);
        let next = now.saturating_add(spec.window);
        (next <= self.horizon).then_some(next)
    }

    /// (windows that met the SLO, windows).
    pub fn compliance(&self) -> (u64, u64) {
        (self.met, self.windows)
    }
}
