//! `raw` -> [`Scenario`]: required keys, defaults, ranges, name resolution and the call
//! graph, each problem recorded with its place in the file. Failure domains are read in
//! `domains`; failures, health checks, redundancy, outages, repair and the SLO in
//! `reliability`.
//!
//! Invariant: returns `Some` only when no problem was found, here or before (a key cut out
//! while reading makes the result `None` without a second message about the same key).

use super::diagnostic::KeyPath;
use super::distribution::build_dist;
use super::domains::{Domains, domains};
use super::elastic::{autoscaling, pattern};
use super::names::{Names, check_call_graph, names};
use super::raw::{
    BalancerKind, FailureEffectRaw, Fidelity, NodeKindRaw, RedundancyMode, RunRaw, ScenarioFile,
    ServiceRaw, WorkloadRaw,
};
use super::reliability::{failures, health_check, outages, redundancy, repair, slo};
use super::spans::Ctx;
use super::{BalancerSpec, NodeKind, RunSpec, Scenario, ServiceId, ServiceSpec, WorkloadSpec};
use crate::time::SimTime;

/// Most trials a run keeps (one row of metrics each, in memory until written).
pub const MAX_TRIALS: u32 = 1_000_000;
/// Most nodes a service may have, or grow to (each node slot has its own state).
pub const MAX_NODES: u32 = 1_000_000;
/// Most time-series rows a run records (horizon / sample_every).
pub const MAX_SAMPLES: u64 = 1_000_000;

/// Checks `raw` and fills in every default. `None` when any problem was found.
pub(crate) fn validate(raw: ScenarioFile, ctx: &mut Ctx) -> Option<Scenario> {
    let root = KeyPath::root();
    let name = scenario_name(raw.name, &root.key("name"), ctx);
    let horizon = raw.run.as_ref().and_then(|r| r.horizon).map(|h| h.0);
    let run = run(raw.run, ctx);
    let domains = domains(
        raw.regions.as_deref().unwrap_or_default(),
        raw.zones.as_deref().unwrap_or_default(),
        raw.racks.as_deref().unwrap_or_default(),
        ctx,
    );
    let services_path = root.key("services");
    let raw_had_services = raw.services.is_some();
    let services_raw = raw.services.unwrap_or_default();
    if services_raw.is_empty() {
        let message =
            "a scenario needs at least one [[services]] table, with name and service_time";
        if ctx.cut_whole(&services_path) {
            // Malformed, already reported.
        } else if raw_had_services {
            ctx.at(&services_path, message);
        } else {
            ctx.missing(&services_path, message);
        }
    }
    let names = names(&services_raw, &services_path, ctx);
    let workload = workload(raw.workload, &names, ctx);
    let labels: Vec<String> = services_raw
        .iter()
        .enumerate()
        .map(|(i, s)| s.name.clone().unwrap_or_else(|| format!("services[{i}]")))
        .collect();
    let mut services = Vec::new();
    let mut graph = Vec::new();
    for (i, s) in services_raw.into_iter().enumerate() {
        let (spec, calls) = service(s, &services_path.index(i), &names, &domains, ctx);
        services.push(spec);
        graph.push(calls);
    }
    check_call_graph(&graph, &labels, &services_path, ctx);
    let services: Option<Vec<ServiceSpec>> = services.into_iter().collect();
    let outages = outages(raw.outages.as_deref().unwrap_or_default(), &domains, ctx);
    let repair = repair(raw.repair.as_ref(), ctx);
    let slo = slo(
        raw.slo.as_ref(),
        horizon.filter(|h| *h > SimTime::ZERO),
        ctx,
    );
    if !ctx.diags.is_empty() {
        return None;
    }
    Some(Scenario {
        name: name?,
        description: raw.description,
        source: ctx.file.to_path_buf(),
        run: run?,
        workload: workload?,
        services: services?,
        topology: domains.topology,
        outages: outages?,
        repair: repair?,
        slo: slo?,
    })
}

fn scenario_name(name: Option<String>, path: &KeyPath, ctx: &mut Ctx) -> Option<String> {
    let Some(name) = name else {
        ctx.missing(
            path,
            "missing key \"name\"; name the scenario, e.g. name = \"web-tier\"",
        );
        return None;
    };
    let bad = name.trim().is_empty()
        || name.contains(['/', '\\'])
        || name == "."
        || name == ".."
        || name.chars().any(char::is_control);
    if bad {
        ctx.at(
            path,
            format!("invalid name {name:?}: it names the output directory results/<name>/, so it must be non-empty, without '/' or '\\', and not . or .."),
        );
        return None;
    }
    Some(name)
}

