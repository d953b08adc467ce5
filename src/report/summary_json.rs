//! `summary.json`: `{"scenario", "seed", "trials", "metrics": {name: {mean, std, ci95_low,
//! ci95_high, min, max, trials, pooled}}}` (DESIGN section 6), plus the nines version and
//! whether a precision target was met. Nothing in it depends on wall-clock time or
//! thread count, so a rerun gives the same bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::stats::{CauseShare, MetricSummary};

/// The document written to `summary.json`.
#[derive(Debug, Serialize)]
pub struct SummaryJson<'a> {
    pub scenario: &'a str,
    pub nines_version: &'a str,
    pub seed: u64,
    pub trials: usize,
    /// Whether `target_rel_ci` was met (true when there is none).
    pub converged: bool,
    pub metrics: &'a BTreeMap<String, MetricSummary>,
    /// Where the entry service's downtime came from, largest share first.
    pub downtime_by_cause: &'a [CauseShare],
    /// What `report.md` needs besides the metrics, so `nines report DIR` can rebuild it
    /// from this file alone.
    pub context: RunContext,
}

/// The question and assumptions of a run, as written into `summary.json` (`"context"`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct RunContext {
    pub description: Option<String>,
    pub horizon_s: f64,
    pub warmup_s: f64,
    /// `"requests"` (every request simulated) or `"availability only"` (no workload rate:
    /// failures and repairs only).
    pub fidelity: String,
    pub entry: String,
    pub rate_per_s: Option<f64>,
    pub services: Vec<ServiceContext>,
    /// Figures written beside summary.json (names without extension).
    pub figures: Vec<String>,
}

/// One service's key parameters.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ServiceContext {
    pub name: String,
    pub nodes: u32,
    pub concurrency: u32,
    /// `None` when the mean is infinite (a Pareto shape <= 1): JSON has no infinity.
    pub service_time_mean_s: Option<f64>,
    pub balancer: String,
    pub redundancy: String,
    pub failure_modes: usize,
    pub cost_per_hour: f64,
}

/// The pretty-printed JSON text, ending in a newline.
pub fn summary_json(doc: &SummaryJson<'_>) -> String {
    let mut s = serde_json::to_string_pretty(doc).expect("plain data serialises");
    s.push('\n');
    s
}
