//! One trial: its state, the event loop, and the dispatch of every event to its handler
//! (requests in `visit.rs`, failures in `failures.rs`, detection and failover in
//! `detection.rs`).

use super::autoscale::Scaler;
use super::availability::AvailabilityLog;
use super::capacity::CapacityState;
use super::collect::{Measured, entry_tally, service_tally, trial_result};
use super::data::DataState;
use super::event::Event;
use super::failures::Crews;
use super::pool::Pool;
use super::request::Slab;
use super::series::SeriesRecorder;
use super::slo::SloWindows;
use super::workload::Arrivals;
use super::{CauseId, Model, streams};
use crate::engine::{EventQueue, SimRng, stream_rng};
use crate::metrics::{LatencyRecorder, Observation, TimeWeighted, TrialResult};
use crate::scenario::Fidelity;
use crate::time::SimTime;

/// Requests a trial may hold queued at once. Past this the offered load has outrun the
/// services long enough that the run simulates a growing backlog rather than the design,
/// and memory would soon run out (about 100 bytes a request): the trial stops with a
/// [`Backlog`] error instead. (Requests in service are bounded by the slots, so only
/// queues can grow without end.)
pub const MAX_QUEUED: u64 = 10_000_000;

/// A trial stopped because its queues outgrew [`MAX_QUEUED`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error(
    "trial {trial}: {queued} requests queued at {at_s:.0} s ({at_service} of them at \
     `{service}`; {in_system} in the system): the offered load outruns what the services \
     serve, so the backlog grows without bound (nines stops past {MAX_QUEUED} queued). \
     Give `{service}` a queue_limit (the excess is then dropped and counted), more nodes or \
     concurrency, or run with fidelity = \"capacity\", where overload is a state rather \
     than a backlog"
)]
pub struct Backlog {
    pub trial: u64,
    pub at_s: f64,
    /// Requests queued in every service, and in the system.
    pub queued: u64,
    pub in_system: u64,
    /// The service with the most requests queued, and how many.
    pub service: String,
    pub at_service: u64,
}

/// Why a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Failure {
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
    pub latency: LatencyRecorder,
}

/// Everything a trial changes as it runs.
pub(super) struct Trial<'m> {
    pub model: &'m Model,
    /// This trial's index.
    pub trial: u64,
    /// Told the simulated time at every time-series sample ([`run_trial_reporting`]).
    pub reached: &'m dyn Fn(SimTime),
    pub queue: EventQueue<Event>,
    pub arrival_rng: SimRng,
    pub arrivals: Arrivals,
    pub pools: Vec<Pool>,
    pub requests: Slab,
    pub in_system: TimeWeighted,
    /// Σ over requests that left of |[arrived, left] ∩ [warmup, horizon]|: Little's law's
    /// other side (kept in debug builds only, which check the law).
    pub clipped_sojourn_ns: u128,
    pub totals: Totals,
    pub series: SeriesRecorder,
    /// Completions since time zero, warmup included (for the time series).
    pub all_completions: u64,
    pub crews: Crews,
    /// Per outage, per struck domain: its clock's stream.
    pub outage_rng: Vec<Vec<SimRng>>,
    pub availability: AvailabilityLog,
    /// The cause of the event being handled (what an outage starting now is attributed to).
    pub cause: CauseId,
    pub slo: SloWindows,
    /// Per service: its autoscaler, if it has one.
    pub scalers: Vec<Option<Scaler>>,
    /// Capacity fidelity's state (`None` in request fidelity).
    pub capacity: Option<Box<CapacityState>>,
    /// Nodes terminated since stale events were last swept from the queue.
    pub terminated_since_sweep: usize,
    /// Per service: its data's state, if it has data.
    pub data: Vec<Option<DataState>>,
    /// Per outage: the nodes a random outage in progress struck.
    pub struck: Vec<Vec<(u32, u32)>>,
    /// Set when queues outgrew [`MAX_QUEUED`]: the trial stops.
    pub backlog: Option<Backlog>,
    /// Requests in the system at which the queues are counted next (they are counted
    /// only as the system grows, by a quarter each time).
    pub next_backlog_check: u64,
}

/// Simulates trial `trial` of `model` and reports what it measured, or why it stopped.
pub fn run_trial(model: &Model, trial: u64) -> Result<TrialResult, Backlog> {
    run_trial_reporting(model, trial, &|_| {})
}

