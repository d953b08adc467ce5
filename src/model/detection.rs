//! What the balancer knows: health checks, rotation, active-standby failover, and the
//! consequences of a node's change of state for its requests and its service.
//!
//! Health checks are simulated exactly but without an event per probe: node i is probed at
//! `phase_i + k·interval`; when the probe outcome flips, the verdict flips at the
//! `threshold`-th probe after the flip unless the outcome flips back first (a pending
//! verdict is cancelled by bumping the node's `health_gen`). A probe fails when the node is
//! down or cut off, or when its slowed mean service time exceeds the probe timeout.

use super::Event;
use super::pool::Life;
use super::request::Phase;
use super::trial::{Failure, Trial};
use crate::scenario::Redundancy;
use crate::time::SimTime;

impl Trial<'_> {
    /// Node `i` of service `s` changed (down, cut off, slow, or back): frees its work if it
    /// stopped working, updates the health verdict, rotation and service state.
    pub(super) fn node_changed(&mut self, now: SimTime, s: usize, i: usize) {
        let working = self.pools[s].working(i);
        if self.pools[s].was_working[i] && !working {
            self.capacity_node_lost(now, s, i);
            self.drop_node_work(now, s, i);
        }
        if working && !self.pools[s].was_working[i] {
            // A node back without its replicas reports them missing (HDFS: its block
            // report), even if the health check never marked it dead.
            self.data_detected(now, s, i);
        }
        self.pools[s].was_working[i] = working;
        if !self.pools[s].joined(i) {
            // No verdict will turn unhealthy for a node that never joined (booted failing
            // its checks, or failing them before the first pass).
            self.replace_if_failing(now, s, i);
        }
        if self.pools[s].slots[i].life == Life::Off {
            // A terminated node is deregistered at once: no probes, no verdict to wait for.
            let pool = &mut self.pools[s];
            pool.probe_passes[i] = false;
            pool.health_gen[i] = pool.health_gen[i].wrapping_add(1);
            self.set_healthy(now, s, i, false);
            self.refresh_node(now, s, i);
            return;
        }
        match &self.model.services[s].health_check {
            None => self.set_healthy(now, s, i, working),
            Some(hc) => {
                let ok = self.probe_ok(s, i);
                let pool = &mut self.pools[s];
                // A pending verdict stays valid while the probe outcome does not change
                // (a second failure does not restart the count of failed probes).
                if ok == pool.probe_passes[i] {
                    self.refresh_node(now, s, i);
                    return;
                }
                pool.probe_passes[i] = ok;
                pool.health_gen[i] = pool.health_gen[i].wrapping_add(1);
                if ok != pool.healthy[i] {
                    let threshold = if ok && !pool.joined(i) {
                        1
                    } else if ok {
                        hc.healthy_threshold
                    } else {
                        hc.unhealthy_threshold
                    };
                    let first = next_probe_after(now, pool.probe_phase[i], hc.interval);
                    let at = SimTime(first.0 + (threshold as u64 - 1) * hc.interval.0);
                    let generation = pool.health_gen[i];
                    self.queue.schedule(
                        at,
                        Event::HealthChange {
                            service: s as u32,
                            node: i as u32,
                            generation,
                        },
                    );
                }
            }
        }
        self.refresh_node(now, s, i);
    }

    /// Whether a probe of node `i` passes now.
    pub(super) fn probe_ok(&self, s: usize, i: usize) -> bool {
        let svc = &self.model.services[s];
        let pool = &self.pools[s];
        let fast_enough = svc
            .health_check
            .as_ref()
            .and_then(|hc| hc.timeout)
            .is_none_or(|t| svc.mean_service_s * pool.slots[i].slow_factor <= t.as_secs_f64());
        pool.working(i) && fast_enough
    }

    pub(super) fn on_health_change(&mut self, now: SimTime, s: usize, i: usize, generation: u32) {
        if self.pools[s].health_gen[i] != generation {
            return;
        }
        self.cause = self.pools[s].last_cause[i];
        let verdict = self.probe_ok(s, i);
        self.set_healthy(now, s, i, verdict);
        self.refresh_node(now, s, i);
    }

    /// The health verdict on node `i` becomes `healthy`; active-standby reacts to it.
    fn set_healthy(&mut self, now: SimTime, s: usize, i: usize, healthy: bool) {
        let pool = &mut self.pools[s];
        if pool.healthy[i] == healthy {
            return;
        }
        pool.healthy[i] = healthy;
        if healthy {
            pool.set_joined(i, true);
        }
        self.data_detected(now, s, i);
        if !healthy {
            self.consider_replacement(now, s, i);
        }
        let pool = &mut self.pools[s];
        if !matches!(
            self.model.services[s].redundancy,
            Redundancy::ActiveStandby { .. }
        ) {
            return;
        }
        if !healthy && pool.primary == Some(i) {
            pool.primary = None;
            self.start_failover(now, s);
        } else if !healthy && pool.failover_to == Some(i) {
            // The target failed during the failover: abort it and try another node.
            pool.failover_to = None;
            self.start_failover(now, s);
        } else if healthy && pool.primary.is_none() && pool.failover_to.is_none() {
            self.start_failover(now, s);
        }
    }

    /// Starts a failover to the first healthy node, if any (otherwise the next node to
    /// become healthy starts one).
    fn start_failover(&mut self, now: SimTime, s: usize) {
        let Redundancy::ActiveStandby { failover } = self.model.services[s].redundancy else {
            return;
        };
        let pool = &mut self.pools[s];
        pool.failover_gen = pool.failover_gen.wrapping_add(1);
        pool.failover_to = (0..pool.healthy.len()).find(|&j| pool.healthy[j]);
        if pool.failover_to.is_some() {
            let generation = pool.failover_gen;
            self.queue.schedule(
                now.saturating_add(failover),
                Event::FailoverDone {
                    service: s as u32,
                    generation,
                },
            );
        }
    }

    pub(super) fn on_failover_done(&mut self, now: SimTime, s: usize, generation: u32) {
        let pool = &mut self.pools[s];
        if pool.failover_gen != generation {
            return;
        }
        let Some(target) = pool.failover_to.take() else {
            return;
        };
        pool.primary = Some(target);
        self.refresh_node(now, s, target);
    }

    /// Recomputes node `i`'s rotation and serving state, then its service's state.
    pub(super) fn refresh_node(&mut self, now: SimTime, s: usize, i: usize) {
        let svc = &self.model.services[s];
        let pool = &mut self.pools[s];
        pool.node_changes += 1;
        let was_serving = pool.serving_flag[i];
        let standby = matches!(svc.redundancy, Redundancy::ActiveStandby { .. });
        let rotation = pool.healthy[i]
            && pool.slots[i].life == Life::Active
            && (!standby || pool.primary == Some(i));
        if rotation != pool.loads[i].in_rotation {
            let before = pool.offered_slots(i, svc.concurrency);
            pool.set_rotation(i, rotation);
            let after = pool.offered_slots(i, svc.concurrency);
            let total = pool.rotation_slots.value() + after - before;
            pool.rotation_slots.set(now, total);
        }
        let serving = pool.is_serving(i);
        if serving != was_serving {
            pool.serving_flag[i] = serving;
            if serving {
                pool.serving += 1;
            } else {
                pool.serving -= 1;
            }
        }
        let up = match svc.redundancy {
            Redundancy::ActiveActive { min_healthy } => pool.serving >= min_healthy,
            Redundancy::Quorum => 2 * pool.serving as usize > svc.nodes,
            Redundancy::ActiveStandby { .. } => pool.primary.is_some_and(|p| pool.is_serving(p)),
        };
        self.availability
            .set_local(self.model, now, s, up, self.cause);
        let entry_up = self.availability.available(self.model.entry);
        self.slo.entry_changed(now, entry_up);
        if serving && !was_serving && self.pools[s].shared_queue {
            for _ in 0..svc.concurrency {
                if !self.start_next_waiting(now, s, i) {
                    break;
                }
            }
        }
    }

    /// Node `i` stopped working: its slots are freed at once (the requests in service there
    /// fail when their `ServiceDone` finds the node's epoch changed) and the requests queued
    /// at it fail now.
    fn drop_node_work(&mut self, now: SimTime, s: usize, i: usize) {
        let concurrency = self.model.services[s].concurrency;
        let pool = &mut self.pools[s];
        pool.slots[i].epoch = pool.slots[i].epoch.wrapping_add(1);
        let busy = pool.loads[i].busy;
        if busy > 0 {
            let offered_before = pool.offered_slots(i, concurrency);
            pool.loads[i].busy = 0;
            pool.remove_outstanding(i, busy);
            let value = pool.busy_slots.value() - busy as u64;
            pool.busy_slots.set(now, value);
            let offered =
                pool.rotation_slots.value() + pool.offered_slots(i, concurrency) - offered_before;
            pool.rotation_slots.set(now, offered);
        }
        let queued: Vec<(u32, u32)> = pool.queues[i].drain(..).collect();
        pool.slots[i].queued_live = 0;
        for (r, visit) in queued {
            if self.requests.is_current(r, visit, Phase::Queued) {
                self.pools[s].remove_outstanding(i, 1);
                self.fail(now, r, s, Failure::Error);
            }
        }
    }
}

/// The first probe time strictly after `now` for probes at `phase + k·interval`.
fn next_probe_after(now: SimTime, phase: SimTime, interval: SimTime) -> SimTime {
    if now < phase {
        return phase;
    }
    let k = (now.0 - phase.0) / interval.0 + 1;
    SimTime(phase.0 + k * interval.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_probe_is_strictly_later() {
        let (phase, interval) = (SimTime(3), SimTime(10));
        assert_eq!(next_probe_after(SimTime(0), phase, interval), SimTime(3));
        assert_eq!(next_probe_after(SimTime(3), phase, interval), SimTime(13));
        assert_eq!(next_probe_after(SimTime(12), phase, interval), SimTime(13));
        assert_eq!(next_probe_after(SimTime(13), phase, interval), SimTime(23));
    }
}
