//! The integral over time of an integer quantity (busy slots, requests in the system),
//! exactly in integer nanoseconds: after the warmup (for statistics) and from time zero
//! (for time series, which show the warmup transient too).

use crate::time::SimTime;

/// A piecewise-constant quantity and its integral over `[warmup, now]`.
#[derive(Clone, Debug)]
pub struct TimeWeighted {
    value: u64,
    since: SimTime,
    warmup: SimTime,
    /// ∫ value dt over [0, since].
    total_ns: u128,
    /// ∫ value dt over [0, warmup], once the warmup has passed.
    at_warmup_ns: Option<u128>,
}

impl TimeWeighted {
    /// Starts at `value` at time zero; nothing before `warmup` is integrated.
    pub fn new(value: u64, warmup: SimTime) -> Self {
        TimeWeighted {
            value,
            since: SimTime::ZERO,
            warmup,
            total_ns: 0,
            at_warmup_ns: (warmup == SimTime::ZERO).then_some(0),
        }
    }

    /// The current value.
    pub fn value(&self) -> u64 {
        self.value
    }

    fn advance(&mut self, now: SimTime) {
        debug_assert!(now >= self.since, "time went backwards");
        // One multiply-add per change on the hot path; the warmup crossing, once per trial,
        // snapshots the integral so the post-warmup part is a difference.
        if self.at_warmup_ns.is_none() && now >= self.warmup {
            let before = self.value as u128 * (self.warmup.0 - self.since.0) as u128;
            self.at_warmup_ns = Some(self.total_ns + before);
        }
        self.total_ns += self.value as u128 * (now.0 - self.since.0) as u128;
        self.since = now;
    }

    /// The quantity becomes `value` at `now`.
    pub fn set(&mut self, now: SimTime, value: u64) {
        self.advance(now);
        self.value = value;
    }

    /// Adds one at `now`.
    pub fn increment(&mut self, now: SimTime) {
        self.set(now, self.value + 1);
    }

    /// Subtracts one at `now`.
    pub fn decrement(&mut self, now: SimTime) {
        debug_assert!(self.value > 0, "decrement below zero");
        self.set(now, self.value - 1);
    }

    /// The integral from time zero (value x nanoseconds) up to `now`.
    pub fn total_until(&mut self, now: SimTime) -> u128 {
        self.advance(now);
        self.total_ns
    }

    /// The integral (value x nanoseconds) after the warmup up to `end`, which closes the
    /// measurement.
    pub fn integral_until(&mut self, end: SimTime) -> u128 {
        self.advance(end);
        self.total_ns - self.at_warmup_ns.unwrap_or(self.total_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrates_only_after_warmup() {
        // value 2 on [0, 10), 5 on [10, 30), 1 on [30, 40]; warmup 5:
        // 2 x 5 + 5 x 20 + 1 x 10 = 120.
        let mut tw = TimeWeighted::new(2, SimTime(5));
        tw.set(SimTime(10), 5);
        tw.set(SimTime(30), 1);
        assert_eq!(tw.integral_until(SimTime(40)), 120);
        // From zero: 2 x 10 + 5 x 20 + 1 x 10 = 130.
        assert_eq!(tw.total_until(SimTime(40)), 130);
    }

    #[test]
    fn changes_before_warmup_count_nothing() {
        let mut tw = TimeWeighted::new(0, SimTime(100));
        tw.increment(SimTime(10));
        tw.increment(SimTime(50));
        // 2 on [100, 150] = 100.
        assert_eq!(tw.integral_until(SimTime(150)), 100);
    }
}
