//! Turns a finished trial's counters and integrals into named observations
//! (DESIGN section 5; per-service metrics under `services.<name>.`).

use std::collections::BTreeMap;

use super::Model;
use super::availability::ServiceAvailability;
use super::data::{DataCounts, DataState};
use super::pool::Pool;
use super::trial::Totals;
use crate::metrics::{LatencyHistogram, Observation, TrialResult};
use crate::time::SimTime;

/// Quantiles reported for every latency histogram, with their metric suffixes.
pub const QUANTILES: [(&str, f64); 4] =
    [("p50", 0.50), ("p95", 0.95), ("p99", 0.99), ("p999", 0.999)];

const NS: f64 = 1e9;

/// 365 days, the year of `downtime_minutes_per_year` and `outages_per_year`.
pub const SECONDS_PER_YEAR: f64 = 365.0 * 86_400.0;

struct Sink {
    metrics: BTreeMap<String, Observation>,
    histograms: BTreeMap<String, LatencyHistogram>,
}

impl Sink {
    fn ratio(&mut self, name: String, num: f64, den: f64) {
        self.metrics.insert(name, Observation::Ratio { num, den });
    }

    fn value(&mut self, name: String, v: f64) {
        self.metrics.insert(name, Observation::Value(v));
    }

    /// `availability`, `downtime_minutes_per_year`, `outages_per_year`,
    /// `outage_duration_mean_s` and `up_time_mean_s` (MUT: up time per outage).
    fn availability(&mut self, prefix: &str, a: &ServiceAvailability, measured_s: f64, years: f64) {
        let (up_s, down_s) = (a.up_ns as f64 / NS, a.down_ns as f64 / NS);
        let availability = up_s / measured_s;
        debug_assert!(
            (0.0..=1.0).contains(&availability),
            "availability {availability}"
        );
        if a.outages > 0 {
            // A = MUT / (MUT + MDT), with MUT and MDT from the outage log.
            let (mut_s, mdt_s) = (up_s / a.outages as f64, down_s / a.outages as f64);
            debug_assert!((availability - mut_s / (mut_s + mdt_s)).abs() < 1e-9);
        }
        self.value(format!("{prefix}availability"), availability);
        self.value(
            format!("{prefix}downtime_minutes_per_year"),
            (1.0 - availability) * 525_600.0,
        );
        self.value(
            format!("{prefix}outages_per_year"),
            a.outages as f64 / years,
        );
        let n = a.outages as f64;
        self.ratio(format!("{prefix}outage_duration_mean_s"), down_s, n);
        self.ratio(format!("{prefix}up_time_mean_s"), up_s, n);
    }

    /// `nodes_mean`, `node_hours`, `cost` (over the measured span), `cost_per_year`, and at
    /// the top level `cost_per_million_requests` (per successful request).
    fn cost(
        &mut self,
        prefix: &str,
        node_s: f64,
        cost: f64,
        measured_s: f64,
        completed: Option<f64>,
    ) {
        self.value(format!("{prefix}nodes_mean"), node_s / measured_s);
        self.value(format!("{prefix}node_hours"), node_s / 3_600.0);
        self.value(format!("{prefix}cost"), cost);
        self.value(
            format!("{prefix}cost_per_year"),
            cost / measured_s * SECONDS_PER_YEAR,
        );
        if let Some(n) = completed {
            self.ratio(format!("{prefix}cost_per_million_requests"), cost * 1e6, n);
        }
    }

    /// `<prefix>latency_p50_s` ... from histogram `<prefix>latency`.
    fn quantiles(&mut self, prefix: &str, hist: LatencyHistogram) {
        let histogram = format!("{prefix}latency");
        for (suffix, q) in QUANTILES {
            let value = hist.quantile_s(q);
            self.metrics.insert(
                format!("{prefix}latency_{suffix}_s"),
                Observation::Quantile {
                    histogram: histogram.clone(),
                    q,
                    value,
                },
            );
        }
        self.histograms.insert(histogram, hist);
    }
}

/// What a trial counted at the entry (end to end) or at one service, in one shape for
/// both fidelities: counts in request fidelity, expected counts in capacity fidelity.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub visits: f64,
    pub completed: f64,
    pub dropped: f64,
    pub timed_out: f64,
    pub errors: f64,
    /// Visits that reached a slot (entry: completed requests), and those that queued.
    pub started: f64,
    pub queued: f64,
    pub wait_s: f64,
    /// Completions with a known latency, and the sum of their latencies.
    pub latency_n: f64,
    pub latency_s: f64,
    /// Time in system of the visits that left (succeeded or not), and how many left.
    pub sojourn_s: f64,
    pub exited: f64,
    /// Busy slot-seconds.
    pub busy_slot_s: f64,
}

