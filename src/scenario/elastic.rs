//! What changes over time: the workload's `pattern` and a service's `autoscaling`, with
//! their defaults, ranges, and the keys that belong to each `kind` and `policy`.
//!
//! Invariant: each function returns `Some` only when its part had no problem; a key that
//! belongs to another `kind` or `policy` is reported at the key itself, naming both.

use super::diagnostic::KeyPath;
use super::distribution::{Row, build_dist, read_csv_rows};
use super::raw::{
    ActionAt, ActionRaw, AutoscalingRaw, Duration, OneOrMany, POLICY_KEYS, PatternKind, PatternRaw,
    PatternsRaw, PolicyKind, StepRaw,
};
use super::spans::Ctx;
use super::validate::MAX_NODES;
use super::{Autoscaling, Pattern, ScalingPolicy, ScheduledAction, StepAdjustment};
use crate::dist::DistSpec;
use crate::time::SimTime;

const DAY: SimTime = SimTime::from_secs(24 * 3600);

/// `[workload] pattern`: absent is constant, a list is the product of its patterns.
pub(super) fn pattern(raw: Option<&PatternsRaw>, p: &KeyPath, ctx: &mut Ctx) -> Option<Pattern> {
    match raw {
        None => Some(Pattern::Constant),
        Some(PatternsRaw::One(r)) => one_pattern(r, p, ctx),
        Some(PatternsRaw::Many(list)) if list.is_empty() => {
            ctx.at(
                p,
                "pattern = [] lists no patterns; leave pattern out for a constant rate",
            );
            None
        }
        Some(PatternsRaw::Many(list)) => {
            let all: Vec<Option<Pattern>> = list
                .iter()
                .enumerate()
                .map(|(i, r)| one_pattern(r, &p.index(i), ctx))
                .collect();
            all.into_iter()
                .collect::<Option<Vec<_>>>()
                .map(Pattern::Product)
        }
    }
}

/// "diurnal takes peak and trough, and optionally period and peak_at".
fn takes(kind: PatternKind) -> String {
    let (allowed, required) = kind.keys();
    let optional: Vec<&str> = allowed
        .iter()
        .copied()
        .filter(|k| !required.contains(k))
        .collect();
    match (required.is_empty(), optional.is_empty()) {
        (true, true) => format!("{} takes no other keys", kind.name()),
        (false, true) => format!("{} takes {}", kind.name(), required.join(", ")),
        _ => format!(
            "{} takes {}, and optionally {}",
            kind.name(),
            required.join(", "),
            optional.join(", ")
        ),
    }
}

fn one_pattern(r: &PatternRaw, p: &KeyPath, ctx: &mut Ctx) -> Option<Pattern> {
    if ctx.cut(&p.key("kind")) {
        // Malformed and reported; which keys belong cannot be judged without it.
        return None;
    }
    let Some(kind) = r.kind else {
        ctx.missing(
            &p.key("kind"),
            "missing key \"kind\"; expected one of constant, diurnal, steps, spike, trace",
        );
        return None;
    };
    let (allowed, required) = kind.keys();
    let present = r.present();
    let mut ok = true;
    for key in present.iter().filter(|k| !allowed.contains(k)) {
        ctx.at_key(
            &p.key(key),
            format!(
                "{key} is not a key of kind = \"{}\"; {}",
                kind.name(),
                takes(kind)
            ),
        );
        ok = false;
    }
    for key in required.iter().filter(|k| !present.contains(k)) {
        ctx.missing(
            &p.key(key),
            format!("kind = \"{}\" needs {key}; {}", kind.name(), takes(kind)),
        );
        ok = false;
    }
    if !ok {
        return None;
    }
    match kind {
        PatternKind::Constant => Some(Pattern::Constant),
        PatternKind::Diurnal => diurnal(r, p, ctx),
        PatternKind::Steps => steps_pattern(r, p, ctx),
        PatternKind::Spike => spike(r, p, ctx),
        PatternKind::Trace => trace(r.file.as_deref()?, &p.key("file"), ctx),
    }
}

/// A multiplier: finite and >= 0.
fn multiplier(x: f64, path: &KeyPath, what: &str, ctx: &mut Ctx) -> bool {
    let good = x.is_finite() && x >= 0.0;
    if !good {
        ctx.at(
            path,
            format!("{what} must be a finite number >= 0 (it multiplies rate); found {x}"),
        );
    }
    good
}

