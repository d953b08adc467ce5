//! A service's steady state from closed forms, for capacity fidelity: given how many nodes
//! serve, the visit rate they receive and their slowdown, what share of visits is
//! dropped, waits, times out, how long visits take, and how busy the slots are.
//!
//! Per balancer (docs/SCENARIOS.md, "Capacity fidelity", states the gaps):
//! - `central`: one M/G/c queue over every serving slot.
//! - `least_connections`, `least_response_time`: as `central` (a pooled queue:
//!   optimistic, as these balancers only approximate a shared queue).
//! - `power_of_two`: the mean-field limit of two choices over nodes of c slots
//!   (`choices.rs`; exact for exponential service as the nodes grow many).
//! - `random`, `round_robin`, `weighted_round_robin`: each node an independent M/G/k queue
//!   (k = concurrency) with an equal share of the rate (exact for `random`; pessimistic
//!   for round robin, whose arrivals at a node are more regular than Poisson).
//!
//! Within a queue: Erlang C (unbounded) or the M/M/c/K distribution (a queue limit) for
//! the chance to wait, to be dropped, and the mean wait, the wait scaled by (1 + cv²)/2
//! for general service times (Allen–Cunneen); the wait is 0 with the chance not to
//! wait and otherwise exponential with that mean (exact for M/M/c). The visit time is
//! that wait plus an independent service time, whose quantiles at the standard levels
//! follow exactly from the service's atoms (`Atoms::plus_exponential`); `power_of_two`'s
//! wait, a mixture of Erlangs, is convolved pairwise at the coarse levels (`atoms.rs`).
//! Utilisation at or above 1 is overload: offered load at or above the slots of a queue
//! without a `queue_limit` (with one, the queue stays finite and drops the excess).

use std::sync::Arc;

use super::atoms::{Atoms, coarse_levels};
use super::choices;
use crate::analytic::{erlang_b, erlang_c};
use crate::model::ServiceModel;
use crate::scenario::BalancerSpec;

/// What one service state gives, per visit the serving nodes receive.
#[derive(Clone, Debug)]
pub struct StateStats {
    /// Offered load at or above capacity (or nothing serving while visits arrive).
    pub overloaded: bool,
    /// Visits dropped by a full queue (or, overloaded without a queue limit, the excess
    /// over capacity).
    pub dropped_share: f64,
    /// Among visits not dropped: the chance to wait, the mean wait.
    pub wait_probability: f64,
    pub wait_mean_s: f64,
    /// Among visits not dropped: the share that exceeds the timeout.
    pub timeout_share: f64,
    /// Visit time of the visits that complete (not dropped, within the timeout).
    pub sojourn: Arc<Atoms>,
    pub sojourn_mean_s: f64,
    /// Mean busy slots.
    pub busy_slots: f64,
    /// Visits per second offered to these queues.
    pub rate_per_s: f64,
}

/// The nodes serving in a state: how many, and how many of them are slow and by what
/// factor (the harmonic mean of their factors).
#[derive(Clone, Copy, Debug)]
pub struct Serving {
    pub nodes: u32,
    pub slow_nodes: u32,
    pub slow_factor: f64,
}

