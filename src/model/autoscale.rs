//! Elasticity: autoscaling policies, node launch and boot, scale-in with draining, and
//! self-healing replacement of failed nodes.
//!
//! Rules (docs/SCENARIOS.md has the user-facing version):
//! - Policies evaluate every `interval` on the utilisation the service measured over the
//!   last interval (busy slot-time / offered slot-time); the current size counts active and
//!   booting nodes, not draining ones. Target tracking sizes as Kubernetes' replica
//!   calculator does: from the ready nodes (in rotation), and a scale-up counts the nodes
//!   not yet ready at 0% utilisation, so a measurement is not acted on again while the
//!   nodes it launched boot. Step scale-out counts the nodes still warming up (launched,
//!   not yet joined) toward its change.
//! - A launch takes the free slot in the zone with the fewest nodes among slots that are not
//!   inside a failed or cut-off domain (ties: lowest slot). The node boots for `boot_time`,
//!   then joins rotation at its first passing probe (`Pool::joined`).
//! - Scale-in removes booting nodes first, then the newest active node: it leaves rotation at
//!   once, finishes its queue and in-flight work, and is gone when idle or after
//!   `deregistration_delay` (whatever is still there then fails).
//! - A node whose health verdict turns unhealthy (or that fails, without a health check) is
//!   terminated and replaced `replace_after` later, unless it launched less than
//!   `health_check_grace` ago or has recovered meanwhile. A node still failing its checks
//!   when its grace period ends (or when it finishes booting, if later) is replaced then:
//!   no verdict would turn for a node that failed in its grace period or never joined.

use std::collections::VecDeque;

use super::Event;
use super::pool::Life;
use super::trial::Trial;
use crate::scenario::ScalingPolicy;
use crate::time::SimTime;

/// One service's autoscaler state.
pub struct Scaler {
    /// Current bounds (scheduled actions change them).
    min: u32,
    max: u32,
    /// Utilisation integrals at the last evaluation (busy slot-ns, offered slot-ns).
    last_busy: f64,
    last_offered: u128,
    /// HPA: (time, recommendation) over the scale-down stabilization window.
    recommendations: VecDeque<(SimTime, u32)>,
    /// Step: when the last scaling activity happened.
    last_activity: Option<SimTime>,
    /// Capacity fidelity: the tick after which evaluation sleeps until the inputs change.
    asleep_since: Option<SimTime>,
}

/// A service's size as a policy sees it at an evaluation.
#[derive(Clone, Copy, Debug)]
struct Size {
    /// Nodes active or booting (not draining): what a desired count is compared with.
    current: u32,
    /// Nodes in rotation (ready: booted, health check passed, not failed out).
    ready: u32,
    /// Nodes launched that have not joined rotation yet (booting, or waiting for their
    /// first passing health check).
    warming: u32,
}

/// The evaluation period of a ticking policy.
fn tick_interval(policy: &ScalingPolicy) -> SimTime {
    match policy {
        ScalingPolicy::TargetTracking { interval, .. } | ScalingPolicy::Step { interval, .. } => {
            *interval
        }
        ScalingPolicy::Schedule { .. } => unreachable!("schedules have no ticks"),
    }
}

