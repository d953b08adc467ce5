//! What fails and what counts as up: a service's `failures`, `health_check` and
//! `redundancy`, and the scenario's `[[outages]]`, `[repair]` and `[slo]`.
//!
//! Invariant: each function returns `Some` only when its part had no problem, and a key
//! that is only allowed with some `effect` or `mode` is reported at the key itself.

use std::collections::HashMap;

use super::diagnostic::KeyPath;
use super::distribution::build_dist;
use super::domains::Domains;
use super::raw::{
    DistRaw, FailureEffectRaw, FailureRaw, HealthCheckRaw, OutageEffectRaw, OutageRaw,
    RedundancyMode, RedundancyRaw, RepairRaw, SloRaw,
};
use super::spans::Ctx;
use super::{
    FailureEffect, FailureMode, HealthCheck, OutageEffect, OutageScope, OutageSpec, Redundancy,
    RepairSpec, SloSpec,
};
use crate::dist::DistSpec;
use crate::time::SimTime;

/// SLO window when `[slo]` gives none.
const DEFAULT_SLO_WINDOW: SimTime = SimTime::from_secs(5 * 60);

/// A required distribution (`ttf`, `ttr`) of the table at `p`.
fn required_dist(
    raw: Option<&DistRaw>,
    p: &KeyPath,
    key: &str,
    meaning: &str,
    ctx: &mut Ctx,
) -> Option<DistSpec> {
    let example = if key == "ttf" { "1000h" } else { "4h" };
    match raw {
        Some(d) => build_dist(d, &p.key(key), ctx),
        None => {
            ctx.missing(
                &p.key(key),
                format!("missing key \"{key}\": {meaning}, e.g. {key} = {{ dist = \"exponential\", mean = \"{example}\" }}"),
            );
            None
        }
    }
}

