//! `timeseries.csv`: one row per sample time, the time series averaged over trials.

use std::io::Write;

use super::csv_number;

/// Writes `rows` (row-major, `columns.len()` values per row) under a header of `columns`.
pub fn write_timeseries_csv<W: Write>(out: W, columns: &[String], rows: &[f64]) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(columns)?;
    for row in rows.chunks(columns.len().max(1)) {
        // Undefined cells (no trial defined them) are left empty.
        w.write_record(row.iter().map(|v| {
            if v.is_finite() {
                csv_number(*v)
            } else {
                String::new()
            }
        }))?;
    }
    w.flush()?;
    Ok(())
}
