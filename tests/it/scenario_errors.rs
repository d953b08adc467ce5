//! The scenario file front end: defaults filled in, and every problem in a bad file reported
//! at once with its file:line:column and key path.

use std::path::Path;

use nines::dist::DistSpec;
use nines::scenario::{BalancerSpec, NodeKind, Pattern, Scenario, json_schema, load, parse};
use nines::time::SimTime;
use proptest::prelude::*;

/// A small valid file; tests append to it or replace parts of it.
pub(crate) const BASE: &str = r#"name = "t"

[run]
horizon = "1h"

[workload]
entry = "web"
rate = 10

[[services]]
name = "web"
service_time = { dist = "exponential", mean = "20ms" }
"#;

pub(crate) fn ok(text: &str) -> Scenario {
    match parse(text, Path::new("web.toml")) {
        Ok(s) => s,
        Err(e) => panic!("expected a valid scenario, got:\n{e}"),
    }
}

/// The diagnostics of a file that must be invalid, one string each.
pub(crate) fn errors(text: &str) -> Vec<String> {
    match parse(text, Path::new("web.toml")) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(e) => {
            assert_eq!(e.to_string().lines().count(), e.len());
            e.iter().map(|d| d.to_string()).collect()
        }
    }
}

/// `line:col` (1-based) of the first occurrence of `needle` in `text`, plus `shift` chars.
pub(crate) fn at(text: &str, needle: &str, shift: usize) -> String {
    let offset = text.find(needle).expect("needle in text") + shift;
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("{line}:{col}")
}

/// Exactly one diagnostic, and it starts with `web.toml:<place>: <path>: ` and contains `msg`.
/// Each (file, key path) has one error: an unknown key, at its place.
pub(crate) fn unknown_keys(cases: &[(String, &str)]) {
    for (text, path) in cases {
        let key = path.rsplit('.').next().unwrap();
        one_error(
            text,
            &at(text, &format!("{key} ="), 0),
            path,
            &format!("unknown key \"{key}\""),
        );
    }
}

pub(crate) fn one_error(text: &str, place: &str, path: &str, msg: &str) {
    let errs = errors(text);
    assert_eq!(errs.len(), 1, "expected one error, got {errs:#?}");
    let prefix = format!("web.toml:{place}: {path}: ");
    assert!(
        errs[0].starts_with(&prefix) && errs[0].contains(msg),
        "expected `{prefix}...{msg}...`, got `{}`",
        errs[0]
    );
}

#[test]
fn valid_file_gets_every_default() {
    let text = r#"name = "web-tier"
description = "Two tiers"

[run]
horizon = "1h"

[workload]
entry = "web"
rate = 400

[[services]]
name = "web"
service_time = { dist = "lognormal", mean = "20ms", cv = 1.2 }
calls = ["db"]

[[services]]
name = "db"
kind = "storage"
nodes = 3
concurrency = 8
queue_limit = 100
service_time = { dist = "exponential", mean = 0.003 }
timeout = "2s"
balancer = "weighted_round_robin"
weights = [1, 2, 3]
"#;
    let s = ok(text);
    assert_eq!(s.name, "web-tier");
    assert_eq!(s.description.as_deref(), Some("Two tiers"));
    assert_eq!(s.source, Path::new("web.toml"));
    assert_eq!(s.run.horizon, SimTime::from_secs(3_600));
    assert_eq!(s.run.warmup, SimTime::ZERO);
    assert_eq!(s.run.trials, 32);
    assert_eq!(s.run.seed, 1);
    // horizon / 200 = 3600 s / 200 = 18 s.
    assert_eq!(s.run.sample_every, SimTime::from_secs(18));
    assert_eq!(s.run.target_rel_ci, None);
    // 10 x trials = 320.
    assert_eq!(s.run.max_trials, 320);
    assert_eq!(s.workload.entry, 0);
    assert_eq!(s.workload.rate_per_s, Some(400.0));
    assert_eq!(s.workload.pattern, Pattern::Constant);
    let web = &s.services[0];
    assert_eq!(web.name, "web");
    assert_eq!(web.kind, NodeKind::Compute);
    assert_eq!((web.nodes, web.concurrency), (1, 1));
    assert_eq!(web.queue_limit, None);
    assert_eq!(web.timeout, None);
    assert_eq!(web.balancer, BalancerSpec::RoundRobin);
    assert_eq!(web.calls, vec![1]);
    assert_eq!(
        web.service_time,
        DistSpec::lognormal_mean_cv(0.02, 1.2).unwrap()
    );
    let db = &s.services[1];
    assert_eq!(db.kind, NodeKind::Storage);
    assert_eq!(
        (db.nodes, db.concurrency, db.queue_limit),
        (3, 8, Some(100))
    );
    assert_eq!(db.timeout, Some(SimTime::from_secs(2)));
    assert_eq!(
        db.balancer,
        BalancerSpec::WeightedRoundRobin {
            weights: vec![1, 2, 3]
        }
    );
    assert!(db.calls.is_empty());
    assert_eq!(db.service_time, DistSpec::exponential(0.003).unwrap());
}

