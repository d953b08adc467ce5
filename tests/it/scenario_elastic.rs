//! The elastic keys of the scenario file: workload patterns (and traces) and autoscaling —
//! read with their defaults, and every problem reported at its place.

use std::path::Path;

use nines::dist::DistSpec;
use nines::scenario::{
    Autoscaling, Pattern, ScalingPolicy, ScheduledAction, StepAdjustment, json_schema, load, parse,
};
use nines::time::SimTime;
use proptest::prelude::*;

use super::scenario_errors::{BASE, at, errors, ok, one_error, unknown_keys};

/// Every new key: a list of patterns, and one service per scaling policy.
const FULL: &str = r#"name = "elastic"

[run]
horizon = "2d"

[workload]
entry = "web"
rate = 400.0
pattern = [
  { kind = "diurnal", period = "12h", peak = 1.8, trough = 0.4, peak_at = "14h" },
  { kind = "spike", at = "2h", duration = "10m", factor = 5.0 },
  { kind = "steps", at = ["0s", "1h", "3h"], factor = [1.0, 3.0, 0.5] },
  { kind = "constant" },
]

[[services]]
name = "web"
nodes = 4
service_time = { dist = "exponential", mean = "20ms" }
calls = ["api"]
autoscaling = { policy = "target_tracking", target = 0.6, min = 2, max = 20, interval = "30s", tolerance = 0.05, scale_up_nodes = 2, scale_up_percent = 50, scale_down_stabilization = "10m", boot_time = { dist = "constant", value = "90s" }, deregistration_delay = "30s", replace_after = "10s", health_check_grace = "2m" }

[[services]]
name = "api"
nodes = 3
service_time = { dist = "exponential", mean = "5ms" }
calls = ["batch"]
autoscaling = { policy = "step", min = 2, max = 10, interval = "2m", cooldown = "5m", boot_time = { dist = "uniform", min = "30s", max = "60s" }, steps = [
  { lower = 0.8, change = 2 },
  { lower = 0.6, upper = 0.8, change = 1 },
  { upper = 0.3, change = -1 },
] }

[[services]]
name = "batch"
service_time = { dist = "exponential", mean = "1s" }
autoscaling = { policy = "schedule", min = 1, max = 8, actions = [
  { at = "08:00", daily = true, min = 4, desired = 6 },
  { at = "20:00:30", daily = true, min = 1 },
  { at = "36h", desired = 4 },
  { at = 7200, max = 6, daily = false },
] }
"#;

const fn secs(s: u64) -> SimTime {
    SimTime::from_secs(s)
}

#[test]
fn every_elastic_key_is_read() {
    let s = ok(FULL);
    assert_eq!(
        s.workload.pattern,
        Pattern::Product(vec![
            Pattern::Diurnal {
                period: secs(12 * 3600),
                peak: 1.8,
                trough: 0.4,
                peak_at: secs(14 * 3600),
            },
            // 2h = 7200 s, 10m = 600 s.
            Pattern::Spike {
                at: secs(7200),
                duration: secs(600),
                factor: 5.0,
            },
            Pattern::Steps {
                at: vec![secs(0), secs(3600), secs(3 * 3600)],
                factors: vec![1.0, 3.0, 0.5],
            },
            Pattern::Constant,
        ])
    );

    let web = &s.services[0];
    assert_eq!(web.nodes, 4);
    assert_eq!(
        web.autoscaling,
        Some(Autoscaling {
            policy: ScalingPolicy::TargetTracking {
                target: 0.6,
                interval: secs(30),
                tolerance: 0.05,
                scale_up_nodes: 2,
                scale_up_percent: 50.0,
                scale_down_stabilization: secs(600),
            },
            min: 2,
            max: 20,
            boot_time: DistSpec::constant(90.0).unwrap(),
            deregistration_delay: secs(30),
            replace_after: secs(10),
            health_check_grace: secs(120),
        })
    );

    let api = s.services[1].autoscaling.as_ref().unwrap();
    let band = |lower, upper, change| StepAdjustment {
        lower,
        upper,
        change,
    };
    assert_eq!(
        api.policy,
        ScalingPolicy::Step {
            interval: secs(120),
            cooldown: secs(300),
            steps: vec![
                band(Some(0.8), None, 2),
                band(Some(0.6), Some(0.8), 1),
                band(None, Some(0.3), -1),
            ],
        }
    );
    assert_eq!((api.min, api.max), (2, 10));
    assert_eq!(api.boot_time, DistSpec::uniform(30.0, 60.0).unwrap());

    let batch = s.services[2].autoscaling.as_ref().unwrap();
    let action = |at, daily, min, max, desired| ScheduledAction {
        at,
        daily,
        min,
        max,
        desired,
    };
    assert_eq!(
        batch.policy,
        ScalingPolicy::Schedule {
            actions: vec![
                // 08:00 = 8 x 3600 s; 20:00:30 = 20 x 3600 + 30 s; 36h; 7200 s.
                action(secs(8 * 3600), true, Some(4), None, Some(6)),
                action(secs(20 * 3600 + 30), true, Some(1), None, None),
                action(secs(36 * 3600), false, None, None, Some(4)),
                action(secs(7200), false, None, Some(6), None),
            ],
        }
    );
    // nodes not set: 1, which lies in [1, 8].
    assert_eq!((s.services[2].nodes, batch.min, batch.max), (1, 1, 8));
}

