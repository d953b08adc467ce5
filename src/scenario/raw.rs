//! The scenario file exactly as written: serde structs that mirror the TOML, one field per
//! key, with `deny_unknown_fields` everywhere so a misspelt key is an error, never a silent
//! default.
//!
//! Invariant: every field is an `Option`, so deserialization never fails because a key is
//! missing; required keys and defaults are the business of `validate`, which knows where the
//! enclosing table is in the file. Only type and syntax problems are found here.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::{Map, Value, json};

use crate::time::{SimTime, parse_duration, seconds_to_time};

mod data;
mod elastic;

pub use data::{
    BackupKind, BackupRaw, ByteRate, Bytes, DataRaw, PlacementKind, RereplicationRaw, parse_bytes,
    parse_rate,
};
pub use elastic::{
    ActionAt, ActionRaw, AutoscalingRaw, Described, OneOrMany, POLICY_KEYS, PatternKind,
    PatternRaw, PatternsRaw, PolicyKind, StepRaw, parse_time_of_day,
};

/// The whole scenario file.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "nines scenario")]
pub struct ScenarioFile {
    /// Scenario name; also names the default output directory `results/<name>/`.
    #[schemars(required)]
    pub name: Option<String>,
    /// The design question this scenario answers, for reports.
    pub description: Option<String>,
    /// How long to simulate, how many trials, which seed.
    #[schemars(required)]
    pub run: Option<RunRaw>,
    /// Where requests enter and how fast they arrive.
    #[schemars(required)]
    pub workload: Option<WorkloadRaw>,
    /// The services, each a pool of nodes.
    #[schemars(required, length(min = 1))]
    pub services: Option<Vec<ServiceRaw>>,
    /// Regions: the outermost failure domains (default none).
    pub regions: Option<Vec<RegionRaw>>,
    /// Zones, each optionally in a region (default none).
    pub zones: Option<Vec<ZoneRaw>>,
    /// Racks, each in a zone (default none).
    pub racks: Option<Vec<RackRaw>>,
    /// Failures of whole domains (default none).
    pub outages: Option<Vec<OutageRaw>>,
    /// Repair crews (default unlimited).
    pub repair: Option<RepairRaw>,
    /// Service-level objective, judged per window (default none).
    pub slo: Option<SloRaw>,
    /// Axes of `nines sweep`: each key a key path (`"services.web.nodes"`), each value a
    /// list of values or an integer range string `"a..b"` / `"a..b..step"`. Read by the
    /// sweep command (`sweep::axes_from_table`); `nines run` ignores it.
    pub sweep: Option<std::collections::BTreeMap<String, serde_json::Value>>,
    /// Decision variables of `nines plan`: each key a key path, each value an integer
    /// range string `"a..b"` (searched by bisection: more must never be worse) or a list
    /// of choices. Read by the plan command; `nines run` ignores it.
    pub plan: Option<std::collections::BTreeMap<String, serde_json::Value>>,
}

/// `[run]`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRaw {
    /// Simulated time per trial, warmup included (required, > 0).
    #[schemars(required)]
    pub horizon: Option<Duration>,
    /// Discarded from statistics; must be shorter than `horizon` (default 0).
    pub warmup: Option<Duration>,
    /// Number of trials, >= 1 (default 32).
    #[schemars(range(min = 1))]
    pub trials: Option<u32>,
    /// Master seed (default 1).
    pub seed: Option<u64>,
    /// Time-series resolution, > 0 and <= horizon (default horizon / 200).
    pub sample_every: Option<Duration>,
    /// Simulation fidelity (default "request").
    pub fidelity: Option<Fidelity>,
    /// Capacity fidelity: the longest span over which a varying workload rate is held at
    /// its average (default "5m"); > 0.
    pub capacity_step: Option<Duration>,
    /// Add trials until every headline metric's 95% CI half-width is below this fraction of
    /// its mean; in (0, 1).
    #[schemars(range(min = 0.0, max = 1.0))]
    pub target_rel_ci: Option<f64>,
    /// Most trials run when `target_rel_ci` is set; >= trials (default 10 x trials).
    #[schemars(range(min = 1))]
    pub max_trials: Option<u32>,
}

