//! Trials in parallel: each trial is a pure function of (model, trial index), run on a
//! rayon pool and gathered in trial order, so the result is the same for any thread count.
//! With `target_rel_ci`, batches of trials are added until every headline metric is
//! precise enough (or `max_trials` is reached); the batches do not depend on threads either.
//! Trials run in chunks of at most [`CHUNK`], whose time series are summed in trial order
//! and dropped, so memory does not grow with the number of trials beyond one scalar row each.

use std::collections::BTreeMap;

use indicatif::ProgressBar;
use rayon::prelude::*;

use crate::metrics::{LatencyHistogram, TrialResult};
use crate::model::{Model, run_trial};
use crate::stats::{MetricSummary, add_nines, summarize};

/// Metrics the stopping rule watches (those defined in a run).
pub const HEADLINE_METRICS: [&str; 5] = [
    "downtime_minutes_per_year",
    "request_success_ratio",
    "latency_mean_s",
    "latency_p99_s",
    "throughput_rps",
];

/// How many trials, on how many threads.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Trials in the first (or only) batch.
    pub trials: u64,
    /// With `Some(target)`, keep adding batches of `trials` until every headline metric's
    /// relative CI half-width is <= target, up to `max_trials`.
    pub target_rel_ci: Option<f64>,
    pub max_trials: u64,
    /// Worker threads (None: rayon's default, one per core).
    pub threads: Option<usize>,
}

/// Trials run in parallel at once, at most.
pub const CHUNK: u64 = 256;

/// Every trial's observations, in trial order, and the histograms merged over them.
pub struct Outcome {
    /// Per-trial observations (histograms and time series moved out).
    pub trials: Vec<TrialResult>,
    pub histograms: BTreeMap<String, LatencyHistogram>,
    /// The time series averaged over trials, row-major (columns: `model::series_columns`).
    pub timeseries: Vec<f64>,
    pub summary: BTreeMap<String, MetricSummary>,
    /// Whether the stopping rule's target was met (always true without a target).
    pub converged: bool,
}

/// Runs the plan's trials of `model`.
pub fn run(model: &Model, plan: &Plan, progress: Option<&ProgressBar>) -> anyhow::Result<Outcome> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = plan.threads {
        builder = builder.num_threads(t);
    }
    let pool = builder.build()?;
    let mut trials: Vec<TrialResult> = Vec::new();
    let mut histograms = BTreeMap::new();
    let mut series = SeriesSum::default();
    loop {
        let start = trials.len() as u64;
        let end = (start + plan.trials).min(plan.max_trials.max(plan.trials));
        for chunk_start in (start..end).step_by(CHUNK as usize) {
            let chunk = chunk_start..(chunk_start + CHUNK).min(end);
            let (mut batch, batch_hists) = pool.install(|| run_batch(model, chunk, progress));
            for t in &mut batch {
                series.add(&std::mem::take(&mut t.timeseries));
            }
            trials.extend(batch);
            merge_into(&mut histograms, batch_hists);
        }
        let mut summary = summarize(&trials, &histograms);
        add_nines(&mut summary);
        let converged = plan
            .target_rel_ci
            .is_none_or(|target| precise_enough(&summary, target));
        if converged || end >= plan.max_trials {
            let timeseries = series.mean();
            return Ok(Outcome {
                trials,
                histograms,
                timeseries,
                summary,
                converged,
            });
        }
    }
}

/// Time-series sums over trials, cell by cell, leaving out values undefined in a trial
/// (NaN); added in trial order, so the floating-point sums are the same for any thread count.
#[derive(Default)]
pub struct SeriesSum {
    sum: Vec<f64>,
    defined: Vec<u32>,
}

impl SeriesSum {
    /// Adds one trial's rows.
    pub fn add(&mut self, rows: &[f64]) {
        if self.sum.is_empty() {
            self.sum.resize(rows.len(), 0.0);
            self.defined.resize(rows.len(), 0);
        }
        for ((s, n), v) in self.sum.iter_mut().zip(&mut self.defined).zip(rows) {
            if v.is_finite() {
                *s += v;
                *n += 1;
            }
        }
    }

    /// The mean of each cell over the trials that define it (NaN where none does).
    pub fn mean(&self) -> Vec<f64> {
        self.sum
            .iter()
            .zip(&self.defined)
            .map(|(s, &n)| if n > 0 { s / n as f64 } else { f64::NAN })
            .collect()
    }
}

/// Whether every defined headline metric's relative CI half-width is at most `target`.
fn precise_enough(summary: &BTreeMap<String, MetricSummary>, target: f64) -> bool {
    HEADLINE_METRICS
        .iter()
        .filter_map(|m| summary.get(*m))
        .filter(|s| s.mean.is_some_and(|m| m != 0.0))
        .all(|s| s.relative_half_width().is_some_and(|w| w <= target))
}

/// Trials `range` in parallel. Observations come back in trial order; histograms are
/// merged by integer addition, which does not depend on the order of merging.
pub fn run_batch(
    model: &Model,
    range: std::ops::Range<u64>,
    progress: Option<&ProgressBar>,
) -> (Vec<TrialResult>, BTreeMap<String, LatencyHistogram>) {
    let (mut trials, histograms) = range
        .into_par_iter()
        .map(|i| {
            let mut result = run_trial(model, i);
            let hists = std::mem::take(&mut result.histograms);
            if let Some(p) = progress {
                p.inc(1);
            }
            (vec![result], hists)
        })
        .reduce(
            || (Vec::new(), BTreeMap::new()),
            |(mut a, mut ha), (b, hb)| {
                a.extend(b);
                merge_into(&mut ha, hb);
                (a, ha)
            },
        );
    trials.sort_by_key(|t| t.trial);
    (trials, histograms)
}

/// Adds every histogram of `from` into the same-named one of `into`.
pub fn merge_into(
    into: &mut BTreeMap<String, LatencyHistogram>,
    from: BTreeMap<String, LatencyHistogram>,
) {
    for (name, h) in from {
        match into.get_mut(&name) {
            Some(existing) => existing.merge(&h),
            None => {
                into.insert(name, h);
            }
        }
    }
}