fn run(raw: Option<RunRaw>, ctx: &mut Ctx) -> Option<RunSpec> {
    let p = KeyPath::root().key("run");
    let Some(r) = raw else {
        ctx.missing(
            &p,
            "missing table [run]; it needs at least horizon, e.g. horizon = \"1h\"",
        );
        return None;
    };
    let mut ok = true;
    let horizon = match r.horizon {
        None => {
            ctx.missing(
                &p.key("horizon"),
                "missing key \"horizon\": the simulated time per trial, e.g. horizon = \"7d\"",
            );
            None
        }
        Some(h) if h.0 == SimTime::ZERO => {
            ctx.at(&p.key("horizon"), "horizon must be longer than 0");
            None
        }
        Some(h) => Some(h.0),
    };
    let warmup = r.warmup.map_or(SimTime::ZERO, |w| w.0);
    if let Some(h) = horizon
        && warmup >= h
    {
        ctx.at(
            &p.key("warmup"),
            format!("warmup ({warmup}) must be shorter than horizon ({h})"),
        );
        ok = false;
    }
    let trials = r.trials.unwrap_or(32);
    if trials == 0 {
        ctx.at(&p.key("trials"), "trials must be at least 1");
        ok = false;
    }
    let kept = " (each trial's row is kept)";
    ok &= ctx.at_most(&p.key("trials"), "trials", trials, MAX_TRIALS, kept);
    let sample_every = match (r.sample_every, horizon) {
        (Some(s), _) if s.0 == SimTime::ZERO => {
            ctx.at(&p.key("sample_every"), "sample_every must be longer than 0");
            None
        }
        (Some(s), Some(h)) if s.0 > h => {
            ctx.at(
                &p.key("sample_every"),
                format!(
                    "sample_every ({}) must not be longer than horizon ({h})",
                    s.0
                ),
            );
            None
        }
        (Some(s), Some(h)) if h.0 / s.0.0 > MAX_SAMPLES => {
            ctx.at(
                &p.key("sample_every"),
                format!(
                    "sample_every ({}) gives {} time-series rows over the horizon; at most {MAX_SAMPLES}",
                    s.0,
                    h.0 / s.0.0
                ),
            );
            None
        }
        (Some(s), _) => Some(s.0),
        (None, h) => h.map(|h| SimTime((h.0 / 200).max(1))),
    };
    let target_rel_ci = r.target_rel_ci;
    if let Some(t) = target_rel_ci
        && !(t > 0.0 && t < 1.0)
    {
        ctx.at(
            &p.key("target_rel_ci"),
            format!("target_rel_ci must be in (0, 1), e.g. 0.05 for ±5%; found {t}"),
        );
        ok = false;
    }
    let max_trials = r
        .max_trials
        .unwrap_or(trials.saturating_mul(10).min(MAX_TRIALS));
    if r.max_trials.is_some() {
        ok &= ctx.at_most(
            &p.key("max_trials"),
            "max_trials",
            max_trials,
            MAX_TRIALS,
            "",
        );
    }
    if r.max_trials.is_some() && trials > 0 && max_trials < trials && !ctx.cut(&p.key("trials")) {
        ctx.at(
            &p.key("max_trials"),
            format!("max_trials ({max_trials}) must be at least trials ({trials})"),
        );
        ok = false;
    }
    let capacity_step = r.capacity_step.map_or(SimTime::from_secs(300), |d| d.0);
    if capacity_step == SimTime::ZERO {
        ctx.at(
            &p.key("capacity_step"),
            "capacity_step must be longer than 0",
        );
        ok = false;
    }
    if !ok {
        return None;
    }
    Some(RunSpec {
        fidelity: r.fidelity.unwrap_or(Fidelity::Request),
        capacity_step,
        horizon: horizon?,
        warmup,
        trials,
        seed: r.seed.unwrap_or(1),
        sample_every: sample_every?,
        target_rel_ci,
        max_trials,
    })
}

