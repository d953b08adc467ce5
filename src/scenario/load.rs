//! Reading a scenario file: TOML text -> spanned document -> `raw` structs -> `Scenario`,
//! collecting every problem on the way.
//!
//! The text is parsed once, keeping the place of every key and value. Deserialization into
//! `raw` is then retried until it succeeds: each failure is recorded with its key path and
//! place, and the offending key (the deepest table key on the path, so array indices never
//! shift) is cut out of the document before the next attempt. Each attempt removes a key, so
//! the loop ends. Semantic validation then runs on whatever was read.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::Scenario;
use super::diagnostic::{Diagnostic, Diagnostics, KeyPath, LineIndex, Segment};
use super::raw::ScenarioFile;
use super::spans::{Ctx, SpanMap};
use super::validate::validate;

/// Reads, parses and validates the scenario file at `path`.
pub fn load(path: &Path) -> Result<Scenario, Diagnostics> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text, path),
        Err(e) => Err(Diagnostics {
            items: vec![Diagnostic {
                file: path.to_path_buf(),
                line: 0,
                column: 0,
                key_path: String::new(),
                message: format!("cannot read the scenario file: {e}"),
            }],
        }),
    }
}

/// Parses and validates scenario `text`; `path` names the file in diagnostics and is the
/// base for relative paths inside it (empirical CSV files).
pub fn parse(text: &str, path: &Path) -> Result<Scenario, Diagnostics> {
    let index = LineIndex::new(text);
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let d = index.diagnostic(path, &span, &KeyPath::root(), e.message().trim());
            return Err(Diagnostics { items: vec![d] });
        }
    };
    let spans = SpanMap::build(root.get_ref());
    let (raw, excised, diags) = read_raw(root, &spans, &index, path);
    let mut ctx = Ctx::new(path, &index, &spans, &excised);
    ctx.diags = diags;
    let scenario = validate(raw, &mut ctx);
    match scenario {
        Some(s) if ctx.diags.is_empty() => Ok(s),
        _ => Err(Diagnostics { items: ctx.diags }.finish()),
    }
}

/// Deserializes `root` into `raw`, cutting out each offending key and retrying. Returns what
/// was read (defaults where nothing could be), the paths cut out, and the problems.
fn read_raw(
    root: Spanned<DeTable<'_>>,
    spans: &SpanMap,
    index: &LineIndex<'_>,
    file: &Path,
) -> (ScenarioFile, Vec<KeyPath>, Vec<Diagnostic>) {
    let mut work = root;
    let mut excised = Vec::new();
    let mut diags = Vec::new();
    loop {
        let de = toml::de::Deserializer::from(work.clone());
        let err = match serde_path_to_error::deserialize::<_, ScenarioFile>(de) {
            Ok(raw) => return (raw, excised, diags),
            Err(err) => err,
        };
        let serde_path = from_serde_path(err.path());
        let inner = err.into_inner();
        let place = locate(
            work.get_ref(),
            spans,
            &serde_path,
            inner.span(),
            inner.message(),
        );
        let span = place.span.unwrap_or(0..0);
        // A tag cut out for a bad value is then missing; that is already reported.
        let reported = inner.message().starts_with("missing field")
            && quoted(inner.message()).is_some_and(|k| excised.contains(&place.path.key(k)));
        if !reported {
            diags.push(index.diagnostic(file, &span, &place.path, friendly(inner.message())));
        }
        match excise(work.get_mut(), &place.cut) {
            Some(cut) => excised.push(cut),
            // An error about the document as a whole: nothing more can be read.
            None => return (ScenarioFile::default(), excised, diags),
        }
    }
}

fn from_serde_path(path: &serde_path_to_error::Path) -> KeyPath {
    use serde_path_to_error::Segment as S;
    let mut out = KeyPath::root();
    for seg in path {
        match seg {
            S::Map { key } => out.0.push(Segment::Key(key.clone())),
            S::Seq { index } => out.0.push(Segment::Index(*index)),
            S::Enum { .. } => {}
            S::Unknown => break,
        }
    }
    out
}

