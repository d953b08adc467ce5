//! Which services are available, and the outage log.
//!
//! A service is *locally up* when its redundancy condition holds over its serving nodes,
//! and *available* when it is locally up and every service it calls is available
//! (transitively). An outage is a maximal interval of unavailability; it is attributed to
//! the event that started it (the root cause travels to the callers it takes down).
//! Statistics count the part of each outage after the warmup. In capacity fidelity a
//! service is also locally down while overloaded. A service that goes down the instant
//! an outage of it ends (one failure repaired as another strikes) is in one outage, not
//! two.

use super::{CauseId, Model};
use crate::metrics::{OutageRecord, TimeWeighted};
use crate::scenario::ServiceId;
use crate::time::SimTime;

/// One service's availability during a trial.
struct ServiceState {
    /// The redundancy condition holds.
    structural_up: bool,
    /// Capacity fidelity: offered load at or above capacity.
    overloaded: bool,
    local_up: bool,
    available: bool,
    /// 1 while available.
    up: TimeWeighted,
    /// Start and cause of the outage in progress.
    down_since: Option<(SimTime, CauseId)>,
    /// Outages overlapping the measured span, and their down time within it.
    outages: u64,
    down_ns: u128,
    /// Where in the log its latest ended outage is.
    last_closed: Option<usize>,
}

/// Availability of every service, and the outages they had.
pub struct AvailabilityLog {
    services: Vec<ServiceState>,
    warmup: SimTime,
    /// Every outage of every service (start, end and cause), for `outages.csv`.
    pub records: Vec<OutageRecord>,
    /// The entry service's down time after the warmup, by cause.
    pub entry_down_by_cause_ns: Vec<u128>,
}

/// A service's availability figures at the end of a trial.
pub struct ServiceAvailability {
    pub up_ns: u128,
    pub down_ns: u128,
    pub outages: u64,
}

impl AvailabilityLog {
    /// Every service up at time zero.
    pub fn new(model: &Model) -> Self {
        let services = model
            .services
            .iter()
            .map(|_| ServiceState {
                structural_up: true,
                overloaded: false,
                local_up: true,
                available: true,
                up: TimeWeighted::new(1, model.warmup),
                down_since: None,
                outages: 0,
                down_ns: 0,
                last_closed: None,
            })
            .collect();
        AvailabilityLog {
            services,
            warmup: model.warmup,
            records: Vec::new(),
            entry_down_by_cause_ns: vec![0; model.causes.len()],
        }
    }

    /// The warmup ends at `now` (see `TimeWeighted::pass_warmup`).
    pub fn pass_warmup(&mut self, now: SimTime) {
        for st in &mut self.services {
            st.up.pass_warmup(now);
        }
    }

    /// Whether service `s` is available.
    pub fn available(&self, s: ServiceId) -> bool {
        self.services[s].available
    }

    /// Service `s`'s own redundancy condition became `up` at `now`; availability follows
    /// through the callers, attributing any outage that starts to `cause`.
    pub fn set_local(
        &mut self,
        model: &Model,
        now: SimTime,
        s: ServiceId,
        up: bool,
        cause: CauseId,
    ) {
        self.services[s].structural_up = up;
        self.update_local(model, now, s, cause);
    }

    /// Capacity fidelity: service `s`'s offered load reached (or left) its capacity at
    /// `now`; an overloaded service is down.
    pub fn set_overloaded(
        &mut self,
        model: &Model,
        now: SimTime,
        s: ServiceId,
        overloaded: bool,
        cause: CauseId,
    ) {
        self.services[s].overloaded = overloaded;
        self.update_local(model, now, s, cause);
    }

    fn update_local(&mut self, model: &Model, now: SimTime, s: ServiceId, cause: CauseId) {
        let st = &self.services[s];
        let up = st.structural_up && !st.overloaded;
        if st.local_up == up {
            return;
        }
        self.services[s].local_up = up;
        let mut changed = vec![s];
        while let Some(x) = changed.pop() {
            let available = self.services[x].local_up
                && model.services[x]
                    .calls
                    .iter()
                    .all(|&c| self.services[c].available);
            if available == self.services[x].available {
                continue;
            }
            self.flip(model, now, x, available, cause);
            changed.extend(model.services[x].callers.iter().copied());
        }
    }

    fn flip(&mut self, model: &Model, now: SimTime, s: ServiceId, available: bool, cause: CauseId) {
        let st = &mut self.services[s];
        st.available = available;
        st.up.set(now, available as u64);
        if !available {
            st.down_since = Some((now, cause));
            if let Some(i) = st.last_closed
                && self.records[i].end == now
            {
                // Down again the instant it came back: the outage it ended goes on.
                self.reopen(model, s, i);
            }
            return;
        }
        let (start, cause) = st.down_since.take().expect("an outage was in progress");
        self.close(model, s, start, now, cause);
    }

    /// Logs the outage of `s` over [start, end]; zero-length outages (a dip and a
    /// recovery at the same instant) are not outages.
    fn close(&mut self, model: &Model, s: ServiceId, start: SimTime, end: SimTime, cause: CauseId) {
        if end == start {
            return;
        }
        let clipped = end.0.saturating_sub(start.0.max(self.warmup.0)) as u128;
        if end > self.warmup {
            let st = &mut self.services[s];
            st.outages += 1;
            st.down_ns += clipped;
            if s == model.entry {
                self.entry_down_by_cause_ns[cause as usize] += clipped;
            }
        }
        self.records.push(OutageRecord {
            service: s as u32,
            start,
            end,
            cause,
        });
        self.services[s].last_closed = Some(self.records.len() - 1);
    }

    /// Takes the ended outage `i` of `s` out of the log and its counts: it is in progress
    /// again, from its own start and with its own cause.
    fn reopen(&mut self, model: &Model, s: ServiceId, i: usize) {
        let r = self.records.remove(i);
        for st in &mut self.services {
            st.last_closed = match st.last_closed {
                Some(j) if j > i => Some(j - 1),
                Some(j) if j == i => None,
                other => other,
            };
        }
        if r.end > self.warmup {
            let clipped = r.end.0.saturating_sub(r.start.0.max(self.warmup.0)) as u128;
            let st = &mut self.services[s];
            st.outages -= 1;
            st.down_ns -= clipped;
            if s == model.entry {
                self.entry_down_by_cause_ns[r.cause as usize] -= clipped;
            }
        }
        self.services[s].down_since = Some((r.start, r.cause));
    }

    /// Closes the trial at the horizon: outages still in progress end there.
    pub fn finish(&mut self, model: &Model) -> Vec<ServiceAvailability> {
        let horizon = model.horizon;
        let mut out = Vec::with_capacity(self.services.len());
        for s in 0..self.services.len() {
            if let Some((start, cause)) = self.services[s].down_since.take() {
                self.close(model, s, start, horizon, cause);
            }
            let st = &mut self.services[s];
            let up_ns = st.up.integral_until(horizon);
            debug_assert_eq!(
                up_ns + st.down_ns,
                (horizon - self.warmup).0 as u128,
                "up time and logged down time must cover the measured span of {}",
                model.services[s].name
            );
            out.push(ServiceAvailability {
                up_ns,
                down_ns: st.down_ns,
                outages: st.outages,
            });
        }
        out
    }
}
