//! `outages.csv`: one row per service outage of every trial — trial, service, start_s,
//! end_s, duration_s, cause (the failure mode or domain outage that started it; the
//! callers it took down carry the same root cause). An outage still in progress at the
//! horizon ends there.

use std::io::Write;

use crate::metrics::TrialResult;

/// Writes the outages of `trials` (in trial order, each trial's in order of their end).
pub fn write_outages_csv<W: Write>(
    out: W,
    services: &[String],
    causes: &[String],
    trials: &[TrialResult],
) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "trial",
        "service",
        "start_s",
        "end_s",
        "duration_s",
        "cause",
    ])?;
    for t in trials {
        for o in &t.outages {
            w.write_record([
                t.trial.to_string(),
                services[o.service as usize].clone(),
                o.start.as_secs_f64().to_string(),
                o.end.as_secs_f64().to_string(),
                (o.end - o.start).as_secs_f64().to_string(),
                causes[o.cause as usize].clone(),
            ])?;
        }
    }
    w.flush()?;
    Ok(())
}
