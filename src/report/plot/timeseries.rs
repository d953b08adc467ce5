//! `timeseries.png/.svg`: the time series averaged over trials, in three panels sharing
//! the time axis: arrival rate and throughput; utilization of each service; nodes in
//! rotation of each service (only the last in a run without requests, where the others are
//! all zero). Each service keeps one colour in both service panels; each
//! legend stands in a column beside its panel, so it never hides a line.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, Figure, color, padded_range, text, time_unit};
use crate::report::format_number;

/// The time-series figure, from the columns of `model::series_columns` and row-major rows.
pub struct TimeSeries {
    time_s: Vec<f64>,
    /// (label, values) of the system panel.
    system: Vec<(String, Vec<f64>)>,
    utilization: Vec<(String, Vec<f64>)>,
    nodes: Vec<(String, Vec<f64>)>,
}

impl TimeSeries {
    /// `None` when there is no row.
    pub fn new(columns: &[String], rows: &[f64]) -> Option<Self> {
        let width = columns.len();
        if width == 0 || rows.len() < width {
            return None;
        }
        let column = |i: usize| rows.chunks(width).map(|r| r[i]).collect::<Vec<f64>>();
        let find = |name: &str| columns.iter().position(|c| c == name);
        let mut system = Vec::new();
        let mut utilization = Vec::new();
        let mut nodes = Vec::new();
        for (label, name) in [
            ("arrival rate (instant)", "arrival_rate"),
            ("throughput (interval)", "throughput_rps"),
        ] {
            if let Some(i) = find(name) {
                system.push((label.to_string(), column(i)));
            }
        }
        for (i, c) in columns.iter().enumerate() {
            if let Some(service) = c.strip_suffix(".utilization") {
                utilization.push((service.to_string(), column(i)));
            } else if let Some(service) = c.strip_suffix(".nodes_in_rotation") {
                nodes.push((service.to_string(), column(i)));
                // An autoscaler's target, when it ever differs from what serves.
                if let Some(d) = find(&format!("{service}.nodes_desired")) {
                    let (desired, serving) = (column(d), column(i));
                    if desired.iter().zip(&serving).any(|(a, b)| a != b) {
                        nodes.push((format!("{service} desired"), desired));
                    }
                }
            }
        }
        Some(TimeSeries {
            time_s: column(find("time_s")?),
            system,
            utilization,
            nodes,
        })
    }
}

/// Width of the legend column beside each panel.
const LEGEND_WIDTH_PX: u32 = 190;
/// Longest legend label shown in full.
const MAX_LABEL: usize = 22;

fn short(name: &str) -> String {
    if name.chars().count() <= MAX_LABEL {
        name.to_string()
    } else {
        let head: String = name.chars().take(MAX_LABEL - 1).collect();
        format!("{head}…")
    }
}

struct Panel<'a> {
    title: &'a str,
    y_desc: &'a str,
    series: &'a [(String, Vec<f64>)],
    /// Fixed y range (utilization is 0..1), else fitted to the data.
    y_range: Option<std::ops::Range<f64>>,
    /// Whether the y values are shares shown as percentages.
    percent: bool,
}

impl Figure for TimeSeries {
    fn size(&self) -> (u32, u32) {
        (1000, 60 + 280 * self.panels() as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (title, body) = root.split_vertically(44);
        title.titled("Time series (mean over trials; warm-up included)", text(24))?;
        let panels = body.split_evenly((self.panels(), 1));
        let max_t = self.time_s.last().copied().unwrap_or(1.0);
        let unit = time_unit(max_t);
        let specs = [
            Panel {
                title: "Load",
                y_desc: "requests per second",
                series: &self.system,
                y_range: None,
                percent: false,
            },
            Panel {
                title: "Utilization by service",
                y_desc: "busy slots (%)",
                series: &self.utilization,
                y_range: Some(0.0..1.05),
                percent: true,
            },
            Panel {
                title: "Nodes in rotation by service",
                y_desc: "nodes",
                series: &self.nodes,
                y_range: None,
                percent: false,
            },
        ];
        // Without requests (an availability-only run), load and utilization are all zero:
        // only the nodes panel is drawn.
        let shown: Vec<&Panel<'_>> = specs
            .iter()
            .filter(|p| p.title.starts_with("Nodes") || self.has_requests())
            .collect();
        let last = shown.len() - 1;
        for (k, (area, panel)) in panels.iter().zip(shown).enumerate() {
            self.draw_panel(area, panel, unit, k == last)?;
        }
        Ok(())
    }
}

impl TimeSeries {
    /// Whether any request arrived (any non-zero load).
    fn has_requests(&self) -> bool {
        self.system.iter().any(|(_, v)| v.iter().any(|x| *x != 0.0))
    }

    /// Panels drawn: load, utilization and nodes, or nodes alone without requests.
    fn panels(&self) -> usize {
        if self.has_requests() { 3 } else { 1 }
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: &Panel<'_>,
        (unit, per): (&'static str, f64),
        last: bool,
    ) -> DrawResult<DB> {
        let t: Vec<f64> = self.time_s.iter().map(|s| s / per).collect();
        let t_max = t.last().copied().unwrap_or(1.0).max(1e-9);
        let values = panel.series.iter().flat_map(|(_, v)| v.iter().copied());
        let lo = values.clone().fold(f64::INFINITY, f64::min).min(0.0);
        let hi = values.fold(f64::NEG_INFINITY, f64::max);
        let y_range = panel.y_range.clone().unwrap_or_else(|| {
            let top = padded_range(lo, hi).end;
            lo..top
        });
        let (w, _) = area.dim_in_pixel();
        let (area, legend) = area.split_horizontally(w.saturating_sub(LEGEND_WIDTH_PX));
        let mut chart = ChartBuilder::on(&area)
            .caption(panel.title, text(18))
            .margin_left(16)
            .margin_right(8)
            .x_label_area_size(if last { 48 } else { 28 })
            .y_label_area_size(72)
            .build_cartesian_2d(0.0..t_max, y_range)?;
        let mut mesh = chart.configure_mesh();
        mesh.y_desc(panel.y_desc)
            .x_label_formatter(&|v| format_number(*v))
            .label_style(text(14))
            .axis_desc_style(text(15))
            .y_labels(6);
        if panel.percent {
            mesh.y_label_formatter(&|v| format!("{:.0}", v * 100.0));
        } else {
            mesh.y_label_formatter(&|v| format_number(*v));
        }
        if last {
            mesh.x_desc(format!("simulated time ({unit})"));
        }
        mesh.draw()?;
        for (i, (_, values)) in panel.series.iter().enumerate() {
            chart.draw_series(LineSeries::new(
                t.iter().copied().zip(values.iter().copied()),
                color(i).stroke_width(2),
            ))?;
        }
        // The legend beside the plot, never over a line, however many services there are.
        for (i, (label, _)) in panel.series.iter().enumerate() {
            let y = 36 + 18 * i as i32;
            legend.draw(&PathElement::new(
                vec![(8, y), (30, y)],
                color(i).stroke_width(3),
            ))?;
            legend.draw(&Text::new(short(label), (36, y - 8), text(13)))?;
        }
        Ok(())
    }
}
