//! Summaries across trials: mean, standard deviation, Student-t 95% confidence interval,
//! min and max of every metric.
//!
//! How a metric combines depends on its [`Observation`] kind: plain values average;
//! ratios pool (Σnum / Σden, so a trial with little traffic weighs little and a trial
//! where the ratio is undefined does not break the mean); quantiles are read from the
//! histogram merged over all trials. In every case the CI is mean ± t(0.975, n−1)·s/√n,
//! with s the standard deviation of the per-trial values over the n trials where the
//! metric is defined, cut at the values the metric can take ([`possible_range`]). Sums
//! run in trial order, so results never depend on thread count.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::metrics::{LatencyHistogram, Observation, TrialResult};

/// One metric across trials. Fields are `None` where undefined (no trial defines the
/// metric; a CI from fewer than two trials).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    pub mean: Option<f64>,
    pub std: Option<f64>,
    pub ci95_low: Option<f64>,
    pub ci95_high: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Trials in which the metric is defined.
    pub trials: usize,
    /// Whether `mean` is pooled (a ratio of sums, or a merged-histogram quantile) rather
    /// than the average of per-trial values.
    pub pooled: bool,
}

impl MetricSummary {
    /// Half-width of the 95% CI relative to |mean| (None when either is undefined or the
    /// mean is 0): t·s/√n, before the interval is cut at the metric's possible range, so a
    /// mean near an edge is not taken for a precise one.
    pub fn relative_half_width(&self) -> Option<f64> {
        let (half, m) = (self.half_width(t975(self.trials))?, self.mean?);
        (m != 0.0).then(|| half / m.abs())
    }

    /// t·s/√n for the Student-t quantile `t`, uncut (None with fewer than two trials).
    pub fn half_width(&self, t: f64) -> Option<f64> {
        Some(t * self.std? / (self.trials as f64).sqrt())
    }
}

/// t(0.975, n − 1): the two-sided 95% Student-t quantile for n samples (n >= 2).
pub fn t975(n: usize) -> f64 {
    StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .expect("n >= 2 gives positive dof")
        .inverse_cdf(0.975)
}

/// Mean, sample std and CI half-width of `xs` (in order); std and half-width need n >= 2.
pub fn mean_std_half(xs: &[f64]) -> (f64, Option<f64>, Option<f64>) {
    let n = xs.len();
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, None, None);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let std = var.sqrt();
    (mean, Some(std), Some(t975(n) * std / (n as f64).sqrt()))
}

/// Summarises every metric of `trials` (sorted by trial index); `histograms` are the
/// merged histograms of the same trials, for quantile metrics.
pub fn summarize(
    trials: &[TrialResult],
    histograms: &BTreeMap<String, LatencyHistogram>,
) -> BTreeMap<String, MetricSummary> {
    let Some(first) = trials.first() else {
        return BTreeMap::new();
    };
    first
        .metrics
        .iter()
        .map(|(name, kind)| {
            let observations: Vec<&Observation> =
                trials.iter().filter_map(|t| t.metrics.get(name)).collect();
            let range = possible_range(name);
            (
                name.clone(),
                summarize_one(kind, &observations, histograms, range),
            )
        })
        .collect()
}

/// The values a metric can take: shares and probabilities (`availability`, the `_ratio`s,
/// `utilization`, the `_probability`s, `slo_compliance`) lie in [0, 1]; every other
/// metric (durations, rates, counts, costs) is >= 0. A CI bound beyond is cut at the
/// edge: the mean cannot lie there, so the cut interval covers it exactly as often, and
/// a few trials of a rare event no longer read as a negative drop ratio.
pub fn possible_range(name: &str) -> (f64, f64) {
    let base = name.rsplit('.').next().unwrap_or(name);
    let share = base == "availability"
        || base == "utilization"
        || base == "slo_compliance"
        || base.ends_with("_ratio")
        || base.ends_with("_probability");
    (0.0, if share { 1.0 } else { f64::INFINITY })
}

