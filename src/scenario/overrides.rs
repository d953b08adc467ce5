//! `--set KEY=VALUE`: changing a scenario from the command line before it is validated.
//!
//! KEY is a dotted path into the file; inside an array of named tables (`services`,
//! `zones`, `racks`, `regions`, `outages`) a segment may name an element by its `name`
//! (`services.web.nodes`) or by its index (`services.0.nodes`); a table given to an
//! element itself (`services.db={ nodes = 2, zones = ["a", "b"] }`) replaces the keys it
//! names and keeps the others. VALUE is read as a TOML
//! value (`4`, `0.5`, `"2h"`, `["a", "b"]`, `{ mode = "quorum" }`); a bare word that is not
//! valid TOML is taken as a string (`round_robin`). The changed document is then validated
//! like a file, so a bad value gets the usual diagnostic, with its key path, placed at the
//! change that set it (a `[sweep]` or `[plan]` entry's line and column, or the command
//! line), and any other problem at its key in the file.

use std::path::Path;

use toml::de::DeTable;
use toml::{Table, Value};

use super::diagnostic::{Diagnostic, Diagnostics, KeyPath, LineIndex};
use super::spans::SpanMap;
use super::{Scenario, parse};

/// Where a change to a scenario was given, for the diagnostics it causes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeSource {
    /// `--set` on the command line.
    CommandLine,
    /// The entry for the change's key in the file's table of this name (`"sweep"`,
    /// `"plan"`).
    Table(&'static str),
}

/// A change to a scenario before it is validated: `KEY=VALUE`, and where it was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub assignment: String,
    pub source: ChangeSource,
}

impl Change {
    /// `--set KEY=VALUE`.
    pub fn command_line(assignment: impl Into<String>) -> Change {
        Change {
            assignment: assignment.into(),
            source: ChangeSource::CommandLine,
        }
    }

    /// `KEY=VALUE` from the file's `[table]`.
    pub fn from_table(table: &'static str, assignment: impl Into<String>) -> Change {
        Change {
            assignment: assignment.into(),
            source: ChangeSource::Table(table),
        }
    }

    /// How a message names the change: `--set KEY=VALUE` or `[sweep] KEY=VALUE`.
    fn describe(&self) -> String {
        match self.source {
            ChangeSource::CommandLine => format!("--set {}", self.assignment),
            ChangeSource::Table(table) => format!("[{table}] {}", self.assignment),
        }
    }
}

/// Reads the scenario at `path`, applies `overrides` (each `--set KEY=VALUE`) in order,
/// and validates the result.
pub fn load_with_overrides(path: &Path, overrides: &[String]) -> Result<Scenario, Diagnostics> {
    let changes: Vec<Change> = overrides.iter().map(Change::command_line).collect();
    load_with_changes(path, &changes)
}

/// Reads the scenario at `path`, applies `changes` in order, and validates the result.
/// Problems are placed in the file and name the change behind them (see `relocate`): a
/// value a change set at the change (its `[sweep]` or `[plan]` entry, or the command
/// line), the file's own problems where `nines check` puts them.
pub fn load_with_changes(path: &Path, changes: &[Change]) -> Result<Scenario, Diagnostics> {
    if changes.is_empty() {
        return super::load(path);
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| file_error(path, "", format!("cannot read the scenario file: {e}")))?;
    let mut doc: Table = match text.parse() {
        Ok(doc) => doc,
        // Let the ordinary reader report the syntax error with its place.
        Err(_) => return parse(&text, path),
    };
    let places = Places::new(&text);
    let mut targets = Vec::with_capacity(changes.len());
    for change in changes {
        let set = apply(&mut doc, &change.assignment).map_err(|(key, msg)| {
            let mut d = file_error(path, &key, format!("{}: {msg}", change.describe()));
            (d.items[0].line, d.items[0].column) = places.entry(change).unwrap_or((0, 0));
            d
        })?;
        targets.extend(set.iter().map(|t| (t.to_string(), change)));
    }
    let changed = toml::to_string(&doc).expect("a TOML table serialises");
    parse(&changed, path).map_err(|mut d| {
        // The file's own problems, where a plain reading of it puts them.
        let own = parse(&text, path).err().unwrap_or_default();
        for item in d.items.iter_mut().filter(|i| i.file == path) {
            relocate(item, &own, &places, &targets);
        }
        d.finish()
    })
}

/// Where the entry for `key` of the file's `[table]` is written in `text` (1-based line and
/// column; the table's, or the file's start, when the entry is not found).
pub fn table_entry_place(text: &str, table: &str, key: &str) -> (usize, usize) {
    Places::new(text).table_entry(table, key)
}

