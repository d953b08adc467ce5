//! `report.md` of a run: the question, the assumptions, the headline metrics with their
//! 95% CIs, the downtime by cause and the figures — ready to paste into a design review.
//!
//! Invariant: it is a function of `summary.json` alone ([`SummaryFile`]), so `nines report
//! DIR` rebuilds exactly what `nines run` wrote.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;

use super::summary_json::RunContext;
use super::table::SHOWN;
use super::{cell, format_number};
use crate::stats::{CauseShare, MetricSummary};

/// `summary.json` as read back.
#[derive(Debug, Deserialize)]
pub struct SummaryFile {
    pub scenario: String,
    pub seed: u64,
    pub trials: usize,
    pub converged: bool,
    pub metrics: BTreeMap<String, MetricSummary>,
    pub downtime_by_cause: Vec<CauseShare>,
    /// Absent in results written before nines wrote report.md.
    #[serde(default)]
    pub context: RunContext,
}

/// Figure titles, by file name.
const FIGURES: [(&str, &str); 4] = [
    ("latency", "Request latency"),
    ("timeseries", "Time series"),
    ("outage_durations", "Outage durations"),
    ("downtime_by_cause", "Downtime by cause"),
];

/// A duration in the largest unit that keeps it >= 1 (years of 365 days).
fn duration(s: f64) -> String {
    let units = [
        (365.0 * 86_400.0, "years"),
        (86_400.0, "days"),
        (3_600.0, "hours"),
        (60.0, "minutes"),
    ];
    units
        .iter()
        .find(|(per, _)| s >= *per)
        .map(|(per, name)| {
            let n = s / per;
            let name = if n == 1.0 {
                name.trim_end_matches('s')
            } else {
                name
            };
            format!("{} {name}", format_number(n))
        })
        .unwrap_or_else(|| format!("{} s", format_number(s)))
}

