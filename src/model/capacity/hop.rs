//! Cross-zone hops in capacity fidelity. In request fidelity a visit served in another zone
//! than the request's previous visit holds its slot for the service time plus the larger
//! of the two zones' `cross_zone_latency`. Capacity fidelity gives each service the
//! distribution of that extra time, a hop: for each place of the service on the route
//! after the first, the previous service's and this one's serving nodes spread over the
//! zones give the chance of each pair of zones (balancers do not look at zones, so the
//! two visits' zones are independent); a service on the route more than once mixes its
//! places equally. The hop adds to the service time in the queue (its load, wait and
//! visit time), so routes add it up.

use super::atoms::Atoms;
use crate::model::Model;

/// Most distinct non-zero delays a hop keeps exactly; more are merged, keeping the mean.
const DELAYS: usize = 4;

/// A hop as part of a state's key: up to [`DELAYS`] (delay in seconds, probability)
/// pairs as rounded f32 bits, in increasing delay, unused pairs zero. The probability of
/// no delay is the rest. All zero: no hop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HopKey([(u32, u32); DELAYS]);

impl HopKey {
    /// The hop's delays and their probabilities, zero delay included when it has any.
    pub fn atoms(&self) -> Option<Atoms> {
        let delays: Vec<(f64, f64)> = self
            .0
            .iter()
            .filter(|&&(_, p)| p != 0)
            .map(|&(d, p)| (f32::from_bits(d) as f64, f32::from_bits(p) as f64))
            .collect();
        if delays.is_empty() {
            return None;
        }
        // Rounded probabilities may sum to a hair over 1.
        let delayed: f64 = delays.iter().map(|&(_, p)| p).sum();
        let scale = delayed.max(1.0);
        let mut atoms = vec![(0.0, 1.0 - delayed / scale)];
        atoms.extend(delays.into_iter().map(|(d, p)| (d, p / scale)));
        Some(Atoms(atoms))
    }
}

/// A service's serving nodes spread over the zones: (zone, share of its serving nodes),
/// by zone, nodes in no zone left out.
pub type ZoneShares = Vec<(u32, f64)>;

/// The zone shares of the serving nodes `serving(i)` among node slots in `zones`.
pub fn zone_shares(zones: &[u32], serving: impl Fn(usize) -> bool) -> ZoneShares {
    let mut counts: Vec<(u32, f64)> = Vec::new();
    let mut total = 0.0;
    for (i, &z) in zones.iter().enumerate() {
        if !serving(i) {
            continue;
        }
        total += 1.0;
        if z == u32::MAX {
            continue;
        }
        match counts.iter_mut().find(|(zone, _)| *zone == z) {
            Some((_, n)) => *n += 1.0,
            None => counts.push((z, 1.0)),
        }
    }
    counts.sort_by_key(|&(z, _)| z);
    for (_, n) in &mut counts {
        *n /= total;
    }
    counts
}

/// Per service: its hop on `model`'s route, given every service's zone shares.
pub fn hop_keys(model: &Model, shares: &[ZoneShares]) -> Vec<HopKey> {
    let route = &model.route;
    let mut hops: Vec<Vec<(f64, f64)>> = vec![Vec::new(); model.services.len()];
    let mut places = vec![0u32; model.services.len()];
    for (i, &s) in route.iter().enumerate() {
        places[s] += 1;
        let Some(&previous) = i.checked_sub(1).map(|p| &route[p]) else {
            continue;
        };
        for &(from, p_from) in &shares[previous] {
            for &(to, p_to) in &shares[s] {
                if from == to {
                    continue;
                }
                let latency =
                    model.zone_latency[from as usize].max(model.zone_latency[to as usize]);
                if latency.0 > 0 {
                    add(&mut hops[s], latency.as_secs_f64(), p_from * p_to);
                }
            }
        }
    }
    hops.into_iter()
        .zip(places)
        .map(|(delays, n)| key(delays, n.max(1) as f64))
        .collect()
}

/// Adds probability `p` to `delay_s`.
fn add(delays: &mut Vec<(f64, f64)>, delay_s: f64, p: f64) {
    match delays.iter_mut().find(|(d, _)| *d == delay_s) {
        Some((_, q)) => *q += p,
        None => delays.push((delay_s, p)),
    }
}

/// The key of a hop with `delays` summed over `places` places on the route.
fn key(mut delays: Vec<(f64, f64)>, places: f64) -> HopKey {
    delays.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Merge the two closest neighbours (their mean delay, their probabilities summed)
    // until the hop fits.
    while delays.len() > DELAYS {
        let j = (0..delays.len() - 1)
            .min_by(|&a, &b| {
                let gap = |k: usize| delays[k + 1].0 - delays[k].0;
                gap(a).total_cmp(&gap(b))
            })
            .expect("more than one delay");
        let ((d0, p0), (d1, p1)) = (delays[j], delays[j + 1]);
        delays[j] = ((d0 * p0 + d1 * p1) / (p0 + p1), p0 + p1);
        delays.remove(j + 1);
    }
    let mut key = HopKey::default();
    for (slot, (d, p)) in key.0.iter_mut().zip(delays) {
        *slot = (
            super::cache::rounded_bits(d),
            super::cache::rounded_bits(p / places),
        );
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_shares_count_serving_nodes_by_zone() {
        let zones = [0, 1, 2, 0, 1, u32::MAX];
        let shares = zone_shares(&zones, |i| i != 1);
        assert_eq!(shares, vec![(0, 0.4), (1, 0.2), (2, 0.2)]);
    }

    #[test]
    fn a_hop_keeps_its_delays_and_merges_past_four() {
        let five = (1..=5).map(|k| (k as f64 * 1e-3, 0.1)).collect();
        let atoms = key(five, 1.0).atoms().expect("a hop");
        assert_eq!(atoms.0.len(), 5, "no delay plus four merged delays");
        // Keys round to 1 part in 8,192.
        assert!((atoms.0[0].1 - 0.5).abs() < 1e-4, "{:?}", atoms.0);
        // The mean is kept: 0.1 x (1 + 2 + 3 + 4 + 5) ms = 1.5 ms.
        assert!(
            (atoms.mean() / 1.5e-3 - 1.0).abs() < 1e-3,
            "{}",
            atoms.mean()
        );
        assert_eq!(key(Vec::new(), 1.0), HopKey::default());
        assert!(HopKey::default().atoms().is_none());
    }
}
