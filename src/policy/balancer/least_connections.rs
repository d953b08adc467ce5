//! `least_connections`: join the shortest queue — the node with the fewest outstanding
//! requests, ties at random.

use super::{Balancer, PoolView, uniform_index};
use crate::engine::SimRng;

/// Fewest outstanding requests.
pub struct LeastConnections;

impl Balancer for LeastConnections {
    /// The same rule as [`super::argmin_random_ties`] (the k-th tie in rotation order, one
    /// draw when nodes tie), over the contiguous loads of the rotation: the first two passes
    /// vectorise, the third has no data-dependent branch but its exit.
    fn pick(&mut self, pool: &PoolView<'_>, rng: &mut SimRng) -> Option<usize> {
        let loads = pool.rotation_outstanding;
        if loads.is_empty() {
            return None;
        }
        // A fold over plain integers vectorises; `min()` with its `Option` does not.
        let least = loads.iter().fold(u32::MAX, |m, &l| m.min(l));
        let ties = loads.iter().filter(|&&l| l == least).count();
        let k = if ties > 1 {
            uniform_index(rng, ties)
        } else {
            0
        };
        // The k-th tie: count ties as they pass, without a branch on each load.
        let mut seen = 0;
        let position = loads.iter().position(|&l| {
            seen += (l == least) as usize;
            seen > k
        })?;
        Some(pool.rotation[position])
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