fn diurnal(r: &PatternRaw, p: &KeyPath, ctx: &mut Ctx) -> Option<Pattern> {
    let period = r.period.map_or(DAY, |d| d.0);
    let mut ok = true;
    if period == SimTime::ZERO {
        ctx.at(
            &p.key("period"),
            "period must be longer than 0, e.g. \"24h\"",
        );
        ok = false;
    }
    let (peak, trough) = (r.peak?, r.trough?);
    let trough_ok = multiplier(trough, &p.key("trough"), "trough", ctx);
    if !peak.is_finite() || (trough_ok && peak < trough) {
        ctx.at(
            &p.key("peak"),
            format!("peak must be a finite number >= trough ({trough}); found {peak}"),
        );
        ok = false;
    }
    (ok && trough_ok).then_some(Pattern::Diurnal {
        period,
        peak,
        trough,
        peak_at: r.peak_at.map_or(SimTime::ZERO, |d| d.0),
    })
}

fn steps_pattern(r: &PatternRaw, p: &KeyPath, ctx: &mut Ctx) -> Option<Pattern> {
    let (ap, fp) = (p.key("at"), p.key("factor"));
    let list_needed = |key: &str| {
        format!(
            "kind = \"steps\" takes a list for {key}, e.g. at = [\"0s\", \"1h\"], factor = [1.0, 3.0]"
        )
    };
    let at: Option<&Vec<Duration>> = match r.at.as_ref()? {
        OneOrMany::Many(v) => Some(v),
        OneOrMany::One(_) => {
            ctx.at(&ap, list_needed("at"));
            None
        }
    };
    let factors: Option<&Vec<f64>> = match r.factor.as_ref()? {
        OneOrMany::Many(v) => Some(v),
        OneOrMany::One(_) => {
            ctx.at(&fp, list_needed("factor"));
            None
        }
    };
    let (at, factors) = (at?, factors?);
    let mut ok = true;
    if at.is_empty() {
        ctx.at(&ap, "at must list at least one time");
        ok = false;
    } else if at.len() != factors.len() {
        ctx.at(
            &fp,
            format!(
                "factor has {} entries but at has {}; give one factor per time",
                factors.len(),
                at.len()
            ),
        );
        ok = false;
    }
    for (i, w) in at.windows(2).enumerate() {
        if w[1].0 <= w[0].0 {
            ctx.at(
                &ap.index(i + 1),
                format!(
                    "at[{}] ({}) must be later than at[{i}] ({}): times are strictly increasing",
                    i + 1,
                    w[1].0,
                    w[0].0
                ),
            );
            ok = false;
        }
    }
    for (i, f) in factors.iter().enumerate() {
        ok &= multiplier(*f, &fp.index(i), "a factor", ctx);
    }
    ok.then(|| Pattern::Steps {
        at: at.iter().map(|d| d.0).collect(),
        factors: factors.clone(),
    })
}

fn spike(r: &PatternRaw, p: &KeyPath, ctx: &mut Ctx) -> Option<Pattern> {
    let mut ok = true;
    let at = match r.at.as_ref()? {
        OneOrMany::One(d) => Some(d.0),
        OneOrMany::Many(_) => {
            ctx.at(
                &p.key("at"),
                "kind = \"spike\" starts at one time, e.g. at = \"2h\"; use a list of spikes for several",
            );
            None
        }
    };
    let factor = match r.factor.as_ref()? {
        OneOrMany::One(f) => multiplier(*f, &p.key("factor"), "factor", ctx).then_some(*f),
        OneOrMany::Many(_) => {
            ctx.at(
                &p.key("factor"),
                "kind = \"spike\" takes one factor, e.g. factor = 5.0",
            );
            None
        }
    };
    let duration = r.duration?.0;
    if duration == SimTime::ZERO {
        ctx.at(&p.key("duration"), "duration must be longer than 0");
        ok = false;
    }
    if !ok {
        return None;
    }
    Some(Pattern::Spike {
        at: at?,
        duration,
        factor: factor?,
    })
}

/// A trace: `time_s,multiplier` rows of a CSV file.
fn trace(file: &str, key: &KeyPath, ctx: &mut Ctx) -> Option<Pattern> {
    let mut previous: Option<f64> = None;
    let points = read_csv_rows(file, key, ctx, "trace", |fields| {
        let numbers: Vec<Result<f64, _>> =
            fields.iter().take(2).map(|f| f.parse::<f64>()).collect();
        if let Some(i) = numbers.iter().position(Result::is_err) {
            return Row::NotNumber(format!("\"{}\" is not a number", fields[i]));
        }
        let [Ok(t), Ok(m)] = numbers[..] else {
            return Row::Bad("a trace row needs two values: time_s,multiplier".to_string());
        };
        if !(t.is_finite() && t >= 0.0) {
            return Row::Bad(format!("time {t} must be a finite number of seconds >= 0"));
        }
        if !(m.is_finite() && m >= 0.0) {
            return Row::Bad(format!(
                "multiplier {m} must be a finite number >= 0 (it multiplies rate)"
            ));
        }
        if let Some(prev) = previous
            && t <= prev
        {
            return Row::Bad(format!(
                "time {t} s is not after the previous row's {prev} s: times must be strictly increasing"
            ));
        }
        previous = Some(t);
        Row::Value((t, m))
    })?;
    Some(Pattern::Trace { points })
}