/// Places a problem found in the changed document in the file, and names the change
/// behind it: the change that set its value (the last one), placed at that change; else,
/// when a plain reading of the file has the same problem, where that reading puts it; else
/// the change that brought a key or table the file lacks on its path; else (a value valid
/// alone but not with another) at its key in the file or the nearest enclosing one,
/// naming every change.
fn relocate(
    item: &mut Diagnostic,
    own: &Diagnostics,
    places: &Places<'_>,
    targets: &[(String, &Change)],
) {
    let at = item.key_path.clone();
    let set_by = |item: &mut Diagnostic, change: &Change| {
        item.message = format!("{} (set by {})", item.message, change.describe());
        places.entry(change)
    };
    let last_within = |outer: &str| targets.iter().rev().find(|(t, _)| within(t, outer));
    let place = if let Some((_, change)) = targets.iter().rev().find(|(t, _)| within(&at, t)) {
        set_by(item, change)
    } else if let Some(same) = own
        .iter()
        .find(|d| d.key_path == at && d.message == item.message)
    {
        Some((same.line, same.column)).filter(|&(line, _)| line > 0)
    } else if let Some((_, change)) = places.first_missing(&at).and_then(last_within) {
        set_by(item, change)
    } else {
        let mut named: Vec<String> = Vec::new();
        for (_, change) in targets {
            let d = change.describe();
            if !named.contains(&d) {
                named.push(d);
            }
        }
        item.message = format!("{} (after {})", item.message, named.join(", "));
        places.enclosing(&at)
    };
    (item.line, item.column) = place.unwrap_or((0, 0));
}

/// Whether the key path shown as `path` is `outer` or lies inside it.
fn within(path: &str, outer: &str) -> bool {
    outer.is_empty()
        || path
            .strip_prefix(outer)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// Lines and columns of the keys of the file as written.
struct Places<'a> {
    index: LineIndex<'a>,
    spans: SpanMap,
}

impl<'a> Places<'a> {
    fn new(text: &'a str) -> Places<'a> {
        let spans = DeTable::parse(text)
            .map(|root| SpanMap::build(root.get_ref()))
            .unwrap_or_default();
        Places {
            index: LineIndex::new(text),
            spans,
        }
    }

    /// Where the key path shown as `shown` is in the file, if it is there.
    fn path(&self, shown: &str) -> Option<(usize, usize)> {
        let span = self.spans.find(shown)?;
        Some(self.index.line_col(span.start))
    }

    /// The shortest part of the key path shown as `shown` (itself included) that the file
    /// does not have, if any.
    fn first_missing<'p>(&self, shown: &'p str) -> Option<&'p str> {
        let ends = shown
            .match_indices(['.', '['])
            .map(|(i, _)| i)
            .filter(|&i| i > 0)
            .chain([shown.len()]);
        ends.map(|i| &shown[..i]).find(|p| self.path(p).is_none())
    }

    /// Where the key path shown as `shown`, or failing that the nearest enclosing one, is
    /// in the file.
    fn enclosing(&self, shown: &str) -> Option<(usize, usize)> {
        let mut path = shown;
        loop {
            if let Some(place) = self.path(path) {
                return Some(place);
            }
            path = &path[..path.rfind(['.', '['])?];
        }
    }

    /// Where a change is written: its table entry; `None` for the command line.
    fn entry(&self, change: &Change) -> Option<(usize, usize)> {
        let ChangeSource::Table(table) = change.source else {
            return None;
        };
        let key = change
            .assignment
            .split_once('=')
            .map_or("", |(k, _)| k.trim());
        Some(self.table_entry(table, key))
    }

    /// Where the entry for `key` of `[table]` is written: its key, quoted
    /// (`"services.web.nodes"`) or dotted, or failing that the table.
    fn table_entry(&self, table: &str, key: &str) -> (usize, usize) {
        let table = KeyPath::root().key(table);
        let quoted = table.key(key);
        let dotted = key.split('.').fold(table.clone(), |p, seg| p.key(seg));
        let path = [quoted, dotted]
            .into_iter()
            .find(|p| self.spans.has(p))
            .unwrap_or(table);
        self.index.line_col(self.spans.key(&path).start)
    }
}

