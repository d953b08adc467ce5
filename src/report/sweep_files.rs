//! The files of a sweep's result directory: `sweep.csv` (one row per point and metric),
//! `sweep.json`, `sweep_<metric>.png/.svg` for each headline metric that is defined, and
//! `report.md`. Like a run's files, they depend only on the scenario, the axes and the seed.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::plot::{SweepFigure, SweepPoint};
use super::{OutputDir, csv_number, format_number, write_figure};
use crate::scalability::{KNEE_FACTOR, UslFit, knee, usl_fit};
use crate::stats::MetricSummary;
use crate::sweep::{Axis, label};

/// Headline metrics of a sweep: (metric, title, axis description, scale to the axis unit).
pub const SWEEP_PLOTS: [(&str, &str, &str, f64); 8] = [
    ("latency_p99_s", "p99 latency", "p99 latency (ms)", 1e3),
    ("availability", "Availability", "availability (%)", 100.0),
    (
        "downtime_minutes_per_year",
        "Downtime",
        "downtime (minutes per year)",
        1.0,
    ),
    (
        "throughput_rps",
        "Throughput",
        "throughput (requests/s)",
        1.0,
    ),
    (
        "cost_per_year",
        "Cost",
        "cost per year (currency of cost_per_hour)",
        1.0,
    ),
    (
        "data_loss_events_per_year",
        "Data loss",
        "data-loss events per year",
        1.0,
    ),
    ("rpo_mean_s", "RPO", "mean RPO (s)", 1.0),
    ("rto_mean_s", "RTO", "mean RTO (s)", 1.0),
];

/// A finished sweep.
pub struct SweepResult<'a> {
    pub scenario: &'a str,
    pub description: Option<&'a str>,
    pub seed: u64,
    pub trials: u64,
    pub axes: &'a [Axis],
    /// Each point's value indices (one per axis) and metric summaries, in grid order.
    pub points: &'a [(Vec<usize>, BTreeMap<String, MetricSummary>)],
}

#[derive(Serialize)]
struct SweepJson<'a> {
    scenario: &'a str,
    nines_version: &'a str,
    seed: u64,
    trials: u64,
    axes: Vec<AxisJson<'a>>,
    points: Vec<PointJson<'a>>,
    /// Knee and USL fit (absent when the first swept key is not numeric).
    #[serde(skip_serializing_if = "Option::is_none")]
    scalability: Option<Scalability>,
}

#[derive(Serialize)]
struct AxisJson<'a> {
    key: &'a str,
    values: Vec<String>,
}

#[derive(Serialize)]
struct PointJson<'a> {
    values: BTreeMap<&'a str, String>,
    metrics: &'a BTreeMap<String, MetricSummary>,
}

impl SweepResult<'_> {
    fn values(&self, point: &[usize]) -> Vec<String> {
        self.axes
            .iter()
            .zip(point)
            .map(|(a, &i)| label(&a.values[i]))
            .collect()
    }

    /// Indices of the axes with more than one value.
    fn varying(&self) -> Vec<usize> {
        (0..self.axes.len())
            .filter(|&a| self.axes[a].values.len() > 1)
            .collect()
    }
}

/// Writes every file of the sweep into `out`.
pub fn write_sweep_files(out: &mut OutputDir, sweep: &SweepResult<'_>) -> anyhow::Result<()> {
    out.write("sweep.csv", &sweep_csv(sweep)?)?;
    let doc = SweepJson {
        scenario: sweep.scenario,
        nines_version: env!("CARGO_PKG_VERSION"),
        seed: sweep.seed,
        trials: sweep.trials,
        axes: sweep
            .axes
            .iter()
            .map(|a| AxisJson {
                key: &a.key,
                values: a.values.iter().map(|v| label(v)).collect(),
            })
            .collect(),
        points: sweep
            .points
            .iter()
            .map(|(p, metrics)| PointJson {
                values: sweep
                    .axes
                    .iter()
                    .map(|a| a.key.as_str())
                    .zip(sweep.values(p))
                    .collect(),
                metrics,
            })
            .collect(),
        scalability: scalability(sweep),
    };
    let mut json = serde_json::to_string_pretty(&doc)?;
    json.push('\n');
    out.write("sweep.json", json.as_bytes())?;
    let mut figures = Vec::new();
    for (metric, title, y_desc, scale) in SWEEP_PLOTS {
        if let Some(fig) = sweep_figure(sweep, metric, title, y_desc, scale) {
            let name = format!("sweep_{metric}");
            write_figure(out, &name, &fig)?;
            figures.push((title, name));
        }
    }
    out.write("report.md", sweep_report(sweep, &figures).as_bytes())?;
    Ok(())
}