/// BASE with `pattern = <p>` in the workload.
fn pattern(p: &str) -> String {
    BASE.replace("rate = 10", &format!("rate = 10\npattern = {p}"))
}

/// BASE with `extra` keys in the web service.
fn svc(extra: &str) -> String {
    BASE.replace("name = \"web\"", &format!("name = \"web\"\n{extra}"))
}

/// BASE's web service with `nodes = 2` and `autoscaling = { <keys> }`.
fn scaling(keys: &str) -> String {
    svc(&format!("nodes = 2\nautoscaling = {{ {keys} }}"))
}

const TT: &str = "policy = \"target_tracking\", target = 0.5, min = 1, max = 4";

#[test]
fn elastic_defaults() {
    let s = ok(BASE);
    assert_eq!(s.workload.pattern, Pattern::Constant);
    assert_eq!(s.services[0].autoscaling, None);

    // One table is that pattern; a list, even of one, is a product.
    let s = ok(&pattern("{ kind = \"diurnal\", peak = 2, trough = 0 }"));
    let day = Pattern::Diurnal {
        period: secs(24 * 3600),
        peak: 2.0,
        trough: 0.0,
        peak_at: SimTime::ZERO,
    };
    assert_eq!(s.workload.pattern, day);
    let s = ok(&pattern("[{ kind = \"diurnal\", peak = 2, trough = 0 }]"));
    assert_eq!(s.workload.pattern, Pattern::Product(vec![day]));
    // peak may equal trough; a spike and a step may multiply by 0.
    let s = ok(&pattern(
        "[{ kind = \"diurnal\", peak = 1, trough = 1 }, { kind = \"spike\", at = 0, duration = 1, factor = 0 }, { kind = \"steps\", at = [\"1h\"], factor = [0] }]",
    ));
    assert!(matches!(s.workload.pattern, Pattern::Product(ref v) if v.len() == 3));

    let s = ok(&scaling(TT));
    assert_eq!(
        s.services[0].autoscaling,
        Some(Autoscaling {
            // The HPA defaults: 15 s, 0.1, 4 nodes or 100 %, 300 s.
            policy: ScalingPolicy::TargetTracking {
                target: 0.5,
                interval: secs(15),
                tolerance: 0.1,
                scale_up_nodes: 4,
                scale_up_percent: 100.0,
                scale_down_stabilization: secs(300),
            },
            min: 1,
            max: 4,
            boot_time: DistSpec::constant(0.0).unwrap(),
            deregistration_delay: secs(300),
            replace_after: SimTime::ZERO,
            health_check_grace: secs(300),
        })
    );
    let s = ok(&scaling(
        "policy = \"step\", min = 2, max = 2, steps = [{ upper = 0.1, change = -1 }]",
    ));
    assert_eq!(
        s.services[0].autoscaling.as_ref().unwrap().policy,
        ScalingPolicy::Step {
            interval: secs(60),
            cooldown: secs(300),
            steps: vec![StepAdjustment {
                lower: None,
                upper: Some(0.1),
                change: -1
            }],
        }
    );
    // Bands may touch (upper of one = lower of the next) and leave gaps; target may be 1;
    // tolerance and the stabilisation window may be 0.
    ok(&scaling(
        "policy = \"step\", min = 1, max = 4, steps = [{ lower = 0.5, upper = 0.7, change = 1 }, { lower = 0.7, change = 2 }, { upper = 0.2, change = -1 }]",
    ));
    ok(&scaling(
        "policy = \"target_tracking\", target = 1, tolerance = 0, scale_down_stabilization = 0, min = 1, max = 4",
    ));
    // A daily action at 23:59:59 (as a duration, 86399 s) and a TOML local time.
    let s = ok(&scaling(
        "policy = \"schedule\", min = 1, max = 4, actions = [{ at = 86399, daily = true, desired = 2 }, { at = 08:30:00, daily = true, max = 3 }]",
    ));
    let Some(ScalingPolicy::Schedule { actions }) =
        s.services[0].autoscaling.as_ref().map(|a| &a.policy)
    else {
        panic!("a schedule")
    };
    assert_eq!(actions[0].at, secs(86_399));
    assert_eq!(actions[1].at, secs(8 * 3600 + 30 * 60));
}