/// The service's state with `serving` nodes receiving `rate_per_s` visits;
/// `service_time` holds the service-time quantiles at the standard levels, and `hop`, if
/// any, the cross-zone delay each visit's slot holds after its service time.
///
/// Slow nodes: with a pooled queue, a slot takes the next visit when it frees, so slow
/// nodes serve a share of visits in proportion to their speed and the service time is
/// that mixture; with per-node queues each node gets an equal share, and fast and slow
/// nodes are separate queues whose visit times mix in that proportion (one overloaded
/// node is overload).
pub fn state_stats(
    svc: &ServiceModel,
    service_time: &Arc<Atoms>,
    serving: Serving,
    rate_per_s: f64,
    hop: Option<&Atoms>,
) -> StateStats {
    let Serving {
        nodes,
        slow_nodes,
        slow_factor,
    } = serving;
    let fast = service_time.clone();
    let slow = Arc::new(fast.scaled(slow_factor));
    // Exact moments of the service time (the atoms stop at level 0.999992).
    let (m1, m2) = (svc.mean_service_s, svc.service_spec.second_moment_s2());
    let f = slow_factor;
    let pooled = !matches!(
        svc.balancer,
        BalancerSpec::Random | BalancerSpec::RoundRobin | BalancerSpec::WeightedRoundRobin { .. }
    );
    if nodes == 0 || rate_per_s <= 0.0 {
        return idle(rate_per_s);
    }
    // The hop follows the (possibly slowed) service time, independent of it.
    let (h1, h2) = hop.map_or((0.0, 0.0), |h| {
        (h.mean(), h.0.iter().map(|&(v, p)| v * v * p).sum())
    });
    let with_hop = |atoms: Arc<Atoms>, (m1, m2): (f64, f64)| match hop {
        Some(h) => (
            Arc::new(atoms.convolve(h)),
            (m1 + h1, m2 + 2.0 * m1 * h1 + h2),
        ),
        None => (atoms, (m1, m2)),
    };
    if pooled {
        let k = slow_nodes as f64;
        let slow_share = (k / slow_factor) / (nodes as f64 - k + k / slow_factor);
        let (service, moments) = with_hop(
            if slow_nodes == 0 {
                // The service's own atoms, shared by every such state (no copy to cache).
                fast.clone()
            } else {
                Arc::new(fast.mix(&slow, slow_share))
            },
            (
                m1 * (1.0 - slow_share + slow_share * f),
                m2 * (1.0 - slow_share + slow_share * f * f),
            ),
        );
        if matches!(svc.balancer, BalancerSpec::PowerOfTwo) {
            return two_choices(svc, nodes, rate_per_s, &service, moments);
        }
        return queue(svc, nodes * svc.concurrency, rate_per_s, &service, moments);
    }
    let per_node = rate_per_s / nodes as f64;
    let fast_nodes = nodes - slow_nodes;
    let c = svc.concurrency;
    let (fast, fast_moments) = with_hop(fast, (m1, m2));
    let (slow, slow_moments) = with_hop(slow, (m1 * f, m2 * f * f));
    let fq = (fast_nodes > 0).then(|| queue(svc, c, per_node, &fast, fast_moments));
    let sq = (slow_nodes > 0).then(|| queue(svc, c, per_node, &slow, slow_moments));
    match (fq, sq) {
        (Some(f), None) => f.times(nodes),
        (None, Some(s)) => s.times(nodes),
        (Some(f), Some(s)) => f.times(fast_nodes).combine(&s.times(slow_nodes)),
        (None, None) => unreachable!("nodes > 0"),
    }
}

/// Nothing serves, or nothing arrives.
fn idle(rate_per_s: f64) -> StateStats {
    StateStats {
        overloaded: rate_per_s > 0.0,
        dropped_share: if rate_per_s > 0.0 { 1.0 } else { 0.0 },
        wait_probability: 0.0,
        wait_mean_s: 0.0,
        timeout_share: 0.0,
        sojourn: Arc::new(Atoms::point(0.0)),
        sojourn_mean_s: 0.0,
        busy_slots: 0.0,
        rate_per_s,
    }
}

