//! The `nines` command line as a user meets it: outputs, reruns, refusals, exit codes.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn nines() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("nines"));
    cmd.env("CI", "true");
    cmd
}

fn scenario(name: &str) -> String {
    format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"))
}

fn run_quickstart(out: &Path, threads: usize) {
    nines()
        .args([
            "run",
            &scenario("quickstart"),
            "--trials",
            "4",
            "--threads",
            &threads.to_string(),
            "--out",
        ])
        .arg(out)
        .assert()
        .success();
}

#[test]
fn run_writes_the_result_files_and_a_table() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("q");
    let assert = nines()
        .args(["run", &scenario("quickstart"), "--trials", "3", "--out"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        stdout.contains("latency_p99_s") && stdout.contains("95% CI"),
        "{stdout}"
    );
    for f in [
        "summary.json",
        "summary.csv",
        "trials.csv",
        "timeseries.csv",
        "latency.png",
        "latency.svg",
        "timeseries.png",
        "timeseries.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    assert!(
        fs::read(out.join("latency.png"))
            .unwrap()
            .starts_with(b"\x89PNG")
    );
    let svg = fs::read_to_string(out.join("timeseries.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("Nodes in rotation"),
        "{svg:.200}"
    );
    // report.md embeds the figures; `nines report` rebuilds it from summary.json alone.
    let report = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.starts_with("# quickstart\n"), "{report}");
    assert!(report.contains("| `latency_p99_s` |") && report.contains("](latency.png)"));
    fs::remove_file(out.join("report.md")).unwrap();
    nines().arg("report").arg(&out).assert().success();
    assert_eq!(fs::read_to_string(out.join("report.md")).unwrap(), report);
    // No outage in this run: no outage figures.
    assert!(!out.join("outage_durations.png").exists());
    assert!(!out.join("downtime_by_cause.png").exists());
    // timeseries.csv: horizon / sample_every = 10 min / 3 s = 200 rows, after a header.
    let series = fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let header = series.lines().next().unwrap();
    assert!(header.starts_with("time_s,arrival_rate,throughput_rps,in_system,web.utilization"));
    assert_eq!(series.lines().count(), 201);
    assert!(series.lines().nth(200).unwrap().starts_with("600,"));
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["scenario"], "quickstart");
    assert_eq!(summary["trials"], 3);
    assert_eq!(summary["seed"], 1);
    let p99 = &summary["metrics"]["latency_p99_s"];
    for key in [
        "mean",
        "std",
        "ci95_low",
        "ci95_high",
        "min",
        "max",
        "trials",
    ] {
        assert!(p99.get(key).is_some(), "latency_p99_s lacks {key}");
    }
    assert!(
        summary["metrics"]["services.db.utilization"]["mean"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    // trials.csv: a header and one row per trial.
    assert_eq!(
        fs::read_to_string(out.join("trials.csv"))
            .unwrap()
            .lines()
            .count(),
        4
    );
}

#[test]
fn results_are_byte_identical_for_any_thread_count_and_rerun() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    run_quickstart(&one, 1);
    run_quickstart(&two, 2);
    // The same command twice replaces its own result.
    run_quickstart(&two, 2);
    for f in [
        "summary.json",
        "summary.csv",
        "trials.csv",
        "timeseries.csv",
    ] {
        assert_eq!(
            fs::read(one.join(f)).unwrap(),
            fs::read(two.join(f)).unwrap(),
            "{f} differs"
        );
    }
}

#[test]
fn refuses_a_directory_it_did_not_write_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("mine");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("notes.md"), "keep me").unwrap();
    nines()
        .args(["run", &scenario("quickstart"), "--trials", "2", "--out"])
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicates::str::contains("notes.md").and(predicates::str::contains("--force")));
    assert!(!out.join("summary.json").exists());
    nines()
        .args([
            "run",
            &scenario("quickstart"),
            "--trials",
            "2",
            "--force",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(fs::read_to_string(out.join("notes.md")).unwrap(), "keep me");
    assert!(out.join("summary.json").is_file());
}

#[test]
fn a_result_replaces_only_its_own_earlier_result() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let quick = ["--trials", "2", "--set", r#"run.horizon="20m""#, "--out"];
    nines()
        .args(["run", &scenario("quickstart")])
        .args(quick)
        .arg(&out)
        .assert()
        .success();
    let before = fs::read(out.join("summary.json")).unwrap();
    // Another scenario's run, or a sweep of the same one, is not a rerun: refused even
    // with --force, the result untouched.
    let (gray, quickstart) = (scenario("gray-failure"), scenario("quickstart"));
    let others = [
        vec!["run", "--force", &gray],
        vec!["sweep", &quickstart, "--set", "services.web.nodes=3,4"],
        vec!["run", &quickstart, "--shard", "0/2"],
    ];
    for args in others {
        nines()
            .args(args)
            .args(quick)
            .arg(&out)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(
                "holds another result (`nines run quickstart`)",
            ));
    }
    assert_eq!(fs::read(out.join("summary.json")).unwrap(), before);
    // A rerun, with other settings, replaces it.
    nines()
        .args(["run", &quickstart, "--seed", "9"])
        .args(quick)
        .arg(&out)
        .assert()
        .success();
    assert_ne!(fs::read(out.join("summary.json")).unwrap(), before);
}