impl Scaler {
    /// The policy's verdict on `utilization` with `size` nodes: the size to scale to
    /// (`None`: no action), and whether the same inputs would give the same verdict at
    /// every later tick (no pending stabilization or cooldown).
    fn decide(
        &mut self,
        now: SimTime,
        policy: &ScalingPolicy,
        utilization: f64,
        size: Size,
    ) -> (Option<u32>, bool) {
        let Size {
            current,
            ready,
            warming,
        } = size;
        match policy {
            ScalingPolicy::TargetTracking {
                target,
                tolerance,
                scale_up_nodes,
                scale_up_percent,
                scale_down_stabilization,
                ..
            } => {
                let ratio = utilization / target;
                let unready = current > ready;
                // Kubernetes' replica calculator: on a scale-up, nodes not yet ready count
                // at 0% utilisation, which damps the ratio; without them (or on a
                // scale-down, where they are left out) the ready nodes are sized.
                let damped = if unready && ratio > 1.0 {
                    ratio * ready as f64 / current as f64
                } else {
                    ratio
                };
                let mut rec = if (damped - 1.0).abs() <= *tolerance || (ratio > 1.0 && damped < 1.0)
                {
                    current
                } else {
                    (ready as f64 * ratio).ceil() as u32
                };
                let up_limit = (*scale_up_nodes)
                    .max((current as f64 * scale_up_percent / 100.0).ceil() as u32);
                rec = rec.min(current + up_limit).clamp(self.min, self.max);
                // Scale down only to the highest recommendation of the window.
                self.recommendations.push_back((now, rec));
                while self
                    .recommendations
                    .front()
                    .is_some_and(|&(t, _)| t + *scale_down_stabilization < now)
                {
                    self.recommendations.pop_front();
                }
                let stable = self
                    .recommendations
                    .iter()
                    .map(|&(_, r)| r)
                    .max()
                    .unwrap_or(rec);
                let desired = if rec < current {
                    stable.min(current)
                } else {
                    rec
                };
                (Some(desired), rec == current)
            }
            ScalingPolicy::Step {
                cooldown, steps, ..
            } => {
                let band = steps.iter().find(|b| {
                    b.lower.is_none_or(|l| utilization >= l)
                        && b.upper.is_none_or(|u| utilization < u)
                });
                let Some(band) = band else {
                    return (None, true);
                };
                let cooling = self
                    .last_activity
                    .is_some_and(|t| now < t.saturating_add(*cooldown));
                if band.change < 0 && cooling {
                    return (None, false);
                }
                let (current, change) = (current as i64, band.change as i64);
                let desired = if change > 0 {
                    // Scale-out counts the nodes still warming up (booting, or booted
                    // and waiting for their first passing health check) toward the band's
                    // change (AWS instance warm-up): +3 while 2 warm from a +2 adds only 1.
                    (current - warming as i64 + change).max(current)
                } else {
                    current + change
                };
                let desired = desired.clamp(self.min as i64, self.max as i64) as u32;
                (Some(desired), desired as i64 == current)
            }
            ScalingPolicy::Schedule { .. } => unreachable!("schedules have no ticks"),
        }
    }
}