#[test]
fn pattern_rules() {
    // A pattern multiplies the rate: without one it would silently simulate nothing.
    let text = pattern("{ kind = \"spike\", at = \"1m\", duration = \"1m\", factor = 2 }")
        .replace("rate = 10\n", "");
    one_error(
        &text,
        &at(&text, "{ kind", 0),
        "workload.pattern",
        "a pattern multiplies the workload's rate, which is missing",
    );
    let text = pattern("{ kind = \"diurnal\", peak = 0.5, trough = 0.8 }");
    one_error(
        &text,
        &at(&text, "0.5", 0),
        "workload.pattern.peak",
        "peak must be a finite number >= trough (0.8); found 0.5",
    );
    let text = pattern("{ kind = \"diurnal\", peak = 1, trough = -0.1 }");
    one_error(
        &text,
        &at(&text, "-0.1", 0),
        "workload.pattern.trough",
        "trough must be a finite number >= 0",
    );
    let text = pattern("{ kind = \"diurnal\", peak = 1, trough = 0, period = 0 }");
    one_error(
        &text,
        &at(&text, "0 }", 0),
        "workload.pattern.period",
        "period must be longer than 0",
    );
    let text = pattern("{ kind = \"diurnal\", trough = 0.5 }");
    one_error(
        &text,
        &at(&text, "{ kind", 0),
        "workload.pattern.peak",
        "kind = \"diurnal\" needs peak; diurnal takes peak, trough, and optionally period, peak_at",
    );
    let text = pattern("{ kind = \"steps\", at = [\"0s\", \"1h\"], factor = [1.0] }");
    one_error(
        &text,
        &at(&text, "[1.0]", 0),
        "workload.pattern.factor",
        "factor has 1 entries but at has 2; give one factor per time",
    );
    let text = pattern("{ kind = \"steps\", at = [\"1h\", \"1h\", \"2h\"], factor = [1, 2, 3] }");
    one_error(
        &text,
        &at(&text, "\"1h\", \"2h\"", 0),
        "workload.pattern.at[1]",
        "at[1] (1h) must be later than at[0] (1h)",
    );
    let text = pattern("{ kind = \"steps\", at = [\"0s\", \"1h\"], factor = [1, -2] }");
    one_error(
        &text,
        &at(&text, "-2", 0),
        "workload.pattern.factor[1]",
        "a factor must be a finite number >= 0",
    );
    let text = pattern("{ kind = \"steps\", at = \"1h\", factor = [2] }");
    one_error(
        &text,
        &at(&text, "at = \"1h\"", 5),
        "workload.pattern.at",
        "kind = \"steps\" takes a list for at",
    );
    let text = pattern("{ kind = \"steps\", at = [], factor = [] }");
    one_error(
        &text,
        &at(&text, "[]", 0),
        "workload.pattern.at",
        "at must list at least one time",
    );
    let text = pattern("{ kind = \"spike\", at = \"1h\", factor = 3 }");
    one_error(
        &text,
        &at(&text, "{ kind", 0),
        "workload.pattern.duration",
        "kind = \"spike\" needs duration",
    );
    let text = pattern("{ kind = \"spike\", at = \"1h\", duration = 0, factor = 3 }");
    one_error(
        &text,
        &at(&text, "0,", 0),
        "workload.pattern.duration",
        "duration must be longer than 0",
    );
    let text = pattern("{ kind = \"spike\", at = [\"1h\"], duration = 1, factor = 3 }");
    one_error(
        &text,
        &at(&text, "[\"1h\"]", 0),
        "workload.pattern.at",
        "kind = \"spike\" starts at one time",
    );
    let text = pattern("{ kind = \"spike\", at = \"1h\", duration = 1, factor = \"big\" }");
    one_error(
        &text,
        &at(&text, "\"big\"", 0),
        "workload.pattern.factor",
        "invalid type: string \"big\", expected a number",
    );
    // A key of another kind is named at the key, with what the kind takes.
    let text = pattern("{ kind = \"constant\", peak = 2 }");
    one_error(
        &text,
        &at(&text, "peak", 0),
        "workload.pattern.peak",
        "peak is not a key of kind = \"constant\"; constant takes no other keys",
    );
    let text = pattern("{ kind = \"spike\", at = 0, duration = 1, factor = 2, file = \"x.csv\" }");
    one_error(
        &text,
        &at(&text, "file", 0),
        "workload.pattern.file",
        "file is not a key of kind = \"spike\"; spike takes at, duration, factor",
    );
    let text = pattern("{ peak = 2 }");
    one_error(
        &text,
        &at(&text, "{ peak", 0),
        "workload.pattern.kind",
        "missing key \"kind\"; expected one of constant, diurnal, steps, spike, trace",
    );
    let text = pattern("[{ kind = \"constant\" }, { kind = \"sawtooth\", peak = 2 }]");
    one_error(
        &text,
        &at(&text, "\"sawtooth\"", 0),
        "workload.pattern[1].kind",
        "unknown variant \"sawtooth\", expected one of constant, diurnal, steps, spike, trace",
    );
    let text = pattern("[]");
    one_error(
        &text,
        &at(&text, "[]", 0),
        "workload.pattern",
        "pattern = [] lists no patterns",
    );
    let text = pattern("\"diurnal\"");
    one_error(
        &text,
        &at(&text, "\"diurnal\"", 0),
        "workload.pattern",
        "expected a table with a kind key, or an array of such tables",
    );
    // Problems in two patterns of a list are both reported, each at its place.
    let text = pattern(
        "[\n  { kind = \"diurnal\", peak = 1, trough = 2 },\n  { kind = \"spike\", at = 0, duration = 0, factor = 1 },\n]",
    );
    let errs = errors(&text);
    assert_eq!(errs.len(), 2, "{errs:?}");
    // BASE's rate is line 8, "pattern = [" 9, the diurnal 10, the spike 11.
    assert!(
        errs[0].starts_with("web.toml:10:30: workload.pattern[0].peak: "),
        "{}",
        errs[0]
    );
    assert!(
        errs[1].starts_with("web.toml:11:40: workload.pattern[1].duration: "),
        "{}",
        errs[1]
    );
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn traces_come_from_a_csv_next_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = pattern("[{ kind = \"trace\", file = \"load.csv\" }]");
    let scenario = write(dir.path(), "web.toml", &text);
    write(
        dir.path(),
        "load.csv",
        "time_s,multiplier\n0,0.5\n\n3600,2.0,ignored\n7200.5, 1\n",
    );
    let s = load(&scenario).unwrap();
    assert_eq!(
        s.workload.pattern,
        Pattern::Product(vec![Pattern::Trace {
            points: vec![(0.0, 0.5), (3600.0, 2.0), (7200.5, 1.0)]
        }])
    );

    // Line 1 is the header; each bad row is reported at its own line.
    write(
        dir.path(),
        "load.csv",
        "time_s,multiplier\n0,1\n60,-1\n0,1\n60,fast\n90\n120,2\n120,3\n",
    );
    let errs = load(&scenario).unwrap_err();
    let csv = dir.path().join("load.csv");
    let lines: Vec<String> = errs.iter().map(|d| d.to_string()).collect();
    let expect = [
        (3, "multiplier -1 must be a finite number >= 0"),
        // Compared with the last good row (0 s), not with the bad row 60 before it.
        (4, "time 0 s is not after the previous row's 0 s"),
        (5, "\"fast\" is not a number"),
        (6, "a trace row needs two values: time_s,multiplier"),
        (8, "time 120 s is not after the previous row's 120 s"),
    ];
    assert_eq!(lines.len(), expect.len(), "{lines:#?}");
    for (line, (n, msg)) in lines.iter().zip(expect) {
        let prefix = format!("{}:{n}:1: workload.pattern[0].file: ", csv.display());
        assert!(line.starts_with(&prefix) && line.contains(msg), "{line}");
    }

    write(dir.path(), "load.csv", "time_s,multiplier\n");
    let errs = load(&scenario).unwrap_err();
    assert_eq!(errs.len(), 1);
    assert!(errs.to_string().contains("holds no rows"), "{errs}");

    std::fs::remove_file(&csv).unwrap();
    let errs = load(&scenario).unwrap_err();
    assert_eq!(errs.len(), 1);
    let d = &errs.items[0];
    assert_eq!(d.file, scenario);
    assert_eq!(d.key_path, "workload.pattern[0].file");
    assert!(
        d.message.contains("cannot read the trace file"),
        "{}",
        d.message
    );
    assert_eq!(
        format!("{}:{}", d.line, d.column),
        at(&text, "\"load.csv\"", 0)
    );
}

