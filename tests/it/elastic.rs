//! Elasticity semantics beyond the validation cases: step and scheduled policies,
//! self-healing replacement, and what booting and draining nodes cost.

use std::collections::BTreeMap;

use nines::dist::DistSpec;
use nines::model::{Model, run_trial, series_columns};
use nines::scenario::{
    Autoscaling, BalancerSpec, FailureEffect, FailureMode, Fidelity, HealthCheck, Pattern,
    ScalingPolicy, ScheduledAction, StepAdjustment,
};
use nines::stats::MetricSummary;
use nines::time::SimTime;
use nines::validation::{service, simulate, single_service};

use super::scenario_errors::ok;

fn secs(s: u64) -> SimTime {
    SimTime::from_secs(s)
}

fn scaling(policy: ScalingPolicy, min: u32, max: u32, boot_s: f64) -> Autoscaling {
    Autoscaling {
        policy,
        min,
        max,
        boot_time: DistSpec::constant(boot_s).unwrap(),
        deregistration_delay: secs(300),
        replace_after: SimTime::ZERO,
        health_check_grace: SimTime::ZERO,
    }
}

fn mean(m: &BTreeMap<String, MetricSummary>, k: &str) -> f64 {
    m[k].mean.unwrap()
}

/// The `nodes_desired` column of one trial's time series.
fn desired_series(model: &Model) -> Vec<(f64, f64)> {
    let cols = series_columns(model);
    let k = cols
        .iter()
        .position(|c| c.ends_with(".nodes_desired"))
        .unwrap();
    run_trial(model, 0)
        .unwrap()
        .timeseries
        .chunks(cols.len())
        .map(|r| (r[0], r[k]))
        .collect()
}

/// 0.1 s requests at 100/s on 2 to 30 single-slot nodes, scaled by `steps` every 60 s
/// (cooldown 300 s), nodes booting for `boot_s`, over `horizon_s`.
fn step_scaled(
    steps: Vec<StepAdjustment>,
    horizon_s: u64,
    boot_s: f64,
) -> nines::scenario::Scenario {
    let policy = ScalingPolicy::Step {
        interval: secs(60),
        cooldown: secs(300),
        steps,
    };
    let svc = service(
        "w",
        2,
        1,
        BalancerSpec::LeastConnections,
        DistSpec::constant(0.1).unwrap(),
        None,
    );
    let mut s = single_service(svc, 100.0, horizon_s, 0, 1);
    s.services[0].autoscaling = Some(scaling(policy, 2, 30, boot_s));
    s
}

#[test]
fn step_scaling_adds_its_change_per_interval_and_cools_down_before_scaling_in() {
    // 0.1 s requests at 100/s on single-slot nodes: 10 erlangs, far above 2 nodes, so
    // utilisation stays in the top band (>= 0.8) and every 60 s adds 2 nodes until the load
    // and the backlog queued meanwhile fit; at 1 h the load drops to 1/10 and scale-in
    // (−1 below 0.3) waits 300 s after the last activity.
    let steps = vec![
        StepAdjustment {
            lower: Some(0.8),
            upper: None,
            change: 2,
        },
        StepAdjustment {
            lower: None,
            upper: Some(0.3),
            change: -1,
        },
    ];
    let mut s = step_scaled(steps, 2 * 3_600, 0.0);
    s.workload.pattern = Pattern::Steps {
        at: vec![secs(3_600)],
        factors: vec![0.1],
    };
    s.run.sample_every = secs(60);
    let series = desired_series(&Model::new(&s));
    // Samples at 60 s, 120 s, ...: the tick at the same instant runs after the sample, so
    // sample k shows the size chosen at k - 1: 2, 4, 6, 8, ...
    assert_eq!(series[0].1, 2.0);
    assert_eq!(series[1].1, 4.0);
    assert_eq!(series[2].1, 6.0);
    let before: Vec<f64> = series
        .iter()
        .filter(|r| r.0 <= 3_600.0)
        .map(|r| r.1)
        .collect();
    for w in before.windows(2) {
        assert!(
            w[1] == w[0] || w[1] == w[0] + 2.0,
            "not a step of +2: {w:?}"
        );
    }
    let peak = before.iter().copied().fold(0.0, f64::max);
    // At least 12 nodes for 10 erlangs below 0.8 utilisation; the backlog may push it higher.
    assert!((12.0..=30.0).contains(&peak), "peak {peak}");
    // After the drop: one node less at most every 300 s.
    let after: Vec<f64> = series
        .iter()
        .filter(|r| r.0 > 3_600.0)
        .map(|r| r.1)
        .collect();
    for w in after.windows(5) {
        assert!(
            w[0] - w[4] <= 1.0,
            "scaled in faster than the cooldown allows: {w:?}"
        );
    }
    assert!(after.last().unwrap() < &peak);
}