impl Trial<'_> {
    /// Schedules every autoscaler's first evaluation and scheduled actions.
    pub(super) fn start_autoscalers(&mut self) {
        for (s, svc) in self.model.services.iter().enumerate() {
            let Some(a) = &svc.autoscaling else { continue };
            self.scalers[s] = Some(Scaler {
                min: a.min,
                max: a.max,
                last_busy: 0.0,
                last_offered: 0,
                recommendations: VecDeque::new(),
                last_activity: None,
                asleep_since: None,
            });
            match &a.policy {
                ScalingPolicy::TargetTracking { interval, .. }
                | ScalingPolicy::Step { interval, .. } => {
                    self.queue
                        .schedule(*interval, Event::ScaleTick { service: s as u32 });
                }
                ScalingPolicy::Schedule { actions } => {
                    for (k, action) in actions.iter().enumerate() {
                        let event = Event::ScheduledAction {
                            service: s as u32,
                            action: k as u32,
                        };
                        self.queue.schedule(action.at, event);
                    }
                }
            }
        }
    }

    pub(super) fn on_scale_tick(&mut self, now: SimTime, s: usize) {
        let svc = &self.model.services[s];
        let a = svc
            .autoscaling
            .as_ref()
            .expect("ticks only for autoscaled services");
        let busy = match self.capacity_busy_ns(s) {
            Some(busy) => busy,
            None => self.pools[s].busy_slots.total_until(now) as f64,
        };
        let pool = &mut self.pools[s];
        let offered = pool.rotation_slots.total_until(now);
        let size = Size {
            current: pool.current_size(),
            ready: pool.rotation_len(),
            warming: pool.warming_count(),
        };
        let scaler = self.scalers[s].as_mut().expect("started");
        let (d_busy, d_offered) = (busy - scaler.last_busy, offered - scaler.last_offered);
        (scaler.last_busy, scaler.last_offered) = (busy, offered);
        let interval = tick_interval(&a.policy);
        // No capacity offered over the interval: no measurement to act on.
        let (desired, settled) = if d_offered == 0 {
            (None, true)
        } else {
            scaler.decide(now, &a.policy, d_busy / d_offered as f64, size)
        };
        // Capacity fidelity: a tick that changes nothing, measured over an interval of
        // unchanged inputs, would repeat itself until the inputs change; sleep until then.
        let quiet = self
            .capacity_inputs_since(s)
            .is_some_and(|since| since.saturating_add(interval) <= now);
        let scaler = self.scalers[s].as_mut().expect("started");
        if settled && quiet {
            scaler.asleep_since = Some(now);
        } else {
            self.queue.schedule(
                now.saturating_add(interval),
                Event::ScaleTick { service: s as u32 },
            );
        }
        if let Some(desired) = desired {
            self.scale_to(now, s, desired);
        }
    }

    /// Capacity fidelity: service `s`'s inputs changed at `now`; a sleeping autoscaler
    /// resumes at its next tick time, with its last measurement moved to one interval
    /// before it (the inputs were constant until now: `busy_rate` busy slots and
    /// `offered_slots` offered) and, for the HPA, the recommendation of the skipped ticks.
    pub(super) fn wake_autoscaler(
        &mut self,
        now: SimTime,
        s: usize,
        busy_rate: f64,
        offered_slots: u64,
    ) {
        let Some(scaler) = self.scalers[s].as_mut() else {
            return;
        };
        let Some(slept) = scaler.asleep_since.take() else {
            return;
        };
        let a = self.model.services[s]
            .autoscaling
            .as_ref()
            .expect("autoscaled");
        let interval = tick_interval(&a.policy);
        let ticks = (now - slept).0 / interval.0 + 1;
        let next = SimTime(slept.0 + ticks * interval.0);
        let window_start = next - interval;
        let gap_ns = (window_start - slept).0;
        scaler.last_busy += busy_rate * gap_ns as f64;
        scaler.last_offered += offered_slots as u128 * gap_ns as u128;
        if gap_ns > 0 {
            let current = self.pools[s].current_size();
            scaler.recommendations.push_back((window_start, current));
        }
        self.queue
            .schedule(next, Event::ScaleTick { service: s as u32 });
    }

    pub(super) fn on_scheduled_action(&mut self, now: SimTime, s: usize, k: usize) {
        let a = self.model.services[s]
            .autoscaling
            .as_ref()
            .expect("autoscaled");
        let ScalingPolicy::Schedule { actions } = &a.policy else {
            unreachable!("schedule actions")
        };
        let action = &actions[k];
        if action.daily {
            let next = now.saturating_add(SimTime::from_secs(86_400));
            self.queue.schedule(
                next,
                Event::ScheduledAction {
                    service: s as u32,
                    action: k as u32,
                },
            );
        }
        let scaler = self.scalers[s].as_mut().expect("started");
        scaler.min = action.min.unwrap_or(scaler.min);
        scaler.max = action.max.unwrap_or(scaler.max).max(scaler.min);
        let current = self.pools[s].current_size();
        let desired = action
            .desired
            .unwrap_or(current)
            .clamp(scaler.min, scaler.max);
        self.scale_to(now, s, desired);
    }

    /// Launches or removes nodes until the current size is `desired`.
    fn scale_to(&mut self, now: SimTime, s: usize, desired: u32) {
        let current = self.pools[s].current_size();
        self.pools[s].desired = desired;
        if desired != current
            && let Some(sc) = self.scalers[s].as_mut()
        {
            sc.last_activity = Some(now);
        }
        if desired > current {
            for _ in current..desired {
                let Some(i) = self.pools[s].next_launch_slot() else {
                    break;
                };
                self.launch_into(now, s, i);
            }
        }
        if desired < current {
            // Booting nodes first, newest first; then active nodes, newest first.
            let pool = &self.pools[s];
            let excess = (current - desired) as usize;
            let mut order: Vec<usize> = pool.newest(Life::Booting, excess).collect();
            let rest = excess.saturating_sub(order.len());
            order.extend(pool.newest(Life::Active, rest));
            for &i in order.iter().take(excess) {
                self.scale_in(now, s, i);
            }
        }
    }

    /// Launches a node into free slot `i`.
    fn launch_into(&mut self, now: SimTime, s: usize, i: usize) {
        let svc = &self.model.services[s];
        let boot = svc.boot_time.sample(&mut self.pools[s].boot_rng);
        let pool = &mut self.pools[s];
        pool.launch(i);
        pool.launched_at[i] = now;
        // A fresh node: no verdict yet; it joins rotation once its checks pass.
        pool.healthy[i] = false;
        pool.set_joined(i, false);
        pool.balancer.forget(i);
        pool.probe_passes[i] = false;
        pool.health_gen[i] = pool.health_gen[i].wrapping_add(1);
        let provisioned = pool.provisioned.value() + 1;
        pool.provisioned.set(now, provisioned);
        let life = pool.node_gen[i];
        self.queue.schedule(
            now.saturating_add(boot),
            Event::BootDone {
                service: s as u32,
                node: i as u32,
                life,
            },
        );
    }

    pub(super) fn on_grace_end(&mut self, now: SimTime, s: usize, i: usize, life: u32) {
        if self.pools[s].node_gen[i] == life {
            self.replace_if_failing(now, s, i);
        }
    }

    /// A booted node that is not healthy and whose checks fail is replaced (after its grace
    /// period), also when no verdict will turn unhealthy for it: it failed during its grace
    /// period, or before it ever joined.
    pub(super) fn replace_if_failing(&mut self, now: SimTime, s: usize, i: usize) {
        let pool = &self.pools[s];
        if pool.slots[i].life == Life::Active && !pool.healthy[i] && !self.probe_ok(s, i) {
            self.consider_replacement(now, s, i);
        }
    }

    pub(super) fn on_boot_done(&mut self, now: SimTime, s: usize, i: usize, life: u32) {
        if self.pools[s].node_gen[i] != life || self.pools[s].slots[i].life != Life::Booting {
            return;
        }
        self.pools[s].set_life(i, Life::Active);
        self.start_node_clocks(now, s, i);
        self.node_changed(now, s, i);
    }

    /// Removes node `i`: a booting node is terminated, an active one drains.
    fn scale_in(&mut self, now: SimTime, s: usize, i: usize) {
        if self.pools[s].slots[i].life == Life::Booting {
            self.terminate(now, s, i);
            return;
        }
        let delay = self.model.services[s]
            .autoscaling
            .as_ref()
            .expect("autoscaled")
            .deregistration_delay;
        self.pools[s].set_life(i, Life::Draining);
        self.refresh_node(now, s, i);
        self.finish_drain_if_idle(now, s, i);
        // A node with work left is gone when it finishes or at the delay, whichever first.
        if self.pools[s].slots[i].life == Life::Draining {
            let life = self.pools[s].node_gen[i];
            self.queue.schedule(
                now.saturating_add(delay),
                Event::DrainDone {
                    service: s as u32,
                    node: i as u32,
                    life,
                },
            );
        }
    }

    /// A draining node with nothing left to do is gone.
    pub(super) fn finish_drain_if_idle(&mut self, now: SimTime, s: usize, i: usize) {
        let pool = &self.pools[s];
        if pool.slots[i].life == Life::Draining
            && pool.loads[i].busy == 0
            && pool.slots[i].queued_live == 0
        {
            self.terminate(now, s, i);
        }
    }

    pub(super) fn on_drain_done(&mut self, now: SimTime, s: usize, i: usize, life: u32) {
        if self.pools[s].node_gen[i] == life && self.pools[s].slots[i].life == Life::Draining {
            self.terminate(now, s, i);
        }
    }

    /// The health verdict on node `i` just turned unhealthy (or it fails its checks
    /// without a verdict to turn): schedule its replacement, or, during its grace period,
    /// a look at it when the period ends.
    pub(super) fn consider_replacement(&mut self, now: SimTime, s: usize, i: usize) {
        let Some(a) = &self.model.services[s].autoscaling else {
            return;
        };
        let pool = &self.pools[s];
        if pool.slots[i].life != Life::Active {
            return;
        }
        let (service, node, life) = (s as u32, i as u32, pool.node_gen[i]);
        let grace_end = pool.launched_at[i].saturating_add(a.health_check_grace);
        if now < grace_end {
            let event = Event::GraceEnd {
                service,
                node,
                life,
            };
            self.queue.schedule(grace_end, event);
        } else {
            let event = Event::Replace {
                service,
                node,
                life,
            };
            self.queue
                .schedule(now.saturating_add(a.replace_after), event);
        }
    }

    pub(super) fn on_replace(&mut self, now: SimTime, s: usize, i: usize, life: u32) {
        let pool = &self.pools[s];
        if pool.node_gen[i] != life || pool.slots[i].life != Life::Active || pool.healthy[i] {
            return;
        }
        self.terminate(now, s, i);
        if let Some(j) = self.pools[s].next_launch_slot() {
            self.launch_into(now, s, j);
        }
    }

    /// Node `i` is gone: its remaining work fails, its repairs stop (freeing their crews),
    /// and its slot is free for a later launch.
    fn terminate(&mut self, now: SimTime, s: usize, i: usize) {
        let svc = &self.model.services[s];
        let pool = &mut self.pools[s];
        let modes_down = svc
            .failures
            .iter()
            .enumerate()
            .filter(|(m, f)| pool.active_modes[i] & (1 << m) != 0 && f.takes_node_down())
            .count() as u16;
        pool.slots[i].down -= modes_down;
        pool.active_modes[i] = 0;
        pool.slots[i].slow_factor = 1.0;
        pool.set_life(i, Life::Off);
        pool.node_gen[i] = pool.node_gen[i].wrapping_add(1);
        let provisioned = pool.provisioned.value() - 1;
        pool.provisioned.set(now, provisioned);
        let crews = std::mem::take(&mut pool.crews_held[i]);
        self.node_changed(now, s, i);
        for _ in 0..crews {
            self.release_crew(now);
        }
        self.terminated_since_sweep += 1;
        self.sweep_stale_events();
    }

    /// A terminated node leaves events behind (its failure clocks can be years ahead);
    /// they would be ignored when due, but until then they take memory. Once they could
    /// outnumber the live events, drop them: the rest keep their order, so nothing else
    /// changes, and memory stays bounded however long the horizon.
    fn sweep_stale_events(&mut self) {
        let per_node = self
            .model
            .services
            .iter()
            .map(|s| s.failures.len() + 2)
            .max();
        let stale_at_most = self.terminated_since_sweep * per_node.unwrap_or(2);
        if stale_at_most < 4_096.max(self.queue.len() / 2) {
            return;
        }
        self.terminated_since_sweep = 0;
        let pools = &self.pools;
        self.queue.retain(|_, e| !stale(pools, e));
    }
}