#[test]
fn autoscaling_bounds_and_nodes() {
    let text = scaling("min = 1, max = 4");
    one_error(
        &text,
        &at(&text, "{ min", 0),
        "services[0].autoscaling.policy",
        "missing key \"policy\"; expected one of target_tracking, step, schedule",
    );
    let text = scaling("policy = \"target_tracking\", target = 0.5, max = 4");
    one_error(
        &text,
        &at(&text, "{ policy", 0),
        "services[0].autoscaling.min",
        "missing key \"min\"",
    );
    let text = scaling("policy = \"target_tracking\", target = 0.5, min = 0, max = 4");
    one_error(
        &text,
        &at(&text, "0, max", 0),
        "services[0].autoscaling.min",
        "min must be at least 1",
    );
    let text = scaling("policy = \"target_tracking\", target = 0.5, min = 3, max = 2");
    one_error(
        &text,
        &at(&text, "2 }", 0),
        "services[0].autoscaling.max",
        "max (2) must be at least min (3)",
    );
    // nodes = 2 outside [3, 5]: reported at nodes.
    let text = scaling("policy = \"target_tracking\", target = 0.5, min = 3, max = 5");
    one_error(
        &text,
        &at(&text, "nodes = 2", 8),
        "services[0].nodes",
        "nodes (2) must lie in autoscaling's [min, max] = [3, 5]",
    );
    // nodes = 0 is reported once, as out of its own range.
    let text = svc(&format!("nodes = 0\nautoscaling = {{ {TT} }}"));
    one_error(
        &text,
        &at(&text, "nodes = 0", 8),
        "services[0].nodes",
        "nodes must be at least 1",
    );
    // nodes not set is 1; the place is then the service's table.
    let text =
        svc("autoscaling = { policy = \"target_tracking\", target = 0.5, min = 2, max = 5 }");
    one_error(
        &text,
        &at(&text, "[[services]]", 0),
        "services[0].nodes",
        "nodes (not set, so 1) must lie in autoscaling's [min, max] = [2, 5]",
    );
    let text = svc(&format!(
        "nodes = 2\nbalancer = \"weighted_round_robin\"\nweights = [1, 1]\nautoscaling = {{ {TT} }}"
    ));
    one_error(
        &text,
        &at(&text, "\"weighted_round_robin\"", 0),
        "services[0].balancer",
        "weighted_round_robin gives one weight per node, so it cannot be used with autoscaling",
    );
    let text = svc(&format!(
        "nodes = 3\nredundancy = {{ mode = \"quorum\" }}\nautoscaling = {{ {TT} }}"
    ));
    one_error(
        &text,
        &at(&text, "\"quorum\"", 0),
        "services[0].redundancy.mode",
        "quorum needs a majority of a fixed membership, so it cannot be used with autoscaling",
    );
    let text = scaling(&format!(
        "{TT}, boot_time = {{ dist = \"lognormal\", mean = \"1m\" }}"
    ));
    one_error(
        &text,
        &at(&text, "{ dist", 0),
        "services[0].autoscaling.boot_time.cv",
        "lognormal needs cv",
    );
    let text = scaling(&format!("{TT}, deregistration_delay = \"soon\""));
    one_error(
        &text,
        &at(&text, "\"soon\"", 0),
        "services[0].autoscaling.deregistration_delay",
        "invalid duration \"soon\"",
    );
    let text = scaling("policy = \"predictive\", min = 1, max = 4");
    one_error(
        &text,
        &at(&text, "\"predictive\"", 0),
        "services[0].autoscaling.policy",
        "unknown variant \"predictive\", expected one of target_tracking, step, schedule",
    );
}

