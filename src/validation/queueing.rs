//! Queueing reference cases: M/M/1, M/M/c (Erlang C), M/M/c/c (Erlang B), M/D/1 and M/G/1
//! (Pollaczek-Khinchine), random splitting, power-of-two choices, balancer ordering.

use super::{
    HISTOGRAM_RESOLUTION, SUPERMARKET_FINITE_N_ALLOWANCE, Verdict, check, exp, half_width_999,
    judge, service, simulate, single_service,
};
use crate::analytic::{self, MMc, MMcc};
use crate::dist::DistSpec;
use crate::scenario::BalancerSpec;

/// M/M/1 at ρ = 0.7 (μ = 1): W = 1/(μ−λ) = 3.333, Wq = ρ/(μ−λ) = 2.333, P(wait) = ρ,
/// p99 of response = ln(100)/(μ−λ) = 15.35 (the FIFO response time is Exp(μ−λ)).
pub fn mm1(threads: Option<usize>) -> Vec<Verdict> {
    let q = MMc::new(0.7, 1.0, 1).expect("stable");
    let scenario = single_service(
        service("mm1", 1, 1, BalancerSpec::RoundRobin, exp(1.0), None),
        0.7,
        40_000,
        2_000,
        24,
    );
    let mut p99 = check(
        "latency_p99_s",
        "ln(100)/(μ − λ)",
        q.response_quantile_s(0.99),
    );
    p99.allowance = HISTOGRAM_RESOLUTION;
    let checks = [
        check("latency_mean_s", "1/(μ − λ)", q.mean_response_s()),
        check("wait_mean_s", "ρ/(μ − λ)", q.mean_wait_s()),
        check("wait_probability", "ρ", q.wait_probability()),
        p99,
        check("utilization", "ρ", q.utilization()),
    ];
    judge("M/M/1, ρ = 0.7", &scenario, &checks, threads)
}

/// M/M/4 at ρ = 0.8 through Erlang C, with `central` pooling 4 slots either across 4
/// nodes or within one node of concurrency 4: the two must agree with theory alike.
pub fn mmc(threads: Option<usize>) -> Vec<Verdict> {
    let q = MMc::new(3.2, 1.0, 4).expect("stable");
    let checks = || {
        [
            check("wait_probability", "Erlang C(4, 3.2)", q.wait_probability()),
            check("wait_mean_s", "C/(cμ − λ)", q.mean_wait_s()),
            check("latency_mean_s", "C/(cμ − λ) + 1/μ", q.mean_response_s()),
        ]
    };
    let across = single_service(
        service("mm4-nodes", 4, 1, BalancerSpec::Central, exp(1.0), None),
        3.2,
        30_000,
        2_000,
        24,
    );
    let within = single_service(
        service("mm4-slots", 1, 4, BalancerSpec::Central, exp(1.0), None),
        3.2,
        30_000,
        2_000,
        24,
    );
    let mut v = judge(
        "M/M/4 (4 nodes x 1 slot), ρ = 0.8",
        &across,
        &checks(),
        threads,
    );
    v.extend(judge(
        "M/M/4 (1 node x 4 slots), ρ = 0.8",
        &within,
        &checks(),
        threads,
    ));
    v
}

/// M/M/5/5 (no queue, `queue_limit = 0`) at offered load 4 erlangs: the dropped share is
/// Erlang B(5, 4) = 0.1991.
pub fn erlang_b(threads: Option<usize>) -> Vec<Verdict> {
    let loss = MMcc::new(4.0, 1.0, 5).expect("valid");
    let scenario = single_service(
        service("mm55", 5, 1, BalancerSpec::Central, exp(1.0), Some(0)),
        4.0,
        20_000,
        500,
        24,
    );
    let checks = [
        check(
            "dropped_ratio",
            "Erlang B(5, 4)",
            loss.blocking_probability(),
        ),
        check("utilization", "a(1 − B)/c", loss.server_utilization()),
    ];
    judge("M/M/5/5, a = 4 erlangs", &scenario, &checks, threads)
}

