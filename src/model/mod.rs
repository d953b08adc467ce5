//! The simulated world: a [`Model`] compiled from a validated scenario (samplers built,
//! routes flattened), and [`run_trial`], which simulates one trial of it.
//!
//! Invariants checked on every run in debug builds: requests are conserved (arrived =
//! completed + failed + in flight); Little's law holds exactly as an accounting identity
//! (∫ requests-in-system dt = Σ clipped time in system, in integer ns); availability lies
//! in [0, 1] and equals MUT / (MUT + MDT) computed from the outage log.

mod autoscale;
mod availability;
mod capacity;
mod collect;
mod data;
mod detection;
mod domains;
mod event;
mod failures;
mod pool;
mod request;
mod series;
mod slo;
mod trial;
mod visit;
mod workload;
mod zone_slots;

use crate::dist::{Dist, DistSpec};
use crate::scenario::{
    Autoscaling, BalancerSpec, DomainId, FailureEffect, Fidelity, HealthCheck, OutageEffect,
    Pattern, Redundancy, Scenario, ServiceId, SloSpec,
};
use crate::time::SimTime;

pub use event::Event;
pub use series::columns as series_columns;
pub use trial::{Backlog, MAX_QUEUED, run_trial, run_trial_reporting};

/// Stream numbers: each purpose (and each service) draws from its own generator.
pub(crate) mod streams {
    /// Inter-arrival times of the workload.
    pub const ARRIVALS: u64 = 0;
    /// Service times of service `s`.
    pub fn service_time(s: usize) -> u64 {
        (1 << 32) | s as u64
    }
    /// Routing decisions of service `s`'s balancer.
    pub fn routing(s: usize) -> u64 {
        (2 << 32) | s as u64
    }
    /// Failure and repair times of node `node` of service `s` (one stream per node, so
    /// adding nodes does not change the failures of the others).
    pub fn node_failures(s: usize, node: usize) -> u64 {
        (3 << 32) | ((s as u64) << 20) | node as u64
    }
    /// Outage times of the `k`-th domain struck by outage `o`.
    pub fn outage(o: usize, k: usize) -> u64 {
        (4 << 32) | ((o as u64) << 20) | k as u64
    }
    /// Health-check phases of service `s`.
    pub fn health(s: usize) -> u64 {
        (5 << 32) | s as u64
    }
    /// Boot times of service `s`'s launched nodes.
    pub fn boot(s: usize) -> u64 {
        (6 << 32) | s as u64
    }
    /// Replica placement of service `s`'s data (its hash key, copyset permutations).
    pub fn placement(s: usize) -> u64 {
        (7 << 32) | s as u64
    }
    /// Re-replication times of service `s`'s data.
    pub fn rereplication(s: usize) -> u64 {
        (8 << 32) | s as u64
    }
}

/// Index into [`Model::causes`]: what an outage is attributed to.
pub type CauseId = u32;

/// A failure mode, ready to simulate.
#[derive(Clone, Debug)]
pub struct FailureModel {
    pub cause: CauseId,
    pub effect: FailureEffect,
    pub ttf: Dist,
    pub ttr: Dist,
    /// The node's replicas are gone when it strikes.
    pub loses_data: bool,
}

impl FailureModel {
    /// Whether the node is down (not merely slow or silently corrupt) while this failure
    /// lasts.
    pub fn takes_node_down(&self) -> bool {
        !matches!(
            self.effect,
            FailureEffect::Slow { .. } | FailureEffect::Corrupt
        )
    }

    /// Whether its repair waits for a crew (`restart` recovers by itself; a corruption's
    /// "repair" is its being noticed).
    pub fn needs_crew(&self) -> bool {
        !matches!(self.effect, FailureEffect::Restart | FailureEffect::Corrupt)
    }
}

