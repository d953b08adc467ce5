//! `outage_durations.png/.svg`: a histogram of how long the outages of every trial lasted
//! (all services), so a reader sees whether downtime comes from many blips or a few long
//! outages. Durations are heavy-tailed, so both axes are logarithmic: bins are equally
//! wide in log(duration), [`BINS_PER_DECADE`] to a factor of ten.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, Figure, color, text, time_unit};
use crate::metrics::TrialResult;
use crate::report::format_number;

/// Bins per factor of ten of duration.
pub const BINS_PER_DECADE: f64 = 5.0;

/// The outage-duration histogram.
pub struct OutageDurations {
    /// Name of the duration unit and seconds per unit.
    unit: (&'static str, f64),
    /// (bin start, bin end, count), in the unit, for every non-empty bin.
    bins: Vec<(f64, f64, u64)>,
    total: u64,
    mean_s: f64,
}

impl OutageDurations {
    /// The histogram of every outage's duration; `None` when there was none.
    pub fn from_trials(trials: &[TrialResult]) -> Option<Self> {
        let durations: Vec<f64> = trials
            .iter()
            .flat_map(|t| t.outages.iter().map(|o| (o.end - o.start).as_secs_f64()))
            .filter(|d| *d > 0.0)
            .collect();
        if durations.is_empty() {
            return None;
        }
        let max_s = durations.iter().copied().fold(0.0, f64::max);
        let unit = time_unit(max_s);
        let mut counts = std::collections::BTreeMap::<i64, u64>::new();
        for d in &durations {
            let k = ((d / unit.1).log10() * BINS_PER_DECADE).floor() as i64;
            *counts.entry(k).or_default() += 1;
        }
        let edge = |k: i64| 10f64.powf(k as f64 / BINS_PER_DECADE);
        Some(OutageDurations {
            unit,
            bins: counts
                .into_iter()
                .map(|(k, c)| (edge(k), edge(k + 1), c))
                .collect(),
            total: durations.len() as u64,
            mean_s: durations.iter().sum::<f64>() / durations.len() as f64,
        })
    }
}

impl Figure for OutageDurations {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (unit, per) = self.unit;
        let x_lo = self.bins.first().map_or(0.1, |b| b.0) / 1.5;
        let x_hi = self.bins.last().map_or(1.0, |b| b.1) * 1.5;
        let y_max = self.bins.iter().map(|b| b.2).max().unwrap_or(1) as f64 * 2.0;
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "Outage durations ({} outages over all trials, mean {} {unit})",
                    self.total,
                    format_number(self.mean_s / per)
                ),
                text(22),
            )
            .margin(16)
            .x_label_area_size(52)
            .y_label_area_size(64)
            .build_cartesian_2d((x_lo..x_hi).log_scale(), (0.7..y_max.max(2.0)).log_scale())?;
        chart
            .configure_mesh()
            .x_desc(format!("outage duration ({unit}, log scale)"))
            .y_desc("outages (count, log scale)")
            .x_label_formatter(&|v| format_number(*v))
            .y_label_formatter(&|v| format_number(*v))
            .label_style(text(15))
            .axis_desc_style(text(17))
            .draw()?;
        chart.draw_series(self.bins.iter().map(|&(x0, x1, c)| {
            let mut bar = Rectangle::new([(x0, 0.7), (x1, c as f64)], color(0).mix(0.8).filled());
            bar.set_margin(0, 0, 1, 1);
            bar
        }))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::OutageRecord;
    use crate::time::SimTime;

    #[test]
    fn log_bins_count_every_outage() {
        // Durations 1 s, 1.2 s, 10 s, 100 s: with 5 bins per decade, 1 and 1.2 share the
        // bin [1, 1.585), 10 and 100 s sit in bins of their own.
        let outage = |s: u64, ms: u64| OutageRecord {
            service: 0,
            start: SimTime::from_secs(s),
            end: SimTime::from_secs(s) + SimTime(ms * 1_000_000),
            cause: 0,
        };
        let t = TrialResult {
            outages: vec![
                outage(0, 1_000),
                outage(5, 1_200),
                outage(10, 10_000),
                outage(50, 100_000),
            ],
            ..Default::default()
        };
        let fig = OutageDurations::from_trials(&[t]).unwrap();
        assert_eq!(fig.unit.0, "s");
        let counts: Vec<u64> = fig.bins.iter().map(|b| b.2).collect();
        assert_eq!(counts, vec![2, 1, 1]);
        assert!((fig.bins[0].0 - 1.0).abs() < 1e-9);
        assert_eq!(fig.total, 4);
    }
}
