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

/// hdrhistogram's layout for [`empty`]'s bounds (lowest 1 ns, 3 significant digits): a
/// value's bucket is how many powers of two it lies above 2,047, and each bucket past the
/// first holds 1,024 sub-buckets (its top half; the first bucket holds 2,048). Derived
/// from hdrhistogram 7's `index_for`; the tests hold it to the crate's own buckets.
const HDR_SUB_BUCKET_MASK: u64 = 2_047;
const HDR_HALF_MAGNITUDE: u32 = 10;
const HDR_LEADING_ZERO_BASE: u32 = 53;

/// The counts index hdrhistogram gives `ns` (1 <= ns <= [`HIGHEST_NS`]).
fn hdr_index(ns: u64) -> usize {
    let bucket = HDR_LEADING_ZERO_BASE - (ns | HDR_SUB_BUCKET_MASK).leading_zeros();
    ((bucket as usize) << HDR_HALF_MAGNITUDE) + (ns >> bucket) as usize
}

/// The lowest value hdrhistogram counts at `index` (the inverse of [`hdr_index`]).
fn hdr_value(index: usize) -> u64 {
    let half = 1usize << HDR_HALF_MAGNITUDE;
    let (bucket, sub) = match (index >> HDR_HALF_MAGNITUDE).checked_sub(1) {
        Some(bucket) => (bucket, (index & (half - 1)) + half),
        None => (0, index),
    };
    (sub as u64) << bucket
}

/// The recording side of a [`LatencyHistogram`], for the request path: counts in
/// hdrhistogram's own layout, so a record is a shift and an increment where
/// hdrhistogram's (which also keeps minimum, maximum and saturating totals) took about
/// 90 instructions, 5% of a request's. [`LatencyRecorder::histogram`] gives the
/// histogram that recording each duration would have given: the same counts in the same
/// buckets, so the same quantiles and buckets. Allocated at the first record.
#[derive(Clone, Debug, Default)]
pub struct LatencyRecorder {
    counts: Vec<u64>,
}

impl LatencyRecorder {
    /// Records one duration (0 ns as 1 ns, longer than 10^15 ns as 10^15 ns), as
    /// [`LatencyHistogram::record`] does.
    #[inline]
    pub fn record(&mut self, d: SimTime) {
        if self.counts.is_empty() {
            self.counts = vec![0; hdr_index(HIGHEST_NS) + 1];
        }
        self.counts[hdr_index(d.0.clamp(1, HIGHEST_NS))] += 1;
    }

    /// The histogram of every duration recorded.
    pub fn histogram(&self) -> LatencyHistogram {
        let mut h = LatencyHistogram::default();
        for (index, &count) in self.counts.iter().enumerate() {
            if count > 0 {
                h.record_n(SimTime(hdr_value(index)), count);
            }
        }
        h
    }
}

/// Sub-buckets per power of two of an interval histogram: 2^7 = 128, so a bucket is at
/// most 1/128 (0.8%) of its values wide.
const INTERVAL_MANTISSA_BITS: u32 = 7;
/// What a latency's `f64` bit pattern is shifted by to give its bucket.
const INTERVAL_SHIFT: u32 = 52 - INTERVAL_MANTISSA_BITS;
/// The key of 1 ns, the first bucket.
const INTERVAL_FIRST_KEY: u64 = 1f64.to_bits() >> INTERVAL_SHIFT;

/// A coarse histogram for the latency of one time-series interval, read and cleared at
/// each sample. A duration's bucket is the exponent and top 7 mantissa bits of its
/// nanoseconds as an `f64` (positive floats order as their bit patterns), so recording is
/// a conversion, a shift and an increment: this histogram takes every completion beside
/// the run's [`LatencyHistogram`], where a second hdrhistogram record (which also keeps
/// minimum, maximum and saturating totals) cost about 6% of request fidelity's time.
/// 1 ns to 10^15 ns in about 6,400 buckets, allocated at the first record.
#[derive(Clone, Debug, Default)]
pub struct IntervalHistogram {
    counts: Vec<u64>,
    total: u64,
}

fn interval_bucket(ns: u64) -> usize {
    // Through i64 (exact below 2^53): one instruction where u64 to f64 takes several.
    ((ns.clamp(1, HIGHEST_NS) as i64 as f64).to_bits() >> INTERVAL_SHIFT) as usize
        - INTERVAL_FIRST_KEY as usize
}

impl IntervalHistogram {
    /// Records one duration (0 ns as 1 ns, longer than 10^15 ns as 10^15 ns).
    #[inline]
    pub fn record(&mut self, d: SimTime) {
        if self.counts.is_empty() {
            self.counts = vec![0; interval_bucket(HIGHEST_NS) + 1];
        }
        self.counts[interval_bucket(d.0)] += 1;
        self.total += 1;
    }

