//! `--set KEY=VALUE`: changing a scenario from the command line before it is validated.
//!
//! KEY is a dotted path into the file; inside an array of named tables (`services`,
//! `zones`, `racks`, `regions`, `outages`) a segment may name an element by its `name`
//! (`services.web.nodes`) or by its index (`services.0.nodes`); a table given to an
//! element itself (`services.db={ nodes = 2, zones = ["a", "b"] }`) replaces the keys it
//! names and keeps the others. VALUE is read as a TOML
//! value (`4`, `0.5`, `"2h"`, `["a", "b"]`, `{ mode = "quorum" }`); a bare word that is not
//! valid TOML is taken as a string (`round_robin`). The changed document is then validated
//! like a file, so a bad value gets the usual diagnostic, with its key path.

use std::path::Path;

use toml::{Table, Value};

use super::diagnostic::{Diagnostic, Diagnostics};
use super::{Scenario, parse};

/// Reads the scenario at `path`, applies `overrides` (each `KEY=VALUE`) in order, and
/// validates the result.
pub fn load_with_overrides(path: &Path, overrides: &[String]) -> Result<Scenario, Diagnostics> {
    if overrides.is_empty() {
        return super::load(path);
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| file_error(path, "", format!("cannot read the scenario file: {e}")))?;
    let mut doc: Table = match text.parse() {
        Ok(doc) => doc,
        // Let the ordinary reader report the syntax error with its place.
        Err(_) => return parse(&text, path),
    };
    for o in overrides {
        apply(&mut doc, o)
            .map_err(|(key, msg)| file_error(path, &key, format!("--set {o}: {msg}")))?;
    }
    let changed = toml::to_string(&doc).expect("a TOML table serialises");
    // Places in diagnostics refer to the file as changed by the overrides.
    let label = format!("{} (with --set)", path.display());
    parse(&changed, &path.with_file_name(label)).map_err(|mut d| {
        for item in &mut d.items {
            item.file = path.to_path_buf();
            item.message = format!("{} (after --set)", item.message);
            item.line = 0;
        }
        d
    })
}

/// Splits `KEY=VALUE` and sets it in `doc`; errors carry the key and a message.
pub fn apply(doc: &mut Table, assignment: &str) -> Result<(), (String, String)> {
    let Some((key, value)) = assignment.split_once('=') else {
        return Err((
            String::new(),
            "expected KEY=VALUE, e.g. services.web.nodes=4".into(),
        ));
    };
    let key = key.trim();
    let value = parse_value(value.trim());
    let segments: Vec<&str> = key.split('.').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err((key.into(), "empty segment in the key path".into()));
    }
    let (last, parents) = segments
        .split_last()
        .expect("split yields at least one segment");
    let mut table = doc;
    let mut walked = String::new();
    let mut rest = parents.iter().peekable();
    while let Some(seg) = rest.next() {
        walked = if walked.is_empty() {
            seg.to_string()
        } else {
            format!("{walked}.{seg}")
        };
        let entry = table
            .entry(seg.to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        table = match entry {
            Value::Table(t) => t,
            Value::Array(items) => {
                let Some(which) = rest.next() else {
                    // `services.db={ nodes = 2, ... }`: the keys given replace the element's.
                    if let Value::Table(keys) = &value
                        && let Some(el) = element(items, last)
                    {
                        el.extend(keys.clone());
                        return Ok(());
                    }
                    return Err((
                        key.into(),
                        format!(
                            "{walked} is a list; name an element, e.g. {walked}.<name>, and \
                             give it a key or a table of keys"
                        ),
                    ));
                };
                walked = format!("{walked}.{which}");
                let names: Vec<String> = items
                    .iter()
                    .filter_map(|v| v.get("name").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect();
                element(items, which).ok_or_else(|| {
                    (
                        key.to_string(),
                        format!(
                            "{walked}: no element named \"{which}\"; the names are: {}",
                            names.join(", ")
                        ),
                    )
                })?
            }
            _ => return Err((key.into(), format!("{walked} is not a table"))),
        };
    }
    table.insert(last.to_string(), value);
    Ok(())
}

/// The element of an array of tables with `name = which`, or at index `which`.
fn element<'a>(items: &'a mut [Value], which: &str) -> Option<&'a mut Table> {
    let by_name = items
        .iter()
        .position(|v| v.get("name").and_then(Value::as_str) == Some(which));
    let i = by_name.or_else(|| which.parse::<usize>().ok())?;
    items.get_mut(i)?.as_table_mut()
}

/// A TOML value, or the text as a string when it is not one.
fn parse_value(text: &str) -> Value {
    format!("v = {text}")
        .parse::<Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(text.to_string()))
}

fn file_error(path: &Path, key: &str, message: String) -> Diagnostics {
    Diagnostics {
        items: vec![Diagnostic {
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            key_path: key.to_string(),
            message,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Table {
        r#"
            name = "x"
            [workload]
            rate = 1.0
            [[services]]
            name = "web"
            nodes = 2
            [[services]]
            name = "db"
        "#
        .parse()
        .unwrap()
    }

    #[test]
    fn a_table_given_to_an_element_replaces_the_keys_it_names() {
        let mut d = doc();
        apply(&mut d, r#"services.web={ nodes = 3, zones = ["a"] }"#).unwrap();
        let web = &d["services"].as_array().unwrap()[0];
        assert_eq!(web["name"].as_str(), Some("web"));
        assert_eq!(web["nodes"].as_integer(), Some(3));
        assert_eq!(web["zones"].as_array().unwrap().len(), 1);
        let err = apply(&mut d, "services.web=4").unwrap_err();
        assert!(err.1.contains("is a list; name an element"), "{}", err.1);
    }

    #[test]
    fn sets_values_by_name_index_and_plain_path() {
        let mut d = doc();
        apply(&mut d, "services.web.nodes=6").unwrap();
        apply(&mut d, "services.1.balancer=round_robin").unwrap();
        apply(&mut d, "workload.rate=2.5").unwrap();
        apply(&mut d, r#"services.web.zones=["a", "b"]"#).unwrap();
        apply(&mut d, "run.horizon=\"2h\"").unwrap();
        let web = &d["services"].as_array().unwrap()[0];
        assert_eq!(web["nodes"].as_integer(), Some(6));
        assert_eq!(web["zones"].as_array().unwrap().len(), 2);
        assert_eq!(
            d["services"].as_array().unwrap()[1]["balancer"].as_str(),
            Some("round_robin")
        );
        assert_eq!(d["workload"]["rate"].as_float(), Some(2.5));
        assert_eq!(d["run"]["horizon"].as_str(), Some("2h"));
    }

    #[test]
    fn explains_bad_paths() {
        let mut d = doc();
        assert!(
            apply(&mut d, "services.api.nodes=3")
                .unwrap_err()
                .1
                .contains("no element named \"api\"; the names are: web, db")
        );
        assert!(
            apply(&mut d, "services=3x").is_ok(),
            "a whole key may be replaced; validation judges it"
        );
        assert!(apply(&mut d, "nodes").unwrap_err().1.contains("KEY=VALUE"));
        assert!(
            apply(&mut d, "name.x=1")
                .unwrap_err()
                .1
                .contains("not a table")
        );
    }
}