/// One FIFO queue with `slots` slots receiving `rate` visits per second whose service
/// times are `service`, with exact first and second moments `moments`.
fn queue(
    svc: &ServiceModel,
    slots: u32,
    rate: f64,
    service: &Arc<Atoms>,
    moments: (f64, f64),
) -> StateStats {
    let mean_s = moments.0;
    let cv2 = moments.1 / (mean_s * mean_s) - 1.0;
    let load = rate * mean_s;
    let limit = svc.queue_limit;
    // A queue limit keeps the queue finite whatever the load: the excess is dropped (the
    // M/M/c/K figures), not an overload.
    let overloaded = limit == u32::MAX && load >= slots as f64;
    let (dropped_share, wait_probability, wait_mean_s) = if limit == u32::MAX {
        if overloaded {
            // Served at capacity; the excess never completes.
            (1.0 - slots as f64 / load, 1.0, f64::INFINITY)
        } else {
            let pw = erlang_c(slots, load);
            let mean_if_waiting = 1.0 / (slots as f64 / mean_s - rate) * (1.0 + cv2) / 2.0;
            (0.0, pw, pw * mean_if_waiting)
        }
    } else {
        finite_queue(slots, load, limit, mean_s, cv2)
    };
    // A chance to wait below 1e-5 moves no reported percentile (p999 is 1e-3 from the
    // top), so the visit time is then the service time itself; the mean wait counts it.
    // Exponential with the conditional mean (exact for M/M/c).
    let wait_if_waiting =
        (wait_probability > 1e-5 && wait_mean_s.is_finite()).then(|| WaitShape::Exponential {
            mean_s: wait_mean_s / wait_probability,
        });
    settle(
        svc,
        rate,
        slots as f64,
        service,
        mean_s,
        Waiting {
            overloaded,
            dropped_share,
            wait_probability,
            wait_mean_s,
            wait_if_waiting,
        },
    )
}

/// How visits fare in a queue before service: overload, the dropped share, and among
/// visits not dropped the chance to wait, the mean wait, and the wait of those that wait
/// (`None` when the chance is negligible).
struct Waiting {
    overloaded: bool,
    dropped_share: f64,
    wait_probability: f64,
    wait_mean_s: f64,
    wait_if_waiting: Option<WaitShape>,
}

/// The distribution of the wait of visits that wait.
enum WaitShape {
    /// Exponential: added to the service time exactly (`Atoms::plus_exponential`).
    Exponential { mean_s: f64 },
    /// Atoms at the coarse levels, convolved with the service time's.
    Atoms(Vec<(f64, f64)>),
}

/// The state's figures from its waiting, for `rate` visits a second on `slots` slots
/// whose service times are `service` with mean `mean_s`.
fn settle(
    svc: &ServiceModel,
    rate: f64,
    slots: f64,
    service: &Arc<Atoms>,
    mean_s: f64,
    waiting: Waiting,
) -> StateStats {
    let Waiting {
        overloaded,
        dropped_share,
        wait_probability,
        wait_mean_s,
        wait_if_waiting,
    } = waiting;
    // Shares this small are underflow of ρ^L, not a rate anyone could observe.
    let dropped_share = if dropped_share < 1e-300 {
        0.0
    } else {
        dropped_share
    };
    let busy_slots = (rate * (1.0 - dropped_share) * mean_s).min(slots);
    if overloaded && svc.queue_limit == u32::MAX {
        return StateStats {
            overloaded,
            dropped_share,
            wait_probability,
            wait_mean_s,
            timeout_share: 0.0,
            sojourn: Arc::new(Atoms::point(f64::INFINITY)),
            sojourn_mean_s: f64::INFINITY,
            busy_slots,
            rate_per_s: rate,
        };
    }
    let mut sojourn = match wait_if_waiting {
        Some(WaitShape::Exponential { mean_s }) => {
            Arc::new(service.plus_exponential(wait_probability, mean_s))
        }
        Some(WaitShape::Atoms(waits)) => {
            let mut wait = vec![(0.0, 1.0 - wait_probability)];
            wait.extend(waits.into_iter().map(|(v, w)| (v, w * wait_probability)));
            Arc::new(service.convolve(&Atoms(wait)))
        }
        // No queueing: the service time itself, shared by every such state.
        None => service.clone(),
    };
    let timeout_share = svc.timeout.map_or(0.0, |t| sojourn.tail(t.as_secs_f64()));
    if let Some(t) = svc.timeout
        && timeout_share > 0.0
    {
        Arc::make_mut(&mut sojourn).truncate(t.as_secs_f64());
    }
    let sojourn_mean_s = sojourn.mean();
    StateStats {
        overloaded,
        dropped_share,
        wait_probability,
        wait_mean_s,
        timeout_share,
        sojourn,
        sojourn_mean_s,
        busy_slots,
        rate_per_s: rate,
    }
}

