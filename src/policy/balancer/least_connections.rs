//! `least_connections`: join the shortest queue — the node with the fewest outstanding
//! requests, ties at random (the k-th tie in index order, k uniform).
//!
//! This is the scan. A pool with this balancer keeps its nodes in rotation grouped by load
//! ([`super::LoadLevels`], [`Balancer::picks_least_loaded`]) and picks from them itself —
//! the same node, with the same random draw — asking here only when the levels cannot
//! answer (every node in rotation deeper than the levels, or none in rotation).

use super::{Balancer, PoolView, argmin_random_ties};
use crate::engine::SimRng;

/// Fewest outstanding requests.
pub struct LeastConnections;

impl Balancer for LeastConnections {
    fn picks_least_loaded(&self) -> bool {
        true
    }

    fn pick(&mut self, pool: &PoolView<'_>, rng: &mut SimRng) -> Option<usize> {
        argmin_random_ties(pool, rng, |i| pool.nodes[i].outstanding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream_rng;
    use crate::policy::balancer::LoadLevels;
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

    #[test]
    fn load_levels_give_the_scans_picks() {
        let loads = [3, 1, 1, 0, 2, 0, 5];
        let in_rotation = [true, true, true, true, true, true, false];
        let pool = TestPool::new(&loads, &[1; 7], &in_rotation, 1);
        let mut levels = LoadLevels::new(loads.len());
        for i in (0..loads.len()).filter(|&i| in_rotation[i]) {
            levels.insert(i, loads[i]);
        }
        let scanned = pick_counts(&mut LeastConnections, &pool.view(), 500);
        assert!(levels.agree_with_scan(&pool.view()));
        // The same stream as `pick_counts`, drawn by the levels' pick.
        let mut rng = stream_rng(1, 0, 0);
        let mut from_levels = vec![0; loads.len()];
        for _ in 0..500 {
            from_levels[levels.pick_least(&mut rng).expect("nodes in rotation")] += 1;
        }
        assert_eq!(from_levels, scanned);
        // Nodes 3 and 5 tie at no load.
        assert_eq!(scanned[3] + scanned[5], 500);
        assert!(scanned[3] > 200 && scanned[5] > 200, "{scanned:?}");
    }
}
