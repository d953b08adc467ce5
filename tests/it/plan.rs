//! `nines plan`: the cheapest design found where theory knows the answer.

use std::fs;

use assert_cmd::Command;
use nines::analytic::MMc;

#[test]
fn plan_finds_the_erlang_c_sizing_of_an_m_m_c_queue() {
    // M/M/c with λ = 180/s and mean service 10 ms (μ = 100/s per server), one slot per
    // node, a shared queue (`central`): exactly Erlang C. Target: p99 response time T.
    // The smallest c with p99(c) <= T is the cheapest design (cost grows with c). T is the
    // geometric mean of p99(2) and p99(3), which differ by a factor > 2, so c = 3 is
    // unambiguous even with the CI bound.
    let p99 = |c: u32| MMc::new(180.0, 100.0, c).unwrap().response_quantile_s(0.99);
    let (q2, q3) = (p99(2), p99(3));
    assert!(q2 > 2.0 * q3, "p99(2) = {q2}, p99(3) = {q3}");
    let target_ms = (q2 * q3).sqrt() * 1e3;
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("mmc.toml");
    fs::write(
        &file,
        format!(
            r#"
name = "mmc-plan"
[run]
horizon = "2m"
warmup = "10s"
trials = 10
seed = 3
[workload]
entry = "svc"
rate = 180.0
[[services]]
name = "svc"
nodes = 1
concurrency = 1
service_time = {{ dist = "exponential", mean = "10ms" }}
balancer = "central"
cost_per_hour = 1.0
[slo]
latency_p99 = "{target_ms:.3}ms"
window = "1m"
[plan]
"services.svc.nodes" = "1..40"
"#
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let assert = Command::new(assert_cmd::cargo::cargo_bin!("nines"))
        .env("CI", "true")
        .arg("plan")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("best: services.svc.nodes=3"), "{stdout}");
    let plan = plan_json(&out);
    assert_eq!(plan["best"]["services.svc.nodes"], "3");
    // 3 nodes × 1 per hour × 8760 h.
    assert!((plan["cost"].as_f64().unwrap() - 26_280.0).abs() < 1e-6);
    let evaluated = plan["evaluated"].as_array().unwrap();
    // Bisection over 40 values: about log2(40) + 1 designs, never the grid.
    assert!(
        evaluated.len() <= 8,
        "{} designs evaluated",
        evaluated.len()
    );
    let two = evaluated
        .iter()
        .find(|e| e["design"]["services.svc.nodes"] == "2")
        .expect("the neighbour below the answer is evaluated");
    assert_eq!(two["meets_slo"], false);
    // The simulated p99 at c = 3 agrees with Erlang C within 10%.
    let sim = plan["metrics"]["latency_p99_s"]["mean"].as_f64().unwrap();
    assert!((sim / q3 - 1.0).abs() < 0.1, "sim {sim} vs theory {q3}");
    assert!(out.join("plan_frontier.png").is_file());
    let report = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("`services.svc.nodes` = 3"), "{report}");
    // In capacity fidelity (set for every design with --set) the p99 is Erlang C's own,
    // so the same sizing follows, and the figure agrees with theory within the atoms'
    // resolution.
    let out = tmp.path().join("capacity");
    Command::new(assert_cmd::cargo::cargo_bin!("nines"))
        .env("CI", "true")
        .args(["plan", "--set", "run.fidelity=capacity", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let plan = plan_json(&out);
    assert_eq!(plan["best"]["services.svc.nodes"], "3");
    assert_eq!(plan["overrides"][0], "run.fidelity=capacity");
    let report = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("`--set run.fidelity=capacity`"), "{report}");
    let capacity = plan["metrics"]["latency_p99_s"]["mean"].as_f64().unwrap();
    assert!(
        (capacity / q3 - 1.0).abs() < 0.01,
        "capacity {capacity} vs theory {q3}"
    );
}

#[test]
fn plan_without_a_feasible_design_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("p.toml");
    let text = fs::read_to_string(format!(
        "{}/scenarios/quickstart.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .replace("horizon = \"10m\"", "horizon = \"1m\"")
    .replace("warmup = \"1m\"", "warmup = \"10s\"")
        + "\n[slo]\nlatency_p99 = \"1ms\"\nwindow = \"30s\"\n[plan]\n\"services.web.nodes\" = \"2..4\"\n";
    fs::write(&file, text).unwrap();
    let out = tmp.path().join("o");
    Command::new(assert_cmd::cargo::cargo_bin!("nines"))
        .env("CI", "true")
        .arg("plan")
        .arg(&file)
        .args(["--trials", "2", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicates::str::contains("best: none"));
    let plan = plan_json(&out);
    assert!(plan["best"].is_null());
    assert!(
        plan["reason"]
            .as_str()
            .unwrap()
            .contains("no evaluated design")
    );
}

#[test]
fn an_error_ratio_target_counts_dropped_requests() {
    // M/M/c/c (`queue_limit = 0`, a shared queue): a = 2 erlangs, so Erlang B drops
    // B(c, 2) of the requests and none is an error. `[slo] error_ratio` counts every
    // failed request, so with a 1% target the cheapest design is the smallest c with
    // B(c, 2) <= 1%: B(6, 2) = 1.2% misses it, B(7, 2) = 0.34% meets it by far more than
    // the CI half-width (about 0.05% at 8 trials of 60,000 arrivals).
    assert!(nines::analytic::erlang_b(6, 2.0) > 0.012);
    assert!(nines::analytic::erlang_b(7, 2.0) < 0.0035);
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("loss.toml");
    fs::write(
        &file,
        r#"
name = "loss-plan"
[run]
horizon = "10m"
trials = 8
seed = 5
[workload]
entry = "svc"
rate = 100.0
[[services]]
name = "svc"
nodes = 1
concurrency = 1
queue_limit = 0
service_time = { dist = "exponential", mean = "20ms" }
balancer = "central"
cost_per_hour = 1.0
[slo]
error_ratio = 0.01
window = "1m"
[plan]
"services.svc.nodes" = "1..12"
"#,
    )
    .unwrap();
    let out = tmp.path().join("out");
    Command::new(assert_cmd::cargo::cargo_bin!("nines"))
        .env("CI", "true")
        .args(["plan", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success()
        .stdout(predicates::str::contains("best: services.svc.nodes=7"));
    let plan = plan_json(&out);
    let metric = |name: &str| plan["metrics"][name]["mean"].as_f64().unwrap();
    assert_eq!(metric("error_ratio"), 0.0);
    assert_eq!(metric("failed_ratio"), metric("dropped_ratio"));
    let b7 = nines::analytic::erlang_b(7, 2.0);
    assert!(
        (metric("failed_ratio") - b7).abs() < 0.001,
        "vs B(7, 2) = {b7}"
    );
}

/// The `plan.json` a plan wrote into `out`.
fn plan_json(out: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(out.join("plan.json")).unwrap()).unwrap()
}
