//! `round_robin`: nodes in turn, skipping nodes out of rotation.

use super::{Balancer, PoolView, rotation_from};
use crate::engine::SimRng;

/// Next node in index order after the last one picked.
#[derive(Default)]
pub struct RoundRobin {
    next: usize,
}

impl Balancer for RoundRobin {
    fn pick(&mut self, pool: &PoolView<'_>, _rng: &mut SimRng) -> Option<usize> {
        let i = rotation_from(pool.rotation, self.next).next()?;
        self.next = i + 1;
        Some(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream_rng;
    use crate::policy::balancer::test_support::TestPool;

    #[test]
    fn cycles_and_skips_nodes_out_of_rotation() {
        let pool = TestPool::new(&[0; 3], &[0; 3], &[true, false, true], 1);
        let pool = pool.view();
        let mut rr = RoundRobin::default();
        let mut rng = stream_rng(1, 0, 0);
        let picks: Vec<_> = (0..4).map(|_| rr.pick(&pool, &mut rng).unwrap()).collect();
        assert_eq!(picks, vec![0, 2, 0, 2]);
    }
}