/// [`run_trial`], telling `reached` how far the trial has come in simulated time at each
/// time-series sample (every `run.sample_every`, a horizon/200 by default), so that a long
/// trial can show its progress. What the trial simulates does not depend on it.
pub fn run_trial_reporting(
    model: &Model,
    trial: u64,
    reached: &dyn Fn(SimTime),
) -> Result<TrialResult, Backlog> {
    let mut t = Trial {
        model,
        trial,
        reached,
        queue: EventQueue::until(model.horizon),
        arrival_rng: stream_rng(model.seed, trial, streams::ARRIVALS),
        arrivals: Arrivals::new(model.rate_per_s, &model.pattern, model.horizon),
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
        all_completions: 0,
        crews: Crews::new(model.crews),
        outage_rng: (0..model.outages.len())
            .map(|o| {
                (0..model.outages[o].domains.len())
                    .map(|k| stream_rng(model.seed, trial, streams::outage(o, k)))
                    .collect()
            })
            .collect(),
        availability: AvailabilityLog::new(model),
        cause: 0,
        slo: SloWindows::new(model),
        scalers: model.services.iter().map(|_| None).collect(),
        capacity: None,
        terminated_since_sweep: 0,
        data: model
            .services
            .iter()
            .enumerate()
            .map(|(s, svc)| {
                svc.data
                    .as_ref()
                    .map(|d| DataState::new(d, model.seed, trial, s))
            })
            .collect(),
        struck: vec![Vec::new(); model.outages.len()],
        backlog: None,
        next_backlog_check: model.max_queued,
    };
    let capacity = model.fidelity == Fidelity::Capacity;
    if capacity {
        t.start_capacity();
    } else {
        t.schedule_next_arrival(SimTime::ZERO);
    }
    t.queue.schedule_first(t.series.first(), Event::Sample);
    if model.warmup > SimTime::ZERO {
        // Before anything else changes at that instant.
        t.queue.schedule_first(model.warmup, Event::WarmupEnd);
    }
    t.start_failure_clocks();
    t.start_autoscalers();
    if let Some(end) = t.slo.first_end() {
        t.queue.schedule(end, Event::SloWindowEnd);
    }
    let mut events = 0u64;
    // The queue keeps nothing past the horizon (`EventQueue::until`).
    while let Some((now, event)) = t.queue.pop() {
        if capacity {
            t.capacity_advance(now);
            t.handle(now, event);
            t.capacity_refresh(now);
        } else {
            t.handle(now, event);
            // A load and a compare per event; set only by an arrival past the limit.
            if t.backlog.is_some() {
                return Err(t.backlog.take().expect("checked"));
            }
        }
        events += 1;
    }
    if capacity {
        t.capacity_advance(model.horizon);
    }
    let mut result = t.finish(trial);
    // What the trial cost (not a property of the design): events processed.
    result
        .metrics
        .insert("sim_events".into(), Observation::Value(events as f64));
    Ok(result)
}

