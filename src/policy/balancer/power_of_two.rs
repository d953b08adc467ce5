//! `power_of_two`: sample two distinct nodes in rotation uniformly, send to the one with
//! fewer outstanding requests (the first sampled on a tie). Mitzenmacher's "power of two
//! choices"; its large-pool limit is the supermarket model in `analytic::supermarket`.

use super::{Balancer, PoolView, uniform_index};
use crate::engine::SimRng;

/// Best of two random choices.
pub struct PowerOfTwo;

impl Balancer for PowerOfTwo {
    fn pick(&mut self, pool: &PoolView<'_>, rng: &mut SimRng) -> Option<usize> {
        let up = pool.rotation.len();
        match up {
            0 => None,
            1 => Some(pool.rotation[0]),
            _ => {
                let a = uniform_index(rng, up);
                // Uniform over the other up - 1 nodes: distinct from `a`.
                let mut b = uniform_index(rng, up - 1);
                if b >= a {
                    b += 1;
                }
                let (a, b) = (pool.rotation[a], pool.rotation[b]);
                Some(if pool.nodes[b].outstanding < pool.nodes[a].outstanding {
                    b
                } else {
                    a
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::balancer::test_support::{TestPool, pick_counts};

    #[test]
    fn never_picks_the_most_loaded_of_three() {
        // The most loaded node loses every comparison it takes part in.
        let pool = TestPool::new(&[0, 9, 1], &[0; 3], &[true; 3], 1);
        let pool = pool.view();
        let counts = pick_counts(&mut PowerOfTwo, &pool, 3_000);
        assert_eq!(counts[1], 0);
        // Node 0 wins both pairs it is in: 2/3 of picks; sd = sqrt(3000·2/9) ≈ 26, 5 sd = 129.
        assert!((counts[0] as i64 - 2_000).abs() < 129, "{counts:?}");
    }

    #[test]
    fn a_single_node_in_rotation_gets_everything() {
        let pool = TestPool::new(&[0, 5], &[0; 2], &[false, true], 1);
        let pool = pool.view();
        assert_eq!(pick_counts(&mut PowerOfTwo, &pool, 10), vec![0, 10]);
    }
}
