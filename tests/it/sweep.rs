//! `nines sweep`: the grid, its files, and why every point shares the seed (common random
//! numbers make the difference between nearby designs much more precise).

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use nines::model::Model;
use nines::montecarlo::{self, Plan};
use nines::scenario::load_with_overrides;
use nines::stats::mean_std_half;

fn scenario(name: &str) -> String {
    format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"))
}

/// Per-trial mean latency of quickstart with `sets` (3 simulated minutes, 30 trials).
fn mean_latency_per_trial(sets: &[&str]) -> Vec<f64> {
    let mut all: Vec<String> = ["run.horizon=\"3m\"", "run.warmup=\"30s\"", "run.trials=30"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    all.extend(sets.iter().map(|s| s.to_string()));
    let scenario = load_with_overrides(Path::new(&scenario("quickstart")), &all).unwrap();
    let plan = Plan {
        trials: 30,
        target_rel_ci: None,
        max_trials: 30,
        threads: None,
    };
    let outcome = montecarlo::run(&Model::new(&scenario), &plan, None).unwrap();
    outcome
        .trials
        .iter()
        .map(|t| t.metrics["latency_mean_s"].value().unwrap())
        .collect()
}

#[test]
fn common_random_numbers_narrow_the_difference_between_nearby_points() {
    // Two nearby designs: 3 or 4 web nodes. With the same seed (what sweep does), trial i
    // of both sees the same arrivals and service times, so the per-trial differences vary
    // far less than with independent seeds; the paired CI half-width of the difference is
    // t·s_d/√n in both cases, so it is narrower exactly when s_d is.
    let a = mean_latency_per_trial(&["services.web.nodes=3", "run.seed=1"]);
    let b_same = mean_latency_per_trial(&["services.web.nodes=4", "run.seed=1"]);
    let b_indep = mean_latency_per_trial(&["services.web.nodes=4", "run.seed=777"]);
    let diff = |b: &[f64]| -> Vec<f64> { a.iter().zip(b).map(|(x, y)| x - y).collect() };
    let (d_crn, _, half_crn) = mean_std_half(&diff(&b_same));
    let (_, _, half_indep) = mean_std_half(&diff(&b_indep));
    let (half_crn, half_indep) = (half_crn.unwrap(), half_indep.unwrap());
    assert!(d_crn > 0.0, "3 nodes are slower than 4: {d_crn}");
    assert!(
        half_crn < half_indep,
        "CRN half-width {half_crn} should be below independent {half_indep}"
    );
}

#[test]
fn sweep_writes_a_grid_of_points_with_files_and_plots() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sw");
    let assert = Command::new(assert_cmd::cargo::cargo_bin!("nines"))
        .env("CI", "true")
        .args([
            "sweep",
            &scenario("quickstart"),
            "--set",
            "services.web.nodes=3..4",
            "--set",
            "services.web.balancer=round_robin,power_of_two",
            "--set",
            "run.horizon=\"2m\"",
            "--trials",
            "3",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.contains("latency_p99_s"))
            .count(),
        4
    );
    let csv = fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert!(csv.starts_with(
        "services.web.nodes,services.web.balancer,run.horizon,metric,mean,ci95_low,ci95_high"
    ));
    assert!(csv.contains("\n4,power_of_two,2m,latency_p99_s,"));
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(json["points"].as_array().unwrap().len(), 4);
    assert_eq!(
        json["points"][3]["values"]["services.web.balancer"],
        "power_of_two"
    );
    assert_eq!(json["seed"], 1);
    // A numeric first key: the scalability section (two node counts: too few for a USL fit).
    assert_eq!(json["scalability"]["axis"], "services.web.nodes");
    assert_eq!(json["scalability"]["knee_factor"], 2.0);
    assert!(json["scalability"]["lines"][0]["usl"].is_null());
    assert!(json["points"][0]["metrics"]["latency_p99_s"]["ci95_low"].is_number());
    assert!(
        fs::read(out.join("sweep_latency_p99_s.png"))
            .unwrap()
            .starts_with(b"\x89PNG")
    );
    let report = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("![p99 latency](sweep_latency_p99_s.png)"),
        "{report}"
    );
}

#[test]
fn sweep_reads_a_sweep_table_and_explains_bad_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(scenario("quickstart"))
        .unwrap()
        .replace("[run]\nhorizon = \"10m\"", "[run]\nhorizon = \"2m\"")
        + "\n[sweep]\n\"services.web.nodes\" = \"3..4\"\n";
    let file = tmp.path().join("s.toml");
    fs::write(&file, text).unwrap();
    let out = tmp.path().join("o");
    Command::new(assert_cmd::cargo::cargo_bin!("nines"))
        .env("CI", "true")
        .arg("sweep")
        .arg(&file)
        .args(["--trials", "2", "--out"])
        .arg(&out)
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(json["axes"][0]["key"], "services.web.nodes");
    assert_eq!(json["points"].as_array().unwrap().len(), 2);
    // `nines run` accepts a file with a [sweep] table.
    Command::new(assert_cmd::cargo::cargo_bin!("nines"))
        .env("CI", "true")
        .arg("check")
        .arg(&file)
        .assert()
        .success();
    // A misspelt key names the keys that exist there.
    let assert = Command::new(assert_cmd::cargo::cargo_bin!("nines"))
        .env("CI", "true")
        .arg("sweep")
        .arg(&file)
        .args(["--set", "services.web.nodez=1,2", "--out"])
        .arg(tmp.path().join("bad"))
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("nodez") && stderr.contains("nodes"),
        "{stderr}"
    );
}
