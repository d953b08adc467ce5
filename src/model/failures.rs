//! Node failure modes, repair crews and domain outages: the events that change whether
//! nodes work.
//!
//! Each node runs one independent clock per failure mode: ttf, failure, ttr, recovery, ttf
//! again (one mode's failure does not pause another's). `crash` and `slow` repairs wait
//! for a crew when crews are limited (first come, first served, shared by all services);
//! their ttr starts when a crew takes them on. `restart` needs no crew. Each outage clock
//! alternates ttf (up) and ttr (outage) for its domain.

use std::borrow::Cow;
use std::collections::VecDeque;

use rand::RngExt;

use super::pool::Life;
use super::trial::Trial;
use super::{CauseId, Event};
use crate::scenario::{FailureEffect, OutageEffect};
use crate::time::SimTime;

/// Repair crews: free count and the repairs waiting for one.
pub struct Crews {
    /// `None`: unlimited.
    free: Option<u32>,
    /// (service, node, mode, node generation) of each waiting repair.
    waiting: VecDeque<(u32, u32, u32, u32)>,
}

impl Crews {
    /// `crews` crews (`None`: unlimited), all free.
    pub fn new(crews: Option<u32>) -> Crews {
        Crews {
            free: crews,
            waiting: VecDeque::new(),
        }
    }
}

