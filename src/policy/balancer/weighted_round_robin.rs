//! `weighted_round_robin`: smooth weighted round robin as in nginx (each pick adds every
//! node's weight to its credit, picks the largest credit and subtracts the total), which
//! interleaves nodes instead of sending bursts: weights 5,1,1 give a a b a c a a.

use super::{Balancer, PoolView};
use crate::engine::SimRng;

/// Picks node i in proportion to `weights[i]`, spread evenly.
pub struct WeightedRoundRobin {
    weights: Vec<i64>,
    credit: Vec<i64>,
}

impl WeightedRoundRobin {
    /// One weight per node.
    pub fn new(weights: &[u32]) -> Self {
        WeightedRoundRobin {
            weights: weights.iter().map(|&w| w as i64).collect(),
            credit: vec![0; weights.len()],
        }
    }
}

impl Balancer for WeightedRoundRobin {
    fn pick(&mut self, pool: &PoolView<'_>, _rng: &mut SimRng) -> Option<usize> {
        let mut total = 0;
        let mut best: Option<usize> = None;
        for i in (0..pool.len()).filter(|&i| pool.nodes[i].in_rotation) {
            self.credit[i] += self.weights[i];
            total += self.weights[i];
            if best.is_none_or(|b| self.credit[i] > self.credit[b]) {
                best = Some(i);
            }
        }
        let b = best?;
        self.credit[b] -= total;
        Some(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream_rng;
    use crate::policy::balancer::test_support::TestPool;

    #[test]
    fn nginx_sequence() {
        let pool = TestPool::new(&[0; 3], &[0; 3], &[true; 3], 1);
        let pool = pool.view();
        let mut wrr = WeightedRoundRobin::new(&[5, 1, 1]);
        let mut rng = stream_rng(1, 0, 0);
        let picks: String = (0..7)
            .map(|_| (b'a' + wrr.pick(&pool, &mut rng).unwrap() as u8) as char)
            .collect();
        assert_eq!(picks, "aabacaa");
    }
}
