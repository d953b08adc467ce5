//! The raw keys of elastic scenarios: `[workload] pattern` (one table or a list of them) and
//! a service's `autoscaling`, with its `steps` and `actions`.
//!
//! Invariant: like the rest of `raw`, every field is an `Option` and every table is flat
//! (one struct for every `kind` or `policy`), so each key keeps its own place in the file;
//! which keys go with which `kind` or `policy` is checked in validation and stated in the
//! hand-written schemas.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde::de::{self, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Value, json};

use super::{DistRaw, Duration, closed_one_of};
use crate::time::{SimTime, parse_duration};

/// `pattern`: one pattern table, or a list of them whose product is the multiplier.
#[derive(Clone, Debug, PartialEq)]
pub enum PatternsRaw {
    /// `pattern = { kind = ... }`.
    One(PatternRaw),
    /// `pattern = [ { kind = ... }, ... ]`.
    Many(Vec<PatternRaw>),
}

impl<'de> Deserialize<'de> for PatternsRaw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PatternsRaw;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table with a kind key, or an array of such tables")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PatternsRaw, A::Error> {
                PatternRaw::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(PatternsRaw::One)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PatternsRaw, A::Error> {
                let mut all = Vec::new();
                while let Some(p) = seq.next_element::<PatternRaw>()? {
                    all.push(p);
                }
                Ok(PatternsRaw::Many(all))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl JsonSchema for PatternsRaw {
    fn schema_name() -> Cow<'static, str> {
        "Patterns".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let one = Value::from(generator.subschema_for::<PatternRaw>());
        let value = json!({
            "description": "How the rate varies over time: one pattern, or a list of patterns whose product multiplies `rate` (default constant).",
            "anyOf": [one.clone(), { "type": "array", "items": one }],
        });
        match value {
            Value::Object(map) => Schema::from(map),
            _ => Schema::default(),
        }
    }
}

/// `kind` of a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PatternKind {
    /// 1 at all times.
    Constant,
    /// A cosine between `trough` and `peak`.
    Diurnal,
    /// Piecewise constant factors from times `at`.
    Steps,
    /// `factor` for `duration` from `at`.
    Spike,
    /// Piecewise linear through the rows of a CSV file.
    Trace,
}

impl PatternKind {
    /// The name used in files.
    pub fn name(self) -> &'static str {
        match self {
            PatternKind::Constant => "constant",
            PatternKind::Diurnal => "diurnal",
            PatternKind::Steps => "steps",
            PatternKind::Spike => "spike",
            PatternKind::Trace => "trace",
        }
    }

    /// The keys (besides `kind`) this kind takes, and which of them are required.
    pub fn keys(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            PatternKind::Constant => (&[], &[]),
            PatternKind::Diurnal => (
                &["period", "peak", "trough", "peak_at"],
                &["peak", "trough"],
            ),
            PatternKind::Steps => (&["at", "factor"], &["at", "factor"]),
            PatternKind::Spike => (&["at", "duration", "factor"], &["at", "duration", "factor"]),
            PatternKind::Trace => (&["file"], &["file"]),
        }
    }
}

/// One pattern table, e.g. `{ kind = "spike", at = "2h", duration = "10m", factor = 5.0 }`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternRaw {
    /// Which pattern (required).
    pub kind: Option<PatternKind>,
    /// diurnal: length of one cycle (default 24h).
    pub period: Option<Duration>,
    /// diurnal: the largest multiplier.
    pub peak: Option<f64>,
    /// diurnal: the smallest multiplier.
    pub trough: Option<f64>,
    /// diurnal: when the peak is (default 0).
    pub peak_at: Option<Duration>,
    /// spike: when it starts (one duration); steps: when each factor starts (a list).
    pub at: Option<OneOrMany<Duration>>,
    /// spike: how long it lasts.
    pub duration: Option<Duration>,
    /// spike: the multiplier (one number); steps: one multiplier per `at` (a list).
    pub factor: Option<OneOrMany<f64>>,
    /// trace: CSV file of `time_s,multiplier` rows, relative to the scenario file.
    pub file: Option<String>,
}

impl PatternRaw {
    /// The keys present in this table, other than `kind`.
    pub fn present(&self) -> Vec<&'static str> {
        [
            ("period", self.period.is_some()),
            ("peak", self.peak.is_some()),
            ("trough", self.trough.is_some()),
            ("peak_at", self.peak_at.is_some()),
            ("at", self.at.is_some()),
            ("duration", self.duration.is_some()),
            ("factor", self.factor.is_some()),
            ("file", self.file.is_some()),
        ]
        .iter()
        .filter(|(_, p)| *p)
        .map(|(k, _)| *k)
        .collect()
    }
}