/// `fidelity`: how much of the world is simulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fidelity {
    /// Every request is an entity.
    Request,
    /// No request events: each interval's metrics come from closed forms (Erlang C per
    /// service), for availability over years and many trials.
    Capacity,
}

/// `[workload]`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkloadRaw {
    /// Name of the service requests arrive at (required).
    #[schemars(required)]
    pub entry: Option<String>,
    /// Mean arrivals per second (Poisson), finite and > 0; absent means no requests.
    pub rate: Option<f64>,
    /// How the rate varies over time: one pattern or a list multiplied together (default
    /// constant).
    pub pattern: Option<PatternsRaw>,
}

/// One `[[services]]` entry.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceRaw {
    /// Unique name (required).
    #[schemars(required)]
    pub name: Option<String>,
    /// Node kind (default compute).
    pub kind: Option<NodeKindRaw>,
    /// Nodes in the pool, >= 1 (default 1).
    #[schemars(range(min = 1))]
    pub nodes: Option<u32>,
    /// Requests one node serves at once, >= 1 (default 1).
    #[schemars(range(min = 1))]
    pub concurrency: Option<u32>,
    /// Most requests waiting per node (the shared queue for `central`); absent = unbounded.
    pub queue_limit: Option<u32>,
    /// Local processing time of one request (required).
    #[schemars(required)]
    pub service_time: Option<DistRaw>,
    /// A visit (wait + local processing) longer than this fails the request; > 0.
    pub timeout: Option<Duration>,
    /// How a node is picked (default round_robin).
    pub balancer: Option<BalancerKind>,
    /// One positive weight per node; only with `weighted_round_robin`, and required there.
    pub weights: Option<Vec<u32>>,
    /// Services called, in order, after local processing (default none).
    pub calls: Option<Vec<String>>,
    /// Zone names the nodes are spread over, node i in zones[i % len] (default none).
    pub zones: Option<Vec<String>>,
    /// Failure modes of the nodes, each with its own clock (default none).
    pub failures: Option<Vec<FailureRaw>>,
    /// How the balancer detects failed and recovered nodes (default: at once).
    pub health_check: Option<HealthCheckRaw>,
    /// When the service counts as up (default active_active, min_healthy 1).
    pub redundancy: Option<RedundancyRaw>,
    /// How the node count follows the load (default: a fixed `nodes`).
    pub autoscaling: Option<AutoscalingRaw>,
    /// Price of one node per hour, in any currency, >= 0 (default 0).
    pub cost_per_hour: Option<f64>,
    /// storage only: the data the nodes hold, its replicas and their placement.
    pub data: Option<DataRaw>,
    /// storage with `data` only: backups and restores.
    pub backup: Option<BackupRaw>,
}

/// One `[[regions]]` entry.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionRaw {
    /// Unique among all domains; not "zone", "rack" or "region" (required).
    #[schemars(required)]
    pub name: Option<String>,
}

/// One `[[zones]]` entry.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ZoneRaw {
    /// Unique among all domains; not "zone", "rack" or "region" (required).
    #[schemars(required)]
    pub name: Option<String>,
    /// The region the zone is in (default none).
    pub region: Option<String>,
    /// One-way delay added to calls between this zone and another (default 0).
    pub cross_zone_latency: Option<Duration>,
}

/// One `[[racks]]` entry.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RackRaw {
    /// Unique among all domains; not "zone", "rack" or "region" (required).
    #[schemars(required)]
    pub name: Option<String>,
    /// The zone the rack is in (required).
    #[schemars(required)]
    pub zone: Option<String>,
}

