//! `nines run FILE`: simulate and write the result directory.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};

use crate::model::Model;
use crate::montecarlo::{self, Plan};
use crate::report::{self, OutputDir};
use crate::scenario::Scenario;

/// Arguments of `nines run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The scenario file.
    file: PathBuf,
    /// Change a key before validating, e.g. `--set services.web.nodes=6` or
    /// `--set 'services.web.zones=["a","b"]'` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Trials to run (overrides `[run] trials`).
    #[arg(long)]
    trials: Option<u32>,
    /// Master seed (overrides `[run] seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Output directory (default `results/<scenario name>/`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write into a directory that holds files nines did not write (they are kept).
    #[arg(long)]
    force: bool,
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let mut scenario = match super::load_or_report(&args.file, &args.set) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    if let Some(t) = args.trials {
        anyhow::ensure!(t >= 1, "--trials must be at least 1");
        scenario.run.trials = t;
        scenario.run.max_trials = scenario.run.max_trials.max(t);
    }
    if let Some(s) = args.seed {
        scenario.run.seed = s;
    }
    anyhow::ensure!(args.threads != Some(0), "--threads must be at least 1");
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&scenario.name));
    // Refuse a bad output directory before spending time on trials.
    let mut out = OutputDir::prepare(&out_dir, args.force)?;

    let plan = Plan {
        trials: scenario.run.trials as u64,
        target_rel_ci: scenario.run.target_rel_ci,
        max_trials: scenario.run.max_trials as u64,
        threads: args.threads,
    };
    let progress = progress_bar(&scenario, &plan);
    let model = Model::new(&scenario);
    let outcome = montecarlo::run(&model, &plan, progress.as_ref())?;
    if let Some(p) = progress {
        p.finish_and_clear();
    }

    let result = report::RunResult {
        scenario: &scenario,
        model: &model,
        outcome: &outcome,
    };
    report::write_run_files(&mut out, &result)?;
    let written = out.commit()?;

    println!(
        "{}: {} trials, seed {}",
        scenario.name,
        outcome.trials.len(),
        scenario.run.seed
    );
    if !outcome.converged {
        println!(
            "note: target_rel_ci not met within max_trials = {}",
            plan.max_trials
        );
    }
    print!(
        "{}",
        report::render_table(&outcome.summary, &result.causes())
    );
    println!("wrote {}", written.display());
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on an interactive terminal only (never in CI or when piped).
fn progress_bar(scenario: &Scenario, plan: &Plan) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
        return None;
    }
    let bar = ProgressBar::new(plan.max_trials.max(plan.trials));
    let style = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} trials ({eta})").ok()?;
    bar.set_style(style.progress_chars("=> "));
    bar.set_message(scenario.name.clone());
    Some(bar)
}