impl JsonSchema for PatternRaw {
    fn schema_name() -> Cow<'static, str> {
        "Pattern".into()
    }

    /// One closed alternative per kind, with only that kind's keys.
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let duration = Value::from(generator.subschema_for::<Duration>());
        let number =
            |min: f64, what: &str| json!({ "type": "number", "minimum": min, "description": what });
        closed_one_of(
            "A multiplier of `rate` over time, chosen by `kind`.",
            vec![
                (json!({ "kind": { "const": "constant" } }), vec!["kind"]),
                (
                    json!({
                        "kind": { "const": "diurnal" },
                        "period": duration,
                        "peak": number(0.0, "The largest multiplier, >= trough."),
                        "trough": number(0.0, "The smallest multiplier, >= 0."),
                        "peak_at": duration,
                    }),
                    vec!["kind", "peak", "trough"],
                ),
                (
                    json!({
                        "kind": { "const": "steps" },
                        "at": { "type": "array", "items": duration, "minItems": 1, "description": "Start of each step, strictly increasing." },
                        "factor": { "type": "array", "items": { "type": "number", "minimum": 0 }, "minItems": 1, "description": "One multiplier per entry of `at`." },
                    }),
                    vec!["kind", "at", "factor"],
                ),
                (
                    json!({
                        "kind": { "const": "spike" },
                        "at": duration,
                        "duration": duration,
                        "factor": number(0.0, "The multiplier during the spike."),
                    }),
                    vec!["kind", "at", "duration", "factor"],
                ),
                (
                    json!({
                        "kind": { "const": "trace" },
                        "file": { "type": "string", "description": "CSV of time_s,multiplier rows, relative to the scenario file." },
                    }),
                    vec!["kind", "file"],
                ),
            ],
        )
    }
}

/// What a scalar of type `T` is called in messages.
pub trait Described {
    /// E.g. "a number".
    const WHAT: &'static str;
}

impl Described for f64 {
    const WHAT: &'static str = "a number";
}

impl Described for Duration {
    const WHAT: &'static str = "a duration";
}

/// A key that is one value for some kinds and a list for others (`at`, `factor`).
#[derive(Clone, Debug, PartialEq)]
pub enum OneOrMany<T> {
    /// A single value (`at = "2h"`).
    One(T),
    /// An array (`at = ["0s", "1h"]`).
    Many(Vec<T>),
}

impl<'de, T: Deserialize<'de> + Described> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OneOrManyVisitor(PhantomData))
    }
}

struct OneOrManyVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de> + Described> Visitor<'de> for OneOrManyVisitor<T> {
    type Value = OneOrMany<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} or an array of them", T::WHAT)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        T::deserialize(v.into_deserializer()).map(OneOrMany::One)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        T::deserialize(v.into_deserializer()).map(OneOrMany::One)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        T::deserialize(v.into_deserializer()).map(OneOrMany::One)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        T::deserialize(v.into_deserializer()).map(OneOrMany::One)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut all = Vec::new();
        while let Some(x) = seq.next_element::<T>()? {
            all.push(x);
        }
        Ok(OneOrMany::Many(all))
    }
}

/// `policy` of an autoscaling table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// Kubernetes HPA.
    TargetTracking,
    /// AWS step scaling.
    Step,
    /// Scheduled actions.
    Schedule,
}

impl PolicyKind {
    /// The name used in files.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::TargetTracking => "target_tracking",
            PolicyKind::Step => "step",
            PolicyKind::Schedule => "schedule",
        }
    }
}

/// Keys of `autoscaling` that belong to one policy only, with that policy.
pub const POLICY_KEYS: &[(&str, PolicyKind)] = &[
    ("target", PolicyKind::TargetTracking),
    ("tolerance", PolicyKind::TargetTracking),
    ("scale_up_nodes", PolicyKind::TargetTracking),
    ("scale_up_percent", PolicyKind::TargetTracking),
    ("scale_down_stabilization", PolicyKind::TargetTracking),
    ("cooldown", PolicyKind::Step),
    ("steps", PolicyKind::Step),
    ("actions", PolicyKind::Schedule),
];

