//! `nines plan`: the cheapest design meeting the SLO, over the decision variables of a
//! `[plan]` table.
//!
//! A variable is an integer range (`"2..40"`, `"2..40..2"`) or a list of choices. The
//! search assumes integer variables are monotone — more (nodes, replicas) never makes the
//! SLO harder to meet — and choices are few:
//! 1. the integer variable with the most values is searched by bisection; every
//!    combination of the other variables (choices, smaller integer ranges) is enumerated;
//! 2. for each combination, the bisected variable starts at its largest value; if that
//!    design misses the SLO, the combination is infeasible (monotonicity); otherwise
//!    bisection finds the smallest value that still meets it, in about log2(values)
//!    evaluations; its neighbour one step below is evaluated on the way and misses.
//!
//! So a plan over `services.web.nodes = "2..40"` and a two-way choice costs about
//! 2 × (1 + 6) simulations instead of 78; the caller refuses plans whose enumerated part
//! is too large ([`MAX_COMBINATIONS`]).
//! Every evaluated design is remembered (never simulated twice). The cheapest design that
//! meets the SLO among those evaluated is the answer.

use std::collections::BTreeMap;

use crate::stats::MetricSummary;
use crate::sweep::{Axis, parse_values};

/// Most combinations of the enumerated (not bisected) variables a plan may have.
pub const MAX_COMBINATIONS: usize = 64;

/// How many combinations the non-bisected variables make.
pub fn combinations(vars: &[Variable]) -> usize {
    let main = (0..vars.len())
        .filter(|&v| vars[v].integer)
        .max_by_key(|&v| (vars[v].values.len(), std::cmp::Reverse(v)));
    (0..vars.len())
        .filter(|&v| Some(v) != main)
        .map(|v| vars[v].values.len())
        .product()
}

/// What a plan refuses of its scenario as a whole, before any design: no `[slo]` to meet
/// (`has_slo` false), or more combinations than [`MAX_COMBINATIONS`]. Checked by `nines
/// plan` and `nines check` alike.
pub fn refusals(vars: &[Variable], has_slo: bool) -> Vec<String> {
    let mut why = Vec::new();
    if !has_slo {
        why.push("nines plan needs an [slo] table: its targets are what a design must meet".into());
    }
    let n = combinations(vars);
    if n > MAX_COMBINATIONS {
        why.push(format!(
            "the choices and smaller integer ranges make {n} combinations (at most {MAX_COMBINATIONS}); narrow them"
        ));
    }
    why
}

/// A decision variable.
#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    pub key: String,
    /// Its values as `--set` text; for an integer variable, in increasing order.
    pub values: Vec<String>,
    /// Whether the values are integers searched by bisection (else choices enumerated).
    pub integer: bool,
}

/// A design: one value index per variable.
pub type Design = Vec<usize>;

/// What one design achieved.
#[derive(Clone, Debug)]
pub struct Evaluation {
    pub design: Design,
    pub cost: f64,
    pub meets_slo: bool,
    pub metrics: BTreeMap<String, MetricSummary>,
}

/// The metric an `error_ratio` target is checked against: every failed request, as the
/// SLO windows count them, not only the errors of the `error_ratio` metric.
pub const FAILED_RATIO: &str = "failed_ratio";

/// The SLO targets a design must meet with 95% confidence.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Targets {
    pub availability: Option<f64>,
    pub latency_p99_s: Option<f64>,
    pub error_ratio: Option<f64>,
}

impl Targets {
    /// Whether the CI bound meets every target: availability ci95_low >= target,
    /// latency_p99_s ci95_high <= its target, and `failed_ratio` (errors, drops and
    /// timeouts: what the SLO's `error_ratio` counts in its windows) ci95_high <= the error
    /// ratio target. An undefined bound fails.
    pub fn met_by(&self, m: &BTreeMap<String, MetricSummary>) -> bool {
        let low = |name: &str| m.get(name).and_then(|s| s.ci95_low);
        let high = |name: &str| m.get(name).and_then(|s| s.ci95_high);
        self.availability
            .is_none_or(|t| low("availability").is_some_and(|v| v >= t))
            && self
                .latency_p99_s
                .is_none_or(|t| high("latency_p99_s").is_some_and(|v| v <= t))
            && self
                .error_ratio
                .is_none_or(|t| high(FAILED_RATIO).is_some_and(|v| v <= t))
    }
}

/// The variables of a `[plan]` table: an `"a..b"` string is an integer range, a list is a
/// set of choices (a list of integers is searched as an integer variable).
pub fn variables_from_table(
    table: &toml::Table,
) -> Result<Vec<Variable>, crate::sweep::SweepError> {
    let axes = crate::sweep::axes_from_table(table).map_err(|e| match e {
        crate::sweep::SweepError::Values { key, message } => crate::sweep::SweepError::Values {
            key: key.replacen("sweep.", "plan.", 1),
            message,
        },
        other => other,
    })?;
    Ok(axes.into_iter().map(variable).collect())
}

/// A variable from an axis: integers (sorted, deduplicated) or choices.
pub fn variable(axis: Axis) -> Variable {
    let ints: Option<Vec<i64>> = axis.values.iter().map(|v| v.parse().ok()).collect();
    match ints {
        Some(mut ints) => {
            ints.sort_unstable();
            ints.dedup();
            Variable {
                key: axis.key,
                values: ints.iter().map(i64::to_string).collect(),
                integer: true,
            }
        }
        None => Variable {
            key: axis.key,
            values: axis.values,
            integer: false,
        },
    }
}

