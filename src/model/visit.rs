//! The life of a request: arrival, visits (queue, slot, service), timeouts, success or
//! failure.
//!
//! Semantics (docs/SCENARIOS.md has the user-facing version):
//! - A request visits the services of the route in order; a visit is queue + local
//!   processing; the slot is released when local processing ends, before the next visit.
//! - A full queue drops the request; a pool with no node in rotation fails it (error), and
//!   so does a failed node still in rotation (or the request hangs until its timeout).
//! - A timeout counts from the start of a visit. A timed-out request still queued is
//!   skipped when it reaches the head; one in service keeps its slot busy until its
//!   service time ends (the server does not know the client gave up).

use super::event::Event;
use super::pool::Life;
use super::request::{Phase, Request};
use super::trial::{Failure, Trial, clipped};
use crate::time::SimTime;

// The steps every request takes (scheduling the next arrival, beginning a visit, starting
// service, checking the queue at a departure, completing, leaving) are forced inline:
// left to itself the compiler calls them, and the calls with their register saves and
// restores cost about 100 instructions a request, 8% (callgrind, docs/PERFORMANCE.md).
impl Trial<'_> {
    #[inline(always)]
    pub(super) fn schedule_next_arrival(&mut self, now: SimTime) {
        if let Some(next) = self.arrivals.next_after(now, &mut self.arrival_rng) {
            self.queue.schedule_in_lane(next, Event::Arrival);
        }
    }

    #[inline(always)]
    pub(super) fn on_arrival(&mut self, now: SimTime) {
        self.schedule_next_arrival(now);
        let counted = now >= self.model.warmup;
        let r = self.requests.insert(now, counted);
        self.in_system.increment(now);
        if self.in_system.value() > self.next_backlog_check {
            self.check_backlog(now);
        }
        if counted {
            self.totals.arrived += 1;
        }
        self.begin_visit(now, r, 0);
    }

    /// The system holds more requests than the queue limit allows queued: counts the
    /// queued ones (O(nodes), so only as the system grows by a quarter), and stops the
    /// trial when they are past the limit.
    fn check_backlog(&mut self, now: SimTime) {
        let in_system = self.in_system.value();
        self.next_backlog_check = in_system + in_system / 4;
        let total: u64 = self.pools.iter().map(|p| p.queued()).sum();
        if total <= self.model.max_queued {
            return;
        }
        let (s, pool) = self
            .pools
            .iter()
            .enumerate()
            .max_by_key(|(_, p)| p.queued())
            .expect("a request arrived, so a service exists");
        self.backlog = Some(super::trial::Backlog {
            trial: self.trial,
            at_s: now.as_secs_f64(),
            queued: total,
            in_system,
            service: self.model.services[s].name.clone(),
            at_service: pool.queued(),
        });
    }

    /// Starts the visit of request `r` to the service at `step` of the route.
    #[inline(always)]
    fn begin_visit(&mut self, now: SimTime, r: u32, step: usize) {
        let s = self.model.route[step];
        let svc = &self.model.services[s];
        let req = &mut self.requests[r];
        req.step = step as u16;
        req.visit = req.visit.wrapping_add(1);
        req.visit_start = now;
        let visit = req.visit;
        let pool = &mut self.pools[s];
        if let Some(timeout) = svc.timeout {
            self.queue.schedule(
                now.saturating_add(timeout),
                Event::Timeout { req: r, visit },
            );
        }
        // A shared queue with requests in it has no free slot (they would hold it), and a
        // newcomer may not overtake them: no need to ask the balancer.
        let picked = if pool.shared_queue && pool.shared_live > 0 {
            None
        } else {
            pool.pick(svc.concurrency)
        };
        if let Some(node) = picked.filter(|&n| !pool.working(n)) {
            // A failed node the health check has not caught yet: the request fails, or
            // hangs until its timeout.
            let _ = node;
            if svc.timeout.is_some() {
                self.requests[r].phase = Phase::Stuck;
            } else {
                self.fail(now, r, s, Failure::Error);
            }
            return;
        }
        if pool.shared_queue {
            match picked {
                Some(node) => {
                    pool.assign_to_slot(node, now);
                    self.start(now, r, s, node);
                }
                None if !pool.any_in_rotation() => self.fail(now, r, s, Failure::Error),
                None if pool.shared_live >= svc.queue_limit => {
                    self.fail(now, r, s, Failure::Dropped)
                }
                None => {
                    pool.shared.push_back((r, visit));
                    pool.shared_live += 1;
                    self.requests[r].phase = Phase::Queued;
                    self.requests[r].node = u32::MAX;
                }
            }
        } else {
            match picked {
                None => self.fail(now, r, s, Failure::Error),
                Some(node) if pool.loads[node].busy < svc.concurrency => {
                    pool.assign_to_slot(node, now);
                    self.start(now, r, s, node);
                }
                Some(node) if pool.slots[node].queued_live >= svc.queue_limit => {
                    self.fail(now, r, s, Failure::Dropped)
                }
                Some(node) => {
                    pool.add_outstanding(node);
                    pool.queues[node].push_back((r, visit));
                    pool.slots[node].queued_live += 1;
                    self.requests[r].phase = Phase::Queued;
                    self.requests[r].node = node as u32;
                }
            }
        }
    }

    /// Request `r`, which took a slot on `node` of service `s` ([`super::pool::Pool::take_slot`] or
    /// [`super::pool::Pool::assign_to_slot`]), starts its service.
    /// The slot holds it for its service time (times the node's slow factor) plus the
    /// cross-zone latency when the previous visit was served in another zone.
    #[inline(always)]
    fn start(&mut self, now: SimTime, r: u32, s: usize, node: usize) {
        let svc = &self.model.services[s];
        let pool = &mut self.pools[s];
        let req = &mut self.requests[r];
        req.phase = Phase::InService;
        req.node = node as u32;
        let wait_ns = (now - req.visit_start).0;
        req.wait_ns += wait_ns;
        req.queued_any |= wait_ns > 0;
        if req.counted {
            let c = &mut pool.counters;
            c.started += 1;
            c.wait_ns += wait_ns as u128;
            c.queued += (wait_ns > 0) as u64;
        }
        let visit = req.visit;
        let mut service_time = svc.service_time.sample_inline(&mut pool.service_rng);
        let slot = &pool.slots[node];
        let slow = slot.slow_factor;
        if slow != 1.0 {
            service_time = SimTime::from_secs_f64(service_time.as_secs_f64() * slow);
        }
        let zone = svc.node_zone[node];
        if req.zone != zone && req.zone != u32::MAX && zone != u32::MAX {
            let latency = &self.model.zone_latency;
            service_time += latency[req.zone as usize].max(latency[zone as usize]);
        }
        req.zone = zone;
        let epoch = slot.epoch;
        self.queue.schedule(
            now.saturating_add(service_time),
            Event::ServiceDone {
                service: s as u32,
                node: node as u32,
                req: r,
                visit,
                epoch,
            },
        );
    }

    #[inline(always)]
    pub(super) fn on_service_done(
        &mut self,
        now: SimTime,
        s: usize,
        node: usize,
        r: u32,
        visit: u32,
        epoch: u32,
    ) {
        let slot = self.pools[s].slots[node];
        if slot.epoch != epoch {
            // The node went down meanwhile: its slots were freed then, and the request it
            // was serving fails now.
            if self.requests.is_current(r, visit, Phase::InService) {
                self.fail(now, r, s, Failure::Error);
            }
            return;
        }
        let pool = &mut self.pools[s];
        debug_assert!(pool.loads[node].busy <= self.model.services[s].concurrency);
        pool.release_slot(node, now);
        // Whether the request is still waiting for this slot (it may have timed out). A
        // copy: a waiting request started next changes the slab, not this one.
        let req = self.requests[r];
        let current = req.is_current(visit, Phase::InService);
        self.start_next_waiting(now, s, node);
        // Starting a waiting request leaves the node's life as it was.
        if slot.life == Life::Draining {
            self.finish_drain_if_idle(now, s, node);
        }
        if !current {
            return;
        }
        let latency = now - req.visit_start;
        let pool = &mut self.pools[s];
        pool.observe(node, latency);
        pool.interval_latency.record(latency);
        if req.counted {
            pool.counters.completed += 1;
            pool.counters.latency_ns += latency.0 as u128;
            pool.counters.latency.record(latency);
        }
        let next = req.step as usize + 1;
        if next < self.model.route.len() {
            self.begin_visit(now, r, next);
        } else {
            self.complete(now, r);
        }
    }

    /// A slot of `node` just freed: the next live request waiting for it takes it.
    /// Returns whether one did.
    #[inline(always)]
    pub(super) fn start_next_waiting(&mut self, now: SimTime, s: usize, node: usize) -> bool {
        let pool = &self.pools[s];
        let live = if pool.shared_queue {
            pool.shared_live
        } else {
            pool.slots[node].queued_live
        };
        // Usually nothing waits (timed-out entries left in the queue are skipped later):
        // the check is inlined into every departure, the dequeue is not.
        live > 0 && self.dequeue_into_free_slot(now, s, node)
    }

    /// The rest of [`Trial::start_next_waiting`], when requests wait.
    fn dequeue_into_free_slot(&mut self, now: SimTime, s: usize, node: usize) -> bool {
        let pool = &mut self.pools[s];
        if pool.loads[node].busy >= self.model.services[s].concurrency || !pool.working(node) {
            return false;
        }
        if pool.shared_queue {
            if !pool.loads[node].in_rotation {
                return false;
            }
            while let Some((r, visit)) = pool.shared.pop_front() {
                if self.requests.is_current(r, visit, Phase::Queued) {
                    pool.shared_live -= 1;
                    pool.assign_to_slot(node, now);
                    self.start(now, r, s, node);
                    return true;
                }
            }
        } else {
            while let Some((r, visit)) = pool.queues[node].pop_front() {
                if self.requests.is_current(r, visit, Phase::Queued) {
                    pool.slots[node].queued_live -= 1;
                    pool.take_slot(node, now);
                    self.start(now, r, s, node);
                    return true;
                }
            }
        }
        false
    }

    pub(super) fn on_timeout(&mut self, now: SimTime, r: u32, visit: u32) {
        let req = self.requests[r];
        if req.visit != visit || req.phase == Phase::Free {
            return;
        }
        let s = self.model.route[req.step as usize];
        let pool = &mut self.pools[s];
        match req.phase {
            Phase::Queued if pool.shared_queue => pool.shared_live -= 1,
            Phase::Queued => {
                pool.slots[req.node as usize].queued_live -= 1;
                pool.remove_outstanding(req.node as usize, 1);
            }
            // The slot stays busy until its ServiceDone, which will find the visit stale.
            Phase::InService => pool.observe(req.node as usize, now - req.visit_start),
            Phase::Stuck => {}
            Phase::Free => unreachable!("checked above"),
        }
        self.fail(now, r, s, Failure::TimedOut);
    }

    pub(super) fn fail(&mut self, now: SimTime, r: u32, s: usize, why: Failure) {
        if self.requests[r].counted {
            self.slo.record_failure();
            let (c, t) = (&mut self.pools[s].counters, &mut self.totals);
            match why {
                Failure::Dropped => (c.dropped += 1, t.dropped += 1),
                Failure::TimedOut => (c.timed_out += 1, t.timed_out += 1),
                Failure::Error => (c.errors += 1, t.errors += 1),
            };
        }
        self.leave(now, r);
    }

    #[inline(always)]
    fn complete(&mut self, now: SimTime, r: u32) {
        self.all_completions += 1;
        let req = self.requests[r];
        if req.counted {
            let latency = now - req.arrived;
            self.slo.record_success(latency);
            let t = &mut self.totals;
            t.completed += 1;
            t.latency_ns += latency.0 as u128;
            // With a one-step route the end-to-end histogram equals that service's, which
            // `collect` copies instead of recording every latency twice.
            if self.model.route.len() > 1 {
                t.latency.record(latency);
            }
            t.wait_ns += req.wait_ns as u128;
            t.queued_any += req.queued_any as u64;
        }
        self.depart(now, r, &req);
    }

    /// Request `r` leaves the system at `now`, successful or not.
    fn leave(&mut self, now: SimTime, r: u32) {
        let req = self.requests[r];
        self.depart(now, r, &req);
    }

    /// [`Trial::leave`] for a caller that has read the request (`req`, a copy of it).
    #[inline(always)]
    fn depart(&mut self, now: SimTime, r: u32, req: &Request) {
        if req.counted {
            self.totals.sojourn_ns += (now - req.arrived).0 as u128;
            self.totals.exited += 1;
        }
        if cfg!(debug_assertions) {
            // Only the debug builds' Little's law check reads it.
            self.clipped_sojourn_ns += clipped(req.arrived, now, self.model.warmup);
        }
        self.in_system.decrement(now);
        self.requests.remove(r);
    }
}
