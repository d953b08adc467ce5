//! The JSON Schema of the scenario file format (`nines schema`), generated from the `raw`
//! structs so it cannot drift from what the loader accepts.
//!
//! The schema describes shapes and types; cross-key rules (names that resolve, no call
//! cycles, warmup < horizon) are checked by the loader only.

use super::raw::ScenarioFile;

/// The JSON Schema (draft 2020-12) of a scenario file, for editors and other tools.
pub fn json_schema() -> serde_json::Value {
    serde_json::Value::from(schemars::schema_for!(ScenarioFile))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_lists_the_top_level_tables() {
        let schema = json_schema();
        let text = serde_json::to_string_pretty(&schema).unwrap();
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        let props = back["properties"].as_object().unwrap();
        for key in ["name", "run", "workload", "services"] {
            assert!(props.contains_key(key), "{key} missing from {text}");
        }
        assert_eq!(back["additionalProperties"], serde_json::Value::Bool(false));
    }
}