/// A service's `autoscaling`. `nodes` is the service's node count (`None` when it is
/// malformed), `nodes_given` whether the file sets it.
pub(super) fn autoscaling(
    a: &AutoscalingRaw,
    p: &KeyPath,
    nodes: Option<u32>,
    nodes_given: bool,
    ctx: &mut Ctx,
) -> Option<Autoscaling> {
    let mut ok = true;
    let policy = match a.policy {
        None => {
            ctx.missing(
                &p.key("policy"),
                "missing key \"policy\"; expected one of target_tracking, step, schedule",
            );
            None
        }
        Some(k) => Some(k),
    };
    let bounds = min_max(a.min, a.max, p, ctx);
    if let (Some((min, max)), Some(n)) = (bounds, nodes)
        && !(min..=max).contains(&n)
    {
        let shown = if nodes_given {
            format!("nodes ({n})")
        } else {
            format!("nodes (not set, so {n})")
        };
        ctx.at(
            &p.parent().key("nodes"),
            format!("{shown} must lie in autoscaling's [min, max] = [{min}, {max}]; with autoscaling, nodes is the initial size"),
        );
        ok = false;
    }
    let boot_time = match &a.boot_time {
        Some(d) => build_dist(d, &p.key("boot_time"), ctx),
        None => DistSpec::constant(0.0).ok(),
    };
    let secs = |d: Option<Duration>, default: u64| d.map_or(SimTime::from_secs(default), |d| d.0);
    let policy = match policy {
        // Malformed (reported) or missing: the policy's keys cannot be judged.
        None => None,
        Some(kind) => {
            for (key, owner) in POLICY_KEYS {
                if *owner != kind && a.has(key) {
                    ctx.at_key(
                        &p.key(key),
                        format!(
                            "{key} is a key of policy = \"{}\", not of policy = \"{}\"",
                            owner.name(),
                            kind.name()
                        ),
                    );
                    ok = false;
                }
            }
            match kind {
                PolicyKind::TargetTracking => target_tracking(a, p, ctx),
                PolicyKind::Step => step_policy(a, p, ctx),
                PolicyKind::Schedule => {
                    if a.interval.is_some() {
                        ctx.at_key(
                            &p.key("interval"),
                            "interval is a key of policy = \"target_tracking\" and \"step\", not of policy = \"schedule\"",
                        );
                        ok = false;
                    }
                    schedule(a.actions.as_deref(), p, ctx)
                }
            }
        }
    };
    if !ok {
        return None;
    }
    let (min, max) = bounds?;
    Some(Autoscaling {
        policy: policy?,
        min,
        max,
        boot_time: boot_time?,
        deregistration_delay: secs(a.deregistration_delay, 300),
        replace_after: secs(a.replace_after, 0),
        health_check_grace: secs(a.health_check_grace, 300),
    })
}

/// `min` and `max` of the autoscaling table at `p`: both required, 1 <= min <= max.
fn min_max(min: Option<u32>, max: Option<u32>, p: &KeyPath, ctx: &mut Ctx) -> Option<(u32, u32)> {
    for (key, v, meaning) in [
        ("min", min, "the fewest nodes"),
        ("max", max, "the most nodes"),
    ] {
        if v.is_none() {
            ctx.missing(
                &p.key(key),
                format!("missing key \"{key}\": {meaning}, e.g. min = 2, max = 20"),
            );
        }
    }
    let (min, max) = (min?, max?);
    if min == 0 {
        ctx.at(&p.key("min"), "min must be at least 1");
        return None;
    }
    if max < min {
        ctx.at(
            &p.key("max"),
            format!("max ({max}) must be at least min ({min})"),
        );
        return None;
    }
    ctx.at_most(&p.key("max"), "max", max, MAX_NODES, "")
        .then_some((min, max))
}

/// An evaluation interval: `default_s` when absent, never 0.
fn interval(a: &AutoscalingRaw, p: &KeyPath, default_s: u64, ctx: &mut Ctx) -> Option<SimTime> {
    let i = a.interval.map_or(SimTime::from_secs(default_s), |d| d.0);
    if i == SimTime::ZERO {
        ctx.at(&p.key("interval"), "interval must be longer than 0");
        return None;
    }
    Some(i)
}

