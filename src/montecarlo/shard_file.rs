//! A shard's result (`shard.json`) and the merge of shards into the [`Outcome`] one full
//! run gives.
//!
//! The file holds everything a merge needs and nothing it must recompute: each trial's
//! observations, time series, outages and downtime by cause; the shard's histograms merged,
//! as buckets; and what identifies the run — scenario name, the scenario text after
//! `--set` (so the merge rebuilds the model without the file) and its hash, seed, trial
//! count, nines version, shard I/N. Finite floats round-trip exactly through JSON
//! (serde_json's `float_roundtrip`); a non-finite one is refused when writing.
//!
//! Invariant: the merge gathers the trials in trial order through [`Gathered`], as
//! [`super::run`] does, so its outcome is bit for bit the full run's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::shard::ShardSpec;
use super::{Gathered, Outcome};
use crate::metrics::{LatencyHistogram, Observation, TrialResult};

/// The file name of a shard result inside its directory.
pub const SHARD_FILE: &str = "shard.json";

/// Bumped when the file's layout changes.
const FORMAT: u32 = 1;

/// What identifies the run a shard belongs to; shards merge only when these agree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunIdentity {
    /// The scenario's name.
    pub scenario: String,
    /// FNV-1a 64 of `scenario_text`, in hex.
    pub scenario_hash: String,
    pub seed: u64,
    /// The run's trial count (all shards together).
    pub trials: u64,
    pub nines_version: String,
}

/// The scenario as the shard ran it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScenarioSource {
    /// The file as named on the command line (the base of relative paths inside it).
    pub path: PathBuf,
    /// The `--set` overrides, in order.
    pub overrides: Vec<String>,
    /// The scenario text after the overrides.
    pub text: String,
}

/// One shard's result.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShardFile {
    pub format: u32,
    pub run: RunIdentity,
    pub shard: ShardSpec,
    pub source: ScenarioSource,
    /// The shard's trials in trial order, with their time series (histograms apart).
    pub trials: Vec<TrialResult>,
    /// The shard's histograms merged: name -> (value in ns, count) buckets.
    pub histograms: BTreeMap<String, Vec<(u64, u64)>>,
}

/// FNV-1a, 64 bits (Fowler, Noll, Vo): a stable hash to tell scenario texts apart (not a
/// defence against forgery).
pub fn fnv1a64(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

impl ShardFile {
    /// A shard's file from its trials (in trial order) and their merged histograms.
    pub fn new(
        run: RunIdentity,
        shard: ShardSpec,
        source: ScenarioSource,
        trials: Vec<TrialResult>,
        histograms: &BTreeMap<String, LatencyHistogram>,
    ) -> ShardFile {
        let histograms = histograms
            .iter()
            .map(|(name, h)| (name.clone(), h.buckets()))
            .collect();
        ShardFile {
            format: FORMAT,
            run,
            shard,
            source,
            trials,
            histograms,
        }
    }

    /// The JSON text, or an error naming a non-finite value (JSON cannot hold it exactly).
    pub fn to_json(&self) -> anyhow::Result<String> {
        for t in &self.trials {
            if let Some(what) = non_finite(t) {
                anyhow::bail!(
                    "trial {}: {what} is not finite, which a shard file cannot store exactly",
                    t.trial
                );
            }
        }
        Ok(serde_json::to_string(self)?)
    }

    /// Reads `dir/shard.json`.
    pub fn read(dir: &Path) -> anyhow::Result<ShardFile> {
        let path = dir.join(SHARD_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            anyhow::anyhow!(
                "{}: no readable {SHARD_FILE} ({e}); is it the --out of `nines run --shard`?",
                dir.display()
            )
        })?;
        let file: ShardFile = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: not a nines shard file: {e}", path.display()))?;
        anyhow::ensure!(
            file.format == FORMAT,
            "{}: shard file format {} (this nines reads format {FORMAT})",
            path.display(),
            file.format
        );
        Ok(file)
    }
}

/// The first non-finite number a trial holds, named.
fn non_finite(t: &TrialResult) -> Option<String> {
    for (name, o) in &t.metrics {
        let finite = match o {
            Observation::Value(v) => v.is_finite(),
            Observation::Ratio { num, den } => num.is_finite() && den.is_finite(),
            Observation::Quantile { q, value, .. } => {
                q.is_finite() && value.is_none_or(f64::is_finite)
            }
        };
        if !finite {
            return Some(format!("metric {name}"));
        }
    }
    if t.timeseries.iter().any(|v| v.is_infinite()) {
        return Some("a time series value".into());
    }
    if t.downtime_by_cause_s.iter().any(|v| !v.is_finite()) {
        return Some("a downtime by cause".into());
    }
    None
}

