//! Trials in parallel: each trial is a pure function of (model, trial index), run on a
//! rayon pool and gathered in trial order, so the result is the same for any thread count.
//! With `target_rel_ci`, batches of trials are added until every headline metric is
//! precise enough (or `max_trials` is reached); the batches do not depend on threads either.
//! Trials run in chunks of at most [`CHUNK`], whose time series are summed in trial order
//! and dropped, so memory does not grow with the number of trials beyond one scalar row each.
//! A shard ([`shard`]) runs every N-th trial of a run and keeps them whole for the merge
//! ([`shard_file`]), which gathers them through [`Gathered`] as a full run does.

pub mod shard;
pub mod shard_file;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::ProgressBar;
use rayon::prelude::*;

use crate::metrics::{LatencyHistogram, TrialResult};
use crate::model::{Backlog, Model, run_trial_reporting};
use crate::stats::{MetricSummary, add_durability, add_nines, summarize};
use crate::time::SimTime;

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
    let pool = thread_pool(plan.threads)?;
    let mut gathered = Gathered::default();
    loop {
        let start = gathered.len();
        let end = (start + plan.trials).min(plan.max_trials.max(plan.trials));
        for chunk_start in (start..end).step_by(CHUNK as usize) {
            let chunk = chunk_start..(chunk_start + CHUNK).min(end);
            let (batch, batch_hists) = pool.install(|| run_batch(model, chunk, progress))?;
            gathered.add(batch, batch_hists);
        }
        let summary = gathered.summary();
        let converged = plan
            .target_rel_ci
            .is_none_or(|target| precise_enough(&summary, target));
        if converged || end >= plan.max_trials {
            return Ok(gathered.finish(summary, converged));
        }
    }
}

/// The trials of `shard` out of a run of `trials`, in trial order with their time series,
/// and their histograms merged.
pub fn run_shard(
    model: &Model,
    shard: shard::ShardSpec,
    trials: u64,
    threads: Option<usize>,
    progress: Option<&ProgressBar>,
) -> anyhow::Result<(Vec<TrialResult>, BTreeMap<String, LatencyHistogram>)> {
    let pool = thread_pool(threads)?;
    let indices: Vec<u64> = shard.trials(trials).collect();
    let mut results = Vec::with_capacity(indices.len());
    let mut histograms = BTreeMap::new();
    for chunk in indices.chunks(CHUNK as usize) {
        let (batch, batch_hists) = pool.install(|| run_batch(model, chunk.to_vec(), progress))?;
        results.extend(batch);
        merge_into(&mut histograms, batch_hists);
    }
    Ok((results, histograms))
}

/// A rayon pool of `threads` workers (None: one per core).
pub fn thread_pool(threads: Option<usize>) -> anyhow::Result<rayon::ThreadPool> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        builder = builder.num_threads(t);
    }
    Ok(builder.build()?)
}

/// Trials gathered in trial order: their time series summed in that order, their
/// histograms merged by integer addition. The one place an [`Outcome`] is built, both by
/// [`run`] and by merging shards, so the two give the same floating-point results.
#[derive(Default)]
pub struct Gathered {
    trials: Vec<TrialResult>,
    histograms: BTreeMap<String, LatencyHistogram>,
    series: SeriesSum,
}

impl Gathered {
    /// Appends `batch`, whose trials follow every trial already added, in trial order, and
    /// merges `histograms` (theirs, or any histograms of the same trials).
    pub fn add(&mut self, batch: Vec<TrialResult>, histograms: BTreeMap<String, LatencyHistogram>) {
        self.trials.reserve(batch.len());
        for mut t in batch {
            debug_assert!(
                self.trials.last().is_none_or(|last| last.trial < t.trial),
                "trials gathered out of order"
            );
            self.series.add(&std::mem::take(&mut t.timeseries));
            self.trials.push(t);
        }
        merge_into(&mut self.histograms, histograms);
    }

    /// Trials gathered so far.
    pub fn len(&self) -> u64 {
        self.trials.len() as u64
    }

