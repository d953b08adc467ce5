//! `sweep_<metric>.png/.svg`: one metric against the first swept key, with 95% CI error
//! bars, one line per value of the other swept keys. A key whose values are all numbers
//! gets a numeric axis; any other key gets one evenly spaced position per value.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, Figure, color, padded_range, text};
use crate::report::format_number;

/// One point of a line: x position, mean, CI low, CI high.
pub type SweepPoint = (f64, f64, f64, f64);

/// A metric against a swept key.
pub struct SweepFigure {
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    /// Labels of categorical x positions 0, 1, ...; empty for a numeric axis.
    pub x_categories: Vec<String>,
    /// (label, points) per line; the label is empty when there is one line.
    pub lines: Vec<(String, Vec<SweepPoint>)>,
}

impl Figure for SweepFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let points = self.lines.iter().flat_map(|(_, p)| p.iter());
        let x_lo = points.clone().map(|p| p.0).fold(f64::INFINITY, f64::min);
        let x_hi = points
            .clone()
            .map(|p| p.0)
            .fold(f64::NEG_INFINITY, f64::max);
        let y_lo = points.clone().map(|p| p.2).fold(f64::INFINITY, f64::min);
        let y_hi = points.map(|p| p.3).fold(f64::NEG_INFINITY, f64::max);
        let x_range = if self.x_categories.is_empty() {
            padded_range(x_lo, x_hi)
        } else {
            -0.5..(self.x_categories.len() as f64 - 0.5)
        };
        let legend_lines = self.lines.iter().filter(|(l, _)| !l.is_empty()).count();
        let mut y_range = padded_range(y_lo, y_hi);
        // Headroom for the legend, so it does not hide the highest points.
        y_range.end += (y_range.end - y_range.start) * 0.09 * legend_lines as f64;
        let integers = self.x_categories.is_empty()
            && self
                .lines
                .iter()
                .flat_map(|(_, p)| p)
                .all(|p| p.0.fract() == 0.0);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, text(22))
            .margin(16)
            .x_label_area_size(52)
            .y_label_area_size(84)
            .build_cartesian_2d(x_range, y_range)?;
        let categories = &self.x_categories;
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(&self.x_desc)
            .y_desc(&self.y_desc)
            .y_label_formatter(&|v| format_number(*v))
            .label_style(text(15))
            .axis_desc_style(text(17));
        let category_label = |v: &f64| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < categories.len() {
                categories[i as usize].clone()
            } else {
                String::new()
            }
        };
        let integer_label = |v: &f64| {
            if v.fract() == 0.0 {
                format_number(*v)
            } else {
                String::new()
            }
        };
        if integers {
            // Integer keys (nodes, replicas): no tick at a fractional value.
            mesh.x_label_formatter(&integer_label);
        } else if categories.is_empty() {
            mesh.x_label_formatter(&|v| format_number(*v));
        } else {
            mesh.x_labels(categories.len() * 2 + 1)
                .x_label_formatter(&category_label)
                .disable_x_mesh();
        }
        mesh.draw()?;
        for (i, (label, pts)) in self.lines.iter().enumerate() {
            let c = color(i);
            let series = chart.draw_series(LineSeries::new(
                pts.iter().map(|p| (p.0, p.1)),
                c.stroke_width(2),
            ))?;
            if !label.is_empty() {
                series.label(label).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(3))
                });
            }
            chart.draw_series(
                pts.iter()
                    .map(|p| ErrorBar::new_vertical(p.0, p.2, p.1, p.3, c.stroke_width(2), 10)),
            )?;
        }
        if self.lines.iter().any(|(l, _)| !l.is_empty()) {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .label_font(text(15))
                .draw()?;
        }
        Ok(())
    }
}
