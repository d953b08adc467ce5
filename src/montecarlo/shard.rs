//! Which trials a shard runs: `--shard I/N` runs trials I, I+N, I+2N, ... of the run, and
//! `--shard auto` reads I (and N) from the array index of the scheduler nines runs under.
//!
//! Invariant: a trial is a pure function of (model, index), so a shard's trials are the
//! very trials a full run would compute, and shards merge bit for bit.

use std::fmt;

/// One shard of N: trials `index`, `index + count`, ... (0-based `index < count`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShardSpec {
    pub index: u64,
    pub count: u64,
}

/// Why a shard could not be chosen.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum ShardError {
    #[error("--shard {0}: expected I/N (e.g. 0/4) or `auto`")]
    Syntax(String),
    #[error("--shard {index}/{count}: the count must be at least 1")]
    ZeroCount { index: u64, count: u64 },
    #[error(
        "--shard {index}/{count}: the index is 0-based and must be below the count (0/{count} .. {last}/{count})",
        last = count.saturating_sub(1)
    )]
    IndexTooLarge { index: u64, count: u64 },
    #[error(
        "--shard auto: no array index found; set by Slurm (SLURM_ARRAY_TASK_ID), a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) or AWS Batch (AWS_BATCH_JOB_ARRAY_INDEX)"
    )]
    NoIndex,
    #[error(
        "--shard auto: {index_var} is set but not the shard count; pass --shards N or set NINES_SHARDS (or {count_hint})"
    )]
    NoCount {
        index_var: &'static str,
        count_hint: &'static str,
    },
    #[error("--shard auto: {var}={value} is not a non-negative integer")]
    BadVar { var: String, value: String },
    #[error("--shard auto: --shards {given} disagrees with {var}={env}")]
    CountMismatch { given: u64, var: String, env: u64 },
}

/// `--shard` as written: a fixed shard or `auto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardArg {
    Fixed(ShardSpec),
    Auto,
}

impl std::str::FromStr for ShardArg {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Self, ShardError> {
        if s == "auto" {
            return Ok(ShardArg::Auto);
        }
        let syntax = || ShardError::Syntax(s.to_string());
        let (i, n) = s.split_once('/').ok_or_else(syntax)?;
        let index = i.trim().parse().map_err(|_| syntax())?;
        let count = n.trim().parse().map_err(|_| syntax())?;
        ShardSpec::new(index, count).map(ShardArg::Fixed)
    }
}

impl ShardSpec {
    /// Shard `index` of `count`, checked.
    pub fn new(index: u64, count: u64) -> Result<ShardSpec, ShardError> {
        if count == 0 {
            return Err(ShardError::ZeroCount { index, count });
        }
        if index >= count {
            return Err(ShardError::IndexTooLarge { index, count });
        }
        Ok(ShardSpec { index, count })
    }

    /// This shard's trial indices out of a run of `trials`, in order.
    pub fn trials(self, trials: u64) -> impl Iterator<Item = u64> {
        (self.index..trials).step_by(self.count as usize)
    }

