//! Requests in flight, in a slab (a vector with a free list): no allocation per request
//! once the slab has grown to the peak number in the system.

use crate::time::SimTime;

/// Where a request is in its current visit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Slot unused.
    Free,
    /// Waiting in a queue (a node's, or the pool's shared queue).
    Queued,
    /// Holding a slot.
    InService,
    /// Sent to a failed node still in rotation, waiting for its timeout.
    Stuck,
}

/// One request.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    /// When it entered the system.
    pub arrived: SimTime,
    /// When its current visit began (arrival at the current service).
    pub visit_start: SimTime,
    /// Total time spent queued so far, over all visits.
    pub wait_ns: u64,
    /// Visit generation: bumped at every visit, so events of earlier visits are stale.
    /// (A u32 wraps after 4·10⁹ visits of one slot, far longer than any pending event lives.)
    pub visit: u32,
    /// Index into the model's route.
    pub step: u16,
    /// The node assigned in the current visit (`u32::MAX` while in a shared queue).
    pub node: u32,
    pub phase: Phase,
    /// Arrived after the warmup, so it counts in the statistics.
    pub counted: bool,
    /// Queued at some visit.
    pub queued_any: bool,
    /// Zone of the node that served the previous visit (`u32::MAX`: the client).
    pub zone: u32,
}

impl Request {
    /// Whether this request's current visit is `visit`, in `phase` (a freed request is in
    /// none: its phase is `Free`).
    pub fn is_current(&self, visit: u32, phase: Phase) -> bool {
        self.visit == visit && self.phase == phase
    }
}

/// The requests in the system.
#[derive(Default)]
pub struct Slab {
    items: Vec<Request>,
    free: Vec<u32>,
}

impl Slab {
    /// A new request arriving at `now`.
    pub fn insert(&mut self, now: SimTime, counted: bool) -> u32 {
        let fresh = |visit| Request {
            arrived: now,
            visit_start: now,
            wait_ns: 0,
            visit,
            step: 0,
            node: u32::MAX,
            phase: Phase::Queued,
            counted,
            queued_any: false,
            zone: u32::MAX,
        };
        match self.free.pop() {
            Some(id) => {
                let visit = self.items[id as usize].visit;
                self.items[id as usize] = fresh(visit);
                id
            }
            None => {
                self.items.push(fresh(0));
                (self.items.len() - 1) as u32
            }
        }
    }

    /// Releases a request's slot (its generation is kept, so stale events stay stale).
    pub fn remove(&mut self, id: u32) {
        debug_assert_ne!(self.items[id as usize].phase, Phase::Free, "double free");
        self.items[id as usize].phase = Phase::Free;
        self.free.push(id);
    }

    /// Whether `(id, visit)` names the live visit of a request in the given phase.
    pub fn is_current(&self, id: u32, visit: u32, phase: Phase) -> bool {
        self.items[id as usize].is_current(visit, phase)
    }

    /// Requests still in the system.
    pub fn live(&self) -> impl Iterator<Item = &Request> {
        self.items.iter().filter(|r| r.phase != Phase::Free)
    }
}

impl std::ops::Index<u32> for Slab {
    type Output = Request;
    fn index(&self, id: u32) -> &Request {
        &self.items[id as usize]
    }
}

impl std::ops::IndexMut<u32> for Slab {
    fn index_mut(&mut self, id: u32) -> &mut Request {
        &mut self.items[id as usize]
    }
}