fn child<'a, 'i>(value: &'a DeValue<'i>, seg: &Segment) -> Option<&'a Spanned<DeValue<'i>>> {
    match (value, seg) {
        (DeValue::Table(t), Segment::Key(k)) => t.get(k.as_str()),
        (DeValue::Array(a), Segment::Index(i)) => a.get(*i),
        _ => None,
    }
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && outer != &(0..0)
}

/// The text between the first pair of backticks of a serde message.
fn quoted(message: &str) -> Option<&str> {
    let rest = &message[message.find('`')? + 1..];
    Some(&rest[..rest.find('`')?])
}

/// What a deserialization error is about.
struct Place {
    /// The key path reported.
    path: KeyPath,
    /// Where it is in the text.
    span: Option<Range<usize>>,
    /// What to cut out before trying again.
    cut: KeyPath,
}

/// Finds the value an error is about: follows the serde path as far as the document goes,
/// then descends to the key or value the error's span points into. Unknown keys and unknown
/// tags inside tagged tables (whose errors carry the whole table's span) are found by name;
/// for an unknown tag the whole tagged table is cut, since it cannot be read without one.
fn locate(
    root: &DeTable<'_>,
    spans: &SpanMap,
    serde_path: &KeyPath,
    err_span: Option<Range<usize>>,
    message: &str,
) -> Place {
    let root_value = DeValue::Table(root.clone());
    let mut node = &root_value;
    let mut path = KeyPath::root();
    for seg in &serde_path.0 {
        match child(node, seg) {
            Some(c) => {
                node = c.get_ref();
                path.0.push(seg.clone());
            }
            None => break,
        }
    }
    // An unknown key: serde's path ends at the key, or at the table holding it.
    if message.starts_with("unknown field")
        && let Some(name) = quoted(message)
    {
        let key_path = match (node, path.0.last()) {
            (_, Some(Segment::Key(last))) if last == name => Some(path.clone()),
            (DeValue::Table(t), _) if t.contains_key(name) => Some(path.key(name)),
            _ => None,
        };
        if let Some(key_path) = key_path {
            return Place {
                span: Some(spans.key(&key_path)),
                cut: key_path.clone(),
                path: key_path,
            };
        }
    }
    let Some(es) = err_span.clone() else {
        return Place {
            cut: path.clone(),
            path,
            span: None,
        };
    };
    loop {
        let next = match node {
            DeValue::Table(t) => t
                .iter()
                .find(|(k, v)| contains(&k.span(), &es) || contains(&v.span(), &es))
                .map(|(k, v)| {
                    (
                        Segment::Key(k.get_ref().to_string()),
                        v,
                        contains(&k.span(), &es),
                    )
                }),
            DeValue::Array(a) => a
                .iter()
                .enumerate()
                .find(|(_, v)| contains(&v.span(), &es))
                .map(|(i, v)| (Segment::Index(i), v, false)),
            _ => None,
        };
        let Some((seg, v, at_key)) = next else {
            break;
        };
        path.0.push(seg);
        node = v.get_ref();
        if at_key {
            // The error is about the key itself (unknown key): go no deeper.
            return Place {
                cut: path.clone(),
                path,
                span: err_span,
            };
        }
    }
    if let DeValue::Table(t) = node
        && message.starts_with("unknown variant")
        && let Some((tag, v)) = ["kind", "dist"]
            .iter()
            .find_map(|k| t.get(*k).map(|v| (k, v)))
    {
        return Place {
            path: path.key(tag),
            span: Some(v.span()),
            cut: path,
        };
    }
    Place {
        cut: path.clone(),
        path,
        span: err_span,
    }
}

