//! `least_connections`: join the shortest queue — the node with the fewest outstanding
//! requests, ties at random.

use super::{Balancer, PoolView, argmin_random_ties};
use crate::engine::SimRng;

/// Fewest outstanding requests.
pub struct LeastConnections;

impl Balancer for LeastConnections {
    fn pick(&mut self, pool: &PoolView<'_>, rng: &mut SimRng) -> Option<usize> {
        argmin_random_ties(pool, rng, |i| pool.outstanding[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::balancer::test_support::{TestPool, pick_counts};

    #[test]
    fn picks_the_least_loaded_and_splits_ties() {
        let pool = TestPool::new(&[3, 1, 1, 0], &[1; 4], &[true, true, true, false], 1);
        let pool = pool.view();
        let counts = pick_counts(&mut LeastConnections, &pool, 2_000);
        assert_eq!((counts[0], counts[3]), (0, 0));
        // Two tied nodes, 1,000 expected each, sd ≈ 22; 5 sd = 112.
        assert!((counts[1] as i64 - 1_000).abs() < 112, "{counts:?}");
    }
}