fn workload(raw: Option<WorkloadRaw>, names: &Names, ctx: &mut Ctx) -> Option<WorkloadSpec> {
    let p = KeyPath::root().key("workload");
    let Some(w) = raw else {
        ctx.missing(
            &p,
            "missing table [workload]; it needs entry = \"<service name>\"",
        );
        return None;
    };
    let entry = match w.entry {
        None => {
            ctx.missing(
                &p.key("entry"),
                "missing key \"entry\": the service requests arrive at",
            );
            None
        }
        Some(name) => names.resolve(&name, &p.key("entry"), "entry", ctx),
    };
    let mut rate_ok = true;
    if let Some(rate) = w.rate
        && !(rate.is_finite() && rate > 0.0)
    {
        ctx.at(
            &p.key("rate"),
            format!("rate must be a finite number of requests per second > 0, found {rate}; leave rate out to simulate no requests"),
        );
        rate_ok = false;
    }
    if w.rate.is_none() && w.pattern.is_some() {
        // A pattern's factors multiply `rate`: without one it would silently do nothing.
        ctx.at(
            &p.key("pattern"),
            "a pattern multiplies the workload's rate, which is missing: set rate (requests per second) or leave the pattern out to simulate no requests",
        );
        rate_ok = false;
    }
    let pattern = pattern(w.pattern.as_ref(), &p.key("pattern"), ctx);
    if !rate_ok {
        return None;
    }
    Some(WorkloadSpec {
        entry: entry?,
        rate_per_s: w.rate,
        pattern: pattern?,
    })
}

/// The service, if valid, and its resolvable calls as (position in `calls`, callee).
fn service(
    s: ServiceRaw,
    p: &KeyPath,
    names: &Names,
    domains: &Domains,
    ctx: &mut Ctx,
) -> (Option<ServiceSpec>, Vec<(usize, ServiceId)>) {
    let mut ok = true;
    let nodes = s.nodes.unwrap_or(1);
    let concurrency = s.concurrency.unwrap_or(1);
    for (key, v) in [("nodes", nodes), ("concurrency", concurrency)] {
        if v == 0 {
            ctx.at(&p.key(key), format!("{key} must be at least 1"));
            ok = false;
        }
    }
    let own_state = " (each node has its own state)";
    ok &= ctx.at_most(&p.key("nodes"), "nodes", nodes, MAX_NODES, own_state);
    let service_time = match &s.service_time {
        Some(d) => build_dist(d, &p.key("service_time"), ctx),
        None => {
            ctx.missing(
                &p.key("service_time"),
                "missing key \"service_time\": the local processing time, e.g. service_time = { dist = \"exponential\", mean = \"20ms\" }",
            );
            None
        }
    };
    if let Some(t) = s.timeout
        && t.0 == SimTime::ZERO
    {
        ctx.at(
            &p.key("timeout"),
            "timeout must be longer than 0; leave it out for no timeout",
        );
        ok = false;
    }
    let cost_per_hour = s.cost_per_hour.unwrap_or(0.0);
    if !(cost_per_hour.is_finite() && cost_per_hour >= 0.0) {
        ctx.at(
            &p.key("cost_per_hour"),
            format!("cost_per_hour must be a finite number >= 0, found {cost_per_hour}"),
        );
        ok = false;
    }
    let balancer = balancer(&s, nodes, p, ctx);
    let mut calls = Vec::new();
    let mut graph = Vec::new();
    for (j, callee) in s.calls.iter().flatten().enumerate() {
        let cp = p.key("calls").index(j);
        if s.name.as_deref() == Some(callee.as_str()) {
            ctx.at(&cp, format!("service \"{callee}\" calls itself ({callee} -> {callee}); calls must not form a cycle"));
            ok = false;
        } else {
            match names.resolve(callee, &cp, "call", ctx) {
                Some(id) => {
                    calls.push(id);
                    graph.push((j, id));
                }
                None => ok = false,
            }
        }
    }
    let zones = domains.zones(s.zones.as_deref().unwrap_or_default(), &p.key("zones"), ctx);
    let failures = failures(
        s.failures.as_deref().unwrap_or_default(),
        &p.key("failures"),
        ctx,
    );
    let health_check = match &s.health_check {
        None => Some(None),
        Some(h) => health_check(h, &p.key("health_check"), ctx).map(Some),
    };
    let known_nodes = (!ctx.cut(&p.key("nodes"))).then_some(nodes);
    let redundancy = redundancy(
        s.redundancy.as_ref(),
        known_nodes,
        &p.key("redundancy"),
        ctx,
    );
    let autoscaling = match &s.autoscaling {
        None => Some(None),
        Some(a) => {
            if s.balancer == Some(BalancerKind::WeightedRoundRobin) {
                ctx.at(
                    &p.key("balancer"),
                    "weighted_round_robin gives one weight per node, so it cannot be used with autoscaling, which adds and removes nodes",
                );
                ok = false;
            }
            let mode = s.redundancy.as_ref().and_then(|r| r.mode);
            if mode == Some(RedundancyMode::Quorum) {
                ctx.at(
                    &p.key("redundancy").key("mode"),
                    "quorum needs a majority of a fixed membership, so it cannot be used with autoscaling, which adds and removes nodes",
                );
                ok = false;
            }
            // nodes = 0 is reported above, once.
            let nodes = known_nodes.filter(|n| *n > 0);
            autoscaling(a, &p.key("autoscaling"), nodes, s.nodes.is_some(), ctx).map(Some)
        }
    };
    let data_path = p.key("data");
    let data = match &s.data {
        None => Some(None),
        Some(d) => {
            let host = super::data::Host {
                storage: s.kind == Some(NodeKindRaw::Storage),
                nodes: known_nodes,
                autoscaled: s.autoscaling.is_some(),
                zones: &zones,
                topology: &domains.topology,
            };
            super::data::data(d, &data_path, &host, ctx).map(Some)
        }
    };
    let has_data = s.data.is_some() || ctx.cut(&data_path);
    let backup = match &s.backup {
        None => Some(None),
        Some(b) => super::data::backup(b, &p.key("backup"), has_data, ctx).map(Some),
    };
    for (j, f) in s.failures.iter().flatten().enumerate() {
        let fp = p.key("failures").index(j);
        if f.loses_data == Some(true) && !has_data {
            ctx.at(
                &fp.key("loses_data"),
                "loses_data = true needs data on the service: add data = { size = ..., replicas = ... } (and kind = \"storage\")",
            );
            ok = false;
        }
        if f.effect == Some(FailureEffectRaw::Corrupt)
            && s.backup.is_none()
            && !ctx.cut(&p.key("backup"))
        {
            ctx.at(
                &fp.key("effect"),
                "effect = \"corrupt\" needs a backup on the service: every replica copies a corruption, so only a restore repairs it",
            );
            ok = false;
        }
    }
    let spec = || {
        if !ok {
            return None;
        }
        Some(ServiceSpec {
            name: s.name?,
            kind: match s.kind.unwrap_or(NodeKindRaw::Compute) {
                NodeKindRaw::Compute => NodeKind::Compute,
                NodeKindRaw::Storage => NodeKind::Storage,
                NodeKindRaw::Network => NodeKind::Network,
            },
            nodes,
            concurrency,
            queue_limit: s.queue_limit,
            service_time: service_time?,
            timeout: s.timeout.map(|t| t.0),
            balancer: balancer?,
            calls,
            zones,
            failures: failures?,
            health_check: health_check?,
            redundancy: redundancy?,
            autoscaling: autoscaling?,
            cost_per_hour,
            data: data?,
            backup: backup?,
        })
    };
    (spec(), graph)
}

