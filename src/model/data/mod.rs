//! A storage service's data during a trial: where each chunk's replicas are, which nodes
//! have lost theirs, re-replication, data loss, corruption, and restores from backup.
//!
//! Placement is derived, never stored (`placement.rs`): a million chunks cost no memory;
//! what a loss costs is a scan of the chunks, which runs only when at least `replicas`
//! nodes are in the lost state at once (3 to 4 ms per million chunks on one core), and a
//! bitset of the chunks lost (allocated at the first loss).
//!
//! The rules (docs/SCENARIOS.md states them for users):
//! - A node's replicas are lost when a `loses_data` failure or outage strikes it. They are
//!   re-created by a re-replication job that starts when the loss is detected: at the
//!   health check's verdict, or when the node comes back without them, or at once without a
//!   health check. At most `max_streams` jobs run at once (first come, first served). A
//!   job copies the node's share, size × replicas / nodes; the nodes up with their
//!   replicas give `rate` each, shared equally by the running jobs (re-divided when one
//!   starts or ends). Or a job takes a drawn `time`. The re-created replicas take the lost ones'
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

mod placement;

use placement::Placement;
pub use placement::PlacementModel;

use super::trial::Trial;
use super::{CauseId, Event, streams};
use crate::dist::Dist;
use crate::engine::{SimRng, stream_rng};
use crate::metrics::OutageRecord;
use crate::scenario::{BackupSpec, DataSpec, PlacementRule, RereplicationSpeed};
use crate::time::SimTime;

/// How long a re-replication job takes.
#[derive(Clone, Debug)]
pub enum JobSpeed {
    /// Bytes per second each other node that is up gives.
    Rate(f64),
    /// A drawn duration.
    Time(Dist),
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
    /// Where this trial puts each chunk's replicas.
    placement: Placement,
    lost: Vec<bool>,
    lost_count: u32,
    job: Vec<Job>,
    /// Bumped to cancel a node's pending job.
    job_gen: Vec<u32>,
    waiting: VecDeque<u32>,
    running: u32,
    /// With a `rate`: the bytes each running job has left, and the bandwidth each gets
    /// (bytes/s) since `shared_since`.
    remaining_bytes: Vec<f64>,
    share_bps: f64,
    shared_since: SimTime,
    /// One bit per chunk lost without a backup to restore it (empty until the first loss).
    lost_chunks: Vec<u64>,
    pub restoring: bool,
    /// Per node: when its active corruption struck, and whether it was noticed while a
    /// restore ran (it is acted on when the restore ends, if the restore kept it).
    corrupted_at: Vec<Option<SimTime>>,
    noticed_in_restore: Vec<bool>,
    /// The recovery point the running restore restores.
    restore_point: SimTime,
    rng: SimRng,
    pub counts: DataCounts,
}

