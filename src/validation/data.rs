//! Data-protection reference cases: mean time to data loss and P(loss by t) of a 3-replica
//! group against the absorbing chain (re-replication in parallel and one at a time), the
//! mean RPO of periodic recovery points under Poisson losses, and the probability that a
//! simultaneous loss of F of N nodes loses a chunk under random and copyset placement.
//! Rates are accelerated (a node fails every 10 h) so trials are short.

use super::{Verdict, check, exp, judge, service, single_service};
use crate::analytic::ReplicaGroup;
use crate::analytic::durability::{
    copyset_loss, empty_group_bound, periodic_backup_mean_rpo_s, random_placement_loss,
};
use crate::dist::DistSpec;
use crate::scenario::{
    BackupSpec, BalancerSpec, DataSpec, FailureEffect, FailureMode, NodeKind, OutageEffect,
    OutageScope, OutageSpec, PlacementRule, Rereplication, RereplicationSpeed, Scenario,
};
use crate::time::SimTime;

const HOUR: f64 = 3_600.0;

fn constant(value_s: f64) -> DistSpec {
    DistSpec::Constant { value_s }
}

/// A storage service of `nodes` nodes holding `chunks` chunks with `replicas` replicas,
/// no requests, over `horizon_s`.
pub fn storage(
    nodes: u32,
    replicas: u32,
    chunks: u32,
    placement: PlacementRule,
    rereplication: Option<Rereplication>,
    horizon_s: u64,
    trials: u32,
) -> Scenario {
    let mut svc = service("store", nodes, 1, BalancerSpec::RoundRobin, exp(0.01), None);
    svc.kind = NodeKind::Storage;
    svc.data = Some(DataSpec {
        size_bytes: 1e12,
        chunks,
        replicas,
        placement,
        rereplication,
    });
    let mut s = single_service(svc, 1.0, horizon_s, 0, trials);
    s.workload.rate_per_s = None;
    s
}

/// Node failures that lose the node's replicas, exponential with mean `mttf_s`; the node
/// is back at once (ttr 0), so a node holding data loses it at rate 1/mttf at all times.
fn disk_failures(mttf_s: f64) -> Vec<FailureMode> {
    vec![FailureMode {
        name: "disk".into(),
        effect: FailureEffect::Crash,
        ttf: exp(mttf_s),
        ttr: constant(0.0),
        loses_data: true,
    }]
}

/// Re-replication of one lost node in an exponential time of mean `mean_s`, `streams` at
/// once (`None`: unlimited).
fn exp_rereplication(mean_s: f64, streams: Option<u32>) -> Option<Rereplication> {
    Some(Rereplication {
        speed: RereplicationSpeed::Time(exp(mean_s)),
        max_streams: streams,
    })
}

/// 3 nodes, one chunk with 3 replicas, λ = 1/10 h per node, μ = 1/1 h per re-replication,
/// re-created all in parallel (rate k·μ with k lost) and one at a time (rate μ). MTTDL
/// from the absorbing chain (≈ 470 h and ≈ 250 h); the simulated value is the pooled mean
/// time to the first loss over a horizon of 30 × MTTDL, where P(no loss yet) < e⁻³⁰ makes
/// the censoring bias below 10⁻¹¹ relative. P(loss by 200 h) from the matrix exponential,
/// against `data_loss_probability` over a 200 h horizon.
pub fn mttdl(threads: Option<usize>) -> Vec<Verdict> {
    let (lambda, mu) = (1.0 / (10.0 * HOUR), 1.0 / HOUR);
    let mut v = Vec::new();
    for (streams, name) in [(None, "in parallel"), (Some(1), "one at a time")] {
        let group = ReplicaGroup::new(3, lambda, mu, streams.unwrap_or(3)).expect("valid");
        let mttdl_s = group.mttdl_s();
        let rereplication = exp_rereplication(HOUR, streams);
        let horizon_s = (30.0 * mttdl_s).ceil() as u64;
        let mut s = storage(
            3,
            3,
            1,
            PlacementRule::Random,
            rereplication.clone(),
            horizon_s,
            800,
        );
        s.services[0].failures = disk_failures(10.0 * HOUR);
        v.extend(judge(
            &format!("3 replicas, MTTF 10 h, re-replication 1 h {name}: MTTDL"),
            &s,
            &[check(
                "time_to_first_data_loss_s",
                "absorbing chain: first of (−Q_T)⁻¹·1",
                mttdl_s,
            )],
            threads,
        ));
        let horizon_s = 200 * 3_600;
        let mut s = storage(
            3,
            3,
            1,
            PlacementRule::Random,
            rereplication,
            horizon_s,
            2_000,
        );
        s.services[0].failures = disk_failures(10.0 * HOUR);
        v.extend(judge(
            &format!("3 replicas, MTTF 10 h, re-replication 1 h {name}: loss within 200 h"),
            &s,
            &[check(
                "data_loss_probability",
                "1 − Σ_k (e^{Q_T t})_{0k}",
                group.loss_probability(horizon_s as f64),
            )],
            threads,
        ));
    }
    v
}

