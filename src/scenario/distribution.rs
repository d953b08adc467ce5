//! Distribution tables -> [`DistSpec`]: which keys go with which `dist`, exactly one
//! parametrisation, the parameter checks of `DistSpec`'s constructors, and the CSV files
//! of empirical distributions.
//!
//! Invariant: every problem names the key it is about (or, for a CSV row, the CSV file and
//! its line), and no `DistSpec` is built from a table with any problem.

use std::path::Path;

use super::diagnostic::{Diagnostic, KeyPath};
use super::raw::{DURATION_PARAMS, DistKind, DistRaw, PARAMETRISATIONS};
use super::spans::Ctx;
use crate::dist::DistSpec;

/// At most this many bad rows of one CSV file are reported.
const MAX_BAD_ROWS: usize = 10;

/// "mean and cv, or mu and sigma".
fn describe(forms: &[&[&str]]) -> String {
    forms
        .iter()
        .map(|f| f.join(" and "))
        .collect::<Vec<_>>()
        .join(", or ")
}

/// A parameter's value in seconds (durations) or as written (plain numbers).
fn param(raw: &DistRaw, key: &str) -> f64 {
    let secs = |d: Option<super::raw::Duration>| d.map_or(f64::NAN, |d| d.0.as_secs_f64());
    let num = |x: Option<f64>| x.unwrap_or(f64::NAN);
    match key {
        "mean" => secs(raw.mean),
        "value" => secs(raw.value),
        "min" => secs(raw.min),
        "max" => secs(raw.max),
        "sd" => secs(raw.sd),
        "scale" => secs(raw.scale),
        "cv" => num(raw.cv),
        "mu" => num(raw.mu),
        "sigma" => num(raw.sigma),
        "shape" => num(raw.shape),
        _ => f64::NAN,
    }
}

/// Builds the distribution at `p`, or reports why it cannot be built.
pub(crate) fn build_dist(raw: &DistRaw, p: &KeyPath, ctx: &mut Ctx) -> Option<DistSpec> {
    if ctx.cut(p) {
        // A key in this table was malformed and is already reported.
        return None;
    }
    let all: Vec<&str> = PARAMETRISATIONS.iter().map(|(_, n, _)| *n).collect();
    let Some(kind) = raw.dist else {
        ctx.missing(
            &p.key("dist"),
            format!("missing key \"dist\"; expected one of {}", all.join(", ")),
        );
        return None;
    };
    let (_, name, forms) = PARAMETRISATIONS.iter().find(|(k, _, _)| *k == kind)?;
    let allowed: Vec<&str> = forms.iter().flat_map(|f| f.iter().copied()).collect();
    let present = raw.present_params();
    let mut ok = true;
    for key in present.iter().filter(|k| !allowed.contains(k)) {
        ctx.at_key(
            &p.key(key),
            format!(
                "{name} has no parameter \"{key}\"; it takes {}",
                describe(forms)
            ),
        );
        ok = false;
    }
    let given: Vec<&str> = present
        .into_iter()
        .filter(|k| allowed.contains(k))
        .collect();
    let same = |f: &&&[&str]| f.len() == given.len() && given.iter().all(|k| f.contains(k));
    let Some(form) = forms.iter().find(same) else {
        if let Some(f) = forms.iter().find(|f| given.iter().all(|k| f.contains(k))) {
            let lacking: Vec<&str> = f.iter().copied().filter(|k| !given.contains(k)).collect();
            let message = format!(
                "{name} needs {}; it takes {}",
                lacking.join(" and "),
                describe(forms)
            );
            ctx.missing(&p.key(lacking[0]), message);
        } else {
            // Keys of two parametrisations: point at one that the first key's form lacks.
            let first = forms.iter().find(|f| f.contains(&given[0]));
            let odd = given
                .iter()
                .find(|k| first.is_some_and(|f| !f.contains(k)))
                .unwrap_or(&given[0]);
            let message = format!(
                "{name} takes {}, not a mix: found {}",
                describe(forms),
                given.join(" and ")
            );
            ctx.at_key(&p.key(odd), message);
        }
        return None;
    };
    if !ok {
        return None;
    }
    let v = |k: &str| param(raw, k);
    let result = match (kind, form[..].first().copied(), form.get(1).copied()) {
        (DistKind::Exponential, ..) => DistSpec::exponential(v("mean")),
        (DistKind::Constant, ..) => DistSpec::constant(v("value")),
        (DistKind::Uniform, ..) => DistSpec::uniform(v("min"), v("max")),
        (DistKind::Normal, ..) => DistSpec::normal(v("mean"), v("sd")),
        (DistKind::Lognormal, Some("mean"), _) => DistSpec::lognormal_mean_cv(v("mean"), v("cv")),
        (DistKind::Lognormal, ..) => DistSpec::lognormal_mu_sigma(v("mu"), v("sigma")),
        (DistKind::Gamma, ..) => DistSpec::gamma_mean_cv(v("mean"), v("cv")),
        (DistKind::Weibull, _, Some("mean")) => DistSpec::weibull_mean(v("shape"), v("mean")),
        (DistKind::Weibull, ..) => DistSpec::weibull(v("shape"), v("scale")),
        (DistKind::Pareto, _, Some("mean")) => DistSpec::pareto_mean(v("shape"), v("mean")),
        (DistKind::Pareto, ..) => DistSpec::pareto(v("shape"), v("scale")),
        (DistKind::Empirical, ..) => {
            let file = raw.file.as_deref().unwrap_or_default();
            let samples = read_samples(file, &p.key("file"), ctx)?;
            DistSpec::empirical(samples)
        }
    };
    match result {
        Ok(spec) => Some(spec),
        Err(e) => {
            // The constructors' messages start with the parameter's name.
            let about = e.0.split_whitespace().next().unwrap_or_default();
            let path = if given.contains(&about) {
                p.key(about)
            } else {
                p.clone()
            };
            let unit = if DURATION_PARAMS.contains(&about) {
                " (seconds)"
            } else {
                ""
            };
            ctx.at(&path, format!("{name}: {e}{unit}"));
            None
        }
    }
}

