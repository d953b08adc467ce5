//! `trials.csv`: one row per trial, one column per metric (its per-trial value; empty
//! where undefined in that trial).

use std::io::Write;

use super::csv_number;

use crate::metrics::TrialResult;

/// Writes every trial in order; columns are the metric names in sorted order.
pub fn write_trials_csv<W: Write>(out: W, trials: &[TrialResult]) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let names: Vec<&String> = trials
        .first()
        .map(|t| t.metrics.keys().collect())
        .unwrap_or_default();
    let mut header = vec!["trial".to_string()];
    header.extend(names.iter().map(|n| n.to_string()));
    w.write_record(&header)?;
    for t in trials {
        let mut row = vec![t.trial.to_string()];
        row.extend(names.iter().map(|n| {
            t.metrics
                .get(*n)
                .and_then(|o| o.value())
                .map(csv_number)
                .unwrap_or_default()
        }));
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}
