//! `plan_frontier.png/.svg`: every design `nines plan` evaluated, cost per year against the
//! SLO metric (mean with 95% CI error bars), those meeting the SLO in green and the others
//! in red, the chosen design circled, the target as a dashed line.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, Figure, padded_range, text};
use crate::report::format_number;

/// One evaluated design: cost, metric mean, CI low, CI high, whether it meets the SLO.
pub type FrontierPoint = (f64, f64, f64, f64, bool);

/// The cost-vs-metric figure of a plan.
pub struct FrontierFigure {
    pub y_desc: String,
    pub points: Vec<FrontierPoint>,
    /// The target in the y unit.
    pub target: f64,
    /// The legend text of the target line (with its unit).
    pub target_label: String,
    /// Index into `points` of the chosen design.
    pub best: Option<usize>,
}

const GREEN: RGBColor = RGBColor(44, 160, 44);
const RED: RGBColor = RGBColor(214, 39, 40);

impl Figure for FrontierFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let xs = self.points.iter().map(|p| p.0);
        let x_range = padded_range(
            xs.clone().fold(f64::INFINITY, f64::min),
            xs.fold(f64::NEG_INFINITY, f64::max),
        );
        let lo = self.points.iter().map(|p| p.2).fold(self.target, f64::min);
        let hi = self.points.iter().map(|p| p.3).fold(self.target, f64::max);
        let mut chart = ChartBuilder::on(root)
            .caption("Designs evaluated: cost vs SLO metric (95% CI)", text(22))
            .margin(16)
            .x_label_area_size(52)
            .y_label_area_size(90)
            .build_cartesian_2d(x_range.clone(), padded_range(lo, hi))?;
        chart
            .configure_mesh()
            .x_desc("cost per year (currency of cost_per_hour)")
            .y_desc(&self.y_desc)
            .x_label_formatter(&|v| format_number(*v))
            .y_label_formatter(&|v| format_number(*v))
            .label_style(text(15))
            .axis_desc_style(text(17))
            .draw()?;
        chart
            .draw_series(DashedLineSeries::new(
                [(x_range.start, self.target), (x_range.end, self.target)],
                8,
                6,
                BLACK.stroke_width(2),
            ))?
            .label(&self.target_label)
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2)));
        for (meets, color, label) in [(true, GREEN, "meets the SLO"), (false, RED, "misses")] {
            let pts: Vec<&FrontierPoint> = self.points.iter().filter(|p| p.4 == meets).collect();
            if pts.is_empty() {
                continue;
            }
            chart
                .draw_series(pts.iter().map(|p| {
                    ErrorBar::new_vertical(p.0, p.2, p.1, p.3, color.stroke_width(2), 10)
                }))?;
            chart
                .draw_series(
                    pts.iter()
                        .map(|p| Circle::new((p.0, p.1), 5, color.filled())),
                )?
                .label(label)
                .legend(move |(x, y)| Circle::new((x + 10, y), 5, color.filled()));
        }
        if let Some(b) = self.best.and_then(|b| self.points.get(b)) {
            chart
                .draw_series([Circle::new((b.0, b.1), 12, BLACK.stroke_width(2))])?
                .label("chosen (cheapest meeting the SLO)")
                .legend(|(x, y)| Circle::new((x + 10, y), 7, BLACK.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.4))
            .label_font(text(15))
            .draw()?;
        Ok(())
    }
}