#[test]
fn target_tracking_rules() {
    let text = scaling("policy = \"target_tracking\", min = 1, max = 4");
    one_error(
        &text,
        &at(&text, "{ policy", 0),
        "services[0].autoscaling.target",
        "policy = \"target_tracking\" needs target",
    );
    for bad in ["0", "1.5", "-0.2", "nan"] {
        let text = scaling(&format!(
            "policy = \"target_tracking\", target = {bad}, min = 1, max = 4"
        ));
        one_error(
            &text,
            &at(&text, &format!("{bad},"), 0),
            "services[0].autoscaling.target",
            "target must be a utilization in (0, 1]",
        );
    }
    for bad in ["1", "1.0", "-0.1"] {
        let text = scaling(&format!("{TT}, tolerance = {bad}"));
        one_error(
            &text,
            &at(&text, &format!("{bad} }}"), 0),
            "services[0].autoscaling.tolerance",
            "tolerance must be in [0, 1)",
        );
    }
    for bad in ["0", "-5", "inf"] {
        let text = scaling(&format!("{TT}, scale_up_percent = {bad}"));
        one_error(
            &text,
            &at(&text, &format!("{bad} }}"), 0),
            "services[0].autoscaling.scale_up_percent",
            "scale_up_percent must be a finite number > 0",
        );
    }
    let text = scaling(&format!("{TT}, interval = 0"));
    one_error(
        &text,
        &at(&text, "0 }", 0),
        "services[0].autoscaling.interval",
        "interval must be longer than 0",
    );
    let text = scaling(&format!("{TT}, scale_up_nodes = -1"));
    one_error(
        &text,
        &at(&text, "-1", 0),
        "services[0].autoscaling.scale_up_nodes",
        "expected a whole number >= 0",
    );
}

