//! Time series of one trial: one row every `sample_every`, from the first sample time to
//! the horizon, warmup included (so the transient shows). A sample sees the state before
//! any other event of its instant (an autoscaler's tick at the same time shows in the
//! next row). `arrival_rate` is the pattern's
//! intended rate at the sample time; rates, utilisations and p99 are over the interval
//! before the sample time; counts are values at that instant. A value undefined in a trial
//! (a p99 with no request in the interval) is NaN there and left out of the average.

use super::pool::Pool;
use super::trial::Trial;
use super::{Event, Model};
use crate::time::SimTime;

/// Per-service columns, in row order after the whole-system ones.
const SERVICE_COLUMNS: [&str; 6] = [
    "utilization",
    "queued",
    "nodes_in_rotation",
    "nodes_booting",
    "nodes_desired",
    "latency_p99_s",
];

/// Column names, in row order: the whole system, then each service.
pub fn columns(model: &Model) -> Vec<String> {
    let mut cols: Vec<String> = ["time_s", "arrival_rate", "throughput_rps", "in_system"]
        .iter()
        .map(|c| c.to_string())
        .collect();
    for svc in &model.services {
        for c in SERVICE_COLUMNS {
            cols.push(format!("{}.{c}", svc.name));
        }
    }
    cols
}

/// Collects rows during a trial.
pub struct SeriesRecorder {
    every: SimTime,
    /// Row-major samples.
    pub rows: Vec<f64>,
    last_time: SimTime,
    last_completions: f64,
    last_busy: Vec<f64>,
    last_slots: Vec<u128>,
}

/// One service at a sample time, as the trial's fidelity measures it.
pub struct ServiceSample {
    /// Busy slot-nanoseconds since time zero.
    pub busy_total: f64,
    /// Requests waiting now.
    pub queued: f64,
    /// p99 visit time over the last interval (request fidelity) or of the state now
    /// (capacity fidelity); NaN when undefined.
    pub p99_s: f64,
}

impl SeriesRecorder {
    /// A recorder sampling every `every` (> 0: the scenario validates it).
    pub fn new(model: &Model, every: SimTime) -> Self {
        debug_assert!(every > SimTime::ZERO, "sample_every must be positive");
        let n = model.services.len();
        let samples = (model.horizon.0 / every.0) as usize;
        SeriesRecorder {
            every,
            rows: Vec::with_capacity(samples * (4 + SERVICE_COLUMNS.len() * n)),
            last_time: SimTime::ZERO,
            last_completions: 0.0,
            last_busy: vec![0.0; n],
            last_slots: vec![0; n],
        }
    }

    /// The first sample time.
    pub fn first(&self) -> SimTime {
        self.every
    }

    /// The sample time after `now`.
    pub fn next_after(&self, now: SimTime) -> SimTime {
        now.saturating_add(self.every)
    }

    /// Appends the row for time `now`: `rate` is the pattern's arrival rate then,
    /// `completions` count since time zero.
    pub fn record(
        &mut self,
        now: SimTime,
        rate: f64,
        completions: f64,
        in_system: f64,
        services: &[ServiceSample],
        pools: &mut [Pool],
    ) {
        let dt_s = (now - self.last_time).as_secs_f64();
        self.rows.push(now.as_secs_f64());
        self.rows.push(rate);
        self.rows.push((completions - self.last_completions) / dt_s);
        self.rows.push(in_system);
        for (i, (pool, sample)) in pools.iter_mut().zip(services).enumerate() {
            let slots = pool.rotation_slots.total_until(now);
            let d_slots = slots - self.last_slots[i];
            let utilization = if d_slots > 0 {
                (sample.busy_total - self.last_busy[i]) / d_slots as f64
            } else {
                0.0
            };
            self.rows.extend([
                utilization,
                sample.queued,
                pool.rotation_len() as f64,
                pool.booting_count() as f64,
                pool.desired as f64,
                sample.p99_s,
            ]);
            self.last_busy[i] = sample.busy_total;
            self.last_slots[i] = slots;
        }
        self.last_time = now;
        self.last_completions = completions;
    }
}

impl Trial<'_> {
    /// Appends a time-series row and schedules the next sample.
    pub(super) fn on_sample(&mut self, now: SimTime) {
        let (completions, in_system, services) = match &self.capacity {
            Some(cap) => {
                let services = (0..self.pools.len())
                    .map(|s| {
                        let (queued, p99_s) = cap.sample(s);
                        ServiceSample {
                            busy_total: self.capacity_busy_ns(s).expect("capacity fidelity"),
                            queued,
                            p99_s,
                        }
                    })
                    .collect::<Vec<_>>();
                (
                    cap.completions_total,
                    cap.in_system_now(self.model),
                    services,
                )
            }
            None => {
                let services = self
                    .pools
                    .iter_mut()
                    .map(|pool| ServiceSample {
                        busy_total: pool.busy_slots.total_until(now) as f64,
                        queued: pool.queued() as f64,
                        p99_s: pool
                            .interval_latency
                            .take_quantile_s(0.99)
                            .unwrap_or(f64::NAN),
                    })
                    .collect::<Vec<_>>();
                let in_system = self.in_system.value() as f64;
                (self.all_completions as f64, in_system, services)
            }
        };
        let rate = self.arrivals.rate_at(now);
        self.series.record(
            now,
            rate,
            completions,
            in_system,
            &services,
            &mut self.pools,
        );
        self.queue
            .schedule_first(self.series.next_after(now), Event::Sample);
        (self.reached)(now);
    }
}
