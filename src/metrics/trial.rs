//! What one trial reports: named observations plus the histograms percentiles come from.
//!
//! A boundary type: a shard result stores its trials (histograms apart) with serde, and
//! a merge reads them back; finite floats round-trip exactly through JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::LatencyHistogram;
use crate::time::SimTime;

/// One metric's outcome in one trial, typed by how it combines across trials.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Observation {
    /// A plain value; across trials, the arithmetic mean.
    Value(f64),
    /// `num / den`, undefined when `den == 0`; across trials the mean is pooled
    /// (Σnum / Σden) and the CI comes from the trials where it is defined.
    Ratio { num: f64, den: f64 },
    /// The q-quantile of the histogram named `histogram` (None when it is empty); across
    /// trials the mean is the same quantile of the merged histogram.
    Quantile {
        histogram: String,
        q: f64,
        value: Option<f64>,
    },
}

impl Observation {
    /// This trial's value, if defined.
    pub fn value(&self) -> Option<f64> {
        match self {
            Observation::Value(v) => Some(*v),
            Observation::Ratio { num, den } => (*den > 0.0).then(|| num / den),
            Observation::Quantile { value, .. } => *value,
        }
    }
}

/// Everything a trial measured.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TrialResult {
    /// Trial index (its seed is derived from it).
    pub trial: u64,
    /// Metric name -> observation. Names follow DESIGN section 5; per-service ones carry
    /// the prefix `services.<name>.`.
    pub metrics: BTreeMap<String, Observation>,
    /// Histogram name -> histogram; a `Quantile` metric `x_p99_s` reads histogram `x`.
    /// Not serialised: a shard stores its histograms merged, as their buckets.
    #[serde(skip)]
    pub histograms: BTreeMap<String, LatencyHistogram>,
    /// The trial's time series, row-major, columns as `model::series_columns` names them;
    /// NaN where a value is undefined in this trial (stored as null in shard files).
    #[serde(with = "nan_as_null")]
    pub timeseries: Vec<f64>,
    /// Every service outage of the trial, in the order they ended.
    pub outages: Vec<OutageRecord>,
    /// The entry service's down time after the warmup, in seconds, by cause id.
    pub downtime_by_cause_s: Vec<f64>,
}

/// One outage of one service.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutageRecord {
    /// Service index.
    pub service: u32,
    pub start: SimTime,
    /// The horizon when the outage was still in progress at the end of the trial.
    pub end: SimTime,
    /// Index into the model's cause labels.
    pub cause: u32,
}

/// Serialises undefined (NaN) values as JSON null and reads null back as NaN.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(values: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let cells: Vec<Option<f64>> = values.iter().map(|v| (!v.is_nan()).then_some(*v)).collect();
        cells.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        let cells: Vec<Option<f64>> = Vec::deserialize(d)?;
        Ok(cells.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
    }
}
