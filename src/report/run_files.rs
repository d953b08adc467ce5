//! The files of one run's result directory, written from a finished [`Outcome`]: the one
//! place that decides what a result directory holds (`nines run` and anything that
//! rebuilds a run's result call it).

use std::collections::BTreeMap;

use super::{
    OutputDir, RunContext, ServiceContext, SummaryFile, SummaryJson, plot, run_report,
    summary_json, write_outages_csv, write_summary_csv, write_timeseries_csv, write_trials_csv,
};
use crate::model::{Model, series_columns};
use crate::montecarlo::Outcome;
use crate::scenario::{Redundancy, Scenario};
use crate::stats::{CauseShare, MetricSummary, downtime_by_cause};

/// What a run's files are made from.
pub struct RunResult<'a> {
    pub scenario: &'a Scenario,
    pub model: &'a Model,
    pub outcome: &'a Outcome,
}

impl RunResult<'_> {
    /// The entry service's downtime by cause, largest first.
    pub fn causes(&self) -> Vec<CauseShare> {
        downtime_by_cause(
            &self.model.causes,
            &self.outcome.trials,
            self.model.measured_s(),
        )
    }

    /// The metric summaries.
    pub fn metrics(&self) -> &BTreeMap<String, MetricSummary> {
        &self.outcome.summary
    }
}

/// Writes summary.json, summary.csv, trials.csv, timeseries.csv and outages.csv into `out`,
/// and the figures that have something to show (see [`write_run_plots`]).
pub fn write_run_files(out: &mut OutputDir, run: &RunResult<'_>) -> anyhow::Result<()> {
    let (scenario, model, outcome) = (run.scenario, run.model, run.outcome);
    let causes = run.causes();
    let figures = write_run_plots(out, run)?;
    let doc = SummaryJson {
        scenario: &scenario.name,
        nines_version: env!("CARGO_PKG_VERSION"),
        seed: scenario.run.seed,
        trials: outcome.trials.len(),
        converged: outcome.converged,
        metrics: &outcome.summary,
        downtime_by_cause: &causes,
        context: context(scenario, figures),
    };
    let text = summary_json(&doc);
    out.write("summary.json", text.as_bytes())?;
    // report.md from summary.json's text, as `nines report DIR` reads it.
    let file: SummaryFile = serde_json::from_str(&text)?;
    out.write("report.md", run_report(&file).as_bytes())?;
    let mut csv = Vec::new();
    write_summary_csv(&mut csv, &outcome.summary)?;
    out.write("summary.csv", &csv)?;
    let mut csv = Vec::new();
    write_trials_csv(&mut csv, &outcome.trials)?;
    out.write("trials.csv", &csv)?;
    let mut csv = Vec::new();
    write_timeseries_csv(&mut csv, &series_columns(model), &outcome.timeseries)?;
    out.write("timeseries.csv", &csv)?;
    let mut csv = Vec::new();
    let names: Vec<String> = model.services.iter().map(|s| s.name.clone()).collect();
    write_outages_csv(&mut csv, &names, &model.causes, &outcome.trials)?;
    out.write("outages.csv", &csv)?;
    Ok(())
}

/// The question and the key parameters of `scenario`, for summary.json and report.md.
fn context(scenario: &Scenario, figures: Vec<String>) -> RunContext {
    let services = scenario
        .services
        .iter()
        .map(|s| ServiceContext {
            name: s.name.clone(),
            nodes: s.nodes,
            concurrency: s.concurrency,
            service_time_mean_s: Some(s.service_time.mean_s()).filter(|m| m.is_finite()),
            balancer: snake_case(&format!("{:?}", s.balancer)),
            redundancy: match &s.redundancy {
                Redundancy::ActiveActive { min_healthy } => {
                    format!("active_active (min_healthy {min_healthy})")
                }
                Redundancy::ActiveStandby { failover } => {
                    format!("active_standby (failover {} s)", failover.as_secs_f64())
                }
                Redundancy::Quorum => "quorum".into(),
            },
            failure_modes: s.failures.len(),
            cost_per_hour: s.cost_per_hour,
        })
        .collect();
    RunContext {
        description: scenario.description.clone(),
        horizon_s: scenario.run.horizon.as_secs_f64(),
        warmup_s: scenario.run.warmup.as_secs_f64(),
        fidelity: match (scenario.workload.rate_per_s, scenario.run.fidelity) {
            (None, _) => "availability only".into(),
            (Some(_), crate::scenario::Fidelity::Request) => "requests".into(),
            (Some(_), crate::scenario::Fidelity::Capacity) => {
                format!("capacity (rate step {})", scenario.run.capacity_step)
            }
        },
        entry: scenario.services[scenario.workload.entry].name.clone(),
        rate_per_s: scenario.workload.rate_per_s,
        services,
        figures,
    }
}

/// `PowerOfTwo` (or `WeightedRoundRobin { .. }`) -> `power_of_two`.
fn snake_case(debug: &str) -> String {
    let mut out = String::new();
    for c in debug.chars().take_while(|c| c.is_alphanumeric()) {
        if c.is_uppercase() && !out.is_empty() {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Writes each figure as `<name>.png` and `<name>.svg`: `latency` when there were
/// requests, `timeseries` when there are samples, `outage_durations` when there were
/// outages, `downtime_by_cause` when there was downtime.
/// Returns the names written.
pub fn write_run_plots(out: &mut OutputDir, run: &RunResult<'_>) -> anyhow::Result<Vec<String>> {
    let (model, outcome) = (run.model, run.outcome);
    let mut names = Vec::new();
    if let Some(fig) = plot::LatencyCdf::from_histograms(&outcome.histograms) {
        names.push(write_figure(out, "latency", &fig)?);
    }
    if let Some(fig) = plot::TimeSeries::new(&series_columns(model), &outcome.timeseries) {
        names.push(write_figure(out, "timeseries", &fig)?);
    }
    if let Some(fig) = plot::OutageDurations::from_trials(&outcome.trials) {
        names.push(write_figure(out, "outage_durations", &fig)?);
    }
    if let Some(fig) =
        plot::DowntimeByCause::from_trials(&model.causes, &outcome.trials, model.measured_s())
    {
        names.push(write_figure(out, "downtime_by_cause", &fig)?);
    }
    Ok(names)
}

/// Writes `<name>.png` and `<name>.svg` of `figure`; returns `name`.
pub fn write_figure(
    out: &mut OutputDir,
    name: &str,
    figure: &impl plot::Figure,
) -> anyhow::Result<String> {
    let rendered = plot::render(figure)?;
    out.write(&format!("{name}.png"), &rendered.png)?;
    out.write(&format!("{name}.svg"), rendered.svg.as_bytes())?;
    Ok(name.to_string())
}
