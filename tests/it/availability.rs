//! Availability semantics beyond the closed forms: detection delay, timeouts on dead nodes,
//! network outages, cross-zone latency, root causes, and MUT/MDT consistency.

use std::collections::BTreeMap;

use nines::dist::DistSpec;
use nines::model::{Model, run_trial};
use nines::scenario::{
    BalancerSpec, Domain, DomainKind, FailureEffect, FailureMode, HealthCheck, OutageEffect,
    OutageScope, OutageSpec, Redundancy, Scenario,
};
use nines::stats::MetricSummary;
use nines::time::SimTime;
use nines::validation::{service, simulate, single_service};

const HOUR: f64 = 3_600.0;

fn exp(mean_s: f64) -> DistSpec {
    DistSpec::exponential(mean_s).unwrap()
}

fn mean(m: &BTreeMap<String, MetricSummary>, metric: &str) -> f64 {
    m[metric]
        .mean
        .unwrap_or_else(|| panic!("{metric} undefined"))
}

/// 4 nodes at 20 requests/s, each crashing every 2 h for 10 min.
fn web(health_check: Option<HealthCheck>, timeout: Option<SimTime>) -> Scenario {
    let svc = service("web", 4, 4, BalancerSpec::RoundRobin, exp(0.01), None);
    let mut s = single_service(svc, 20.0, 24 * 3_600, 600, 6);
    s.services[0].failures = vec![FailureMode {
        name: "host".into(),
        effect: FailureEffect::Crash,
        ttf: exp(2.0 * HOUR),
        ttr: exp(600.0),
        loses_data: false,
    }];
    s.services[0].health_check = health_check;
    s.services[0].timeout = timeout;
    s
}

fn check_every(interval_s: u64) -> Option<HealthCheck> {
    Some(HealthCheck {
        interval: SimTime::from_secs(interval_s),
        timeout: None,
        unhealthy_threshold: 3,
        healthy_threshold: 2,
    })
}

#[test]
fn detection_delay_shows_in_request_success_not_in_availability() {
    // Instant detection: nothing is sent to a dead node; requests fail only in the rare
    // spells when all four nodes are down (then 1 - A of the time), plus the few in
    // service on a node as it crashes.
    let instant = simulate(&web(None, None), None);
    let base = mean(&instant, "error_ratio");
    assert!(
        (base - (1.0 - mean(&instant, "availability"))).abs() < 1e-4,
        "error ratio {base}"
    );
    // Checks every 30 s, 3 to fail: a dead node keeps its share of traffic for 60-90 s.
    // Expected errors: 4 nodes x 12 crashes/day x ~75 s / 4 nodes of traffic share
    // ≈ 1% of requests; availability stays 1 (three other nodes always serve here).
    let slow = simulate(&web(check_every(30), None), None);
    let errors = mean(&slow, "error_ratio");
    assert!(
        (0.002..0.03).contains(&errors) && errors > 10.0 * base,
        "error ratio {errors}"
    );
    assert!((mean(&slow, "availability") - mean(&instant, "availability")).abs() < 1e-3);
    // Faster checks, fewer errors.
    let fast = simulate(&web(check_every(5), None), None);
    assert!(mean(&fast, "error_ratio") < errors / 3.0);
}

#[test]
fn requests_to_an_undetected_dead_node_time_out_when_the_service_has_a_timeout() {
    let m = simulate(&web(check_every(30), Some(SimTime::from_secs(2))), None);
    // Errors only while no node at all is in rotation (about 1 - A, 3.5e-5 here).
    assert!(mean(&m, "error_ratio") < 1e-4);
    assert!(mean(&m, "timeout_ratio") > 0.002);
}

#[test]
fn a_single_node_is_down_from_crash_until_it_passes_its_health_checks_again() {
    // Repairs take exactly 1 h; afterwards 2 passing probes 60 s apart put the node back:
    // each outage lasts 1 h plus 60-120 s (uniform probe phase: 90 s on average).
    let svc = service("one", 1, 1, BalancerSpec::RoundRobin, exp(0.01), None);
    let mut s = single_service(svc, 1.0, 2 * 365 * 86_400, 0, 16);
    s.workload.rate_per_s = None;
    s.services[0].failures = vec![FailureMode {
        name: "host".into(),
        effect: FailureEffect::Crash,
        ttf: exp(10.0 * HOUR),
        ttr: DistSpec::constant(HOUR).unwrap(),
        loses_data: false,
    }];
    s.services[0].health_check = check_every(60);
    let m = simulate(&s, None);
    let mdt = mean(&m, "outage_duration_mean_s");
    assert!(
        (HOUR + 60.0..=HOUR + 120.0).contains(&mdt),
        "mean outage {mdt}"
    );
    // MUT/(MUT + MDT) = availability, from the outage log and the time integral.
    let (mut_s, a) = (mean(&m, "up_time_mean_s"), mean(&m, "availability"));
    assert!(
        (a - mut_s / (mut_s + mdt)).abs() < 1e-3,
        "A {a} vs MUT/(MUT+MDT)"
    );
}

