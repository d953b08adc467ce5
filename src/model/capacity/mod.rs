//! Capacity fidelity (DESIGN section 4): no request events. The trial steps through
//! failures, repairs, detection, failover, scaling and changes of the workload rate only;
//! between two events every service's state is constant, and the span's metrics come
//! from closed forms of that state (`queueing.rs`), weighted by the span's length and
//! its expected visits.
//!
//! Rules (docs/SCENARIOS.md, "Capacity fidelity", is the user-facing version):
//! - A service receives the entry rate times its visits per request (requests that
//!   failed upstream still count as load: a slight overestimate while something fails).
//! - Visits sent to nodes in rotation that do not work (failed, not yet detected), in
//!   proportion to those nodes' share of the rotation, fail as errors, or, with a
//!   timeout, hang until it and time out.
//! - Offered load at or above the serving slots of an unbounded queue is overload (with a
//!   `queue_limit` the excess is dropped instead): the service is down (an
//!   outage with cause "<service>: overload") and its latency is left out of the
//!   percentiles for that span.
//! - Latency histograms hold expected request weights (scaled to integers), not counts.
//!
//! A state's figures are a pure function of its [`StateKey`], so they are cached per
//! model and shared by all trials (worked out again if the bounded cache forgot them):
//! results do not depend on which trial, or thread, met a state first.

mod atoms;
mod cache;
mod choices;
mod hop;
mod queueing;
mod rate;
mod tally;

use rustc_hash::FxHashMap;
use std::sync::Arc;

pub use cache::CapacityCache;
use cache::StateKey;
use hop::{HopKey, ZoneShares, hop_keys, zone_shares};
use queueing::{Serving, StateStats};
use rate::RateSteps;
use tally::{
    RouteOutcome, RouteWeights, ServiceWeights, Span, add_route_span, add_service_span, count_unit,
};

use super::collect::Tally;
use super::trial::Trial;
use super::{Event, Model};
use crate::metrics::LatencyHistogram;
use crate::scenario::FailureEffect;
use crate::time::SimTime;

/// One service now.
struct Current {
    key: StateKey,
    stats: Arc<StateStats>,
    /// Its number among the states met, for the latency histogram.
    weight_id: usize,
    /// Its serving nodes and their zones, as of the pool's `node_changes` count
    /// `serving_seen`.
    serving: Serving,
    zones: ZoneShares,
    serving_seen: u64,
    /// Visits per second arriving, and the share sent to nodes that do not work.
    rate: f64,
    error_share: f64,
    /// Slots in rotation, the autoscaler's current size (nodes active or booting), and
    /// when any of these inputs last changed: a sleeping autoscaler wakes at a change of
    /// any input of its decision.
    rotation_slots: u64,
    current_size: u32,
    changed_at: SimTime,
}

impl Current {
    /// Visits per second the serving nodes accept: sent to working nodes, not dropped.
    fn accepted_per_s(&self) -> f64 {
        self.rate * (1.0 - self.error_share) * (1.0 - self.stats.dropped_share)
    }

    /// Visits in the service on average (Little: accepted rate × mean time there, a
    /// timed-out visit counting its `timeout_s`, as does one hanging on a node that does
    /// not work), as `tally::add_service_span` integrates.
    fn in_system(&self, timeout_s: f64) -> f64 {
        let st = &self.stats;
        let mean_s = (1.0 - st.timeout_share) * st.sojourn_mean_s + st.timeout_share * timeout_s;
        self.accepted_per_s() * mean_s + self.rate * self.error_share * timeout_s
    }
}

/// Service `s`'s timeout in seconds (0 without one).
fn timeout_s(model: &Model, s: usize) -> f64 {
    model.services[s].timeout.map_or(0.0, |t| t.as_secs_f64())
}

