//! `least_response_time`: the node minimising EWMA(latency) x (outstanding + 1), the cost
//! Finagle's and Linkerd's latency-aware balancers use. Pure lowest-EWMA would herd every
//! request onto one node until its average rose; multiplying by the load spreads them,
//! while a slow (gray-failed) node's high EWMA keeps traffic away from it.

use super::{Balancer, PoolView, argmin_random_ties};
use crate::engine::SimRng;

/// Smoothing factor of the latency average: each observation moves it by this share.
/// 0.1 weighs roughly the last ten requests a node served.
pub const EWMA_ALPHA: f64 = 0.1;

/// Latency-aware choice.
pub struct LeastResponseTime {
    ewma_s: Vec<f64>,
}

impl LeastResponseTime {
    /// A pool of `nodes` nodes, none observed yet (an unobserved node scores 0 and is tried
    /// first, which is how it gets observed).
    pub fn new(nodes: usize) -> Self {
        LeastResponseTime {
            ewma_s: vec![0.0; nodes],
        }
    }
}

impl Balancer for LeastResponseTime {
    fn pick(&mut self, pool: &PoolView<'_>, rng: &mut SimRng) -> Option<usize> {
        argmin_random_ties(pool, rng, |i| {
            self.ewma_s[i] * (pool.nodes[i].outstanding as f64 + 1.0)
        })
    }

    fn observes(&self) -> bool {
        true
    }

    fn forget(&mut self, node: usize) {
        self.ewma_s[node] = 0.0;
    }

    fn observe(&mut self, node: usize, latency_s: f64) {
        let e = &mut self.ewma_s[node];
        *e = if *e == 0.0 {
            latency_s
        } else {
            *e + EWMA_ALPHA * (latency_s - *e)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::balancer::test_support::{TestPool, pick_counts};

    #[test]
    fn avoids_the_slow_node() {
        let mut lrt = LeastResponseTime::new(2);
        lrt.observe(0, 0.010);
        lrt.observe(1, 0.500);
        let pool = TestPool::new(&[3, 0], &[1; 2], &[true; 2], 1);
        let pool = pool.view();
        // 0.010 x 4 = 0.04 < 0.5 x 1: node 0 despite its queue.
        assert_eq!(pick_counts(&mut lrt, &pool, 5), vec![5, 0]);
    }

    #[test]
    fn a_new_node_in_a_slot_starts_unobserved() {
        let mut lrt = LeastResponseTime::new(2);
        lrt.observe(0, 0.010);
        lrt.observe(1, 0.500);
        // Slot 1's slow node is replaced: the new one scores 0 and is tried first.
        lrt.forget(1);
        let pool = TestPool::new(&[0, 0], &[0; 2], &[true; 2], 1);
        assert_eq!(pick_counts(&mut lrt, &pool.view(), 3), vec![0, 3]);
    }

    #[test]
    fn ewma_moves_by_alpha() {
        let mut lrt = LeastResponseTime::new(1);
        lrt.observe(0, 1.0);
        lrt.observe(0, 2.0);
        assert!((lrt.ewma_s[0] - (1.0 + EWMA_ALPHA)).abs() < 1e-12);
    }
}