/// A service's `failures`: names unique within the service, `factor` with `slow` only.
pub(super) fn failures(
    list: &[FailureRaw],
    p: &KeyPath,
    ctx: &mut Ctx,
) -> Option<Vec<FailureMode>> {
    let mut modes = Vec::new();
    let mut ok = true;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (j, f) in list.iter().enumerate() {
        let fp = p.index(j);
        let name = match &f.name {
            None => {
                ctx.missing(
                    &fp.key("name"),
                    "missing key \"name\": every failure mode needs a name, unique within the service",
                );
                None
            }
            Some(n) if n.trim().is_empty() => {
                ctx.at(&fp.key("name"), "a failure mode name must not be empty");
                None
            }
            Some(n) => {
                if let Some(&first) = seen.get(n.as_str()) {
                    ctx.at(
                        &fp.key("name"),
                        format!("duplicate failure mode name \"{n}\" (first at failures[{first}])"),
                    );
                    None
                } else {
                    seen.insert(n, j);
                    Some(n.clone())
                }
            }
        };
        let effect = failure_effect(f, &fp, ctx);
        let loses_data = f.loses_data.unwrap_or(false);
        if f.loses_data.is_some() && f.effect.is_some() && f.effect != Some(FailureEffectRaw::Crash)
        {
            ctx.at_key(
                &fp.key("loses_data"),
                "loses_data is only allowed with effect = \"crash\" (a restart or a slow node keeps its disks)",
            );
            ok = false;
        }
        let ttf = required_dist(f.ttf.as_ref(), &fp, "ttf", "the time to failure", ctx);
        let ttr = required_dist(f.ttr.as_ref(), &fp, "ttr", "the time to repair", ctx);
        match (name, effect, ttf, ttr) {
            (Some(name), Some(effect), Some(ttf), Some(ttr)) => modes.push(FailureMode {
                name,
                effect,
                ttf,
                ttr,
                loses_data,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(modes)
}

fn failure_effect(f: &FailureRaw, p: &KeyPath, ctx: &mut Ctx) -> Option<FailureEffect> {
    let Some(effect) = f.effect else {
        ctx.missing(
            &p.key("effect"),
            "missing key \"effect\"; expected one of crash, slow, restart, corrupt",
        );
        return None;
    };
    let fk = p.key("factor");
    match (effect, f.factor) {
        (FailureEffectRaw::Slow, None) => {
            ctx.missing(
                &fk,
                "effect = \"slow\" needs factor, the multiplier of service times (a number >= 1), e.g. factor = 5.0",
            );
            None
        }
        (FailureEffectRaw::Slow, Some(x)) if !(x.is_finite() && x >= 1.0) => {
            ctx.at(
                &fk,
                format!("factor must be a finite number >= 1 (service times are multiplied by it); found {x}"),
            );
            None
        }
        (FailureEffectRaw::Slow, Some(factor)) => Some(FailureEffect::Slow { factor }),
        (_, Some(_)) => {
            ctx.at_key(&fk, "factor is only allowed with effect = \"slow\"");
            None
        }
        (FailureEffectRaw::Crash, None) => Some(FailureEffect::Crash),
        (FailureEffectRaw::Restart, None) => Some(FailureEffect::Restart),
        (FailureEffectRaw::Corrupt, None) => Some(FailureEffect::Corrupt),
    }
}

/// A service's `health_check`.
pub(super) fn health_check(h: &HealthCheckRaw, p: &KeyPath, ctx: &mut Ctx) -> Option<HealthCheck> {
    let mut ok = true;
    let interval = match h.interval {
        None => {
            ctx.missing(
                &p.key("interval"),
                "missing key \"interval\": the time between probes of one node, e.g. interval = \"10s\"",
            );
            None
        }
        Some(i) if i.0 == SimTime::ZERO => {
            ctx.at(&p.key("interval"), "interval must be longer than 0");
            None
        }
        Some(i) => Some(i.0),
    };
    if let Some(t) = h.timeout
        && t.0 == SimTime::ZERO
    {
        ctx.at(
            &p.key("timeout"),
            "timeout must be longer than 0; leave it out to fail probes only on nodes that are down or cut off",
        );
        ok = false;
    }
    let unhealthy_threshold = h.unhealthy_threshold.unwrap_or(3);
    let healthy_threshold = h.healthy_threshold.unwrap_or(2);
    for (key, v) in [
        ("unhealthy_threshold", unhealthy_threshold),
        ("healthy_threshold", healthy_threshold),
    ] {
        if v == 0 {
            ctx.at(&p.key(key), format!("{key} must be at least 1"));
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    Some(HealthCheck {
        interval: interval?,
        timeout: h.timeout.map(|t| t.0),
        unhealthy_threshold,
        healthy_threshold,
    })
}

/// A service's `redundancy`; `nodes` is `None` when the node count is unknown (malformed).
pub(super) fn redundancy(
    r: Option<&RedundancyRaw>,
    nodes: Option<u32>,
    p: &KeyPath,
    ctx: &mut Ctx,
) -> Option<Redundancy> {
    let Some(r) = r else {
        return Some(Redundancy::ActiveActive { min_healthy: 1 });
    };
    if ctx.cut(&p.key("mode")) {
        // Malformed and reported; which keys belong cannot be judged without it.
        return None;
    }
    let mode = r.mode.unwrap_or(RedundancyMode::ActiveActive);
    let mut ok = true;
    let mut not_with = |key: &str, present: bool, mode: &str, ctx: &mut Ctx| {
        if present {
            ctx.at_key(
                &p.key(key),
                format!("{key} is not allowed with mode = \"{mode}\""),
            );
            ok = false;
        }
    };
    let result = match mode {
        RedundancyMode::ActiveActive => {
            not_with("failover", r.failover.is_some(), "active_active", ctx);
            let min_healthy = r.min_healthy.unwrap_or(1);
            match nodes {
                _ if min_healthy == 0 => {
                    ctx.at(&p.key("min_healthy"), "min_healthy must be at least 1");
                    None
                }
                Some(n) if n >= 1 && min_healthy > n => {
                    ctx.at(
                        &p.key("min_healthy"),
                        format!("min_healthy ({min_healthy}) must not exceed nodes ({n})"),
                    );
                    None
                }
                _ => Some(Redundancy::ActiveActive { min_healthy }),
            }
        }
        RedundancyMode::ActiveStandby => {
            not_with(
                "min_healthy",
                r.min_healthy.is_some(),
                "active_standby",
                ctx,
            );
            match r.failover {
                Some(f) => Some(Redundancy::ActiveStandby { failover: f.0 }),
                None => {
                    ctx.missing(
                        &p.key("failover"),
                        "mode = \"active_standby\" needs failover, the time a standby takes to take over (may be 0), e.g. failover = \"60s\"",
                    );
                    None
                }
            }
        }
        RedundancyMode::Quorum => {
            not_with("min_healthy", r.min_healthy.is_some(), "quorum", ctx);
            not_with("failover", r.failover.is_some(), "quorum", ctx);
            Some(Redundancy::Quorum)
        }
    };
    if ok { result } else { None }
}

/// `[[outages]]`, with scopes resolved against the domains.
pub(super) fn outages(
    list: &[OutageRaw],
    domains: &Domains,
    ctx: &mut Ctx,
) -> Option<Vec<OutageSpec>> {
    let p = KeyPath::root().key("outages");
    let mut specs = Vec::new();
    let mut ok = true;
    for (i, o) in list.iter().enumerate() {
        let op = p.index(i);
        let scope = match &o.scope {
            None => {
                ctx.missing(
                    &op.key("scope"),
                    "missing key \"scope\": \"zone\", \"rack\" or \"region\" (every domain of that kind), or the name of one domain",
                );
                None
            }
            Some(s) if s == "random" => match o.fraction {
                Some(f) if f > 0.0 && f <= 1.0 => Some(OutageScope::Random { fraction: f }),
                Some(f) => {
                    ctx.at(
                        &op.key("fraction"),
                        format!("fraction must be in (0, 1], the share of all nodes struck at once, e.g. 0.01; found {f}"),
                    );
                    None
                }
                None => {
                    ctx.missing(
                        &op.key("fraction"),
                        "scope = \"random\" needs fraction, the share of all nodes struck at once, e.g. fraction = 0.01",
                    );
                    None
                }
            },
            Some(s) => domains.scope(s, &op.key("scope"), ctx),
        };
        if o.fraction.is_some() && o.scope.as_deref().is_some_and(|s| s != "random") {
            ctx.at_key(
                &op.key("fraction"),
                "fraction is only allowed with scope = \"random\"",
            );
            ok = false;
        }
        if let Some(n) = &o.name
            && n.trim().is_empty()
        {
            ctx.at(
                &op.key("name"),
                "an outage name must not be empty; leave it out for \"<scope> outage\"",
            );
            ok = false;
        }
        let effect = match o.effect.unwrap_or(OutageEffectRaw::Down) {
            OutageEffectRaw::Down => OutageEffect::Down,
            OutageEffectRaw::Network => OutageEffect::Network,
        };
        let loses_data = o.loses_data.unwrap_or(false);
        if loses_data && effect == OutageEffect::Network {
            ctx.at_key(
                &op.key("loses_data"),
                "loses_data is only allowed with effect = \"down\" (a network outage keeps the disks)",
            );
            ok = false;
        }
        let ttf = required_dist(o.ttf.as_ref(), &op, "ttf", "the time between outages", ctx);
        let ttr = required_dist(o.ttr.as_ref(), &op, "ttr", "the outage length", ctx);
        let (Some(scope), Some(ttf), Some(ttr)) = (scope, ttf, ttr) else {
            ok = false;
            continue;
        };
        let name = o.name.clone().unwrap_or_else(|| match scope {
            OutageScope::EachOf(_) => format!("{} outage", o.scope.as_deref().unwrap_or("")),
            OutageScope::Domain(id) => format!("{} outage", domains.topology.domains[id].name),
            OutageScope::Random { .. } => "random outage".to_string(),
        });
        specs.push(OutageSpec {
            name,
            scope,
            effect,
            ttf,
            ttr,
            loses_data,
        });
    }
    ok.then_some(specs)
}

/// `[repair]`.
pub(super) fn repair(r: Option<&RepairRaw>, ctx: &mut Ctx) -> Option<RepairSpec> {
    let crews = r.and_then(|r| r.crews);
    if crews == Some(0) {
        ctx.at(
            &KeyPath::root().key("repair").key("crews"),
            "crews must be at least 1; leave it out for unlimited repair crews",
        );
        return None;
    }
    Some(RepairSpec { crews })
}

/// `[slo]`; `horizon` is `None` when `run.horizon` is unknown (missing or malformed).
pub(super) fn slo(
    s: Option<&SloRaw>,
    horizon: Option<SimTime>,
    ctx: &mut Ctx,
) -> Option<Option<SloSpec>> {
    let Some(s) = s else {
        return Some(None);
    };
    let p = KeyPath::root().key("slo");
    let mut ok = true;
    if let Some(a) = s.availability
        && !(a > 0.0 && a <= 1.0)
    {
        ctx.at(
            &p.key("availability"),
            format!("availability must be in (0, 1], e.g. 0.999; found {a}"),
        );
        ok = false;
    }
    if let Some(l) = s.latency_p99
        && l.0 == SimTime::ZERO
    {
        ctx.at(&p.key("latency_p99"), "latency_p99 must be longer than 0");
        ok = false;
    }
    if let Some(e) = s.error_ratio
        && !(0.0..=1.0).contains(&e)
    {
        ctx.at(
            &p.key("error_ratio"),
            format!("error_ratio must be in [0, 1], e.g. 0.001; found {e}"),
        );
        ok = false;
    }
    let targets = ["availability", "latency_p99", "error_ratio"];
    let given = s.availability.is_some() || s.latency_p99.is_some() || s.error_ratio.is_some();
    if !given && !targets.iter().any(|k| ctx.cut(&p.key(k))) {
        ctx.at(
            &p,
            "[slo] needs at least one target: availability, latency_p99 or error_ratio",
        );
        ok = false;
    }
    let window = s.window.map_or(DEFAULT_SLO_WINDOW, |w| w.0);
    if window == SimTime::ZERO {
        ctx.at(&p.key("window"), "window must be longer than 0");
        ok = false;
    } else if let Some(h) = horizon
        && window > h
    {
        if s.window.is_some() {
            ctx.at(
                &p.key("window"),
                format!("window ({window}) must not be longer than run.horizon ({h})"),
            );
        } else if !ctx.cut(&p.key("window")) {
            ctx.at(
                &p,
                format!("the default SLO window ({window}) is longer than run.horizon ({h}); set window to at most {h}"),
            );
        }
        ok = false;
    }
    ok.then_some(Some(SloSpec {
        availability: s.availability,
        latency_p99: s.latency_p99.map(|l| l.0),
        error_ratio: s.error_ratio,
        window,
    }))
}