#[test]
fn run_keys_are_read() {
    let text = BASE.replace(
        "horizon = \"1h\"",
        "horizon = \"7d\"\nwarmup = \"1h\"\ntrials = 64\nseed = 9\nsample_every = \"1m\"\nfidelity = \"request\"\ntarget_rel_ci = 0.05\nmax_trials = 100",
    );
    let r = ok(&text).run;
    assert_eq!(r.horizon, SimTime::from_secs(7 * 86_400));
    assert_eq!(r.warmup, SimTime::from_secs(3_600));
    assert_eq!((r.trials, r.seed, r.max_trials), (64, 9, 100));
    assert_eq!(r.sample_every, SimTime::from_secs(60));
    assert_eq!(r.target_rel_ci, Some(0.05));
}

#[test]
fn every_distribution_and_parametrisation_is_read() {
    let cases = [
        (
            "{ dist = \"constant\", value = \"5ms\" }",
            DistSpec::constant(0.005),
        ),
        (
            "{ dist = \"uniform\", min = 1, max = \"3s\" }",
            DistSpec::uniform(1.0, 3.0),
        ),
        (
            "{ dist = \"normal\", mean = 1, sd = 0.5 }",
            DistSpec::normal(1.0, 0.5),
        ),
        (
            "{ dist = \"lognormal\", mu = -1.0, sigma = 0.5 }",
            DistSpec::lognormal_mu_sigma(-1.0, 0.5),
        ),
        (
            "{ dist = \"gamma\", mean = \"4s\", cv = 0.5 }",
            DistSpec::gamma_mean_cv(4.0, 0.5),
        ),
        (
            "{ dist = \"weibull\", shape = 1.5, mean = \"100s\" }",
            DistSpec::weibull_mean(1.5, 100.0),
        ),
        (
            "{ dist = \"weibull\", shape = 0.7, scale = 10 }",
            DistSpec::weibull(0.7, 10.0),
        ),
        (
            "{ dist = \"pareto\", shape = 3, scale = \"1s\" }",
            DistSpec::pareto(3.0, 1.0),
        ),
        (
            "{ dist = \"pareto\", shape = 3.5, mean = 2 }",
            DistSpec::pareto_mean(3.5, 2.0),
        ),
    ];
    for (table, expected) in cases {
        let text = BASE.replace("{ dist = \"exponential\", mean = \"20ms\" }", table);
        assert_eq!(
            ok(&text).services[0].service_time,
            expected.unwrap(),
            "{table}"
        );
    }
}

#[test]
fn four_problems_are_all_reported_in_place() {
    let text = r#"name = "bad"
[run]
horizon = "5 parsecs"
trials = 0
[workload]
entry = "nowhere"
[[services]]
name = "web"
balancer = "p2c"
service_time = { dist = "exponential", mean = "20ms", colour = "red" }
nodez = 3
"#;
    let errs = errors(text);
    let expected = [
        format!(
            "web.toml:{}: run.horizon: invalid duration \"5 parsecs\"; expected a number with a unit",
            at(text, "\"5 parsecs\"", 0)
        ),
        format!(
            "web.toml:{}: run.trials: trials must be at least 1",
            at(text, "0\n", 0)
        ),
        format!(
            "web.toml:{}: workload.entry: entry \"nowhere\" names no service; the services are: web",
            at(text, "\"nowhere\"", 0)
        ),
        format!(
            "web.toml:{}: services[0].balancer: unknown variant \"p2c\", expected one of central, round_robin, random, least_connections, power_of_two, weighted_round_robin, least_response_time",
            at(text, "\"p2c\"", 0)
        ),
        format!(
            "web.toml:{}: services[0].service_time.colour: unknown key \"colour\"",
            at(text, "colour", 0)
        ),
        format!(
            "web.toml:{}: services[0].nodez: unknown key \"nodez\"",
            at(text, "nodez", 0)
        ),
    ];
    assert_eq!(errs.len(), expected.len(), "{errs:#?}");
    for (got, want) in errs.iter().zip(&expected) {
        assert!(
            got.starts_with(want.as_str()),
            "got  `{got}`\nwant `{want}...`"
        );
    }
    // Hand-checked places: line 3 column 11 is the opening quote of "5 parsecs".
    assert!(errs[0].starts_with("web.toml:3:11: "));
    assert!(errs[3].starts_with("web.toml:9:12: "));
}