/// Splits `KEY=VALUE` and sets it in `doc`; returns the key paths it set (names of
/// elements resolved to indexes: one path, or one per key merged into an element); errors
/// carry the key and a message.
pub fn apply(doc: &mut Table, assignment: &str) -> Result<Vec<KeyPath>, (String, String)> {
    let Some((key, value)) = assignment.split_once('=') else {
        return Err((
            String::new(),
            "expected KEY=VALUE, e.g. services.web.nodes=4".into(),
        ));
    };
    let key = key.trim();
    let value = parse_value(value.trim());
    let segments: Vec<&str> = key.split('.').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err((key.into(), "empty segment in the key path".into()));
    }
    let (last, parents) = segments
        .split_last()
        .expect("split yields at least one segment");
    let mut table = doc;
    let mut walked = String::new();
    let mut target = KeyPath::root();
    let mut rest = parents.iter().peekable();
    while let Some(seg) = rest.next() {
        walked = if walked.is_empty() {
            seg.to_string()
        } else {
            format!("{walked}.{seg}")
        };
        target = target.key(seg);
        let entry = table
            .entry(seg.to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        table = match entry {
            Value::Table(t) => t,
            Value::Array(items) => {
                let Some(which) = rest.next() else {
                    // `services.db={ nodes = 2, ... }`: the keys given replace the element's.
                    if let Value::Table(keys) = &value
                        && let Some(i) = element(items, last)
                    {
                        let el = items[i].as_table_mut().expect("element() found a table");
                        el.extend(keys.clone());
                        let element = target.index(i);
                        return Ok(keys.keys().map(|k| element.key(k)).collect());
                    }
                    return Err((
                        key.into(),
                        format!(
                            "{walked} is a list; name an element, e.g. {walked}.<name>, and \
                             give it a key or a table of keys"
                        ),
                    ));
                };
                walked = format!("{walked}.{which}");
                let names: Vec<String> = items
                    .iter()
                    .filter_map(|v| v.get("name").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect();
                let i = element(items, which).ok_or_else(|| {
                    (
                        key.to_string(),
                        format!(
                            "{walked}: no element named \"{which}\"; the names are: {}",
                            names.join(", ")
                        ),
                    )
                })?;
                target = target.index(i);
                items[i].as_table_mut().expect("element() found a table")
            }
            _ => return Err((key.into(), format!("{walked} is not a table"))),
        };
    }
    table.insert(last.to_string(), value);
    Ok(vec![target.key(last)])
}

/// The index of the element of an array of tables with `name = which`, or at index
/// `which`.
fn element(items: &[Value], which: &str) -> Option<usize> {
    let by_name = items
        .iter()
        .position(|v| v.get("name").and_then(Value::as_str) == Some(which));
    let i = by_name.or_else(|| which.parse::<usize>().ok())?;
    items.get(i)?.as_table().map(|_| i)
}

/// A TOML value, or the text as a string when it is not one.
fn parse_value(text: &str) -> Value {
    format!("v = {text}")
        .parse::<Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(text.to_string()))
}

fn file_error(path: &Path, key: &str, message: String) -> Diagnostics {
    Diagnostics {
        items: vec![Diagnostic {
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            key_path: key.to_string(),
            message,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Table {
        r#"
            name = "x"
            [workload]
            rate = 1.0
            [[services]]
            name = "web"
            nodes = 2
            [[services]]
            name = "db"
        "#
        .parse()
        .unwrap()
    }

    #[test]
    fn a_table_given_to_an_element_replaces_the_keys_it_names() {
        let mut d = doc();
        apply(&mut d, r#"services.web={ nodes = 3, zones = ["a"] }"#).unwrap();
        let web = &d["services"].as_array().unwrap()[0];
        assert_eq!(web["name"].as_str(), Some("web"));
        assert_eq!(web["nodes"].as_integer(), Some(3));
        assert_eq!(web["zones"].as_array().unwrap().len(), 1);
        let err = apply(&mut d, "services.web=4").unwrap_err();
        assert!(err.1.contains("is a list; name an element"), "{}", err.1);
    }

    #[test]
    fn sets_values_by_name_index_and_plain_path() {
        let mut d = doc();
        apply(&mut d, "services.web.nodes=6").unwrap();
        apply(&mut d, "services.1.balancer=round_robin").unwrap();
        apply(&mut d, "workload.rate=2.5").unwrap();
        apply(&mut d, r#"services.web.zones=["a", "b"]"#).unwrap();
        apply(&mut d, "run.horizon=\"2h\"").unwrap();
        let web = &d["services"].as_array().unwrap()[0];
        assert_eq!(web["nodes"].as_integer(), Some(6));
        assert_eq!(web["zones"].as_array().unwrap().len(), 2);
        assert_eq!(
            d["services"].as_array().unwrap()[1]["balancer"].as_str(),
            Some("round_robin")
        );
        assert_eq!(d["workload"]["rate"].as_float(), Some(2.5));
        assert_eq!(d["run"]["horizon"].as_str(), Some("2h"));
    }

    #[test]
    fn explains_bad_paths() {
        let mut d = doc();
        assert!(
            apply(&mut d, "services.api.nodes=3")
                .unwrap_err()
                .1
                .contains("no element named \"api\"; the names are: web, db")
        );
        assert!(
            apply(&mut d, "services=3x").is_ok(),
            "a whole key may be replaced; validation judges it"
        );
        assert!(apply(&mut d, "nodes").unwrap_err().1.contains("KEY=VALUE"));
        assert!(
            apply(&mut d, "name.x=1")
                .unwrap_err()
                .1
                .contains("not a table")
        );
    }
}
