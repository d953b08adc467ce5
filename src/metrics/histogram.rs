//! Latency histograms: HDR histograms of nanoseconds with 3 significant digits (0.1%
//! relative resolution), which merge exactly (integer counts), so the across-trial
//! percentiles do not depend on the order trials finish.

use hdrhistogram::Histogram;

use crate::time::SimTime;

/// Largest recorded latency: 10^15 ns ≈ 11.6 days; longer values are clamped to it.
const HIGHEST_NS: u64 = 1_000_000_000_000_000;

/// A mergeable distribution of durations. The counts (about 330 KB) are allocated at the
/// first record, so trials without requests (availability studies) cost nothing here.
#[derive(Clone, Debug, Default)]
pub struct LatencyHistogram {
    hist: Option<Histogram<u64>>,
}

fn empty() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_NS, 3).expect("static bounds are valid")
}

impl LatencyHistogram {
    /// Records one duration (0 ns is recorded as 1 ns, the histogram's floor).
    pub fn record(&mut self, d: SimTime) {
        self.hist
            .get_or_insert_with(empty)
            .saturating_record(d.0.clamp(1, HIGHEST_NS));
    }

    /// Records `count` durations `d` (capacity fidelity records expected weights).
    pub fn record_n(&mut self, d: SimTime, count: u64) {
        self.hist
            .get_or_insert_with(empty)
            .saturating_record_n(d.0.clamp(1, HIGHEST_NS), count);
    }

    /// Durations recorded.
    pub fn len(&self) -> u64 {
        self.hist.as_ref().map_or(0, |h| h.len())
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The q-quantile in seconds (the value at or below which a share q of records lie),
    /// or `None` when nothing was recorded.
    pub fn quantile_s(&self, q: f64) -> Option<f64> {
        let h = self.hist.as_ref().filter(|h| !h.is_empty())?;
        Some(h.value_at_quantile(q) as f64 / 1e9)
    }

    /// Adds every record of `other`.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        if let Some(o) = &other.hist {
            self.hist
                .get_or_insert_with(empty)
                .add(o)
                .expect("histograms share bounds");
        }
    }

    /// The histogram holding exactly `buckets` (as [`LatencyHistogram::buckets`] gives
    /// them): each value lands in the bucket it was read from, so the counts, and every
    /// quantile, are the original's.
    pub fn from_buckets(buckets: &[(u64, u64)]) -> LatencyHistogram {
        let mut h = LatencyHistogram::default();
        for &(value_ns, count) in buckets {
            h.hist
                .get_or_insert_with(empty)
                .saturating_record_n(value_ns.clamp(1, HIGHEST_NS), count);
        }
        h
    }

    /// (value in ns, count) for every non-empty bucket: the mergeable state of a shard.
    pub fn buckets(&self) -> Vec<(u64, u64)> {
        self.hist
            .iter()
            .flat_map(|h| {
                h.iter_recorded()
                    .map(|v| (v.value_iterated_to(), v.count_at_value()))
            })
            .collect()
    }
}

/// A coarse histogram for short intervals (2 significant digits, 1 µs to 10⁵ s), read and
/// cleared at each time-series sample. Allocated at the first record.
#[derive(Clone, Debug, Default)]
pub struct IntervalHistogram {
    hist: Option<Histogram<u64>>,
}

impl IntervalHistogram {
    /// Records one duration (clamped to the histogram's range).
    pub fn record(&mut self, d: SimTime) {
        let us = (d.0 / 1_000).clamp(1, 100_000_000_000);
        self.hist
            .get_or_insert_with(|| {
                Histogram::new_with_bounds(1, 100_000_000_000, 2).expect("static bounds")
            })
            .saturating_record(us);
    }

    /// The q-quantile in seconds of what was recorded since the last call (None if nothing
    /// was), and clears it.
    pub fn take_quantile_s(&mut self, q: f64) -> Option<f64> {
        let h = self.hist.as_mut().filter(|h| !h.is_empty())?;
        let v = h.value_at_quantile(q) as f64 / 1e6;
        h.reset();
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_within_resolution_and_merge_exactly() {
        let mut a = LatencyHistogram::default();
        let mut b = LatencyHistogram::default();
        for ms in 1..=500u64 {
            a.record(SimTime(ms * 1_000_000));
        }
        for ms in 501..=1000u64 {
            b.record(SimTime(ms * 1_000_000));
        }
        a.merge(&b);
        assert_eq!(a.len(), 1000);
        let p99 = a.quantile_s(0.99).unwrap();
        assert!((p99 - 0.990).abs() <= 0.990 * 1e-3, "{p99}");
        assert_eq!(LatencyHistogram::default().quantile_s(0.5), None);
    }

    #[test]
    fn buckets_rebuild_the_same_histogram() {
        let mut a = LatencyHistogram::default();
        // Values spread over six decades, some sharing a bucket (1000 and 1000.5 us).
        for v in [
            1u64,
            7,
            999,
            1_000_000,
            1_000_500,
            3_456_789_012,
            1_000_000_000_000,
        ] {
            a.record(SimTime(v));
            a.record(SimTime(v));
        }
        let b = LatencyHistogram::from_buckets(&a.buckets());
        assert_eq!(b.buckets(), a.buckets());
        assert_eq!(b.len(), a.len());
        for q in [0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(b.quantile_s(q), a.quantile_s(q), "q = {q}");
        }
        assert!(LatencyHistogram::from_buckets(&[]).is_empty());
    }
}
