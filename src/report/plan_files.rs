//! The files of a plan's result directory: `plan.json`, `plan_frontier.png/.svg` and
//! `report.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::plot::FrontierFigure;
use super::{OutputDir, cell, format_number, write_figure};
use crate::plan::{Evaluation, Targets, Variable};
use crate::stats::MetricSummary;
use crate::sweep::label;

/// A finished plan.
pub struct PlanResult<'a> {
    pub scenario: &'a str,
    pub description: Option<&'a str>,
    pub seed: u64,
    pub trials: u64,
    /// `--set KEY=VALUE` applied to every design.
    pub overrides: &'a [String],
    pub variables: &'a [Variable],
    pub targets: Targets,
    pub evaluated: &'a [Evaluation],
    pub best: Option<&'a Evaluation>,
}

#[derive(Serialize)]
struct PlanJson<'a> {
    scenario: &'a str,
    seed: u64,
    trials: u64,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    overrides: &'a [String],
    best: Option<BTreeMap<&'a str, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metrics: Option<&'a BTreeMap<String, MetricSummary>>,
    evaluated: Vec<EvaluatedJson<'a>>,
}

#[derive(Serialize)]
struct EvaluatedJson<'a> {
    design: BTreeMap<&'a str, String>,
    cost: f64,
    meets_slo: bool,
    metrics: &'a BTreeMap<String, MetricSummary>,
}

impl PlanResult<'_> {
    /// The design as key -> value (strings without their quotes).
    pub fn design(&self, e: &Evaluation) -> BTreeMap<&str, String> {
        self.variables
            .iter()
            .zip(&e.design)
            .map(|(v, &i)| (v.key.as_str(), label(&v.values[i])))
            .collect()
    }

    /// Why there is no answer.
    pub fn reason(&self) -> String {
        "no evaluated design meets the SLO at its 95% CI bound, even with every integer variable at its largest value".into()
    }

    /// Evaluations sorted by cost (the frontier as printed).
    pub fn by_cost(&self) -> Vec<&Evaluation> {
        let mut v: Vec<&Evaluation> = self.evaluated.iter().collect();
        v.sort_by(|a, b| a.cost.total_cmp(&b.cost));
        v
    }
}

/// Writes plan.json, the frontier figure and report.md.
pub fn write_plan_files(out: &mut OutputDir, plan: &PlanResult<'_>) -> anyhow::Result<()> {
    let doc = PlanJson {
        scenario: plan.scenario,
        seed: plan.seed,
        trials: plan.trials,
        overrides: plan.overrides,
        best: plan.best.map(|b| plan.design(b)),
        reason: plan.best.is_none().then(|| plan.reason()),
        cost: plan.best.map(|b| b.cost),
        metrics: plan.best.map(|b| &b.metrics),
        evaluated: plan
            .evaluated
            .iter()
            .map(|e| EvaluatedJson {
                design: plan.design(e),
                cost: e.cost,
                meets_slo: e.meets_slo,
                metrics: &e.metrics,
            })
            .collect(),
    };
    let mut json = serde_json::to_string_pretty(&doc)?;
    json.push('\n');
    out.write("plan.json", json.as_bytes())?;
    let figure = frontier(plan);
    if let Some(fig) = &figure {
        write_figure(out, "plan_frontier", fig)?;
    }
    out.write("report.md", plan_report(plan, figure.is_some()).as_bytes())?;
    Ok(())
}

/// The SLO metric to plot: availability (%), else p99 (ms), else the failed ratio.
fn frontier(plan: &PlanResult<'_>) -> Option<FrontierFigure> {
    let t = plan.targets;
    let (metric, y_desc, scale, target, unit) = if let Some(a) = t.availability {
        ("availability", "availability (%)", 100.0, a, "%")
    } else if let Some(p) = t.latency_p99_s {
        ("latency_p99_s", "p99 latency (ms)", 1e3, p, " ms")
    } else {
        (
            crate::plan::FAILED_RATIO,
            "failed ratio (errors, drops, timeouts)",
            1.0,
            t.error_ratio?,
            "",
        )
    };
    let mut points = Vec::new();
    let mut best = None;
    for e in plan.evaluated {
        let Some(s) = e.metrics.get(metric) else {
            continue;
        };
        let Some(mean) = s.mean else { continue };
        if plan.best.is_some_and(|b| b.design == e.design) {
            best = Some(points.len());
        }
        points.push((
            e.cost,
            mean * scale,
            s.ci95_low.unwrap_or(mean) * scale,
            s.ci95_high.unwrap_or(mean) * scale,
            e.meets_slo,
        ));
    }
    (!points.is_empty()).then(|| FrontierFigure {
        y_desc: y_desc.into(),
        points,
        target: target * scale,
        target_label: format!("target {}{unit}", format_number(target * scale)),
        best,
    })
}

