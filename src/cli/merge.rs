//! `nines merge DIR...`: combines shard results into the result directory one full run
//! gives, byte for byte.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::model::Model;
use crate::montecarlo::shard_file::{ShardFile, check_shards, merge_outcome};
use crate::report::{self, OutputDir};

/// Arguments of `nines merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Shard result directories (each the --out of one `nines run --shard`).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Output directory (default `results/<scenario name>/`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write into a directory that holds files nines did not write (they are kept).
    #[arg(long)]
    force: bool,
}

pub fn merge(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let shards = args
        .dirs
        .iter()
        .map(|d| ShardFile::read(d))
        .collect::<anyhow::Result<Vec<_>>>()?;
    // Another version may compute or write differently: refuse before anything else.
    let version = &shards[0].run.nines_version;
    anyhow::ensure!(
        version == env!("CARGO_PKG_VERSION"),
        super::UsageError(format!(
            "{}: written by nines {version}, but this is nines {}; merge with the version that ran the shards",
            args.dirs[0].display(),
            env!("CARGO_PKG_VERSION")
        ))
    );
    check_shards(&args.dirs, &shards)?;
    // Rebuild the scenario from the text the shards ran, not from the file, which may have
    // changed or be elsewhere by now.
    let first = &shards[0];
    let mut scenario = crate::scenario::parse(&first.source.text, &first.source.path)
        .map_err(|d| anyhow::anyhow!("the shards' scenario text no longer validates: {d}"))?;
    scenario.run.trials = u32::try_from(first.run.trials)?;
    scenario.run.max_trials = scenario.run.max_trials.max(scenario.run.trials);
    scenario.run.seed = first.run.seed;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&scenario.name));
    // Replacing a shard with the merge would lose the shard (and the merge's inputs).
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if let Some(shard) = args.dirs.iter().find(|d| same(d, &out_dir)) {
        return Err(super::UsageError(format!(
            "{}: is one of the shards being merged; choose another --out",
            shard.display()
        ))
        .into());
    }
    let mut out = OutputDir::prepare(&out_dir, args.force, &format!("run {}", scenario.name))?;
    let model = Model::new(&scenario);
    let n_shards = shards.len();
    let outcome = merge_outcome(shards);
    let result = report::RunResult {
        scenario: &scenario,
        model: &model,
        outcome: &outcome,
    };
    report::write_run_files(&mut out, &result)?;
    let written = out.commit()?;
    println!(
        "{}: {} trials from {n_shards} shards, seed {}",
        scenario.name,
        outcome.trials.len(),
        scenario.run.seed
    );
    print!(
        "{}",
        report::render_table(&outcome.summary, &result.causes())
    );
    println!("wrote {}", written.display());
    Ok(ExitCode::SUCCESS)
}