#[test]
fn unknown_keys_are_errors_at_the_key() {
    let text = format!("colour = \"red\"\n{BASE}");
    one_error(
        &text,
        "1:1",
        "colour",
        "unknown key \"colour\", expected one of name, description, run, workload, services",
    );
    let text = BASE.replace("name = \"web\"", "name = \"web\"\nnodez = 3");
    one_error(
        &text,
        &at(&text, "nodez", 0),
        "services[0].nodez",
        "unknown key \"nodez\"",
    );
    let text = BASE.replace("mean = \"20ms\" }", "mean = \"20ms\", men = 1 }");
    one_error(
        &text,
        &at(&text, "men =", 0),
        "services[0].service_time.men",
        "unknown key \"men\"",
    );
    let text = BASE.replace("horizon = \"1h\"", "horizon = \"1h\"\nhorizn = \"2h\"");
    one_error(
        &text,
        &at(&text, "horizn", 0),
        "run.horizn",
        "unknown key \"horizn\"",
    );
    let text = BASE.replace(
        "rate = 10",
        "rate = 10\npattern = { kind = \"constant\", colour = 2 }",
    );
    one_error(
        &text,
        &at(&text, "colour", 0),
        "workload.pattern.colour",
        "unknown key \"colour\"",
    );
}

#[test]
fn wrong_types_point_at_the_value() {
    let text = BASE.replace("name = \"web\"", "name = \"web\"\nnodes = \"three\"");
    one_error(
        &text,
        &at(&text, "\"three\"", 0),
        "services[0].nodes",
        "invalid type: string \"three\", expected a whole number >= 0",
    );
    let text = BASE.replace("rate = 10", "rate = \"fast\"");
    one_error(
        &text,
        &at(&text, "\"fast\"", 0),
        "workload.rate",
        "expected a number",
    );
    let text = BASE.replace("name = \"web\"", "name = \"web\"\ncalls = [\"db\", 3]");
    one_error(
        &text,
        &at(&text, "3]", 0),
        "services[0].calls[1]",
        "invalid type: integer 3, expected a string",
    );
    let text = BASE.replace("[run]\nhorizon = \"1h\"", "run = 5");
    one_error(&text, &at(&text, "5", 0), "run", "expected a table");
    let text = BASE.replace("name = \"web\"", "name = \"web\"\nnodes = -2");
    one_error(&text, &at(&text, "-2", 0), "services[0].nodes", "-2");
}

#[test]
fn bad_durations_and_enums() {
    let text = BASE.replace("\"20ms\"", "\"20 parsecs\"");
    one_error(
        &text,
        &at(&text, "\"20 parsecs\"", 0),
        "services[0].service_time.mean",
        "invalid duration \"20 parsecs\"; expected a number with a unit",
    );
    let text = BASE.replace("\"1h\"", "-5");
    one_error(
        &text,
        &at(&text, "-5", 0),
        "run.horizon",
        "invalid duration \"-5\"; a duration must be finite and not negative",
    );
    let text = BASE.replace("name = \"web\"", "name = \"web\"\nbalancer = \"p2c\"");
    one_error(
        &text,
        &at(&text, "\"p2c\"", 0),
        "services[0].balancer",
        "unknown variant \"p2c\", expected one of central, round_robin",
    );
    let text = BASE.replace("\"1h\"", "\"1h\"\nfidelity = \"capacities\"");
    one_error(
        &text,
        &at(&text, "\"capacities\"", 0),
        "run.fidelity",
        "unknown variant \"capacities\", expected request or capacity",
    );
    let text = BASE.replace("\"1h\"", "\"1h\"\ncapacity_step = \"0s\"");
    one_error(
        &text,
        &at(&text, "\"0s\"", 0),
        "run.capacity_step",
        "capacity_step must be longer than 0",
    );
    let text = BASE.replace("\"exponential\"", "\"expo\"");
    one_error(
        &text,
        &at(&text, "\"expo\"", 0),
        "services[0].service_time.dist",
        "unknown variant \"expo\", expected one of exponential, constant",
    );
    let text = BASE.replace("name = \"web\"", "name = \"web\"\nkind = \"gpu\"");
    one_error(
        &text,
        &at(&text, "\"gpu\"", 0),
        "services[0].kind",
        "expected one of compute, storage, network",
    );
    let text = BASE.replace("rate = 10", "rate = 10\npattern = { kind = \"sawtooth\" }");
    one_error(
        &text,
        &at(&text, "\"sawtooth\"", 0),
        "workload.pattern.kind",
        "unknown variant \"sawtooth\", expected one of constant, diurnal, steps, spike, trace",
    );
}

