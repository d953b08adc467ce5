//! `nines plan FILE`: the cheapest design meeting the scenario's `[slo]` over the decision
//! variables of its `[plan]` table (see `crate::plan` for the search).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::model::Model;
use crate::montecarlo::{self, Plan};
use crate::plan::{self, Targets, Variable};
use crate::report::{self, OutputDir, PlanResult, format_number};
use crate::scenario::Change;

/// Arguments of `nines plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The scenario file (with `[slo]` and `[plan]`).
    file: PathBuf,
    /// Trials per design (overrides `[run] trials`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=crate::scenario::MAX_TRIALS as i64))]
    trials: Option<u32>,
    /// Change a key of every design before validating, e.g.
    /// `--set slo.availability=0.9999` (repeatable; the plan's variables apply after).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    threads: Option<usize>,
    /// Output directory (default `results/<scenario name>-plan/`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write into a directory that holds files nines did not write (they are kept).
    #[arg(long)]
    force: bool,
}

pub fn plan(args: PlanArgs) -> anyhow::Result<ExitCode> {
    let base = match super::load_or_report(&args.file, &super::command_line(&args.set)) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let vars = variables(&args.file)?;
    if let Some(why) = plan::refusals(&vars, base.slo.is_some()).first() {
        return Err(super::UsageError(format!("{}: [plan]: {why}", args.file.display())).into());
    }
    let slo = base.slo.clone().expect("refused above without one");
    let targets = Targets {
        availability: slo.availability,
        latency_p99_s: slo.latency_p99.map(|t| t.as_secs_f64()),
        error_ratio: slo.error_ratio,
    };
    let trials = args.trials.unwrap_or(base.run.trials);
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(format!("{}-plan", base.name)));
    let mut out = OutputDir::prepare(&out_dir, args.force, &format!("plan {}", base.name))?;
    let mut failure: Option<ExitCode> = None;
    let evaluated = plan::search(&vars, |design| {
        let sets = plan::assignments(&vars, design);
        let scenario = match super::load_or_report(&args.file, &changes(&args.set, &sets)) {
            Ok(s) => s,
            Err(code) => {
                failure = Some(code);
                anyhow::bail!("design {} is invalid", sets.join(" "));
            }
        };
        let run = Plan {
            trials: trials as u64,
            target_rel_ci: None,
            max_trials: trials as u64,
            threads: args.threads,
        };
        let outcome = montecarlo::run(&Model::new(&scenario), &run, None)
            .with_context(|| format!("design {}", sets.join(" ")))?;
        let cost = outcome
            .summary
            .get("cost_per_year")
            .and_then(|s| s.mean)
            .unwrap_or(0.0);
        let meets = targets.met_by(&outcome.summary);
        println!(
            "{:<8} cost/year {:>12}  {}",
            if meets { "meets" } else { "misses" },
            format_number(cost),
            sets.join(" ")
        );
        Ok((cost, meets, outcome.summary))
    });
    let evaluated = match (evaluated, failure) {
        (_, Some(code)) => return Ok(code),
        (result, None) => result?,
    };
    let best = plan::best(&evaluated);
    let result = PlanResult {
        scenario: &base.name,
        description: base.description.as_deref(),
        seed: base.run.seed,
        trials: trials as u64,
        overrides: &args.set,
        variables: &vars,
        targets,
        evaluated: &evaluated,
        best,
    };
    print_frontier(&result);
    report::write_plan_files(&mut out, &result)?;
    let written = out.commit()?;
    println!("wrote {}", written.display());
    Ok(ExitCode::SUCCESS)
}

/// The command line's `--set`, then a design's assignments from `[plan]`.
fn changes(set: &[String], design: &[String]) -> Vec<Change> {
    let mut all = super::command_line(set);
    all.extend(design.iter().map(|a| Change::from_table("plan", a)));
    all
}

fn variables(file: &Path) -> anyhow::Result<Vec<Variable>> {
    let text =
        std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let table = match text.parse::<toml::Table>()?.remove("plan") {
        Some(toml::Value::Table(t)) if !t.is_empty() => t,
        _ => {
            return Err(super::UsageError(format!(
                "{}: nines plan needs a [plan] table of decision variables",
                file.display()
            ))
            .into());
        }
    };
    plan::variables_from_table(&table).map_err(|e| super::located(file, &text, "plan", e))
}

/// The designs evaluated, cheapest first, and the answer with how sure it is.
fn print_frontier(plan: &PlanResult<'_>) {
    println!("\nSLO: {}", report::targets_text(&plan.targets));
    println!(
        "{} designs evaluated ({} trials each, same seed), cheapest first:",
        plan.evaluated.len(),
        plan.trials
    );
    println!(
        "{:>12}  {:>32}  {:>34}  {:<6}  design",
        "cost/year", "availability [95% CI]", "p99 s [95% CI]", "SLO"
    );
    for e in plan.by_cost() {
        let design: Vec<String> = plan
            .design(e)
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        println!(
            "{:>12}  {:>32}  {:>34}  {:<6}  {}",
            format_number(e.cost),
            report::cell(e.metrics.get("availability")),
            report::cell(e.metrics.get("latency_p99_s")),
            if e.meets_slo { "meets" } else { "misses" },
            design.join(" ")
        );
    }
    match plan.best {
        Some(b) => {
            let design: Vec<String> = plan
                .design(b)
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            println!(
                "best: {} at {} per year; it meets every target at the bound of its 95% CI (about 97.5% sure per target), not just on average",
                design.join(" "),
                format_number(b.cost)
            );
        }
        None => println!("best: none ({})", plan.reason()),
    }
}
