//! Sweeps: the same scenario run at every point of a grid of key values, every point with
//! the same seed (common random numbers: each point sees the same arrivals, service-time
//! draws and failures, so differences between points are mostly the design's, not noise).
//!
//! An axis is `KEY=VALUES`, where VALUES is `a..b` (integers, inclusive), `a..b..step`, or
//! a comma list of TOML values (`round_robin,power_of_two`, `100,200,400`,
//! `["a"],["a","b"]`: commas inside brackets, braces or quotes do not split). A `[sweep]`
//! table in the scenario gives axes too: each key a KEY path, each value a list or an
//! `"a..b"` string. The grid is the product of the axes, the last axis varying fastest.

use std::collections::BTreeMap;

use toml::Value;

/// One swept key and its values, each as the TOML text `--set` takes.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub key: String,
    pub values: Vec<String>,
}

/// Why a sweep specification was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SweepError {
    #[error("--set {0}: expected KEY=VALUES, e.g. services.web.nodes=2..8")]
    NoEquals(String),
    #[error("{key}: {message}")]
    Values { key: String, message: String },
    #[error("{0}: swept twice")]
    Duplicate(String),
}

/// Parses `KEY=VALUES`.
pub fn parse_axis(spec: &str) -> Result<Axis, SweepError> {
    let (key, values) = spec
        .split_once('=')
        .ok_or_else(|| SweepError::NoEquals(spec.to_string()))?;
    let key = key.trim().to_string();
    let values = parse_values(values.trim()).map_err(|message| SweepError::Values {
        key: key.clone(),
        message,
    })?;
    Ok(Axis { key, values })
}

/// The values of `a..b`, `a..b..step` or a comma list.
pub fn parse_values(text: &str) -> Result<Vec<String>, String> {
    if let Some(range) = parse_range(text)? {
        return Ok(range);
    }
    let items = split_top_level(text)?;
    if items.iter().any(|i| i.is_empty()) {
        return Err(format!("empty value in \"{text}\""));
    }
    Ok(items)
}

/// Most values one range may expand to (a grid is every combination of its axes).
const MAX_RANGE_VALUES: i64 = 10_000;

/// `a..b` or `a..b..step` of integers (inclusive); `None` when `text` is not a range.
fn parse_range(text: &str) -> Result<Option<Vec<String>>, String> {
    let parts: Vec<&str> = text.split("..").collect();
    if parts.len() < 2 || text.starts_with(['[', '{', '"', '\'']) {
        return Ok(None);
    }
    if parts.len() > 3 {
        return Err(format!("\"{text}\": a range is a..b or a..b..step"));
    }
    let int = |s: &str| {
        s.trim()
            .parse::<i64>()
            .map_err(|_| format!("\"{text}\": range bounds and step must be integers"))
    };
    let (a, b) = (int(parts[0])?, int(parts[1])?);
    let step = if parts.len() == 3 { int(parts[2])? } else { 1 };
    if step <= 0 {
        return Err(format!("\"{text}\": the step must be positive"));
    }
    if b < a {
        return Err(format!("\"{text}\": the range is empty (b < a)"));
    }
    let count = (b - a) / step + 1;
    if count > MAX_RANGE_VALUES {
        return Err(format!(
            "\"{text}\": {count} values; a range may have at most {MAX_RANGE_VALUES}"
        ));
    }
    Ok(Some(
        (a..=b)
            .step_by(step as usize)
            .map(|v| v.to_string())
            .collect(),
    ))
}

/// Splits on commas outside brackets, braces and quotes.
fn split_top_level(text: &str) -> Result<Vec<String>, String> {
    let mut items = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut current = String::new();
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                items.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        if depth < 0 {
            return Err(format!("\"{text}\": unbalanced brackets"));
        }
        current.push(c);
    }
    if depth != 0 || quote.is_some() {
        return Err(format!("\"{text}\": unbalanced brackets or quotes"));
    }
    items.push(current.trim().to_string());
    Ok(items)
}

/// The axes of a `[sweep]` table: each value a list of TOML values or an `"a..b"` string.
pub fn axes_from_table(table: &toml::Table) -> Result<Vec<Axis>, SweepError> {
    let mut entries = Vec::new();
    flatten(table, "", &mut entries);
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries
        .into_iter()
        .map(|(key, value)| {
            let values = match value {
                Value::Array(items) if !items.is_empty() => {
                    Ok(items.iter().map(toml_text).collect())
                }
                Value::String(s) => parse_values(s),
                _ => Err("expected a non-empty list of values or a range string \"a..b\"".into()),
            }
            .map_err(|message| SweepError::Values {
                key: format!("sweep.{key}"),
                message,
            })?;
            Ok(Axis { key, values })
        })
        .collect()
}

/// The table's values by dotted key path: `services.web.nodes = "2..8"` unquoted is a
/// nested table in TOML, and means the same axis as the quoted `"services.web.nodes"`.
fn flatten<'a>(table: &'a toml::Table, prefix: &str, out: &mut Vec<(String, &'a Value)>) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Table(inner) => flatten(inner, &path, out),
            other => out.push((path, other)),
        }
    }
}

