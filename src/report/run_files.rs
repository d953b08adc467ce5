//! The files of one run's result directory, written from a finished [`Outcome`]: the one
//! place that decides what a result directory holds (`nines run` and anything that
//! rebuilds a run's result call it).

use std::collections::BTreeMap;

use super::{
    OutputDir, SummaryJson, plot, summary_json, write_outages_csv, write_summary_csv,
    write_timeseries_csv, write_trials_csv,
};
use crate::model::{Model, series_columns};
use crate::montecarlo::Outcome;
use crate::scenario::Scenario;
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
    let doc = SummaryJson {
        scenario: &scenario.name,
        nines_version: env!("CARGO_PKG_VERSION"),
        seed: scenario.run.seed,
        trials: outcome.trials.len(),
        converged: outcome.converged,
        metrics: &outcome.summary,
        downtime_by_cause: &causes,
    };
    out.write("summary.json", summary_json(&doc).as_bytes())?;
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
    write_run_plots(out, run)?;
    Ok(())
}

/// Writes each figure as `<name>.png` and `<name>.svg`: `latency` when there were
/// requests, `timeseries` when there are samples, `outage_durations` when there were
/// outages, `downtime_by_cause` when there was downtime.
pub fn write_run_plots(out: &mut OutputDir, run: &RunResult<'_>) -> anyhow::Result<()> {
    let (model, outcome) = (run.model, run.outcome);
    if let Some(fig) = plot::LatencyCdf::from_histograms(&outcome.histograms) {
        write_figure(out, "latency", &fig)?;
    }
    if let Some(fig) = plot::TimeSeries::new(&series_columns(model), &outcome.timeseries) {
        write_figure(out, "timeseries", &fig)?;
    }
    if let Some(fig) = plot::OutageDurations::from_trials(&outcome.trials) {
        write_figure(out, "outage_durations", &fig)?;
    }
    if let Some(fig) =
        plot::DowntimeByCause::from_trials(&model.causes, &outcome.trials, model.measured_s())
    {
        write_figure(out, "downtime_by_cause", &fig)?;
    }
    Ok(())
}

/// Writes `<name>.png` and `<name>.svg` of `figure`.
pub fn write_figure(
    out: &mut OutputDir,
    name: &str,
    figure: &impl plot::Figure,
) -> anyhow::Result<()> {
    let rendered = plot::render(figure)?;
    out.write(&format!("{name}.png"), &rendered.png)?;
    out.write(&format!("{name}.svg"), rendered.svg.as_bytes())?;
    Ok(())
}