/// Removes the deepest table key on `path` from the document; returns the path removed, or
/// `None` when the path holds no key (an error about the document itself).
fn excise(root: &mut DeTable<'_>, path: &KeyPath) -> Option<KeyPath> {
    let last_key = path.0.iter().rposition(|s| matches!(s, Segment::Key(_)))?;
    let Segment::Key(k) = &path.0[last_key] else {
        return None;
    };
    table_at(root, &path.0[..last_key])?.remove(k.as_str())?;
    Some(KeyPath(path.0[..=last_key].to_vec()))
}

/// The table at `segs` below `table` (array indices followed), if there is one.
fn table_at<'a, 'i>(table: &'a mut DeTable<'i>, segs: &[Segment]) -> Option<&'a mut DeTable<'i>> {
    let Some((first, mut rest)) = segs.split_first() else {
        return Some(table);
    };
    let Segment::Key(k) = first else {
        return None;
    };
    let mut value = table.get_mut(k.as_str())?.get_mut();
    while let Some((Segment::Index(i), r)) = rest.split_first() {
        let DeValue::Array(a) = value else {
            return None;
        };
        value = a.get_mut(*i)?.get_mut();
        rest = r;
    }
    let DeValue::Table(t) = value else {
        return None;
    };
    table_at(t, rest)
}

/// Rewrites serde's messages into the file's vocabulary: keys, tables, arrays, numbers.
fn friendly(message: &str) -> String {
    let mut s = message.replacen("unknown field", "unknown key", 1);
    if s.starts_with("unknown ")
        && let Some(name) = quoted(&s).map(str::to_string)
    {
        s = s.replacen(&format!("`{name}`"), &format!("\"{name}\""), 1);
    }
    s = s.replace('`', "");
    let types = [
        ("expected u32", "expected a whole number >= 0"),
        ("expected u64", "expected a whole number >= 0"),
        ("expected i32", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected an array"),
        ("expected a borrowed string", "expected a string"),
        (", there are no fields", "; this table takes no other keys"),
    ];
    for (from, to) in types {
        if s.ends_with(from) {
            s = format!("{}{to}", &s[..s.len() - from.len()]);
        }
    }
    if let Some(at) = s.find("expected struct ") {
        s = format!("{}expected a table", &s[..at]);
    } else if let Some(at) = s.find("expected internally tagged enum ") {
        s = format!("{}expected a table with a `kind` key", &s[..at]);
    } else if let Some(at) = s.find("expected enum ") {
        s = format!("{}expected a string", &s[..at]);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn friendly_messages_use_the_file_vocabulary() {
        assert_eq!(
            friendly("unknown variant `p2c`, expected one of `central`, `random`"),
            "unknown variant \"p2c\", expected one of central, random"
        );
        assert_eq!(
            friendly("unknown field `nodez`, expected one of `name`, `nodes`"),
            "unknown key \"nodez\", expected one of name, nodes"
        );
        assert_eq!(
            friendly("invalid type: string \"x\", expected u32"),
            "invalid type: string \"x\", expected a whole number >= 0"
        );
        assert_eq!(
            friendly("invalid type: integer `5`, expected struct RunRaw"),
            "invalid type: integer 5, expected a table"
        );
    }

    #[test]
    fn excise_removes_the_deepest_table_key() {
        let text = "[[services]]\nname = \"a\"\ncalls = [\"x\", 1]\n[[services]]\nname = \"b\"\n";
        let mut root = DeTable::parse(text).unwrap().into_inner();
        let p = KeyPath::root()
            .key("services")
            .index(0)
            .key("calls")
            .index(1);
        let cut = excise(&mut root, &p).unwrap();
        assert_eq!(cut.to_string(), "services[0].calls");
        let DeValue::Array(a) = root.get("services").unwrap().get_ref() else {
            panic!("services is an array")
        };
        assert_eq!(a.len(), 2);
        let DeValue::Table(t) = a[0].get_ref() else {
            panic!("a table")
        };
        assert!(t.get("calls").is_none() && t.get("name").is_some());
        assert_eq!(excise(&mut root, &KeyPath::root()), None);
    }
}