/// A trial's capacity-fidelity state.
pub struct CapacityState {
    steps: RateSteps,
    /// Entry arrivals per second in the current span.
    entry_rate: f64,
    /// Metrics are integrated up to here.
    last: SimTime,
    current: Vec<Current>,
    /// Per service: the cross-zone delay its slots hold (all none without zone
    /// latencies on a route of more than one service).
    hops: Vec<HopKey>,
    route: RouteOutcome,
    pub services: Vec<Tally>,
    pub entry: Tally,
    /// ∫ visits in system dt after the warmup (Little: rate × mean time), in seconds.
    pub in_system_s: f64,
    service_weights: Vec<ServiceWeights>,
    route_weights: RouteWeights,
    /// The latency of states already flushed out of the weights (memory stays bounded).
    service_latency: Vec<LatencyHistogram>,
    route_latency: LatencyHistogram,
    /// States met in this trial (the shared cache sits behind a lock).
    local: FxHashMap<StateKey, Arc<StateStats>>,
    /// Per service: busy slot-seconds since time zero (the autoscaler's measure).
    busy_total_s: Vec<f64>,
    /// Completed requests since time zero (the time series' throughput).
    pub completions_total: f64,
    /// Services whose state the last refresh changed, with their busy slots and offered
    /// slots before it (kept to reuse its allocation: a refresh follows every event).
    woken: Vec<(usize, f64, u64)>,
}

/// Most states a trial numbers (or caches) before it records them into its histograms and
/// starts afresh, so a trial's memory does not grow with its horizon.
const TRIAL_LIMIT: usize = 1 << 13;

impl CapacityState {
    fn state(&mut self, model: &Model, key: StateKey) -> Arc<StateStats> {
        if self.local.len() >= TRIAL_LIMIT {
            self.local.clear();
        }
        self.local
            .entry(key)
            .or_insert_with(|| model.capacity_cache.state(model, key))
            .clone()
    }
}