/// A service's `autoscaling`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoscalingRaw {
    /// Which policy (required).
    pub policy: Option<PolicyKind>,
    /// Fewest nodes, >= 1 (required).
    pub min: Option<u32>,
    /// Most nodes, >= min (required).
    pub max: Option<u32>,
    /// Launch to first health check (default constant 0).
    pub boot_time: Option<DistRaw>,
    /// Drain time of a node removed by scale-in (default 300s).
    pub deregistration_delay: Option<Duration>,
    /// Delay before a failed node is replaced (default 0).
    pub replace_after: Option<Duration>,
    /// No replacement this long after launch (default 300s).
    pub health_check_grace: Option<Duration>,
    /// target_tracking (required there): the utilisation to keep, in (0, 1].
    pub target: Option<f64>,
    /// target_tracking (default 15s) and step (default 60s): time between evaluations.
    pub interval: Option<Duration>,
    /// target_tracking: no change within this of the target ratio, in [0, 1) (default 0.1).
    pub tolerance: Option<f64>,
    /// target_tracking: nodes a scale-up may add per interval (default 4).
    pub scale_up_nodes: Option<u32>,
    /// target_tracking: percent of current a scale-up may add per interval, > 0 (default 100).
    pub scale_up_percent: Option<f64>,
    /// target_tracking: scale-down window (default 300s).
    pub scale_down_stabilization: Option<Duration>,
    /// step: scale-in waits this long after a scaling activity (default 300s).
    pub cooldown: Option<Duration>,
    /// step (required there): the bands.
    pub steps: Option<Vec<StepRaw>>,
    /// schedule (required there): the actions.
    pub actions: Option<Vec<ActionRaw>>,
}

impl AutoscalingRaw {
    /// Whether the policy-specific `key` is present.
    pub fn has(&self, key: &str) -> bool {
        match key {
            "target" => self.target.is_some(),
            "interval" => self.interval.is_some(),
            "tolerance" => self.tolerance.is_some(),
            "scale_up_nodes" => self.scale_up_nodes.is_some(),
            "scale_up_percent" => self.scale_up_percent.is_some(),
            "scale_down_stabilization" => self.scale_down_stabilization.is_some(),
            "cooldown" => self.cooldown.is_some(),
            "steps" => self.steps.is_some(),
            "actions" => self.actions.is_some(),
            _ => false,
        }
    }
}

impl JsonSchema for AutoscalingRaw {
    fn schema_name() -> Cow<'static, str> {
        "Autoscaling".into()
    }

    /// One closed alternative per policy, each with the common keys and its own.
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let duration = Value::from(generator.subschema_for::<Duration>());
        let dist = Value::from(generator.subschema_for::<DistRaw>());
        let step = Value::from(generator.subschema_for::<StepRaw>());
        let action = Value::from(generator.subschema_for::<ActionRaw>());
        let common = |policy: &str| {
            json!({
                "policy": { "const": policy },
                "min": { "type": "integer", "minimum": 1, "description": "Fewest nodes." },
                "max": { "type": "integer", "minimum": 1, "description": "Most nodes, >= min." },
                "boot_time": dist,
                "deregistration_delay": duration,
                "replace_after": duration,
                "health_check_grace": duration,
            })
        };
        let mut tt = common("target_tracking");
        tt["target"] = json!({ "type": "number", "exclusiveMinimum": 0, "maximum": 1, "description": "Utilisation to keep." });
        tt["interval"] = duration.clone();
        tt["tolerance"] = json!({ "type": "number", "minimum": 0, "exclusiveMaximum": 1, "description": "No change while |utilization/target - 1| <= tolerance (default 0.1)." });
        tt["scale_up_nodes"] = json!({ "type": "integer", "minimum": 0, "description": "Nodes a scale-up may add per interval (default 4)." });
        tt["scale_up_percent"] = json!({ "type": "number", "exclusiveMinimum": 0, "description": "Percent of current a scale-up may add per interval (default 100)." });
        tt["scale_down_stabilization"] = duration.clone();
        let mut st = common("step");
        st["interval"] = duration.clone();
        st["cooldown"] = duration.clone();
        st["steps"] = json!({ "type": "array", "items": step, "minItems": 1 });
        let mut sc = common("schedule");
        sc["actions"] = json!({ "type": "array", "items": action, "minItems": 1 });
        closed_one_of(
            "How the service's node count follows its load, chosen by `policy`.",
            vec![
                (tt, vec!["policy", "min", "max", "target"]),
                (st, vec!["policy", "min", "max", "steps"]),
                (sc, vec!["policy", "min", "max", "actions"]),
            ],
        )
    }
}

/// One band of a step policy: applies when lower <= utilisation < upper.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRaw {
    /// Inclusive lower bound of utilisation (default: none).
    pub lower: Option<f64>,
    /// Exclusive upper bound of utilisation (default: none); at least one bound is required.
    pub upper: Option<f64>,
    /// Nodes to add (negative: remove), not 0 (required).
    #[schemars(required)]
    pub change: Option<i32>,
}

