//! The run-time state of one service: its nodes' slots and queues, its balancer, its
//! random streams and its counters.

use std::collections::{BTreeSet, VecDeque};

use rand::RngExt;

use super::zone_slots::ZoneSlots;
use super::{CauseId, ServiceModel, streams};
use crate::engine::{SimRng, stream_rng};
use crate::metrics::{IntervalHistogram, LatencyRecorder, TimeWeighted};
use crate::policy::balancer::{self, Balancer, LoadLevels, NodeLoad, PoolView};
use crate::scenario::Redundancy;
use crate::time::SimTime;

/// Counts over the visits of counted (post-warmup) requests.
#[derive(Clone, Debug, Default)]
pub struct VisitCounters {
    pub completed: u64,
    pub dropped: u64,
    pub timed_out: u64,
    pub errors: u64,
    /// Visits that reached a slot, and how many of them had queued first.
    pub started: u64,
    pub queued: u64,
    pub wait_ns: u128,
    pub latency_ns: u128,
    pub latency: LatencyRecorder,
}

/// Where a node slot is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Life {
    /// Not provisioned: a spare slot of an autoscaled service.
    Off,
    /// Launched, not yet able to serve (paid for).
    Booting,
    /// Serving when healthy.
    Active,
    /// Removed by scale-in: out of rotation, finishing its work, then off.
    Draining,
}

/// Per node slot, the rest of what a request's visit reads (beside its [`NodeLoad`]): kept
/// together, like the loads, so a visit indexes a node once rather than once a field.
#[derive(Clone, Copy, Debug)]
pub struct NodeSlot {
    /// Bumped when the node goes down, which frees its slots at once.
    pub epoch: u32,
    /// Live (not timed-out) entries in the node's queue.
    pub queued_live: u32,
    /// Where it is in its life (change it with [`Pool::set_life`]).
    pub life: Life,
    /// Active failures that take it down (crash and restart modes, `down` outages).
    pub down: u16,
    /// Active `network` outages cutting it off.
    pub cut_off: u16,
    /// Service-time multiplier of the active slow failures (1 when none).
    pub slow_factor: f64,
}

/// A queued request: its id and the visit generation it was queued in.
pub type QueueEntry = (u32, u32);