/// An outage process of one domain, ready to simulate.
#[derive(Clone, Debug)]
pub struct OutageModel {
    pub effect: OutageEffect,
    pub ttf: Dist,
    pub ttr: Dist,
    /// The domains it strikes, each with its own clock, and the cause of each; a random
    /// outage has one entry, its domain `usize::MAX`.
    pub domains: Vec<(DomainId, CauseId)>,
    /// A random outage: the share of the nodes provisioned when it starts (of every
    /// service, autoscaled nodes included) that each one strikes.
    pub random_fraction: Option<f64>,
    /// The struck nodes lose their replicas.
    pub loses_data: bool,
}

/// A service, ready to simulate.
#[derive(Clone, Debug)]
pub struct ServiceModel {
    pub name: String,
    /// Nodes at time zero.
    pub nodes: usize,
    /// Node slots: `nodes`, or room for an autoscaled service to grow to `max` while as many
    /// drain (2 x max).
    pub slots: usize,
    pub concurrency: u32,
    /// Most waiting requests per queue; `u32::MAX` is unbounded.
    pub queue_limit: u32,
    pub service_time: Dist,
    pub timeout: Option<SimTime>,
    pub balancer: BalancerSpec,
    pub failures: Vec<FailureModel>,
    pub health_check: Option<HealthCheck>,
    pub redundancy: Redundancy,
    /// The zone of each node (`u32::MAX` without zones).
    pub node_zone: Vec<u32>,
    pub calls: Vec<ServiceId>,
    /// Services that call this one.
    pub callers: Vec<ServiceId>,
    /// Mean service time, for health-check probe timeouts.
    pub mean_service_s: f64,
    /// Price of one provisioned node per hour.
    pub cost_per_hour: f64,
    pub autoscaling: Option<Autoscaling>,
    /// Boot times of launched nodes.
    pub boot_time: Dist,
    /// The service-time distribution itself (capacity fidelity reads its quantiles).
    pub service_spec: DistSpec,
    /// Visits each request makes here (its occurrences in the route).
    pub visits_per_request: u32,
    /// Capacity fidelity: the cause its overloads are attributed to.
    pub overload_cause: Option<CauseId>,
    /// Its data (storage services with `data`).
    pub data: Option<data::DataModel>,
}

/// A scenario compiled for simulation. Immutable and shared by all trials.
#[derive(Clone, Debug)]
pub struct Model {
    pub seed: u64,
    /// Requests a trial may hold queued before it stops with a backlog error
    /// ([`MAX_QUEUED`]; lower in tests).
    pub max_queued: u64,
    pub fidelity: Fidelity,
    /// Capacity fidelity: the longest span a varying rate is held at its average.
    pub capacity_step: SimTime,
    pub horizon: SimTime,
    pub warmup: SimTime,
    /// Time-series resolution.
    pub sample_every: SimTime,
    /// Mean arrivals per second; `None` simulates no requests.
    pub rate_per_s: Option<f64>,
    /// The multiplier of the rate over time.
    pub pattern: Pattern,
    /// The services a request visits, in order: the entry, then (depth first) each call.
    pub route: Vec<ServiceId>,
    pub services: Vec<ServiceModel>,
    /// The service whose availability is `availability`.
    pub entry: ServiceId,
    /// Cause labels, e.g. "web: host" or "zone outage (a)".
    pub causes: Vec<String>,
    pub outages: Vec<OutageModel>,
    /// Every (service, node) inside each domain, nested domains included.
    pub domain_nodes: Vec<Vec<(u32, u32)>>,
    /// Per domain: the cross-zone latency of a zone (zero for other domains).
    pub zone_latency: Vec<SimTime>,
    /// Repair crews; `None` is unlimited.
    pub crews: Option<u32>,
    pub slo: Option<SloSpec>,
    /// Capacity fidelity: service states already worked out, shared by all trials.
    pub capacity_cache: std::sync::Arc<capacity::CapacityCache>,
}

