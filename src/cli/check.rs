//! `nines check FILE`: validate only.

use std::path::PathBuf;
use std::process::ExitCode;

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
    match super::load_or_report(&args.file, &super::command_line(&args.set)) {
        Ok(s) => {
            println!(
                "{}: ok ({} services, {} trials)",
                args.file.display(),
                s.services.len(),
                s.run.trials
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(code) => Ok(code),
    }
}
