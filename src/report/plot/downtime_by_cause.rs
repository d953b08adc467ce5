//! `downtime_by_cause.png/.svg`: the entry service's downtime per year by root cause, one
//! horizontal bar per cause (largest on top), with the 95% CI across trials as error bars.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, Figure, color, text};
use crate::metrics::TrialResult;
use crate::report::format_number;
use crate::stats::mean_std_half;

const SECONDS_PER_YEAR: f64 = 365.0 * 86_400.0;
/// Longest cause name shown in full.
const MAX_LABEL: usize = 36;

/// One bar: the cause and its minutes of downtime per year (mean and CI bounds).
pub struct CauseBar {
    pub cause: String,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

/// The downtime-by-cause bar chart.
pub struct DowntimeByCause {
    pub bars: Vec<CauseBar>,
}

impl DowntimeByCause {
    /// Bars from each trial's `downtime_by_cause_s` over `measured_s` of measured time;
    /// `None` when no cause caused downtime.
    pub fn from_trials(causes: &[String], trials: &[TrialResult], measured_s: f64) -> Option<Self> {
        let years = measured_s / SECONDS_PER_YEAR;
        let mut bars: Vec<CauseBar> = causes
            .iter()
            .enumerate()
            .filter_map(|(c, cause)| {
                let per_trial: Vec<f64> = trials
                    .iter()
                    .map(|t| t.downtime_by_cause_s.get(c).copied().unwrap_or(0.0) / 60.0 / years)
                    .collect();
                if per_trial.iter().all(|v| *v <= 0.0) {
                    return None;
                }
                let (mean, _, half) = mean_std_half(&per_trial);
                let half = half.unwrap_or(0.0);
                Some(CauseBar {
                    cause: cause.clone(),
                    mean,
                    low: (mean - half).max(0.0),
                    high: mean + half,
                })
            })
            .collect();
        bars.sort_by(|a, b| {
            b.mean
                .total_cmp(&a.mean)
                .then_with(|| a.cause.cmp(&b.cause))
        });
        (!bars.is_empty()).then_some(DowntimeByCause { bars })
    }
}

fn short(name: &str) -> String {
    if name.chars().count() <= MAX_LABEL {
        name.to_string()
    } else {
        let head: String = name.chars().take(MAX_LABEL - 1).collect();
        format!("{head}…")
    }
}

impl Figure for DowntimeByCause {
    fn size(&self) -> (u32, u32) {
        (960, (160 + 56 * self.bars.len() as u32).clamp(320, 1200))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let n = self.bars.len();
        let labels: Vec<String> = self.bars.iter().map(|b| short(&b.cause)).collect();
        let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(4) as u32;
        let x_max = self.bars.iter().map(|b| b.high).fold(0.0, f64::max) * 1.15;
        let mut chart = ChartBuilder::on(root)
            .caption("Downtime by cause (entry service, 95% CI)", text(22))
            .margin(16)
            .x_label_area_size(52)
            .y_label_area_size(20 + 9 * longest)
            .build_cartesian_2d(
                0.0..x_max.max(1e-9),
                // A segmented 0..k has k + 1 rows: one per bar.
                (0..n - 1).into_segmented(),
            )?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .x_desc("downtime (minutes per year)")
            .x_label_formatter(&|v| format_number(*v))
            .y_label_formatter(&|v| match v {
                // Largest on top: bar i sits at row n - 1 - i.
                SegmentValue::CenterOf(row) if *row < n => labels[n - 1 - row].clone(),
                _ => String::new(),
            })
            .label_style(text(15))
            .axis_desc_style(text(17))
            .draw()?;
        chart.draw_series(self.bars.iter().enumerate().map(|(i, b)| {
            let row = n - 1 - i;
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(row)),
                    (b.mean, SegmentValue::Exact(row + 1)),
                ],
                color(0).mix(0.75).filled(),
            );
            bar.set_margin(8, 8, 0, 0);
            bar
        }))?;
        chart.draw_series(self.bars.iter().enumerate().map(|(i, b)| {
            ErrorBar::new_horizontal(
                SegmentValue::CenterOf(n - 1 - i),
                b.low,
                b.mean,
                b.high,
                BLACK.stroke_width(2),
                12,
            )
        }))?;
        Ok(())
    }
}
