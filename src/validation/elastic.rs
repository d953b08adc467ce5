//! Elasticity reference cases: a time-varying load against its exact mean, the HPA formula
//! step by step, and a scale-in that loses nothing.

use super::{Verdict, service, simulate, single_service};
use crate::dist::DistSpec;
use crate::model::{Model, run_trial, series_columns};
use crate::montecarlo::{self, Plan};
use crate::scenario::{
    Autoscaling, BalancerSpec, Fidelity, Pattern, ScalingPolicy, ScheduledAction,
};
use crate::time::SimTime;

fn autoscaling(policy: ScalingPolicy, min: u32, max: u32) -> Autoscaling {
    Autoscaling {
        policy,
        min,
        max,
        boot_time: DistSpec::constant(0.0).expect("valid"),
        deregistration_delay: SimTime::from_secs(300),
        replace_after: SimTime::ZERO,
        health_check_grace: SimTime::from_secs(300),
    }
}

/// An infinite-server queue (more slots than requests ever in it) with a sinusoidal
/// arrival rate λ(t) = λ₀(1 + a cos(2πt/T)) and a constant service time S: the number in
/// system at t is Poisson with mean m(t) = ∫_{t−S}^{t} λ(u) du
/// = λ₀S + λ₀aT/(2π)·[sin(2πt/T) − sin(2π(t−S)/T)] (Eick, Massey & Whitt 1993, the
/// M_t/G/∞ queue). Averaged over n = 32 trials, each sample mean has sd √(m/n); with 120
/// one-minute samples the check is max |z| ≤ 4.5, a bound a correct simulator exceeds with
/// probability below 120 × 6.8e-6 = 0.08%.
pub fn infinite_server_sinusoid(threads: Option<usize>) -> Vec<Verdict> {
    let (lambda0, a, period_s, service_s) = (20.0, 0.8, 3_600.0, 300.0);
    let svc = service(
        "inf",
        1,
        1_000_000,
        BalancerSpec::Central,
        DistSpec::constant(service_s).expect("valid"),
        None,
    );
    let mut s = single_service(svc, lambda0, 2 * 3_600, 0, 32);
    // (peak + trough)/2 = 1, (peak − trough)/2 = a.
    s.workload.pattern = Pattern::Diurnal {
        period: SimTime::from_secs(period_s as u64),
        peak: 1.0 + a,
        trough: 1.0 - a,
        peak_at: SimTime::ZERO,
    };
    s.run.sample_every = SimTime::from_secs(60);
    let model = Model::new(&s);
    let plan = Plan {
        trials: 32,
        target_rel_ci: None,
        max_trials: 32,
        threads,
    };
    let outcome = montecarlo::run(&model, &plan, None)
        .expect("a thread pool, and no backlog: the infinite-server case never queues");
    let cols = series_columns(&model);
    let w = 2.0 * std::f64::consts::PI / period_s;
    let mut worst = 0.0f64;
    for row in outcome.timeseries.chunks(cols.len()) {
        let t = row[0];
        if t < service_s {
            continue; // the system starts empty: the formula holds from t = S on
        }
        let m =
            lambda0 * service_s + lambda0 * a / w * ((w * t).sin() - (w * (t - service_s)).sin());
        let z = (row[3] - m) / (m / 32.0).sqrt();
        worst = worst.max(z.abs());
    }
    let bound = 4.5;
    vec![Verdict {
        case: "M_t/D/∞, λ(t) = 20(1 + 0.8 cos 2πt/1h), S = 300 s".into(),
        claim: "in_system(t) = ∫ λ over [t − S, t] (max |z| over samples)".into(),
        expected: bound,
        simulated: worst,
        low: 0.0,
        high: worst,
        pass: worst <= bound,
    }]
}