impl Trial<'_> {
    /// Schedules every node's first failure of every mode and every domain's first outage.
    pub(super) fn start_failure_clocks(&mut self) {
        for (s, svc) in self.model.services.iter().enumerate() {
            for i in 0..svc.nodes {
                if self.pools[s].slots[i].life == Life::Active {
                    self.start_node_clocks(SimTime::ZERO, s, i);
                }
            }
        }
        for (o, outage) in self.model.outages.iter().enumerate() {
            for k in 0..outage.domains.len() {
                let ttf = outage.ttf.sample(&mut self.outage_rng[o][k]);
                self.queue.schedule(
                    ttf,
                    Event::OutageStart {
                        outage: o as u32,
                        k: k as u32,
                    },
                );
            }
        }
    }

    /// Schedules node `i`'s first failure of every mode, from `now`.
    pub(super) fn start_node_clocks(&mut self, now: SimTime, s: usize, i: usize) {
        let life = self.pools[s].node_gen[i];
        for (m, mode) in self.model.services[s].failures.iter().enumerate() {
            let ttf = mode.ttf.sample(&mut self.pools[s].failure_rng[i]);
            let event = Event::NodeFail {
                service: s as u32,
                node: i as u32,
                mode: m as u32,
                life,
            };
            self.queue.schedule(now.saturating_add(ttf), event);
        }
    }

    pub(super) fn on_node_fail(&mut self, now: SimTime, s: usize, i: usize, m: usize, life: u32) {
        if self.pools[s].node_gen[i] != life {
            return;
        }
        let mode = &self.model.services[s].failures[m];
        self.cause = mode.cause;
        let pool = &mut self.pools[s];
        pool.last_cause[i] = mode.cause;
        pool.active_modes[i] |= 1 << m;
        if mode.takes_node_down() {
            pool.slots[i].down += 1;
        }
        self.refresh_slow_factor(s, i);
        if mode.loses_data {
            self.data_node_lost(now, s, i);
            self.check_data_loss(now, s);
        }
        if mode.effect == FailureEffect::Corrupt {
            self.data_corrupted(now, s, i);
        }
        self.node_changed(now, s, i);
        let ttr_now = match (&mut self.crews.free, mode.needs_crew()) {
            (_, false) | (None, true) => true,
            (Some(free), true) if *free > 0 => {
                *free -= 1;
                true
            }
            (Some(_), true) => false,
        };
        if mode.needs_crew() && self.crews.free.is_some() && ttr_now {
            self.pools[s].crews_held[i] += 1;
        }
        if ttr_now {
            self.schedule_recovery(now, s, i, m);
        } else {
            self.crews
                .waiting
                .push_back((s as u32, i as u32, m as u32, life));
        }
    }

    /// A crew became free: the first repair still waiting (of a node not terminated since)
    /// takes it, or it joins the free crews.
    pub(super) fn release_crew(&mut self, now: SimTime) {
        while let Some((s, i, m, life)) = self.crews.waiting.pop_front() {
            let (s, i, m) = (s as usize, i as usize, m as usize);
            if self.pools[s].node_gen[i] == life {
                self.pools[s].crews_held[i] += 1;
                self.schedule_recovery(now, s, i, m);
                return;
            }
        }
        *self.crews.free.as_mut().expect("limited crews") += 1;
    }

    fn schedule_recovery(&mut self, now: SimTime, s: usize, i: usize, m: usize) {
        let ttr = self.model.services[s].failures[m]
            .ttr
            .sample(&mut self.pools[s].failure_rng[i]);
        let life = self.pools[s].node_gen[i];
        let event = Event::NodeRecover {
            service: s as u32,
            node: i as u32,
            mode: m as u32,
            life,
        };
        self.queue.schedule(now.saturating_add(ttr), event);
    }

    pub(super) fn on_node_recover(
        &mut self,
        now: SimTime,
        s: usize,
        i: usize,
        m: usize,
        life: u32,
    ) {
        if self.pools[s].node_gen[i] != life {
            // The node was terminated meanwhile; its crew was freed then.
            return;
        }
        let mode = &self.model.services[s].failures[m];
        let (down, crew) = (mode.takes_node_down(), mode.needs_crew());
        if mode.effect == FailureEffect::Corrupt {
            self.data_corruption_noticed(now, s, i);
        }
        let pool = &mut self.pools[s];
        pool.active_modes[i] &= !(1 << m);
        if down {
            pool.slots[i].down -= 1;
        }
        self.refresh_slow_factor(s, i);
        self.cause = self.pools[s].last_cause[i];
        self.node_changed(now, s, i);
        if crew && self.crews.free.is_some() {
            self.pools[s].crews_held[i] -= 1;
            self.release_crew(now);
        }
        let ttf = self.model.services[s].failures[m]
            .ttf
            .sample(&mut self.pools[s].failure_rng[i]);
        let event = Event::NodeFail {
            service: s as u32,
            node: i as u32,
            mode: m as u32,
            life,
        };
        self.queue.schedule(now.saturating_add(ttf), event);
    }

    /// The product of the factors of node `i`'s active slow failures.
    fn refresh_slow_factor(&mut self, s: usize, i: usize) {
        let active = self.pools[s].active_modes[i];
        self.pools[s].slots[i].slow_factor = self.model.services[s]
            .failures
            .iter()
            .enumerate()
            .filter(|(m, _)| active & (1 << m) != 0)
            .map(|(_, f)| {
                if let FailureEffect::Slow { factor } = f.effect {
                    factor
                } else {
                    1.0
                }
            })
            .product();
    }

    pub(super) fn on_outage(&mut self, now: SimTime, o: usize, k: usize, starts: bool) {
        let model = self.model;
        let outage = &model.outages[o];
        let (domain, cause): (usize, CauseId) = outage.domains[k];
        if starts {
            self.cause = cause;
        }
        let struck: Cow<[(u32, u32)]> = match outage.random_fraction {
            None => Cow::Borrowed(&model.domain_nodes[domain]),
            Some(fraction) if starts => {
                // A uniform subset of the nodes provisioned now (launched, not yet
                // terminated), round(fraction × them) and at least one: a partial
                // Fisher-Yates shuffle.
                let mut all: Vec<(u32, u32)> = (self.pools.iter().enumerate())
                    .flat_map(|(s, pool)| {
                        (0..pool.slots.len())
                            .filter(|&i| pool.slots[i].life != Life::Off)
                            .map(move |i| (s as u32, i as u32))
                    })
                    .collect();
                let count = ((fraction * all.len() as f64).round() as usize)
                    .max(1)
                    .min(all.len());
                let rng = &mut self.outage_rng[o][k];
                for j in 0..count {
                    let pick = rng.random_range(j..all.len());
                    all.swap(j, pick);
                }
                all.truncate(count);
                self.struck[o] = all.clone();
                Cow::Owned(all)
            }
            Some(_) => Cow::Owned(std::mem::take(&mut self.struck[o])),
        };
        let data_lost = starts && outage.loses_data && outage.effect == OutageEffect::Down;
        for &(s, i) in struck.iter() {
            let (s, i) = (s as usize, i as usize);
            let pool = &mut self.pools[s];
            let counter = match outage.effect {
                OutageEffect::Down => &mut pool.slots[i].down,
                OutageEffect::Network => &mut pool.slots[i].cut_off,
            };
            if starts {
                *counter += 1;
                pool.last_cause[i] = cause;
            } else {
                *counter -= 1;
            }
            if data_lost {
                // Every struck node is marked first, so the loss check sees them together.
                self.data_node_lost(now, s, i);
            } else {
                self.node_changed(now, s, i);
            }
        }
        if data_lost {
            for s in 0..model.services.len() {
                self.check_data_loss(now, s);
            }
            self.cause = cause;
            for &(s, i) in struck.iter() {
                self.node_changed(now, s as usize, i as usize);
            }
        }
        let (next, event) = if starts {
            let ttr = outage.ttr.sample(&mut self.outage_rng[o][k]);
            (
                ttr,
                Event::OutageEnd {
                    outage: o as u32,
                    k: k as u32,
                },
            )
        } else {
            let ttf = outage.ttf.sample(&mut self.outage_rng[o][k]);
            (
                ttf,
                Event::OutageStart {
                    outage: o as u32,
                    k: k as u32,
                },
            )
        };
        self.queue.schedule(now.saturating_add(next), event);
    }
}