impl Model {
    /// Compiles a validated scenario.
    pub fn new(scenario: &Scenario) -> Model {
        let mut route = Vec::new();
        flatten_calls(scenario, scenario.workload.entry, &mut route);
        let mut causes = Vec::new();
        let placement = domains::Placement::new(scenario);
        let capacity = scenario.run.fidelity == Fidelity::Capacity;
        let node_racks = placement.node_racks(scenario);
        let services: Vec<ServiceModel> = scenario
            .services
            .iter()
            .enumerate()
            .map(|(s, spec)| ServiceModel {
                name: spec.name.clone(),
                nodes: spec.nodes as usize,
                slots: domains::slots(spec),
                concurrency: spec.concurrency,
                queue_limit: spec.queue_limit.unwrap_or(u32::MAX),
                service_time: spec.service_time.sampler(),
                timeout: spec.timeout,
                balancer: spec.balancer.clone(),
                failures: spec
                    .failures
                    .iter()
                    .map(|f| FailureModel {
                        cause: push_cause(&mut causes, format!("{}: {}", spec.name, f.name)),
                        effect: f.effect.clone(),
                        ttf: f.ttf.sampler(),
                        ttr: f.ttr.sampler(),
                        loses_data: f.loses_data,
                    })
                    .collect(),
                health_check: spec.health_check.clone(),
                redundancy: spec.redundancy.clone(),
                node_zone: placement.node_zone[s].clone(),
                calls: spec.calls.clone(),
                callers: (0..scenario.services.len())
                    .filter(|&c| scenario.services[c].calls.contains(&s))
                    .collect(),
                mean_service_s: spec.service_time.mean_s(),
                cost_per_hour: spec.cost_per_hour,
                autoscaling: spec.autoscaling.clone(),
                boot_time: spec.autoscaling.as_ref().map_or_else(
                    || DistSpec::Constant { value_s: 0.0 }.sampler(),
                    |a| a.boot_time.sampler(),
                ),
                service_spec: spec.service_time.clone(),
                visits_per_request: route.iter().filter(|&&r| r == s).count() as u32,
                overload_cause: None,
                data: spec.data.as_ref().map(|d| {
                    let loss = push_cause(&mut causes, format!("{}: data_loss", spec.name));
                    let corruption = push_cause(&mut causes, format!("{}: corruption", spec.name));
                    data::DataModel::new(
                        d,
                        spec.backup.as_ref(),
                        spec.nodes,
                        &node_racks[s],
                        (loss, corruption),
                    )
                }),
            })
            .collect();
        let outages = domains::compile_outages(scenario, &mut causes);
        let mut services = services;
        if capacity {
            for svc in &mut services {
                svc.overload_cause =
                    Some(push_cause(&mut causes, format!("{}: overload", svc.name)));
            }
        }
        Model {
            seed: scenario.run.seed,
            max_queued: MAX_QUEUED,
            fidelity: scenario.run.fidelity,
            capacity_step: scenario.run.capacity_step,
            horizon: scenario.run.horizon,
            warmup: scenario.run.warmup,
            sample_every: scenario.run.sample_every,
            rate_per_s: scenario.workload.rate_per_s,
            pattern: scenario.workload.pattern.clone(),
            route,
            services,
            entry: scenario.workload.entry,
            causes,
            outages,
            domain_nodes: placement.domain_nodes,
            zone_latency: placement.zone_latency,
            crews: scenario.repair.crews,
            slo: scenario.slo.clone(),
            capacity_cache: Default::default(),
        }
    }

    /// The measured span, horizon minus warmup, in seconds.
    pub fn measured_s(&self) -> f64 {
        (self.horizon - self.warmup).as_secs_f64()
    }
}

/// Appends a cause label and returns its id.
fn push_cause(causes: &mut Vec<String>, label: String) -> CauseId {
    causes.push(label);
    (causes.len() - 1) as CauseId
}

/// Pre-order walk of the call tree: a service, then each callee's subtree in order. The
/// scenario has no call cycle, so this ends.
fn flatten_calls(scenario: &Scenario, s: ServiceId, route: &mut Vec<ServiceId>) {
    route.push(s);
    for &callee in &scenario.services[s].calls {
        flatten_calls(scenario, callee, route);
    }
}
