//! `summary.csv`: one row per metric, the columns of [`MetricSummary`].

use std::collections::BTreeMap;
use std::io::Write;

use super::csv_number;

use crate::stats::MetricSummary;

/// Writes the summary; undefined values are empty cells.
pub fn write_summary_csv<W: Write>(
    out: W,
    metrics: &BTreeMap<String, MetricSummary>,
) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "metric",
        "mean",
        "std",
        "ci95_low",
        "ci95_high",
        "min",
        "max",
        "trials",
        "pooled",
    ])?;
    let cell = |v: Option<f64>| v.map(csv_number).unwrap_or_default();
    for (name, s) in metrics {
        w.write_record([
            name.clone(),
            cell(s.mean),
            cell(s.std),
            cell(s.ci95_low),
            cell(s.ci95_high),
            cell(s.min),
            cell(s.max),
            s.trials.to_string(),
            s.pooled.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}
