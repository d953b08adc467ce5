//! `nines run --shard` and `nines merge`: shards merged give one full run's files byte for
//! byte, and shards that do not make up one run are refused with the directories named.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn nines() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("nines"));
    cmd.env("CI", "true");
    // `--shard auto` must not see a scheduler the tests happen to run under.
    for var in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_STEP",
        "JOB_COMPLETION_INDEX",
        "AWS_BATCH_JOB_ARRAY_INDEX",
        "AWS_BATCH_JOB_ARRAY_SIZE",
        "NINES_SHARDS",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn scenario(name: &str) -> String {
    format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"))
}

/// `nines run FILE --trials T --threads 1 --out OUT` plus `extra`.
fn run(file: &str, trials: u32, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    nines()
        .args([
            "run",
            file,
            "--trials",
            &trials.to_string(),
            "--threads",
            "1",
        ])
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
}

fn merge(dirs: &[&PathBuf], out: &Path) -> assert_cmd::assert::Assert {
    nines()
        .arg("merge")
        .args(dirs)
        .arg("--out")
        .arg(out)
        .assert()
}

/// Every file of `a` equals the same-named file of `b`, and they hold the same names.
fn assert_same_files(a: &Path, b: &Path) {
    let names = |d: &Path| {
        let mut v: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    let files = names(a);
    assert_eq!(files, names(b));
    assert!(files.len() >= 5, "{files:?}");
    for f in files {
        assert!(
            fs::read(a.join(&f)).unwrap() == fs::read(b.join(&f)).unwrap(),
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// Runs shards 0..n of `file` into `tmp/s<i>` with `extra` arguments.
fn shards(tmp: &Path, file: &str, trials: u32, n: u64, extra: &[&str]) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let dir = tmp.join(format!("s{i}"));
            let shard = format!("{i}/{n}");
            let mut args = vec!["--shard", shard.as_str()];
            args.extend(extra);
            run(file, trials, &dir, &args).success();
            dir
        })
        .collect()
}

#[test]
fn three_shards_merge_to_the_full_run_byte_for_byte() {
    // multi-az-web has outages and downtime causes; quickstart has latency histograms and a
    // time series; five-nines runs in capacity fidelity (weighted histograms, overloads).
    // 7 trials over 3 shards: 0 3 6 | 1 4 | 2 5, so the shards are uneven.
    for (name, extra) in [
        ("multi-az-web", vec!["--seed", "11"]),
        ("quickstart", vec!["--set", "services.web.nodes=3"]),
        ("five-nines", vec!["--set", "run.horizon=\"1y\""]),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let file = scenario(name);
        let full = tmp.path().join("full");
        run(&file, 7, &full, &extra).success();
        let dirs = shards(tmp.path(), &file, 7, 3, &extra);
        let merged = tmp.path().join("merged");
        // Given out of order: the merge orders trials itself.
        merge(&[&dirs[2], &dirs[0], &dirs[1]], &merged)
            .success()
            .stdout(predicate::str::contains("7 trials from 3 shards"));
        assert_same_files(&full, &merged);
    }
}

#[test]
fn merge_does_not_need_the_scenario_file() {
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("copy.toml");
    fs::copy(scenario("quickstart"), &copy).unwrap();
    let file = copy.to_str().unwrap();
    let full = tmp.path().join("full");
    run(file, 4, &full, &[]).success();
    let dirs = shards(tmp.path(), file, 4, 2, &[]);
    fs::remove_file(&copy).unwrap();
    let merged = tmp.path().join("merged");
    merge(&[&dirs[0], &dirs[1]], &merged).success();
    assert_same_files(&full, &merged);
}

#[test]
fn shards_of_different_seeds_or_scenarios_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = scenario("quickstart");
    let a = tmp.path().join("a");
    run(&file, 4, &a, &["--shard", "0/2", "--seed", "1"]).success();
    let b = tmp.path().join("b");
    run(&file, 4, &b, &["--shard", "1/2", "--seed", "2"]).success();
    merge(&[&a, &b], &tmp.path().join("m")).failure().stderr(
        predicate::str::contains("shards of different seeds: 1 vs 2")
            .and(predicate::str::contains(a.to_str().unwrap()))
            .and(predicate::str::contains(b.to_str().unwrap())),
    );
    // The same file with a --set is another scenario text.
    let c = tmp.path().join("c");
    run(
        &file,
        4,
        &c,
        &[
            "--shard",
            "1/2",
            "--seed",
            "1",
            "--set",
            "workload.rate=300",
        ],
    )
    .success();
    merge(&[&a, &c], &tmp.path().join("m")).failure().stderr(
        predicate::str::contains("shards of different scenarios")
            .and(predicate::str::contains(c.to_str().unwrap())),
    );
    // Another trial count.
    let d = tmp.path().join("d");
    run(&file, 6, &d, &["--shard", "1/2", "--seed", "1"]).success();
    merge(&[&a, &d], &tmp.path().join("m"))
        .failure()
        .stderr(predicate::str::contains(
            "shards of different trial counts: 4 vs 6",
        ));
    // Another nines version (the file edited to say so).
    let e = tmp.path().join("e");
    run(&file, 4, &e, &["--shard", "1/2", "--seed", "1"]).success();
    let json = fs::read_to_string(e.join("shard.json")).unwrap();
    let version = format!("\"nines_version\":\"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(json.contains(&version), "{version}");
    let edited = json.replace(&version, "\"nines_version\":\"0.0.0-other\"");
    fs::write(e.join("shard.json"), edited).unwrap();
    merge(&[&a, &e], &tmp.path().join("m"))
        .failure()
        .stderr(predicate::str::contains(format!(
            "shards of different nines versions: {} vs 0.0.0-other",
            env!("CARGO_PKG_VERSION")
        )));
    merge(&[&e], &tmp.path().join("m"))
        .failure()
        .stderr(predicate::str::contains("written by nines 0.0.0-other"));
    assert!(!tmp.path().join("m").exists());
}

#[test]
fn overlapping_or_missing_shards_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = scenario("quickstart");
    let dirs = shards(tmp.path(), &file, 5, 3, &[]);
    let again = tmp.path().join("again");
    run(&file, 5, &again, &["--shard", "1/3"]).success();
    merge(
        &[&dirs[0], &dirs[1], &again, &dirs[2]],
        &tmp.path().join("m"),
    )
    .failure()
    .stderr(
        predicate::str::contains("overlap: both hold trial 1 (shards 1/3 and 1/3)")
            .and(predicate::str::contains(dirs[1].to_str().unwrap()))
            .and(predicate::str::contains(again.to_str().unwrap())),
    );
    // Shard 1/3 (trials 1 and 4) left out.
    merge(&[&dirs[0], &dirs[2]], &tmp.path().join("m"))
        .failure()
        .stderr(predicate::str::contains(
            "missing trials: 2 of the run's 5 are in none of",
        ))
        .stderr(predicate::str::contains("first missing: trial 1"));
    // Not a shard at all: a full run's directory.
    let full = tmp.path().join("full");
    run(&file, 5, &full, &[]).success();
    merge(&[&full], &tmp.path().join("m"))
        .failure()
        .stderr(predicate::str::contains("no readable shard.json"));
}