/// `power_of_two` over `nodes` nodes: the mean-field limit of two choices (`choices.rs`)
/// for the chance to be dropped and to wait; a visit joining a node with k >= c requests
/// waits for k − c + 1 departures at c / E[S] each, the wait scaled by (1 + cv²)/2 as for
/// the pooled queue.
fn two_choices(
    svc: &ServiceModel,
    nodes: u32,
    rate: f64,
    service: &Arc<Atoms>,
    moments: (f64, f64),
) -> StateStats {
    const CHOICES: u32 = 2;
    let c = svc.concurrency;
    let mean_s = moments.0;
    let cv2 = moments.1 / (mean_s * mean_s) - 1.0;
    let load = rate / nodes as f64 * mean_s;
    let limit = svc.queue_limit;
    if limit == u32::MAX && load >= c as f64 {
        return queue(svc, nodes * c, rate, service, moments);
    }
    let capacity = (limit != u32::MAX).then(|| c as usize + limit as usize);
    let s = choices::tail(load, c, CHOICES, capacity);
    let bounded = capacity == Some(s.len() - 1);
    let (join, dropped_share) = choices::joins(&s, CHOICES, bounded);
    let accepted = (1.0 - dropped_share).max(f64::MIN_POSITIVE);
    // Departures a waiting visit waits for: j = k − c + 1 for k >= c.
    let phases: Vec<f64> = join.iter().skip(c as usize).map(|p| p / accepted).collect();
    let wait_probability: f64 = phases.iter().sum();
    let departure_s = mean_s / c as f64 * (1.0 + cv2) / 2.0;
    let wait_mean_s: f64 = phases
        .iter()
        .enumerate()
        .map(|(j, p)| p * (j + 1) as f64 * departure_s)
        .sum();
    let wait_if_waiting = (wait_probability > 1e-5).then(|| {
        let conditional: Vec<f64> = phases.iter().map(|p| p / wait_probability).collect();
        WaitShape::Atoms(
            coarse_levels()
                .iter()
                .map(|&(u, w)| {
                    let x = choices::erlang_mixture_quantile(&conditional, u);
                    (x * departure_s, w)
                })
                .collect(),
        )
    });
    settle(
        svc,
        rate,
        (nodes * c) as f64,
        service,
        mean_s,
        Waiting {
            // Without a queue limit, overload returned above; with one, the queues stay
            // finite and the excess is dropped.
            overloaded: false,
            dropped_share,
            wait_probability,
            wait_mean_s,
            wait_if_waiting,
        },
    )
}

impl StateStats {
    /// `n` identical queues side by side.
    fn times(mut self, n: u32) -> StateStats {
        self.busy_slots *= n as f64;
        self.rate_per_s *= n as f64;
        self
    }