#[test]
fn usage_errors_exit_with_status_2() {
    let tmp = tempfile::tempdir().unwrap();
    let plan_without_slo = tmp.path().join("p.toml");
    fs::write(
        &plan_without_slo,
        fs::read_to_string(scenario("quickstart")).unwrap()
            + "\n[plan]\n\"services.web.nodes\" = \"2..4\"\n",
    )
    .unwrap();
    let plan_without_slo = plan_without_slo.to_str().unwrap();
    let quickstart = scenario("quickstart");
    let cases: [(&[&str], &str); 6] = [
        (&["run", &quickstart, "--threads", "0"], "--threads"),
        (
            &["run", &quickstart, "--out", "."],
            "--out must name a directory",
        ),
        (&["sweep", &quickstart], "nothing to sweep"),
        (
            &["sweep", &quickstart, "--set", "services.web.nodes=5..2"],
            "services.web.nodes",
        ),
        (&["plan", plan_without_slo], "needs an [slo] table"),
        (
            &["run", &quickstart, "--shard", "auto"],
            "no array index found",
        ),
    ];
    for (args, message) in cases {
        nines()
            .args(args)
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("JOB_COMPLETION_INDEX")
            .env_remove("AWS_BATCH_JOB_ARRAY_INDEX")
            .current_dir(tmp.path())
            .assert()
            .code(2)
            .stderr(predicates::str::contains(message));
    }
}

#[test]
fn check_checks_every_sweep_and_plan_value() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("s.toml");
    let base = fs::read_to_string(scenario("quickstart")).unwrap();
    let write = |tables: &str| fs::write(&file, format!("{base}\n{tables}")).unwrap();
    let plan = "[plan]\n\"services.db.nodes\" = \"1..3\"\n";
    write(&format!(
        "[sweep]\n\"services.web.nodes\" = \"2..4\"\n{plan}"
    ));
    // A plan needs an SLO to meet.
    nines()
        .arg("check")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "plan: nines plan needs an [slo] table",
        ));
    write(&format!(
        "[sweep]\n\"services.web.nodes\" = \"2..4\"\n{plan}[slo]\navailability = 0.999\n"
    ));
    nines().arg("check").arg(&file).assert().success();
    // Values valid only together: db nodes = 1 needs min_healthy = 1, which the sweep sets
    // at every point (the file says 2).
    fs::write(
        &file,
        base.replace(
            "name = \"db\"\n",
            "name = \"db\"\nredundancy = { mode = \"active_active\", min_healthy = 2 }\n",
        ) + "\n[sweep]\n\"services.db.nodes\" = [1, 2]\n\"services.db.redundancy.min_healthy\" = [1]\n",
    )
    .unwrap();
    nines().arg("check").arg(&file).assert().success();
    // A misspelt key fails at every value and is reported once; a bad value alone.
    write(concat!(
        "[sweep]\n\"services.web.nodez\" = \"2..4\"\n",
        "\"services.web.balancer\" = [\"random\", \"fastest\"]\n",
        "[plan]\n\"services.dbb.nodes\" = \"1..3\"\n[slo]\navailability = 0.999\n",
    ));
    let out = nines().arg("check").arg(&file).assert().code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(
        stderr.matches("unknown key \"nodez\"").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("services.web.nodez=2)"), "{stderr}");
    assert!(stderr.contains("unknown variant \"fastest\""), "{stderr}");
    assert!(!stderr.contains("\"random\")"), "{stderr}");
    assert_eq!(
        stderr.matches("no element named \"dbb\"").count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("3 problems found in the [sweep] or [plan] values"),
        "{stderr}"
    );
}