#[test]
fn missing_required_keys_point_at_the_enclosing_table() {
    let text = BASE.replace("name = \"t\"\n", "");
    one_error(&text, "1:1", "name", "missing key \"name\"");
    let text = BASE.replace("horizon = \"1h\"\n", "");
    one_error(
        &text,
        &at(&text, "[run]", 0),
        "run.horizon",
        "missing key \"horizon\"",
    );
    let text = BASE.replace("[run]\nhorizon = \"1h\"\n", "");
    one_error(&text, "1:1", "run", "missing table [run]");
    let text = BASE.replace("entry = \"web\"\n", "");
    one_error(
        &text,
        &at(&text, "[workload]", 0),
        "workload.entry",
        "missing key \"entry\"",
    );
    let text = BASE.replace(
        "service_time = { dist = \"exponential\", mean = \"20ms\" }\n",
        "",
    );
    one_error(
        &text,
        &at(&text, "[[services]]", 0),
        "services[0].service_time",
        "missing key \"service_time\"",
    );
    let text = BASE.replace("name = \"web\"\n", "");
    one_error(
        &text,
        &at(&text, "[[services]]", 0),
        "services[0].name",
        "missing key \"name\"",
    );
    let text = BASE.replace("dist = \"exponential\", ", "");
    one_error(
        &text,
        &at(&text, "{ mean", 0),
        "services[0].service_time.dist",
        "missing key \"dist\"; expected one of exponential, constant",
    );
    let cut = BASE.find("[[services]]").unwrap();
    let text = &BASE[..cut];
    one_error(text, "1:1", "services", "at least one [[services]]");
    let text = format!("services = []\n{text}");
    one_error(
        &text,
        &at(&text, "[]", 0),
        "services",
        "at least one [[services]]",
    );
}

#[test]
fn names_must_resolve() {
    let text = BASE.replace("name = \"web\"", "name = \"web\"\ncalls = [\"db\"]");
    one_error(
        &text,
        &at(&text, "\"db\"", 0),
        "services[0].calls[0]",
        "call \"db\" names no service; the services are: web",
    );
    let text = BASE.replace("entry = \"web\"", "entry = \"wbe\"");
    one_error(
        &text,
        &at(&text, "\"wbe\"", 0),
        "workload.entry",
        "entry \"wbe\" names no service; the services are: web",
    );
    let text = format!(
        "{BASE}\n[[services]]\nname = \"web\"\nservice_time = {{ dist = \"constant\", value = 1 }}\n"
    );
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    // BASE has 12 lines; then a blank line, [[services]] on 14, the second name on 15.
    assert!(errs[0].starts_with("web.toml:15:8: services[1].name: duplicate service name \"web\" (first defined at services[0].name)"), "{}", errs[0]);
    // With a change the file is read rewritten, with other lines: the message, naming the
    // first by key path, and its place are still the file's; a duplicate the change
    // brings is named the same way.
    let (_dir, file) = scenario_file("duplicate-with-change", &text);
    let changes = [nines::scenario::Change::command_line("run.trials=3")];
    let errs: Vec<String> = nines::scenario::load_with_changes(&file, &changes)
        .unwrap_err()
        .iter()
        .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
        .collect();
    assert_eq!(
        errs,
        ["15:8: duplicate service name \"web\" (first defined at services[0].name)"]
    );
    let text = format!(
        "{BASE}\n[[services]]\nname = \"api\"\nservice_time = {{ dist = \"constant\", value = 1 }}\n"
    );
    let (_dir, file) = scenario_file("duplicate-by-change", &text);
    let changes = [nines::scenario::Change::command_line(
        "services.api.name=\"web\"",
    )];
    let errs = nines::scenario::load_with_changes(&file, &changes).unwrap_err();
    assert!(
        errs.iter().next().unwrap().message.starts_with(
            "duplicate service name \"web\" (first defined at services[0].name) (set by --set"
        ),
        "{errs}"
    );
}

#[test]
fn calls_must_not_cycle() {
    let text = BASE.replace("name = \"web\"", "name = \"web\"\ncalls = [\"api\"]")
        + "\n[[services]]\nname = \"api\"\ncalls = [\"web\"]\nservice_time = { dist = \"constant\", value = 1 }\n";
    one_error(
        &text,
        &at(&text, "\"web\"]", 0),
        "services[1].calls[0]",
        "call cycle: web -> api -> web",
    );
    let text = BASE.replace("name = \"web\"", "name = \"web\"\ncalls = [\"web\"]");
    one_error(
        &text,
        &at(&text, "\"web\"]", 0),
        "services[0].calls[0]",
        "service \"web\" calls itself (web -> web)",
    );
}