impl Tally {
    /// Requests whose outcome is known (in flight at the horizon: censored, not failed).
    pub fn resolved(&self) -> f64 {
        // In this order, as ever: capacity fidelity's counts are fractional, and another
        // order would move the ratios' last bits.
        self.completed + self.dropped + self.timed_out + self.errors
    }

    /// Requests that failed, whatever the reason: dropped, timed out or in error.
    pub fn failed(&self) -> f64 {
        self.dropped + self.timed_out + self.errors
    }
}

/// The request fidelity's entry counters as a [`Tally`].
pub(super) fn entry_tally(t: &Totals) -> Tally {
    Tally {
        visits: t.arrived as f64,
        completed: t.completed as f64,
        dropped: t.dropped as f64,
        timed_out: t.timed_out as f64,
        errors: t.errors as f64,
        started: t.completed as f64,
        queued: t.queued_any as f64,
        wait_s: t.wait_ns as f64 / NS,
        latency_n: t.completed as f64,
        latency_s: t.latency_ns as f64 / NS,
        sojourn_s: t.sojourn_ns as f64 / NS,
        exited: t.exited as f64,
        busy_slot_s: 0.0,
    }
}

/// The request fidelity's counters of one service as a [`Tally`].
pub(super) fn service_tally(pool: &mut Pool, horizon: SimTime) -> Tally {
    let c = &pool.counters;
    Tally {
        visits: (c.completed + c.dropped + c.timed_out + c.errors) as f64,
        completed: c.completed as f64,
        dropped: c.dropped as f64,
        timed_out: c.timed_out as f64,
        errors: c.errors as f64,
        started: c.started as f64,
        queued: c.queued as f64,
        wait_s: c.wait_ns as f64 / NS,
        latency_n: c.completed as f64,
        latency_s: c.latency_ns as f64 / NS,
        sojourn_s: 0.0,
        exited: 0.0,
        busy_slot_s: pool.busy_slots.integral_until(horizon) as f64 / NS,
    }
}

/// What a trial measured, ready to name.
pub(super) struct Measured {
    pub entry: Tally,
    pub services: Vec<Tally>,
    pub end_to_end: LatencyHistogram,
    pub service_latency: Vec<LatencyHistogram>,
    /// ∫ requests in system dt after the warmup, in seconds.
    pub in_system_s: f64,
}

/// The trial's observations.
pub(super) fn trial_result(
    trial: u64,
    model: &Model,
    pools: &mut [Pool],
    m: Measured,
    availability: &[ServiceAvailability],
) -> TrialResult {
    let measured_s = model.measured_s();
    let mut sink = Sink {
        metrics: BTreeMap::new(),
        histograms: BTreeMap::new(),
    };
    let t = &m.entry;
    let resolved = t.resolved();
    sink.value("arrival_rate_rps".into(), t.visits / measured_s);
    sink.value("throughput_rps".into(), t.completed / measured_s);
    sink.ratio("request_success_ratio".into(), t.completed, resolved);
    sink.ratio("dropped_ratio".into(), t.dropped, resolved);
    sink.ratio("timeout_ratio".into(), t.timed_out, resolved);
    sink.ratio("error_ratio".into(), t.errors, resolved);
    sink.ratio("failed_ratio".into(), t.failed(), resolved);
    sink.ratio("latency_mean_s".into(), t.latency_s, t.latency_n);
    sink.ratio("wait_mean_s".into(), t.wait_s, t.started);
    sink.ratio("wait_probability".into(), t.queued, t.started);
    sink.ratio("sojourn_mean_s".into(), t.sojourn_s, t.exited);
    sink.value("in_system_mean".into(), m.in_system_s / measured_s);
    sink.quantiles("", m.end_to_end);

    let (mut busy_all, mut slots_all) = (0.0, 0.0);
    let (mut nodes_all, mut cost_all) = (0.0, 0.0);
    for (s, (pool, svc)) in pools.iter_mut().zip(&model.services).enumerate() {
        let p = format!("services.{}.", svc.name);
        let c = &m.services[s];
        let slots = pool.rotation_slots.integral_until(model.horizon) as f64 / NS;
        busy_all += c.busy_slot_s;
        slots_all += slots;
        sink.ratio(format!("{p}utilization"), c.busy_slot_s, slots);
        let node_s = pool.provisioned.integral_until(model.horizon) as f64 / NS;
        let cost = node_s / 3_600.0 * svc.cost_per_hour;
        nodes_all += node_s;
        cost_all += cost;
        sink.cost(&p, node_s, cost, measured_s, None);
        sink.value(format!("{p}throughput_rps"), c.completed / measured_s);
        let visits = c.resolved();
        sink.ratio(format!("{p}request_success_ratio"), c.completed, visits);
        sink.ratio(format!("{p}dropped_ratio"), c.dropped, visits);
        sink.ratio(format!("{p}timeout_ratio"), c.timed_out, visits);
        sink.ratio(format!("{p}error_ratio"), c.errors, visits);
        sink.ratio(format!("{p}failed_ratio"), c.failed(), visits);
        sink.ratio(format!("{p}latency_mean_s"), c.latency_s, c.latency_n);
        sink.ratio(format!("{p}wait_mean_s"), c.wait_s, c.started);
        sink.ratio(format!("{p}wait_probability"), c.queued, c.started);
        sink.quantiles(&p, m.service_latency[s].clone());
    }
    sink.ratio("utilization".into(), busy_all, slots_all);
    sink.cost("", nodes_all, cost_all, measured_s, Some(t.completed));
    let years = measured_s / SECONDS_PER_YEAR;
    sink.availability("", &availability[model.entry], measured_s, years);
    for (svc, a) in model.services.iter().zip(availability) {
        sink.availability(&format!("services.{}.", svc.name), a, measured_s, years);
    }
    TrialResult {
        trial,
        metrics: sink.metrics,
        histograms: sink.histograms,
        timeseries: Vec::new(),
        outages: Vec::new(),
        downtime_by_cause_s: Vec::new(),
    }
}

