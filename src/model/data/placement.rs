//! Where a trial puts each chunk's replicas: derived, never stored. Chunk c's replicas are
//! a pure function of (a per-trial key, c), computed by a SplitMix64 hash (multiply-high
//! range reduction, bias below nodes / 2⁶⁴); copyset placement stores only its groups
//! (scatter_width / (r − 1) permutations of the nodes).

use rand::{Rng, RngExt};

use super::DataModel;
use crate::engine::SimRng;
use crate::scenario::MAX_REPLICAS;

/// Placement compiled for simulation.
#[derive(Clone, Debug)]
pub enum PlacementModel {
    Random,
    /// Nodes grouped by rack: `by_rack[start[k]..start[k + 1]]` are rack k's nodes, and
    /// `rack_of[n]` is node n's rack index.
    RackAware {
        by_rack: Vec<u32>,
        start: Vec<u32>,
        rack_of: Vec<u32>,
    },
    /// Permutations of the nodes per trial.
    Copyset {
        permutations: u32,
    },
}

/// One trial's placement.
pub struct Placement {
    /// The placement hash key of this trial.
    key: u64,
    /// Copyset placement: the groups, `replicas` node ids each.
    pub groups: Vec<u32>,
}

impl Placement {
    /// The placement of `d` drawn from `rng`.
    pub fn new(d: &DataModel, mut rng: SimRng) -> Placement {
        let key = rng.next_u64();
        let mut groups = Vec::new();
        if let PlacementModel::Copyset { permutations } = d.placement {
            let r = d.replicas as usize;
            for _ in 0..permutations {
                let mut perm: Vec<u32> = (0..d.nodes).collect();
                for k in (1..perm.len()).rev() {
                    let j = rng.random_range(0..=k);
                    perm.swap(k, j);
                }
                let whole = perm.len() / r * r;
                groups.extend_from_slice(&perm[..whole]);
            }
        }
        Placement { key, groups }
    }

    /// Whether every replica of chunk `c` is on a node marked in `lost`.
    pub fn all_lost(&self, d: &DataModel, c: u32, lost: &[bool]) -> bool {
        let n = d.nodes;
        let draw = |k: u64| hash(self.key, c, k);
        match &d.placement {
            PlacementModel::Random => {
                random_rest_lost(d, draw, lost, [0; MAX_REPLICAS as usize], 0)
            }
            PlacementModel::RackAware {
                by_rack,
                start,
                rack_of,
            } => {
                let first = below(draw(0), n);
                if !lost[first as usize] {
                    return false;
                }
                if d.replicas == 1 {
                    return true;
                }
                // Second: uniform among the nodes of the other racks.
                let r1 = rack_of[first as usize] as usize;
                let (s1, e1) = (start[r1], start[r1 + 1]);
                let k = below(draw(1), n - (e1 - s1));
                let second = by_rack[(if k < s1 { k } else { k + e1 - s1 }) as usize];
                if !lost[second as usize] {
                    return false;
                }
                if d.replicas == 2 {
                    return true;
                }
                // Third: another node of the second's rack.
                let r2 = rack_of[second as usize] as usize;
                let (s2, e2) = (start[r2], start[r2 + 1]);
                let pos2 = by_rack[s2 as usize..e2 as usize]
                    .iter()
                    .position(|&x| x == second)
                    .expect("in its rack") as u32;
                let j = below(draw(2), e2 - s2 - 1);
                let third = by_rack[(s2 + if j < pos2 { j } else { j + 1 }) as usize];
                if !lost[third as usize] {
                    return false;
                }
                // Any further replicas: random distinct nodes.
                let mut chosen = [0; MAX_REPLICAS as usize];
                chosen[..3].copy_from_slice(&[first, second, third]);
                random_rest_lost(d, draw, lost, chosen, 3)
            }
            PlacementModel::Copyset { .. } => {
                let r = d.replicas as usize;
                let g = below(draw(0), (self.groups.len() / r) as u32) as usize;
                self.groups[g * r..(g + 1) * r]
                    .iter()
                    .all(|&x| lost[x as usize])
            }
        }
    }
}

/// SplitMix64 of (key, chunk, draw): chunk and draw in separate halves of the word, so no
/// two (chunk, draw) pairs collide.
fn hash(key: u64, c: u32, k: u64) -> u64 {
    let mut z = key ^ ((c as u64) << 32 | k).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A value in [0, n) from a uniform 64-bit hash (Lemire's multiply-high).
fn below(h: u64, n: u32) -> u32 {
    ((h as u128 * n as u128) >> 64) as u32
}

/// Whether the replicas after the first `picked` (in `chosen`) are all lost, each on a
/// node drawn uniformly (draws `picked`, `picked + 1`, ...) among those not chosen yet.
fn random_rest_lost(
    d: &DataModel,
    draw: impl Fn(u64) -> u64,
    lost: &[bool],
    mut chosen: [u32; MAX_REPLICAS as usize],
    mut picked: usize,
) -> bool {
    let mut k = picked as u64;
    while picked < d.replicas as usize {
        let node = below(draw(k), d.nodes);
        k += 1;
        if chosen[..picked].contains(&node) {
            continue;
        }
        if !lost[node as usize] {
            return false;
        }
        chosen[picked] = node;
        picked += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_stays_in_range_and_spreads() {
        let mut seen = [0u32; 7];
        for c in 0..7000 {
            let v = below(hash(42, c, 0), 7);
            seen[v as usize] += 1;
        }
        // 1000 expected per value; ±200 is > 6 standard deviations (sd ≈ 29).
        assert!(seen.iter().all(|&k| (800..1200).contains(&k)), "{seen:?}");
    }
}