/// `KEY=VALUE` assignments of a design.
pub fn assignments(vars: &[Variable], design: &[usize]) -> Vec<String> {
    vars.iter()
        .zip(design)
        .map(|(v, &i)| format!("{}={}", v.key, v.values[i]))
        .collect()
}

/// Parses an integer range or list given on the command line into a variable.
pub fn parse_variable(key: &str, values: &str) -> Result<Variable, String> {
    Ok(variable(Axis {
        key: key.to_string(),
        values: parse_values(values)?,
    }))
}

/// Searches `vars` with `evaluate` (which simulates a design); returns every evaluation in
/// the order made.
pub fn search<E>(vars: &[Variable], mut evaluate: E) -> anyhow::Result<Vec<Evaluation>>
where
    E: FnMut(&Design) -> anyhow::Result<(f64, bool, BTreeMap<String, MetricSummary>)>,
{
    let mut done: Vec<Evaluation> = Vec::new();
    let mut eval = |d: &Design, done: &mut Vec<Evaluation>| -> anyhow::Result<bool> {
        if let Some(e) = done.iter().find(|e| &e.design == d) {
            return Ok(e.meets_slo);
        }
        let (cost, meets_slo, metrics) = evaluate(d)?;
        done.push(Evaluation {
            design: d.clone(),
            cost,
            meets_slo,
            metrics,
        });
        Ok(meets_slo)
    };
    // Bisection on the integer variable with the most values; the rest enumerated.
    let main = (0..vars.len())
        .filter(|&v| vars[v].integer)
        .max_by_key(|&v| (vars[v].values.len(), std::cmp::Reverse(v)));
    let others: Vec<usize> = (0..vars.len()).filter(|&v| Some(v) != main).collect();
    let combos = crate::sweep::grid(
        &others
            .iter()
            .map(|&v| Axis {
                key: vars[v].key.clone(),
                values: vars[v].values.clone(),
            })
            .collect::<Vec<_>>(),
    );
    for combo in combos {
        let mut d: Design = vars.iter().map(|v| v.values.len() - 1).collect();
        for (&v, &i) in others.iter().zip(&combo) {
            d[v] = i;
        }
        if !eval(&d, &mut done)? {
            continue;
        }
        let Some(v) = main else { continue };
        // d[v] meets the SLO; find the smallest index that still does.
        let (mut lo, mut hi) = (0, d[v]);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let mut trial = d.clone();
            trial[v] = mid;
            if eval(&trial, &mut done)? {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
    }
    Ok(done)
}

/// The cheapest evaluation that meets the SLO (ties: the first evaluated).
pub fn best(evaluations: &[Evaluation]) -> Option<&Evaluation> {
    evaluations
        .iter()
        .filter(|e| e.meets_slo)
        .min_by(|a, b| a.cost.total_cmp(&b.cost))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int_var(key: &str, hi: i64) -> Variable {
        parse_variable(key, &format!("1..{hi}")).unwrap()
    }

    #[test]
    fn bisection_finds_the_threshold_with_few_evaluations() {
        // Feasible when web + 2·db >= 30 and mode is "b"; cost = web + 3·db (+5 for "b").
        // Each db step costs 3 and saves 2 web: db = 1, web = 28 is cheapest (cost 36).
        // Bisection on web (40 values, 6 steps) for each of 10 × 2 combinations: at most
        // 20 × 7 = 140 evaluations, not the grid's 800.
        let vars = vec![
            int_var("web", 40),
            int_var("db", 10),
            parse_variable("mode", "a,b").unwrap(),
        ];
        let value = |d: &Design, v: usize| vars[v].values[d[v]].parse::<f64>().unwrap_or(0.0);
        let evals = search(&vars, |d| {
            let (web, db) = (value(d, 0), value(d, 1));
            let b = vars[2].values[d[2]] == "b";
            let cost = web + 3.0 * db + if b { 5.0 } else { 0.0 };
            Ok((cost, b && web + 2.0 * db >= 30.0, BTreeMap::new()))
        })
        .unwrap();
        let best = best(&evals).unwrap();
        assert_eq!(
            assignments(&vars, &best.design),
            ["web=28", "db=1", "mode=b"]
        );
        assert!(evals.len() <= 140, "{} evaluations", evals.len());
        assert_eq!(combinations(&vars), 20);
    }

    #[test]
    fn targets_use_the_ci_bounds() {
        let s = |lo: f64, hi: f64| MetricSummary {
            mean: Some((lo + hi) / 2.0),
            std: None,
            ci95_low: Some(lo),
            ci95_high: Some(hi),
            min: None,
            max: None,
            trials: 10,
            pooled: false,
        };
        let t = Targets {
            availability: Some(0.999),
            latency_p99_s: Some(0.2),
            error_ratio: None,
        };
        let m = |a: (f64, f64), p: (f64, f64)| {
            BTreeMap::from([
                ("availability".to_string(), s(a.0, a.1)),
                ("latency_p99_s".to_string(), s(p.0, p.1)),
            ])
        };
        assert!(t.met_by(&m((0.9991, 0.9995), (0.1, 0.19))));
        // The mean meets 0.999 but the lower bound does not.
        assert!(!t.met_by(&m((0.9989, 0.9995), (0.1, 0.19))));
        assert!(!t.met_by(&m((0.9991, 0.9995), (0.15, 0.21))));
    }
}
