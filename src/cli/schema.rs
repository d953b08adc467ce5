//! `nines schema`: the JSON Schema of the scenario format, for editor completion.

use std::process::ExitCode;

pub fn schema() -> anyhow::Result<ExitCode> {
    println!(
        "{}",
        serde_json::to_string_pretty(&crate::scenario::json_schema())?
    );
    Ok(ExitCode::SUCCESS)
}