    /// The q-quantile in seconds of what was recorded since the last call (None if nothing
    /// was), and clears it. The quantile is the exclusive upper end of the bucket holding
    /// the ceil(q × n)-th smallest record: at most 0.8% above the exact order statistic,
    /// never below it (a latency of 0 reads as 1.0078 ns, the 1 ns bucket's end).
    pub fn take_quantile_s(&mut self, q: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let (mut seen, mut cleared, mut bucket) = (0u64, 0u64, None);
        // Clearing stops at the last non-empty bucket, so a sample costs at most the
        // buckets up to the interval's longest latency.
        for (i, count) in self.counts.iter_mut().enumerate() {
            if *count == 0 {
                continue;
            }
            seen += *count;
            if bucket.is_none() && seen >= rank {
                bucket = Some(i);
            }
            cleared += std::mem::take(count);
            if cleared == self.total {
                break;
            }
        }
        self.total = 0;
        let next_key = bucket.expect("rank <= total") as u64 + INTERVAL_FIRST_KEY + 1;
        Some(f64::from_bits(next_key << INTERVAL_SHIFT) / 1e9)
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

    #[test]
    fn the_recorder_gives_the_histogram_recording_gives() {
        let mut direct = LatencyHistogram::default();
        let mut recorder = LatencyRecorder::default();
        // Every bucket edge (2^k - 1, 2^k, 2^k + 1, and 2,047 / 2,048 where the first
        // bucket ends), values sharing a bucket, zero and values past the highest.
        let mut values = vec![
            0u64,
            1,
            2,
            999,
            1_000_500,
            HIGHEST_NS,
            HIGHEST_NS + 1,
            u64::MAX,
        ];
        for k in 1..63 {
            values.extend([(1u64 << k) - 1, 1 << k, (1 << k) + 1, 3 << (k - 1)]);
        }
        values.extend((0..5_000u64).map(|i| i * i * 7_919 + i));
        for &v in &values {
            direct.record(SimTime(v));
            recorder.record(SimTime(v));
        }
        let rebuilt = recorder.histogram();
        assert_eq!(rebuilt.buckets(), direct.buckets());
        assert_eq!(rebuilt.len(), direct.len());
        for q in [0.0, 0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(rebuilt.quantile_s(q), direct.quantile_s(q), "q = {q}");
        }
        assert!(LatencyRecorder::default().histogram().is_empty());
    }

    #[test]
    fn hdr_value_inverts_hdr_index() {
        let hist = empty();
        for index in 0..=hdr_index(HIGHEST_NS) {
            let v = hdr_value(index);
            // Index 0 holds 0, below the lowest value tracked.
            if v >= 1 {
                assert_eq!(hdr_index(v), index, "value {v}");
                assert_eq!(hist.lowest_equivalent(v), v, "value {v}");
            }
        }
    }

    #[test]
    fn interval_quantile_is_the_upper_end_of_its_bucket_and_clears() {
        let mut h = IntervalHistogram::default();
        assert_eq!(h.take_quantile_s(0.99), None);
        for ms in 1..=1000u64 {
            h.record(SimTime(ms * 1_000_000));
        }
        // The 990th smallest of 1..=1000 ms is 990 ms; its bucket ends at most 1/128 above.
        let p99 = h.take_quantile_s(0.99).unwrap();
        assert!(
            (0.990..=0.990 * (1.0 + 1.0 / 128.0)).contains(&p99),
            "{p99}"
        );
        assert_eq!(h.take_quantile_s(0.99), None, "cleared");
        // Every value lies at or below the upper end of its bucket, within 1/128.
        for ns in [
            0u64,
            1,
            2,
            3,
            127,
            128,
            129,
            999_999,
            1_000_000_007,
            HIGHEST_NS,
            u64::MAX,
        ] {
            h.record(SimTime(ns));
            let upper = h.take_quantile_s(1.0).unwrap() * 1e9;
            let v = ns.clamp(1, HIGHEST_NS) as f64;
            assert!(
                v < upper * (1.0 + 1e-12) && upper <= v * (1.0 + 1.0 / 128.0) + 1e-6,
                "{ns}: {upper}"
            );
        }
        // The median of 3 records of 1 ms and 1 of 1 s is the 2nd smallest, 1 ms.
        for ns in [1_000_000u64, 1_000_000_000, 1_000_000, 1_000_000] {
            h.record(SimTime(ns));
        }
        let p50 = h.take_quantile_s(0.5).unwrap();
        assert!((0.001..0.001 * (1.0 + 1.0 / 128.0)).contains(&p50), "{p50}");
    }
}
