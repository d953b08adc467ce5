//! `power_of_two` in capacity fidelity: the mean-field limit of d random choices over
//! nodes of c slots (the supermarket model of Mitzenmacher 2001 and Vvedenskaya et al.
//! 1996, with c servers a node). An arrival samples `d` nodes and joins the one with the
//! fewest requests; as the number of nodes grows, the share `s_k` of nodes holding at
//! least k requests (in service and queued) settles where the flow across every cut
//! balances:
//!
//! ```text
//!   a (s_{k-1}^d − s_k^d) = min(k, c) (s_k − s_{k+1}),   s_0 = 1,
//! ```
//!
//! with `a` the offered load per node (visits per node × mean service time). Exact for
//! exponential service as the nodes grow many; for c = 1 it is `s_k = a^((d^k − 1)/(d − 1))`
//! (`crate::analytic::supermarket_tail`), for d = 1 each node is an M/M/c queue. A node
//! holds at most `capacity` requests with a queue limit; a visit whose chosen node is full
//! is dropped.

use std::cmp::Ordering;

/// Below this share the tail is cut: it moves no reported percentile.
const NEGLIGIBLE: f64 = 1e-13;

/// The deepest level looked at without a queue limit.
const MAX_LEVEL: usize = 100_000;

/// The shares `s_0 = 1, s_1, …` of nodes with at least k requests, for per-node load
/// `load` (< `slots` without a limit), `choices` choices, and at most `capacity` requests
/// a node (`None`: unbounded). They end at `s_capacity`, or at the last share above 1e-13
/// when the tail falls below that first.
pub fn tail(load: f64, slots: u32, choices: u32, capacity: Option<usize>) -> Vec<f64> {
    debug_assert!(load >= 0.0 && (load < slots as f64 || capacity.is_some()));
    if load <= 0.0 {
        return vec![1.0, 0.0];
    }
    // s_1 by bisection: a guess too small drives the recursion below zero, one too large
    // keeps it from reaching zero (s_{K+1} > 0 with a limit).
    let (mut low, mut high) = (0.0f64, 1.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (low + high);
        if mid <= low || mid >= high {
            break;
        }
        match recurse(load, slots, choices, capacity, mid).1 {
            Ordering::Less => low = mid,
            Ordering::Greater => high = mid,
            Ordering::Equal => {
                low = mid;
                break;
            }
        }
    }
    recurse(load, slots, choices, capacity, low).0
}

/// The recursion from `s_1 = first`, and whether `first` is too small (`Less`: the shares
/// fall below 1e-13, or below zero) or too large (`Greater`: they stop falling, or do not
/// reach zero at a limit). The shares returned are those before the verdict, so from
/// the largest guess that is too small they are the tail down to about 1e-13 (rounding
/// in a guess grows along the recursion; this cut keeps it below the shares kept).
fn recurse(
    load: f64,
    slots: u32,
    choices: u32,
    capacity: Option<usize>,
    first: f64,
) -> (Vec<f64>, Ordering) {
    let d = choices as i32;
    let mut s = vec![1.0, first];
    let last = capacity.unwrap_or(MAX_LEVEL);
    for k in 1..=last {
        let servers = k.min(slots as usize) as f64;
        let next = s[k] - load * (s[k - 1].powi(d) - s[k].powi(d)) / servers;
        if k == last && capacity.is_some() {
            // No node holds more than the limit: s_{K+1} = 0.
            return (s, next.partial_cmp(&0.0).unwrap_or(Ordering::Less));
        }
        if next < NEGLIGIBLE {
            return (s, Ordering::Less);
        }
        // Falling ever slower towards a floor above zero (the true tail falls by a share
        // of at least 1 − load/slots a level).
        if s[k] - next <= 1e-10 * s[k] {
            return (s, Ordering::Greater);
        }
        s.push(next);
    }
    (s, Ordering::Greater)
}

/// The chance that a visit joins a node holding exactly k requests (k = 0, 1, …), and
/// the chance that it is dropped (every choice full), from the tail `s`.
pub fn joins(s: &[f64], choices: u32, bounded: bool) -> (Vec<f64>, f64) {
    let d = choices as i32;
    let at_least = |k: usize| s.get(k).map_or(0.0, |x| x.powi(d));
    let last = s.len() - 1;
    let dropped = if bounded { at_least(last) } else { 0.0 };
    let join = (0..s.len())
        .map(|k| {
            if bounded && k == last {
                0.0
            } else {
                at_least(k) - at_least(k + 1)
            }
        })
        .collect();
    (join, dropped)
}