    /// Chooses the shard from the scheduler's environment (`var` reads a variable; tests
    /// pass a map, `nines run` the process environment). `shards` is `--shards N`.
    ///
    /// - Slurm job arrays: `SLURM_ARRAY_TASK_ID`, relative to `SLURM_ARRAY_TASK_MIN` and
    ///   divided by `SLURM_ARRAY_TASK_STEP` (so `--array=1-4` or `0-6:2` work too), count
    ///   `SLURM_ARRAY_TASK_COUNT`.
    /// - Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX`; the count (the Job's
    ///   `completions`) from `--shards` or `NINES_SHARDS`.
    /// - AWS Batch array jobs: `AWS_BATCH_JOB_ARRAY_INDEX`, count `AWS_BATCH_JOB_ARRAY_SIZE`.
    ///
    /// `--shards` (else `NINES_SHARDS`) gives the count for any of them; where the
    /// scheduler states a count too, the two must agree.
    pub fn from_env(
        var: impl Fn(&str) -> Option<String>,
        shards: Option<u64>,
    ) -> Result<ShardSpec, ShardError> {
        let num = |name: &str| -> Result<Option<u64>, ShardError> {
            match var(name) {
                None => Ok(None),
                Some(v) => v.trim().parse().map(Some).map_err(|_| ShardError::BadVar {
                    var: name.to_string(),
                    value: v,
                }),
            }
        };
        let given = match shards {
            Some(n) => Some(n),
            None => num("NINES_SHARDS")?,
        };
        // (index, the count the scheduler states, its variable, a hint for a missing count)
        let (index, env_count, index_var, count_var) = if let Some(id) = num("SLURM_ARRAY_TASK_ID")?
        {
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = num("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
            let relative = id.checked_sub(min).ok_or(ShardError::BadVar {
                var: "SLURM_ARRAY_TASK_ID".into(),
                value: format!("{id} (below SLURM_ARRAY_TASK_MIN={min})"),
            })?;
            (
                relative / step,
                num("SLURM_ARRAY_TASK_COUNT")?,
                "SLURM_ARRAY_TASK_ID",
                "SLURM_ARRAY_TASK_COUNT",
            )
        } else if let Some(i) = num("JOB_COMPLETION_INDEX")? {
            (i, None, "JOB_COMPLETION_INDEX", "the Job's completions")
        } else if let Some(i) = num("AWS_BATCH_JOB_ARRAY_INDEX")? {
            (
                i,
                num("AWS_BATCH_JOB_ARRAY_SIZE")?,
                "AWS_BATCH_JOB_ARRAY_INDEX",
                "AWS_BATCH_JOB_ARRAY_SIZE",
            )
        } else {
            return Err(ShardError::NoIndex);
        };
        let count = match (given, env_count) {
            (Some(g), Some(e)) if g != e => {
                return Err(ShardError::CountMismatch {
                    given: g,
                    var: count_var.to_string(),
                    env: e,
                });
            }
            (Some(n), _) | (None, Some(n)) => n,
            (None, None) => {
                return Err(ShardError::NoCount {
                    index_var,
                    count_hint: count_var,
                });
            }
        };
        ShardSpec::new(index, count)
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(vars: &[(&str, &str)], shards: Option<u64>) -> Result<ShardSpec, ShardError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ShardSpec::from_env(|k| map.get(k).cloned(), shards)
    }

    fn spec(index: u64, count: u64) -> ShardSpec {
        ShardSpec { index, count }
    }

    #[test]
    fn parses_fixed_and_auto() {
        assert_eq!("1/4".parse(), Ok(ShardArg::Fixed(spec(1, 4))));
        assert_eq!("auto".parse(), Ok(ShardArg::Auto));
        assert_eq!(
            "3/3".parse::<ShardArg>(),
            Err(ShardError::IndexTooLarge { index: 3, count: 3 })
        );
        assert_eq!(
            "0/0".parse::<ShardArg>(),
            Err(ShardError::ZeroCount { index: 0, count: 0 })
        );
        for bad in ["1", "1/", "/4", "a/4", "-1/4", "1/4/2"] {
            assert!(
                matches!(bad.parse::<ShardArg>(), Err(ShardError::Syntax(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn shard_trials_stride_over_the_run() {
        // 10 trials, 3 shards: 0 3 6 9 | 1 4 7 | 2 5 8.
        assert_eq!(spec(0, 3).trials(10).collect::<Vec<_>>(), [0, 3, 6, 9]);
        assert_eq!(spec(2, 3).trials(10).collect::<Vec<_>>(), [2, 5, 8]);
        assert_eq!(spec(3, 4).trials(2).count(), 0);
    }

    #[test]
    fn slurm_index_is_relative_to_the_array_min_and_step() {
        let base = [
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(from(&base, None), Ok(spec(2, 4)));
        // --array=1-4: ids 1..4 are shards 0..3.
        let one_based = [
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(from(&one_based, None), Ok(spec(3, 4)));
        // --array=0-6:2: ids 0 2 4 6 are shards 0..3.
        let stepped = [
            ("SLURM_ARRAY_TASK_ID", "6"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(from(&stepped, None), Ok(spec(3, 4)));
        assert_eq!(from(&base, Some(4)), Ok(spec(2, 4)));
        assert_eq!(
            from(&base, Some(5)),
            Err(ShardError::CountMismatch {
                given: 5,
                var: "SLURM_ARRAY_TASK_COUNT".into(),
                env: 4
            })
        );
    }

    #[test]
    fn kubernetes_needs_the_count_from_shards_or_nines_shards() {
        let k8s = [("JOB_COMPLETION_INDEX", "5")];
        assert_eq!(from(&k8s, Some(8)), Ok(spec(5, 8)));
        assert_eq!(
            from(
                &[("JOB_COMPLETION_INDEX", "5"), ("NINES_SHARDS", "6")],
                None
            ),
            Ok(spec(5, 6))
        );
        assert!(matches!(
            from(&k8s, None),
            Err(ShardError::NoCount {
                index_var: "JOB_COMPLETION_INDEX",
                ..
            })
        ));
        assert_eq!(
            from(&k8s, Some(5)),
            Err(ShardError::IndexTooLarge { index: 5, count: 5 })
        );
    }

    #[test]
    fn aws_batch_reads_index_and_size() {
        let aws = [
            ("AWS_BATCH_JOB_ARRAY_INDEX", "0"),
            ("AWS_BATCH_JOB_ARRAY_SIZE", "3"),
        ];
        assert_eq!(from(&aws, None), Ok(spec(0, 3)));
        assert_eq!(
            from(&[("AWS_BATCH_JOB_ARRAY_INDEX", "1")], Some(2)),
            Ok(spec(1, 2))
        );
    }

    #[test]
    fn no_scheduler_or_bad_values_are_errors() {
        assert_eq!(from(&[], Some(4)), Err(ShardError::NoIndex));
        let msg = from(&[], None).unwrap_err().to_string();
        assert!(msg.contains("SLURM_ARRAY_TASK_ID"), "{msg}");
        assert!(matches!(
            from(
                &[
                    ("SLURM_ARRAY_TASK_ID", "x"),
                    ("SLURM_ARRAY_TASK_COUNT", "4")
                ],
                None
            ),
            Err(ShardError::BadVar { .. })
        ));
    }
}