impl Trial<'_> {
    /// Capacity fidelity: the first span's rate and the first rate change.
    pub(super) fn start_capacity(&mut self) {
        let model = self.model;
        let mut steps = RateSteps::new(&model.pattern, model.capacity_step, model.horizon);
        let first_end = steps.span_end(SimTime::ZERO);
        let mut service_weights: Vec<ServiceWeights> =
            model.services.iter().map(|_| Default::default()).collect();
        let current = (0..model.services.len())
            .map(|s| {
                let idle = Serving {
                    nodes: 0,
                    slow_nodes: 0,
                    slow_factor: 1.0,
                };
                let key = StateKey::new(s, idle, 0.0, HopKey::default());
                Current {
                    key,
                    stats: model.capacity_cache.state(model, key),
                    weight_id: service_weights[s].id(&key),
                    serving: idle,
                    zones: Vec::new(),
                    serving_seen: u64::MAX,
                    rate: 0.0,
                    error_share: 0.0,
                    rotation_slots: u64::MAX,
                    current_size: u32::MAX,
                    changed_at: SimTime::ZERO,
                }
            })
            .collect();
        self.capacity = Some(Box::new(CapacityState {
            steps,
            entry_rate: 0.0,
            last: SimTime::ZERO,
            current,
            hops: vec![HopKey::default(); model.services.len()],
            route: RouteOutcome::default(),
            services: vec![Tally::default(); model.services.len()],
            entry: Tally::default(),
            in_system_s: 0.0,
            service_weights,
            route_weights: Default::default(),
            service_latency: vec![LatencyHistogram::default(); model.services.len()],
            route_latency: LatencyHistogram::default(),
            local: FxHashMap::default(),
            busy_total_s: vec![0.0; model.services.len()],
            completions_total: 0.0,
            woken: Vec::new(),
        }));
        self.set_span_rate(SimTime::ZERO, first_end);
        self.capacity_refresh(SimTime::ZERO);
    }

    /// The rate changes: hold its average until the next change.
    pub(super) fn on_rate_step(&mut self, now: SimTime) {
        let cap = self.capacity.as_mut().expect("capacity fidelity");
        let end = cap.steps.span_end(now);
        self.set_span_rate(now, end);
    }

    fn set_span_rate(&mut self, now: SimTime, end: Option<SimTime>) {
        let model = self.model;
        let to = end.unwrap_or(model.horizon).min(model.horizon);
        let rate = model.rate_per_s.unwrap_or(0.0) * rate::average(&model.pattern, now, to);
        let cap = self.capacity.as_mut().expect("capacity fidelity");
        cap.entry_rate = rate;
        if let Some(end) = end {
            self.queue.schedule(end, Event::RateStep);
        }
    }

    /// Busy slot-nanoseconds of service `s` since time zero, as far as integrated.
    pub(super) fn capacity_busy_ns(&self, s: usize) -> Option<f64> {
        self.capacity.as_ref().map(|c| c.busy_total_s[s] * 1e9)
    }

    /// When service `s`'s inputs (its state, rate, rotation) last changed.
    pub(super) fn capacity_inputs_since(&self, s: usize) -> Option<SimTime> {
        self.capacity.as_ref().map(|c| c.current[s].changed_at)
    }

    /// Re-reads every service's state after an event, and its overload; wakes the
    /// autoscalers of services whose inputs changed.
    pub(super) fn capacity_refresh(&mut self, now: SimTime) {
        let model = self.model;
        let mut cap = self.capacity.take().expect("capacity fidelity");
        let flushed = cap.flush_if_full(model);
        self.refresh_serving(&mut cap);
        let mut woken = std::mem::take(&mut cap.woken);
        woken.clear();
        for (s, svc) in model.services.iter().enumerate() {
            let pool = &self.pools[s];
            let rotation_slots = pool.rotation_slots.value();
            let current_size = pool.current_size();
            let in_rotation = (rotation_slots / svc.concurrency as u64) as u32;
            let serving = pool.serving.min(in_rotation);
            let rate = cap.entry_rate * svc.visits_per_request as f64;
            let error_share = if in_rotation == 0 {
                1.0
            } else {
                (in_rotation - serving) as f64 / in_rotation as f64
            };
            let key = StateKey::new(
                s,
                cap.current[s].serving,
                rate * (1.0 - error_share),
                cap.hops[s],
            );
            let cur = &cap.current[s];
            if key == cur.key
                && rate == cur.rate
                && error_share == cur.error_share
                && rotation_slots == cur.rotation_slots
                && current_size == cur.current_size
            {
                continue;
            }
            woken.push((s, cur.stats.busy_slots, cur.rotation_slots));
            let before = cur.stats.overloaded;
            let changed_key = key != cur.key;
            let (stats, weight_id) = if changed_key {
                (cap.state(model, key), cap.service_weights[s].id(&key))
            } else {
                (cur.stats.clone(), cur.weight_id)
            };
            let cur = &mut cap.current[s];
            (cur.rate, cur.error_share) = (rate, error_share);
            (cur.rotation_slots, cur.current_size) = (rotation_slots, current_size);
            cur.changed_at = now;
            (cur.key, cur.stats, cur.weight_id) = (key, stats, weight_id);
            if cur.stats.overloaded != before {
                let cause = svc.overload_cause.expect("capacity fidelity");
                let overloaded = cur.stats.overloaded;
                self.availability
                    .set_overloaded(model, now, s, overloaded, cause);
                let entry_up = self.availability.available(model.entry);
                self.slo.entry_changed(now, entry_up);
            }
        }
        if !woken.is_empty() || flushed {
            cap.route = self.route_outcome(&mut cap);
        }
        self.capacity = Some(cap);
        for &(s, busy_rate, offered_slots) in &woken {
            self.wake_autoscaler(now, s, busy_rate, offered_slots);
        }
        self.capacity.as_mut().expect("put back above").woken = woken;
    }

    /// Re-reads the serving nodes (how many, how slow, in which zones) of the services
    /// whose nodes changed, and then the hops. The scans run only after a node changed,
    /// not at every rate step.
    fn refresh_serving(&self, cap: &mut CapacityState) {
        let model = self.model;
        let zoned = model.route.len() > 1 && model.zone_latency.iter().any(|l| l.0 > 0);
        let mut changed = false;
        for (s, svc) in model.services.iter().enumerate() {
            let pool = &self.pools[s];
            let cur = &mut cap.current[s];
            if pool.node_changes == cur.serving_seen {
                continue;
            }
            let in_rotation = (pool.rotation_slots.value() / svc.concurrency as u64) as u32;
            cur.serving = self.serving(s, pool.serving.min(in_rotation));
            if zoned {
                cur.zones = zone_shares(&svc.node_zone, |i| pool.serving_flag[i]);
            }
            cur.serving_seen = pool.node_changes;
            changed = true;
        }
        if zoned && changed {
            let shares: Vec<ZoneShares> = cap.current.iter().map(|c| c.zones.clone()).collect();
            cap.hops = hop_keys(model, &shares);
        }
    }

    /// Service `s`'s `serving` nodes: how many are slow, and the harmonic mean of their
    /// factors.
    fn serving(&self, s: usize, serving: u32) -> Serving {
        let pool = &self.pools[s];
        let has_slow = self.model.services[s]
            .failures
            .iter()
            .any(|f| matches!(f.effect, FailureEffect::Slow { .. }));
        let (mut slow_nodes, mut slow_speed) = (0u32, 0.0);
        if has_slow {
            for i in (0..pool.slots.len()).filter(|&i| pool.serving_flag[i]) {
                if pool.slots[i].slow_factor > 1.0 {
                    slow_nodes += 1;
                    slow_speed += 1.0 / pool.slots[i].slow_factor;
                }
            }
        }
        Serving {
            nodes: serving,
            slow_nodes,
            slow_factor: if slow_nodes > 0 {
                slow_nodes as f64 / slow_speed
            } else {
                1.0
            },
        }
    }

    /// Capacity fidelity: node `i` of service `s` stopped working while serving; the
    /// visits in it (its share of the service's visits in system, by Little's law) fail,
    /// and so do their requests.
    pub(super) fn capacity_node_lost(&mut self, now: SimTime, s: usize, i: usize) {
        let model = self.model;
        let serving = self.pools[s].serving_flag[i];
        let Some(cap) = self.capacity.as_mut() else {
            return;
        };
        let cur = &cap.current[s];
        let st = &cur.stats;
        if !serving || now < model.warmup || st.overloaded || cur.key.nodes == 0 {
            return;
        }
        let lost = cur.in_system(timeout_s(model, s)) / cur.key.nodes as f64;
        for t in [&mut cap.services[s], &mut cap.entry] {
            let lost = lost.min(t.completed);
            t.completed -= lost;
            t.errors += lost;
        }
    }

    /// Integrates every metric over the span since the last event, up to `now`.
    pub(super) fn capacity_advance(&mut self, now: SimTime) {
        let model = self.model;
        let cap = self.capacity.as_mut().expect("capacity fidelity");
        let all_s = (now - cap.last).as_secs_f64();
        let from = cap.last.max(model.warmup);
        let to = now.min(model.horizon);
        cap.last = now;
        for (s, cur) in cap.current.iter().enumerate() {
            cap.busy_total_s[s] += cur.stats.busy_slots * all_s;
        }
        cap.completions_total += cap.entry_rate * cap.route.completed_share * all_s;
        if to <= from {
            return;
        }
        let dt = (to - from).as_secs_f64();
        for (s, cur) in cap.current.iter().enumerate() {
            let span = Span {
                dt,
                rate: cur.rate,
                error_share: cur.error_share,
                stats: &cur.stats,
                timeout_s: timeout_s(model, s),
            };
            let (completed, in_system_s) = add_service_span(&mut cap.services[s], &span);
            cap.in_system_s += in_system_s;
            if completed > 0.0 {
                cap.service_weights[s].add(cur.weight_id, completed);
            }
        }
        let requests = cap.entry_rate * dt;
        add_route_span(&mut cap.entry, requests, &cap.route);
        let completed = requests * cap.route.completed_share;
        if let Some(id) = cap.route.weight_id {
            cap.route_weights.add(id, completed);
        }
        self.slo
            .record_expected(completed, cap.route.slow_share, requests - completed);
    }

    /// What becomes of a request along the route in the current states.
    fn route_outcome(&self, cap: &mut CapacityState) -> RouteOutcome {
        let model = self.model;
        let mut out = RouteOutcome {
            completed_share: 1.0,
            latency_known: true,
            ..RouteOutcome::default()
        };
        let mut no_wait = 1.0;
        for &s in &model.route {
            let cur = &cap.current[s];
            let st = &cur.stats;
            let reach = out.completed_share;
            // Sent to a node that does not work: fails at once, or hangs to the timeout.
            if timeout_s(model, s) > 0.0 {
                out.timed_out += reach * cur.error_share;
            } else {
                out.errors += reach * cur.error_share;
            }
            let sent = reach * (1.0 - cur.error_share);
            out.dropped += sent * st.dropped_share;
            let accepted = sent * (1.0 - st.dropped_share);
            out.timed_out += accepted * st.timeout_share;
            out.completed_share = accepted * (1.0 - st.timeout_share);
            no_wait *= 1.0 - st.wait_probability;
            out.wait_mean_s += st.wait_mean_s;
            out.latency_mean_s += st.sojourn_mean_s;
            out.latency_known &= !st.overloaded;
        }
        out.wait_probability = 1.0 - no_wait;
        if out.latency_known && model.route.len() > 1 {
            let keys: Vec<StateKey> = model.route.iter().map(|&s| cap.current[s].key).collect();
            out.weight_id = Some(cap.route_weights.id(&keys));
        }
        let entry = model.route[0];
        out.slow_share = match (self.slo.latency_target(), out.latency_known, out.weight_id) {
            (None, _, _) => 0.0,
            (Some(_), false, _) => 1.0,
            (Some(t), true, None) => {
                let stats = &cap.current[entry].stats;
                cap.service_weights[entry].slow_share(cap.current[entry].weight_id, |_| {
                    stats.sojourn.tail(t.as_secs_f64())
                })
            }
            (Some(t), true, Some(id)) => cap.route_weights.slow_share(id, |keys| {
                model
                    .capacity_cache
                    .route(model, keys)
                    .tail(t.as_secs_f64())
            }),
        };
        out
    }
}

