//! `nines check FILE`: validate only.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::plan;
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
/// up to [`MAX_CHECKED`] per table (a larger grid says so and is left to the command).
/// One problem per place and key path, the first point's: a misspelt key fails at every
/// point, and one bad value in an entry is enough to send the user there.
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
            _ => plan::variables_from_table(&entries).map(|vars| {
                let (line, column) = crate::scenario::table_entry_place(&text, "plan", "");
                problems.extend(plan::refusals(&vars, has_slo).into_iter().map(|message| {
                    Diagnostic {
                        file: file.to_path_buf(),
                        line,
                        column,
                        key_path: "plan".into(),
                        message,
                    }
                }));
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
                    let place = |p: &Diagnostic| (p.line, p.column, p.key_path.clone());
                    if !problems.iter().any(|p| place(p) == place(d)) {
                        problems.push(d.clone());
                    }
                }
            }
        }
    }
    Ok(problems)
}
