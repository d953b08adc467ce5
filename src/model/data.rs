//! A storage service's data during a trial: where each chunk's replicas are, which nodes
//! have lost theirs, re-replication, data loss, corruption, and restores from backup.
//!
//! Placement is derived, never stored: chunk c's replicas are a pure function of (a
//! per-trial key, c), computed by a SplitMix64 hash (multiply-high range reduction, bias
//! below nodes / 2⁶⁴). Copyset placement stores only its groups (scatter_width / (r − 1)
//! permutations of the nodes). So a million chunks cost no memory; what a loss costs is a
//! scan of the chunks, which runs only when at least `replicas` nodes are in the lost state
//! at once (3 to 4 ms per million chunks on one core), and a bitset of the chunks lost (allocated at the
//! first loss).
//!
//! The rules (docs/SCENARIOS.md states them for users):
//! - A node's replicas are lost when a `loses_data` failure or outage strikes it. They are
//!   re-created by a re-replication job that starts when the loss is detected: at the
//!   health check's verdict, or when the node comes back without them, or at once without a
//!   health check. At most `max_streams` jobs run at once (first come, first served). A
//!   job copies the node's share, size × replicas / nodes, at `rate` × (other nodes up when
//!   it starts), or takes a drawn `time`. The re-created replicas take the lost ones'
//!   place, so placement is fixed for the trial (a replacement takes the node's identity).
//! - A chunk is lost when every one of its replicas is lost at once. Without a backup it
//!   stays lost (counted once); with one, the service restores: down for the RTO
//!   (restore_fixed + size / restore_rate, ×3 for a logical backup), losing the data
//!   written since the newest recovery point (the RPO). A restore re-creates every replica
//!   and cancels the pending jobs; losses and corruptions during a restore are absorbed by
//!   it.
//! - A `corrupt` failure is noticed `ttr` after it strikes; the service then restores from
//!   the newest recovery point at or before the corruption, and the RPO runs from that
//!   point to the moment it was noticed.

use std::collections::VecDeque;

use rand::{Rng, RngExt};

use super::trial::Trial;
use super::{CauseId, Event, streams};
use crate::dist::Dist;
use crate::engine::{SimRng, stream_rng};
use crate::metrics::OutageRecord;
use crate::scenario::{BackupSpec, DataSpec, MAX_REPLICAS, PlacementRule, RereplicationSpeed};
use crate::time::SimTime;

/// How long a re-replication job takes.
#[derive(Clone, Debug)]
pub enum JobSpeed {
    /// Bytes per second each other node that is up gives.
    Rate(f64),
    /// A drawn duration.
    Time(Dist),
}

/// Placement compiled for simulation.
#[derive(Clone, Debug)]
pub enum PlacementModel {
    Random,
    /// Nodes grouped by rack: `by_rack[start[k]..start[k + 1]]` are rack k's nodes, and
    /// `rack_of[n]` is node n's rack index.
    RackAware {
        by_rack: Vec<u32>,
        start: Vec<u32>,
        rack_of: Vec<u32>,
    },
    /// Permutations of the nodes per trial.
    Copyset {
        permutations: u32,
    },
}

/// A storage service's data, ready to simulate.
#[derive(Clone, Debug)]
pub struct DataModel {
    pub nodes: u32,
    pub chunks: u32,
    pub replicas: u32,
    pub size_bytes: f64,
    /// Bytes one node holds: size × replicas / nodes.
    pub node_share_bytes: f64,
    pub placement: PlacementModel,
    /// `None` with one replica: a lost node's chunks are lost at once.
    pub speed: Option<JobSpeed>,
    pub max_streams: u32,
    pub backup: Option<BackupSpec>,
    pub loss_cause: CauseId,
    pub corruption_cause: CauseId,
}