    /// Whether no trial was gathered.
    pub fn is_empty(&self) -> bool {
        self.trials.is_empty()
    }

    /// The metric summaries over the trials gathered so far.
    pub fn summary(&self) -> BTreeMap<String, MetricSummary> {
        let mut summary = summarize(&self.trials, &self.histograms);
        add_nines(&mut summary);
        add_durability(&mut summary);
        summary
    }

    /// The outcome, with `summary` (from [`Gathered::summary`]) and the time series averaged.
    pub fn finish(self, summary: BTreeMap<String, MetricSummary>, converged: bool) -> Outcome {
        let timeseries = self.series.mean();
        Outcome {
            trials: self.trials,
            histograms: self.histograms,
            timeseries,
            summary,
            converged,
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

/// A trial's length on a progress bar: the bar counts thousandths of a trial, so that a
/// run of one long trial moves as it goes.
pub const PROGRESS_PER_TRIAL: u64 = 1_000;

/// How far along its trial `now` is, in [`PROGRESS_PER_TRIAL`] units (all of it at the
/// horizon and past it).
fn progress_units(now: SimTime, horizon: SimTime) -> u64 {
    if now >= horizon {
        return PROGRESS_PER_TRIAL;
    }
    (now.0 as u128 * PROGRESS_PER_TRIAL as u128 / horizon.0 as u128) as u64
}

/// Trials `indices` (a range, or a shard's indices) in parallel. Observations come back in
/// trial order; histograms are merged by integer addition, which does not depend on the
/// order of merging. A trial whose backlog outgrew the limit stops the batch with the
/// error of the lowest such trial, whatever the thread count: trials after a failed one
/// are not started.
pub fn run_batch<I: IntoParallelIterator<Item = u64>>(
    model: &Model,
    indices: I,
    progress: Option<&ProgressBar>,
) -> Result<(Vec<TrialResult>, BTreeMap<String, LatencyHistogram>), Backlog> {
    type Batch = (Vec<TrialResult>, BTreeMap<String, LatencyHistogram>);
    // The lowest trial that failed so far; `None` errors are trials skipped after it.
    let first_failed = AtomicU64::new(u64::MAX);
    let (mut trials, histograms) = indices
        .into_par_iter()
        .map(|i| -> Result<Batch, Option<Backlog>> {
            if i > first_failed.load(Ordering::Relaxed) {
                return Err(None);
            }
            // The bar moves as the trial's simulated time passes (in thousandths of a
            // trial), and by what is left when it ends.
            let shown = std::cell::Cell::new(0);
            let reached = |now: SimTime| {
                if let Some(p) = progress {
                    let units = progress_units(now, model.horizon);
                    p.inc(units.saturating_sub(shown.replace(units)));
                }
            };
            let result = run_trial_reporting(model, i, &reached);
            if let Some(p) = progress {
                p.inc(PROGRESS_PER_TRIAL.saturating_sub(shown.get()));
            }
            let mut result = result.map_err(|e| {
                first_failed.fetch_min(i, Ordering::Relaxed);
                Some(e)
            })?;
            let hists = std::mem::take(&mut result.histograms);
            Ok((vec![result], hists))
        })
        .reduce(
            || Ok((Vec::new(), BTreeMap::new())),
            |a, b| match (a, b) {
                (Ok((mut a, mut ha)), Ok((b, hb))) => {
                    a.extend(b);
                    merge_into(&mut ha, hb);
                    Ok((a, ha))
                }
                (Err(Some(e)), Err(Some(f))) => Err(Some(if e.trial <= f.trial { e } else { f })),
                (Err(Some(e)), _) | (_, Err(Some(e))) => Err(Some(e)),
                (Err(None), _) | (_, Err(None)) => Err(None),
            },
        )
        .map_err(|e| e.expect("a trial is skipped only after one failed"))?;
    trials.sort_by_key(|t| t.trial);
    Ok((trials, histograms))
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