/// P(W ≤ x) for a wait W, in units of one departure's mean time, that is a mixture of
/// Erlang(j) with weights `phases[j − 1]` (summing to 1): 1 − Σ_i Poisson(i; x) × P(J > i).
pub fn erlang_mixture_cdf(phases: &[f64], x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    // Poisson terms in logarithms: e^{-x} alone underflows past x = 745, and a deep
    // queue behind a limit can need that many departures.
    let ln_x = x.ln();
    let (mut beyond, mut ln_factorial, mut sum) = (phases.iter().sum::<f64>(), 0.0, 0.0);
    for (i, &p) in phases.iter().enumerate() {
        if i > 0 {
            ln_factorial += (i as f64).ln();
        }
        sum += (i as f64 * ln_x - x - ln_factorial).exp() * beyond;
        beyond -= p;
    }
    (1.0 - sum).clamp(0.0, 1.0)
}

/// The `u`-quantile of that mixture (bisection to a relative 1e-12).
pub fn erlang_mixture_quantile(phases: &[f64], u: f64) -> f64 {
    let mut high = 1.0;
    while erlang_mixture_cdf(phases, high) < u && high < 1e9 {
        high *= 2.0;
    }
    let mut low = 0.0;
    while high - low > 1e-12 * high {
        let mid = 0.5 * (low + high);
        if erlang_mixture_cdf(phases, mid) < u {
            low = mid;
        } else {
            high = mid;
        }
    }
    0.5 * (low + high)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytic::{erlang_c, supermarket_tail};

    #[test]
    fn one_slot_is_the_supermarket_closed_form() {
        for &(a, d) in &[(0.5, 2u32), (0.85, 2), (0.95, 3), (0.7, 1)] {
            let s = tail(a, 1, d, None);
            for (k, &x) in s.iter().enumerate().filter(|&(_, &x)| x > 1e-9) {
                let exact = supermarket_tail(a, d, k as u32).unwrap();
                assert!(
                    (x - exact).abs() < 1e-9,
                    "a {a} d {d} k {k}: {x} vs {exact}"
                );
            }
        }
    }

    #[test]
    fn one_choice_is_mmc_per_node() {
        // P(at least c in the node) is Erlang C; at least c + j is C ρ^j.
        let s = tail(3.0, 4, 1, None);
        let c = erlang_c(4, 3.0);
        assert!((s[4] - c).abs() < 1e-9, "{} vs {c}", s[4]);
        assert!((s[6] - c * 0.75f64.powi(2)).abs() < 1e-9);
    }

    #[test]
    fn a_bounded_node_with_one_choice_is_mm1k() {
        // M/M/1/K: P(N = K) = (1 − ρ) ρ^K / (1 − ρ^{K+1}), here ρ = 0.8, K = 4.
        let s = tail(0.8, 1, 1, Some(4));
        let exact = 0.2 * 0.8f64.powi(4) / (1.0 - 0.8f64.powi(5));
        assert_eq!(s.len(), 5);
        let (join, dropped) = joins(&s, 1, true);
        assert!((dropped - exact).abs() < 1e-9, "{dropped} vs {exact}");
        assert!((join.iter().sum::<f64>() + dropped - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_mixture_quantile_inverts_its_cdf() {
        // One phase: exponential, median ln 2.
        assert!((erlang_mixture_quantile(&[1.0], 0.5) - 2f64.ln()).abs() < 1e-9);
        let phases = [0.5, 0.3, 0.2];
        for u in [0.1, 0.5, 0.99] {
            let x = erlang_mixture_quantile(&phases, u);
            assert!((erlang_mixture_cdf(&phases, x) - u).abs() < 1e-9);
        }
        // Erlang(2,000): mean 2,000, sd about 45, so the median is within a few of it.
        let mut deep = vec![0.0; 2_000];
        deep[1_999] = 1.0;
        let median = erlang_mixture_quantile(&deep, 0.5);
        assert!((median - 2_000.0).abs() < 5.0, "{median}");
    }
}