impl DataModel {
    /// Compiles `spec` for a service of `nodes` nodes whose racks (an index per node, or
    /// none) are `node_rack`.
    pub fn new(
        spec: &DataSpec,
        backup: Option<&BackupSpec>,
        nodes: u32,
        node_rack: &[u32],
        causes: (CauseId, CauseId),
    ) -> DataModel {
        let placement = match spec.placement {
            PlacementRule::Random => PlacementModel::Random,
            PlacementRule::Copyset { scatter_width } => PlacementModel::Copyset {
                permutations: scatter_width / (spec.replicas - 1),
            },
            PlacementRule::RackAware => {
                let mut racks: Vec<u32> = node_rack.to_vec();
                racks.sort_unstable();
                racks.dedup();
                let rack_of: Vec<u32> = node_rack
                    .iter()
                    .map(|r| racks.binary_search(r).expect("listed") as u32)
                    .collect();
                let mut by_rack: Vec<u32> = (0..nodes).collect();
                by_rack.sort_by_key(|&n| rack_of[n as usize]);
                let mut start = vec![0u32; racks.len() + 1];
                for &k in &rack_of {
                    start[k as usize + 1] += 1;
                }
                for k in 0..racks.len() {
                    start[k + 1] += start[k];
                }
                PlacementModel::RackAware {
                    by_rack,
                    start,
                    rack_of,
                }
            }
        };
        let speed = spec.rereplication.as_ref().map(|r| match &r.speed {
            RereplicationSpeed::Rate { rate_bytes_per_s } => JobSpeed::Rate(*rate_bytes_per_s),
            RereplicationSpeed::Time(d) => JobSpeed::Time(d.sampler()),
        });
        DataModel {
            nodes,
            chunks: spec.chunks,
            replicas: spec.replicas,
            size_bytes: spec.size_bytes,
            node_share_bytes: spec.size_bytes * spec.replicas as f64 / nodes as f64,
            placement,
            speed,
            max_streams: spec
                .rereplication
                .as_ref()
                .and_then(|r| r.max_streams)
                .unwrap_or(u32::MAX),
            backup: backup.cloned(),
            loss_cause: causes.0,
            corruption_cause: causes.1,
        }
    }
}

/// Where a node's re-replication stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Job {
    /// Its replicas are intact.
    None,
    /// Lost, not yet detected.
    Undetected,
    /// Detected, waiting for a stream.
    Waiting,
    Running,
}

/// What a trial measured about one service's data (after the warmup, except the first
/// loss, which is timed from zero).
#[derive(Clone, Debug, Default)]
pub struct DataCounts {
    pub loss_events: u64,
    pub corruption_events: u64,
    pub chunks_lost: u64,
    pub restores: u64,
    pub rpo_sum_s: f64,
    pub rpo_max_s: f64,
    pub rto_sum_s: f64,
    /// Time of the first data loss or noticed corruption, from time zero.
    pub first_loss: Option<SimTime>,
}

/// One storage service's data during a trial.
pub struct DataState {
    /// The placement hash key of this trial.
    key: u64,
    /// Copyset placement: the groups, `replicas` node ids each.
    groups: Vec<u32>,
    lost: Vec<bool>,
    lost_count: u32,
    job: Vec<Job>,
    /// Bumped to cancel a node's pending job.
    job_gen: Vec<u32>,
    waiting: VecDeque<u32>,
    running: u32,
    /// One bit per chunk lost without a backup to restore it (empty until the first loss).
    lost_chunks: Vec<u64>,
    pub restoring: bool,
    /// Per node: when its active corruption struck.
    corrupted_at: Vec<Option<SimTime>>,
    rng: SimRng,
    pub counts: DataCounts,
}

impl DataState {
    /// The state of service `s`'s data at time zero of trial `trial`.
    pub fn new(d: &DataModel, seed: u64, trial: u64, s: usize) -> DataState {
        let mut placement_rng = stream_rng(seed, trial, streams::placement(s));
        let key = placement_rng.next_u64();
        let mut groups = Vec::new();
        if let PlacementModel::Copyset { permutations } = d.placement {
            let r = d.replicas as usize;
            for _ in 0..permutations {
                let mut perm: Vec<u32> = (0..d.nodes).collect();
                for k in (1..perm.len()).rev() {
                    let j = placement_rng.random_range(0..=k);
                    perm.swap(k, j);
                }
                let whole = perm.len() / r * r;
                groups.extend_from_slice(&perm[..whole]);
            }
        }
        let n = d.nodes as usize;
        DataState {
            key,
            groups,
            lost: vec![false; n],
            lost_count: 0,
            job: vec![Job::None; n],
            job_gen: vec![0; n],
            waiting: VecDeque::new(),
            running: 0,
            lost_chunks: Vec::new(),
            restoring: false,
            corrupted_at: vec![None; n],
            rng: stream_rng(seed, trial, streams::rereplication(s)),
            counts: DataCounts::default(),
        }
    }