#[test]
fn step_scale_out_counts_booting_nodes_toward_its_change() {
    // As above, but nodes boot for 10 minutes and the band adds 3: the first tick (60 s)
    // asks for 2 + 3; while those 3 boot, the same band asks for nothing more (AWS
    // instance warm-up), so the size stays 5 until they join, then grows again.
    let steps = vec![StepAdjustment {
        lower: Some(0.8),
        upper: None,
        change: 3,
    }];
    let mut s = step_scaled(steps, 3_600, 600.0);
    s.run.sample_every = secs(60);
    let series = desired_series(&Model::new(&s));
    // Sample k (at 60 k s) shows the size chosen at tick k - 1.
    let sizes: Vec<f64> = series.iter().take(12).map(|r| r.1).collect();
    assert_eq!(sizes[0], 2.0);
    assert!(sizes[1..11].iter().all(|&n| n == 5.0), "{sizes:?}");
    assert_eq!(
        sizes[11], 8.0,
        "the next +3 once the first three joined: {sizes:?}"
    );
}

/// One sampled column of a trial's time series, by its suffix.
fn column(model: &Model, rows: &[f64], suffix: &str) -> Vec<f64> {
    let cols = series_columns(model);
    let k = cols.iter().position(|c| c.ends_with(suffix)).unwrap();
    rows.chunks(cols.len()).map(|r| r[k]).collect()
}

#[test]
fn step_scale_out_counts_booted_nodes_waiting_for_their_check_as_warming() {
    // Boots of 30 s, but probes only every 120 s: a launched node waits up to two minutes
    // booted and out of rotation, still warming up. Every evaluation (every 60 s, sampled
    // just before it) must add the band's +3 to the nodes in rotation, not to the nodes
    // booted, so the group never runs more than 3 nodes ahead of its ready ones; and
    // capacity fidelity, whose autoscaler sleeps while its inputs stay the same, must
    // evaluate at the same ticks by the same rule.
    let steps = vec![StepAdjustment {
        lower: Some(0.8),
        upper: None,
        change: 3,
    }];
    let mut s = step_scaled(steps, 1_800, 30.0);
    s.services[0].health_check = Some(HealthCheck {
        interval: secs(120),
        timeout: None,
        unhealthy_threshold: 2,
        healthy_threshold: 2,
    });
    s.run.sample_every = secs(60);
    for fidelity in [Fidelity::Request, Fidelity::Capacity] {
        s.run.fidelity = fidelity;
        let model = Model::new(&s);
        let rows = run_trial(&model, 0).unwrap().timeseries;
        let utilization = column(&model, &rows, ".utilization");
        let desired = column(&model, &rows, ".nodes_desired");
        let ready = column(&model, &rows, ".nodes_in_rotation");
        assert!(
            desired.iter().any(|&d| d >= 8.0),
            "{fidelity:?}: {desired:?}"
        );
        for k in 0..desired.len() - 1 {
            // No node fails here: the nodes warming up are those not in rotation.
            let expected = if utilization[k] >= 0.8 {
                (ready[k] + 3.0).max(desired[k]).min(30.0)
            } else {
                desired[k]
            };
            assert_eq!(
                desired[k + 1],
                expected,
                "{fidelity:?}, tick {k}: {desired:?}"
            );
        }
    }
}

