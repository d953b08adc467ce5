//! `nines check FILE`: validate only.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::scenario::{Change, Diagnostic};

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

pub fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let changes = super::command_line(&args.set);
    let scenario = match super::load_or_report(&args.file, &changes) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let problems = table_problems(&args.file, &changes)?;
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

/// The problems of the file's `[sweep]` and `[plan]` values (which `sweep` and `plan` would
/// meet before simulating anything): each value is checked as the scenario with that one
/// change, so a misspelt key path or a value a key cannot take is found here, placed at its
/// entry in the table. A key that no value can take is reported once, at its first value.
fn table_problems(file: &Path, changes: &[Change]) -> anyhow::Result<Vec<Diagnostic>> {
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
        let axes = match table {
            "sweep" => crate::sweep::axes_from_table(&entries),
            _ => crate::plan::variables_from_table(&entries).map(|vars| {
                vars.into_iter()
                    .map(|v| crate::sweep::Axis {
                        key: v.key,
                        values: v.values,
                    })
                    .collect()
            }),
        }
        .map_err(|e| super::located(file, &text, table, e))?;
        for axis in &axes {
            let mut failed: Vec<Vec<Diagnostic>> = Vec::new();
            for value in &axis.values {
                let mut with_value = changes.to_vec();
                with_value.push(Change::from_table(table, format!("{}={value}", axis.key)));
                if let Err(diagnostics) = crate::scenario::load_with_changes(file, &with_value) {
                    failed.push(diagnostics.iter().cloned().collect());
                }
            }
            // Every value refused: the key itself is wrong; its first value says how.
            if failed.len() == axis.values.len() {
                failed.truncate(1);
            }
            for d in failed.into_iter().flatten() {
                if !problems.contains(&d) {
                    problems.push(d);
                }
            }
        }
    }
    Ok(problems)
}
