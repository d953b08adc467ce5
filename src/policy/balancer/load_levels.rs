//! The nodes in rotation grouped by their number of outstanding requests, kept up to date
//! by the pool as requests come and go for a balancer that picks least-loaded
//! (`least_connections`), so that the pool finds the least-loaded nodes, and the k-th of
//! them in index order, without scanning the rotation: per level a bitset of node
//! indices, and a count. The pick is the balancer's scan's, with the same random draw.
//!
//! Nodes with loads of [`LEVELS`] or more are left out (a pool that deep in queues is
//! overloaded anyway); when no node in rotation has a smaller load, the pool asks the
//! balancer, which scans. The bitsets take `LEVELS` bits per node slot (8 KB per 1,000
//! slots).

use super::{PoolView, uniform_index};
use crate::engine::SimRng;

/// Loads below this have their own level.
pub const LEVELS: usize = 64;

/// Nodes in rotation by outstanding requests.
#[derive(Clone, Debug)]
pub struct LoadLevels {
    /// Per 64 node slots, a word per level: bit `i % 64` of `bits[i / 64][l]` is set while
    /// node `i` is in rotation with load `l`. (A node's levels side by side: moving it
    /// between two levels indexes the vector once.)
    bits: Vec<[u64; LEVELS]>,
    /// Per level: nodes in it.
    counts: [u32; LEVELS],
}

impl LoadLevels {
    /// No node in rotation, for a pool of `nodes` node slots.
    pub fn new(nodes: usize) -> LoadLevels {
        LoadLevels {
            bits: vec![[0; LEVELS]; nodes.div_ceil(64)],
            counts: [0; LEVELS],
        }
    }

    /// Node `node`, with `load` outstanding, is in rotation.
    pub fn insert(&mut self, node: usize, load: u32) {
        let (word, bit) = (node / 64, 1u64 << (node % 64));
        if load < LEVELS as u32 {
            let w = &mut self.bits[word][load as usize];
            debug_assert_eq!(*w & bit, 0, "node {node} twice");
            *w |= bit;
            self.counts[load as usize] += 1;
        }
    }

    /// Node `node`, with `load` outstanding, leaves rotation.
    pub fn remove(&mut self, node: usize, load: u32) {
        let (word, bit) = (node / 64, 1u64 << (node % 64));
        if load < LEVELS as u32 {
            let w = &mut self.bits[word][load as usize];
            debug_assert_ne!(*w & bit, 0, "node {node} absent");
            *w &= !bit;
            self.counts[load as usize] -= 1;
        }
    }

    /// Node `node`, in rotation, goes from load `from` to load `to`.
    // Inline, with the rare move past the levels out of line: this runs twice a request.
    #[inline(always)]
    pub fn relevel(&mut self, node: usize, from: u32, to: u32) {
        let limit = LEVELS as u32;
        if from < limit && to < limit {
            // The common case, one request more or less, in one pass.
            let (levels, bit) = (&mut self.bits[node / 64], 1u64 << (node % 64));
            debug_assert_ne!(levels[from as usize] & bit, 0);
            levels[from as usize] &= !bit;
            levels[to as usize] |= bit;
            self.counts[from as usize] -= 1;
            self.counts[to as usize] += 1;
        } else {
            self.relevel_past_the_levels(node, from, to);
        }
    }

    #[cold]
    #[inline(never)]
    fn relevel_past_the_levels(&mut self, node: usize, from: u32, to: u32) {
        self.remove(node, from);
        self.insert(node, to);
    }

    /// The least load among nodes in rotation and how many nodes have it; `None` when no
    /// node in rotation has a load below [`LEVELS`].
    pub fn least(&self) -> Option<(u32, u32)> {
        let level = self.counts.iter().position(|&c| c > 0)?;
        Some((level as u32, self.counts[level]))
    }