    /// Whether chunk c has lost every replica, by the placement rule.
    fn chunk_gone(&self, d: &DataModel, c: u32) -> bool {
        let n = d.nodes;
        let draw = |k: u64| hash(self.key, c, k);
        match &d.placement {
            PlacementModel::Random => {
                let mut chosen = [0u32; MAX_REPLICAS as usize];
                let mut picked = 0usize;
                let mut k = 0u64;
                while picked < d.replicas as usize {
                    let node = below(draw(k), n);
                    k += 1;
                    if chosen[..picked].contains(&node) {
                        continue;
                    }
                    if !self.lost[node as usize] {
                        return false;
                    }
                    chosen[picked] = node;
                    picked += 1;
                }
                true
            }
            PlacementModel::RackAware {
                by_rack,
                start,
                rack_of,
            } => {
                let first = below(draw(0), n);
                if !self.lost[first as usize] {
                    return false;
                }
                if d.replicas == 1 {
                    return true;
                }
                // Second: uniform among the nodes of the other racks.
                let r1 = rack_of[first as usize] as usize;
                let (s1, e1) = (start[r1], start[r1 + 1]);
                let k = below(draw(1), n - (e1 - s1));
                let second = by_rack[(if k < s1 { k } else { k + e1 - s1 }) as usize];
                if !self.lost[second as usize] {
                    return false;
                }
                if d.replicas == 2 {
                    return true;
                }
                // Third: another node of the second's rack.
                let r2 = rack_of[second as usize] as usize;
                let (s2, e2) = (start[r2], start[r2 + 1]);
                let pos2 = by_rack[s2 as usize..e2 as usize]
                    .iter()
                    .position(|&x| x == second)
                    .expect("in its rack") as u32;
                let j = below(draw(2), e2 - s2 - 1);
                let third = by_rack[(s2 + if j < pos2 { j } else { j + 1 }) as usize];
                if !self.lost[third as usize] {
                    return false;
                }
                // Any further replicas: random distinct nodes.
                let mut chosen = vec![first, second, third];
                let mut k = 3u64;
                while chosen.len() < d.replicas as usize {
                    let node = below(draw(k), n);
                    k += 1;
                    if chosen.contains(&node) {
                        continue;
                    }
                    if !self.lost[node as usize] {
                        return false;
                    }
                    chosen.push(node);
                }
                true
            }
            PlacementModel::Copyset { .. } => {
                let r = d.replicas as usize;
                let g = below(draw(0), (self.groups.len() / r) as u32) as usize;
                self.groups[g * r..(g + 1) * r]
                    .iter()
                    .all(|&x| self.lost[x as usize])
            }
        }
    }

    /// Counts (and, without a backup, records) the chunks whose last replica just went.
    fn newly_lost_chunks(&mut self, d: &DataModel) -> u64 {
        if self.lost_count < d.replicas {
            return 0;
        }
        if let PlacementModel::Copyset { .. } = d.placement {
            let r = d.replicas as usize;
            let any = self
                .groups
                .chunks(r)
                .any(|g| g.iter().all(|&x| self.lost[x as usize]));
            if !any {
                return 0;
            }
        }
        let record = d.backup.is_none();
        let mut count = 0;
        for c in 0..d.chunks {
            let (word, bit) = ((c / 64) as usize, 1u64 << (c % 64));
            if self.lost_chunks.get(word).is_some_and(|w| w & bit != 0) {
                continue;
            }
            if self.chunk_gone(d, c) {
                count += 1;
                if record {
                    if self.lost_chunks.is_empty() {
                        self.lost_chunks = vec![0; (d.chunks as usize).div_ceil(64)];
                    }
                    self.lost_chunks[word] |= bit;
                }
            }
        }
        count
    }

