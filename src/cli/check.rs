//! `nines check FILE`: validate only.

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `nines check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The scenario file.
    file: PathBuf,
}

pub fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    match super::load_or_report(&args.file) {
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