/// The report text.
pub fn run_report(s: &SummaryFile) -> String {
    let c = &s.context;
    let mut md = String::new();
    let _ = writeln!(md, "# {}\n", s.scenario);
    if let Some(d) = &c.description {
        let _ = writeln!(md, "{d}\n");
    }
    let _ = writeln!(md, "## Assumptions\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(
        md,
        "| trials | {} (seed {}){} |",
        s.trials,
        s.seed,
        if s.converged {
            ""
        } else {
            "; precision target not met"
        }
    );
    let _ = writeln!(
        md,
        "| horizon | {} per trial, the first {} warm-up (not measured) |",
        duration(c.horizon_s),
        duration(c.warmup_s)
    );
    let _ = writeln!(md, "| fidelity | {} |", c.fidelity);
    match c.rate_per_s {
        Some(r) => {
            let _ = writeln!(
                md,
                "| workload | {} requests/s into `{}` |",
                format_number(r),
                c.entry
            );
        }
        None => {
            let _ = writeln!(md, "| workload | none (entry service `{}`) |", c.entry);
        }
    }
    if !c.services.is_empty() {
        let _ = writeln!(
            md,
            "\n| service | nodes | concurrency | mean service time | balancer | redundancy | failure modes | cost per node-hour |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|---|---|");
        for v in &c.services {
            let _ = writeln!(
                md,
                "| `{}` | {} | {} | {} | {} | {} | {} | {} |",
                v.name,
                v.nodes,
                v.concurrency,
                v.service_time_mean_s.map_or("infinite".into(), |m| format!(
                    "{} ms",
                    format_number(m * 1e3)
                )),
                v.balancer,
                v.redundancy,
                v.failure_modes,
                format_number(v.cost_per_hour)
            );
        }
    }
    let _ = writeln!(md, "\n## Results (mean [95% CI] over trials)\n");
    let _ = writeln!(md, "| metric | mean [95% CI] |\n|---|---|");
    // Without requests, the request metrics are zeros that mean nothing.
    let request_metric = |n: &str| ["throughput_rps", "utilization"].contains(&n);
    for name in SHOWN.iter().chain(&["cost_per_year"]) {
        if c.rate_per_s.is_none() && request_metric(name) {
            continue;
        }
        if let Some(m) = s.metrics.get(*name).filter(|m| m.mean.is_some()) {
            let _ = writeln!(md, "| `{name}` | {} |", cell(Some(m)));
        }
    }
    if !s.downtime_by_cause.is_empty() {
        let _ = writeln!(md, "\n## Downtime by cause (entry service)\n");
        let _ = writeln!(md, "| cause | minutes per year | share |\n|---|---|---|");
        for d in &s.downtime_by_cause {
            let _ = writeln!(
                md,
                "| {} | {} | {:.1}% |",
                d.cause,
                format_number(d.minutes_per_year),
                d.share * 100.0
            );
        }
    }
    let figures: Vec<(&str, &str)> = FIGURES
        .iter()
        .copied()
        .filter(|(f, _)| c.figures.iter().any(|g| g == f))
        .collect();
    if !figures.is_empty() {
        let _ = writeln!(md, "\n## Figures\n");
        for (file, title) in figures {
            let _ = writeln!(md, "![{title}]({file}.png)\n");
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ServiceContext;

    fn summary(m: f64, lo: f64, hi: f64) -> MetricSummary {
        MetricSummary {
            mean: Some(m),
            std: Some(0.0),
            ci95_low: Some(lo),
            ci95_high: Some(hi),
            min: Some(lo),
            max: Some(hi),
            trials: 8,
            pooled: false,
        }
    }

    #[test]
    fn the_report_format() {
        let file = SummaryFile {
            scenario: "shop".into(),
            seed: 7,
            trials: 8,
            converged: true,
            metrics: BTreeMap::from([
                ("availability".to_string(), summary(0.9995, 0.9993, 0.9997)),
                ("latency_p99_s".to_string(), summary(0.12, 0.11, 0.13)),
                ("cost_per_year".to_string(), summary(8935.2, 8935.2, 8935.2)),
                ("sim_events".to_string(), summary(1e6, 1e6, 1e6)),
            ]),
            downtime_by_cause: vec![CauseShare {
                cause: "db: host".into(),
                minutes_per_year: 262.8,
                share: 1.0,
            }],
            context: RunContext {
                description: Some("Is it fast enough?".into()),
                horizon_s: 3_600.0,
                warmup_s: 60.0,
                fidelity: "requests".into(),
                entry: "web".into(),
                rate_per_s: Some(400.0),
                services: vec![ServiceContext {
                    name: "web".into(),
                    nodes: 4,
                    concurrency: 4,
                    service_time_mean_s: Some(0.02),
                    balancer: "power_of_two".into(),
                    redundancy: "active_active (min_healthy 1)".into(),
                    failure_modes: 1,
                    cost_per_hour: 0.17,
                }],
                figures: vec!["latency".into(), "downtime_by_cause".into()],
            },
        };
        let expected = "\
# shop

Is it fast enough?

## Assumptions

| | |
|---|---|
| trials | 8 (seed 7) |
| horizon | 1 hour per trial, the first 1 minute warm-up (not measured) |
| fidelity | requests |
| workload | 400 requests/s into `web` |

| service | nodes | concurrency | mean service time | balancer | redundancy | failure modes | cost per node-hour |
|---|---|---|---|---|---|---|---|
| `web` | 4 | 4 | 20 ms | power_of_two | active_active (min_healthy 1) | 1 | 0.17 |

## Results (mean [95% CI] over trials)

| metric | mean [95% CI] |
|---|---|
| `availability` | 0.9995 [0.9993, 0.9997] |
| `latency_p99_s` | 0.12 [0.11, 0.13] |
| `cost_per_year` | 8935.2 [8935.2, 8935.2] |

## Downtime by cause (entry service)

| cause | minutes per year | share |
|---|---|---|
| db: host | 262.8 | 100.0% |

## Figures

![Request latency](latency.png)

![Downtime by cause](downtime_by_cause.png)

";
        assert_eq!(run_report(&file), expected);
    }
}