impl DataState {
    /// The state of service `s`'s data at time zero of trial `trial`.
    pub fn new(d: &DataModel, seed: u64, trial: u64, s: usize) -> DataState {
        let placement = Placement::new(d, stream_rng(seed, trial, streams::placement(s)));
        let n = d.nodes as usize;
        DataState {
            placement,
            lost: vec![false; n],
            lost_count: 0,
            job: vec![Job::None; n],
            job_gen: vec![0; n],
            waiting: VecDeque::new(),
            running: 0,
            remaining_bytes: vec![0.0; n],
            share_bps: 0.0,
            shared_since: SimTime::ZERO,
            lost_chunks: Vec::new(),
            restoring: false,
            corrupted_at: vec![None; n],
            noticed_in_restore: vec![false; n],
            restore_point: SimTime::ZERO,
            rng: stream_rng(seed, trial, streams::rereplication(s)),
            counts: DataCounts::default(),
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
                .placement
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
            if self.placement.all_lost(d, c, &self.lost) {
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

    /// Charges every running job the bytes its share copied since the last change.
    fn settle_shares(&mut self, now: SimTime) {
        let copied = self.share_bps * (now - self.shared_since).as_secs_f64();
        for (job, left) in self.job.iter().zip(&mut self.remaining_bytes) {
            if matches!(job, Job::Running) {
                *left = (*left - copied).max(0.0);
            }
        }
        self.shared_since = now;
    }

    /// Forgets every loss: a restore re-created all replicas. A corruption that struck
    /// before the recovery point restored is in the backup too, so it stays.
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
        let point = self.restore_point;
        for (struck, noticed) in self
            .corrupted_at
            .iter_mut()
            .zip(&mut self.noticed_in_restore)
        {
            if struck.is_some_and(|t| t >= point) {
                (*struck, *noticed) = (None, false);
            }
        }
    }
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
        let st = self.data[s].as_mut().expect("data state");
        if st.running >= d.max_streams {
            st.job[i] = Job::Waiting;
            st.waiting.push_back(i as u32);
            return;
        }
        st.job[i] = Job::Running;
        match d.speed.as_ref().expect("re-replication") {
            JobSpeed::Rate(_) => {
                st.settle_shares(now);
                st.running += 1;
                st.remaining_bytes[i] = d.node_share_bytes;
                self.reshare(now, s);
            }
            JobSpeed::Time(dist) => {
                st.running += 1;
                let duration = dist.sample(&mut st.rng);
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
        }
    }

    /// Re-replication with a `rate`: the nodes that are up and hold their replicas give
    /// `rate` each, shared equally by the running jobs; every running job's completion is
    /// rescheduled at the new share (call after the jobs' bytes are settled to `now`).
    fn reshare(&mut self, now: SimTime, s: usize) {
        let model = self.model;
        let d = model.services[s].data.as_ref().expect("data");
        let Some(JobSpeed::Rate(rate)) = d.speed else {
            return;
        };
        let st = self.data[s].as_ref().expect("data state");
        if st.running == 0 {
            return;
        }
        let givers = (0..d.nodes as usize)
            .filter(|&j| !st.lost[j] && self.pools[s].working(j))
            .count()
            .max(1);
        let st = self.data[s].as_mut().expect("data state");
        st.share_bps = rate * givers as f64 / st.running as f64;
        st.shared_since = now;
        for j in 0..d.nodes as usize {
            if !matches!(st.job[j], Job::Running) {
                continue;
            }
            st.job_gen[j] = st.job_gen[j].wrapping_add(1);
            let left_s = st.remaining_bytes[j] / st.share_bps;
            self.queue.schedule(
                now.saturating_add(SimTime::from_secs_f64(left_s)),
                Event::RereplicationDone {
                    service: s as u32,
                    node: j as u32,
                    generation: st.job_gen[j],
                },
            );
        }
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
        st.settle_shares(now);
        st.lost[i] = false;
        st.lost_count -= 1;
        st.job[i] = Job::None;
        st.remaining_bytes[i] = 0.0;
        st.running -= 1;
        match st.waiting.pop_front() {
            Some(next) => self.start_job(now, s, next as usize),
            None => self.reshare(now, s),
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
        if d.replicas == 1 {
            // One replica: nothing to re-create from; the node serves again at once. What
            // it held is gone: a chunk lost without a backup stays lost (it is counted
            // once, as with more replicas).
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
        let Some(struck) = st.corrupted_at[i] else {
            // Erased by a restore from before it.
            return;
        };
        if st.restoring {
            // Whether the running restore erases it is known when it ends.
            st.noticed_in_restore[i] = true;
            return;
        }
        st.corrupted_at[i] = None;
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
        let point = backup.recovery_point(point_before);
        let rpo_s = (now - point).as_secs_f64();
        let rto_s = backup.restore_time_s(d.size_bytes);
        let st = self.data[s].as_mut().expect("data state");
        st.restoring = true;
        st.restore_point = point;
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
            self.pools[s].slots[i].down += 1;
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
            self.pools[s].slots[i].down -= 1;
            self.cause = self.pools[s].last_cause[i];
            self.node_changed(now, s, i);
        }
        // A corruption the restore kept and that was noticed meanwhile: restore again,
        // from before it.
        let st = self.data[s].as_mut().expect("data state");
        if let Some(i) = (0..st.noticed_in_restore.len()).find(|&i| st.noticed_in_restore[i]) {
            st.noticed_in_restore[i] = false;
            self.data_corruption_noticed(now, s, i);
        }
    }
}