/// Shards that cannot be merged, with the directories at fault.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("no shard directories given")]
    Empty,
    #[error(
        "{} and {} are shards of different {what}: {a} vs {b}",
        first.display(), other.display()
    )]
    Mismatch {
        what: &'static str,
        first: PathBuf,
        other: PathBuf,
        a: String,
        b: String,
    },
    #[error(
        "{} and {} overlap: both hold trial {trial} (shards {a} and {b})",
        first.display(), other.display()
    )]
    Overlap {
        first: PathBuf,
        other: PathBuf,
        trial: u64,
        a: ShardSpec,
        b: ShardSpec,
    },
    #[error(
        "missing trials: {count} of the run's {trials} are in none of {dirs} (first missing: trial {first}; shards given: {given})"
    )]
    Missing {
        count: u64,
        trials: u64,
        first: u64,
        dirs: String,
        given: String,
    },
}

/// Checks that `shards` (read from `dirs`) are one run's disjoint and complete shards.
pub fn check_shards(dirs: &[PathBuf], shards: &[ShardFile]) -> Result<(), MergeError> {
    let (Some(first), Some(first_dir)) = (shards.first(), dirs.first()) else {
        return Err(MergeError::Empty);
    };
    let a = &first.run;
    for (s, dir) in shards.iter().zip(dirs).skip(1) {
        let b = &s.run;
        let mismatch = |what, x: String, y: String| MergeError::Mismatch {
            what,
            first: first_dir.clone(),
            other: dir.clone(),
            a: x,
            b: y,
        };
        if a.scenario != b.scenario || a.scenario_hash != b.scenario_hash {
            return Err(mismatch(
                "scenarios",
                format!("{} (text hash {})", a.scenario, a.scenario_hash),
                format!("{} (text hash {})", b.scenario, b.scenario_hash),
            ));
        }
        if a.seed != b.seed {
            return Err(mismatch("seeds", a.seed.to_string(), b.seed.to_string()));
        }
        if a.trials != b.trials {
            return Err(mismatch(
                "trial counts",
                a.trials.to_string(),
                b.trials.to_string(),
            ));
        }
        if a.nines_version != b.nines_version {
            return Err(mismatch(
                "nines versions",
                a.nines_version.clone(),
                b.nines_version.clone(),
            ));
        }
    }
    // Which shard holds each trial.
    let mut holder: Vec<Option<usize>> = vec![None; a.trials as usize];
    for (k, s) in shards.iter().enumerate() {
        for t in &s.trials {
            let slot = holder
                .get_mut(t.trial as usize)
                .ok_or(MergeError::Mismatch {
                    what: "trial counts",
                    first: first_dir.clone(),
                    other: dirs[k].clone(),
                    a: format!("{} trials", a.trials),
                    b: format!("trial {}", t.trial),
                })?;
            if let Some(j) = *slot {
                return Err(MergeError::Overlap {
                    first: dirs[j].clone(),
                    other: dirs[k].clone(),
                    trial: t.trial,
                    a: shards[j].shard,
                    b: s.shard,
                });
            }
            *slot = Some(k);
        }
    }
    let missing = holder.iter().filter(|h| h.is_none()).count() as u64;
    if let Some(first_missing) = holder.iter().position(Option::is_none) {
        let dirs_shown: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        let given: Vec<String> = shards.iter().map(|s| s.shard.to_string()).collect();
        return Err(MergeError::Missing {
            count: missing,
            trials: a.trials,
            first: first_missing as u64,
            dirs: dirs_shown.join(", "),
            given: given.join(", "),
        });
    }
    Ok(())
}

/// The outcome of the full run the checked `shards` make up: trials in trial order,
/// histograms merged, gathered as [`super::run`] gathers them.
pub fn merge_outcome(shards: Vec<ShardFile>) -> Outcome {
    let mut histograms: BTreeMap<String, LatencyHistogram> = BTreeMap::new();
    let mut trials = Vec::new();
    for s in shards {
        let hists = s
            .histograms
            .iter()
            .map(|(name, b)| (name.clone(), LatencyHistogram::from_buckets(b)))
            .collect();
        super::merge_into(&mut histograms, hists);
        trials.extend(s.trials);
    }
    trials.sort_by_key(|t| t.trial);
    let mut gathered = Gathered::default();
    gathered.add(trials, histograms);
    let summary = gathered.summary();
    gathered.finish(summary, true)
}
