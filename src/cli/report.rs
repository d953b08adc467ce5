//! `nines report DIR`: rebuild a run's `report.md` from its `summary.json` alone.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::report::{self, OutputDir, SummaryFile};

/// Arguments of `nines report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A run's result directory (holding summary.json).
    dir: PathBuf,
}

pub fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let path = args.dir.join("summary.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let summary: SummaryFile = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a nines summary.json", path.display()))?;
    let mut out = OutputDir::prepare_update(&args.dir)?;
    out.write("report.md", report::run_report(&summary).as_bytes())?;
    let dir = out.commit()?;
    println!("wrote {}", dir.join("report.md").display());
    Ok(ExitCode::SUCCESS)
}
