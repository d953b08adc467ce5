//! The run-time state of one service: its nodes' slots and queues, its balancer, its
//! random streams and its counters.

use std::collections::VecDeque;

use super::{ServiceModel, streams};
use crate::engine::{SimRng, stream_rng};
use crate::metrics::{LatencyHistogram, TimeWeighted};
use crate::policy::balancer::{self, Balancer, PoolView};
use crate::time::SimTime;

/// Counts over the visits of counted (post-warmup) requests.
#[derive(Clone, Debug, Default)]
pub struct VisitCounters {
    pub completed: u64,
    pub dropped: u64,
    pub timed_out: u64,
    pub errors: u64,
    /// Visits that reached a slot, and how many of them had queued first.
    pub started: u64,
    pub queued: u64,
    pub wait_ns: u128,
    pub latency_ns: u128,
    pub latency: LatencyHistogram,
}

/// A queued request: its id and the visit generation it was queued in.
pub type QueueEntry = (u32, u32);

/// One service's nodes, queues and streams during a trial.
pub struct Pool {
    pub outstanding: Vec<u32>,
    pub busy: Vec<u32>,
    pub in_rotation: Vec<bool>,
    /// Per-node FIFO queues (unused with a shared queue).
    pub queues: Vec<VecDeque<QueueEntry>>,
    /// Live (not timed-out) entries in each node queue.
    pub queued_live: Vec<u32>,
    /// The pool's one queue when the balancer shares it (`central`).
    pub shared: VecDeque<QueueEntry>,
    pub shared_live: u32,
    pub shared_queue: bool,
    pub balancer: Box<dyn Balancer>,
    pub service_rng: SimRng,
    pub routing_rng: SimRng,
    /// Busy slots, and slots in rotation, integrated over time.
    pub busy_slots: TimeWeighted,
    pub rotation_slots: TimeWeighted,
    pub counters: VisitCounters,
}

impl Pool {
    /// All nodes up and idle at time zero.
    pub fn new(s: usize, svc: &ServiceModel, seed: u64, trial: u64, warmup: SimTime) -> Pool {
        let n = svc.nodes;
        let balancer = balancer::build(&svc.balancer, n);
        Pool {
            outstanding: vec![0; n],
            busy: vec![0; n],
            in_rotation: vec![true; n],
            queues: vec![VecDeque::new(); n],
            queued_live: vec![0; n],
            shared: VecDeque::new(),
            shared_live: 0,
            shared_queue: balancer.shared_queue(),
            balancer,
            service_rng: stream_rng(seed, trial, streams::service_time(s)),
            routing_rng: stream_rng(seed, trial, streams::routing(s)),
            busy_slots: TimeWeighted::new(0, warmup),
            rotation_slots: TimeWeighted::new(n as u64 * svc.concurrency as u64, warmup),
            counters: VisitCounters::default(),
        }
    }

    /// Asks the balancer for a node.
    pub fn pick(&mut self, concurrency: u32) -> Option<usize> {
        let view = PoolView {
            outstanding: &self.outstanding,
            busy: &self.busy,
            in_rotation: &self.in_rotation,
            concurrency,
        };
        self.balancer.pick(&view, &mut self.routing_rng)
    }

    /// Whether any node receives requests.
    pub fn any_in_rotation(&self) -> bool {
        self.in_rotation.iter().any(|&r| r)
    }
}