#[test]
fn bad_shards_and_target_rel_ci_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = scenario("quickstart");
    let out = tmp.path().join("x");
    run(&file, 4, &out, &["--shard", "3/3"])
        .failure()
        .stderr(predicate::str::contains("must be below the count"));
    run(&file, 4, &out, &["--shard", "0/0"])
        .failure()
        .stderr(predicate::str::contains("the count must be at least 1"));
    run(
        &file,
        4,
        &out,
        &["--shard", "0/2", "--set", "run.target_rel_ci=0.1"],
    )
    .failure()
    .stderr(predicate::str::contains(
        "--shard cannot be used with [run] target_rel_ci",
    ));
    run(&file, 4, &out, &["--shard", "auto"])
        .failure()
        .stderr(predicate::str::contains("no array index found"));
    assert!(!out.exists());
}

#[test]
fn shard_auto_reads_the_slurm_array_index() {
    let tmp = tempfile::tempdir().unwrap();
    let file = scenario("quickstart");
    let fixed = tmp.path().join("fixed");
    run(&file, 4, &fixed, &["--shard", "1/2"]).success();
    // --array=1-2: task id 2 is the second shard, 1/2.
    let auto = tmp.path().join("auto");
    nines()
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "2")
        .args([
            "run",
            &file,
            "--trials",
            "4",
            "--threads",
            "1",
            "--shard",
            "auto",
        ])
        .arg("--out")
        .arg(&auto)
        .assert()
        .success()
        .stdout(predicate::str::contains("shard 1/2, 2 of 4 trials"));
    assert_eq!(
        fs::read(fixed.join("shard.json")).unwrap(),
        fs::read(auto.join("shard.json")).unwrap()
    );
}