fn target_tracking(a: &AutoscalingRaw, p: &KeyPath, ctx: &mut Ctx) -> Option<ScalingPolicy> {
    let mut ok = true;
    let target = match a.target {
        None => {
            ctx.missing(
                &p.key("target"),
                "policy = \"target_tracking\" needs target, the utilization to keep, in (0, 1], e.g. target = 0.6",
            );
            None
        }
        Some(t) if !(t > 0.0 && t <= 1.0) => {
            ctx.at(
                &p.key("target"),
                format!("target must be a utilization in (0, 1], e.g. 0.6; found {t}"),
            );
            None
        }
        Some(t) => Some(t),
    };
    let interval = interval(a, p, 15, ctx);
    let tolerance = a.tolerance.unwrap_or(0.1);
    if !(0.0..1.0).contains(&tolerance) {
        ctx.at(
            &p.key("tolerance"),
            format!("tolerance must be in [0, 1), e.g. 0.1; found {tolerance}"),
        );
        ok = false;
    }
    let scale_up_percent = a.scale_up_percent.unwrap_or(100.0);
    if !(scale_up_percent.is_finite() && scale_up_percent > 0.0) {
        ctx.at(
            &p.key("scale_up_percent"),
            format!(
                "scale_up_percent must be a finite number > 0, e.g. 100; found {scale_up_percent}"
            ),
        );
        ok = false;
    }
    if !ok {
        return None;
    }
    Some(ScalingPolicy::TargetTracking {
        target: target?,
        interval: interval?,
        tolerance,
        scale_up_nodes: a.scale_up_nodes.unwrap_or(4),
        scale_up_percent,
        scale_down_stabilization: a
            .scale_down_stabilization
            .map_or(SimTime::from_secs(300), |d| d.0),
    })
}

fn step_policy(a: &AutoscalingRaw, p: &KeyPath, ctx: &mut Ctx) -> Option<ScalingPolicy> {
    let interval = interval(a, p, 60, ctx);
    let sp = p.key("steps");
    let steps = match a.steps.as_deref() {
        None => {
            ctx.missing(
                &sp,
                "policy = \"step\" needs steps, e.g. steps = [{ lower = 0.8, change = 2 }, { upper = 0.3, change = -1 }]",
            );
            None
        }
        Some([]) => {
            ctx.at(&sp, "steps must list at least one band");
            None
        }
        Some(list) => bands(list, &sp, ctx),
    };
    Some(ScalingPolicy::Step {
        interval: interval?,
        cooldown: a.cooldown.map_or(SimTime::from_secs(300), |d| d.0),
        steps: steps?,
    })
}

/// "0.6 <= utilization < 0.8".
fn band(s: &StepAdjustment) -> String {
    match (s.lower, s.upper) {
        (Some(l), Some(u)) => format!("{l} <= utilization < {u}"),
        (Some(l), None) => format!("utilization >= {l}"),
        (None, Some(u)) => format!("utilization < {u}"),
        (None, None) => "any utilization".into(),
    }
}

/// The bands of a step policy: each with a change and a bound, none overlapping.
fn bands(list: &[StepRaw], p: &KeyPath, ctx: &mut Ctx) -> Option<Vec<StepAdjustment>> {
    let mut ok = true;
    let mut read: Vec<Option<StepAdjustment>> = Vec::new();
    for (j, s) in list.iter().enumerate() {
        let sp = p.index(j);
        let mut change_ok = true;
        let change = match s.change {
            None => {
                ctx.missing(
                    &sp.key("change"),
                    "missing key \"change\": the nodes to add (negative: remove), e.g. change = 2",
                );
                change_ok = false;
                0
            }
            Some(0) => {
                ctx.at(
                    &sp.key("change"),
                    "change must not be 0: it is the nodes to add (negative: remove)",
                );
                change_ok = false;
                0
            }
            Some(c) => c,
        };
        let bounds_cut = ctx.cut(&sp.key("lower")) || ctx.cut(&sp.key("upper"));
        let mut bounds_ok = !bounds_cut;
        for (key, v) in [("lower", s.lower), ("upper", s.upper)] {
            if let Some(x) = v
                && !(x.is_finite() && x >= 0.0)
            {
                ctx.at(
                    &sp.key(key),
                    format!("{key} must be a utilization, a finite number >= 0; found {x}"),
                );
                bounds_ok = false;
            }
        }
        match (s.lower, s.upper) {
            (None, None) => {
                if !bounds_cut {
                    ctx.at(
                        &sp,
                        "a step needs lower, upper or both: it applies while lower <= utilization < upper",
                    );
                }
                bounds_ok = false;
            }
            (Some(l), Some(u)) if bounds_ok && l >= u => {
                ctx.at(
                    &sp.key("upper"),
                    format!("upper ({u}) must be above lower ({l})"),
                );
                bounds_ok = false;
            }
            _ => {}
        }
        ok &= bounds_ok && change_ok;
        read.push(bounds_ok.then_some(StepAdjustment {
            lower: s.lower,
            upper: s.upper,
            change,
        }));
    }
    let lo = |s: &StepAdjustment| s.lower.unwrap_or(f64::NEG_INFINITY);
    let hi = |s: &StepAdjustment| s.upper.unwrap_or(f64::INFINITY);
    for (j, b) in read.iter().enumerate() {
        let Some(b) = b else { continue };
        for (i, a) in read[..j].iter().enumerate() {
            let Some(a) = a else { continue };
            if lo(a) < hi(b) && lo(b) < hi(a) {
                ctx.at(
                    &p.index(j),
                    format!(
                        "steps[{j}] ({}) overlaps steps[{i}] ({}); bands must not overlap",
                        band(b),
                        band(a)
                    ),
                );
                ok = false;
            }
        }
    }
    if !ok {
        return None;
    }
    read.into_iter().collect()
}