    /// Two groups of queues side by side: shares weighted by the visits each receives.
    fn combine(&self, other: &StateStats) -> StateStats {
        let total = self.rate_per_s + other.rate_per_s;
        let (wa, wb) = (self.rate_per_s / total, other.rate_per_s / total);
        let mix = |a: f64, b: f64| wa * a + wb * b;
        let dropped_share = mix(self.dropped_share, other.dropped_share);
        // Per accepted visit: weights by accepted visits.
        let (aa, ab) = (
            wa * (1.0 - self.dropped_share),
            wb * (1.0 - other.dropped_share),
        );
        let acc = |a: f64, b: f64| (aa * a + ab * b) / (aa + ab);
        let timeout_share = acc(self.timeout_share, other.timeout_share);
        let (ca, cb) = (
            aa * (1.0 - self.timeout_share),
            ab * (1.0 - other.timeout_share),
        );
        let sojourn = Arc::new(self.sojourn.mix(&other.sojourn, cb / (ca + cb)));
        let sojourn_mean_s = sojourn.mean();
        StateStats {
            overloaded: self.overloaded || other.overloaded,
            dropped_share,
            wait_probability: acc(self.wait_probability, other.wait_probability),
            wait_mean_s: acc(self.wait_mean_s, other.wait_mean_s),
            timeout_share,
            sojourn,
            sojourn_mean_s,
            busy_slots: self.busy_slots + other.busy_slots,
            rate_per_s: total,
        }
    }
}

/// M/M/c/K with K = c + `limit`: (drop share, chance to wait and mean wait of accepted
/// visits), the wait scaled by (1 + cv²)/2. With B = Erlang B(c, a) and ρ = a/c the
/// states above c have probability B ρ^j / Z, Z = 1 + B Σ_{j=1..L} ρ^j (Gross et al.,
/// Fundamentals of Queueing Theory, 4th ed., §2.5); an arrival finding c + j waits for
/// j + 1 departures at rate c/E[S].
fn finite_queue(slots: u32, load: f64, limit: u32, mean_s: f64, cv2: f64) -> (f64, f64, f64) {
    let b = erlang_b(slots, load);
    let rho = load / slots as f64;
    let l = limit as f64;
    let (geo_1_to_l, geo_0_to_l1, weighted) = if (rho - 1.0).abs() < 1e-9 {
        (l, l, l * (l + 1.0) / 2.0)
    } else {
        let rl = rho.powf(l);
        (
            rho * (1.0 - rl) / (1.0 - rho),
            (1.0 - rl) / (1.0 - rho),
            (1.0 - (l + 1.0) * rl + l * rl * rho) / ((1.0 - rho) * (1.0 - rho)),
        )
    };
    let z = 1.0 + b * geo_1_to_l;
    let dropped = b * rho.powf(l) / z;
    let accepted = 1.0 - dropped;
    if accepted <= 0.0 || limit == 0 {
        return (dropped, 0.0, 0.0);
    }
    let wait_probability = b * geo_0_to_l1 / z / accepted;
    let wait_mean = b * weighted / z / accepted * mean_s / slots as f64 * (1.0 + cv2) / 2.0;
    (dropped, wait_probability, wait_mean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finite_queue_with_no_room_is_erlang_b() {
        let (dropped, pw, _) = finite_queue(5, 5.0, 0, 1.0, 1.0);
        assert!((dropped - erlang_b(5, 5.0)).abs() < 1e-12);
        assert_eq!(pw, 0.0);
    }

    #[test]
    fn a_long_finite_queue_approaches_erlang_c() {
        let (dropped, pw, wait) = finite_queue(4, 3.0, 10_000, 1.0, 1.0);
        assert!(dropped < 1e-12);
        assert!((pw - erlang_c(4, 3.0)).abs() < 1e-9);
        // M/M/c mean wait: C / (cμ − λ).
        assert!((wait - erlang_c(4, 3.0) / (4.0 - 3.0)).abs() < 1e-9);
    }

    #[test]
    fn mm1k_blocking_matches_its_closed_form() {
        // M/M/1/K: P_K = (1 − ρ) ρ^K / (1 − ρ^{K+1}), K = 1 + limit.
        let (rho, k) = (0.8f64, 4.0);
        let (dropped, _, _) = finite_queue(1, rho, 3, 1.0, 1.0);
        let exact = (1.0 - rho) * rho.powf(k) / (1.0 - rho.powf(k + 1.0));
        assert!((dropped - exact).abs() < 1e-12, "{dropped} vs {exact}");
    }
}