fn summarize_one(
    kind: &Observation,
    observations: &[&Observation],
    histograms: &BTreeMap<String, LatencyHistogram>,
    (lowest, highest): (f64, f64),
) -> MetricSummary {
    let values: Vec<f64> = observations.iter().filter_map(|o| o.value()).collect();
    let (per_trial_mean, std, half) = if values.is_empty() {
        (f64::NAN, None, None)
    } else {
        mean_std_half(&values)
    };
    let (mean, pooled) = match kind {
        Observation::Value(_) => ((!values.is_empty()).then_some(per_trial_mean), false),
        Observation::Ratio { .. } => {
            let (mut num, mut den) = (0.0, 0.0);
            for o in observations {
                if let Observation::Ratio { num: n, den: d } = o {
                    num += n;
                    den += d;
                }
            }
            ((den > 0.0).then(|| num / den), true)
        }
        Observation::Quantile { histogram, q, .. } => (
            histograms.get(histogram).and_then(|h| h.quantile_s(*q)),
            true,
        ),
    };
    let ci = |sign: f64| Some((mean? + sign * half?).clamp(lowest, highest));
    let fold = |f: fn(f64, f64) -> f64| values.iter().copied().reduce(f);
    MetricSummary {
        mean,
        std,
        ci95_low: ci(-1.0),
        ci95_high: ci(1.0),
        min: fold(f64::min),
        max: fold(f64::max),
        trials: values.len(),
        pooled,
    }
}

/// −log10(1 − a): the number of nines of an availability (None for a = 1: infinitely many).
pub fn nines_of(a: f64) -> Option<f64> {
    (a < 1.0).then(|| -(1.0 - a).log10())
}

/// Adds `nines` (and `<prefix>nines`) for every `availability` metric: the transform of its
/// mean, CI bounds, min and max (monotone, so the bounds stay bounds). Undefined (null)
/// when no downtime was seen.
pub fn add_nines(summary: &mut BTreeMap<String, MetricSummary>) {
    let derived: Vec<(String, MetricSummary)> = summary
        .iter()
        .filter(|(name, _)| name.as_str() == "availability" || name.ends_with(".availability"))
        .map(|(name, a)| {
            let nines = transformed(a, |v| v.and_then(nines_of), false);
            (
                format!("{}nines", name.trim_end_matches("availability")),
                nines,
            )
        })
        .collect();
    summary.extend(derived);
}

/// `s` through `f` (its mean, CI bounds, min and max; no sd): `f` increasing keeps the
/// bounds in place, decreasing swaps them.
fn transformed(
    s: &MetricSummary,
    f: impl Fn(Option<f64>) -> Option<f64>,
    decreasing: bool,
) -> MetricSummary {
    let (low, high, min, max) = if decreasing {
        (s.ci95_high, s.ci95_low, s.max, s.min)
    } else {
        (s.ci95_low, s.ci95_high, s.min, s.max)
    };
    MetricSummary {
        mean: f(s.mean),
        std: None,
        ci95_low: f(low),
        ci95_high: f(high),
        min: f(min),
        max: f(max),
        trials: s.trials,
        pooled: false,
    }
}

/// Adds `durability` and `durability_nines` (and their `<prefix>` forms) for every
/// `data_loss_events_per_year` metric: durability = exp(−rate × 1 year), the probability of
/// no data loss in a year when losses come as a Poisson process at the measured rate;
/// the transform of the mean and CI bounds (decreasing, so the bounds swap). Its nines are
/// −log10(1 − durability), undefined (null) when no loss was seen.
pub fn add_durability(summary: &mut BTreeMap<String, MetricSummary>) {
    let derived: Vec<(String, MetricSummary)> = summary
        .iter()
        .filter(|(name, _)| name.ends_with("data_loss_events_per_year"))
        .flat_map(|(name, r)| {
            let prefix = name.trim_end_matches("data_loss_events_per_year");
            let durability = transformed(r, |v| v.map(|x| (-x).exp()), true);
            let nines = transformed(&durability, |v| v.and_then(nines_of), false);
            [
                (format!("{prefix}durability"), durability),
                (format!("{prefix}durability_nines"), nines),
            ]
        })
        .collect();
    summary.extend(derived);
}

/// One cause's part of the entry service's downtime.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CauseShare {
    pub cause: String,
    /// Mean downtime per year from this cause.
    pub minutes_per_year: f64,
    /// Share of all downtime.
    pub share: f64,
}

