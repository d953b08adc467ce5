//! Where an autoscaled service launches its next node: the free (off) slot in the zone
//! with the fewest provisioned nodes, among slots not inside a failed or cut-off domain if
//! there are any (ties: the lowest slot). The free slots of each zone and its provisioned
//! count are kept as slots change life, so a launch costs O(zones · log slots), not a scan
//! of every slot.

use std::collections::BTreeSet;

/// Per zone: provisioned slots, and free slots in index order.
#[derive(Clone, Debug)]
pub struct ZoneSlots {
    /// Per slot: its zone here (0: no zone, z + 1: zone z).
    zone: Vec<usize>,
    provisioned: Vec<u32>,
    free: Vec<BTreeSet<usize>>,
}

impl ZoneSlots {
    /// Slots in the zones `node_zone` gives (`u32::MAX`: none), those for which `free`
    /// holds not provisioned.
    pub fn new(node_zone: &[u32], free: impl Fn(usize) -> bool) -> ZoneSlots {
        let zone: Vec<usize> = node_zone
            .iter()
            .map(|&z| if z == u32::MAX { 0 } else { z as usize + 1 })
            .collect();
        let zones = zone.iter().max().map_or(1, |z| z + 1);
        let mut slots = ZoneSlots {
            provisioned: vec![0; zones],
            free: vec![BTreeSet::new(); zones],
            zone,
        };
        for j in 0..slots.zone.len() {
            let z = slots.zone[j];
            if free(j) {
                slots.free[z].insert(j);
            } else {
                slots.provisioned[z] += 1;
            }
        }
        slots
    }

    /// Slot `j` went from provisioned to free (`free`), or from free to provisioned.
    pub fn set_free(&mut self, j: usize, free: bool) {
        let z = self.zone[j];
        if free {
            let inserted = self.free[z].insert(j);
            debug_assert!(inserted, "slot {j} was free already");
            self.provisioned[z] -= 1;
        } else {
            let removed = self.free[z].remove(&j);
            debug_assert!(removed, "slot {j} was provisioned already");
            self.provisioned[z] += 1;
        }
    }

    /// The slot the next launch takes, `usable` telling which slots are outside failed
    /// and cut-off domains; `None` when no slot is free.
    pub fn next(&self, usable: impl Fn(usize) -> bool) -> Option<usize> {
        for want in [true, false] {
            let best = (0..self.free.len())
                .filter_map(|z| {
                    let j = *self.free[z].iter().find(|&&j| usable(j) == want)?;
                    Some((self.provisioned[z], j))
                })
                .min();
            if let Some((_, j)) = best {
                return Some(j);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn launches_go_to_the_least_provisioned_zone_and_its_lowest_usable_slot() {
        // Slots 0-2 in zone a, 3-5 in zone b; 0, 1 and 3 provisioned.
        let zones = [0, 0, 0, 1, 1, 1];
        let mut slots = ZoneSlots::new(&zones, |j| ![0, 1, 3].contains(&j));
        assert_eq!(slots.next(|_| true), Some(4));
        slots.set_free(4, false);
        // 2 and 2: the tie goes to the lowest slot.
        assert_eq!(slots.next(|_| true), Some(2));
        // Slot 2 cut off: zone b's slot 5 is usable.
        assert_eq!(slots.next(|j| j != 2), Some(5));
        // Nothing usable: the unusable slots by the same rule.
        assert_eq!(slots.next(|_| false), Some(2));
        slots.set_free(2, false);
        slots.set_free(5, false);
        assert_eq!(slots.next(|_| true), None);
        slots.set_free(0, true);
        assert_eq!(slots.next(|_| true), Some(0));
    }
}