impl Trial<'_> {
    /// Handles one event. A request's arrival and departure, nearly every event of a
    /// request-level run, are handled inline in the event loop; the rest out of line, so
    /// their code stays out of the loop's way (callgrind: about 20 instructions a request
    /// fewer than one out-of-line `match`).
    #[inline(always)]
    fn handle(&mut self, now: SimTime, event: Event) {
        match event {
            Event::Arrival => self.on_arrival(now),
            Event::ServiceDone {
                service,
                node,
                req,
                visit,
                epoch,
            } => self.on_service_done(now, service as usize, node as usize, req, visit, epoch),
            other => self.handle_other(now, other),
        }
    }

    #[inline(never)]
    fn handle_other(&mut self, now: SimTime, event: Event) {
        match event {
            Event::Arrival | Event::ServiceDone { .. } => unreachable!("handled inline"),
            Event::Timeout { req, visit } => self.on_timeout(now, req, visit),
            Event::Sample => self.on_sample(now),
            Event::WarmupEnd => self.on_warmup_end(now),
            Event::RateStep => self.on_rate_step(now),
            Event::NodeFail {
                service,
                node,
                mode,
                life,
            } => self.on_node_fail(now, service as usize, node as usize, mode as usize, life),
            Event::NodeRecover {
                service,
                node,
                mode,
                life,
            } => self.on_node_recover(now, service as usize, node as usize, mode as usize, life),
            Event::ScaleTick { service } => self.on_scale_tick(now, service as usize),
            Event::ScheduledAction { service, action } => {
                self.on_scheduled_action(now, service as usize, action as usize)
            }
            Event::BootDone {
                service,
                node,
                life,
            } => self.on_boot_done(now, service as usize, node as usize, life),
            Event::DrainDone {
                service,
                node,
                life,
            } => self.on_drain_done(now, service as usize, node as usize, life),
            Event::Replace {
                service,
                node,
                life,
            } => self.on_replace(now, service as usize, node as usize, life),
            Event::GraceEnd {
                service,
                node,
                life,
            } => self.on_grace_end(now, service as usize, node as usize, life),
            Event::OutageStart { outage, k } => {
                self.on_outage(now, outage as usize, k as usize, true)
            }
            Event::OutageEnd { outage, k } => {
                self.on_outage(now, outage as usize, k as usize, false)
            }
            Event::HealthChange {
                service,
                node,
                generation,
            } => self.on_health_change(now, service as usize, node as usize, generation),
            Event::FailoverDone {
                service,
                generation,
            } => self.on_failover_done(now, service as usize, generation),
            Event::RereplicationDone {
                service,
                node,
                generation,
            } => self.on_rereplication_done(now, service as usize, node as usize, generation),
            Event::RestoreDone { service } => self.on_restore_done(now, service as usize),
            Event::SloWindowEnd => {
                let up = self.availability.available(self.model.entry);
                if let Some(next) = self.slo.close_window(now, up) {
                    self.queue.schedule(next, Event::SloWindowEnd);
                }
            }
        }
    }
}

impl Trial<'_> {
    /// The warmup ends at `now`: every time-weighted integral keeps what it has so far
    /// (`TimeWeighted::pass_warmup`).
    fn on_warmup_end(&mut self, now: SimTime) {
        self.in_system.pass_warmup(now);
        for pool in &mut self.pools {
            pool.busy_slots.pass_warmup(now);
            pool.rotation_slots.pass_warmup(now);
            pool.provisioned.pass_warmup(now);
        }
        self.availability.pass_warmup(now);
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
        let availability = self.availability.finish(self.model);
        let measured = match self.capacity.take() {
            Some(cap) => {
                let mut entry = cap.entry.clone();
                // Little: ∫ in system dt = Σ time in system of the requests that left,
                // every one of them (a request dropped or failed at its first visit spent
                // none), as request fidelity counts them.
                let exited = entry.completed + entry.timed_out + entry.dropped + entry.errors;
                (entry.sojourn_s, entry.exited) = (cap.in_system_s, exited);
                let (services, in_system_s) = (cap.services.clone(), cap.in_system_s);
                let (service_latency, end_to_end) = cap.histograms(self.model);
                Measured {
                    entry,
                    services,
                    end_to_end,
                    service_latency,
                    in_system_s,
                }
            }
            None => {
                let service_latency: Vec<_> = (self.pools.iter())
                    .map(|p| p.counters.latency.histogram())
                    .collect();
                let end_to_end = match self.model.route.as_slice() {
                    [only] => service_latency[*only].clone(),
                    _ => self.totals.latency.histogram(),
                };
                let horizon = self.model.horizon;
                Measured {
                    entry: entry_tally(&self.totals),
                    services: self
                        .pools
                        .iter_mut()
                        .map(|p| service_tally(p, horizon))
                        .collect(),
                    end_to_end,
                    service_latency,
                    in_system_s: in_system_ns as f64 / 1e9,
                }
            }
        };
        let mut result = trial_result(trial, self.model, &mut self.pools, measured, &availability);
        super::collect::data_metrics(&mut result.metrics, self.model, &self.data);
        if self.model.slo.is_some() {
            let (met, windows) = self.slo.compliance();
            result.metrics.insert(
                "slo_compliance".into(),
                Observation::Ratio {
                    num: met as f64,
                    den: windows as f64,
                },
            );
        }
        result.timeseries = self.series.rows;
        result.downtime_by_cause_s = self
            .availability
            .entry_down_by_cause_ns
            .iter()
            .map(|&ns| ns as f64 / 1e9)
            .collect();
        result.outages = std::mem::take(&mut self.availability.records);
        result
    }
}

/// |[from, to] ∩ [warmup, ∞)| in ns.
pub(super) fn clipped(from: SimTime, to: SimTime, warmup: SimTime) -> u128 {
    to.0.saturating_sub(from.0.max(warmup.0)) as u128
}