#[test]
fn a_node_failing_within_its_grace_period_is_replaced_when_the_period_ends() {
    // One node, crashing 60 s after it starts, repaired in 3 h; the group's grace period is
    // 300 s. AWS does not act on a failed check during the grace period, but replaces the
    // node when it ends: a replacement boots from 300 s to 360 s and joins after its
    // first passing probe (a new target needs one, not `healthy_threshold`), by 370 s.
    let svc = service(
        "w",
        1,
        1,
        BalancerSpec::RoundRobin,
        DistSpec::constant(0.01).unwrap(),
        None,
    );
    let mut s = single_service(svc, 1.0, 400, 0, 1);
    s.services[0].failures = vec![FailureMode {
        name: "host".into(),
        effect: FailureEffect::Crash,
        ttf: DistSpec::constant(60.0).unwrap(),
        ttr: DistSpec::constant(3.0 * 3_600.0).unwrap(),
        loses_data: false,
    }];
    s.services[0].health_check = Some(HealthCheck {
        interval: secs(10),
        timeout: None,
        unhealthy_threshold: 2,
        healthy_threshold: 3,
    });
    let policy = ScalingPolicy::Schedule { actions: vec![] };
    let mut a = scaling(policy, 1, 1, 60.0);
    a.health_check_grace = secs(300);
    s.services[0].autoscaling = Some(a);
    s.run.sample_every = secs(5);
    let model = Model::new(&s);
    let rows = run_trial(&model, 0).unwrap().timeseries;
    let booting = column(&model, &rows, ".nodes_booting");
    let ready = column(&model, &rows, ".nodes_in_rotation");
    // Sample k is at 5(k + 1) s.
    let at = |t: usize| t / 5 - 1;
    assert_eq!(ready[at(50)], 1.0);
    assert!((at(100)..=at(300)).all(|k| ready[k] == 0.0 && booting[k] == 0.0));
    assert!(
        (at(305)..=at(360)).all(|k| booting[k] == 1.0),
        "{booting:?}"
    );
    assert!((at(375)..=at(400)).all(|k| ready[k] == 1.0), "{ready:?}");
}

#[test]
fn a_random_outage_strikes_launched_nodes_too() {
    // Two nodes, scaled to ten at 10 s; a power event striking every node (fraction 1)
    // from 100 s to 150 s and from 250 s: the service is down for 100 of 300 s, launched
    // nodes included, in both fidelities.
    let text = r#"name = "random-outage"
[run]
horizon = "300s"
trials = 1
[workload]
entry = "web"
rate = 100.0
[[services]]
name = "web"
nodes = 2
concurrency = 4
service_time = { dist = "constant", value = "10ms" }
autoscaling = { policy = "schedule", min = 2, max = 10, boot_time = { dist = "constant", value = "5s" }, actions = [ { at = "10s", min = 10, desired = 10 } ] }
[[outages]]
scope = "random"
fraction = 1.0
ttf = { dist = "constant", value = "100s" }
ttr = { dist = "constant", value = "50s" }
"#;
    let mut s = ok(text);
    for fidelity in [Fidelity::Request, Fidelity::Capacity] {
        s.run.fidelity = fidelity;
        let m = simulate(&s, None);
        let a = mean(&m, "availability");
        assert!((a - 200.0 / 300.0).abs() < 1e-9, "{fidelity:?}: {a}");
    }
}

#[test]
fn scheduled_actions_repeat_daily() {
    let actions = vec![
        ScheduledAction {
            at: secs(8 * 3_600),
            daily: true,
            min: Some(6),
            max: None,
            desired: Some(6),
        },
        ScheduledAction {
            at: secs(20 * 3_600),
            daily: true,
            min: Some(2),
            max: None,
            desired: Some(2),
        },
    ];
    let svc = service(
        "w",
        2,
        1,
        BalancerSpec::RoundRobin,
        DistSpec::constant(0.01).unwrap(),
        None,
    );
    let mut s = single_service(svc, 1.0, 3 * 86_400, 0, 1);
    s.workload.rate_per_s = None;
    s.services[0].autoscaling = Some(scaling(ScalingPolicy::Schedule { actions }, 2, 10, 0.0));
    s.run.sample_every = secs(3_600);
    let series = desired_series(&Model::new(&s));
    for (t, desired) in series {
        let hour = (t as u64 / 3_600) % 24;
        // A sample sees the state before the other events of its instant: the 08:00 row
        // still shows 2, the 20:00 row still 6.
        let expected = if (9..=20).contains(&hour) { 6.0 } else { 2.0 };
        assert_eq!(desired, expected, "at {t} s");
    }
    // 12 h a day at 6 nodes, 12 h at 2: 4 on average (to within the boundary samples).
    let m = simulate(&s, None);
    assert!((mean(&m, "nodes_mean") - 4.0).abs() < 0.01);
}

