//! Per-trial measurement: time-weighted integrals, latency histograms, and the
//! [`TrialResult`] a trial hands to the Monte Carlo layer.
//!
//! Invariant: memory does not grow with the horizon — integrals and histograms, never
//! stored samples. Only time after the warmup counts.

mod histogram;
mod time_weighted;
mod trial;

pub use histogram::{IntervalHistogram, LatencyHistogram, LatencyRecorder};
pub use time_weighted::TimeWeighted;
pub use trial::{Observation, OutageRecord, TrialResult};