/// `sweep.csv`: the axis keys, then metric, mean, ci95_low, ci95_high.
fn sweep_csv(sweep: &SweepResult<'_>) -> csv::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = sweep.axes.iter().map(|a| a.key.as_str()).collect();
    header.extend(["metric", "mean", "ci95_low", "ci95_high"]);
    w.write_record(&header)?;
    let cell = |v: Option<f64>| v.map(csv_number).unwrap_or_default();
    for (p, metrics) in sweep.points {
        for (name, s) in metrics {
            let mut row = sweep.values(p);
            row.extend([
                name.clone(),
                cell(s.mean),
                cell(s.ci95_low),
                cell(s.ci95_high),
            ]);
            w.write_record(&row)?;
        }
    }
    w.flush()?;
    Ok(w.into_inner().expect("a Vec never fails to flush"))
}

/// The points of `metric` (x, mean, CI low, CI high; scaled by `scale`) against the first
/// varying axis, one line per combination of the other varying axes: (line label,
/// points). `None` when nothing varies.
fn lines_of(
    sweep: &SweepResult<'_>,
    metric: &str,
    scale: f64,
) -> Option<Vec<(String, Vec<SweepPoint>)>> {
    let varying = sweep.varying();
    let &x_axis = varying.first()?;
    let numbers = numeric_values(&sweep.axes[x_axis]);
    let mut lines: BTreeMap<Vec<usize>, Vec<SweepPoint>> = BTreeMap::new();
    for (p, metrics) in sweep.points {
        let Some(s) = metrics.get(metric) else {
            continue;
        };
        let Some(mean) = s.mean else { continue };
        let x = match &numbers {
            Some(xs) => xs[p[x_axis]],
            None => p[x_axis] as f64,
        };
        let lo = s.ci95_low.unwrap_or(mean);
        let hi = s.ci95_high.unwrap_or(mean);
        let others: Vec<usize> = varying[1..].iter().map(|&a| p[a]).collect();
        lines
            .entry(others)
            .or_default()
            .push((x, mean * scale, lo * scale, hi * scale));
    }
    Some(
        lines
            .into_iter()
            .map(|(others, pts)| {
                let label = varying[1..]
                    .iter()
                    .zip(&others)
                    .map(|(&a, &i)| {
                        format!(
                            "{} = {}",
                            sweep.axes[a].key,
                            label(&sweep.axes[a].values[i])
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                (label, pts)
            })
            .collect(),
    )
}

/// The axis values as numbers, when every one is.
fn numeric_values(axis: &Axis) -> Option<Vec<f64>> {
    axis.values.iter().map(|v| v.parse().ok()).collect()
}

/// The figure of `metric` against the first varying axis; `None` when nothing varies or
/// the metric is the same everywhere.
fn sweep_figure(
    sweep: &SweepResult<'_>,
    metric: &str,
    title: &str,
    y_desc: &str,
    scale: f64,
) -> Option<SweepFigure> {
    let lines = lines_of(sweep, metric, scale)?;
    // Nothing to show when the metric is the same, CI included, at every point (e.g.
    // availability 1 in a run without failures).
    let mut all = lines.iter().flat_map(|(_, p)| p);
    let first = *all.clone().next()?;
    if all.all(|p| (p.1, p.2, p.3) == (first.1, first.2, first.3)) {
        return None;
    }
    let axis = &sweep.axes[sweep.varying()[0]];
    Some(SweepFigure {
        title: format!("{title} vs {} (95% CI)", axis.key),
        x_desc: axis.key.clone(),
        y_desc: y_desc.to_string(),
        x_categories: match numeric_values(axis) {
            Some(_) => Vec::new(),
            None => axis.values.iter().map(|v| label(v)).collect(),
        },
        lines,
    })
}

/// Scalability of a sweep whose first varying key is numeric: per line, the knee of p99
/// latency, and (for a key ending in `nodes`) the USL fit of throughput.
#[derive(Debug, Serialize)]
pub struct Scalability {
    pub axis: String,
    pub knee_factor: f64,
    pub lines: Vec<ScalabilityLine>,
}

/// One line's knee and USL fit.
#[derive(Debug, Serialize)]
pub struct ScalabilityLine {
    /// The other swept keys' values (empty with one swept key).
    pub line: String,
    pub knee: Option<f64>,
    pub usl: Option<UslFit>,
}

/// `None` unless the first varying key is numeric.
pub fn scalability(sweep: &SweepResult<'_>) -> Option<Scalability> {
    let axis = &sweep.axes[*sweep.varying().first()?];
    numeric_values(axis)?;
    let p99 = lines_of(sweep, "latency_p99_s", 1.0).unwrap_or_default();
    let throughput = lines_of(sweep, "throughput_rps", 1.0).unwrap_or_default();
    let mut lines: BTreeMap<String, ScalabilityLine> = BTreeMap::new();
    for (label, pts) in p99 {
        let xy: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.1)).collect();
        lines
            .entry(label.clone())
            .or_insert(ScalabilityLine {
                line: label,
                knee: None,
                usl: None,
            })
            .knee = knee(&xy);
    }
    if axis.key.ends_with("nodes") {
        for (label, pts) in throughput {
            let xy: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.1)).collect();
            lines
                .entry(label.clone())
                .or_insert(ScalabilityLine {
                    line: label,
                    knee: None,
                    usl: None,
                })
                .usl = usl_fit(&xy);
        }
    }
    (!lines.is_empty()).then(|| Scalability {
        axis: axis.key.clone(),
        knee_factor: KNEE_FACTOR,
        lines: lines.into_values().collect(),
    })
}