/// Whether `e` belongs to a node (life) or a health verdict (generation) that is gone, so
/// its handler would ignore it.
fn stale(pools: &[crate::model::pool::Pool], e: &Event) -> bool {
    match *e {
        Event::NodeFail {
            service,
            node,
            life,
            ..
        }
        | Event::NodeRecover {
            service,
            node,
            life,
            ..
        }
        | Event::BootDone {
            service,
            node,
            life,
            ..
        }
        | Event::DrainDone {
            service,
            node,
            life,
            ..
        }
        | Event::Replace {
            service,
            node,
            life,
            ..
        }
        | Event::GraceEnd {
            service,
            node,
            life,
        } => pools[service as usize].node_gen[node as usize] != life,
        Event::HealthChange {
            service,
            node,
            generation,
        } => pools[service as usize].health_gen[node as usize] != generation,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hpa() -> (Scaler, ScalingPolicy) {
        let scaler = Scaler {
            min: 1,
            max: 100,
            last_busy: 0.0,
            last_offered: 0,
            recommendations: VecDeque::new(),
            last_activity: None,
            asleep_since: None,
        };
        let policy = ScalingPolicy::TargetTracking {
            target: 0.6,
            interval: SimTime::from_secs(15),
            tolerance: 0.1,
            scale_up_nodes: 4,
            scale_up_percent: 100.0,
            scale_down_stabilization: SimTime::from_secs(300),
        };
        (scaler, policy)
    }

    fn size(current: u32, ready: u32) -> Size {
        Size {
            current,
            ready,
            warming: current - ready,
        }
    }

    #[test]
    fn a_scale_up_is_not_repeated_while_its_nodes_boot() {
        let (mut scaler, policy) = hpa();
        let t = SimTime::from_secs(15);
        // 10 ready nodes at 0.9 against 0.6: 15.
        assert_eq!(
            scaler.decide(t, &policy, 0.9, size(10, 10)),
            (Some(15), false)
        );
        // The same measurement while those 5 boot: 0.9 × 10/15 = 0.6, on target.
        assert_eq!(
            scaler.decide(t, &policy, 0.9, size(15, 10)),
            (Some(15), true)
        );
        // More load meanwhile: 1.2 × 10/15 = 0.8 is over the tolerance; size the ready
        // nodes: ceil(10 × 1.2 / 0.6) = 20.
        assert_eq!(
            scaler.decide(t, &policy, 1.2, size(15, 10)),
            (Some(20), false)
        );
    }

    #[test]
    fn a_scale_down_sizes_the_ready_nodes() {
        let (mut scaler, policy) = hpa();
        // 8 ready at 0.3 against 0.6 while 2 boot: ceil(8 × 0.5) = 4, not ceil(10 × 0.5);
        // the stabilization window holds no higher recommendation yet.
        assert_eq!(
            scaler.decide(SimTime::ZERO, &policy, 0.3, size(10, 8)),
            (Some(4), false)
        );
    }
}