/// One service's nodes, queues and streams during a trial.
pub struct Pool {
    /// Per node slot: what the balancer sees. Change `outstanding` with
    /// [`Pool::add_outstanding`] and [`Pool::remove_outstanding`], and `in_rotation` with
    /// [`Pool::set_rotation`], which keep the load levels and the rotation in step.
    pub loads: Vec<NodeLoad>,
    /// The nodes in rotation by outstanding requests, kept when the balancer wants them.
    load_levels: Option<LoadLevels>,
    /// Per node slot: its failures, life, queue and slowness.
    pub slots: Vec<NodeSlot>,
    /// The nodes in rotation, in index order; rebuilt from `in_rotation` before the next
    /// pick after a change (failure-only runs never pick, so never pay for it).
    rotation: Vec<usize>,
    rotation_stale: bool,
    /// Per node: what the health check believes (without one: whether it works).
    pub healthy: Vec<bool>,
    /// Per node: whether it has been healthy since its launch (change it with
    /// [`Pool::set_joined`]). A node not yet joined needs one passing probe (an ALB target
    /// after registration; a Kubernetes readiness probe's success threshold is 1), not
    /// `healthy_threshold`.
    joined: Vec<bool>,
    /// Nodes launched (booting or active) and not yet joined, and nodes in rotation: kept
    /// as counts so an autoscaler's evaluation does not scan every slot.
    warming: u32,
    rotation_count: u32,
    /// Per node: bumped to cancel a pending health transition.
    pub health_gen: Vec<u32>,
    /// Per node: when its probes run (phase in [0, interval)).
    pub probe_phase: Vec<SimTime>,
    /// Per node: whether its probes pass, as of its last change of state.
    pub probe_passes: Vec<bool>,
    /// Per node: bit m set while failure mode m is active.
    pub active_modes: Vec<u64>,
    /// Per node: the cause of its latest failure (what its outages are attributed to).
    pub last_cause: Vec<CauseId>,
    /// Per node: whether it worked at the last state change (to see transitions).
    pub was_working: Vec<bool>,
    /// Per node: its failure stream.
    pub failure_rng: Vec<SimRng>,
    /// Bumped whenever a node is refreshed (its rotation, service or slowness may change),
    /// so a reader can tell that nothing about the nodes changed since it last looked.
    pub node_changes: u64,
    /// Nodes serving (in rotation and working), and which ones, as of the last refresh.
    pub serving: u32,
    pub serving_flag: Vec<bool>,
    /// Off slots and provisioned nodes per zone: where launches go.
    zone_slots: ZoneSlots,
    /// Per node slot: bumped when the node is terminated, so its pending failure, repair,
    /// boot and drain events go stale.
    pub node_gen: Vec<u32>,
    /// Per node slot: launch order (scale-in removes the newest first), and launch time.
    launch_seq: Vec<u64>,
    pub launched_at: Vec<SimTime>,
    /// At least every launch number handed out (the initial nodes have 0 to n − 1); a
    /// launch bumps it and takes the new value.
    next_launch_seq: u64,
    /// Booting and active nodes (in that order) by launch number, kept as slots change
    /// life: what scale-in takes, and how many boot and count toward the current size.
    by_launch: [BTreeSet<(u64, usize)>; 2],
    /// Per node slot: repair crews working on it (freed if it is terminated).
    pub crews_held: Vec<u32>,
    /// The autoscaler's desired size (the initial size without one).
    pub desired: u32,
    /// Latencies of visits completed since the last time-series sample.
    pub interval_latency: IntervalHistogram,
    /// Boot times of launched nodes.
    pub boot_rng: SimRng,
    /// Active-standby: the node serving as primary, and the pending failover target.
    pub primary: Option<usize>,
    pub failover_to: Option<usize>,
    pub failover_gen: u32,
    /// Per-node FIFO queues (unused with a shared queue).
    pub queues: Vec<VecDeque<QueueEntry>>,
    /// The pool's one queue when the balancer shares it (`central`).
    pub shared: VecDeque<QueueEntry>,
    pub shared_live: u32,
    pub shared_queue: bool,
    pub balancer: Box<dyn Balancer>,
    /// Whether the balancer wants each visit's latency (`Balancer::observes`).
    balancer_observes: bool,
    pub service_rng: SimRng,
    pub routing_rng: SimRng,
    /// Busy slots, and slots offered (those of nodes in rotation, plus busy slots of nodes
    /// out of rotation finishing their work), integrated over time.
    pub busy_slots: TimeWeighted,
    pub rotation_slots: TimeWeighted,
    /// Nodes provisioned (paid for), whatever their state.
    pub provisioned: TimeWeighted,
    pub counters: VisitCounters,
}

/// Which of `Pool::by_launch` holds nodes in `life`.
fn launch_set(life: Life) -> Option<usize> {
    match life {
        Life::Booting => Some(0),
        Life::Active => Some(1),
        Life::Off | Life::Draining => None,
    }
}

