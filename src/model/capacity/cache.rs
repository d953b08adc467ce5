//! A service state's figures, worked out once per model: a state's figures are a pure
//! function of its [`StateKey`], so every trial and thread may share them, and results do
//! not depend on which trial met a state first.

use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::atoms::{Atoms, levels};
use super::hop::HopKey;
use super::queueing::{Serving, StateStats, state_stats};
use crate::model::Model;

/// A service's state as the closed forms see it. The rate and the slow factor are rounded
/// to 1 part in 8,192 (f32 with its 10 lowest mantissa bits rounded off), so states met
/// again (the same hour of another day, the same load with a node more or less in
/// rotation) are recognised: a load error below 0.013%, far inside the closed forms' own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateKey {
    pub service: u32,
    pub nodes: u32,
    pub slow_nodes: u32,
    pub slow_factor_bits: u32,
    pub rate_bits: u32,
    /// The cross-zone delay its visits' slots hold (none without zone latencies).
    pub hop: HopKey,
}

impl StateKey {
    /// The key of service `s` with `serving` nodes receiving `rate_per_s` visits whose
    /// slots also hold `hop`.
    pub fn new(s: usize, serving: Serving, rate_per_s: f64, hop: HopKey) -> StateKey {
        StateKey {
            service: s as u32,
            nodes: serving.nodes,
            slow_nodes: serving.slow_nodes,
            slow_factor_bits: rounded_bits(serving.slow_factor),
            rate_bits: rounded_bits(rate_per_s),
            hop,
        }
    }
}

/// `x` (finite, >= 0) as f32 bits with the 10 lowest mantissa bits rounded off.
pub(super) fn rounded_bits(x: f64) -> u32 {
    let bits = (x as f32).to_bits();
    (bits.saturating_add(1 << 9)) & !((1 << 10) - 1)
}

/// Most routes the shared cache holds, and most units of states (see [`state_units`]);
/// past either, that part starts afresh. A state's figures are a pure function of its key,
/// so forgetting costs time, never results, and memory stays bounded however long the
/// horizon: at most 16,384 states with latency atoms of their own (8 KB each), or half a
/// million that share their service's.
const SHARED_LIMIT: usize = 1 << 14;
const STATE_UNITS: usize = 1 << 19;

/// What a state takes of the shared cache: 1 when its visit time is its service's own
/// atoms (no wait, no hop, no slow node), 32 when it carries 512 atoms of its own.
fn state_units(st: &StateStats, service_time: &Arc<Atoms>) -> usize {
    if Arc::ptr_eq(&st.sojourn, service_time) {
        1
    } else {
        STATE_UNITS / SHARED_LIMIT
    }
}

/// The states worked out, and the units they take.
#[derive(Debug, Default)]
struct States {
    map: FxHashMap<StateKey, Arc<StateStats>>,
    units: usize,
}

/// States and routes already worked out, shared by every trial of a model.
#[derive(Debug, Default)]
pub struct CapacityCache {
    states: Mutex<States>,
    routes: Mutex<FxHashMap<Vec<StateKey>, Arc<Atoms>>>,
    /// Per service: its service time as atoms at the standard levels.
    service_time: OnceLock<Vec<Arc<Atoms>>>,
}

impl CapacityCache {
    /// The figures of state `key`.
    pub fn state(&self, model: &Model, key: StateKey) -> Arc<StateStats> {
        if let Some(st) = self.states.lock().expect("no panics hold it").map.get(&key) {
            return st.clone();
        }
        let quantiles = self.service_time.get_or_init(|| {
            let u: Vec<f64> = levels().iter().map(|l| l.0).collect();
            model
                .services
                .iter()
                .map(|s| Arc::new(Atoms::from_quantiles(&s.service_spec.quantiles_s(&u))))
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
            key.hop.atoms().as_ref(),
        ));
        let units = state_units(&st, &quantiles[s]);
        let mut states = self.states.lock().expect("no panics hold it");
        if states.units + units > STATE_UNITS {
            *states = States::default();
        }
        // Another thread may have worked it out meanwhile: count it once.
        let States { map, units: used } = &mut *states;
        map.entry(key)
            .or_insert_with(|| {
                *used += units;
                st
            })
            .clone()
    }

    /// End-to-end latency of a route whose services are in `keys` (none overloaded).
    pub fn route(&self, model: &Model, keys: &[StateKey]) -> Arc<Atoms> {
        if let Some(a) = self.routes.lock().expect("no panics hold it").get(keys) {
            return a.clone();
        }
        let mut sum = (*self.state(model, keys[0]).sojourn).clone();
        for &k in &keys[1..] {
            sum = sum.convolve(&self.state(model, k).sojourn.coarse());
        }
        let mut routes = self.routes.lock().expect("no panics hold it");
        if routes.len() >= SHARED_LIMIT {
            routes.clear();
        }
        routes.entry(keys.to_vec()).or_insert(Arc::new(sum)).clone()
    }
}