/// M/D/1 and M/G/1 (lognormal, cv 1.2) at ρ = 0.6 through Pollaczek-Khinchine:
/// Wq = λE[S²]/(2(1−ρ)).
pub fn pollaczek_khinchine(threads: Option<usize>) -> Vec<Verdict> {
    let constant = DistSpec::constant(1.0).expect("valid");
    let lognormal = DistSpec::lognormal_mean_cv(1.0, 1.2).expect("valid");
    let mut v = Vec::new();
    for (case, dist) in [
        ("M/D/1, ρ = 0.6", constant),
        ("M/G/1 (lognormal, cv 1.2), ρ = 0.6", lognormal),
    ] {
        let wait =
            analytic::mg1_mean_wait_s(0.6, dist.mean_s(), dist.second_moment_s2()).expect("stable");
        let response = analytic::mg1_mean_response_s(0.6, dist.mean_s(), dist.second_moment_s2())
            .expect("stable");
        let scenario = single_service(
            service("mg1", 1, 1, BalancerSpec::RoundRobin, dist, None),
            0.6,
            40_000,
            2_000,
            24,
        );
        let checks = [
            check("wait_mean_s", "λE[S²]/(2(1 − ρ))", wait),
            check("latency_mean_s", "Wq + E[S]", response),
        ];
        v.extend(judge(case, &scenario, &checks, threads));
    }
    v
}

/// `random` over 4 nodes at ρ = 0.7: each node sees a thinned Poisson stream, so each is
/// an M/M/1 and the mean response is 1/(μ − λ/4).
pub fn random_split(threads: Option<usize>) -> Vec<Verdict> {
    let node = MMc::new(0.7, 1.0, 1).expect("stable");
    let scenario = single_service(
        service("random4", 4, 1, BalancerSpec::Random, exp(1.0), None),
        2.8,
        20_000,
        2_000,
        24,
    );
    let checks = [
        check("latency_mean_s", "1/(μ − λ/4)", node.mean_response_s()),
        check("wait_probability", "ρ", node.wait_probability()),
    ];
    judge(
        "random over 4 x M/M/1, ρ = 0.7",
        &scenario,
        &checks,
        threads,
    )
}

/// `power_of_two` over 100 nodes at λ = 0.8 per node against the supermarket limit
/// T₂(λ) = Σ λ^(2^i − 2) (Mitzenmacher 2001), with the finite-N allowance.
pub fn supermarket(threads: Option<usize>) -> Vec<Verdict> {
    let limit = analytic::supermarket_mean_sojourn(0.8, 2).expect("stable");
    let scenario = single_service(
        service("p2-100", 100, 1, BalancerSpec::PowerOfTwo, exp(1.0), None),
        80.0,
        3_000,
        300,
        16,
    );
    let mut c = check("latency_mean_s", "Σ λ^(2^i − 2) (N → ∞)", limit);
    c.allowance = SUPERMARKET_FINITE_N_ALLOWANCE;
    judge("power_of_two, 100 nodes, ρ = 0.8", &scenario, &[c], threads)
}

/// At high load (10 nodes, ρ = 0.95) the mean response must order strictly:
/// least_connections < power_of_two < random, each gap wider than both 99.9% intervals.
/// All three see the same arrivals and service times (common random numbers).
pub fn balancer_ordering(threads: Option<usize>) -> Vec<Verdict> {
    let run = |b: BalancerSpec| {
        let scenario = single_service(
            service("order", 10, 1, b, exp(1.0), None),
            9.5,
            20_000,
            2_000,
            16,
        );
        let s = simulate(&scenario, threads)["latency_mean_s"].clone();
        let half = half_width_999(&s);
        (s.mean.unwrap_or(f64::NAN), half)
    };
    let lc = run(BalancerSpec::LeastConnections);
    let p2 = run(BalancerSpec::PowerOfTwo);
    let random = run(BalancerSpec::Random);
    let verdict = |claim: &str, lower: (f64, f64), upper: (f64, f64)| Verdict {
        case: "10 nodes, ρ = 0.95".into(),
        claim: claim.into(),
        expected: upper.0 - upper.1,
        simulated: lower.0,
        low: lower.0 - lower.1,
        high: lower.0 + lower.1,
        pass: lower.0 + lower.1 < upper.0 - upper.1,
    };
    vec![
        verdict("latency_mean_s: least_connections < power_of_two", lc, p2),
        verdict("latency_mean_s: power_of_two < random", p2, random),
    ]
}
