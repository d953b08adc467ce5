//! Availability reference cases (no requests: failures, repairs and control only), with
//! rates accelerated (failures every few hours) so that a few simulated years per trial
//! give tight intervals. Exact values from `analytic::availability`, `k_out_of_n` and
//! `active_standby`.

use super::{Check, Verdict, check, exp, judge, service, single_service};
use crate::analytic::{RepairableGroup, active_standby as standby_pair, single_unit};
use crate::dist::DistSpec;
use crate::scenario::{
    BalancerSpec, Domain, DomainKind, FailureEffect, FailureMode, OutageEffect, OutageScope,
    OutageSpec, Redundancy, Scenario,
};
use crate::time::SimTime;

const HOUR: f64 = 3_600.0;
const YEAR: f64 = 365.0 * 86_400.0;

/// A service of `nodes` nodes with one crash mode, no requests, over `years` per trial.
fn failing(nodes: u32, ttf: DistSpec, ttr: DistSpec, years: u64, trials: u32) -> Scenario {
    let svc = service("svc", nodes, 1, BalancerSpec::RoundRobin, exp(0.01), None);
    let horizon_s = years * 365 * 86_400;
    let mut s = single_service(svc, 1.0, horizon_s, 0, trials);
    s.workload.rate_per_s = None;
    s.services[0].failures = vec![FailureMode {
        name: "host".into(),
        effect: FailureEffect::Crash,
        ttf,
        ttr,
        loses_data: false,
    }];
    s
}

/// The checks every steady-state case makes: availability, outage frequency, mean outage
/// length and mean up time between outages.
fn steady_checks(a: crate::analytic::Availability) -> Vec<Check> {
    vec![
        check("availability", "A", a.availability),
        check(
            "outages_per_year",
            "f = 1/(MUT + MDT)",
            a.failure_frequency_per_s * YEAR,
        ),
        check("outage_duration_mean_s", "MDT", a.mean_outage_s),
        check("up_time_mean_s", "MUT", a.mean_up_s),
    ]
}

/// One node, exponential failures (MTTF 10 h) and repairs (MTTR 1 h): A = 10/11,
/// f = 1/11 h⁻¹, MDT = 1 h, MUT = 10 h.
pub fn single_node(threads: Option<usize>) -> Vec<Verdict> {
    let s = failing(1, exp(10.0 * HOUR), exp(HOUR), 2, 24);
    let exact = single_unit(10.0 * HOUR, HOUR).expect("valid");
    judge(
        "1 node, exponential MTTF 10 h, MTTR 1 h",
        &s,
        &steady_checks(exact),
        threads,
    )
}

/// Weibull time to failure (shape 2, mean 10 h) and lognormal repair (mean 1 h, cv 1.5):
/// the renewal-reward theorem gives the same A = MTTF/(MTTF + MTTR) and f = 1/(MTTF + MTTR)
/// as the exponential case, whatever the distributions.
pub fn weibull_lognormal(threads: Option<usize>) -> Vec<Verdict> {
    let ttf = DistSpec::weibull_mean(2.0, 10.0 * HOUR).expect("valid");
    let ttr = DistSpec::lognormal_mean_cv(HOUR, 1.5).expect("valid");
    let s = failing(1, ttf, ttr, 2, 24);
    let exact = single_unit(10.0 * HOUR, HOUR).expect("valid");
    judge(
        "1 node, Weibull(2) MTTF 10 h, lognormal MTTR 1 h (cv 1.5)",
        &s,
        &steady_checks(exact),
        threads,
    )
}

/// 3-out-of-5, MTTF 10 h, MTTR 2 h, with unlimited crews and with one crew (birth-death
/// chain), and the same group as a quorum (a strict majority of 5 is 3) with two crews.
pub fn k_out_of_n(threads: Option<usize>) -> Vec<Verdict> {
    let (lambda, mu) = (1.0 / (10.0 * HOUR), 1.0 / (2.0 * HOUR));
    let mut v = Vec::new();
    for (crews, redundancy, case) in [
        (
            None,
            Redundancy::ActiveActive { min_healthy: 3 },
            "3-out-of-5, unlimited crews",
        ),
        (
            Some(1),
            Redundancy::ActiveActive { min_healthy: 3 },
            "3-out-of-5, 1 repair crew",
        ),
        (Some(2), Redundancy::Quorum, "quorum of 5, 2 repair crews"),
    ] {
        let mut s = failing(5, exp(10.0 * HOUR), exp(2.0 * HOUR), 4, 24);
        s.services[0].redundancy = redundancy;
        s.repair.crews = crews;
        let group = RepairableGroup::new(5, lambda, mu, crews.unwrap_or(5)).expect("valid");
        let exact = group.steady_state(3).expect("valid");
        v.extend(judge(case, &s, &steady_checks(exact), threads));
    }
    v
}

/// Active-standby pair, MTTF 10 h and MTTR 2 h per node, a fixed 30-minute failover,
/// failures noticed at once (the semi-Markov solution in `analytic::active_standby`).
pub fn active_standby(threads: Option<usize>) -> Vec<Verdict> {
    let mut s = failing(2, exp(10.0 * HOUR), exp(2.0 * HOUR), 4, 24);
    s.services[0].redundancy = Redundancy::ActiveStandby {
        failover: SimTime::from_secs(1_800),
    };
    let exact = standby_pair(1.0 / (10.0 * HOUR), 1.0 / (2.0 * HOUR), 1_800.0).expect("valid");
    judge(
        "active-standby, MTTF 10 h, MTTR 2 h, failover 30 min",
        &s,
        &steady_checks(exact),
        threads,
    )
}

/// Six nodes over zones a, b, c (two in each) and outages of zone a only (up 10 h, out
/// 1 h). Needing 5 nodes, the service is down exactly while zone a is out: A = 10/11.
/// Needing 4, it never goes down: the outage takes no node outside zone a.
pub fn zone_outage(threads: Option<usize>) -> Vec<Verdict> {
    let mut v = Vec::new();
    for (min_healthy, exact) in [(5, 10.0 / 11.0), (4, 1.0)] {
        let svc = service("svc", 6, 1, BalancerSpec::RoundRobin, exp(0.01), None);
        let mut s = single_service(svc, 1.0, 2 * 365 * 86_400, 0, 24);
        s.workload.rate_per_s = None;
        s.topology.domains = ["a", "b", "c"]
            .iter()
            .map(|z| Domain {
                name: z.to_string(),
                kind: DomainKind::Zone,
                parent: None,
                cross_zone_latency: SimTime::ZERO,
            })
            .collect();
        s.services[0].zones = vec![0, 1, 2];
        s.services[0].redundancy = Redundancy::ActiveActive { min_healthy };
        s.outages = vec![OutageSpec {
            name: "zone outage".into(),
            scope: OutageScope::Domain(0),
            effect: OutageEffect::Down,
            ttf: exp(10.0 * HOUR),
            ttr: exp(HOUR),
            loses_data: false,
        }];
        let case = format!("6 nodes over 3 zones, zone a out 1 h in 11, min_healthy {min_healthy}");
        let formula = if min_healthy == 5 {
            "10/11 (down with zone a)"
        } else {
            "1 (zone a holds only 2)"
        };
        v.extend(judge(
            &case,
            &s,
            &[check("availability", formula, exact)],
            threads,
        ));
    }
    v
}
