//! `round_robin`: nodes in turn, skipping nodes out of rotation.

use super::{Balancer, PoolView};
use crate::engine::SimRng;

/// Next node in index order after the last one picked.
#[derive(Default)]
pub struct RoundRobin {
    next: usize,
}

impl Balancer for RoundRobin {
    fn pick(&mut self, pool: &PoolView<'_>, _rng: &mut SimRng) -> Option<usize> {
        let n = pool.len();
        (0..n)
            .map(|k| (self.next + k) % n)
            .find(|&i| pool.in_rotation[i])
            .inspect(|&i| {
                self.next = (i + 1) % n;
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream_rng;

    #[test]
    fn cycles_and_skips_nodes_out_of_rotation() {
        let pool = PoolView {
            outstanding: &[0; 3],
            busy: &[0; 3],
            in_rotation: &[true, false, true],
            rotation: &crate::policy::balancer::test_support::rotation_of(&[true, false, true]),
            concurrency: 1,
        };
        let mut rr = RoundRobin::default();
        let mut rng = stream_rng(1, 0, 0);
        let picks: Vec<_> = (0..4).map(|_| rr.pick(&pool, &mut rng).unwrap()).collect();
        assert_eq!(picks, vec![0, 2, 0, 2]);
    }
}