impl CapacityState {
    /// Records the weights into the histograms and forgets them when any holds
    /// [`TRIAL_LIMIT`] states; the current states are numbered afresh. True when it did.
    fn flush_if_full(&mut self, model: &Model) -> bool {
        let full = self.route_weights.len() >= TRIAL_LIMIT
            || self.service_weights.iter().any(|w| w.len() >= TRIAL_LIMIT);
        if !full {
            return false;
        }
        self.record_weights(model);
        for (w, cur) in self.service_weights.iter_mut().zip(&mut self.current) {
            w.clear();
            cur.weight_id = w.id(&cur.key);
        }
        self.route_weights.clear();
        true
    }

    /// Adds every state's weighted latency to the histograms.
    fn record_weights(&mut self, model: &Model) {
        let unit = count_unit(model);
        let cache = &model.capacity_cache;
        for (w, hist) in self.service_weights.iter().zip(&mut self.service_latency) {
            w.record(hist, unit, |&key| cache.state(model, key).sojourn.clone());
        }
        self.route_weights
            .record(&mut self.route_latency, unit, |keys| {
                cache.route(model, keys)
            });
    }

    /// The latency histograms: per service, and end to end (the entry's own when the
    /// route is one service).
    pub fn histograms(mut self, model: &Model) -> (Vec<LatencyHistogram>, LatencyHistogram) {
        self.record_weights(model);
        let end_to_end = if model.route.len() == 1 {
            self.service_latency[model.route[0]].clone()
        } else {
            self.route_latency
        };
        (self.service_latency, end_to_end)
    }

    /// Per service now: expected visits waiting (Little), and the p99 visit time (NaN
    /// when overloaded or idle): the time series' view.
    pub fn sample(&self, s: usize) -> (f64, f64) {
        let cur = &self.current[s];
        let st = &cur.stats;
        if st.overloaded || cur.accepted_per_s() <= 0.0 {
            return (f64::NAN, f64::NAN);
        }
        (
            cur.accepted_per_s() * st.wait_mean_s,
            st.sojourn.quantile(0.99),
        )
    }

    /// Visits in the system now, over every service not overloaded.
    pub fn in_system_now(&self, model: &Model) -> f64 {
        self.current
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.stats.overloaded)
            .map(|(s, c)| c.in_system(timeout_s(model, s)))
            .sum()
    }
}
