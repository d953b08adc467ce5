//! Writers of run results: one format per file. Each writer is a plain function of the
//! outcome; [`OutputDir`] makes the set appear atomically.

mod outages_csv;
mod output_dir;
mod plan_files;
pub mod plot;
mod report_md;
mod run_files;
mod summary_csv;
mod summary_json;
mod sweep_files;
mod table;
mod timeseries_csv;
mod trials_csv;

pub use outages_csv::write_outages_csv;
pub use output_dir::{MARKER, OutputDir, OutputError};
pub use plan_files::{PlanResult, targets_text, write_plan_files};
pub use report_md::{SummaryFile, run_report};
pub use run_files::{RunResult, write_figure, write_run_files, write_run_plots};
pub use summary_csv::write_summary_csv;
pub use summary_json::{RunContext, ServiceContext, SummaryJson, summary_json};
pub use sweep_files::{SWEEP_PLOTS, SweepResult, cell, write_sweep_files};
pub use table::render_table;
pub use timeseries_csv::write_timeseries_csv;
pub use trials_csv::write_trials_csv;

/// Formats a number for tables and CSV: up to 6 significant digits, no exponent for
/// everyday magnitudes.
pub fn format_number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor() as i32;
    if (-4..9).contains(&magnitude) {
        let decimals = (5 - magnitude).max(0) as usize;
        let s = format!("{v:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    } else {
        format!("{v:.5e}")
    }
}

/// Formats a number for a CSV cell: exactly (it reads back to the same f64), in plain
/// decimals for everyday magnitudes and with an exponent below 1e-5 or from 1e16 on, so a
/// tiny probability is `7.045193137749382e-300`, not 300 characters of zeros.
pub fn csv_number(v: f64) -> String {
    let magnitude = v.abs();
    if v == 0.0 || !v.is_finite() || (1e-5..1e16).contains(&magnitude) {
        v.to_string()
    } else {
        format!("{v:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::{csv_number, format_number};

    #[test]
    fn csv_numbers_read_back_exactly_and_stay_short() {
        for v in [
            0.0,
            1.0,
            0.1,
            123.456,
            1e-5,
            9.99e-6,
            7.045193137749382e-300,
            2.5e16,
            -3e-7,
        ] {
            let s = csv_number(v);
            assert_eq!(s.parse::<f64>().unwrap(), v, "{s}");
            assert!(s.len() <= 24, "{s}");
        }
        assert_eq!(csv_number(1.0), "1");
        assert_eq!(csv_number(0.25), "0.25");
        assert_eq!(csv_number(7.5e-300), "7.5e-300");
    }

    #[test]
    fn six_significant_digits() {
        assert_eq!(format_number(1.99663251), "1.99663");
        assert_eq!(format_number(0.000123456789), "0.000123457");
        assert_eq!(format_number(400.0), "400");
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(1.5e-7), "1.50000e-7");
    }
}