/// One node, one replica, losses every 10 min (Poisson: the node is back at once), log
/// shipping every hour and a daily full backup, a restore that takes no time: every loss
/// restores from the last whole hour, so the mean RPO is 1 h / 2 (the losses of a Poisson
/// process over 10 days, a whole number of hours, fall uniformly given their count).
pub fn backup_rpo(threads: Option<usize>) -> Vec<Verdict> {
    let mut s = storage(1, 1, 1, PlacementRule::Random, None, 10 * 86_400, 24);
    s.services[0].failures = disk_failures(600.0);
    s.services[0].backup = Some(BackupSpec {
        full_every: SimTime::from_secs(86_400),
        incremental_every: None,
        log_shipping: Some(SimTime::from_secs(3_600)),
        // 1 TB at 10^30 B/s: the restore rounds to 0 ns.
        restore_rate_bytes_per_s: 1e30,
        restore_fixed: SimTime::ZERO,
        logical: false,
    });
    judge(
        "1 replica, Poisson losses every 10 min, recovery points every hour",
        &s,
        &[check(
            "rpo_mean_s",
            "interval / 2",
            periodic_backup_mean_rpo_s(HOUR),
        )],
        threads,
    )
}

/// 30 nodes, 3 replicas; one outage strikes 6 random nodes (fraction 0.2) at 1 h and
/// loses their replicas. With random placement of 200 chunks, P(some chunk lost) =
/// 1 − (1 − C(6,3)/C(30,3))²⁰⁰ ≈ 0.627; with 10 disjoint copysets (every one used: the
/// chance that one of them holds none of the 200 chunks is below 10⁻⁸), inclusion-exclusion
/// gives (10·C(27,3) − 45·C(24,0)) / C(30,6) ≈ 0.049.
pub fn simultaneous_loss(threads: Option<usize>) -> Vec<Verdict> {
    let (nodes, failed, replicas, chunks) = (30u32, 6u64, 3u32, 200u32);
    debug_assert!(empty_group_bound(10, chunks as u64) < 1e-8);
    let cases = [
        (
            PlacementRule::Random,
            "random placement",
            "1 − (1 − C(F,r)/C(N,r))^chunks",
            random_placement_loss(nodes as u64, failed, replicas as u64, chunks as u64),
        ),
        (
            PlacementRule::Copyset { scatter_width: 2 },
            "copyset placement (disjoint)",
            "Σ (−1)^{j+1} C(G,j) C(N−jr,F−jr)/C(N,F)",
            copyset_loss(nodes as u64, failed, replicas as u64),
        ),
    ];
    let mut v = Vec::new();
    for (placement, name, formula, exact) in cases {
        let rereplication = Some(Rereplication {
            speed: RereplicationSpeed::Rate {
                rate_bytes_per_s: 1e8,
            },
            max_streams: None,
        });
        let mut s = storage(
            nodes,
            replicas,
            chunks,
            placement,
            rereplication,
            5_400,
            2_000,
        );
        s.outages = vec![OutageSpec {
            name: "power".into(),
            scope: OutageScope::Random {
                fraction: failed as f64 / nodes as f64,
            },
            effect: OutageEffect::Down,
            ttf: constant(HOUR),
            ttr: constant(HOUR),
            loses_data: true,
        }];
        v.extend(judge(
            &format!("6 of 30 nodes lost at once, 3 replicas, {name}"),
            &s,
            &[check("data_loss_probability", formula, exact)],
            threads,
        ));
    }
    v
}
