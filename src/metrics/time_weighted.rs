//! The integral over time of an integer quantity (busy slots, requests in the system),
//! exactly in integer nanoseconds: after the warmup (for statistics) and from time zero
//! (for time series, which show the warmup transient too).

use crate::time::SimTime;

/// A piecewise-constant quantity and its integral over `[warmup, now]`.
///
/// The integral is kept as `value × t − offset`, true for every `t` from the last change
/// on: a change by `d` at time `s` adds `d × s` to the offset (the integral of the change
/// up to `t` is `d × (t − s)`). So a change is an addition, where integrating as it goes
/// would take a multiply-add and a store of the change's time; this runs twice per
/// request for every service and for the whole system. Exact, in integers.
///
/// The owner says when the warmup ends ([`TimeWeighted::pass_warmup`], from one event at
/// that instant), so a change does not test for it (debug builds check that it was said).
#[derive(Clone, Debug)]
pub struct TimeWeighted {
    value: u64,
    /// Σ over changes of (change × its time), value × ns.
    offset: i128,
    /// ∫ value dt over [0, warmup], once the warmup has passed.
    at_warmup_ns: Option<u128>,
    /// The end of the warmup (debug builds check it is passed before a later change).
    #[cfg(debug_assertions)]
    warmup: SimTime,
    /// The time of the last change (debug builds check time never goes backwards).
    #[cfg(debug_assertions)]
    since: SimTime,
}

impl TimeWeighted {
    /// Starts at `value` at time zero; nothing before `warmup` is integrated.
    pub fn new(value: u64, warmup: SimTime) -> Self {
        TimeWeighted {
            value,
            offset: 0,
            at_warmup_ns: (warmup == SimTime::ZERO).then_some(0),
            #[cfg(debug_assertions)]
            warmup,
            #[cfg(debug_assertions)]
            since: SimTime::ZERO,
        }
    }

    /// The current value.
    pub fn value(&self) -> u64 {
        self.value
    }

    /// ∫ value dt over [0, `t`], for `t` at or after the last change.
    fn integral_to(&self, t: SimTime) -> u128 {
        (self.value as i128 * t.0 as i128 - self.offset) as u128
    }

    /// The warmup ends at `now` (before any change at `now`): the integral so far is
    /// kept, so the post-warmup part is a difference. Once per trial, when the warmup is
    /// not zero.
    pub fn pass_warmup(&mut self, now: SimTime) {
        debug_assert!(self.at_warmup_ns.is_none(), "the warmup ends once");
        self.reach(now);
        self.at_warmup_ns = Some(self.integral_to(now));
    }

    /// Before a change at `now`, debug builds check that time never goes backwards and
    /// that a change after the warmup comes after [`TimeWeighted::pass_warmup`].
    #[cfg(debug_assertions)]
    fn reach(&mut self, now: SimTime) {
        assert!(now >= self.since, "time went backwards");
        assert!(
            now <= self.warmup || self.at_warmup_ns.is_some(),
            "a change at {now:?}, after the warmup, before pass_warmup"
        );
        self.since = now;
    }

    #[cfg(not(debug_assertions))]
    #[inline(always)]
    fn reach(&mut self, _now: SimTime) {}

    /// The quantity becomes `value` at `now`.
    pub fn set(&mut self, now: SimTime, value: u64) {
        self.reach(now);
        self.offset += (value as i128 - self.value as i128) * now.0 as i128;
        self.value = value;
    }

    /// Adds one at `now`.
    #[inline]
    pub fn increment(&mut self, now: SimTime) {
        self.reach(now);
        self.offset += now.0 as i128;
        self.value += 1;
    }

    /// Subtracts one at `now`.
    #[inline]
    pub fn decrement(&mut self, now: SimTime) {
        debug_assert!(self.value > 0, "decrement below zero");
        self.reach(now);
        self.offset -= now.0 as i128;
        self.value -= 1;
    }

    /// The integral from time zero (value x nanoseconds) up to `now`.
    pub fn total_until(&mut self, now: SimTime) -> u128 {
        self.reach(now);
        self.integral_to(now)
    }

    /// The integral (value x nanoseconds) after the warmup up to `end`, which closes the
    /// measurement (zero if the warmup has not ended).
    pub fn integral_until(&mut self, end: SimTime) -> u128 {
        self.reach(end);
        let total = self.integral_to(end);
        total - self.at_warmup_ns.unwrap_or(total)
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
        tw.pass_warmup(SimTime(5));
        tw.set(SimTime(10), 5);
        tw.set(SimTime(30), 1);
        assert_eq!(tw.integral_until(SimTime(40)), 120);
        // From zero: 2 x 10 + 5 x 20 + 1 x 10 = 130.
        assert_eq!(tw.total_until(SimTime(40)), 130);
    }

    #[test]
    fn equals_the_sum_of_value_times_duration() {
        // A long random walk, checked against integrating piece by piece.
        let (warmup, mut t, mut v) = (SimTime(1_000), 0u64, 3u64);
        let mut tw = TimeWeighted::new(v, warmup);
        let (mut direct, mut direct_after) = (0u128, 0u128);
        for k in 0..10_000u64 {
            let next = t + (k * 7_919) % 613;
            let piece = |from: u64, to: u64| v as u128 * (to - from) as u128;
            direct += piece(t, next);
            direct_after += piece(t.max(warmup.0).min(next), next);
            if t < warmup.0 && next >= warmup.0 {
                tw.pass_warmup(warmup);
            }
            t = next;
            match k % 3 {
                0 => tw.increment(SimTime(t)),
                1 if v > 0 => tw.decrement(SimTime(t)),
                _ => tw.set(SimTime(t), (k * 31) % 17),
            }
            v = tw.value();
            assert_eq!(tw.total_until(SimTime(t)), direct);
        }
        assert_eq!(tw.integral_until(SimTime(t)), direct_after);
    }

    #[test]
    fn changes_before_warmup_count_nothing() {
        let mut tw = TimeWeighted::new(0, SimTime(100));
        tw.increment(SimTime(10));
        tw.increment(SimTime(50));
        tw.pass_warmup(SimTime(100));
        // 2 on [100, 150] = 100.
        assert_eq!(tw.integral_until(SimTime(150)), 100);
    }
}
