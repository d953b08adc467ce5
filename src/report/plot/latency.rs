//! `latency.png/.svg`: the cumulative distribution of request latency, end to end and per
//! service, read from the histograms merged over all trials; the legend gives each
//! curve's p50 and p99. The latency axis is logarithmic, so a long tail stays visible.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, Figure, color, text};
use crate::metrics::LatencyHistogram;
use crate::report::format_number;

/// One curve: its label and (latency in ms, share of requests at or below it).
pub struct Curve {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    /// The 0.1th percentile (ms): the left end of the axis.
    pub low_ms: f64,
}

/// The latency CDF figure.
pub struct LatencyCdf {
    pub curves: Vec<Curve>,
}

impl LatencyCdf {
    /// The curves of the merged histograms named `latency` (end to end) and
    /// `services.<name>.latency`; `None` when no request was recorded.
    pub fn from_histograms(histograms: &BTreeMap<String, LatencyHistogram>) -> Option<Self> {
        let mut named: Vec<(String, &LatencyHistogram)> = Vec::new();
        if let Some(h) = histograms.get("latency") {
            named.push(("end to end".into(), h));
        }
        for (name, h) in histograms {
            if let Some(service) = name
                .strip_prefix("services.")
                .and_then(|n| n.strip_suffix(".latency"))
            {
                named.push((service.to_string(), h));
            }
        }
        let curves: Vec<Curve> = named
            .into_iter()
            .filter(|(_, h)| !h.is_empty())
            .map(|(label, h)| curve(label, h))
            .collect();
        (!curves.is_empty()).then_some(LatencyCdf { curves })
    }
}

fn curve(label: String, h: &LatencyHistogram) -> Curve {
    let total = h.len() as f64;
    let mut seen = 0u64;
    let buckets = h.buckets();
    let last = buckets.len().saturating_sub(1);
    // One point per 1% step of latency at most: the curve looks the same and the SVG
    // stays small (an HDR histogram has thousands of buckets).
    let mut points: Vec<(f64, f64)> = Vec::new();
    for (i, (ns, count)) in buckets.into_iter().enumerate() {
        seen += count;
        let ms = ns as f64 / 1e6;
        if i == last || points.last().is_none_or(|p| ms >= p.0 * 1.01) {
            points.push((ms, seen as f64 / total));
        }
    }
    let low = h.quantile_s(0.001).unwrap_or(0.0) * 1e3;
    let ms = |q: f64| h.quantile_s(q).map_or("-".into(), |s| sig3(s * 1e3));
    Curve {
        label: format!("{label}: p50 {} ms, p99 {} ms", ms(0.5), ms(0.99)),
        points,
        low_ms: low,
    }
}

/// Three significant digits.
fn sig3(v: f64) -> String {
    if v <= 0.0 || !v.is_finite() {
        return format_number(v);
    }
    let decimals = (2 - v.log10().floor() as i32).max(0) as usize;
    format!("{v:.decimals$}")
}

impl Figure for LatencyCdf {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        // From the lowest 0.1th percentile (so a few near-zero records do not stretch the
        // axis over decades of nothing) to the largest record.
        let lo = self
            .curves
            .iter()
            .map(|c| c.low_ms)
            .fold(f64::INFINITY, f64::min)
            .max(1e-6);
        let hi = self
            .curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.0))
            .fold(0.0, f64::max)
            .max(lo * 10.0);
        // At most five decades: a pass-through service (latency ~0) must not squeeze the
        // curves that matter into a corner.
        let lo = lo.max(hi / 1e5);
        let mut chart = ChartBuilder::on(root)
            .caption("Request latency (all trials)", text(24))
            .margin(16)
            .x_label_area_size(52)
            .y_label_area_size(64)
            .build_cartesian_2d((lo * 0.9..hi * 1.1).log_scale(), 0.0..1.0)?;
        chart
            .configure_mesh()
            .x_desc("latency (ms, log scale)")
            .y_desc("share of requests at or below")
            .x_label_formatter(&|v| sig3(*v))
            .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
            .label_style(text(15))
            .axis_desc_style(text(17))
            .draw()?;
        for (i, c) in self.curves.iter().enumerate() {
            let style = ShapeStyle::from(color(i)).stroke_width(if i == 0 { 3 } else { 2 });
            chart
                .draw_series(LineSeries::new(
                    c.points.iter().copied().filter(|p| p.0 >= lo * 0.9),
                    style,
                ))?
                .label(&c.label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], color(i).stroke_width(3))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font(text(15))
            .draw()?;
        Ok(())
    }
}
