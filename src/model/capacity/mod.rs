//! Capacity fidelity (DESIGN section 4): no request events. The trial steps through
//! failures, repairs, detection, failover, scaling and changes of the workload rate only;
//! between two events every service's state is constant, and the span's metrics come
//! from closed forms of that state (`queueing.rs`), weighted by the span's length and
//! its expected visits.
//!
//! Rules (docs/SCENARIOS.md, "Capacity fidelity", is the user-facing version):
//! - A service receives the entry rate times its visits per request (requests that
//!   failed upstream still count as load: a slight overestimate while something fails).
//! - Visits sent to nodes in rotation that do not work (failed, not yet detected) fail
//!   as errors, in proportion to those nodes' share of the rotation.
//! - Offered load at or above the serving slots is overload: the service is down (an
//!   outage with cause "<service>: overload") and its latency is left out of the
//!   percentiles for that span.
//! - Latency histograms hold expected request weights (scaled to integers), not counts.
//!
//! A state's figures are a pure function of its [`StateKey`], so they are cached once
//! per model and shared by all trials: results do not depend on which trial, or thread,
//! met a state first.

mod atoms;
mod queueing;
mod rate;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use atoms::{Atoms, levels};
use queueing::{Serving, StateStats, state_stats};
use rate::RateSteps;

use super::collect::Tally;
use super::trial::Trial;
use super::{Event, Model};
use crate::metrics::LatencyHistogram;
use crate::scenario::FailureEffect;
use crate::time::SimTime;

/// A service's state as the closed forms see it; the rate and slowdown are rounded to
/// f32 so that states met again (the same hour of another day) are recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateKey {
    service: u32,
    nodes: u32,
    slow_nodes: u32,
    slow_factor_bits: u32,
    rate_bits: u32,
}

/// States and routes already worked out, shared by every trial of a model.
#[derive(Debug, Default)]
pub struct CapacityCache {
    states: Mutex<HashMap<StateKey, Arc<StateStats>>>,
    routes: Mutex<HashMap<Vec<StateKey>, Arc<Atoms>>>,
    /// Per service: its service-time quantiles at the standard levels.
    service_time: OnceLock<Vec<Vec<f64>>>,
}

impl CapacityCache {
    fn state(&self, model: &Model, key: StateKey) -> Arc<StateStats> {
        if let Some(st) = self.states.lock().expect("no panics hold it").get(&key) {
            return st.clone();
        }
        let quantiles = self.service_time.get_or_init(|| {
            let u: Vec<f64> = levels().iter().map(|l| l.0).collect();
            model
                .services
                .iter()
                .map(|s| s.service_spec.quantiles_s(&u))
                .collect()
        });
        let s = key.service as usize;
        let serving = Serving {
            nodes: key.nodes,
            slow_nodes: key.slow_nodes,
            slow_factor: f32::from_bits(key.slow_factor_bits) as f64,
        };
        let rate = f32::from_bits(key.rate_bits) as f64;
        let st = Arc::new(state_stats(
            &model.services[s],
            &quantiles[s],
            serving,
            rate,
        ));
        let mut states = self.states.lock().expect("no panics hold it");
        states.entry(key).or_insert(st).clone()
    }

    /// End-to-end latency of a route whose services are in `keys` (none overloaded).
    fn route(&self, model: &Model, keys: &[StateKey]) -> Arc<Atoms> {
        if let Some(a) = self.routes.lock().expect("no panics hold it").get(keys) {
            return a.clone();
        }
        let mut sum = self.state(model, keys[0]).sojourn.clone();
        for &k in &keys[1..] {
            sum = sum.convolve(&self.state(model, k).sojourn);
        }
        let mut routes = self.routes.lock().expect("no panics hold it");
        routes.entry(keys.to_vec()).or_insert(Arc::new(sum)).clone()
    }
}

/// One service now.
struct Current {
    key: StateKey,
    stats: Arc<StateStats>,
    /// Visits per second arriving, and the share sent to nodes that do not work.
    rate: f64,
    error_share: f64,
    /// Slots in rotation, and when any of these inputs last changed.
    rotation_slots: u64,
    changed_at: SimTime,
}

