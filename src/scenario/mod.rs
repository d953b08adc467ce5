//! The scenario file format: TOML text -> `raw` (serde structs that mirror the file, with
//! `deny_unknown_fields`) -> a validated [`Scenario`] with every default filled in.
//!
//! Invariant: a `Scenario` that exists is valid — names resolve to indices, the call graph
//! has no cycle, every distribution can be sampled — so nothing downstream re-checks it.
//! Every problem in a file is reported at once, each with file, line, column and key path.

use std::path::PathBuf;

mod data;
mod diagnostic;
mod distribution;
mod domains;
mod elastic;
mod load;
mod names;
mod overrides;
pub mod raw;
mod reliability;
mod schema;
mod spans;
mod validate;

pub use diagnostic::{Diagnostic, Diagnostics, KeyPath, Segment};
pub use load::{load, parse};
pub use overrides::{
    Change, ChangeSource, apply as apply_override, load_with_changes, load_with_overrides,
    table_entry_place,
};
pub use raw::Fidelity;
pub use schema::json_schema;
pub use validate::{MAX_NODES, MAX_SAMPLES, MAX_TRIALS};

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
    /// `[[regions]]`, `[[zones]]`, `[[racks]]`: the failure domains.
    pub topology: Topology,
    /// `[[outages]]`: failures of whole domains.
    pub outages: Vec<OutageSpec>,
    /// `[repair]`.
    pub repair: RepairSpec,
    /// `[slo]`, if given.
    pub slo: Option<SloSpec>,
}

/// Index of a domain in [`Topology::domains`].
pub type DomainId = usize;

/// The level of a failure domain. Racks nest in zones, zones in regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomainKind {
    Region,
    Zone,
    Rack,
}

/// One region, zone or rack.
#[derive(Clone, Debug, PartialEq)]
pub struct Domain {
    /// Unique across all domains.
    pub name: String,
    pub kind: DomainKind,
    /// The enclosing domain: a rack's zone (required), a zone's region (optional).
    pub parent: Option<DomainId>,
    /// Zones only (zero otherwise): one-way delay added to a call between a node in this zone
    /// and a node in another zone (the larger of the two zones' values applies).
    pub cross_zone_latency: SimTime,
}

/// All failure domains: regions first, then zones, then racks, each in file order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Topology {
    pub domains: Vec<Domain>,
}

impl Topology {
    /// Where the first `count` nodes of a service placed in `zones` sit: node i in zone
    /// i mod |zones|, and the j-th node of a zone in its j mod k-th rack (of k). Each
    /// node's innermost domain: its rack, or its zone when the zone has no racks (`None`
    /// without zones). The one placement rule, for the model and for validation.
    pub fn innermost_domains(&self, zones: &[DomainId], count: usize) -> Vec<Option<DomainId>> {
        if zones.is_empty() {
            return vec![None; count];
        }
        let racks_of = |zone: DomainId| -> Vec<DomainId> {
            (0..self.domains.len())
                .filter(|&d| {
                    self.domains[d].kind == DomainKind::Rack && self.domains[d].parent == Some(zone)
                })
                .collect()
        };
        let racks: Vec<Vec<DomainId>> = zones.iter().map(|&z| racks_of(z)).collect();
        let mut placed = vec![0usize; self.domains.len()];
        (0..count)
            .map(|i| {
                let k = i % zones.len();
                let j = placed[zones[k]];
                placed[zones[k]] += 1;
                Some(match racks[k].len() {
                    0 => zones[k],
                    n => racks[k][j % n],
                })
            })
            .collect()
    }
}

/// One failure mode of a service's nodes; each node runs its own independent clock for it.
#[derive(Clone, Debug, PartialEq)]
pub struct FailureMode {
    /// Names the cause in outage logs.
    pub name: String,
    pub effect: FailureEffect,
    /// Time to failure, from the node's start or its last recovery from this mode.
    pub ttf: DistSpec,
    /// Time to repair (for `crash` and `slow`, from the moment a repair crew takes it on);
    /// for `corrupt`, the time until the corruption is noticed.
    pub ttr: DistSpec,
    /// `crash` only: the node's replicas are gone when it strikes (a disk or host loss).
    pub loses_data: bool,
}