impl Pool {
    /// All nodes up and idle at time zero.
    pub fn new(s: usize, svc: &ServiceModel, seed: u64, trial: u64, warmup: SimTime) -> Pool {
        // Node slots: the initial nodes are active; an autoscaled service has spare slots
        // (off) for the nodes it launches.
        let n = svc.slots;
        let active = svc.nodes;
        let balancer = balancer::build(&svc.balancer, n);
        let standby = matches!(svc.redundancy, Redundancy::ActiveStandby { .. });
        // Active-standby: node 0 starts as primary and only the primary is in rotation.
        let in_rotation: Vec<bool> = (0..n).map(|i| i < active && (!standby || i == 0)).collect();
        let mut health_rng = stream_rng(seed, trial, streams::health(s));
        let probe_phase = match &svc.health_check {
            Some(hc) => (0..n)
                .map(|_| SimTime(health_rng.random_range(0..hc.interval.0.max(1))))
                .collect(),
            None => vec![SimTime::ZERO; n],
        };
        let rotation_count = in_rotation.iter().filter(|&&r| r).count() as u32;
        let offered = rotation_count as u64 * svc.concurrency as u64;
        let load_levels = balancer.picks_least_loaded().then(|| {
            let mut levels = LoadLevels::new(n);
            (0..n)
                .filter(|&i| in_rotation[i])
                .for_each(|i| levels.insert(i, 0));
            levels
        });
        let slots = (0..n)
            .map(|i| NodeSlot {
                epoch: 0,
                queued_live: 0,
                life: if i < active { Life::Active } else { Life::Off },
                down: 0,
                cut_off: 0,
                slow_factor: 1.0,
            })
            .collect();
        Pool {
            loads: (0..n)
                .map(|i| NodeLoad {
                    in_rotation: in_rotation[i],
                    ..NodeLoad::default()
                })
                .collect(),
            load_levels,
            node_changes: 0,
            serving: rotation_count,
            serving_flag: in_rotation.clone(),
            rotation: (0..n).filter(|&i| in_rotation[i]).collect(),
            rotation_stale: false,
            healthy: (0..n).map(|i| i < active).collect(),
            joined: (0..n).map(|i| i < active).collect(),
            warming: 0,
            rotation_count,
            health_gen: vec![0; n],
            probe_phase,
            probe_passes: (0..n).map(|i| i < active).collect(),
            active_modes: vec![0; n],
            last_cause: vec![0; n],
            was_working: (0..n).map(|i| i < active).collect(),
            zone_slots: ZoneSlots::new(&svc.node_zone, |j| j >= active),
            slots,
            node_gen: vec![0; n],
            by_launch: [
                BTreeSet::new(),
                (0..active).map(|i| (i as u64, i)).collect(),
            ],
            launch_seq: (0..n as u64).collect(),
            next_launch_seq: n as u64,
            launched_at: vec![SimTime::ZERO; n],
            crews_held: vec![0; n],
            desired: active as u32,
            interval_latency: IntervalHistogram::default(),
            boot_rng: stream_rng(seed, trial, streams::boot(s)),
            failure_rng: (0..n)
                .map(|i| stream_rng(seed, trial, streams::node_failures(s, i)))
                .collect(),
            primary: standby.then_some(0),
            failover_to: None,
            failover_gen: 0,
            queues: vec![VecDeque::new(); n],
            shared: VecDeque::new(),
            shared_live: 0,
            shared_queue: balancer.shared_queue(),
            balancer_observes: balancer.observes(),
            balancer,
            service_rng: stream_rng(seed, trial, streams::service_time(s)),
            routing_rng: stream_rng(seed, trial, streams::routing(s)),
            busy_slots: TimeWeighted::new(0, warmup),
            rotation_slots: TimeWeighted::new(offered, warmup),
            provisioned: TimeWeighted::new(active as u64, warmup),
            counters: VisitCounters::default(),
        }
    }

    /// Asks the balancer for a node.
    // Inline into a visit's beginning, the one caller on the request path.
    #[inline(always)]
    pub fn pick(&mut self, concurrency: u32) -> Option<usize> {
        self.refresh_rotation();
        // A least-loaded pick, from the load levels kept for it, here: without building
        // the view and calling through `dyn Balancer` (callgrind: 2.7% of a request; a view
        // built before this test costs 1.6%). The balancer is asked only when the levels
        // cannot answer.
        if let Some(levels) = &self.load_levels {
            debug_assert!(
                levels.agree_with_scan(&self.view(concurrency)),
                "load levels out of step"
            );
            if let Some(node) = levels.pick_least(&mut self.routing_rng) {
                return Some(node);
            }
        }
        // The view's fields borrowed one by one (not through `Pool::view`), so the balancer
        // and the routing stream stay free to borrow mutably.
        let view = PoolView {
            nodes: &self.loads,
            rotation: &self.rotation,
            concurrency,
        };
        self.balancer.pick(&view, &mut self.routing_rng)
    }

