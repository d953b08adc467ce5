//! One trial: the event loop and the handlers of every event.
//!
//! Semantics (docs/SCENARIOS.md has the user-facing version):
//! - A request visits the services of the route in order; a visit is queue + local
//!   processing; the slot is released when local processing ends, before the next visit.
//! - A full queue drops the request; a pool with no node in rotation fails it (error).
//! - A timeout counts from the start of a visit. A timed-out request still queued is
//!   skipped when it reaches the head; one in service keeps its slot busy until its
//!   service time ends (the server does not know the client gave up).

use rand_distr::{Distribution, Exp};

use super::event::Event;
use super::pool::Pool;
use super::request::{Phase, Slab};
use super::series::SeriesRecorder;
use super::{Model, streams};
use crate::engine::{EventQueue, SimRng, stream_rng};
use crate::metrics::{LatencyHistogram, TimeWeighted, TrialResult};
use crate::time::SimTime;

/// Why a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Failure {
    Dropped,
    TimedOut,
    Error,
}

/// Counts over counted (post-warmup) requests, end to end.
#[derive(Default)]
pub(super) struct Totals {
    pub arrived: u64,
    pub completed: u64,
    pub dropped: u64,
    pub timed_out: u64,
    pub errors: u64,
    pub latency_ns: u128,
    pub wait_ns: u128,
    pub queued_any: u64,
    /// Time in system of counted requests that left, successful or not.
    pub sojourn_ns: u128,
    pub exited: u64,
    pub latency: LatencyHistogram,
}

struct Trial<'m> {
    model: &'m Model,
    queue: EventQueue<Event>,
    arrival_rng: SimRng,
    interarrival: Option<Exp<f64>>,
    pools: Vec<Pool>,
    requests: Slab,
    in_system: TimeWeighted,
    /// Σ over requests that left of |[arrived, left] ∩ [warmup, horizon]|: Little's law's
    /// other side.
    clipped_sojourn_ns: u128,
    totals: Totals,
    series: SeriesRecorder,
    /// Arrivals and completions since time zero, warmup included (for the time series).
    all_arrivals: u64,
    all_completions: u64,
}

/// Simulates trial `trial` of `model` and reports what it measured.
pub fn run_trial(model: &Model, trial: u64) -> TrialResult {
    let mut t = Trial {
        model,
        queue: EventQueue::new(),
        arrival_rng: stream_rng(model.seed, trial, streams::ARRIVALS),
        interarrival: model
            .rate_per_s
            .map(|r| Exp::new(r).expect("validated rate > 0")),
        pools: model
            .services
            .iter()
            .enumerate()
            .map(|(s, svc)| Pool::new(s, svc, model.seed, trial, model.warmup))
            .collect(),
        requests: Slab::default(),
        in_system: TimeWeighted::new(0, model.warmup),
        clipped_sojourn_ns: 0,
        totals: Totals::default(),
        series: SeriesRecorder::new(model, model.sample_every),
        all_arrivals: 0,
        all_completions: 0,
    };
    t.schedule_next_arrival(SimTime::ZERO);
    t.queue.schedule(t.series.first(), Event::Sample);
    while let Some((now, event)) = t.queue.pop() {
        if now > model.horizon {
            break;
        }
        t.handle(now, event);
    }
    t.finish(trial)
}

