//! The scenario file format: TOML text -> `raw` (serde structs that mirror the file, with
//! `deny_unknown_fields`) -> a validated [`Scenario`] with every default filled in.
//!
//! Invariant: a `Scenario` that exists is valid — names resolve to indices, the call graph
//! has no cycle, every distribution can be sampled — so nothing downstream re-checks it.
//! Every problem in a file is reported at once, each with file, line, column and key path.

use std::path::PathBuf;

mod diagnostic;
mod distribution;
mod load;
mod names;
pub mod raw;
mod schema;
mod spans;
mod validate;

pub use diagnostic::{Diagnostic, Diagnostics, KeyPath, Segment};
pub use load::{load, parse};
pub use schema::json_schema;

use crate::dist::DistSpec;
use crate::time::SimTime;

/// Index of a service in [`Scenario::services`].
pub type ServiceId = usize;

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// `name`: names the default output directory `results/<name>/`.
    pub name: String,
    /// `description`: the design question, for reports.
    pub description: Option<String>,
    /// The file this scenario was read from (relative paths inside it resolve against
    /// its directory).
    pub source: PathBuf,
    /// `[run]`.
    pub run: RunSpec,
    /// `[workload]`.
    pub workload: WorkloadSpec,
    /// `[[services]]`, in file order.
    pub services: Vec<ServiceSpec>,
}

/// `[run]`: how long, how many trials, which seed.
#[derive(Clone, Debug)]
pub struct RunSpec {
    /// Simulated time per trial, warmup included.
    pub horizon: SimTime,
    /// Discarded from statistics; strictly less than `horizon`.
    pub warmup: SimTime,
    /// Trials to run (the first batch when `target_rel_ci` is set).
    pub trials: u32,
    /// Master seed; trial i draws from streams seeded by (seed, i).
    pub seed: u64,
    /// Time-series resolution (default horizon / 200).
    pub sample_every: SimTime,
    /// Stop adding trials once every headline metric's 95% CI half-width is below this
    /// fraction of its mean.
    pub target_rel_ci: Option<f64>,
    /// Upper bound on trials when `target_rel_ci` is set (default 10 x `trials`).
    pub max_trials: u32,
}

/// `[workload]`: where requests enter and how fast they arrive.
#[derive(Clone, Debug)]
pub struct WorkloadSpec {
    /// The service requests arrive at.
    pub entry: ServiceId,
    /// Mean arrivals per second of the Poisson process; `None` simulates no requests.
    pub rate_per_s: Option<f64>,
    /// How the rate varies over time.
    pub pattern: Pattern,
}

/// A multiplier of the workload rate over time. Only `Constant` exists so far; time-varying
/// patterns slot in here.
#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    /// rate(t) = rate.
    Constant,
}

/// The kind of node a service is made of (reported, and used by later models).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Compute,
    Storage,
    Network,
}

/// How a service picks the node that serves a request.
#[derive(Clone, Debug, PartialEq)]
pub enum BalancerSpec {
    /// One shared FIFO queue; any free slot on any node serves the head (M/M/c).
    Central,
    /// Nodes in turn.
    RoundRobin,
    /// A node uniformly at random.
    Random,
    /// The node with the fewest outstanding requests (join the shortest queue).
    LeastConnections,
    /// Two distinct nodes at random; the one with fewer outstanding requests.
    PowerOfTwo,
    /// Smooth weighted round robin; one weight per node (`weights.len() == nodes`).
    WeightedRoundRobin { weights: Vec<u32> },
    /// The node with the lowest EWMA latency x (outstanding + 1).
    LeastResponseTime,
}

/// One `[[services]]` entry.
#[derive(Clone, Debug)]
pub struct ServiceSpec {
    /// Unique name.
    pub name: String,
    /// `kind` (default compute).
    pub kind: NodeKind,
    /// Nodes in the pool (>= 1, default 1).
    pub nodes: u32,
    /// Requests one node serves at once (>= 1, default 1).
    pub concurrency: u32,
    /// Most requests waiting in a queue (per node; the shared queue for `central`);
    /// `None` is unbounded, `Some(0)` drops whatever finds no free slot.
    pub queue_limit: Option<u32>,
    /// Local processing time of one request.
    pub service_time: DistSpec,
    /// A visit (wait + local processing) that lasts this long fails the request.
    pub timeout: Option<SimTime>,
    /// Node choice (default round_robin).
    pub balancer: BalancerSpec,
    /// Services called, in order, after local processing.
    pub calls: Vec<ServiceId>,
}