    /// What the balancer sees of the pool.
    fn view(&self, concurrency: u32) -> PoolView<'_> {
        PoolView {
            nodes: &self.loads,
            rotation: &self.rotation,
            concurrency,
        }
    }

    /// Tells the balancer, if it listens, that a visit to node `i` took `latency`.
    pub fn observe(&mut self, i: usize, latency: SimTime) {
        if self.balancer_observes {
            self.balancer.observe(i, latency.as_secs_f64());
        }
    }

    /// Whether any node receives requests.
    pub fn any_in_rotation(&self) -> bool {
        self.rotation_count > 0
    }

    /// Requests waiting in this service's queues (shared and per node), live ones only.
    pub fn queued(&self) -> u64 {
        self.shared_live as u64 + self.slots.iter().map(|n| n.queued_live as u64).sum::<u64>()
    }

    /// Nodes in rotation.
    pub fn rotation_len(&self) -> u32 {
        self.rotation_count
    }

    /// One more request is assigned to node `i`.
    pub fn add_outstanding(&mut self, i: usize) {
        self.set_outstanding(i, self.loads[i].outstanding + 1);
    }

    /// `n` requests assigned to node `i` finished there or left it.
    pub fn remove_outstanding(&mut self, i: usize, n: u32) {
        self.set_outstanding(i, self.loads[i].outstanding - n);
    }

    // Inline: every departure comes here through `release_slot` (callgrind: 1.2% of a
    // request fewer than the call).
    #[inline(always)]
    fn set_outstanding(&mut self, i: usize, to: u32) {
        let load = &mut self.loads[i];
        if load.in_rotation
            && let Some(levels) = &mut self.load_levels
        {
            levels.relevel(i, load.outstanding, to);
        }
        load.outstanding = to;
    }

    /// A visit takes a slot of node `i` at `now` (its `outstanding` already counts it).
    // This and the next run for every visit: inline, like the steps of `visit.rs`.
    #[inline(always)]
    pub fn take_slot(&mut self, i: usize, now: SimTime) {
        let load = &mut self.loads[i];
        if !load.in_rotation {
            // A node out of rotation offers only its busy slots.
            let offered = self.rotation_slots.value() + 1;
            self.rotation_slots.set(now, offered);
        }
        load.busy += 1;
        self.busy_slots.increment(now);
    }

    /// A visit is assigned to node `i` and takes one of its slots at `now`: what
    /// [`Pool::add_outstanding`] then [`Pool::take_slot`] do, with the node's load read
    /// once (callgrind: 1% of a request fewer than the two calls).
    #[inline(always)]
    pub fn assign_to_slot(&mut self, i: usize, now: SimTime) {
        let load = &mut self.loads[i];
        let before = *load;
        load.outstanding += 1;
        load.busy += 1;
        if !before.in_rotation {
            let offered = self.rotation_slots.value() + 1;
            self.rotation_slots.set(now, offered);
        } else if let Some(levels) = &mut self.load_levels {
            levels.relevel(i, before.outstanding, before.outstanding + 1);
        }
        self.busy_slots.increment(now);
    }

    /// A visit to node `i` ends at `now`: its slot frees and the node has one request fewer.
    #[inline(always)]
    pub fn release_slot(&mut self, i: usize, now: SimTime) {
        let load = &mut self.loads[i];
        if !load.in_rotation {
            let offered = self.rotation_slots.value() - 1;
            self.rotation_slots.set(now, offered);
        }
        load.busy -= 1;
        self.busy_slots.decrement(now);
        self.set_outstanding(i, self.loads[i].outstanding - 1);
    }

    /// Puts node `i` in or out of rotation.
    pub fn set_rotation(&mut self, i: usize, on: bool) {
        if self.loads[i].in_rotation != on {
            self.rotation_count = if on {
                self.rotation_count + 1
            } else {
                self.rotation_count - 1
            };
            if let Some(levels) = &mut self.load_levels {
                if on {
                    levels.insert(i, self.loads[i].outstanding);
                } else {
                    levels.remove(i, self.loads[i].outstanding);
                }
            }
        }
        self.loads[i].in_rotation = on;
        self.rotation_stale = true;
    }

    fn refresh_rotation(&mut self) {
        if self.rotation_stale {
            self.rotation.clear();
            self.rotation
                .extend((0..self.loads.len()).filter(|&i| self.loads[i].in_rotation));
            self.rotation_stale = false;
        }
    }

    /// Whether node `i` is launched (not booting, not off), up and reachable.
    pub fn working(&self, i: usize) -> bool {
        matches!(self.slots[i].life, Life::Active | Life::Draining)
            && self.slots[i].down == 0
            && self.slots[i].cut_off == 0
    }

    /// Launches a node into free slot `i`: it takes the next launch number and boots.
    pub fn launch(&mut self, i: usize) {
        debug_assert_eq!(self.slots[i].life, Life::Off);
        self.next_launch_seq += 1;
        self.launch_seq[i] = self.next_launch_seq;
        self.set_life(i, Life::Booting);
    }

    /// Up to `count` nodes in `life` (booting or active), newest launch first.
    pub fn newest(&self, life: Life, count: usize) -> impl Iterator<Item = usize> + '_ {
        let set = launch_set(life).map(|k| &self.by_launch[k]);
        set.into_iter()
            .flat_map(|s| s.iter().rev())
            .take(count)
            .map(|&(_, i)| i)
    }

    /// Moves node slot `i` to `life`.
    pub fn set_life(&mut self, i: usize, life: Life) {
        let was_warming = self.is_warming(i);
        if let Some(k) = launch_set(self.slots[i].life) {
            self.by_launch[k].remove(&(self.launch_seq[i], i));
        }
        if let Some(k) = launch_set(life) {
            self.by_launch[k].insert((self.launch_seq[i], i));
        }
        if (self.slots[i].life == Life::Off) != (life == Life::Off) {
            self.zone_slots.set_free(i, life == Life::Off);
        }
        self.slots[i].life = life;
        self.count_warming(i, was_warming);
    }

    /// The slot the next launch takes: free, in the zone with the fewest provisioned
    /// nodes, outside failed and cut-off domains if any slot is (ties: the lowest slot).
    pub fn next_launch_slot(&self) -> Option<usize> {
        self.zone_slots
            .next(|j| self.slots[j].down == 0 && self.slots[j].cut_off == 0)
    }

    /// Whether node `i` has been healthy since its launch.
    pub fn joined(&self, i: usize) -> bool {
        self.joined[i]
    }

    /// Marks node `i` as joined (healthy since launch) or not (just launched).
    pub fn set_joined(&mut self, i: usize, joined: bool) {
        let was_warming = self.is_warming(i);
        self.joined[i] = joined;
        self.count_warming(i, was_warming);
    }

    fn is_warming(&self, i: usize) -> bool {
        matches!(self.slots[i].life, Life::Booting | Life::Active) && !self.joined[i]
    }

    fn count_warming(&mut self, i: usize, was_warming: bool) {
        match (was_warming, self.is_warming(i)) {
            (false, true) => self.warming += 1,
            (true, false) => self.warming -= 1,
            _ => {}
        }
    }

    /// Nodes booting now.
    pub fn booting_count(&self) -> usize {
        self.by_launch[0].len()
    }

    /// Nodes launched (booting or active) that have not joined rotation yet.
    pub fn warming_count(&self) -> u32 {
        debug_assert_eq!(
            self.warming as usize,
            (0..self.slots.len())
                .filter(|&i| self.is_warming(i))
                .count()
        );
        self.warming
    }

    /// Nodes that count toward the autoscaler's current size: active and booting (as the
    /// Kubernetes HPA counts not-yet-ready pods), not draining.
    pub fn current_size(&self) -> u32 {
        (self.by_launch[0].len() + self.by_launch[1].len()) as u32
    }

    /// Whether node `i` receives requests and can serve them.
    pub fn is_serving(&self, i: usize) -> bool {
        self.loads[i].in_rotation && self.working(i)
    }

    /// Slots node `i` offers: all of them in rotation, its busy ones out of rotation.
    pub fn offered_slots(&self, i: usize, concurrency: u32) -> u64 {
        if self.loads[i].in_rotation {
            concurrency as u64
        } else {
            self.loads[i].busy as u64
        }
    }
}
