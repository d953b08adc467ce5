//! Closed-form queueing and availability results that the validation suite compares
//! simulation against.
//!
//! - [`erlang`]: Erlang B (loss) and Erlang C (delay) probabilities.
//! - [`mmc`]: the M/M/c FIFO queue: wait probability, mean wait and response, Little's
//!   law, wait tail, response-time CDF and quantiles (M/M/1 as the case c = 1).
//! - [`mmcc`]: the M/M/c/c loss system: blocking probability and carried load.
//! - [`mg1`]: Pollaczek-Khinchine mean values for M/G/1 (M/D/1 as a special case).
//! - [`supermarket`]: the N → ∞ limit of join-the-shortest-of-d-random-queues.
//! - [`availability`]: steady-state availability, failure frequency and mean up/down
//!   times of one repairable unit, for any up- and down-time distributions.
//! - [`k_out_of_n`]: k-out-of-n groups of exponential nodes with r repair crews (quorums
//!   included), from the birth-death chain.
//! - [`active_standby`](mod@active_standby): a primary/hot-standby pair with a deterministic failover time.
//! - [`durability`]: mean time to data loss and P(loss by t) of a replica group (absorbing
//!   chain, parallel or serial re-replication), P(losing F of N nodes loses a chunk) under
//!   random and copyset placement, the mean RPO of periodic backups.
//!
//! Invariants: every function is pure f64 arithmetic with no I/O; each states its formula,
//! its assumptions and a source; a model with no steady state (utilization >= 1) or with a
//! meaningless parameter is refused with an [`AnalyticError`], never answered with a
//! number. Every availability result satisfies `A = MUT / (MUT + MDT)`, with `MUT` and
//! `MDT` the mean up and down periods (see [`availability`]).

pub mod active_standby;
pub mod availability;
#[cfg(test)]
mod ctmc_solve;
pub mod durability;
pub mod erlang;
pub mod k_out_of_n;
pub mod mg1;
pub mod mmc;
pub mod mmcc;
pub mod supermarket;

pub use active_standby::active_standby;
pub use availability::{Availability, lognormal_mean_s, single_unit, weibull_mean_s};
pub use durability::ReplicaGroup;
pub use erlang::{erlang_b, erlang_c};
pub use k_out_of_n::RepairableGroup;
pub use mg1::{md1_mean_wait_s, mg1_mean_in_queue, mg1_mean_response_s, mg1_mean_wait_s};
pub use mmc::MMc;
pub use mmcc::MMcc;
pub use supermarket::{supermarket_mean_queue_length, supermarket_mean_sojourn, supermarket_tail};

/// Why a closed form was refused; the message says what to change.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum AnalyticError {
    /// Offered work meets or exceeds capacity: the queue grows without bound.
    #[error(
        "utilization {utilization} >= 1: the queue has no steady state; \
         lower the arrival rate or add service capacity"
    )]
    Unstable {
        /// λ / (c μ), or λ E[S] for one server.
        utilization: f64,
    },
    /// A rate, time or count that must be positive (or non-negative) was not.
    #[error("{name} must be a finite number {bound}, found {value}")]
    InvalidParameter {
        /// The parameter's name as in the function signature.
        name: &'static str,
        /// What was required (`"> 0"`, `">= 0"`, `">= 1"`).
        bound: &'static str,
        /// What was given.
        value: f64,
    },
}

/// `Ok(v)` if `v` is finite and > 0.
pub(crate) fn positive(name: &'static str, value: f64) -> Result<f64, AnalyticError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(AnalyticError::InvalidParameter {
            name,
            bound: "> 0",
            value,
        })
    }
}

/// `Ok(v)` if `v` is finite and >= 0.
pub(crate) fn non_negative(name: &'static str, value: f64) -> Result<f64, AnalyticError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(AnalyticError::InvalidParameter {
            name,
            bound: ">= 0",
            value,
        })
    }
}

/// `Ok(ρ)` if `ρ < 1`, else [`AnalyticError::Unstable`].
pub(crate) fn stable(utilization: f64) -> Result<f64, AnalyticError> {
    if utilization < 1.0 {
        Ok(utilization)
    } else {
        Err(AnalyticError::Unstable { utilization })
    }
}

/// Test helper: `actual` within a relative tolerance `rel` of `expected` (each test states
/// why its tolerance is what it is).
#[cfg(test)]
pub(crate) fn close(actual: f64, expected: f64, rel: f64) {
    assert!(
        (actual - expected).abs() <= rel * expected.abs(),
        "{actual} vs expected {expected}"
    );
}