/// Reads the samples (seconds) in the first column of a CSV file named relative to the
/// scenario file. A first row that is not a number is a header; blank lines are skipped.
fn read_samples(file: &str, key: &KeyPath, ctx: &mut Ctx) -> Option<Vec<f64>> {
    read_csv_rows(file, key, ctx, "samples", |fields| {
        let field = fields[0];
        if field.is_empty() {
            return Row::Skip;
        }
        match field.parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Row::Value(x),
            Ok(x) => Row::Bad(format!(
                "sample {x} is not a duration: it must be a finite number of seconds >= 0"
            )),
            Err(_) => Row::NotNumber(format!("\"{field}\" is not a number of seconds")),
        }
    })
}

/// What a CSV row holds, as judged by the caller of [`read_csv_rows`].
pub(super) enum Row<T> {
    /// A good row.
    Value(T),
    /// A field that is not a number: a header if it is the first row, else this problem.
    NotNumber(String),
    /// A bad row: this problem.
    Bad(String),
    /// A row to ignore.
    Skip,
}

/// Reads the rows of a CSV file named relative to the scenario file (`what` names it in
/// messages: "the samples file ..."). Each non-blank row (its fields trimmed) is judged by
/// `row`; a first row that is not numeric is a header. Bad rows are reported at the CSV
/// file and line (at most `MAX_BAD_ROWS` of them); an unreadable file or one without rows at
/// `key`.
pub(super) fn read_csv_rows<T>(
    file: &str,
    key: &KeyPath,
    ctx: &mut Ctx,
    what: &str,
    mut row: impl FnMut(&[&str]) -> Row<T>,
) -> Option<Vec<T>> {
    let csv_path = ctx.file.parent().unwrap_or(Path::new("")).join(file);
    let bytes = match std::fs::read(&csv_path) {
        Ok(b) => b,
        Err(e) => {
            ctx.at(
                key,
                format!("cannot read the {what} file {}: {e}", csv_path.display()),
            );
            return None;
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[..]);
    let mut values = Vec::new();
    let mut bad = Vec::new();
    let mut first = true;
    for record in reader.byte_records() {
        let (line, message) = match record {
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                (line, format!("unreadable CSV row: {e}"))
            }
            Ok(rec) => {
                let line = rec.position().map_or(0, |p| p.line() as usize);
                let owned: Vec<String> = rec
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).trim().to_string())
                    .collect();
                if owned.iter().all(String::is_empty) {
                    continue;
                }
                let fields: Vec<&str> = owned.iter().map(String::as_str).collect();
                let was_first = std::mem::replace(&mut first, false);
                match row(&fields) {
                    Row::Value(v) => {
                        values.push(v);
                        continue;
                    }
                    Row::Skip => {
                        first = was_first;
                        continue;
                    }
                    Row::NotNumber(_) if was_first => continue,
                    Row::NotNumber(m) | Row::Bad(m) => (line, m),
                }
            }
        };
        bad.push(Diagnostic {
            file: csv_path.clone(),
            line: line.max(1),
            column: 1,
            key_path: key.to_string(),
            message,
        });
    }
    let extra = bad.len().saturating_sub(MAX_BAD_ROWS);
    if extra > 0 {
        bad.truncate(MAX_BAD_ROWS);
        if let Some(last) = bad.last_mut() {
            last.message
                .push_str(&format!(" (and {extra} more bad rows)"));
        }
    }
    if !bad.is_empty() {
        ctx.diags.extend(bad);
        return None;
    }
    if values.is_empty() {
        let rows = if what == "samples" { "samples" } else { "rows" };
        ctx.at(
            key,
            format!("the {what} file {} holds no {rows}", csv_path.display()),
        );
        return None;
    }
    Some(values)
}