#[test]
fn keys_of_another_policy_are_errors_naming_it() {
    let cases = [
        (format!("{TT}, steps = [{{ lower = 0.9, change = 1 }}]"), "steps", "step", "target_tracking"),
        (format!("{TT}, cooldown = \"1m\""), "cooldown", "step", "target_tracking"),
        (format!("{TT}, actions = [{{ at = 0, desired = 2 }}]"), "actions", "schedule", "target_tracking"),
        (
            "policy = \"step\", min = 1, max = 4, steps = [{ lower = 0.9, change = 1 }], target = 0.5".into(),
            "target",
            "target_tracking",
            "step",
        ),
        (
            "policy = \"schedule\", min = 1, max = 4, actions = [{ at = 0, desired = 2 }], scale_up_nodes = 3".into(),
            "scale_up_nodes",
            "target_tracking",
            "schedule",
        ),
    ];
    for (keys, key, owner, policy) in cases {
        let text = scaling(&keys);
        one_error(
            &text,
            &at(&text, &format!("{key} ="), 0),
            &format!("services[0].autoscaling.{key}"),
            &format!("{key} is a key of policy = \"{owner}\", not of policy = \"{policy}\""),
        );
    }
    let text = scaling(
        "policy = \"schedule\", min = 1, max = 4, interval = \"1m\", actions = [{ at = 0, desired = 2 }]",
    );
    one_error(
        &text,
        &at(&text, "interval", 0),
        "services[0].autoscaling.interval",
        "interval is a key of policy = \"target_tracking\" and \"step\", not of policy = \"schedule\"",
    );
}

/// A step policy with these bands.
fn steps(bands: &str) -> String {
    scaling(&format!(
        "policy = \"step\", min = 1, max = 4, steps = [{bands}]"
    ))
}

