//! The integration tests: one binary, one module per area.

mod availability;
mod cli;
mod data;
mod elastic;
mod fidelity;
mod plan;
mod scenario_availability;
mod scenario_elastic;
mod scenario_errors;
mod shards;
mod simulation;
mod sweep;
mod validation;
