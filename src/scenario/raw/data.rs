//! The raw keys of data protection: a storage service's `data` (size, chunks, replicas,
//! placement, re-replication) and `backup` tables, and the byte sizes and byte rates they
//! are written in.
//!
//! Units are decimal, as disk vendors and cloud price lists use them: `B`, `KB` = 10³ B,
//! `MB` = 10⁶, `GB` = 10⁹, `TB` = 10¹², `PB` = 10¹⁵; the binary `KiB` … `PiB` (2¹⁰ …
//! 2⁵⁰) are accepted too. A rate is a size per second (`"100MB/s"`).

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::{Value, json};

use super::{DistRaw, Duration};

/// A storage service's `data`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataRaw {
    /// Logical data size, one copy (required), e.g. "40TB".
    #[schemars(required)]
    pub size: Option<Bytes>,
    /// Chunks (blocks) the data is cut into, >= 1 (default 1).
    #[schemars(range(min = 1))]
    pub chunks: Option<u32>,
    /// Copies of each chunk, each on a distinct node, 1..=nodes (default 3).
    #[schemars(range(min = 1))]
    pub replicas: Option<u32>,
    /// How a chunk's replicas are placed (default random).
    pub placement: Option<PlacementKind>,
    /// copyset placement only: how many other nodes share chunks with a node, a multiple
    /// of replicas - 1 (default replicas - 1: disjoint copysets).
    #[schemars(range(min = 1))]
    pub scatter_width: Option<u32>,
    /// How lost replicas are re-created (required when replicas > 1).
    pub rereplication: Option<RereplicationRaw>,
}

/// `placement` of a storage service's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlacementKind {
    /// Each chunk on `replicas` distinct nodes chosen uniformly at random.
    Random,
    /// HDFS's default: one node at random, the next two on two nodes of one other rack.
    RackAware,
    /// Copysets (Cidon et al., USENIX ATC 2013): each chunk on one of a few fixed node
    /// groups.
    Copyset,
}

/// `rereplication`: either a bandwidth (`rate`) or a duration distribution (`time`).
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RereplicationRaw {
    /// Re-replication bandwidth each surviving node gives, e.g. "100MB/s".
    pub rate: Option<ByteRate>,
    /// Or: the time to re-create one lost node's replicas, a distribution.
    pub time: Option<DistRaw>,
    /// Lost nodes re-replicated at once; later ones wait, first come first served
    /// (default unlimited).
    #[schemars(range(min = 1))]
    pub max_streams: Option<u32>,
}

/// A storage service's `backup`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupRaw {
    /// Interval of full backups (required), e.g. "24h".
    #[schemars(required)]
    pub full_every: Option<Duration>,
    /// Interval of incremental backups (default none).
    pub incremental_every: Option<Duration>,
    /// Interval at which the write-ahead log is shipped (default none).
    pub log_shipping: Option<Duration>,
    /// Restore throughput (required), e.g. "500MB/s".
    #[schemars(required)]
    pub restore_rate: Option<ByteRate>,
    /// Fixed part of a restore: provisioning, catalogue, replay (default 0).
    pub restore_fixed: Option<Duration>,
    /// physical (file copies) or logical (a dump: restores 3x slower) (default physical).
    pub kind: Option<BackupKind>,
}

/// `kind` of a backup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BackupKind {
    /// Copies of the data files (pgBackRest, EBS snapshots): restored at `restore_rate`.
    Physical,
    /// A dump of rows (pg_dump): restored 3x slower (rows re-inserted, indexes rebuilt).
    Logical,
}

/// A number of bytes, written `"40TB"`, `"512GiB"` or a plain number of bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bytes(pub f64);

/// Bytes per second, written `"100MB/s"`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ByteRate(pub f64);