#[test]
fn step_rules() {
    let text = scaling("policy = \"step\", min = 1, max = 4");
    one_error(
        &text,
        &at(&text, "{ policy", 0),
        "services[0].autoscaling.steps",
        "policy = \"step\" needs steps",
    );
    let text = steps("");
    one_error(
        &text,
        &at(&text, "[]", 0),
        "services[0].autoscaling.steps",
        "steps must list at least one band",
    );
    let text = steps("{ lower = 0.8, change = 0 }");
    one_error(
        &text,
        &at(&text, "0 }", 0),
        "services[0].autoscaling.steps[0].change",
        "change must not be 0",
    );
    let text = steps("{ lower = 0.8 }");
    one_error(
        &text,
        &at(&text, "{ lower", 0),
        "services[0].autoscaling.steps[0].change",
        "missing key \"change\"",
    );
    let text = steps("{ lower = 0.8, change = 1.5 }");
    one_error(
        &text,
        &at(&text, "1.5", 0),
        "services[0].autoscaling.steps[0].change",
        "expected a whole number",
    );
    let text = steps("{ lower = 0.8, change = 1 }, { change = -1 }");
    one_error(
        &text,
        &at(&text, "{ change", 0),
        "services[0].autoscaling.steps[1]",
        "a step needs lower, upper or both",
    );
    let text = steps("{ lower = 0.8, upper = 0.8, change = 1 }");
    one_error(
        &text,
        &at(&text, "0.8, change", 0),
        "services[0].autoscaling.steps[0].upper",
        "upper (0.8) must be above lower (0.8)",
    );
    let text = steps("{ lower = -0.1, change = 1 }");
    one_error(
        &text,
        &at(&text, "-0.1", 0),
        "services[0].autoscaling.steps[0].lower",
        "lower must be a utilization, a finite number >= 0",
    );
    // The later band of an overlapping pair is reported, naming both.
    let text = steps(
        "\n  { lower = 0.7, change = 2 },\n  { upper = 0.3, change = -1 },\n  { lower = 0.6, upper = 0.8, change = 1 },\n",
    );
    one_error(
        &text,
        &at(&text, "{ lower = 0.6", 0),
        "services[0].autoscaling.steps[2]",
        "steps[2] (0.6 <= utilization < 0.8) overlaps steps[0] (utilization >= 0.7); bands must not overlap",
    );
    // Two open-ended bands on the same side overlap too.
    let text = steps("{ upper = 0.3, change = -1 }, { upper = 0.2, change = -2 }");
    one_error(
        &text,
        &at(&text, "{ upper = 0.2", 0),
        "services[0].autoscaling.steps[1]",
        "steps[1] (utilization < 0.2) overlaps steps[0] (utilization < 0.3)",
    );
}

/// A schedule policy with these actions.
fn actions(list: &str) -> String {
    scaling(&format!(
        "policy = \"schedule\", min = 1, max = 4, actions = [{list}]"
    ))
}

#[test]
fn schedule_rules() {
    let text = scaling("policy = \"schedule\", min = 1, max = 4");
    one_error(
        &text,
        &at(&text, "{ policy", 0),
        "services[0].autoscaling.actions",
        "policy = \"schedule\" needs actions",
    );
    let text = actions("");
    one_error(
        &text,
        &at(&text, "[]", 0),
        "services[0].autoscaling.actions",
        "actions must list at least one action",
    );
    let text = actions("{ at = \"1h\" }");
    one_error(
        &text,
        &at(&text, "{ at", 0),
        "services[0].autoscaling.actions[0]",
        "an action needs at least one of min, max, desired",
    );
    let text = actions("{ desired = 2 }");
    one_error(
        &text,
        &at(&text, "{ desired", 0),
        "services[0].autoscaling.actions[0].at",
        "missing key \"at\"",
    );
    let text = actions("{ at = \"08:00\", desired = 2 }");
    one_error(
        &text,
        &at(&text, "\"08:00\"", 0),
        "services[0].autoscaling.actions[0].at",
        "a time of day (8h after midnight) needs daily = true",
    );
    let text = actions("{ at = \"24h\", daily = true, desired = 2 }");
    one_error(
        &text,
        &at(&text, "\"24h\"", 0),
        "services[0].autoscaling.actions[0].at",
        "a daily action's at is a time of day, less than 24h; found 1d",
    );
    for bad in ["25:00", "08:61", "8"] {
        let text = actions(&format!("{{ at = \"{bad}\", daily = true, desired = 2 }}"));
        let msg = if bad.contains(':') {
            format!("invalid time of day \"{bad}\"")
        } else {
            format!("invalid duration \"{bad}\"")
        };
        if bad == "8" {
            // "8" is 8 seconds: a valid time of day.
            ok(&text);
            continue;
        }
        one_error(
            &text,
            &at(&text, &format!("\"{bad}\""), 0),
            "services[0].autoscaling.actions[0].at",
            &msg,
        );
    }
    let text = actions("{ at = 0, min = 0 }");
    one_error(
        &text,
        &at(&text, "min = 0", 6),
        "services[0].autoscaling.actions[0].min",
        "min must be at least 1",
    );
    let text = actions("{ at = 0, min = 3, max = 2 }");
    one_error(
        &text,
        &at(&text, "2 }", 0),
        "services[0].autoscaling.actions[0].max",
        "max (2) must be at least min (3)",
    );
    let text = actions("{ at = 0, max = 2, desired = 3 }");
    one_error(
        &text,
        &at(&text, "3 }", 0),
        "services[0].autoscaling.actions[0].desired",
        "desired (3) must be at most this action's max (2)",
    );
    let text = actions("{ at = 0, daily = \"yes\", desired = 3 }");
    one_error(
        &text,
        &at(&text, "\"yes\"", 0),
        "services[0].autoscaling.actions[0].daily",
        "expected a boolean",
    );
}