#[test]
fn failed_nodes_are_replaced_and_outages_last_a_boot_not_a_repair() {
    // One node, crashing every 10 h, repaired by hand in 10 h, but replaced by the group
    // after a 60 s boot: outages last the boot, and the node count never drops for long.
    let svc = service(
        "w",
        1,
        1,
        BalancerSpec::RoundRobin,
        DistSpec::constant(0.01).unwrap(),
        None,
    );
    let mut s = single_service(svc, 1.0, 20 * 86_400, 0, 8);
    s.workload.rate_per_s = None;
    s.services[0].failures = vec![FailureMode {
        name: "host".into(),
        effect: FailureEffect::Crash,
        ttf: DistSpec::exponential(36_000.0).unwrap(),
        ttr: DistSpec::constant(36_000.0).unwrap(),
        loses_data: false,
    }];
    let policy = ScalingPolicy::Schedule { actions: vec![] };
    s.services[0].autoscaling = Some(scaling(policy, 1, 1, 60.0));
    let m = simulate(&s, None);
    assert!(
        (mean(&m, "outage_duration_mean_s") - 60.0).abs() < 1e-6,
        "{}",
        mean(&m, "outage_duration_mean_s")
    );
    // A = 1 − 60 s per failure: MTTF 10 h gives 1 − 60/36,060.
    let a = mean(&m, "availability");
    assert!(
        (a - (1.0 - 60.0 / 36_060.0)).abs() < 2e-4,
        "availability {a}"
    );
    // Booting replacements cost too: the group pays for one node all the time.
    assert!((mean(&m, "nodes_mean") - 1.0).abs() < 1e-9);
}

/// A group that swings between 2 and 300 nodes four times a day, its nodes with three
/// failure clocks of days (most still pending, inside the horizon, when a node is
/// terminated), and `extra_modes` failure modes on an unrelated service.
fn churn(extra_modes: usize) -> String {
    let mode = |k: usize| {
        format!(
            "{{ name = \"m{k}\", effect = \"crash\", ttf = {{ dist = \"exponential\", mean = \"5d\" }}, ttr = {{ dist = \"constant\", value = \"1h\" }} }}"
        )
    };
    let modes = |n: usize| (0..n).map(mode).collect::<Vec<_>>().join(", ");
    format!(
        r#"name = "churn"
[run]
horizon = "6d"
trials = 2
[workload]
entry = "a"
[[services]]
name = "a"
nodes = 2
service_time = {{ dist = "exponential", mean = "10ms" }}
health_check = {{ interval = "10s", unhealthy_threshold = 3, healthy_threshold = 2 }}
failures = [{}]
autoscaling = {{ policy = "schedule", min = 2, max = 300, boot_time = {{ dist = "constant", value = "60s" }}, actions = [
  {{ at = "00:00", daily = true, desired = 300 }},
  {{ at = "06:00", daily = true, desired = 2 }},
  {{ at = "12:00", daily = true, desired = 300 }},
  {{ at = "18:00", daily = true, desired = 2 }},
] }}
[[services]]
name = "b"
nodes = 1
service_time = {{ dist = "exponential", mean = "10ms" }}
failures = [{}]
"#,
        modes(3),
        modes(extra_modes.max(1))
    )
}

#[test]
fn sweeping_a_terminated_nodes_events_changes_nothing() {
    // Each termination leaves failure clocks days ahead in the queue; they are swept once
    // they could outnumber the live events, at a point that depends on the most failure
    // modes any service has. Two runs that sweep at different times agree exactly.
    let few = simulate(&super::scenario_errors::ok(&churn(1)), Some(1));
    let many = simulate(&super::scenario_errors::ok(&churn(12)), Some(1));
    assert!(mean(&few, "services.a.nodes_mean") > 100.0);
    for (k, v) in &few {
        if k.starts_with("services.a.") {
            assert_eq!(Some(v), many.get(k), "{k}");
        }
    }
}