/// What a failure does to a node.
#[derive(Clone, Debug, PartialEq)]
pub enum FailureEffect {
    /// The node is down until repaired (repairs wait for a crew when `repair.crews` is set).
    Crash,
    /// The node stays up but its service times are multiplied by `factor` (>= 1).
    Slow { factor: f64 },
    /// The node is down for a short software recovery, which needs no repair crew.
    Restart,
    /// A logical corruption of the service's data, which every replica copies: the node
    /// stays up; after `ttr` the corruption is noticed and the service restores from its
    /// backup (the service must have one). Needs no repair crew.
    Corrupt,
}

/// `health_check`: how the balancer learns that nodes failed or recovered.
#[derive(Clone, Debug, PartialEq)]
pub struct HealthCheck {
    /// Time between probes of one node.
    pub interval: SimTime,
    /// A probe fails when the node's (possibly slowed) mean service time exceeds this.
    pub timeout: Option<SimTime>,
    /// Consecutive failed probes that take a node out of rotation (default 3).
    pub unhealthy_threshold: u32,
    /// Consecutive passed probes that put it back (default 2).
    pub healthy_threshold: u32,
}

/// `redundancy`: when is a service up, given its nodes.
#[derive(Clone, Debug, PartialEq)]
pub enum Redundancy {
    /// Up while at least `min_healthy` nodes serve (default mode, `min_healthy` 1).
    ActiveActive { min_healthy: u32 },
    /// One primary serves; when it fails, a healthy standby takes over after `failover`.
    ActiveStandby { failover: SimTime },
    /// Up while a strict majority of the nodes serve.
    Quorum,
}

/// `[[outages]]`: a failure of a whole domain.
#[derive(Clone, Debug, PartialEq)]
pub struct OutageSpec {
    /// Names the cause in outage logs (default: "<scope> outage").
    pub name: String,
    pub scope: OutageScope,
    pub effect: OutageEffect,
    /// Time between the end of one outage of a domain and the start of the next.
    pub ttf: DistSpec,
    /// Outage length.
    pub ttr: DistSpec,
    /// `down` only: the struck nodes lose their replicas.
    pub loses_data: bool,
}

/// Which domains an outage strikes.
#[derive(Clone, Debug, PartialEq)]
pub enum OutageScope {
    /// Every domain of this kind, each with its own independent clock.
    EachOf(DomainKind),
    /// One named domain.
    Domain(DomainId),
    /// `round(fraction x all nodes)` nodes (at least one) of all services, drawn uniformly
    /// without replacement at each start: a power event. One clock.
    Random { fraction: f64 },
}

/// What an outage does to the nodes inside the domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutageEffect {
    /// Power or facility loss: every node inside is down, and all come back together when
    /// the outage ends (no repair crew needed).
    Down,
    /// A switch, link or partition: the nodes inside are cut off from the balancers and from
    /// other zones while staying up; they are reachable again when the outage ends.
    Network,
}

/// `autoscaling`: how a service's node count follows its load.
#[derive(Clone, Debug, PartialEq)]
pub struct Autoscaling {
    pub policy: ScalingPolicy,
    /// Bounds on the desired node count (1 <= min <= max).
    pub min: u32,
    pub max: u32,
    /// Time from launch until a node can pass its first health check (default constant 0).
    pub boot_time: DistSpec,
    /// How long a node removed by scale-in keeps serving its in-flight and queued requests
    /// (no new ones) before it is gone (default 300 s, the ELB default).
    pub deregistration_delay: SimTime,
    /// A failed node is terminated and replaced this long after the health check marks it
    /// unhealthy (after the failure itself without a health check); default 0. New nodes
    /// are not replaced during `health_check_grace` after launch.
    pub replace_after: SimTime,
    /// Grace period after launch during which a node is not replaced (default 300 s).
    pub health_check_grace: SimTime,
}