/// One entry of a service's `failures`.
///
/// Flat (like [`DistRaw`]) so `factor` keeps its place in the file; that it goes with
/// `effect = "slow"` only is checked in validation, and stated in the hand-written schema.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureRaw {
    /// Unique within the service (required).
    pub name: Option<String>,
    /// What the failure does (required).
    pub effect: Option<FailureEffectRaw>,
    /// Service-time multiplier, finite and >= 1; required with `slow`, allowed only there.
    pub factor: Option<f64>,
    /// crash only: the node's replicas are gone (a disk or host loss), default false.
    pub loses_data: Option<bool>,
    /// Time to failure (required).
    pub ttf: Option<DistRaw>,
    /// Time to repair (required); for `corrupt`, the time until the corruption is noticed.
    pub ttr: Option<DistRaw>,
}

impl JsonSchema for FailureRaw {
    fn schema_name() -> Cow<'static, str> {
        "Failure".into()
    }

    /// Two closed alternatives: `slow` with its `factor`, and the others without one.
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let dist = Value::from(generator.subschema_for::<DistRaw>());
        let common = |effect: Value| {
            json!({
                "name": { "type": "string", "description": "Unique within the service." },
                "effect": effect,
                "ttf": dist.clone(),
                "ttr": dist.clone(),
            })
        };
        let mut slow = common(json!({ "const": "slow" }));
        slow["factor"] = json!({ "type": "number", "minimum": 1, "description": "Service times are multiplied by this." });
        let mut crash = common(json!({ "const": "crash" }));
        crash["loses_data"] = json!({ "type": "boolean", "description": "The node's replicas are gone (disk or host loss); default false." });
        closed_one_of(
            "A failure mode of a service's nodes, chosen by `effect`: crash (down until repaired; loses_data for a disk or host loss), slow (service times x factor), restart (down for ttr, no repair crew), corrupt (a logical corruption every replica copies, noticed after ttr; needs a backup).",
            vec![
                (crash, vec!["name", "effect", "ttf", "ttr"]),
                (slow, vec!["name", "effect", "factor", "ttf", "ttr"]),
                (
                    common(json!({ "enum": ["restart", "corrupt"] })),
                    vec!["name", "effect", "ttf", "ttr"],
                ),
            ],
        )
    }
}

/// `effect` of a failure mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailureEffectRaw {
    /// Down until repaired (waits for a repair crew).
    Crash,
    /// Up, but service times x `factor` until repaired (waits for a repair crew).
    Slow,
    /// Down for `ttr`, no repair crew.
    Restart,
    /// A logical corruption of the service's data, noticed after `ttr`; only a restore
    /// from backup repairs it.
    Corrupt,
}

/// A service's `health_check`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthCheckRaw {
    /// Time between probes of one node, > 0 (required).
    #[schemars(required)]
    pub interval: Option<Duration>,
    /// A probe fails when the node's (slowed) mean service time exceeds this; > 0.
    pub timeout: Option<Duration>,
    /// Consecutive failed probes that take a node out of rotation, >= 1 (default 3).
    #[schemars(range(min = 1))]
    pub unhealthy_threshold: Option<u32>,
    /// Consecutive passed probes that put it back, >= 1 (default 2).
    #[schemars(range(min = 1))]
    pub healthy_threshold: Option<u32>,
}

/// A service's `redundancy`.
///
/// Flat so each key keeps its place; which keys go with which `mode` is checked in
/// validation and stated in the hand-written schema.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedundancyRaw {
    /// The redundancy scheme (default active_active).
    pub mode: Option<RedundancyMode>,
    /// active_active only: nodes that must serve for the service to be up, 1..=nodes
    /// (default 1).
    pub min_healthy: Option<u32>,
    /// active_standby only (required there): time for a standby to take over, may be 0.
    pub failover: Option<Duration>,
}