#[test]
fn a_service_time_with_an_infinite_mean_runs_and_says_so() {
    // Pareto with shape 0.5: a documented heavy tail with no mean. JSON has no infinity;
    // the report must still be written.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("pareto");
    nines()
        .args(["run", &scenario("quickstart"), "--trials", "2", "--set"])
        .args([
            r#"services.web.service_time={dist="pareto",shape=0.5,scale="1ms"}"#,
            "--set",
            r#"run.horizon="2m""#,
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let report = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("| `web` | 4 | 4 | infinite |"), "{report}");
}

#[test]
fn merge_refuses_to_write_over_a_shard() {
    let tmp = tempfile::tempdir().unwrap();
    let shard = |i: usize| tmp.path().join(format!("s{i}"));
    for i in 0..2 {
        nines()
            .args(["run", &scenario("quickstart"), "--trials", "2"])
            .args(["--shard", &format!("{i}/2"), "--out"])
            .arg(shard(i))
            .assert()
            .success();
    }
    nines()
        .arg("merge")
        .args([shard(0), shard(1)])
        .arg("--out")
        .arg(shard(0))
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "is one of the shards being merged",
        ));
    assert!(shard(0).join("shard.json").is_file());
}

#[test]
fn check_accepts_the_examples_and_reports_every_problem_with_its_place() {
    for name in ["quickstart", "balancers"] {
        nines().args(["check", &scenario(name)]).assert().success();
    }
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("web.toml");
    fs::write(
        &bad,
        "name = \"w\"\n[run]\nhorizon = \"1h\"\nwarmup = \"2h\"\n[workload]\nentry = \"web\"\nrate = -3\n\
         [[services]]\nname = \"web\"\nbalancer = \"p2c\"\nservice_time = { dist = \"exponential\", mean = \"5 parsecs\" }\n",
    )
    .unwrap();
    let assert = nines().arg("check").arg(&bad).assert().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    for expected in [
        "web.toml:10:12: services[0].balancer:",
        "p2c",
        "services[0].service_time.mean",
        "parsecs",
        "workload.rate",
        "run.warmup",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    assert!(!stderr.contains("panicked"));
    // `run` refuses the same file the same way, before simulating anything.
    nines()
        .arg("run")
        .arg(&bad)
        .arg("--out")
        .arg(tmp.path().join("o"))
        .assert()
        .code(2);
}

#[test]
fn a_missing_file_is_a_clear_error() {
    nines()
        .args(["check", "no/such/scenario.toml"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no/such/scenario.toml"));
}

#[test]
fn schema_is_json_naming_the_sections() {
    let assert = nines().arg("schema").assert().success();
    let schema: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    for key in ["run", "workload", "services"] {
        assert!(
            schema["properties"].get(key).is_some(),
            "schema lacks {key}"
        );
    }
}

#[test]
fn every_example_scenario_checks_and_runs() {
    let dir = format!("{}/scenarios", env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let mut seen = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        seen += 1;
        nines().arg("check").arg(&path).assert().success();
        let out = tmp.path().join(path.file_stem().unwrap());
        nines()
            .arg("run")
            .arg(&path)
            .args(["--trials", "2", "--out"])
            .arg(&out)
            .assert()
            .success();
        assert!(out.join("outages.csv").is_file());
    }
    assert!(seen >= 4, "expected the example scenarios, found {seen}");
}

#[test]
fn availability_runs_report_nines_and_downtime_by_cause() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("maz");
    let assert = nines()
        .args([
            "run",
            &scenario("multi-az-web"),
            "--trials",
            "20",
            "--set",
            "services.web.zones=[\"a\"]",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        stdout.contains("downtime by cause:") && stdout.contains("zone outage (a)"),
        "{stdout}"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    let a = summary["metrics"]["availability"]["mean"].as_f64().unwrap();
    let nines = summary["metrics"]["nines"]["mean"].as_f64().unwrap();
    assert!((nines + (1.0 - a).log10()).abs() < 1e-9);
    let causes = summary["downtime_by_cause"].as_array().unwrap();
    let shares: f64 = causes.iter().map(|c| c["share"].as_f64().unwrap()).sum();
    assert!((shares - 1.0).abs() < 1e-9);
    // Web in one zone: that zone's outages dominate.
    assert_eq!(causes[0]["cause"], "zone outage (a)");
    // Downtime and outages: their figures; no requests: no latency figure.
    for f in ["outage_durations", "downtime_by_cause"] {
        assert!(
            fs::read(out.join(format!("{f}.png")))
                .unwrap()
                .starts_with(b"\x89PNG")
        );
        assert!(out.join(format!("{f}.svg")).is_file());
    }
    assert!(!out.join("latency.png").exists());
    let outages = fs::read_to_string(out.join("outages.csv")).unwrap();
    assert!(outages.starts_with("trial,service,start_s,end_s,duration_s,cause"));
    assert!(
        outages
            .lines()
            .skip(1)
            .any(|l| l.contains(",web,") && l.ends_with("zone outage (a)"))
    );
}