fn schedule(list: Option<&[ActionRaw]>, p: &KeyPath, ctx: &mut Ctx) -> Option<ScalingPolicy> {
    let ap = p.key("actions");
    let list = match list {
        None => {
            ctx.missing(
                &ap,
                "policy = \"schedule\" needs actions, e.g. actions = [{ at = \"08:00\", daily = true, desired = 10 }]",
            );
            return None;
        }
        Some([]) => {
            ctx.at(&ap, "actions must list at least one action");
            return None;
        }
        Some(list) => list,
    };
    let actions: Vec<Option<ScheduledAction>> = list
        .iter()
        .enumerate()
        .map(|(j, a)| action(a, &ap.index(j), ctx))
        .collect();
    let actions: Option<Vec<ScheduledAction>> = actions.into_iter().collect();
    Some(ScalingPolicy::Schedule { actions: actions? })
}

fn action(a: &ActionRaw, p: &KeyPath, ctx: &mut Ctx) -> Option<ScheduledAction> {
    let daily = a.daily.unwrap_or(false);
    let at = match a.at {
        None => {
            ctx.missing(
                &p.key("at"),
                "missing key \"at\": a duration from the start (at = \"36h\"), or with daily = true a time of day (at = \"08:00\")",
            );
            None
        }
        Some(ActionAt::Clock(t)) if daily => Some(t),
        Some(ActionAt::Clock(t)) => {
            ctx.at(
                &p.key("at"),
                format!("a time of day ({t} after midnight) needs daily = true; a one-off action's at is a duration from the start, e.g. at = \"36h\""),
            );
            None
        }
        Some(ActionAt::Duration(t)) if daily && t >= DAY => {
            ctx.at(
                &p.key("at"),
                format!("a daily action's at is a time of day, less than 24h; found {t}"),
            );
            None
        }
        Some(ActionAt::Duration(t)) => Some(t),
    };
    let mut ok = true;
    let values = ["min", "max", "desired"];
    if a.min.is_none()
        && a.max.is_none()
        && a.desired.is_none()
        && !values.iter().any(|k| ctx.cut(&p.key(k)))
    {
        ctx.at(p, "an action needs at least one of min, max, desired");
        ok = false;
    }
    for (key, v) in [("min", a.min), ("max", a.max), ("desired", a.desired)] {
        if v == Some(0) {
            ctx.at(&p.key(key), format!("{key} must be at least 1"));
            ok = false;
        }
    }
    if ok
        && let (Some(min), Some(max)) = (a.min, a.max)
        && max < min
    {
        ctx.at(
            &p.key("max"),
            format!("max ({max}) must be at least min ({min})"),
        );
        ok = false;
    }
    if ok && let Some(d) = a.desired {
        let problem = match (a.min, a.max) {
            (Some(min), _) if d < min => Some(format!("at least this action's min ({min})")),
            (_, Some(max)) if d > max => Some(format!("at most this action's max ({max})")),
            _ => None,
        };
        if let Some(problem) = problem {
            ctx.at(
                &p.key("desired"),
                format!("desired ({d}) must be {problem}"),
            );
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    Some(ScheduledAction {
        at: at?,
        daily,
        min: a.min,
        max: a.max,
        desired: a.desired,
    })
}