impl JsonSchema for RedundancyRaw {
    fn schema_name() -> Cow<'static, str> {
        "Redundancy".into()
    }

    /// One closed alternative per mode, with only that mode's keys.
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let duration = Value::from(generator.subschema_for::<Duration>());
        closed_one_of(
            "When the service counts as up, chosen by `mode` (default active_active).",
            vec![
                (
                    json!({
                        "mode": { "const": "active_active" },
                        "min_healthy": { "type": "integer", "minimum": 1, "description": "Serving nodes needed, 1..=nodes (default 1)." },
                    }),
                    vec![],
                ),
                (
                    json!({
                        "mode": { "const": "active_standby" },
                        "failover": duration,
                    }),
                    vec!["mode", "failover"],
                ),
                (json!({ "mode": { "const": "quorum" } }), vec!["mode"]),
            ],
        )
    }
}

/// `mode` of a redundancy table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RedundancyMode {
    /// Up while at least `min_healthy` nodes serve.
    ActiveActive,
    /// One primary serves; a standby takes over after `failover`.
    ActiveStandby,
    /// Up while more than half the nodes serve.
    Quorum,
}

/// One `[[outages]]` entry.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutageRaw {
    /// Names the cause in outage logs (default "<scope> outage").
    pub name: Option<String>,
    /// "zone", "rack" or "region" (each domain of that kind, independently), the name of
    /// one domain, or "random" (a `fraction` of all nodes at once) (required).
    #[schemars(required)]
    pub scope: Option<String>,
    /// scope = "random" only (required there): the share of all nodes struck, in (0, 1].
    #[schemars(range(min = 0.0, max = 1.0))]
    pub fraction: Option<f64>,
    /// What the outage does (default down).
    pub effect: Option<OutageEffectRaw>,
    /// effect = "down" only: the struck nodes lose their replicas (default false).
    pub loses_data: Option<bool>,
    /// Time from the end of one outage of a domain to the start of the next (required).
    #[schemars(required)]
    pub ttf: Option<DistRaw>,
    /// Outage length (required).
    #[schemars(required)]
    pub ttr: Option<DistRaw>,
}

/// `effect` of an outage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutageEffectRaw {
    /// Every node inside is down, all back together when it ends.
    Down,
    /// The nodes inside are up but cut off from balancers and other zones.
    Network,
}

/// `[repair]`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepairRaw {
    /// Repair crews shared by all services, >= 1 (default unlimited).
    #[schemars(range(min = 1))]
    pub crews: Option<u32>,
}

/// `[slo]`: at least one of availability, latency_p99, error_ratio.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SloRaw {
    /// Fraction of the window the entry service must be available, in (0, 1].
    #[schemars(range(min = 0.0, max = 1.0))]
    pub availability: Option<f64>,
    /// Largest p99 latency of the requests completed in the window; > 0.
    pub latency_p99: Option<Duration>,
    /// Largest fraction of failed requests in the window, in [0, 1].
    #[schemars(range(min = 0.0, max = 1.0))]
    pub error_ratio: Option<f64>,
    /// Length of one window, > 0 and <= run.horizon (default 5m).
    pub window: Option<Duration>,
}

/// A schema of closed alternatives: each `(properties, required keys)` becomes an object
/// with `additionalProperties: false`.
fn closed_one_of(description: &str, alternatives: Vec<(Value, Vec<&str>)>) -> Schema {
    let one_of: Vec<Value> = alternatives
        .into_iter()
        .map(|(props, required)| {
            json!({
                "type": "object",
                "properties": props,
                "required": required,
                "additionalProperties": false,
            })
        })
        .collect();
    let mut schema = Map::new();
    schema.insert("description".into(), description.into());
    schema.insert("oneOf".into(), Value::Array(one_of));
    Schema::from(schema)
}

/// `kind` of a service's nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeKindRaw {
    /// Application servers.
    Compute,
    /// Databases, object stores.
    Storage,
    /// Load balancers, gateways.
    Network,
}

