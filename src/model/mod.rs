//! The simulated world: a [`Model`] compiled from a validated scenario (samplers built,
//! routes flattened), and [`run_trial`], which simulates one trial of it.
//!
//! Invariants checked on every run in debug builds: requests are conserved (arrived =
//! completed + failed + in flight) and Little's law holds exactly as an accounting
//! identity (∫ requests-in-system dt = Σ clipped time in system, in integer ns).

mod collect;
mod event;
mod pool;
mod request;
mod series;
mod trial;

use crate::dist::Dist;
use crate::scenario::{BalancerSpec, Scenario, ServiceId};
use crate::time::SimTime;

pub use event::Event;
pub use series::columns as series_columns;
pub use trial::run_trial;

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
}

/// A service, ready to simulate.
#[derive(Clone, Debug)]
pub struct ServiceModel {
    pub name: String,
    pub nodes: usize,
    pub concurrency: u32,
    /// Most waiting requests per queue; `u32::MAX` is unbounded.
    pub queue_limit: u32,
    pub service_time: Dist,
    pub timeout: Option<SimTime>,
    pub balancer: BalancerSpec,
}

/// A scenario compiled for simulation. Immutable and shared by all trials.
#[derive(Clone, Debug)]
pub struct Model {
    pub seed: u64,
    pub horizon: SimTime,
    pub warmup: SimTime,
    /// Time-series resolution.
    pub sample_every: SimTime,
    /// Mean arrivals per second; `None` simulates no requests.
    pub rate_per_s: Option<f64>,
    /// The services a request visits, in order: the entry, then (depth first) each call.
    pub route: Vec<ServiceId>,
    pub services: Vec<ServiceModel>,
}

impl Model {
    /// Compiles a validated scenario.
    pub fn new(scenario: &Scenario) -> Model {
        let mut route = Vec::new();
        flatten_calls(scenario, scenario.workload.entry, &mut route);
        let services = scenario
            .services
            .iter()
            .map(|s| ServiceModel {
                name: s.name.clone(),
                nodes: s.nodes as usize,
                concurrency: s.concurrency,
                queue_limit: s.queue_limit.unwrap_or(u32::MAX),
                service_time: s.service_time.sampler(),
                timeout: s.timeout,
                balancer: s.balancer.clone(),
            })
            .collect();
        Model {
            seed: scenario.run.seed,
            horizon: scenario.run.horizon,
            warmup: scenario.run.warmup,
            sample_every: scenario.run.sample_every,
            rate_per_s: scenario.workload.rate_per_s,
            route,
            services,
        }
    }

    /// The measured span, horizon minus warmup, in seconds.
    pub fn measured_s(&self) -> f64 {
        (self.horizon - self.warmup).as_secs_f64()
    }
}

/// Pre-order walk of the call tree: a service, then each callee's subtree in order. The
/// scenario has no call cycle, so this ends.
fn flatten_calls(scenario: &Scenario, s: ServiceId, route: &mut Vec<ServiceId>) {
    route.push(s);
    for &callee in &scenario.services[s].calls {
        flatten_calls(scenario, callee, route);
    }
}