/// A trial's capacity-fidelity state.
pub struct CapacityState {
    steps: RateSteps,
    /// Entry arrivals per second in the current span.
    entry_rate: f64,
    /// Metrics are integrated up to here.
    last: SimTime,
    current: Vec<Current>,
    pub services: Vec<Tally>,
    pub entry: Tally,
    /// ∫ visits in system dt after the warmup (Little: rate × mean time), in seconds.
    pub in_system_s: f64,
    /// Per service, and per route state: expected completions, for the histograms.
    weights: Vec<HashMap<StateKey, f64>>,
    route_weights: HashMap<Vec<StateKey>, f64>,
    /// Per service: busy slot-seconds since time zero (the autoscaler's measure).
    busy_total_s: Vec<f64>,
    /// Completed requests since time zero (the time series' throughput).
    pub completions_total: f64,
}

/// Histogram counts per expected request: the unit makes a trial's total about 2^40
/// counts, so tail atoms of rare states keep their weight and 10^4 merged trials stay
/// far below u64::MAX.
fn count_unit(model: &Model) -> f64 {
    let requests = model.rate_per_s.unwrap_or(0.0) * model.measured_s();
    (1u64 << 40) as f64 / requests.max(1.0)
}

impl Trial<'_> {
    /// Capacity fidelity: the first span's rate and the first rate change.
    pub(super) fn start_capacity(&mut self) {
        let model = self.model;
        let mut steps = RateSteps::new(&model.pattern, model.capacity_step, model.horizon);
        let first_end = steps.span_end(SimTime::ZERO);
        let current = (0..model.services.len())
            .map(|s| {
                let key = StateKey {
                    service: s as u32,
                    nodes: 0,
                    slow_nodes: 0,
                    slow_factor_bits: 1f32.to_bits(),
                    rate_bits: 0f32.to_bits(),
                };
                Current {
                    key,
                    stats: model.capacity_cache.state(model, key),
                    rate: 0.0,
                    error_share: 0.0,
                    rotation_slots: u64::MAX,
                    changed_at: SimTime::ZERO,
                }
            })
            .collect();
        self.capacity = Some(Box::new(CapacityState {
            steps,
            entry_rate: 0.0,
            last: SimTime::ZERO,
            current,
            services: vec![Tally::default(); model.services.len()],
            entry: Tally::default(),
            in_system_s: 0.0,
            weights: vec![HashMap::new(); model.services.len()],
            route_weights: HashMap::new(),
            busy_total_s: vec![0.0; model.services.len()],
            completions_total: 0.0,
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
        if let Some(end) = end.filter(|&e| e <= model.horizon) {
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
        let mut woken = Vec::new();
        for (s, svc) in model.services.iter().enumerate() {
            let pool = &self.pools[s];
            let rotation_slots = pool.rotation_slots.value();
            let in_rotation = (rotation_slots / svc.concurrency as u64) as u32;
            let serving = pool.serving.min(in_rotation);
            let rate = cap.entry_rate * svc.visits_per_request as f64;
            let error_share = if in_rotation == 0 {
                1.0
            } else {
                (in_rotation - serving) as f64 / in_rotation as f64
            };
            let has_slow = svc
                .failures
                .iter()
                .any(|f| matches!(f.effect, FailureEffect::Slow { .. }));
            // Slow serving nodes, and the harmonic mean of their factors.
            let (mut slow_nodes, mut slow_speed) = (0u32, 0.0);
            if has_slow {
                for i in (0..pool.life.len()).filter(|&i| pool.serving_flag[i]) {
                    if pool.slow_factor[i] > 1.0 {
                        slow_nodes += 1;
                        slow_speed += 1.0 / pool.slow_factor[i];
                    }
                }
            }
            let slow_factor = if slow_nodes > 0 {
                slow_nodes as f64 / slow_speed
            } else {
                1.0
            };
            let key = StateKey {
                service: s as u32,
                nodes: serving,
                slow_nodes,
                slow_factor_bits: (slow_factor as f32).to_bits(),
                rate_bits: ((rate * (1.0 - error_share)) as f32).to_bits(),
            };
            let cur = &mut cap.current[s];
            let same = key == cur.key
                && rate == cur.rate
                && error_share == cur.error_share
                && rotation_slots == cur.rotation_slots;
            if !same {
                woken.push((s, cur.stats.busy_slots, cur.rotation_slots));
                cur.changed_at = now;
            }
            (cur.rate, cur.error_share, cur.rotation_slots) = (rate, error_share, rotation_slots);
            if key != cur.key {
                let before = cur.stats.overloaded;
                cur.key = key;
                cur.stats = model.capacity_cache.state(model, key);
                if cur.stats.overloaded != before {
                    let cause = svc.overload_cause.expect("capacity fidelity");
                    let overloaded = cur.stats.overloaded;
                    self.availability
                        .set_overloaded(model, now, s, overloaded, cause);
                    let entry_up = self.availability.available(model.entry);
                    self.slo.entry_changed(now, entry_up);
                }
            }
        }
        self.capacity = Some(cap);
        for (s, busy_rate, offered_slots) in woken {
            self.wake_autoscaler(now, s, busy_rate, offered_slots);
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
        let accepted = cur.rate * (1.0 - cur.error_share) * (1.0 - st.dropped_share);
        let lost = accepted * st.sojourn_mean_s / cur.key.nodes as f64;
        for t in [&mut cap.services[s], &mut cap.entry] {
            let lost = lost.min(t.completed);
            t.completed -= lost;
            t.errors += lost;
        }
    }

    /// Integrates every metric over the span since the last event, up to `now`.
    pub(super) fn capacity_advance(&mut self, now: SimTime) {
        let model = self.model;
        let mut cap = self.capacity.take().expect("capacity fidelity");
        let all_s = (now - cap.last).as_secs_f64();
        let from = cap.last.max(model.warmup);
        let to = now.min(model.horizon);
        let dt = if to > from {
            (to - from).as_secs_f64()
        } else {
            0.0
        };
        cap.last = now;
        for (s, cur) in cap.current.iter().enumerate() {
            cap.busy_total_s[s] += cur.stats.busy_slots * all_s;
        }
        let route = self.route_outcome(&cap);
        cap.completions_total += cap.entry_rate * route.completed_share * all_s;
        if dt > 0.0 {
            cap.integrate(model, dt, &route);
            if let Some(target) = self.slo.latency_target() {
                let requests = cap.entry_rate * dt;
                let slow = match &route.keys {
                    Some(keys) if keys.len() == 1 => cap.current[keys[0].service as usize]
                        .stats
                        .sojourn
                        .tail(target.as_secs_f64()),
                    Some(keys) => model
                        .capacity_cache
                        .route(model, keys)
                        .tail(target.as_secs_f64()),
                    None => 1.0,
                };
                let completed = requests * route.completed_share;
                self.slo
                    .record_expected(completed, slow, requests - completed);
            }
        }
        self.capacity = Some(cap);
    }

    /// What becomes of a request along the route in the current states.
    fn route_outcome(&self, cap: &CapacityState) -> RouteOutcome {
        let mut out = RouteOutcome {
            completed_share: 1.0,
            ..RouteOutcome::default()
        };
        let mut keys = Vec::with_capacity(self.model.route.len());
        let mut known = true;
        let mut no_wait = 1.0;
        for &s in &self.model.route {
            let cur = &cap.current[s];
            let st = &cur.stats;
            let reach = out.completed_share;
            out.errors += reach * cur.error_share;
            let sent = reach * (1.0 - cur.error_share);
            out.dropped += sent * st.dropped_share;
            let accepted = sent * (1.0 - st.dropped_share);
            out.timed_out += accepted * st.timeout_share;
            out.completed_share = accepted * (1.0 - st.timeout_share);
            no_wait *= 1.0 - st.wait_probability;
            out.wait_mean_s += st.wait_mean_s;
            out.latency_mean_s += st.sojourn_mean_s;
            known &= !st.overloaded;
            keys.push(cur.key);
        }
        out.wait_probability = 1.0 - no_wait;
        out.keys = known.then_some(keys);
        out
    }
}

/// The end-to-end shares of one span (of requests arriving at the entry).
#[derive(Default)]
struct RouteOutcome {
    completed_share: f64,
    dropped: f64,
    timed_out: f64,
    errors: f64,
    wait_probability: f64,
    wait_mean_s: f64,
    latency_mean_s: f64,
    /// The route's state keys, unless some service is overloaded (latency unknown).
    keys: Option<Vec<StateKey>>,
}

impl CapacityState {
    /// Adds a measured span of `dt` seconds in the current states.
    fn integrate(&mut self, model: &Model, dt: f64, route: &RouteOutcome) {
        for (s, cur) in self.current.iter().enumerate() {
            let st = &cur.stats;
            let t = &mut self.services[s];
            let visits = cur.rate * dt;
            let sent = visits * (1.0 - cur.error_share);
            let accepted = sent * (1.0 - st.dropped_share);
            let timed_out = accepted * st.timeout_share;
            let completed = accepted - timed_out;
            t.visits += visits;
            t.errors += visits - sent;
            t.dropped += sent - accepted;
            t.started += accepted;
            t.timed_out += timed_out;
            t.completed += completed;
            t.busy_slot_s += st.busy_slots * dt;
            if !st.overloaded && completed > 0.0 {
                t.queued += accepted * st.wait_probability;
                t.wait_s += accepted * st.wait_mean_s;
                t.latency_n += completed;
                t.latency_s += completed * st.sojourn_mean_s;
                let timeout_s = model.services[s].timeout.map_or(0.0, |x| x.as_secs_f64());
                self.in_system_s += completed * st.sojourn_mean_s + timed_out * timeout_s;
                *self.weights[s].entry(cur.key).or_insert(0.0) += completed;
            }
        }
        let requests = self.entry_rate * dt;
        let e = &mut self.entry;
        let completed = requests * route.completed_share;
        e.visits += requests;
        e.completed += completed;
        e.dropped += requests * route.dropped;
        e.timed_out += requests * route.timed_out;
        e.errors += requests * route.errors;
        if let Some(keys) = &route.keys
            && completed > 0.0
        {
            e.started += completed;
            e.queued += completed * route.wait_probability;
            e.wait_s += completed * route.wait_mean_s;
            e.latency_n += completed;
            e.latency_s += completed * route.latency_mean_s;
            if keys.len() > 1 {
                *self.route_weights.entry(keys.clone()).or_insert(0.0) += completed;
            }
        }
        debug_assert!(
            (e.visits - e.completed - e.dropped - e.timed_out - e.errors).abs()
                <= 1e-9 * e.visits.max(1.0),
            "conservation of expected requests"
        );
    }

    /// The latency histograms: per service, and end to end (the entry's own when the
    /// route is one service).
    pub fn histograms(&self, model: &Model) -> (Vec<LatencyHistogram>, LatencyHistogram) {
        let unit = count_unit(model);
        let record = |hist: &mut LatencyHistogram, atoms: &Atoms, weight: f64| {
            for &(v, p) in &atoms.0 {
                let n = (weight * p * unit).round() as u64;
                if n > 0 && v.is_finite() {
                    hist.record_n(SimTime::from_secs_f64(v), n);
                }
            }
        };
        let per_service: Vec<LatencyHistogram> = self
            .weights
            .iter()
            .map(|w| {
                let mut hist = LatencyHistogram::default();
                for (&key, &weight) in w {
                    record(
                        &mut hist,
                        &model.capacity_cache.state(model, key).sojourn,
                        weight,
                    );
                }
                hist
            })
            .collect();
        let end_to_end = if model.route.len() == 1 {
            per_service[model.route[0]].clone()
        } else {
            let mut hist = LatencyHistogram::default();
            for (keys, &weight) in &self.route_weights {
                record(&mut hist, &model.capacity_cache.route(model, keys), weight);
            }
            hist
        };
        (per_service, end_to_end)
    }

    /// Per service now: expected visits waiting (Little), and the p99 visit time (NaN
    /// when overloaded or idle): the time series' view.
    pub fn sample(&self, s: usize) -> (f64, f64) {
        let cur = &self.current[s];
        let st = &cur.stats;
        let accepted = cur.rate * (1.0 - cur.error_share) * (1.0 - st.dropped_share);
        if st.overloaded || accepted <= 0.0 {
            return (f64::NAN, f64::NAN);
        }
        (accepted * st.wait_mean_s, st.sojourn.quantile(0.99))
    }

    /// Requests in the system now (Little: rate × mean time, over every service).
    pub fn in_system_now(&self) -> f64 {
        self.current
            .iter()
            .filter(|c| !c.stats.overloaded)
            .map(|c| {
                c.rate
                    * (1.0 - c.error_share)
                    * (1.0 - c.stats.dropped_share)
                    * c.stats.sojourn_mean_s
            })
            .sum()
    }
}