#[test]
fn run_ranges_are_checked() {
    let run = |extra: &str| BASE.replace("horizon = \"1h\"", &format!("horizon = \"1h\"\n{extra}"));
    let text = run("warmup = \"2h\"");
    one_error(
        &text,
        &at(&text, "\"2h\"", 0),
        "run.warmup",
        "warmup (2h) must be shorter than horizon (1h)",
    );
    let text = run("warmup = \"1h\"");
    one_error(
        &text,
        &at(&text, "warmup", 9),
        "run.warmup",
        "must be shorter than horizon",
    );
    let text = run("sample_every = 0");
    one_error(
        &text,
        &at(&text, "sample_every = 0", 15),
        "run.sample_every",
        "sample_every must be longer than 0",
    );
    let text = run("sample_every = \"2h\"");
    one_error(
        &text,
        &at(&text, "\"2h\"", 0),
        "run.sample_every",
        "must not be longer than horizon (1h)",
    );
    let text = run("trials = 0");
    one_error(
        &text,
        &at(&text, "trials = 0", 9),
        "run.trials",
        "trials must be at least 1",
    );
    let text = run("trials = 10\nmax_trials = 5");
    one_error(
        &text,
        &at(&text, "5\n", 0),
        "run.max_trials",
        "max_trials (5) must be at least trials (10)",
    );
    let text = run("target_rel_ci = 1.5");
    one_error(
        &text,
        &at(&text, "1.5", 0),
        "run.target_rel_ci",
        "target_rel_ci must be in (0, 1)",
    );
    let text = BASE.replace("\"1h\"", "0");
    one_error(
        &text,
        &at(&text, "0\n", 0),
        "run.horizon",
        "horizon must be longer than 0",
    );
    // Sizes that would exhaust memory are errors, not allocation failures.
    let text = run("trials = 4000000000");
    one_error(
        &text,
        &at(&text, "4000000000", 0),
        "run.trials",
        "trials must be at most 1000000",
    );
    let text = run("sample_every = \"1ms\"");
    one_error(
        &text,
        &at(&text, "\"1ms\"", 0),
        "run.sample_every",
        "gives 3600000 time-series rows over the horizon; at most 1000000",
    );
    let text = BASE.replace("name = \"web\"\n", "name = \"web\"\nnodes = 1000000000\n");
    one_error(
        &text,
        &at(&text, "1000000000", 0),
        "services[0].nodes",
        "nodes must be at most 1000000",
    );
}

#[test]
fn rate_must_be_positive_and_finite() {
    for bad in ["0", "-3", "inf", "nan", "0.0"] {
        let text = BASE.replace("rate = 10", &format!("rate = {bad}"));
        one_error(
            &text,
            &at(&text, &format!("{bad}\n"), 0),
            "workload.rate",
            "rate must be a finite number of requests per second > 0",
        );
    }
    let text = BASE.replace("rate = 10\n", "");
    assert_eq!(ok(&text).workload.rate_per_s, None);
}

#[test]
fn service_ranges_and_weights_are_checked() {
    let svc = |extra: &str| BASE.replace("name = \"web\"", &format!("name = \"web\"\n{extra}"));
    let text = svc("nodes = 0");
    one_error(
        &text,
        &at(&text, "nodes = 0", 8),
        "services[0].nodes",
        "nodes must be at least 1",
    );
    let text = svc("concurrency = 0");
    one_error(
        &text,
        &at(&text, "concurrency = 0", 14),
        "services[0].concurrency",
        "concurrency must be at least 1",
    );
    let text = svc("timeout = \"0s\"");
    one_error(
        &text,
        &at(&text, "\"0s\"", 0),
        "services[0].timeout",
        "timeout must be longer than 0",
    );
    let text = svc("nodes = 3\nbalancer = \"weighted_round_robin\"\nweights = [1, 2]");
    one_error(
        &text,
        &at(&text, "[1, 2]", 0),
        "services[0].weights",
        "weights has 2 entries but nodes = 3",
    );
    let text = svc("nodes = 2\nbalancer = \"weighted_round_robin\"\nweights = [1, 0]");
    one_error(
        &text,
        &at(&text, "0]", 0),
        "services[0].weights[1]",
        "a weight must be at least 1",
    );
    let text = svc("nodes = 2\nbalancer = \"weighted_round_robin\"");
    one_error(
        &text,
        &at(&text, "[[services]]", 0),
        "services[0].weights",
        "needs weights = [...], one positive weight per node (2)",
    );
    let text = svc("nodes = 2\nweights = [1, 1]");
    one_error(
        &text,
        &at(&text, "weights", 0),
        "services[0].weights",
        "weights are only allowed with balancer = \"weighted_round_robin\"",
    );
    let text = svc("queue_limit = 0");
    assert_eq!(ok(&text).services[0].queue_limit, Some(0));
}

