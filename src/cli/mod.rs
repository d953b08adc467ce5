//! The command line (clap): one file per command.

mod check;
mod merge;
mod plan;
mod report;
mod run;
mod schema;
mod sweep;
mod validate;

use crate::scenario::Change;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// nines: Monte Carlo discrete-event simulation for capacity and availability planning.
#[derive(Debug, Parser)]
#[command(name = "nines", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate a scenario's trials; write summary.json, the CSV files, figures and report.md.
    Run(run::RunArgs),
    /// Combine shard results (`run --shard`) into the result one full run gives.
    Merge(merge::MergeArgs),
    /// Validate a scenario file and report every problem in it.
    Check(check::CheckArgs),
    /// Run a scenario at every point of a grid of key values (same seed everywhere); write
    /// sweep.csv, sweep.json, plots and report.md.
    Sweep(sweep::SweepArgs),
    /// The cheapest design meeting [slo] over the [plan] table's decision variables; write
    /// plan.json, a cost-vs-SLO figure and report.md.
    Plan(plan::PlanArgs),
    /// Rebuild report.md of a run's result directory from its summary.json.
    Report(report::ReportArgs),
    /// Print the JSON Schema of the scenario file format.
    Schema,
    /// Simulate the analytic reference cases and compare with theory.
    Validate(validate::ValidateArgs),
}

/// A request nines cannot carry out as asked (a bad flag value, a missing table, an
/// `--out` it may not write, shards that do not make one run): exit status 2, like a
/// scenario error, where a failure while doing the work (a file system error, a runaway
/// queue) gives 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The exit status for an error that stopped a command: 2 for a usage error, else 1.
pub fn exit_status(e: &anyhow::Error) -> ExitCode {
    use crate::report::OutputError;
    let usage = e.chain().any(|c| {
        c.is::<UsageError>()
            || c.is::<crate::sweep::SweepError>()
            || c.is::<crate::montecarlo::shard::ShardError>()
            || c.is::<crate::montecarlo::shard_file::MergeError>()
            || matches!(
                c.downcast_ref::<OutputError>(),
                Some(
                    OutputError::NoName(_)
                        | OutputError::NotADirectory(_)
                        | OutputError::NotAResult(_)
                        | OutputError::Foreign { .. }
                        | OutputError::OtherResult { .. }
                        | OutputError::WouldOverwrite(_)
                )
            )
    });
    if usage {
        ExitCode::from(2)
    } else {
        ExitCode::FAILURE
    }
}

/// A `[sweep]` or `[plan]` table's error, placed at the entry it is about.
fn located(
    file: &std::path::Path,
    text: &str,
    table: &str,
    e: crate::sweep::SweepError,
) -> anyhow::Error {
    let place = match &e {
        crate::sweep::SweepError::Values { key, .. } => key
            .strip_prefix(&format!("{table}."))
            .map(|k| crate::scenario::table_entry_place(text, table, k)),
        _ => None,
    };
    let message = match place {
        Some((line, column)) => format!("{}:{line}:{column}: {e}", file.display()),
        None => format!("{}: {e}", file.display()),
    };
    UsageError(message).into()
}

/// `--set KEY=VALUE` arguments as changes.
fn command_line(sets: &[String]) -> Vec<Change> {
    sets.iter().map(Change::command_line).collect()
}

/// Runs the parsed command; the exit code says whether it succeeded.
pub fn execute(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Merge(args) => merge::merge(args),
        Command::Check(args) => check::check(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Plan(args) => plan::plan(args),
        Command::Report(args) => report::report(args),
        Command::Schema => schema::schema(),
        Command::Validate(args) => validate::validate(args),
    }
}

/// Reads a scenario with changes (`--set`, or a sweep's or plan's values), printing every
/// problem on stderr when it is invalid.
fn load_or_report(
    path: &std::path::Path,
    changes: &[Change],
) -> Result<crate::scenario::Scenario, ExitCode> {
    crate::scenario::load_with_changes(path, changes).map_err(|diagnostics| {
        eprintln!("{diagnostics}");
        let n = diagnostics.len();
        eprintln!(
            "{n} problem{} found in {}",
            if n == 1 { "" } else { "s" },
            path.display()
        );
        ExitCode::from(2)
    })
}
