//! The discrete-event core: a clock-ordered event queue and per-trial random streams.
//!
//! Architecture invariant: the engine knows nothing about clouds. It orders opaque events
//! by (time, insertion sequence) and hands out seeded generators; what an event means is
//! the model's business.

pub mod queue;
pub mod rng;
mod wheel;

pub use queue::EventQueue;
pub use rng::{SimRng, stream_rng};
