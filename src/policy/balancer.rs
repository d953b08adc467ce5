//! Load balancers: which node of a pool serves a request.
//!
//! Every balancer sees the pool through [`PoolView`] and draws randomness only from the
//! service's routing stream, so a routing decision never disturbs arrivals or service
//! times (common random numbers across balancer designs).

mod central;
mod least_connections;
mod least_response_time;
mod load_levels;
mod power_of_two;
mod random;
mod round_robin;
mod weighted_round_robin;

use crate::engine::SimRng;
use crate::scenario::BalancerSpec;

pub use central::Central;
pub use least_connections::LeastConnections;
pub use least_response_time::{EWMA_ALPHA, LeastResponseTime};
pub use load_levels::LoadLevels;
pub use power_of_two::PowerOfTwo;
pub use random::Random;
pub use round_robin::RoundRobin;
pub use weighted_round_robin::WeightedRoundRobin;

/// What a balancer sees of one node slot. The pool keeps these in one array, a node's
/// fields side by side, because every request reads and changes them together (one index
/// a node rather than one a field).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeLoad {
    /// Requests assigned to the node and not yet finished there (in service + queued).
    pub outstanding: u32,
    /// Slots in use.
    pub busy: u32,
    /// Whether the node currently receives requests.
    pub in_rotation: bool,
}

/// What a balancer may look at: the pool's nodes, by index.
pub struct PoolView<'a> {
    /// Each node slot's load.
    pub nodes: &'a [NodeLoad],
    /// The nodes in rotation, in index order (so a balancer never scans idle slots).
    pub rotation: &'a [usize],
    /// Slots per node.
    pub concurrency: u32,
}

impl PoolView<'_> {
    /// Nodes in the pool.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the pool has no node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// Picks nodes for requests.
pub trait Balancer: Send {
    /// True when requests wait in one queue shared by the pool and a node is picked only
    /// once a slot is free (`central`); false when each node has its own queue.
    fn shared_queue(&self) -> bool {
        false
    }

    /// The node for the next request, among nodes in rotation (and, for a shared queue,
    /// with a free slot); `None` when there is none.
    fn pick(&mut self, pool: &PoolView<'_>, rng: &mut SimRng) -> Option<usize>;

    /// Whether the balancer picks a least-loaded node in rotation, ties broken uniformly
    /// at random (the k-th tie in index order): the pool then keeps [`LoadLevels`] and
    /// picks from them itself ([`LoadLevels::pick_least`]), calling [`Balancer::pick`]
    /// only when they cannot answer (asked once).
    fn picks_least_loaded(&self) -> bool {
        false
    }

    /// Whether the balancer uses [`Balancer::observe`] (asked once, so that the others cost
    /// nothing per request).
    fn observes(&self) -> bool {
        false
    }

    /// Feedback: a request's visit to `node` took `latency_s` (wait + service).
    fn observe(&mut self, _node: usize, _latency_s: f64) {}

    /// A new node was launched into slot `node`: what was learned of the slot's previous
    /// node does not apply to it.
    fn forget(&mut self, _node: usize) {}
}

/// The balancer a spec names, for a pool of `nodes` nodes.
pub fn build(spec: &BalancerSpec, nodes: usize) -> Box<dyn Balancer> {
    match spec {
        BalancerSpec::Central => Box::new(Central::default()),
        BalancerSpec::RoundRobin => Box::new(RoundRobin::default()),
        BalancerSpec::Random => Box::new(Random),
        BalancerSpec::LeastConnections => Box::new(LeastConnections),
        BalancerSpec::PowerOfTwo => Box::new(PowerOfTwo),
        BalancerSpec::WeightedRoundRobin { weights } => Box::new(WeightedRoundRobin::new(weights)),
        BalancerSpec::LeastResponseTime => Box::new(LeastResponseTime::new(nodes)),
    }
}

/// Uniform index in `0..n` (n > 0) from the routing stream.
pub(crate) fn uniform_index(rng: &mut SimRng, n: usize) -> usize {
    use rand::RngExt;
    rng.random_range(0..n)
}

/// Among nodes in rotation, one minimising `score`, ties broken uniformly at random: the
/// k-th tie in rotation order, one random draw when nodes tie. Three passes (the minimum,
/// the ties, the k-th) with no data-dependent branch but the last one's exit: a scan of
/// tens of nodes per request costs less this way than with one branchy pass.
pub(crate) fn argmin_random_ties<F: Fn(usize) -> S, S: PartialOrd + Copy>(
    pool: &PoolView<'_>,
    rng: &mut SimRng,
    score: F,
) -> Option<usize> {
    let (&first, rest) = pool.rotation.split_first()?;
    let least = rest.iter().fold(score(first), |m, &i| {
        let s = score(i);
        if s < m { s } else { m }
    });
    let ties = pool.rotation.iter().filter(|&&i| score(i) == least).count();
    let k = if ties > 1 {
        uniform_index(rng, ties)
    } else {
        0
    };
    let mut seen = 0;
    pool.rotation.iter().copied().find(|&i| {
        seen += (score(i) == least) as usize;
        seen > k
    })
}

/// The nodes in rotation from the first at or after index `next`, wrapping around: where
/// the rotating balancers look.
pub(crate) fn rotation_from<'a>(
    rotation: &'a [usize],
    next: usize,
) -> impl Iterator<Item = usize> + 'a {
    let start = rotation.partition_point(|&i| i < next);
    rotation[start..].iter().chain(&rotation[..start]).copied()
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::engine::stream_rng;

    /// A pool's state, owned, for building a [`PoolView`] in a test.
    pub struct TestPool {
        nodes: Vec<NodeLoad>,
        rotation: Vec<usize>,
        concurrency: u32,
    }

    impl TestPool {
        pub fn new(
            outstanding: &[u32],
            busy: &[u32],
            in_rotation: &[bool],
            concurrency: u32,
        ) -> Self {
            let rotation: Vec<usize> = (0..in_rotation.len()).filter(|&i| in_rotation[i]).collect();
            let nodes = (0..in_rotation.len())
                .map(|i| NodeLoad {
                    outstanding: outstanding[i],
                    busy: busy[i],
                    in_rotation: in_rotation[i],
                })
                .collect();
            TestPool {
                nodes,
                rotation,
                concurrency,
            }
        }

        pub fn view(&self) -> PoolView<'_> {
            PoolView {
                nodes: &self.nodes,
                rotation: &self.rotation,
                concurrency: self.concurrency,
            }
        }
    }

    /// Counts how often `balancer` picks each node over `n` picks of a fixed pool.
    pub fn pick_counts(balancer: &mut dyn Balancer, pool: &PoolView<'_>, n: usize) -> Vec<usize> {
        let mut rng = stream_rng(1, 0, 0);
        let mut counts = vec![0; pool.len()];
        for _ in 0..n {
            if let Some(i) = balancer.pick(pool, &mut rng) {
                counts[i] += 1;
            }
        }
        counts
    }
}
