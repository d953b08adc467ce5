//! `nines sweep FILE --set KEY=VALUES ...`: run the scenario at every point of a grid of
//! key values, with the same seed everywhere, and write the sweep's result directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::model::Model;
use crate::montecarlo::{self, Plan};
use crate::report::{self, OutputDir, SweepResult};
use crate::scenario::{Change, ChangeSource};
use crate::sweep::{self, Axis};

/// Arguments of `nines sweep`.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// The scenario file.
    file: PathBuf,
    /// A swept key: `KEY=a..b`, `KEY=a..b..step` or `KEY=v1,v2,...` (repeatable: several
    /// make the full grid). Added to, and overriding, the file's `[sweep]` table.
    #[arg(long = "set", value_name = "KEY=VALUES")]
    set: Vec<String>,
    /// Trials per point (overrides `[run] trials`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=crate::scenario::MAX_TRIALS as i64))]
    trials: Option<u32>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    threads: Option<usize>,
    /// Output directory (default `results/<scenario name>-sweep/`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write into a directory that holds files nines did not write (they are kept).
    #[arg(long)]
    force: bool,
}

pub fn sweep(args: SweepArgs) -> anyhow::Result<ExitCode> {
    let (axes, sources) = axes(&args)?;
    anyhow::ensure!(
        !axes.is_empty(),
        super::UsageError(format!(
            "nothing to sweep: give --set KEY=VALUES or a [sweep] table in {}",
            args.file.display()
        ))
    );
    // Validate every point before simulating any.
    let mut scenarios = Vec::new();
    for point in sweep::grid(&axes) {
        let sets = sweep::assignments(&axes, &point);
        let changes: Vec<Change> = sets
            .into_iter()
            .zip(&sources)
            .map(|(assignment, &source)| Change { assignment, source })
            .collect();
        match super::load_or_report(&args.file, &changes) {
            Ok(s) => scenarios.push((point, s)),
            Err(code) => return Ok(code),
        }
    }
    let first = &scenarios[0].1;
    let (name, description, seed) = (
        first.name.clone(),
        first.description.clone(),
        first.run.seed,
    );
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(format!("{name}-sweep")));
    let mut out = OutputDir::prepare(&out_dir, args.force, &format!("sweep {name}"))?;
    let mut points = Vec::new();
    let mut trials = 0;
    for (point, mut scenario) in scenarios {
        if let Some(t) = args.trials {
            scenario.run.trials = t;
            scenario.run.max_trials = scenario.run.max_trials.max(t);
        }
        // A fixed number of trials at every point: the same trials, common random numbers.
        let plan = Plan {
            trials: scenario.run.trials as u64,
            target_rel_ci: None,
            max_trials: scenario.run.trials as u64,
            threads: args.threads,
        };
        trials = plan.trials;
        let outcome = montecarlo::run(&Model::new(&scenario), &plan, None)
            .with_context(|| format!("point {}", sweep::assignments(&axes, &point).join(" ")))?;
        println!(
            "{}: {}",
            sweep::assignments(&axes, &point).join(" "),
            headline(&outcome.summary)
        );
        points.push((point, outcome.summary));
    }
    let result = SweepResult {
        scenario: &name,
        description: description.as_deref(),
        seed,
        trials,
        axes: &axes,
        points: &points,
    };
    report::write_sweep_files(&mut out, &result)?;
    let written = out.commit()?;
    println!("wrote {}", written.display());
    Ok(ExitCode::SUCCESS)
}

/// The file's `[sweep]` axes, then the command line's (which replace a same-key axis),
/// each with where it was given.
fn axes(args: &SweepArgs) -> anyhow::Result<(Vec<Axis>, Vec<ChangeSource>)> {
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let mut axes = match text
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut d| d.remove("sweep"))
    {
        Some(toml::Value::Table(t)) => {
            sweep::axes_from_table(&t).map_err(|e| super::located(&args.file, &text, "sweep", e))?
        }
        _ => Vec::new(),
    };
    let mut given = Vec::new();
    for spec in &args.set {
        given.push(sweep::parse_axis(spec)?);
    }
    sweep::check_distinct(&given)?;
    axes.retain(|a| given.iter().all(|g| g.key != a.key));
    let mut sources = vec![ChangeSource::Table("sweep"); axes.len()];
    sources.resize(axes.len() + given.len(), ChangeSource::CommandLine);
    axes.extend(given);
    Ok((axes, sources))
}

/// One line of a point's headline metrics.
fn headline(summary: &std::collections::BTreeMap<String, crate::stats::MetricSummary>) -> String {
    report::SWEEP_PLOTS
        .iter()
        .filter_map(|(m, ..)| {
            let s = summary.get(*m)?;
            s.mean?;
            Some(format!("{m} {}", report::cell(Some(s))))
        })
        .collect::<Vec<_>>()
        .join("  ")
}