fn zoned(effect: OutageEffect, latency: SimTime) -> Scenario {
    let svc = service(
        "front",
        1,
        8,
        BalancerSpec::RoundRobin,
        DistSpec::constant(0.010).unwrap(),
        None,
    );
    let mut s = single_service(svc, 1.0, 20 * 86_400, 0, 4);
    s.services.push(service(
        "back",
        1,
        8,
        BalancerSpec::RoundRobin,
        DistSpec::constant(0.005).unwrap(),
        None,
    ));
    s.services[0].calls = vec![1];
    s.topology.domains = ["a", "b"]
        .iter()
        .map(|z| Domain {
            name: z.to_string(),
            kind: DomainKind::Zone,
            parent: None,
            cross_zone_latency: latency,
        })
        .collect();
    s.services[0].zones = vec![0];
    s.services[1].zones = vec![1];
    s.outages = vec![OutageSpec {
        name: "switch".into(),
        scope: OutageScope::Domain(1),
        effect,
        ttf: exp(10.0 * HOUR),
        ttr: exp(HOUR),
        loses_data: false,
    }];
    s
}

#[test]
fn cross_zone_calls_pay_the_zone_latency() {
    // front (zone a, 10 ms) calls back (zone b, 5 ms); crossing adds 2 ms.
    let mut s = zoned(OutageEffect::Network, SimTime(2_000_000));
    s.outages.clear();
    let m = simulate(&s, None);
    assert!((mean(&m, "latency_mean_s") - 0.017).abs() < 1e-9);
}

#[test]
fn a_network_outage_cuts_nodes_off_and_they_return_without_repair() {
    // The switch of zone b fails (up 10 h, out 1 h): back is cut off, front depends on it.
    let m = simulate(&zoned(OutageEffect::Network, SimTime::ZERO), None);
    let a = mean(&m, "availability");
    assert!((a - 10.0 / 11.0).abs() < 0.03, "availability {a}");
    assert!((mean(&m, "services.back.availability") - a).abs() < 1e-12);
    assert_eq!(
        mean(&m, "services.front.availability"),
        a,
        "front is down only through back"
    );
    // Requests during the cut fail with errors; none is lost in between.
    let ok = mean(&m, "request_success_ratio");
    assert!((ok - a).abs() < 0.03, "success {ok}");
    assert!((ok + mean(&m, "error_ratio") - 1.0).abs() < 1e-9);
}

#[test]
fn outages_are_attributed_to_their_root_cause() {
    let model = Model::new(&zoned(OutageEffect::Down, SimTime::ZERO));
    let result = run_trial(&model, 0).unwrap();
    assert!(!result.outages.is_empty());
    for o in &result.outages {
        assert_eq!(model.causes[o.cause as usize], "switch (b)");
    }
    // Each outage appears once for back and once for front, with the same times.
    let for_service = |s: u32| {
        result
            .outages
            .iter()
            .filter(|o| o.service == s)
            .map(|o| (o.start, o.end))
            .collect::<Vec<_>>()
    };
    assert_eq!(for_service(0), for_service(1));
    let down: f64 = result.downtime_by_cause_s.iter().sum();
    let a = result.metrics["availability"].value().unwrap();
    assert!((down / model.measured_s() - (1.0 - a)).abs() < 1e-9);
}

#[test]
fn slow_nodes_stay_up_but_serve_slower() {
    // One node slowed 10x half of the time: availability stays 1, latency rises.
    let svc = service(
        "s",
        1,
        64,
        BalancerSpec::RoundRobin,
        DistSpec::constant(0.010).unwrap(),
        None,
    );
    let mut s = single_service(svc, 5.0, 10 * 86_400, 0, 4);
    s.services[0].failures = vec![FailureMode {
        name: "gc".into(),
        effect: FailureEffect::Slow { factor: 10.0 },
        ttf: exp(HOUR),
        ttr: exp(HOUR),
        loses_data: false,
    }];
    let m = simulate(&s, None);
    assert_eq!(mean(&m, "availability"), 1.0);
    // Half the requests take 10 ms, half 100 ms: mean 55 ms, within sampling noise.
    let lat = mean(&m, "latency_mean_s");
    assert!((lat - 0.055).abs() < 0.008, "latency {lat}");
}

