//! `nines check FILE`: validate only.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::scenario::{Change, Diagnostic};
use crate::sweep::Axis;

/// Arguments of `nines check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The scenario file.
    file: PathBuf,
    /// Change a key before validating, e.g. `--set services.web.nodes=6` or
    /// `--set 'services.web.zones=["a","b"]'` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
}

/// Most points of a `[sweep]` or designs of a `[plan]` checked one by one.
const MAX_CHECKED: usize = 4_096;

pub fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let changes = super::command_line(&args.set);
    let scenario = match super::load_or_report(&args.file, &changes) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let problems = table_problems(&args.file, &changes, scenario.slo.is_some())?;
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("{p}");
        }
        let n = problems.len();
        eprintln!(
            "{n} problem{} found in the [sweep] or [plan] values of {}",
            if n == 1 { "" } else { "s" },
            args.file.display()
        );
        return Ok(ExitCode::from(2));
    }
    println!(
        "{}: ok ({} services, {} trials)",
        args.file.display(),
        scenario.services.len(),
        scenario.run.trials
    );
    Ok(ExitCode::SUCCESS)
}

/// The problems `nines sweep` or `nines plan` would meet before simulating: every point of
/// the `[sweep]` grid and every design of the `[plan]` grid (values may be valid only
/// together, e.g. `min_healthy` with `nodes`), each checked as the file with its changes,
/// up to [`MAX_CHECKED`] per table (a larger grid says so and is left to the command). A
/// problem met at many points (a misspelt key) is reported once, at its first point.
fn table_problems(
    file: &Path,
    changes: &[Change],
    has_slo: bool,
) -> anyhow::Result<Vec<Diagnostic>> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", file.display()))?;
    let Ok(mut doc) = text.parse::<toml::Table>() else {
        return Ok(Vec::new());
    };
    let mut problems: Vec<Diagnostic> = Vec::new();
    for table in ["sweep", "plan"] {
        let Some(toml::Value::Table(entries)) = doc.remove(table) else {
            continue;
        };
        let axes: Vec<Axis> = match table {
            "sweep" => crate::sweep::axes_from_table(&entries),
            _ => crate::plan::variables_from_table(&entries).map(|vars| {
                problems.extend(plan_table_problems(file, &text, &vars, has_slo));
                vars.into_iter()
                    .map(|v| Axis {
                        key: v.key,
                        values: v.values,
                    })
                    .collect()
            }),
        }
        .map_err(|e| super::located(file, &text, table, e))?;
        let points: usize = axes.iter().map(|a| a.values.len()).product();
        if points > MAX_CHECKED {
            eprintln!(
                "{}: [{table}]: {points} combinations, more than the {MAX_CHECKED} checked; \
                 `nines {table}` checks each before simulating it",
                file.display()
            );
            continue;
        }
        for point in crate::sweep::grid(&axes) {
            let mut with_point = changes.to_vec();
            with_point.extend(
                crate::sweep::assignments(&axes, &point)
                    .into_iter()
                    .map(|a| Change::from_table(table, a)),
            );
            if let Err(diagnostics) = crate::scenario::load_with_changes(file, &with_point) {
                for d in diagnostics.iter() {
                    if !problems.iter().any(|p| same_problem(p, d)) {
                        problems.push(d.clone());
                    }
                }
            }
        }
    }
    Ok(problems)
}

/// What `nines plan` would refuse of a `[plan]` table as a whole: no `[slo]` to meet, or
/// more combinations than it enumerates. Placed at the table's header.
fn plan_table_problems(
    file: &Path,
    text: &str,
    vars: &[crate::plan::Variable],
    has_slo: bool,
) -> Vec<Diagnostic> {
    let line = text
        .lines()
        .position(|l| l.trim_start().starts_with("[plan]"))
        .map_or(0, |i| i + 1);
    let at = |message: String| Diagnostic {
        file: file.to_path_buf(),
        line,
        column: 1,
        key_path: "plan".into(),
        message,
    };
    let mut problems = Vec::new();
    if !has_slo {
        problems.push(at(
            "nines plan needs an [slo] table: its targets are what a design must meet".into(),
        ));
    }
    let combinations = crate::plan::combinations(vars);
    if combinations > crate::plan::MAX_COMBINATIONS {
        problems.push(at(format!(
            "the choices and smaller integer ranges make {combinations} combinations (at most {}); narrow them",
            crate::plan::MAX_COMBINATIONS
        )));
    }
    problems
}

/// The same problem at another point: the same place and message, whichever change the
/// message names (a leading "[plan] KEY=VALUE: ", a closing "(set by ...)" or "(after ...)").
fn same_problem(a: &Diagnostic, b: &Diagnostic) -> bool {
    let bare = |d: &Diagnostic| {
        let mut m = d.message.as_str();
        if ["[sweep] ", "[plan] ", "--set "]
            .iter()
            .any(|p| m.starts_with(p))
            && let Some((_, rest)) = m.split_once(": ")
        {
            m = rest;
        }
        let end = [" (set by ", " (after "]
            .iter()
            .filter_map(|s| m.find(s))
            .min()
            .unwrap_or(m.len());
        (d.line, d.column, d.key_path.clone(), m[..end].to_string())
    };
    bare(a) == bare(b)
}