/// Unit suffixes and their multipliers; longest first so "KiB" is not read as "B".
const UNITS: &[(&str, f64)] = &[
    ("KiB", 1024.0),
    ("MiB", 1048576.0),
    ("GiB", 1073741824.0),
    ("TiB", 1099511627776.0),
    ("PiB", 1125899906842624.0),
    ("KB", 1e3),
    ("MB", 1e6),
    ("GB", 1e9),
    ("TB", 1e12),
    ("PB", 1e15),
    ("B", 1.0),
];

/// Parses `"40TB"` (decimal), `"512GiB"` (binary) or `"1000"` (bytes) into bytes, > 0.
pub fn parse_bytes(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (number, scale) = UNITS
        .iter()
        .find_map(|(u, m)| t.strip_suffix(u).map(|n| (n.trim(), *m)))
        .unwrap_or((t, 1.0));
    match number.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v * scale),
        _ => Err(format!(
            "invalid size \"{text}\"; expected a number > 0 with a unit B, KB, MB, GB, TB, PB (decimal) or KiB, MiB, GiB, TiB, PiB (binary), e.g. \"40TB\""
        )),
    }
}

/// Parses `"100MB/s"` into bytes per second, > 0.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let err = || {
        format!(
            "invalid rate \"{text}\"; expected a size per second such as \"100MB/s\" (units B, KB, MB, GB, TB, PB decimal; KiB … PiB binary)"
        )
    };
    let size = text.trim().strip_suffix("/s").ok_or_else(err)?;
    parse_bytes(size).map_err(|_| err())
}

struct BytesVisitor;

impl Visitor<'_> for BytesVisitor {
    type Value = Bytes;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a size such as \"40TB\", or a number of bytes")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Bytes, E> {
        parse_bytes(v).map(Bytes).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Bytes, E> {
        parse_bytes(&v.to_string()).map(Bytes).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Bytes, E> {
        parse_bytes(&v.to_string()).map(Bytes).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Bytes, E> {
        parse_bytes(&v.to_string()).map(Bytes).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(BytesVisitor)
    }
}

struct RateVisitor;

impl Visitor<'_> for RateVisitor {
    type Value = ByteRate;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a rate such as \"100MB/s\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteRate, E> {
        parse_rate(v).map(ByteRate).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for ByteRate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(RateVisitor)
    }
}

fn string_schema(description: &str, pattern: &str) -> Schema {
    match json!({ "type": "string", "description": description, "pattern": pattern }) {
        Value::Object(map) => Schema::from(map),
        _ => Schema::default(),
    }
}

impl JsonSchema for Bytes {
    fn schema_name() -> Cow<'static, str> {
        "Bytes".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let value = json!({
            "description": "A size: a number with a unit (B, KB, MB, GB, TB, PB decimal; KiB, MiB, GiB, TiB, PiB binary), e.g. \"40TB\", or a number of bytes.",
            "anyOf": [
                { "type": "string", "pattern": r"^\s*[0-9][0-9.eE+-]*\s*([KMGTP]i?B|B)?\s*$" },
                { "type": "number", "exclusiveMinimum": 0 }
            ]
        });
        match value {
            Value::Object(map) => Schema::from(map),
            _ => Schema::default(),
        }
    }
}

impl JsonSchema for ByteRate {
    fn schema_name() -> Cow<'static, str> {
        "ByteRate".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        string_schema(
            "A rate: a size per second, e.g. \"100MB/s\" (decimal units; KiB … PiB binary).",
            r"^\s*[0-9][0-9.eE+-]*\s*([KMGTP]i?B|B)\s*/s\s*$",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_decimal_unless_binary() {
        assert_eq!(parse_bytes("40TB").unwrap(), 40e12);
        assert_eq!(parse_bytes("1.5 GB").unwrap(), 1.5e9);
        assert_eq!(parse_bytes("2KiB").unwrap(), 2048.0);
        assert_eq!(parse_bytes("100").unwrap(), 100.0);
        assert!(parse_bytes("0TB").is_err());
        assert!(parse_bytes("40 parsecs").is_err());
        assert_eq!(parse_rate("100MB/s").unwrap(), 1e8);
        assert!(parse_rate("100MB").unwrap_err().contains("size per second"));
    }
}