impl Trial<'_> {
    fn handle(&mut self, now: SimTime, event: Event) {
        match event {
            Event::Arrival => self.on_arrival(now),
            Event::ServiceDone {
                service,
                node,
                req,
                visit,
            } => self.on_service_done(now, service as usize, node as usize, req, visit),
            Event::Timeout { req, visit } => self.on_timeout(now, req, visit),
            Event::Sample => {
                let in_system = self.in_system.value();
                self.series.record(
                    now,
                    self.all_arrivals,
                    self.all_completions,
                    in_system,
                    &mut self.pools,
                );
                self.queue
                    .schedule(self.series.next_after(now), Event::Sample);
            }
        }
    }

    fn schedule_next_arrival(&mut self, now: SimTime) {
        if let Some(exp) = &self.interarrival {
            let gap = SimTime::from_secs_f64(exp.sample(&mut self.arrival_rng));
            self.queue.schedule(now.saturating_add(gap), Event::Arrival);
        }
    }

    fn on_arrival(&mut self, now: SimTime) {
        self.schedule_next_arrival(now);
        let counted = now >= self.model.warmup;
        let r = self.requests.insert(now, counted);
        self.in_system.increment(now);
        self.all_arrivals += 1;
        if counted {
            self.totals.arrived += 1;
        }
        self.begin_visit(now, r);
    }

    /// Starts the visit of request `r` to the service at its current route step.
    fn begin_visit(&mut self, now: SimTime, r: u32) {
        let s = self.model.route[self.requests[r].step as usize];
        let svc = &self.model.services[s];
        let req = &mut self.requests[r];
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
        let picked = pool.pick(svc.concurrency);
        if pool.shared_queue {
            match picked {
                Some(node) => {
                    pool.outstanding[node] += 1;
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
                Some(node) if pool.busy[node] < svc.concurrency => {
                    pool.outstanding[node] += 1;
                    self.start(now, r, s, node);
                }
                Some(node) if pool.queued_live[node] >= svc.queue_limit => {
                    self.fail(now, r, s, Failure::Dropped)
                }
                Some(node) => {
                    pool.outstanding[node] += 1;
                    pool.queues[node].push_back((r, visit));
                    pool.queued_live[node] += 1;
                    self.requests[r].phase = Phase::Queued;
                    self.requests[r].node = node as u32;
                }
            }
        }
    }

    /// Request `r` takes a slot on `node` of service `s` (its `outstanding` already counts it).
    fn start(&mut self, now: SimTime, r: u32, s: usize, node: usize) {
        let pool = &mut self.pools[s];
        pool.busy[node] += 1;
        pool.busy_slots.increment(now);
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
        let service_time = self.model.services[s]
            .service_time
            .sample(&mut pool.service_rng);
        self.queue.schedule(
            now.saturating_add(service_time),
            Event::ServiceDone {
                service: s as u32,
                node: node as u32,
                req: r,
                visit,
            },
        );
    }

    fn on_service_done(&mut self, now: SimTime, s: usize, node: usize, r: u32, visit: u32) {
        let pool = &mut self.pools[s];
        pool.busy[node] -= 1;
        pool.busy_slots.decrement(now);
        pool.outstanding[node] -= 1;
        // Whether the request is still waiting for this slot (it may have timed out).
        let current = self.requests.is_current(r, visit, Phase::InService);
        self.start_next_waiting(now, s, node);
        if !current {
            return;
        }
        let req = &self.requests[r];
        let latency = now - req.visit_start;
        let pool = &mut self.pools[s];
        pool.balancer.observe(node, latency.as_secs_f64());
        if req.counted {
            pool.counters.completed += 1;
            pool.counters.latency_ns += latency.0 as u128;
            pool.counters.latency.record(latency);
        }
        let next = req.step as usize + 1;
        if next < self.model.route.len() {
            self.requests[r].step = next as u16;
            self.begin_visit(now, r);
        } else {
            self.complete(now, r);
        }
    }

    /// A slot of `node` just freed: the next live request waiting for it takes it.
    fn start_next_waiting(&mut self, now: SimTime, s: usize, node: usize) {
        let pool = &mut self.pools[s];
        if pool.shared_queue {
            if !pool.in_rotation[node] {
                return;
            }
            while let Some((r, visit)) = pool.shared.pop_front() {
                if self.requests.is_current(r, visit, Phase::Queued) {
                    pool.shared_live -= 1;
                    pool.outstanding[node] += 1;
                    self.start(now, r, s, node);
                    return;
                }
            }
        } else {
            while let Some((r, visit)) = pool.queues[node].pop_front() {
                if self.requests.is_current(r, visit, Phase::Queued) {
                    pool.queued_live[node] -= 1;
                    self.start(now, r, s, node);
                    return;
                }
            }
        }
    }

    fn on_timeout(&mut self, now: SimTime, r: u32, visit: u32) {
        let req = self.requests[r];
        if req.visit != visit || req.phase == Phase::Free {
            return;
        }
        let s = self.model.route[req.step as usize];
        let pool = &mut self.pools[s];
        match req.phase {
            Phase::Queued if pool.shared_queue => pool.shared_live -= 1,
            Phase::Queued => {
                pool.queued_live[req.node as usize] -= 1;
                pool.outstanding[req.node as usize] -= 1;
            }
            // The slot stays busy until its ServiceDone, which will find the visit stale.
            Phase::InService => pool
                .balancer
                .observe(req.node as usize, (now - req.visit_start).as_secs_f64()),
            Phase::Free => unreachable!("checked above"),
        }
        self.fail(now, r, s, Failure::TimedOut);
    }

    fn fail(&mut self, now: SimTime, r: u32, s: usize, why: Failure) {
        if self.requests[r].counted {
            let (c, t) = (&mut self.pools[s].counters, &mut self.totals);
            match why {
                Failure::Dropped => (c.dropped += 1, t.dropped += 1),
                Failure::TimedOut => (c.timed_out += 1, t.timed_out += 1),
                Failure::Error => (c.errors += 1, t.errors += 1),
            };
        }
        self.leave(now, r);
    }

    fn complete(&mut self, now: SimTime, r: u32) {
        self.all_completions += 1;
        let req = &self.requests[r];
        if req.counted {
            let latency = now - req.arrived;
            let t = &mut self.totals;
            t.completed += 1;
            t.latency_ns += latency.0 as u128;
            t.latency.record(latency);
            t.wait_ns += req.wait_ns as u128;
            t.queued_any += req.queued_any as u64;
        }
        self.leave(now, r);
    }

    /// Request `r` leaves the system at `now`, successful or not.
    fn leave(&mut self, now: SimTime, r: u32) {
        let req = &self.requests[r];
        if req.counted {
            self.totals.sojourn_ns += (now - req.arrived).0 as u128;
            self.totals.exited += 1;
        }
        self.clipped_sojourn_ns += clipped(req.arrived, now, self.model.warmup);
        self.in_system.decrement(now);
        self.requests.remove(r);
    }

    fn finish(mut self, trial: u64) -> TrialResult {
        let (horizon, warmup) = (self.model.horizon, self.model.warmup);
        let in_system_ns = self.in_system.integral_until(horizon);
        let mut still_in_ns = 0;
        let mut in_flight = 0u64;
        for req in self.requests.live() {
            still_in_ns += clipped(req.arrived, horizon, warmup);
            in_flight += req.counted as u64;
        }
        let t = &self.totals;
        debug_assert_eq!(
            t.arrived,
            t.completed + t.dropped + t.timed_out + t.errors + in_flight,
            "conservation: arrived = completed + failed + in flight"
        );
        debug_assert_eq!(
            in_system_ns,
            self.clipped_sojourn_ns + still_in_ns,
            "Little's law identity"
        );
        let mut result = super::collect::trial_result(
            trial,
            self.model,
            &mut self.pools,
            &self.totals,
            in_system_ns,
        );
        result.timeseries = self.series.rows;
        result
    }
}

/// |[from, to] ∩ [warmup, ∞)| in ns.
fn clipped(from: SimTime, to: SimTime, warmup: SimTime) -> u128 {
    to.0.saturating_sub(from.0.max(warmup.0)) as u128
}