#[test]
fn distribution_parameters_are_checked() {
    let dist = |table: &str| BASE.replace("{ dist = \"exponential\", mean = \"20ms\" }", table);
    for d in ["lognormal", "gamma"] {
        let text = dist(&format!("{{ dist = \"{d}\", mean = \"20ms\", cv = 0 }}"));
        one_error(
            &text,
            &at(&text, "0 }", 0),
            "services[0].service_time.cv",
            "cv must be a finite number > 0, found 0",
        );
    }
    let text = dist("{ dist = \"lognormal\", mean = \"20ms\", cv = 1, mu = 0, sigma = 1 }");
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("lognormal takes mean and cv, or mu and sigma, not a mix: found mean and cv and mu and sigma"), "{}", errs[0]);
    let text = dist("{ dist = \"lognormal\", mean = \"20ms\", mu = 0 }");
    one_error(
        &text,
        &at(&text, "mu", 0),
        "services[0].service_time.mu",
        "not a mix: found mean and mu",
    );
    let text = dist("{ dist = \"lognormal\", mean = \"20ms\" }");
    one_error(
        &text,
        &at(&text, "{ dist = \"lognormal\"", 0),
        "services[0].service_time.cv",
        "lognormal needs cv; it takes mean and cv, or mu and sigma",
    );
    let text = dist("{ dist = \"exponential\", value = 1 }");
    let errs = errors(&text);
    assert!(errs.iter().any(|e| e.starts_with(&format!("web.toml:{}: services[0].service_time.value: exponential has no parameter \"value\"; it takes mean", at(&text, "value", 0)))), "{errs:?}");
    let text = dist("{ dist = \"uniform\", min = 3, max = 1 }");
    one_error(
        &text,
        &at(&text, "max =", 6),
        "services[0].service_time.max",
        "max must be > min",
    );
    let text = dist("{ dist = \"pareto\", shape = 1, mean = 2 }");
    one_error(
        &text,
        &at(&text, "{ dist", 0),
        "services[0].service_time",
        "shape > 1",
    );
}

#[test]
fn syntax_errors_are_one_diagnostic() {
    let text = BASE.replace("rate = 10", "rate = = 10");
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    let line = at(&text, "rate", 0);
    let line = line.split(':').next().unwrap();
    assert!(
        errs[0].starts_with(&format!("web.toml:{line}:")),
        "{}",
        errs[0]
    );
    let errs = errors(&format!("{BASE}\n[run]\nseed = 3\n"));
    assert_eq!(errs.len(), 1, "{errs:?}");
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn empirical_samples_come_from_a_csv_next_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = BASE.replace(
        "{ dist = \"exponential\", mean = \"20ms\" }",
        "{ dist = \"empirical\", file = \"lat.csv\" }",
    );
    let scenario = write(dir.path(), "web.toml", &text);
    write(
        dir.path(),
        "lat.csv",
        "latency_s,host\n0.1,a\n\n0.2,b\n  \n0.7\n",
    );
    let s = load(&scenario).unwrap();
    assert_eq!(
        s.services[0].service_time,
        DistSpec::empirical(vec![0.1, 0.2, 0.7]).unwrap()
    );

    write(dir.path(), "lat.csv", "latency_s\n0.1\n0.2\nfast\n-1\n");
    let errs = load(&scenario).unwrap_err();
    let csv = dir.path().join("lat.csv");
    let lines: Vec<String> = errs.iter().map(|d| d.to_string()).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        lines[0],
        format!(
            "{}:4:1: services[0].service_time.file: \"fast\" is not a number of seconds",
            csv.display()
        )
    );
    assert!(
        lines[1].starts_with(&format!("{}:5:1: ", csv.display())),
        "{}",
        lines[1]
    );

    std::fs::remove_file(&csv).unwrap();
    let errs = load(&scenario).unwrap_err();
    assert_eq!(errs.len(), 1);
    let d = &errs.items[0];
    assert_eq!(d.file, scenario);
    assert_eq!(d.key_path, "services[0].service_time.file");
    assert!(
        d.message.contains("cannot read the samples file") && d.message.contains("lat.csv"),
        "{}",
        d.message
    );
    assert_eq!(
        format!("{}:{}", d.line, d.column),
        at(&text, "\"lat.csv\"", 0)
    );

    write(dir.path(), "lat.csv", "header only\n");
    let errs = load(&scenario).unwrap_err();
    assert!(errs.to_string().contains("holds no samples"), "{errs}");
}

