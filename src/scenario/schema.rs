//! The JSON Schema of the scenario file format (`nines schema`), generated from the `raw`
//! structs so it cannot drift from what the loader accepts.
//!
//! The schema describes shapes and types; cross-key rules (names that resolve, no call
//! cycles, warmup < horizon) are checked by the loader only. TOML has no null, so the
//! `null` alternatives schemars gives optional keys are removed: optional means absent.

use serde_json::Value;

use super::raw::ScenarioFile;

/// The JSON Schema (draft 2020-12) of a scenario file, for editors and other tools.
pub fn json_schema() -> Value {
    let mut schema = Value::from(schemars::schema_for!(ScenarioFile));
    strip_null(&mut schema);
    schema
}

/// Removes `"null"` from `type` lists and `{"type": "null"}` from `anyOf` lists.
fn strip_null(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            let null = serde_json::json!({ "type": "null" });
            if let Some(Value::Array(alternatives)) = map.get_mut("anyOf") {
                alternatives.retain(|a| a != &null);
                if alternatives.len() == 1 {
                    let only = alternatives.remove(0);
                    map.remove("anyOf");
                    if let Value::Object(inner) = only {
                        for (k, v) in inner {
                            map.entry(k).or_insert(v);
                        }
                    }
                }
            }
            map.values_mut().for_each(strip_null);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_null),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_lists_the_top_level_tables() {
        let schema = json_schema();
        let text = serde_json::to_string_pretty(&schema).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        let props = back["properties"].as_object().unwrap();
        for key in ["name", "run", "workload", "services"] {
            assert!(props.contains_key(key), "{key} missing from {text}");
        }
        assert_eq!(back["additionalProperties"], Value::Bool(false));
        assert!(!text.contains("null"), "{text}");
        let required: Vec<&str> = back["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(required, ["name", "run", "workload", "services"]);
        assert_eq!(
            back["$defs"]["ServiceRaw"]["properties"]["balancer"]["$ref"],
            "#/$defs/BalancerKind"
        );
    }
}
