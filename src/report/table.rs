//! The compact table `nines run` prints: the headline metrics with their 95% CIs.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::format_number;
use crate::stats::{CauseShare, MetricSummary};

/// Metrics shown, in order, when defined.
pub const SHOWN: [&str; 25] = [
    "availability",
    "nines",
    "downtime_minutes_per_year",
    "outages_per_year",
    "outage_duration_mean_s",
    "request_success_ratio",
    "throughput_rps",
    "latency_mean_s",
    "latency_p50_s",
    "latency_p95_s",
    "latency_p99_s",
    "latency_p999_s",
    "wait_mean_s",
    "wait_probability",
    "utilization",
    "dropped_ratio",
    "timeout_ratio",
    "data_loss_events_per_year",
    "data_loss_probability",
    "durability",
    "durability_nines",
    "chunks_lost_mean",
    "rpo_mean_s",
    "rpo_max_s",
    "rto_mean_s",
];

/// The table as text: metric, mean, and the 95% CI; then where the downtime came from.
pub fn render_table(metrics: &BTreeMap<String, MetricSummary>, causes: &[CauseShare]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:<24} {:>12}   95% CI", "metric", "mean");
    // Without any outage, one availability row says it all.
    let no_outage = metrics
        .get("availability")
        .is_some_and(|a| a.min == Some(1.0));
    let outage_rows = [
        "nines",
        "downtime_minutes_per_year",
        "outages_per_year",
        "outage_duration_mean_s",
    ];
    for name in SHOWN {
        if no_outage && outage_rows.contains(&name) {
            continue;
        }
        let Some(s) = metrics.get(name) else { continue };
        let Some(mean) = s.mean else { continue };
        let ci = match (s.ci95_low, s.ci95_high) {
            (Some(lo), Some(hi)) => format!("[{}, {}]", format_number(lo), format_number(hi)),
            _ => "(one trial: no CI)".to_string(),
        };
        let _ = writeln!(out, "{:<24} {:>12}   {}", name, format_number(mean), ci);
    }
    if !causes.is_empty() {
        let _ = writeln!(out, "downtime by cause:");
        for c in causes {
            let _ = writeln!(
                out,
                "  {:>5.1}%  {:>12} min/year  {}",
                c.share * 100.0,
                format_number(c.minutes_per_year),
                c.cause
            );
        }
    }
    out
}