/// The scaling policy of an autoscaled service. Every policy measures utilisation (busy
/// slot-time / offered slot-time) over the last `interval`.
#[derive(Clone, Debug, PartialEq)]
pub enum ScalingPolicy {
    /// Kubernetes HPA: desired = ceil(current x utilization / target), no change within
    /// `tolerance` of 1, scale-up limited per interval to max(+`scale_up_nodes`,
    /// +`scale_up_percent`%), scale-down to the highest recommendation over the last
    /// `scale_down_stabilization`. Defaults: interval 15 s, tolerance 0.1, 4 nodes, 100%,
    /// 300 s.
    TargetTracking {
        target: f64,
        interval: SimTime,
        tolerance: f64,
        scale_up_nodes: u32,
        scale_up_percent: f64,
        scale_down_stabilization: SimTime,
    },
    /// AWS step scaling: the first band containing the utilisation changes the desired
    /// count by its `change`; after a scaling activity, scale-in waits for `cooldown`
    /// (default 300 s). Defaults: interval 60 s.
    Step {
        interval: SimTime,
        cooldown: SimTime,
        steps: Vec<StepAdjustment>,
    },
    /// Scheduled actions, applied in time order.
    Schedule { actions: Vec<ScheduledAction> },
}

/// One band of a step policy: applies when lower <= utilization < upper (open bounds when
/// absent).
#[derive(Clone, Debug, PartialEq)]
pub struct StepAdjustment {
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    /// Nodes to add (negative: remove).
    pub change: i32,
}

/// One scheduled action: at a time (once) or every day at a time of day.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledAction {
    pub at: SimTime,
    /// Repeat every 24 h from `at` (`at` is then a time of day, < 24 h).
    pub daily: bool,
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub desired: Option<u32>,
}

/// `[repair]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RepairSpec {
    /// Repair crews shared by all services (first come, first served); `None` is unlimited.
    pub crews: Option<u32>,
}

/// `[slo]`: the targets an SLO window must meet.
#[derive(Clone, Debug, PartialEq)]
pub struct SloSpec {
    pub availability: Option<f64>,
    pub latency_p99: Option<SimTime>,
    pub error_ratio: Option<f64>,
    /// Length of one SLO window (default 5 min).
    pub window: SimTime,
}

/// `[run]`: how long, how many trials, which seed.
#[derive(Clone, Debug)]
pub struct RunSpec {
    /// Request-level events, or closed forms per interval.
    pub fidelity: Fidelity,
    /// Capacity fidelity: the longest span a varying rate is held at its average.
    pub capacity_step: SimTime,
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

/// A multiplier of the workload rate over time (`[workload] pattern`); a list of patterns
/// in the file is their product.
#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    /// 1 at all times.
    Constant,
    /// (peak + trough)/2 + (peak − trough)/2 · cos(2π (t − peak_at) / period).
    Diurnal {
        period: SimTime,
        peak: f64,
        trough: f64,
        peak_at: SimTime,
    },
    /// Piecewise constant: `factors[i]` from `at[i]` until `at[i + 1]` (1 before `at[0]`);
    /// `at` strictly increasing, same length as `factors`.
    Steps { at: Vec<SimTime>, factors: Vec<f64> },
    /// `factor` during [at, at + duration), 1 otherwise.
    Spike {
        at: SimTime,
        duration: SimTime,
        factor: f64,
    },
    /// Piecewise linear through (time_s, multiplier) points read from a CSV file (time
    /// strictly increasing, multipliers >= 0); the first value before the first point, the
    /// last after the last.
    Trace { points: Vec<(f64, f64)> },
    /// The product of several patterns.
    Product(Vec<Pattern>),
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
    /// Zones the nodes are spread over (node i in `zones[i % zones.len()]`; within a zone,
    /// over its racks the same way); empty when the scenario has no zones.
    pub zones: Vec<DomainId>,
    /// `failures`.
    pub failures: Vec<FailureMode>,
    /// `health_check`; `None` means failures and recoveries are noticed at once.
    pub health_check: Option<HealthCheck>,
    /// `redundancy` (default active_active with min_healthy 1).
    pub redundancy: Redundancy,
    /// `autoscaling`: `nodes` is then the initial size.
    pub autoscaling: Option<Autoscaling>,
    /// Price of one node per hour (default 0); every provisioned node costs, whatever its
    /// state.
    pub cost_per_hour: f64,
    /// `data` (storage services only): replicas, placement, re-replication.
    pub data: Option<DataSpec>,
    /// `backup` (services with `data` only): recovery points and restores.
    pub backup: Option<BackupSpec>,
}