#[test]
fn unreadable_scenario_file_is_a_diagnostic() {
    let errs = load(Path::new("/nonexistent/nines/web.toml")).unwrap_err();
    assert_eq!(errs.len(), 1);
    assert!(
        errs.to_string()
            .starts_with("/nonexistent/nines/web.toml: cannot read"),
        "{errs}"
    );
}

#[test]
fn schema_has_the_top_level_tables() {
    let schema = json_schema();
    for key in ["run", "workload", "services"] {
        assert!(schema["properties"].get(key).is_some(), "{key}");
    }
}

/// Lines of a valid file to cut, repeat and splice.
const FULL: &str = r#"name = "web-tier"
[run]
horizon = "1h"
warmup = "1m"
trials = 4
sample_every = "1m"
target_rel_ci = 0.1
max_trials = 8
[workload]
entry = "web"
rate = 5.0
pattern = { kind = "constant" }
[[services]]
name = "web"
nodes = 2
balancer = "weighted_round_robin"
weights = [1, 2]
calls = ["db"]
service_time = { dist = "lognormal", mean = "20ms", cv = 1.2 }
timeout = "2s"
[[services]]
name = "db"
service_time = { dist = "empirical", file = "nope.csv" }
"#;

/// `text` with line edits applied: (line, other line, op, junk) where op 0 deletes a line,
/// 1 duplicates another, 2 truncates a line and appends junk, 3 inserts junk.
pub(crate) fn mutate(text: &str, edits: Vec<(usize, usize, u8, String)>) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for (i, j, op, junk) in edits {
        let n = lines.len().max(1);
        let (i, j) = (i % n, j % n);
        match op {
            0 if !lines.is_empty() => {
                lines.remove(i);
            }
            1 => {
                let l = lines.get(j).cloned().unwrap_or_default();
                lines.insert(i, l);
            }
            2 => {
                if let Some(l) = lines.get_mut(i) {
                    let cut = l.len().min(j);
                    l.truncate(cut);
                    l.push_str(&junk);
                }
            }
            _ => lines.insert(i, junk),
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let _ = parse(&text, Path::new("fuzz.toml"));
    }

    #[test]
    fn mutated_files_never_panic(
        edits in prop::collection::vec((0usize..24, 0usize..24, 0u8..4, "[a-z0-9\"=\\[\\]{},. -]{0,12}"), 1..6)
    ) {
        let text = mutate(FULL, edits);
        if let Err(e) = parse(&text, Path::new("fuzz.toml")) {
            prop_assert!(!e.is_empty());
            for d in &e {
                prop_assert!(d.line >= 1 && d.column >= 1, "{d}");
            }
        }
    }
}

#[test]
fn the_documented_example_is_valid() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/SCENARIOS.md")).unwrap();
    let start = doc.find("```toml\n").expect("an example") + "```toml\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let s = ok(&doc[start..end]);
    assert_eq!(s.services.len(), 2);
    assert_eq!(s.services[0].calls, vec![1]);
}