#[test]
fn standby_mode_sends_requests_to_the_primary_only() {
    let svc = service("db", 3, 4, BalancerSpec::RoundRobin, exp(0.01), None);
    let mut s = single_service(svc, 10.0, 3_600, 60, 2);
    s.services[0].redundancy = Redundancy::ActiveStandby {
        failover: SimTime::from_secs(60),
    };
    let m = simulate(&s, None);
    // Utilisation is busy slots over offered slots: only the primary's 4 slots are offered.
    let u = mean(&m, "services.db.utilization");
    assert!((u - 10.0 * 0.01 / 4.0).abs() < 0.01, "utilization {u}");
}

fn slo(
    availability: Option<f64>,
    latency_p99: Option<SimTime>,
    window: SimTime,
) -> nines::scenario::SloSpec {
    nines::scenario::SloSpec {
        availability,
        latency_p99,
        error_ratio: None,
        window,
    }
}

#[test]
fn slo_windows_count_availability_exactly() {
    // A zone that is up exactly 9 h, then out exactly 1 h, over 100 h in 1 h windows: the
    // outage fills 10 whole windows, so 90 of 100 windows meet availability >= 0.99.
    let mut s = zoned(OutageEffect::Down, SimTime::ZERO);
    s.workload.rate_per_s = None;
    s.run.horizon = SimTime::from_secs(100 * 3_600);
    s.outages[0].ttf = DistSpec::constant(9.0 * HOUR).unwrap();
    s.outages[0].ttr = DistSpec::constant(HOUR).unwrap();
    s.slo = Some(slo(Some(0.99), None, SimTime::from_secs(3_600)));
    let m = simulate(&s, None);
    assert_eq!(mean(&m, "slo_compliance"), 0.9);
    assert!((mean(&m, "availability") - 0.9).abs() < 1e-12);
}

#[test]
fn slo_windows_judge_p99_latency() {
    // 10 ms + 5 ms constant service, no queueing: every request takes 15 ms.
    let mut s = zoned(OutageEffect::Down, SimTime::ZERO);
    s.outages.clear();
    s.slo = Some(slo(
        None,
        Some(SimTime(16_000_000)),
        SimTime::from_secs(600),
    ));
    assert_eq!(mean(&simulate(&s, None), "slo_compliance"), 1.0);
    s.slo = Some(slo(
        None,
        Some(SimTime(14_000_000)),
        SimTime::from_secs(600),
    ));
    assert_eq!(mean(&simulate(&s, None), "slo_compliance"), 0.0);
}

#[test]
fn a_failure_the_instant_a_repair_ends_continues_the_same_outage() {
    // Mode b fails the node at 50 s for 50 s and again at 150 s; mode a fails it at 100 s
    // for 50 s. At 150 s a's repair ends and b strikes in the same instant: the service is
    // never up between them, so [50 s, 200 s] is one outage, attributed to what began it.
    let text = r#"
        name = "coincident"
        [run]
        horizon = "200s"
        trials = 1
        [workload]
        entry = "db"
        [[services]]
        name = "db"
        service_time = { dist = "constant", value = "1ms" }
        failures = [
          { name = "a", effect = "crash", ttf = { dist = "constant", value = "100s" }, ttr = { dist = "constant", value = "50s" } },
          { name = "b", effect = "crash", ttf = { dist = "constant", value = "50s" }, ttr = { dist = "constant", value = "50s" } },
        ]
    "#;
    let s = nines::scenario::parse(text, std::path::Path::new("coincident.toml")).unwrap();
    let model = Model::new(&s);
    let result = run_trial(&model, 0).unwrap();
    let spans: Vec<(u64, u64)> = result
        .outages
        .iter()
        .map(|o| (o.start.0 / 1_000_000_000, o.end.0 / 1_000_000_000))
        .collect();
    assert_eq!(spans, [(50, 200)]);
    assert_eq!(model.causes[result.outages[0].cause as usize], "db: b");
    // One outage in 200 s is 157,680 a year (two were counted before).
    assert_eq!(result.metrics["outages_per_year"].value(), Some(157_680.0));
    assert_eq!(
        result.metrics["outage_duration_mean_s"].value(),
        Some(150.0)
    );
    assert_eq!(result.metrics["availability"].value(), Some(0.25));
}
