//! `central`: one FIFO queue for the whole pool; the head goes to any free slot. With
//! c = nodes x concurrency slots this is the M/M/c (or M/G/c) model.

use super::{Balancer, PoolView, rotation_from};
use crate::engine::SimRng;

/// One shared queue; a free slot is looked for from the node after the last one used, so
/// work spreads evenly over nodes without spending random draws (which node serves does not
/// change the M/M/c statistics).
#[derive(Default)]
pub struct Central {
    next: usize,
}

impl Balancer for Central {
    fn shared_queue(&self) -> bool {
        true
    }

    fn pick(&mut self, pool: &PoolView<'_>, _rng: &mut SimRng) -> Option<usize> {
        let i = rotation_from(pool.rotation, self.next)
            .find(|&i| pool.nodes[i].busy < pool.concurrency)?;
        self.next = i + 1;
        Some(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::balancer::test_support::{TestPool, pick_counts};

    #[test]
    fn only_free_slots_are_picked() {
        let pool = TestPool::new(&[2, 1, 2], &[2, 1, 2], &[true; 3], 2);
        let pool = pool.view();
        assert_eq!(
            pick_counts(&mut Central::default(), &pool, 10),
            vec![0, 10, 0]
        );
        let full = TestPool::new(&[2, 2], &[2, 2], &[true; 2], 2);
        let full = full.view();
        assert_eq!(pick_counts(&mut Central::default(), &full, 10), vec![0, 0]);
    }
}