#[test]
fn unknown_keys_in_elastic_tables_are_errors() {
    let cases = [
        (
            pattern("{ kind = \"diurnal\", peak = 2, trough = 1, colour = 1 }"),
            "workload.pattern.colour",
        ),
        (
            pattern("[{ kind = \"constant\" }, { kind = \"constant\", colour = 1 }]"),
            "workload.pattern[1].colour",
        ),
        (
            scaling(&format!("{TT}, colour = 1")),
            "services[0].autoscaling.colour",
        ),
        (
            steps("{ lower = 0.9, change = 1, colour = 1 }"),
            "services[0].autoscaling.steps[0].colour",
        ),
        (
            actions("{ at = 0, desired = 2, colour = 1 }"),
            "services[0].autoscaling.actions[0].colour",
        ),
        (
            scaling(&format!(
                "{TT}, boot_time = {{ dist = \"constant\", value = 1, colour = 1 }}"
            )),
            "services[0].autoscaling.boot_time.colour",
        ),
    ];
    unknown_keys(&cases);
}

#[test]
fn schema_covers_the_elastic_keys() {
    let schema = json_schema();
    assert!(
        schema["$defs"]["ServiceRaw"]["properties"]
            .get("autoscaling")
            .is_some()
    );
    assert_eq!(
        schema["properties"]["workload"]["properties"]["pattern"]["$ref"],
        "#/$defs/Patterns"
    );
    // Patterns: one table or an array of them.
    let patterns = schema["$defs"]["Patterns"]["anyOf"].as_array().unwrap();
    assert_eq!(patterns[1]["type"], "array");
    let kinds = schema["$defs"]["Pattern"]["oneOf"].as_array().unwrap();
    let names: Vec<&str> = kinds
        .iter()
        .map(|k| k["properties"]["kind"]["const"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["constant", "diurnal", "steps", "spike", "trace"]);
    assert_eq!(kinds[2]["properties"]["at"]["type"], "array");
    // Autoscaling: one closed alternative per policy, with only that policy's keys.
    let policies = schema["$defs"]["Autoscaling"]["oneOf"].as_array().unwrap();
    assert_eq!(policies.len(), 3);
    assert_eq!(
        policies[0]["required"],
        serde_json::json!(["policy", "min", "max", "target"])
    );
    assert!(policies[0]["properties"].get("steps").is_none());
    assert!(policies[1]["properties"].get("target").is_none());
    assert!(policies[2]["properties"].get("interval").is_none());
    for p in policies {
        assert_eq!(p["additionalProperties"], false);
        assert_eq!(p["properties"]["boot_time"]["$ref"], "#/$defs/Distribution");
    }
    assert!(!schema.to_string().contains("null"));
}

#[test]
fn the_documented_elastic_example_is_valid() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/SCENARIOS.md")).unwrap();
    let section = &doc[doc
        .find("## Elastic scenarios")
        .expect("an elastic section")..];
    let start = section.find("```toml\n").expect("an example") + "```toml\n".len();
    let end = start + section[start..].find("```").unwrap();
    let s = ok(&section[start..end]);
    assert!(matches!(s.workload.pattern, Pattern::Product(ref v) if v.len() == 2));
    assert!(s.services.iter().all(|svc| svc.autoscaling.is_some()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn mutated_elastic_files_never_panic(
        edits in prop::collection::vec((0usize..60, 0usize..60, 0u8..4, "[a-z0-9\"=\\[\\]{},.: -]{0,12}"), 1..6)
    ) {
        let text = crate::scenario_errors::mutate(FULL, edits);
        if let Err(e) = parse(&text, Path::new("fuzz.toml")) {
            prop_assert!(!e.is_empty());
            for d in &e {
                prop_assert!(d.line >= 1 && d.column >= 1, "{d}");
            }
        }
    }
}
