//! Engine throughput on M/M/10 (rate 9/s, mean service 1 s, `central`, one trial of
//! 1,000,000 arrivals after a 1,000 s warm-up, full metrics on). An event is one arrival
//! or one departure, so a trial is about 2,000,000 events; criterion reports events/s.
//!
//! A second group times one availability-only trial (see `availability`), a third one day
//! of the autoscaled week of issue 4 (see `week_autoscaled_day`).
//!
//! Run: `cargo bench --bench engine`.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group};
use nines::dist::DistSpec;
use nines::model::{Model, run_trial};
use nines::scenario::{
    BalancerSpec, NodeKind, Pattern, Redundancy, RunSpec, Scenario, ServiceSpec, WorkloadSpec,
};
use nines::time::SimTime;

const RATE_PER_S: f64 = 9.0;
const ARRIVALS: f64 = 1_000_000.0;
const WARMUP_S: u64 = 1_000;

fn mm10(nodes: u32, concurrency: u32) -> Model {
    let measured_s = (ARRIVALS / RATE_PER_S).round() as u64;
    let horizon = SimTime::from_secs(WARMUP_S + measured_s);
    let scenario = Scenario {
        name: "mm10".into(),
        description: None,
        source: "bench".into(),
        run: RunSpec {
            fidelity: nines::scenario::Fidelity::Request,
            capacity_step: SimTime::from_secs(300),
            horizon,
            warmup: SimTime::from_secs(WARMUP_S),
            trials: 1,
            seed: 1,
            sample_every: SimTime::from_secs(measured_s / 200),
            target_rel_ci: None,
            max_trials: 1,
        },
        workload: WorkloadSpec {
            entry: 0,
            rate_per_s: Some(RATE_PER_S),
            pattern: Pattern::Constant,
        },
        services: vec![ServiceSpec {
            name: "svc".into(),
            kind: NodeKind::Compute,
            nodes,
            concurrency,
            queue_limit: None,
            service_time: DistSpec::exponential(1.0).expect("valid"),
            timeout: None,
            balancer: BalancerSpec::Central,
            calls: vec![],
            zones: vec![],
            failures: vec![],
            health_check: None,
            redundancy: Redundancy::ActiveActive { min_healthy: 1 },
            autoscaling: None,
            cost_per_hour: 0.0,
            data: None,
            backup: None,
        }],
        topology: Default::default(),
        outages: vec![],
        repair: Default::default(),
        slo: None,
    };
    Model::new(&scenario)
}

fn engine(c: &mut Criterion) {
    let mut group = c.benchmark_group("mm10_one_trial");
    group.sample_size(10);
    // Both arrivals and departures, warm-up included: RATE x horizon x 2.
    let events = (2.0 * RATE_PER_S * (WARMUP_S as f64 + ARRIVALS / RATE_PER_S)) as u64;
    group.throughput(Throughput::Elements(events));
    for (label, nodes, concurrency) in [("10_nodes_x1", 10, 1), ("1_node_x10", 1, 10)] {
        let model = mm10(nodes, concurrency);
        group.bench_function(label, |b| {
            b.iter(|| run_trial(&model, 0).expect("no backlog"))
        });
    }
    group.finish();
}

/// One trial of the bench scenario `file` (in `benches/scenarios/`) after `overrides`,
/// timed by criterion in group `group` (`samples` samples over `measurement`);
/// throughput in events per second (the trial's `sim_events`, counted by one run first).
fn one_trial_of(
    c: &mut Criterion,
    group: &str,
    file: &str,
    overrides: &[String],
    (samples, measurement): (usize, Duration),
) {
    let path = format!("{}/benches/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
    let scenario = nines::scenario::load_with_overrides(std::path::Path::new(&path), overrides)
        .expect("valid bench scenario");
    let model = Model::new(&scenario);
    let events = run_trial(&model, 0).expect("no backlog").metrics["sim_events"]
        .value()
        .expect("defined") as u64;
    let mut group = c.benchmark_group(group);
    group.sample_size(samples);
    group.measurement_time(measurement);
    group.throughput(Throughput::Elements(events));
    group.bench_function("one_trial", |b| {
        b.iter(|| run_trial(&model, 0).expect("no backlog"))
    });
    group.finish();
}

/// One simulated year of a 100-node service, two failure modes, zone outages, no requests
/// (`benches/scenarios/availability-100.toml`).
fn availability(c: &mut Criterion) {
    // A trial takes about half a millisecond: criterion's defaults.
    let timing = (100, Duration::from_secs(5));
    one_trial_of(
        c,
        "availability_100_nodes_one_year",
        "availability-100.toml",
        &[],
        timing,
    );
}

/// One simulated day of `benches/scenarios/week-autoscaled.toml` (diurnal load averaging
/// 500 requests/s, target-tracking autoscaling, `least_connections`, lognormal service):
/// about 86 million events, an arrival and a departure per request. Issue 4's target, a
/// week in under 30 s on one core, is 20.2 million events/s here (605 million in 30 s).
fn week_autoscaled_day(c: &mut Criterion) {
    let one_day = ["run.horizon=\"1d\"".to_string()];
    // A trial takes about 6 s: ten of them, criterion's least.
    let timing = (10, Duration::from_secs(70));
    one_trial_of(
        c,
        "week_autoscaled_one_day",
        "week-autoscaled.toml",
        &one_day,
        timing,
    );
}

criterion_group!(benches, engine, availability, week_autoscaled_day);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