/// `report.md` of a sweep: the question, the assumptions, one table row per point with
/// the headline metrics and their CIs, and the figures.
pub fn sweep_report(sweep: &SweepResult<'_>, figures: &[(&str, String)]) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Sweep: {}\n", sweep.scenario);
    if let Some(d) = sweep.description {
        let _ = writeln!(md, "{d}\n");
    }
    let _ = writeln!(md, "## Assumptions\n");
    let _ = writeln!(
        md,
        "- {} trials per point, seed {} at every point (common random numbers: every point sees the same arrivals and failures).",
        sweep.trials, sweep.seed
    );
    for a in sweep.axes {
        let values: Vec<String> = a.values.iter().map(|v| label(v)).collect();
        let _ = writeln!(md, "- `{}` in {}", a.key, values.join(", "));
    }
    let _ = writeln!(md, "\n## Results (mean [95% CI])\n");
    let metrics: Vec<&str> = SWEEP_PLOTS
        .iter()
        .map(|m| m.0)
        .filter(|m| {
            sweep
                .points
                .iter()
                .any(|(_, s)| s.get(*m).is_some_and(|s| s.mean.is_some()))
        })
        .collect();
    let mut header: Vec<String> = sweep.axes.iter().map(|a| format!("`{}`", a.key)).collect();
    header.extend(metrics.iter().map(|m| format!("`{m}`")));
    let _ = writeln!(md, "| {} |", header.join(" | "));
    let _ = writeln!(md, "|{}", "---|".repeat(header.len()));
    for (p, summary) in sweep.points {
        let mut row = sweep.values(p);
        row.extend(metrics.iter().map(|m| cell(summary.get(*m))));
        let _ = writeln!(md, "| {} |", row.join(" | "));
    }
    if let Some(sc) = scalability(sweep) {
        let _ = writeln!(md, "\n## Scalability along `{}`\n", sc.axis);
        let _ = writeln!(
            md,
            "Knee: the smallest swept value at which p99 latency exceeds {} times its value at the smallest one. \
             USL: C(N) = N / (1 + σ(N−1) + κN(N−1)) fitted to throughput normalised by the smallest point (sweeps over a `nodes` key only).\n",
            format_number(sc.knee_factor)
        );
        let _ = writeln!(
            md,
            "| line | knee | USL σ | USL κ | R² |\n|---|---|---|---|---|"
        );
        for l in &sc.lines {
            let (sigma, kappa, r2) = match l.usl {
                Some(f) => (
                    format_number(f.sigma),
                    format_number(f.kappa),
                    format_number(f.r_squared),
                ),
                None => ("-".into(), "-".into(), "-".into()),
            };
            let line = if l.line.is_empty() {
                "all"
            } else {
                l.line.as_str()
            };
            let knee = l.knee.map_or("none".into(), format_number);
            let _ = writeln!(md, "| {line} | {knee} | {sigma} | {kappa} | {r2} |");
        }
    }
    if !figures.is_empty() {
        let _ = writeln!(md, "\n## Figures\n");
        for (title, name) in figures {
            let _ = writeln!(md, "![{title}]({name}.png)\n");
        }
    }
    md
}

/// `mean [low, high]`, or `-` when undefined.
pub fn cell(s: Option<&MetricSummary>) -> String {
    match s.and_then(|s| s.mean.map(|m| (m, s.ci95_low, s.ci95_high))) {
        Some((m, Some(lo), Some(hi))) => format!(
            "{} [{}, {}]",
            format_number(m),
            format_number(lo),
            format_number(hi)
        ),
        Some((m, _, _)) => format_number(m),
        None => "-".into(),
    }
}