/// The data-protection metrics (only when some service has `data`): at the top level summed
/// over the storage services, and per service under `services.<name>.`.
///
/// `data_loss_events_per_year` counts loss events (a moment at which chunks lose their
/// last replica) and noticed corruptions; `data_loss_probability` is 1 in a trial with at least one; `chunks_lost_mean`
/// (chunks per replica-loss event), `rpo_mean_s`, `rto_mean_s` (per restore), `rpo_max_s`
/// (the trial's largest) and `time_to_first_data_loss_s` (from time zero) are pooled.
/// `durability` is derived across trials from the event rate (`stats::add_durability`).
pub(super) fn data_metrics(
    metrics: &mut BTreeMap<String, Observation>,
    model: &Model,
    data: &[Option<DataState>],
) {
    if data.iter().all(Option::is_none) {
        return;
    }
    let years = model.measured_s() / SECONDS_PER_YEAR;
    let mut total = DataCounts::default();
    for (svc, st) in model.services.iter().zip(data) {
        let Some(st) = st else { continue };
        let c = &st.counts;
        data_observations(metrics, &format!("services.{}.", svc.name), c, years);
        total.loss_events += c.loss_events;
        total.corruption_events += c.corruption_events;
        total.chunks_lost += c.chunks_lost;
        total.restores += c.restores;
        total.rpo_sum_s += c.rpo_sum_s;
        total.rpo_max_s = total.rpo_max_s.max(c.rpo_max_s);
        total.rto_sum_s += c.rto_sum_s;
        total.first_loss = match (total.first_loss, c.first_loss) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    data_observations(metrics, "", &total, years);
}

fn data_observations(
    metrics: &mut BTreeMap<String, Observation>,
    prefix: &str,
    c: &DataCounts,
    years: f64,
) {
    let events = c.loss_events + c.corruption_events;
    let mut put = |name: &str, o: Observation| {
        metrics.insert(format!("{prefix}{name}"), o);
    };
    let ratio = |num: f64, den: f64| Observation::Ratio { num, den };
    put(
        "data_loss_events_per_year",
        Observation::Value(events as f64 / years),
    );
    put(
        "corruption_events_per_year",
        Observation::Value(c.corruption_events as f64 / years),
    );
    put(
        "data_loss_probability",
        Observation::Value((events > 0) as u8 as f64),
    );
    put(
        "chunks_lost_mean",
        ratio(c.chunks_lost as f64, c.loss_events as f64),
    );
    put("rpo_mean_s", ratio(c.rpo_sum_s, c.restores as f64));
    put(
        "rpo_max_s",
        ratio(c.rpo_max_s, (c.restores > 0) as u8 as f64),
    );
    put("rto_mean_s", ratio(c.rto_sum_s, c.restores as f64));
    let first = c.first_loss.map_or(0.0, |t| t.as_secs_f64());
    put(
        "time_to_first_data_loss_s",
        ratio(first, c.first_loss.is_some() as u8 as f64),
    );
}