/// A TOML value as text `--set` reads back to the same value.
fn toml_text(v: &Value) -> String {
    match v {
        // A bare word is read as a string by `--set`; quoting keeps it one.
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

/// Checks that no key is swept twice.
pub fn check_distinct(axes: &[Axis]) -> Result<(), SweepError> {
    let mut seen = BTreeMap::new();
    for a in axes {
        if seen.insert(a.key.as_str(), ()).is_some() {
            return Err(SweepError::Duplicate(a.key.clone()));
        }
    }
    Ok(())
}

/// Every point of the grid: one value index per axis, the last axis varying fastest.
pub fn grid(axes: &[Axis]) -> Vec<Vec<usize>> {
    let mut points = vec![Vec::new()];
    for axis in axes {
        points = points
            .into_iter()
            .flat_map(|p| {
                (0..axis.values.len()).map(move |i| {
                    let mut q = p.clone();
                    q.push(i);
                    q
                })
            })
            .collect();
    }
    points
}

/// The `KEY=VALUE` assignments of one point.
pub fn assignments(axes: &[Axis], point: &[usize]) -> Vec<String> {
    axes.iter()
        .zip(point)
        .map(|(a, &i)| format!("{}={}", a.key, a.values[i]))
        .collect()
}

/// A value's text as a label: strings without their quotes.
pub fn label(value: &str) -> String {
    value.trim_matches('"').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_keys_quoted_or_not_are_the_same_axes() {
        let axes = |text: &str| {
            let table: toml::Table = toml::from_str(text).unwrap();
            axes_from_table(&table).unwrap()
        };
        let bare = axes(
            "services.web.nodes = \"2..4\"\nservices.db.redundancy.mode = [\"active_active\", \"active_standby\"]",
        );
        let quoted = axes(
            "\"services.web.nodes\" = \"2..4\"\n\"services.db.redundancy.mode\" = [\"active_active\", \"active_standby\"]",
        );
        assert_eq!(bare, quoted);
        assert_eq!(bare[1].key, "services.web.nodes");
        assert_eq!(bare[1].values, ["2", "3", "4"]);
    }

    #[test]
    fn ranges_lists_and_bracketed_values() {
        assert_eq!(parse_values("2..5").unwrap(), ["2", "3", "4", "5"]);
        assert_eq!(
            parse_values("100..400..100").unwrap(),
            ["100", "200", "300", "400"]
        );
        assert_eq!(parse_values("1..6..2").unwrap(), ["1", "3", "5"]);
        assert_eq!(
            parse_values("round_robin,power_of_two").unwrap(),
            ["round_robin", "power_of_two"]
        );
        assert_eq!(parse_values("100, 200,400").unwrap(), ["100", "200", "400"]);
        assert_eq!(
            parse_values(r#"["a"],["a","b"]"#).unwrap(),
            [r#"["a"]"#, r#"["a","b"]"#]
        );
        assert_eq!(
            parse_values(r#"{ mode = "quorum", n = 3 },"x,y""#).unwrap(),
            [r#"{ mode = "quorum", n = 3 }"#, r#""x,y""#]
        );
        assert_eq!(parse_values("0.5").unwrap(), ["0.5"]);
    }

    #[test]
    fn bad_values_are_explained() {
        assert!(parse_values("5..2").unwrap_err().contains("empty"));
        assert!(parse_values("1..4..0").unwrap_err().contains("positive"));
        assert!(parse_values("1.5..3").unwrap_err().contains("integers"));
        assert!(parse_values("[1,2").unwrap_err().contains("unbalanced"));
        assert!(parse_values("a,,b").unwrap_err().contains("empty value"));
        assert_eq!(
            parse_axis("nodes").unwrap_err(),
            SweepError::NoEquals("nodes".into())
        );
    }

    #[test]
    fn the_grid_is_the_product_last_axis_fastest() {
        let axes = vec![
            parse_axis("services.web.nodes=2..3").unwrap(),
            parse_axis("services.web.balancer=random,central").unwrap(),
        ];
        let points = grid(&axes);
        assert_eq!(points, vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]]);
        assert_eq!(
            assignments(&axes, &points[1]),
            ["services.web.nodes=2", "services.web.balancer=central"]
        );
        assert!(check_distinct(&[axes[0].clone(), axes[0].clone()]).is_err());
    }

    #[test]
    fn sweep_tables_read_lists_and_ranges() {
        let t: toml::Table = r#"
            "services.web.nodes" = "2..4"
            "services.web.balancer" = ["round_robin", "random"]
            "services.web.zones" = [["a"], ["a", "b"]]
        "#
        .parse()
        .unwrap();
        let axes = axes_from_table(&t).unwrap();
        assert_eq!(axes[0].key, "services.web.balancer");
        assert_eq!(axes[0].values, [r#""round_robin""#, r#""random""#]);
        assert_eq!(axes[1].values, ["2", "3", "4"]);
        assert_eq!(axes[2].values, [r#"["a"]"#, r#"["a", "b"]"#]);
        let bad: toml::Table = "x = 3".parse().unwrap();
        assert!(
            axes_from_table(&bad)
                .unwrap_err()
                .to_string()
                .contains("sweep.x")
        );
    }
}