/// `balancer`: how a service picks the node that serves a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BalancerKind {
    /// One shared FIFO queue (M/M/c).
    Central,
    /// Nodes in turn.
    RoundRobin,
    /// A node uniformly at random.
    Random,
    /// Fewest outstanding requests.
    LeastConnections,
    /// Two nodes at random, the less loaded.
    PowerOfTwo,
    /// Smooth weighted round robin over `weights`.
    WeightedRoundRobin,
    /// Lowest EWMA latency x (outstanding + 1).
    LeastResponseTime,
}

/// `dist` of a distribution table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DistKind {
    /// `{mean}`.
    Exponential,
    /// `{value}`.
    Constant,
    /// `{min, max}`.
    Uniform,
    /// `{mean, sd}`, truncated at 0.
    Normal,
    /// `{mean, cv}` or `{mu, sigma}`.
    Lognormal,
    /// `{mean, cv}`.
    Gamma,
    /// `{shape, mean}` or `{shape, scale}`.
    Weibull,
    /// `{shape, scale}` or `{shape, mean}`.
    Pareto,
    /// `{file}`: a CSV of samples in seconds.
    Empirical,
}

impl DistKind {
    /// The name used in files.
    pub fn name(self) -> &'static str {
        PARAMETRISATIONS
            .iter()
            .find(|(k, _, _)| *k == self)
            .map_or("?", |(_, name, _)| name)
    }
}

/// Every distribution with the key sets it accepts (exactly one set must be given). This
/// one table drives both validation and the JSON schema.
pub const PARAMETRISATIONS: &[(DistKind, &str, &[&[&str]])] = &[
    (DistKind::Exponential, "exponential", &[&["mean"]]),
    (DistKind::Constant, "constant", &[&["value"]]),
    (DistKind::Uniform, "uniform", &[&["min", "max"]]),
    (DistKind::Normal, "normal", &[&["mean", "sd"]]),
    (
        DistKind::Lognormal,
        "lognormal",
        &[&["mean", "cv"], &["mu", "sigma"]],
    ),
    (DistKind::Gamma, "gamma", &[&["mean", "cv"]]),
    (
        DistKind::Weibull,
        "weibull",
        &[&["shape", "mean"], &["shape", "scale"]],
    ),
    (
        DistKind::Pareto,
        "pareto",
        &[&["shape", "scale"], &["shape", "mean"]],
    ),
    (DistKind::Empirical, "empirical", &[&["file"]]),
];

/// Parameters that are durations (a duration string or a number of seconds).
pub const DURATION_PARAMS: &[&str] = &["mean", "value", "min", "max", "sd", "scale"];

/// A distribution table, e.g. `{ dist = "lognormal", mean = "20ms", cv = 1.2 }`.
///
/// Flat on purpose (rather than a serde-tagged enum) so every key keeps its own place in
/// the file for error messages; which keys go with which `dist` is checked in validation.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistRaw {
    /// Which distribution.
    pub dist: Option<DistKind>,
    /// Mean (duration).
    pub mean: Option<Duration>,
    /// Constant value (duration).
    pub value: Option<Duration>,
    /// Uniform lower bound (duration).
    pub min: Option<Duration>,
    /// Uniform upper bound (duration).
    pub max: Option<Duration>,
    /// Normal standard deviation (duration).
    pub sd: Option<Duration>,
    /// Coefficient of variation (sd / mean).
    pub cv: Option<f64>,
    /// Lognormal: mean of the underlying normal, in log-seconds.
    pub mu: Option<f64>,
    /// Lognormal: sd of the underlying normal.
    pub sigma: Option<f64>,
    /// Weibull / Pareto shape.
    pub shape: Option<f64>,
    /// Weibull / Pareto scale (duration).
    pub scale: Option<Duration>,
    /// Empirical: CSV file of samples in seconds, relative to the scenario file.
    pub file: Option<String>,
}

