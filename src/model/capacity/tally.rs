//! What capacity fidelity adds up over a trial: expected visits per service and requests
//! end to end, and, per state met, the expected completions that become the latency
//! histograms.

use rustc_hash::FxHashMap;
use std::hash::Hash;

use super::atoms::Atoms;
use super::cache::StateKey;
use crate::metrics::LatencyHistogram;
use crate::model::Model;
use crate::model::collect::Tally;
use crate::time::SimTime;

/// Expected completions per state. States are numbered when first met, so adding a span
/// is arithmetic, not hashing.
pub struct Weights<K> {
    index: FxHashMap<K, usize>,
    keys: Vec<K>,
    weight: Vec<f64>,
    /// Per state: the share of its completions slower than the SLO target, once asked.
    slow: Vec<Option<f64>>,
}

impl<K> Default for Weights<K> {
    fn default() -> Self {
        Weights {
            index: FxHashMap::default(),
            keys: Vec::new(),
            weight: Vec::new(),
            slow: Vec::new(),
        }
    }
}

impl<K: Hash + Eq + Clone> Weights<K> {
    /// The number of state `key`.
    pub fn id(&mut self, key: &K) -> usize {
        if let Some(&i) = self.index.get(key) {
            return i;
        }
        self.index.insert(key.clone(), self.keys.len());
        self.keys.push(key.clone());
        self.weight.push(0.0);
        self.slow.push(None);
        self.keys.len() - 1
    }

    /// State `id`'s share of completions slower than the SLO target, worked out by
    /// `compute` the first time.
    pub fn slow_share(&mut self, id: usize, compute: impl FnOnce(&K) -> f64) -> f64 {
        let key = &self.keys[id];
        *self.slow[id].get_or_insert_with(|| compute(key))
    }

    /// States numbered so far.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Forgets every state (after [`Weights::record`]): their numbers are void.
    pub fn clear(&mut self) {
        self.index.clear();
        self.keys.clear();
        self.weight.clear();
        self.slow.clear();
    }

    pub fn add(&mut self, id: usize, completions: f64) {
        self.weight[id] += completions;
    }

    /// Records every state's latency atoms, weighted by its completions, into `hist`.
    pub fn record(
        &self,
        hist: &mut LatencyHistogram,
        unit: f64,
        atoms: impl Fn(&K) -> std::sync::Arc<Atoms>,
    ) {
        for (key, &weight) in self.keys.iter().zip(&self.weight) {
            for &(v, p) in &atoms(key).0 {
                let n = (weight * p * unit).round() as u64;
                if n > 0 && v.is_finite() {
                    hist.record_n(SimTime::from_secs_f64(v), n);
                }
            }
        }
    }
}

/// Histogram counts per expected request: the unit makes a trial's total about 2^40
/// counts, so tail atoms of rare states keep their weight and 10^4 merged trials stay
/// far below u64::MAX.
pub fn count_unit(model: &Model) -> f64 {
    let requests = model.rate_per_s.unwrap_or(0.0) * model.measured_s();
    (1u64 << 40) as f64 / requests.max(1.0)
}

/// What becomes of a request along the route in the current states, as shares of the
/// requests arriving at the entry.
#[derive(Clone, Debug, Default)]
pub struct RouteOutcome {
    pub completed_share: f64,
    pub dropped: f64,
    pub timed_out: f64,
    pub errors: f64,
    pub wait_probability: f64,
    pub wait_mean_s: f64,
    pub latency_mean_s: f64,
    /// The route's state number for the end-to-end histogram, when the route has more
    /// than one service and none is overloaded (else the latency is unknown or the
    /// entry's own).
    pub weight_id: Option<usize>,
    /// Whether no service on the route is overloaded.
    pub latency_known: bool,
    /// Share of completed requests slower than the SLO's latency target.
    pub slow_share: f64,
}

/// One service's visits over a span of `dt` seconds at `rate` visits per second, of
/// which `error_share` go to nodes that do not work.
pub struct Span<'a> {
    pub dt: f64,
    pub rate: f64,
    pub error_share: f64,
    pub stats: &'a super::queueing::StateStats,
    pub timeout_s: f64,
}

/// Adds a service's span to its tally; returns its expected completions (with a known
/// latency) and the visit-seconds it spent in the system.
///
/// Visits sent to a node that does not work fail at once, or, when the service has a
/// timeout, hang until it (as in request fidelity).
pub fn add_service_span(t: &mut Tally, span: &Span) -> (f64, f64) {
    let st = span.stats;
    let visits = span.rate * span.dt;
    let sent = visits * (1.0 - span.error_share);
    let accepted = sent * (1.0 - st.dropped_share);
    let timed_out = accepted * st.timeout_share;
    let completed = accepted - timed_out;
    let (hung, failed) = if span.timeout_s > 0.0 {
        (visits - sent, 0.0)
    } else {
        (0.0, visits - sent)
    };
    t.visits += visits;
    t.errors += failed;
    t.dropped += sent - accepted;
    t.started += accepted;
    t.timed_out += timed_out + hung;
    t.completed += completed;
    t.busy_slot_s += st.busy_slots * span.dt;
    if st.overloaded || completed <= 0.0 {
        return (0.0, hung * span.timeout_s);
    }
    t.queued += accepted * st.wait_probability;
    t.wait_s += accepted * st.wait_mean_s;
    t.latency_n += completed;
    t.latency_s += completed * st.sojourn_mean_s;
    (
        completed,
        completed * st.sojourn_mean_s + (timed_out + hung) * span.timeout_s,
    )
}

/// Adds `requests` entry requests with outcome `route` to the end-to-end tally.
pub fn add_route_span(e: &mut Tally, requests: f64, route: &RouteOutcome) {
    let completed = requests * route.completed_share;
    e.visits += requests;
    e.completed += completed;
    e.dropped += requests * route.dropped;
    e.timed_out += requests * route.timed_out;
    e.errors += requests * route.errors;
    if route.latency_known && completed > 0.0 {
        e.started += completed;
        e.queued += completed * route.wait_probability;
        e.wait_s += completed * route.wait_mean_s;
        e.latency_n += completed;
        e.latency_s += completed * route.latency_mean_s;
    }
    debug_assert!(
        (e.visits - e.completed - e.dropped - e.timed_out - e.errors).abs()
            <= 1e-9 * e.visits.max(1.0),
        "conservation of expected requests"
    );
}

/// Both at once: the histograms' state numbers and weights of one service.
pub type ServiceWeights = Weights<StateKey>;
/// And of routes.
pub type RouteWeights = Weights<Vec<StateKey>>;
