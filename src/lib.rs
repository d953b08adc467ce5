//! nines: a discrete-event simulator for capacity and availability planning of cloud
//! infrastructure. See `docs/ARCHITECTURE.md` for the map of the code.

pub mod analytic;
pub mod cli;
pub mod dist;
pub mod engine;
pub mod metrics;
pub mod model;
pub mod montecarlo;
pub mod plan;
pub mod policy;
pub mod report;
pub mod scalability;
pub mod scenario;
pub mod stats;
pub mod sweep;
pub mod time;
pub mod validation;
