//! `random`: a node uniformly at random among those in rotation (each node then sees a
//! thinned Poisson stream: n independent M/M/1 queues under Poisson load).

use super::{Balancer, PoolView, uniform_index};
use crate::engine::SimRng;

/// Uniform choice.
pub struct Random;

impl Balancer for Random {
    fn pick(&mut self, pool: &PoolView<'_>, rng: &mut SimRng) -> Option<usize> {
        if pool.rotation.is_empty() {
            return None;
        }
        Some(pool.rotation[uniform_index(rng, pool.rotation.len())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::balancer::test_support::{TestPool, pick_counts};

    #[test]
    fn spreads_evenly_over_nodes_in_rotation() {
        let pool = TestPool::new(&[0; 4], &[0; 4], &[true, true, false, true], 1);
        let pool = pool.view();
        let counts = pick_counts(&mut Random, &pool, 30_000);
        assert_eq!(counts[2], 0);
        // Each of 3 nodes expects 10,000 picks, sd = sqrt(30000 * 1/3 * 2/3) ≈ 82; 5 sd = 410.
        for i in [0, 1, 3] {
            assert!((counts[i] as i64 - 10_000).abs() < 410, "{counts:?}");
        }
    }
}