/// Writes `text` to `web.toml` in a fresh temporary directory named for `test`; the
/// directory, and whatever a run wrote beside the file, goes when the guard drops.
fn scenario_file(test: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix(&format!("nines-errors-{test}-"))
        .tempdir()
        .unwrap();
    let path = dir.path().join("web.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// Runs nines with `args`; returns its exit code, stdout and stderr.
fn nines(args: &[&str]) -> (i32, String, String) {
    let out = assert_cmd::Command::cargo_bin("nines")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (
        out.status.code().unwrap(),
        text(out.stdout),
        text(out.stderr),
    )
}

/// Asserts that the first line of `stderr` is placed at `file:place` (line:column, key
/// and the start of the message) and ends naming the change behind it, `change`.
fn assert_first_line(stderr: &str, file: &std::path::Path, place: &str, change: &str) {
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(&format!("{}:{place}", file.display())),
        "{first}"
    );
    assert!(first.ends_with(change), "{first}");
}

#[test]
fn a_bad_sweep_value_is_reported_at_its_sweep_entry() {
    // Line 15 is the [sweep] entry, quoted or dotted; the value it sets is named, and no
    // --set is mentioned (none was given).
    for (entry, column) in [(r#""services.web.nodes""#, 1), ("services.web.nodes", 14)] {
        let text = format!("{BASE}\n[sweep]\n{entry} = [1, 2, \"x\"]\n");
        let (_dir, file) = scenario_file("sweep", &text);
        let out = file.with_file_name("out");
        let (code, stdout, stderr) = nines(&[
            "sweep",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stdout.is_empty(), "no point ran: {stdout}");
        assert_first_line(
            &stderr,
            &file,
            &format!("15:{column}: services[0].nodes: "),
            r#"(set by [sweep] services.web.nodes="x")"#,
        );
        assert!(!stderr.contains("--set"), "{stderr}");
    }
}

#[test]
fn a_sweep_table_entry_that_is_not_a_list_is_reported_at_its_line() {
    let text = format!("{BASE}\n[sweep]\n\"services.web.nodes\" = 5\n");
    let (_dir, file) = scenario_file("sweep-entry", &text);
    let (code, _, stderr) = nines(&["sweep", file.to_str().unwrap()]);
    assert_eq!(code, 2, "a problem of the file: {stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:15:1: sweep.services.web.nodes: expected",
            file.display()
        )),
        "{stderr}"
    );
}

#[test]
fn a_bad_plan_choice_is_reported_at_its_entry() {
    let text = format!(
        "{BASE}\n[slo]\navailability = 0.99\n\n[plan]\n\"services.web.nodes\" = [1, 2]\n\"services.web.balancer\" = [\"random\", \"fastest\"]\n"
    );
    let (_dir, file) = scenario_file("plan", &text);
    let (code, _, stderr) = nines(&["plan", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert_first_line(
        &stderr,
        &file,
        "19:1: services[0].balancer: ",
        r#"(set by [plan] services.web.balancer="fastest")"#,
    );
}

#[test]
fn set_names_the_change_and_other_problems_keep_their_place_in_the_file() {
    let text = BASE.replace("rate = 10", "rate = -1");
    let (_dir, file) = scenario_file("set", &text);
    let (code, _, stderr) = nines(&[
        "check",
        file.to_str().unwrap(),
        "--set",
        "services.web.nodes=x",
    ]);
    assert_eq!(code, 2);
    let lines: Vec<&str> = stderr.lines().collect();
    // The value --set gave has no line in the file; the file's own problem keeps its place.
    assert!(
        lines.iter().any(
            |l| l.starts_with(&format!("{}: services[0].nodes: ", file.display()))
                && l.ends_with("(set by --set services.web.nodes=x)")
        ),
        "{stderr}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("{}:8:8: workload.rate: ", file.display()))),
        "{stderr}"
    );
}

#[test]
fn a_misspelt_key_in_a_sweep_is_placed_at_its_entry() {
    let text = format!("{BASE}\n[sweep]\n\"servics.web.nodes\" = [2, 3]\n");
    let (_dir, file) = scenario_file("sweep-key", &text);
    let (code, _, stderr) = nines(&["sweep", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert_first_line(
        &stderr,
        &file,
        "15:1: servics: unknown key",
        "(set by [sweep] servics.web.nodes=2)",
    );
}

#[test]
fn a_table_merged_into_an_element_answers_only_for_its_keys() {
    // The file's own problem (concurrency 0, line 12) keeps its place; the merged table
    // set only `nodes`, and the later plain --set of nodes is the one that set it last.
    let text = BASE.replace("name = \"web\"\n", "name = \"web\"\nconcurrency = 0\n");
    let (_dir, file) = scenario_file("merge", &text);
    let (code, _, stderr) = nines(&[
        "check",
        file.to_str().unwrap(),
        "--set",
        "services.web={ nodes = 2 }",
        "--set",
        "services.web.nodes=0",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(&format!(
            "{}:12:15: services[0].concurrency: ",
            file.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "services[0].nodes: nodes must be at least 1 (set by --set services.web.nodes=0)"
        ),
        "{stderr}"
    );
}

#[test]
fn a_problem_of_the_file_and_a_change_together_names_the_change() {
    // min_healthy 2 is valid with the file's 3 nodes, not with the sweep's 1: the problem
    // stays at min_healthy in the file and names the point that caused it.
    let text = BASE.replace(
        "name = \"web\"\n",
        "name = \"web\"\nnodes = 3\nredundancy = { mode = \"active_active\", min_healthy = 2 }\n",
    ) + "\n[sweep]\n\"services.web.nodes\" = [3, 1]\n";
    let (_dir, file) = scenario_file("together", &text);
    let (code, stdout, stderr) = nines(&["sweep", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stdout.is_empty(),
        "points are checked before any runs: {stdout}"
    );
    let first = stderr.lines().next().unwrap();
    assert!(
        first.starts_with(&format!("{}:13:", file.display()))
            && first.contains("services[0].redundancy.min_healthy: ")
            && first.ends_with("(after [sweep] services.web.nodes=1)"),
        "{first}"
    );
}
