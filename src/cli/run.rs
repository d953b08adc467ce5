//! `nines run FILE`: simulate and write the result directory.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressState, ProgressStyle};

use crate::model::Model;
use crate::montecarlo::shard::{ShardArg, ShardSpec};
use crate::montecarlo::shard_file::{RunIdentity, SHARD_FILE, ScenarioSource, ShardFile, fnv1a64};
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
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=crate::scenario::MAX_TRIALS as i64))]
    trials: Option<u32>,
    /// Master seed (overrides `[run] seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    threads: Option<usize>,
    /// Output directory (default `results/<scenario name>/`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write into a directory that holds files nines did not write (they are kept).
    #[arg(long)]
    force: bool,
    /// Run only shard I of N: trials I, I+N, I+2N, ... (0-based), written as a shard result
    /// for `nines merge` (default --out `results/<name>-shard-I-of-N/`). `auto` reads the
    /// index from Slurm, a Kubernetes Indexed Job or AWS Batch.
    #[arg(long, value_name = "I/N|auto")]
    shard: Option<ShardArg>,
    /// The shard count for `--shard auto` where the scheduler does not state it
    /// (Kubernetes: the Job's completions); else NINES_SHARDS.
    #[arg(long, value_name = "N", requires = "shard")]
    shards: Option<u64>,
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let mut scenario = match super::load_or_report(&args.file, &super::command_line(&args.set)) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    if let Some(t) = args.trials {
        scenario.run.trials = t;
        scenario.run.max_trials = scenario.run.max_trials.max(t);
    }
    if let Some(s) = args.seed {
        scenario.run.seed = s;
    }
    if let Some(arg) = args.shard {
        let shard = match arg {
            ShardArg::Fixed(s) => s,
            ShardArg::Auto => ShardSpec::from_env(|k| std::env::var(k).ok(), args.shards)?,
        };
        return run_shard(&args, scenario, shard);
    }
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&scenario.name));
    // Refuse a bad output directory before spending time on trials.
    let mut out = OutputDir::prepare(&out_dir, args.force, &format!("run {}", scenario.name))?;

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

/// `--shard`: runs one shard's trials and writes its shard result.
fn run_shard(args: &RunArgs, scenario: Scenario, shard: ShardSpec) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        scenario.run.target_rel_ci.is_none(),
        super::UsageError(
            "--shard cannot be used with [run] target_rel_ci: that stopping rule decides how many \
         trials to run from the results so far, which no shard sees; set a fixed [run] trials \
         (or --trials) instead"
                .to_string()
        )
    );
    let text = scenario_text(&args.file, &args.set)?;
    // The scenario as the merge will rebuild it, from the same text.
    let mut scenario = crate::scenario::parse(&text, &args.file)
        .map_err(|d| anyhow::anyhow!("{}: {d}", args.file.display()))?;
    if let Some(t) = args.trials {
        scenario.run.trials = t;
    }
    if let Some(s) = args.seed {
        scenario.run.seed = s;
    }
    let trials = scenario.run.trials as u64;
    let out_dir = args.out.clone().unwrap_or_else(|| {
        Path::new("results").join(format!(
            "{}-shard-{}-of-{}",
            scenario.name, shard.index, shard.count
        ))
    });
    // A shard is not the full run: neither may replace the other, nor another shard.
    let owner = format!(
        "run --shard {}/{} {}",
        shard.index, shard.count, scenario.name
    );
    let mut out = OutputDir::prepare(&out_dir, args.force, &owner)?;
    let model = Model::new(&scenario);
    let plan = Plan {
        trials: shard.trials(trials).count() as u64,
        target_rel_ci: None,
        max_trials: 0,
        threads: args.threads,
    };
    let progress = progress_bar(&scenario, &plan);
    let (results, histograms) =
        montecarlo::run_shard(&model, shard, trials, args.threads, progress.as_ref())?;
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    let mut csv = Vec::new();
    report::write_trials_csv(&mut csv, &results)?;
    out.write("trials.csv", &csv)?;
    let file = ShardFile::new(
        RunIdentity {
            scenario: scenario.name.clone(),
            scenario_hash: fnv1a64(text.as_bytes()),
            seed: scenario.run.seed,
            trials,
            nines_version: env!("CARGO_PKG_VERSION").to_string(),
        },
        shard,
        ScenarioSource {
            path: args.file.clone(),
            overrides: args.set.clone(),
            text,
        },
        results,
        &histograms,
    );
    out.write(SHARD_FILE, file.to_json()?.as_bytes())?;
    let written = out.commit()?;
    println!(
        "{}: shard {shard}, {} of {trials} trials, seed {}",
        scenario.name,
        file.trials.len(),
        scenario.run.seed
    );
    println!("wrote {}", written.display());
    Ok(ExitCode::SUCCESS)
}

/// The scenario text after the `--set` overrides (the file's own text without any), as
/// `scenario::load_with_overrides` validates it.
fn scenario_text(path: &Path, overrides: &[String]) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
    if overrides.is_empty() {
        return Ok(text);
    }
    let mut doc: toml::Table = text.parse()?;
    for o in overrides {
        crate::scenario::apply_override(&mut doc, o)
            .map_err(|(key, msg)| anyhow::anyhow!("--set {o}: {key}: {msg}"))?;
    }
    Ok(toml::to_string(&doc)?)
}

/// A progress bar on an interactive terminal only (never in CI or when piped).
fn progress_bar(scenario: &Scenario, plan: &Plan) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
        return None;
    }
    // Only a stopping rule may take the run past its first batch.
    let most = match plan.target_rel_ci {
        Some(_) => plan.max_trials.max(plan.trials),
        None => plan.trials,
    };
    // In thousandths of a trial, so that a long trial moves the bar as it runs; shown as
    // trials finished.
    let per_trial = montecarlo::PROGRESS_PER_TRIAL;
    let bar = ProgressBar::new(most * per_trial);
    let trials = move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
        let _ = write!(
            w,
            "{}/{}",
            state.pos() / per_trial,
            state.len().unwrap_or(0) / per_trial
        );
    };
    let style = ProgressStyle::with_template("{msg} [{bar:40}] {trials} trials ({eta})")
        .ok()?
        .with_key("trials", trials);
    bar.set_style(style.progress_chars("=> "));
    bar.set_message(scenario.name.clone());
    Some(bar)
}
