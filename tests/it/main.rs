//! The integration tests: one binary, one module per area.

mod availability;
mod cli;
mod plan;
mod scenario_availability;
mod scenario_errors;
mod simulation;
mod sweep;
mod validation;