/// Downtime by cause over all trials (summed in trial order), largest first; causes that
/// never caused downtime are left out.
pub fn downtime_by_cause(
    causes: &[String],
    trials: &[TrialResult],
    measured_s: f64,
) -> Vec<CauseShare> {
    let mut total_s = vec![0.0; causes.len()];
    for t in trials {
        for (sum, s) in total_s.iter_mut().zip(&t.downtime_by_cause_s) {
            *sum += s;
        }
    }
    let all: f64 = total_s.iter().sum();
    let years = trials.len() as f64 * measured_s / (365.0 * 86_400.0);
    let mut shares: Vec<CauseShare> = causes
        .iter()
        .zip(total_s)
        .filter(|(_, s)| *s > 0.0)
        .map(|(cause, s)| CauseShare {
            cause: cause.clone(),
            minutes_per_year: s / 60.0 / years,
            share: s / all,
        })
        .collect();
    shares.sort_by(|a, b| {
        b.share
            .total_cmp(&a.share)
            .then_with(|| a.cause.cmp(&b.cause))
    });
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(i: u64, obs: Observation) -> TrialResult {
        let mut t = TrialResult {
            trial: i,
            ..Default::default()
        };
        t.metrics.insert("m".into(), obs);
        t
    }

    #[test]
    fn plain_values_get_a_student_t_interval() {
        // xs = 1, 2, 3, 4: mean 2.5, s = sqrt(5/3) = 1.29099, t(0.975, 3) = 3.18245,
        // half = 3.18245 x 1.29099 / 2 = 2.05426.
        let trials: Vec<_> = (1..=4)
            .map(|i| trial(i, Observation::Value(i as f64)))
            .collect();
        let s = &summarize(&trials, &BTreeMap::new())["m"];
        assert_eq!(s.mean, Some(2.5));
        assert!((s.std.unwrap() - 1.290_994).abs() < 1e-6);
        assert!(
            (s.ci95_high.unwrap() - (2.5 + 2.054_26)).abs() < 1e-4,
            "{s:?}"
        );
        assert_eq!(
            (s.min, s.max, s.trials, s.pooled),
            (Some(1.0), Some(4.0), 4, false)
        );
    }

    #[test]
    fn ratios_pool_and_skip_undefined_trials() {
        // 1/2, 3/4 and 0/0: pooled 4/6; per-trial values 0.5 and 0.75 only.
        let trials = vec![
            trial(0, Observation::Ratio { num: 1.0, den: 2.0 }),
            trial(1, Observation::Ratio { num: 3.0, den: 4.0 }),
            trial(2, Observation::Ratio { num: 0.0, den: 0.0 }),
        ];
        let s = &summarize(&trials, &BTreeMap::new())["m"];
        assert!((s.mean.unwrap() - 4.0 / 6.0).abs() < 1e-15);
        assert_eq!(
            (s.trials, s.min, s.max, s.pooled),
            (2, Some(0.5), Some(0.75), true)
        );
    }

    #[test]
    fn nines_transform_availability() {
        let mut m = BTreeMap::new();
        let a = MetricSummary {
            mean: Some(0.999),
            std: Some(1e-4),
            ci95_low: Some(0.99),
            ci95_high: Some(1.0),
            min: Some(0.99),
            max: Some(1.0),
            trials: 3,
            pooled: false,
        };
        m.insert("services.db.availability".to_string(), a);
        add_nines(&mut m);
        let n = &m["services.db.nines"];
        assert!((n.mean.unwrap() - 3.0).abs() < 1e-9);
        assert!((n.ci95_low.unwrap() - 2.0).abs() < 1e-9);
        assert_eq!(
            n.ci95_high, None,
            "availability 1 has no finite number of nines"
        );
    }

    #[test]
    fn an_interval_is_cut_at_the_values_the_metric_can_take() {
        // Two trials, 0 and 1/2: mean 1/4, half-width 12.706 x 0.354 / 1.414 = 3.18, so
        // the bare interval is [-2.9, 3.4]. A ratio lies in [0, 1]; a duration is >= 0.
        let trials: Vec<_> = [0.0, 0.5]
            .into_iter()
            .enumerate()
            .map(|(i, v)| trial(i as u64, Observation::Value(v)))
            .collect();
        let cut = |name: &str| {
            let mut t = trials.clone();
            for trial in &mut t {
                let m = trial.metrics.remove("m").unwrap();
                trial.metrics.insert(name.into(), m);
            }
            let s = &summarize(&t, &BTreeMap::new())[name];
            (s.mean, s.ci95_low, s.ci95_high)
        };
        assert_eq!(cut("dropped_ratio"), (Some(0.25), Some(0.0), Some(1.0)));
        assert_eq!(
            cut("services.db.availability"),
            (Some(0.25), Some(0.0), Some(1.0))
        );
        let (mean, low, high) = cut("latency_mean_s");
        assert_eq!((mean, low), (Some(0.25), Some(0.0)));
        assert!((high.unwrap() - 3.426).abs() < 1e-3, "{high:?}");
    }

    #[test]
    fn undefined_everywhere_is_none_not_nan() {
        let trials = vec![trial(0, Observation::Ratio { num: 0.0, den: 0.0 })];
        let s = &summarize(&trials, &BTreeMap::new())["m"];
        assert_eq!((s.mean, s.std, s.ci95_low, s.trials), (None, None, None, 0));
    }
}