/// Most replicas a chunk may have.
pub const MAX_REPLICAS: u32 = 16;

/// A storage service's data: `chunks` chunks of `size / chunks` bytes, each with
/// `replicas` copies on distinct nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct DataSpec {
    /// Logical size (one copy), bytes.
    pub size_bytes: f64,
    /// Chunks, >= 1.
    pub chunks: u32,
    /// Copies of each chunk, 1..=nodes.
    pub replicas: u32,
    pub placement: PlacementRule,
    /// How lost replicas are re-created (`None` only with one replica: nothing to copy
    /// from).
    pub rereplication: Option<Rereplication>,
}

/// Where a chunk's replicas go.
#[derive(Clone, Debug, PartialEq)]
pub enum PlacementRule {
    /// `replicas` distinct nodes, uniformly at random, independently per chunk.
    Random,
    /// HDFS's default policy for an off-cluster writer: the first replica on a random node,
    /// the second on a random node of another rack, the third on another node of that
    /// second rack; any further replicas on random distinct nodes. Needs nodes in >= 2
    /// racks, the second rack with >= 2 nodes when replicas >= 3.
    RackAware,
    /// Copyset replication: `scatter_width / (replicas - 1)` random permutations of the
    /// nodes, each cut into groups of `replicas` consecutive nodes (the last `nodes mod
    /// replicas` nodes of a permutation form no group); each chunk on one group chosen
    /// uniformly.
    Copyset { scatter_width: u32 },
}

/// How a lost node's replicas are re-created (the job starts when the loss is detected).
#[derive(Clone, Debug, PartialEq)]
pub struct Rereplication {
    pub speed: RereplicationSpeed,
    /// Jobs (lost nodes) re-replicated at once; later ones wait first come, first served.
    /// `None`: unlimited.
    pub max_streams: Option<u32>,
}

/// How long one lost node's re-replication job takes.
#[derive(Clone, Debug, PartialEq)]
pub enum RereplicationSpeed {
    /// Every other node that is up gives `rate_bytes_per_s`: a job copies the node's share
    /// of the data, `size x replicas / nodes`, in that divided by (rate x nodes up).
    Rate { rate_bytes_per_s: f64 },
    /// A duration drawn from this distribution.
    Time(DistSpec),
}

/// `backup`: periodic recovery points from time zero and the restore they allow.
#[derive(Clone, Debug, PartialEq)]
pub struct BackupSpec {
    pub full_every: SimTime,
    pub incremental_every: Option<SimTime>,
    pub log_shipping: Option<SimTime>,
    pub restore_rate_bytes_per_s: f64,
    pub restore_fixed: SimTime,
    pub logical: bool,
}

/// A logical restore (a dump re-inserting rows and rebuilding indexes) is this many times
/// slower than a physical one at the same `restore_rate`: nines' rule, a round figure for
/// pg_dump/pg_restore against file-level copies.
pub const LOGICAL_RESTORE_SLOWDOWN: f64 = 3.0;

impl BackupSpec {
    /// The newest recovery point at or before `t`: recovery points are at every multiple of
    /// each configured interval, starting with a full backup at time zero.
    pub fn recovery_point(&self, t: SimTime) -> SimTime {
        [
            Some(self.full_every),
            self.incremental_every,
            self.log_shipping,
        ]
        .into_iter()
        .flatten()
        .map(|every| SimTime(t.0 / every.0 * every.0))
        .max()
        .unwrap_or(SimTime::ZERO)
    }

    /// RTO of a restore of `size_bytes`: restore_fixed + size / restore_rate, times
    /// [`LOGICAL_RESTORE_SLOWDOWN`] for a logical backup.
    pub fn restore_time_s(&self, size_bytes: f64) -> f64 {
        let factor = if self.logical {
            LOGICAL_RESTORE_SLOWDOWN
        } else {
            1.0
        };
        self.restore_fixed.as_secs_f64() + factor * size_bytes / self.restore_rate_bytes_per_s
    }
}
