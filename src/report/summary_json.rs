//! `summary.json`: `{"scenario", "seed", "trials", "metrics": {name: {mean, std, ci95_low,
//! ci95_high, min, max, trials, pooled}}}` (DESIGN section 6), plus the nines version and
//! whether a precision target was met. Nothing in it depends on wall-clock time or
//! thread count, so a rerun gives the same bytes.

use std::collections::BTreeMap;

use serde::Serialize;

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
}

/// The pretty-printed JSON text, ending in a newline.
pub fn summary_json(doc: &SummaryJson<'_>) -> String {
    let mut s = serde_json::to_string_pretty(doc).expect("plain data serialises");
    s.push('\n');
    s
}