/// One scheduled action.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRaw {
    /// When: a duration from the start, or with `daily` a time of day (required).
    #[schemars(required)]
    pub at: Option<ActionAt>,
    /// Repeat every 24 h (default false).
    pub daily: Option<bool>,
    /// New lower bound of the node count.
    #[schemars(range(min = 1))]
    pub min: Option<u32>,
    /// New upper bound of the node count.
    #[schemars(range(min = 1))]
    pub max: Option<u32>,
    /// New desired node count.
    pub desired: Option<u32>,
}

/// `at` of a scheduled action as written: a time of day or a duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionAt {
    /// "HH:MM" or "HH:MM:SS" (or a TOML local time): time since midnight, < 24 h.
    Clock(SimTime),
    /// A duration string or a number of seconds.
    Duration(SimTime),
}

/// Parses "HH:MM" or "HH:MM:SS" (optionally with fractional seconds) into time since
/// midnight.
pub fn parse_time_of_day(text: &str) -> Result<SimTime, String> {
    let bad = || {
        format!(
            "invalid time of day \"{text}\"; expected \"HH:MM\" or \"HH:MM:SS\" with HH < 24, MM and SS < 60"
        )
    };
    let parts: Vec<&str> = text.trim().split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return Err(bad());
    }
    let whole = |s: &str, limit: u64| {
        (!s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
            .filter(|v| *v < limit)
    };
    let h = whole(parts[0], 24).ok_or_else(bad)?;
    let m = whole(parts[1], 60).ok_or_else(bad)?;
    let s_ns = match parts.get(2) {
        None => 0,
        Some(s) => {
            let secs: f64 = s.parse().map_err(|_| bad())?;
            if !(secs.is_finite() && (0.0..60.0).contains(&secs)) || s.starts_with(['+', '-']) {
                return Err(bad());
            }
            (secs * 1e9).round() as u64
        }
    };
    Ok(SimTime((h * 3600 + m * 60) * 1_000_000_000 + s_ns))
}

impl<'de> Deserialize<'de> for ActionAt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ActionAt;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a time of day \"HH:MM\" or \"HH:MM:SS\", or a duration such as \"36h\"",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ActionAt, E> {
                if v.contains(':') {
                    parse_time_of_day(v).map(ActionAt::Clock).map_err(E::custom)
                } else {
                    parse_duration(v).map(ActionAt::Duration).map_err(E::custom)
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ActionAt, E> {
                Duration::deserialize(v.into_deserializer()).map(|d| ActionAt::Duration(d.0))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ActionAt, E> {
                Duration::deserialize(v.into_deserializer()).map(|d| ActionAt::Duration(d.0))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ActionAt, E> {
                Duration::deserialize(v.into_deserializer()).map(|d| ActionAt::Duration(d.0))
            }
            /// A TOML local time (`at = 08:00:00`) arrives as a one-entry map.
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ActionAt, A::Error> {
                let Some((_, text)) = map.next_entry::<String, String>()? else {
                    return Err(de::Error::custom("expected a time of day"));
                };
                if text.contains(['-', 'T', ' ']) {
                    return Err(de::Error::custom(format!(
                        "{text} is a date; expected a time of day \"HH:MM\" or a duration"
                    )));
                }
                parse_time_of_day(&text)
                    .map(ActionAt::Clock)
                    .map_err(de::Error::custom)
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl JsonSchema for ActionAt {
    fn schema_name() -> Cow<'static, str> {
        "ActionTime".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let duration = Value::from(generator.subschema_for::<Duration>());
        let value = json!({
            "description": "A time of day \"HH:MM\" or \"HH:MM:SS\" (daily actions), or a duration from the start.",
            "anyOf": [
                { "type": "string", "pattern": r"^\s*[0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2}(\.[0-9]+)?)?\s*$" },
                duration,
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
    fn times_of_day() {
        assert_eq!(parse_time_of_day("08:00"), Ok(SimTime::from_secs(8 * 3600)));
        assert_eq!(
            parse_time_of_day("23:59:30"),
            Ok(SimTime::from_secs(23 * 3600 + 59 * 60 + 30))
        );
        assert_eq!(parse_time_of_day("0:05:00.5"), Ok(SimTime(300_500_000_000)));
        for bad in [
            "24:00",
            "8",
            "08:60",
            "08:00:60",
            "a:b",
            "08:00:00:00",
            "-1:00",
            "08:-1",
        ] {
            assert!(parse_time_of_day(bad).is_err(), "{bad}");
        }
    }
}