/// Target tracking (target 0.5, interval 15 s, tolerance 0.1, scale-up max(+4, +100%),
/// stabilization 300 s) under a step load 20 → 60 → 20 req/s with 0.1 s constant service
/// times: every evaluation's new size must equal Kubernetes' rule applied to the size, the
/// ready nodes and the utilisation measured over the interval, and the scale-down after
/// the drop must not come before the stabilization window has passed. Twice: with instant
/// boots, and with 40 s boots, where a scale-up must count the booting nodes at 0%
/// utilisation (the case must meet such evaluations, or it fails).
pub fn hpa_steps(_threads: Option<usize>) -> Vec<Verdict> {
    [0.0, 40.0]
        .into_iter()
        .flat_map(|boot_s| hpa_steps_in(Fidelity::Request, boot_s))
        .collect()
}

/// The same cases in capacity fidelity, where the utilisation is the one the rate implies
/// and ticks whose inputs have not changed sleep: the decisions must still follow the
/// rule at every evaluation time.
pub fn hpa_steps_capacity(_threads: Option<usize>) -> Vec<Verdict> {
    [0.0, 40.0]
        .into_iter()
        .flat_map(|boot_s| hpa_steps_in(Fidelity::Capacity, boot_s))
        .collect()
}

/// The HPA's recommendation (before stabilization), written from the Kubernetes replica
/// calculator for this case (target 0.5, tolerance 0.1, +max(4, 100%), bounds 2..=40).
fn hpa_recommendation(utilization: f64, ready: u32, current: u32) -> u32 {
    let ratio = utilization / 0.5;
    // Not-ready nodes join the measurement at 0% on a scale-up, and only then.
    let with_unready = if ratio > 1.0 {
        utilization * ready as f64 / current as f64 / 0.5
    } else {
        ratio
    };
    let rec = if (with_unready - 1.0).abs() <= 0.1 || (ratio > 1.0) != (with_unready > 1.0) {
        current
    } else {
        (ready as f64 * ratio).ceil() as u32
    };
    rec.min(current + 4u32.max(current)).clamp(2, 40)
}