    /// Forgets every loss: a restore re-created all replicas.
    fn reset(&mut self) {
        self.lost.iter_mut().for_each(|l| *l = false);
        self.lost_count = 0;
        for (job, generation) in self.job.iter_mut().zip(&mut self.job_gen) {
            *job = Job::None;
            *generation = generation.wrapping_add(1);
        }
        self.waiting.clear();
        self.running = 0;
        self.lost_chunks.clear();
        self.corrupted_at.iter_mut().for_each(|c| *c = None);
    }
}

/// SplitMix64 of (key, chunk, draw): chunk and draw in separate halves of the word, so no
/// two (chunk, draw) pairs collide.
fn hash(key: u64, c: u32, k: u64) -> u64 {
    let mut z = key ^ ((c as u64) << 32 | k).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A value in [0, n) from a uniform 64-bit hash (Lemire's multiply-high).
fn below(h: u64, n: u32) -> u32 {
    ((h as u128 * n as u128) >> 64) as u32
}

impl Trial<'_> {
    /// Node `i` of service `s` loses its replicas now (call [`Self::check_data_loss`]
    /// after marking every node a single event strikes).
    pub(super) fn data_node_lost(&mut self, now: SimTime, s: usize, i: usize) {
        let model = self.model;
        let Some(d) = &model.services[s].data else {
            return;
        };
        let healthy = self.pools[s].healthy[i];
        let st = self.data[s].as_mut().expect("state for a data service");
        if st.restoring || st.lost[i] {
            return;
        }
        st.lost[i] = true;
        st.lost_count += 1;
        st.job[i] = Job::Undetected;
        if d.speed.is_some() && !healthy {
            // Already out of rotation: the loss is known at once.
            self.start_job(now, s, i);
        }
    }

    /// The health verdict on node `i` changed (or, without a health check, the node did):
    /// a loss not yet detected is detected now.
    pub(super) fn data_detected(&mut self, now: SimTime, s: usize, i: usize) {
        if let Some(st) = self.data[s].as_ref()
            && st.job[i] == Job::Undetected
            && self.model.services[s]
                .data
                .as_ref()
                .is_some_and(|d| d.speed.is_some())
        {
            self.start_job(now, s, i);
        }
    }

    fn start_job(&mut self, now: SimTime, s: usize, i: usize) {
        let model = self.model;
        let d = model.services[s].data.as_ref().expect("data");
        let up_others = (0..d.nodes as usize)
            .filter(|&j| j != i && self.pools[s].working(j))
            .count()
            .max(1);
        let st = self.data[s].as_mut().expect("data state");
        if st.running >= d.max_streams {
            st.job[i] = Job::Waiting;
            st.waiting.push_back(i as u32);
            return;
        }
        st.running += 1;
        st.job[i] = Job::Running;
        let duration = match d.speed.as_ref().expect("re-replication") {
            JobSpeed::Rate(rate) => {
                let s = d.node_share_bytes / (rate * up_others as f64);
                SimTime::from_secs_f64(s)
            }
            JobSpeed::Time(dist) => dist.sample(&mut st.rng),
        };
        let generation = st.job_gen[i];
        self.queue.schedule(
            now.saturating_add(duration),
            Event::RereplicationDone {
                service: s as u32,
                node: i as u32,
                generation,
            },
        );
    }

    pub(super) fn on_rereplication_done(
        &mut self,
        now: SimTime,
        s: usize,
        i: usize,
        generation: u32,
    ) {
        let st = self.data[s].as_mut().expect("data state");
        if st.job_gen[i] != generation {
            return;
        }
        st.lost[i] = false;
        st.lost_count -= 1;
        st.job[i] = Job::None;
        st.running -= 1;
        if let Some(next) = st.waiting.pop_front() {
            self.start_job(now, s, next as usize);
        }
    }

    /// After nodes of service `s` lost replicas: a chunk with none left is a data loss.
    pub(super) fn check_data_loss(&mut self, now: SimTime, s: usize) {
        let model = self.model;
        let Some(d) = &model.services[s].data else {
            return;
        };
        let warmup = self.model.warmup;
        let st = self.data[s].as_mut().expect("data state");
        if st.restoring {
            return;
        }
        let lost = st.newly_lost_chunks(d);
        if d.speed.is_none() {
            // One replica: nothing to re-create from; the node holds new data from now on.
            let nodes: Vec<usize> = (0..st.lost.len()).filter(|&j| st.lost[j]).collect();
            for j in nodes {
                st.lost[j] = false;
                st.job[j] = Job::None;
            }
            st.lost_count = 0;
        }
        if lost == 0 {
            return;
        }
        st.counts.first_loss.get_or_insert(now);
        if now >= warmup {
            st.counts.loss_events += 1;
            st.counts.chunks_lost += lost;
        }
        if d.backup.is_some() {
            self.start_restore(now, s, now, d.loss_cause);
        } else {
            // Nothing to restore from: the data is gone and the service goes on; the loss
            // is a row of zero length in outages.csv.
            self.availability.records.push(OutageRecord {
                service: s as u32,
                start: now,
                end: now,
                cause: d.loss_cause,
            });
        }
    }

    /// A corruption strikes node `i` of service `s`.
    pub(super) fn data_corrupted(&mut self, now: SimTime, s: usize, i: usize) {
        if let Some(st) = self.data[s].as_mut() {
            st.corrupted_at[i] = Some(now);
        }
    }

    /// The corruption on node `i` is noticed: restore from before it.
    pub(super) fn data_corruption_noticed(&mut self, now: SimTime, s: usize, i: usize) {
        let model = self.model;
        let Some(d) = &model.services[s].data else {
            return;
        };
        let warmup = self.model.warmup;
        let st = self.data[s].as_mut().expect("data state");
        let Some(struck) = st.corrupted_at[i].take() else {
            // Absorbed by a restore in between.
            return;
        };
        if st.restoring {
            return;
        }
        st.counts.first_loss.get_or_insert(now);
        if now >= warmup {
            st.counts.corruption_events += 1;
        }
        self.start_restore(now, s, struck, d.corruption_cause);
    }

    /// Restores service `s` from the newest recovery point at or before `point_before`:
    /// every node down for the RTO.
    fn start_restore(&mut self, now: SimTime, s: usize, point_before: SimTime, cause: CauseId) {
        let model = self.model;
        let d = model.services[s].data.as_ref().expect("data");
        let backup = d.backup.as_ref().expect("backup");
        let rpo_s = (now - backup.recovery_point(point_before)).as_secs_f64();
        let rto_s = backup.restore_time_s(d.size_bytes);
        let st = self.data[s].as_mut().expect("data state");
        st.restoring = true;
        if now >= self.model.warmup {
            let c = &mut st.counts;
            c.restores += 1;
            c.rpo_sum_s += rpo_s;
            c.rpo_max_s = c.rpo_max_s.max(rpo_s);
            c.rto_sum_s += rto_s;
        }
        self.queue.schedule(
            now.saturating_add(SimTime::from_secs_f64(rto_s)),
            Event::RestoreDone { service: s as u32 },
        );
        self.cause = cause;
        for i in 0..d.nodes as usize {
            self.pools[s].down[i] += 1;
            self.pools[s].last_cause[i] = cause;
            self.node_changed(now, s, i);
        }
    }

    pub(super) fn on_restore_done(&mut self, now: SimTime, s: usize) {
        let model = self.model;
        let d = model.services[s].data.as_ref().expect("data");
        let st = self.data[s].as_mut().expect("data state");
        st.restoring = false;
        st.reset();
        for i in 0..d.nodes as usize {
            self.pools[s].down[i] -= 1;
            self.cause = self.pools[s].last_cause[i];
            self.node_changed(now, s, i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_stays_in_range_and_spreads() {
        let mut seen = [0u32; 7];
        for c in 0..7000 {
            let v = below(hash(42, c, 0), 7);
            seen[v as usize] += 1;
        }
        // 1000 expected per value; ±200 is > 6 standard deviations (sd ≈ 29).
        assert!(seen.iter().all(|&k| (800..1200).contains(&k)), "{seen:?}");
    }
}