fn balancer(s: &ServiceRaw, nodes: u32, p: &KeyPath, ctx: &mut Ctx) -> Option<BalancerSpec> {
    let kind = s.balancer.unwrap_or(BalancerKind::RoundRobin);
    let wp = p.key("weights");
    if kind != BalancerKind::WeightedRoundRobin {
        if s.weights.is_some() {
            ctx.at_key(
                &wp,
                "weights are only allowed with balancer = \"weighted_round_robin\"",
            );
            return None;
        }
        return Some(match kind {
            BalancerKind::Central => BalancerSpec::Central,
            BalancerKind::RoundRobin => BalancerSpec::RoundRobin,
            BalancerKind::Random => BalancerSpec::Random,
            BalancerKind::LeastConnections => BalancerSpec::LeastConnections,
            BalancerKind::PowerOfTwo => BalancerSpec::PowerOfTwo,
            BalancerKind::LeastResponseTime => BalancerSpec::LeastResponseTime,
            BalancerKind::WeightedRoundRobin => return None,
        });
    }
    let Some(weights) = &s.weights else {
        ctx.missing(&wp, format!("balancer = \"weighted_round_robin\" needs weights = [...], one positive weight per node ({nodes})"));
        return None;
    };
    let mut ok = true;
    if weights.len() != nodes as usize && !ctx.cut(&p.key("nodes")) {
        ctx.at(
            &wp,
            format!(
                "weights has {} entries but nodes = {nodes}; give one weight per node",
                weights.len()
            ),
        );
        ok = false;
    }
    for (j, w) in weights.iter().enumerate() {
        if *w == 0 {
            ctx.at(&wp.index(j), "a weight must be at least 1");
            ok = false;
        }
    }
    ok.then(|| BalancerSpec::WeightedRoundRobin {
        weights: weights.clone(),
    })
}