fn hpa_steps_in(fidelity: Fidelity, boot_s: f64) -> Vec<Verdict> {
    let fidelity_label = match fidelity {
        Fidelity::Request => "",
        Fidelity::Capacity => ", capacity fidelity",
    };
    let label = format!("{boot_s} s boots{fidelity_label}");
    let policy = ScalingPolicy::TargetTracking {
        target: 0.5,
        interval: SimTime::from_secs(15),
        tolerance: 0.1,
        scale_up_nodes: 4,
        scale_up_percent: 100.0,
        scale_down_stabilization: SimTime::from_secs(300),
    };
    let svc = service(
        "web",
        4,
        1,
        BalancerSpec::LeastConnections,
        DistSpec::constant(0.1).expect("valid"),
        None,
    );
    let mut s = single_service(svc, 20.0, 3 * 3_600, 0, 1);
    let mut scaling = autoscaling(policy, 2, 40);
    scaling.boot_time = DistSpec::constant(boot_s).expect("valid");
    s.services[0].autoscaling = Some(scaling);
    s.workload.pattern = Pattern::Steps {
        at: vec![SimTime::from_secs(3_600), SimTime::from_secs(7_200)],
        factors: vec![3.0, 1.0],
    };
    s.run.sample_every = SimTime::from_secs(15);
    s.run.fidelity = fidelity;
    let model = Model::new(&s);
    let result = run_trial(&model, 0).expect("a 12-node HPA at 60% never backs up");
    let width = series_columns(&model).len();
    // Columns: time, rate, throughput, in_system, then utilization (4), queued (5),
    // in rotation (6), booting (7), desired (8). Boots of 40 s end between the 15 s
    // samples, so a sample sees the nodes as the evaluation at its time does.
    let rows: Vec<&[f64]> = result.timeseries.chunks(width).collect();
    let (mut steps, mut matching, mut damped, mut recs) = (0, 0, 0, Vec::<(f64, u32)>::new());
    let mut first_down_after_drop = None;
    for k in 0..rows.len() - 1 {
        let (t, util) = (rows[k][0], rows[k][4]);
        let (ready, current) = (rows[k][6] as u32, rows[k][8] as u32);
        let rec = hpa_recommendation(util, ready, current);
        damped += (ready < current && util > 0.5) as u32;
        recs.push((t, rec));
        recs.retain(|&(u, _)| u + 300.0 >= t);
        let stable = recs.iter().map(|r| r.1).max().unwrap_or(rec);
        let expected = if rec < current {
            stable.min(current)
        } else {
            rec
        };
        let next = rows[k + 1][8] as u32;
        steps += 1;
        matching += (next == expected) as u32;
        if t >= 7_200.0 && next < current && first_down_after_drop.is_none() {
            first_down_after_drop = Some(t);
        }
    }
    let down_at = first_down_after_drop.unwrap_or(f64::INFINITY);
    let mut verdicts = vec![
        Verdict {
            case: format!("HPA, target 0.5, step load 20 → 60 → 20 req/s, {label}"),
            claim: "every evaluation follows the HPA rule (ready nodes × u / target, not-ready \
                    at 0% on a scale-up) with its limits"
                .into(),
            expected: steps as f64,
            simulated: matching as f64,
            low: matching as f64,
            high: matching as f64,
            pass: matching == steps,
        },
        Verdict {
            case: format!("HPA, target 0.5, step load 20 → 60 → 20 req/s, {label}"),
            claim: "first scale-down after the drop at 2 h waits the 300 s window (s)".into(),
            expected: 7_200.0 + 300.0,
            simulated: down_at,
            low: down_at,
            high: down_at,
            pass: (7_500.0..7_800.0).contains(&down_at),
        },
    ];
    if boot_s > 0.0 {
        verdicts.push(Verdict {
            case: format!("HPA, target 0.5, step load 20 → 60 → 20 req/s, {label}"),
            claim: "evaluations over target while nodes boot (the 0% rule applies)".into(),
            expected: 1.0,
            simulated: damped as f64,
            low: damped as f64,
            high: damped as f64,
            pass: damped >= 1,
        });
    }
    verdicts
}

/// A scheduled scale-in from 12 nodes to 3 in the middle of steady load: the removed nodes
/// drain (deregistration delay 300 s against 0.1 s requests), so no request fails.
pub fn scale_in_drains(threads: Option<usize>) -> Vec<Verdict> {
    let svc = service(
        "web",
        12,
        2,
        BalancerSpec::RoundRobin,
        DistSpec::exponential(0.1).expect("valid"),
        None,
    );
    let mut s = single_service(svc, 20.0, 2 * 3_600, 0, 16);
    let action = ScheduledAction {
        at: SimTime::from_secs(3_600),
        daily: false,
        min: Some(3),
        max: Some(3),
        desired: Some(3),
    };
    s.services[0].autoscaling = Some(autoscaling(
        ScalingPolicy::Schedule {
            actions: vec![action],
        },
        3,
        12,
    ));
    let m = simulate(&s, threads);
    let ok = m["request_success_ratio"].mean.unwrap_or(f64::NAN);
    let nodes = m["nodes_mean"].mean.unwrap_or(f64::NAN);
    vec![
        Verdict {
            case: "scheduled scale-in 12 → 3 nodes under load".into(),
            claim: "request_success_ratio = 1 (draining loses nothing)".into(),
            expected: 1.0,
            simulated: ok,
            low: ok,
            high: ok,
            pass: ok == 1.0,
        },
        Verdict {
            case: "scheduled scale-in 12 → 3 nodes under load".into(),
            claim: "nodes_mean ≈ (12 + 3)/2 (draining nodes leave within seconds)".into(),
            expected: 7.5,
            simulated: nodes,
            low: nodes,
            high: nodes,
            pass: (nodes - 7.5).abs() < 0.01,
        },
    ]
}