/// Targets as text.
pub fn targets_text(t: &Targets) -> String {
    let mut parts = Vec::new();
    if let Some(a) = t.availability {
        parts.push(format!(
            "availability >= {} (95% CI lower bound)",
            format_number(a)
        ));
    }
    if let Some(p) = t.latency_p99_s {
        parts.push(format!(
            "p99 latency <= {} ms (95% CI upper bound)",
            format_number(p * 1e3)
        ));
    }
    if let Some(e) = t.error_ratio {
        parts.push(format!(
            "failed ratio (errors, drops and timeouts) <= {} (95% CI upper bound)",
            format_number(e)
        ));
    }
    parts.join("; ")
}

/// `report.md` of a plan.
pub fn plan_report(plan: &PlanResult<'_>, figure: bool) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Plan: {}\n", plan.scenario);
    if let Some(d) = plan.description {
        let _ = writeln!(md, "{d}\n");
    }
    let _ = writeln!(md, "## Question\n");
    let _ = writeln!(
        md,
        "The cheapest design (by `cost_per_year`) that meets the SLO: {}.\n",
        targets_text(&plan.targets)
    );
    let _ = writeln!(md, "## Assumptions\n");
    let _ = writeln!(
        md,
        "- {} trials per design, seed {} for every design (common random numbers).",
        plan.trials, plan.seed
    );
    for o in plan.overrides {
        let _ = writeln!(md, "- Every design with `--set {o}`.");
    }
    for v in plan.variables {
        let values: Vec<String> = v.values.iter().map(|x| label(x)).collect();
        let how = if v.integer {
            "integer, more is never worse"
        } else {
            "choice"
        };
        let _ = writeln!(md, "- `{}` ({how}) in {}", v.key, values.join(", "));
    }
    let _ = writeln!(md, "\n## Answer\n");
    match plan.best {
        Some(b) => {
            let design: Vec<String> = plan
                .design(b)
                .into_iter()
                .map(|(k, v)| format!("`{k}` = {v}"))
                .collect();
            let _ = writeln!(
                md,
                "{}, at {} per year. It meets every target at the bound of its 95% confidence interval, not just on average.\n",
                design.join(", "),
                format_number(b.cost)
            );
        }
        None => {
            let _ = writeln!(md, "None: {}.\n", plan.reason());
        }
    }
    let _ = writeln!(
        md,
        "## Designs evaluated ({}), cheapest first\n",
        plan.evaluated.len()
    );
    let mut header: Vec<String> = plan
        .variables
        .iter()
        .map(|v| format!("`{}`", v.key))
        .collect();
    header.extend(
        [
            "cost per year",
            "availability",
            "p99 latency (s)",
            "meets SLO",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let _ = writeln!(md, "| {} |", header.join(" | "));
    let _ = writeln!(md, "|{}", "---|".repeat(header.len()));
    for e in plan.by_cost() {
        let mut row: Vec<String> = plan
            .variables
            .iter()
            .zip(&e.design)
            .map(|(v, &i)| label(&v.values[i]))
            .collect();
        row.push(format_number(e.cost));
        row.push(cell(e.metrics.get("availability")));
        row.push(cell(e.metrics.get("latency_p99_s")));
        row.push(if e.meets_slo { "yes" } else { "no" }.into());
        let _ = writeln!(md, "| {} |", row.join(" | "));
    }
    if figure {
        let _ = writeln!(md, "\n## Figures\n");
        let _ = writeln!(md, "![Cost vs SLO metric](plan_frontier.png)");
    }
    md
}