    /// A least-loaded node in rotation, ties broken uniformly at random: the k-th tie in
    /// index order, k drawn from `rng` only when nodes tie (what a scan of the rotation
    /// picks with the same draw); `None` when no node in rotation has a load below
    /// [`LEVELS`].
    #[inline]
    pub fn pick_least(&self, rng: &mut SimRng) -> Option<usize> {
        let (load, ties) = self.least()?;
        let k = if ties > 1 {
            uniform_index(rng, ties as usize) as u32
        } else {
            0
        };
        Some(self.nth(load, k))
    }

    /// Whether the least load and its ties are those a scan of `pool`'s rotation finds
    /// (debug builds check it at every least-loaded pick).
    pub fn agree_with_scan(&self, pool: &PoolView<'_>) -> bool {
        let Some((load, ties)) = self.least() else {
            return true;
        };
        let loads = pool.rotation.iter().map(|&i| pool.nodes[i].outstanding);
        let least = loads.clone().min().unwrap_or(0);
        (load, ties as usize) == (least, loads.filter(|&l| l == least).count())
    }

    /// The `k`-th (from 0) node in index order among those with load `load` (< `LEVELS`,
    /// and `k` below their number).
    pub fn nth(&self, load: u32, k: u32) -> usize {
        let mut k = k;
        for (w, levels) in self.bits.iter().enumerate() {
            let mut word = levels[load as usize];
            // A word whose nodes all come before the k-th is skipped by counting its bits,
            // a dozen instructions without x86-64-v2's `popcnt`; ties are usually few, and
            // stepping through them one set bit at a time (a k-th tie with small k is the
            // common pick) costs less.
            if k >= STEP_LIMIT {
                let ones = word.count_ones();
                if k >= ones {
                    k -= ones;
                    continue;
                }
            }
            while word != 0 {
                if k == 0 {
                    return w * 64 + word.trailing_zeros() as usize;
                }
                // Clears the lowest set bit.
                word &= word - 1;
                k -= 1;
            }
        }
        unreachable!("k is below the level's count")
    }
}

/// Up to this many ties to pass over, a word's set bits are stepped through one by one
/// rather than counted.
const STEP_LIMIT: u32 = 4;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// After any sequence of loads and rotation changes, the least load, its ties and
        /// the k-th tie in index order are those a scan of the rotation finds.
        #[test]
        fn agrees_with_a_scan(
            nodes in 1usize..150,
            steps in prop::collection::vec((0usize..150, 0u8..4), 1..400),
        ) {
            let mut levels = LoadLevels::new(nodes);
            let mut load = vec![0u32; nodes];
            let mut in_rotation = vec![false; nodes];
            for (node, op) in steps {
                let i = node % nodes;
                match op {
                    0 if !in_rotation[i] => {
                        in_rotation[i] = true;
                        levels.insert(i, load[i]);
                    }
                    1 if in_rotation[i] => {
                        in_rotation[i] = false;
                        levels.remove(i, load[i]);
                    }
                    // Loads reach past LEVELS, so nodes leave and rejoin the levels.
                    2 => {
                        let to = load[i] + 1 + (i as u32 % 3) * 40;
                        if in_rotation[i] {
                            levels.relevel(i, load[i], to);
                        }
                        load[i] = to;
                    }
                    _ if load[i] > 0 => {
                        let to = load[i] - 1;
                        if in_rotation[i] {
                            levels.relevel(i, load[i], to);
                        }
                        load[i] = to;
                    }
                    _ => {}
                }
                let rotation: Vec<usize> = (0..nodes).filter(|&n| in_rotation[n]).collect();
                let least = rotation.iter().map(|&n| load[n]).min();
                match levels.least() {
                    Some((level, ties)) => {
                        prop_assert_eq!(Some(level), least);
                        let tied: Vec<usize> =
                            rotation.iter().copied().filter(|&n| load[n] == level).collect();
                        prop_assert_eq!(ties as usize, tied.len());
                        for (k, &n) in tied.iter().enumerate() {
                            prop_assert_eq!(levels.nth(level, k as u32), n);
                        }
                    }
                    None => prop_assert!(least.is_none_or(|l| l >= LEVELS as u32)),
                }
            }
        }
    }
}