impl DistRaw {
    /// The keys present in this table, other than `dist`.
    pub fn present_params(&self) -> Vec<&'static str> {
        let present = [
            ("mean", self.mean.is_some()),
            ("value", self.value.is_some()),
            ("min", self.min.is_some()),
            ("max", self.max.is_some()),
            ("sd", self.sd.is_some()),
            ("cv", self.cv.is_some()),
            ("mu", self.mu.is_some()),
            ("sigma", self.sigma.is_some()),
            ("shape", self.shape.is_some()),
            ("scale", self.scale.is_some()),
            ("file", self.file.is_some()),
        ];
        present
            .iter()
            .filter(|(_, p)| *p)
            .map(|(k, _)| *k)
            .collect()
    }
}

impl JsonSchema for DistRaw {
    fn schema_name() -> Cow<'static, str> {
        "Distribution".into()
    }

    /// One alternative per parametrisation, each closed (`additionalProperties: false`).
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let duration = Value::from(generator.subschema_for::<Duration>());
        let mut one_of = Vec::new();
        for (_, name, forms) in PARAMETRISATIONS {
            for form in *forms {
                let mut props = Map::new();
                props.insert("dist".into(), json!({ "const": name }));
                for key in *form {
                    let schema = if DURATION_PARAMS.contains(key) {
                        duration.clone()
                    } else if *key == "file" {
                        json!({ "type": "string" })
                    } else {
                        json!({ "type": "number" })
                    };
                    props.insert((*key).into(), schema);
                }
                let mut required = vec!["dist"];
                required.extend_from_slice(form);
                one_of.push(json!({
                    "type": "object",
                    "properties": props,
                    "required": required,
                    "additionalProperties": false,
                }));
            }
        }
        let mut schema = Map::new();
        schema.insert(
            "description".into(),
            "A distribution of durations, chosen by `dist`.".into(),
        );
        schema.insert("oneOf".into(), Value::Array(one_of));
        Schema::from(schema)
    }
}

/// A duration as written in a file: a string with a unit (`"20ms"`, `"7d"`) or a plain
/// number of seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Duration(pub SimTime);

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DurationVisitor)
    }
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration such as \"20ms\" or \"7d\", or a number of seconds")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        parse_duration(v).map(Duration).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
        seconds_to_time(v as f64, &v.to_string())
            .map(Duration)
            .map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
        seconds_to_time(v as f64, &v.to_string())
            .map(Duration)
            .map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
        seconds_to_time(v, &v.to_string())
            .map(Duration)
            .map_err(E::custom)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let value = json!({
            "description": "A duration: a number with a unit (ns, us, ms, s, m, h, d, w, y; y = 365 d), e.g. \"20ms\", or a plain number of seconds.",
            "anyOf": [
                { "type": "string", "pattern": r"^\s*[0-9][0-9.eE+-]*\s*(ns|us|ms|s|m|h|d|w|y)?\s*$" },
                { "type": "number", "minimum": 0 }
            ]
        });
        match value {
            Value::Object(map) => Schema::from(map),
            _ => Schema::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_strings_and_numbers() {
        let t: toml::Table = toml::from_str("a = \"20ms\"\nb = 2\nc = 0.5").unwrap();
        let get = |k: &str| Duration::deserialize(t[k].clone()).unwrap().0;
        assert_eq!(get("a"), SimTime(20_000_000));
        assert_eq!(get("b"), SimTime::from_secs(2));
        assert_eq!(get("c"), SimTime(500_000_000));
    }

    #[test]
    fn bad_duration_message_comes_from_duration_error() {
        let v = toml::Value::String("5 parsecs".into());
        let err = Duration::deserialize(v).unwrap_err().to_string();
        assert!(
            err.contains("invalid duration \"5 parsecs\"; expected a number with a unit"),
            "{err}"
        );
    }

    #[test]
    fn every_kind_has_a_parametrisation() {
        for kind in [
            DistKind::Exponential,
            DistKind::Constant,
            DistKind::Uniform,
            DistKind::Normal,
            DistKind::Lognormal,
            DistKind::Gamma,
            DistKind::Weibull,
            DistKind::Pareto,
            DistKind::Empirical,
        ] {
            assert_ne!(kind.name(), "?");
        }
    }
}
