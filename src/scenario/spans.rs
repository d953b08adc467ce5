//! Where things are in a scenario file: the place of every key and value (`SpanMap`), and
//! the context validation reports through (`Ctx`), which turns key paths into places.
//!
//! Invariant: every diagnostic made here points into the file: at the value, at the key, or,
//! for a missing key, at the enclosing table; never at nothing.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::{Diagnostic, KeyPath, LineIndex};

/// What validation needs to place its messages, and where it puts them.
pub(crate) struct Ctx<'a> {
    /// The scenario file, as the user named it.
    pub(crate) file: &'a Path,
    index: &'a LineIndex<'a>,
    spans: &'a SpanMap,
    excised: &'a [KeyPath],
    /// Problems found so far.
    pub(crate) diags: Vec<Diagnostic>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        file: &'a Path,
        index: &'a LineIndex<'a>,
        spans: &'a SpanMap,
        excised: &'a [KeyPath],
    ) -> Ctx<'a> {
        Ctx {
            file,
            index,
            spans,
            excised,
            diags: Vec::new(),
        }
    }

    /// A problem with the value at `path`.
    pub(crate) fn at(&mut self, path: &KeyPath, message: impl Into<String>) {
        let span = self.spans.value(path);
        let d = self.index.diagnostic(self.file, &span, path, message);
        self.diags.push(d);
    }

    /// Checks that `key` (at `path`) is at most `limit`, which exists because of `why`;
    /// reports it there otherwise. Returns whether it is.
    pub(crate) fn at_most(
        &mut self,
        path: &KeyPath,
        key: &str,
        value: impl Into<u64>,
        limit: impl Into<u64>,
        why: &str,
    ) -> bool {
        let (value, limit) = (value.into(), limit.into());
        if value > limit {
            self.at(
                path,
                format!("{key} must be at most {limit}{why}, found {value}"),
            );
        }
        value <= limit
    }

    /// A problem with the key at `path` itself (it should not be there).
    pub(crate) fn at_key(&mut self, path: &KeyPath, message: impl Into<String>) {
        let span = self.spans.key(path);
        let d = self.index.diagnostic(self.file, &span, path, message);
        self.diags.push(d);
    }

    /// A required key is missing: reported at the enclosing table, unless the key was there
    /// but already reported as malformed.
    pub(crate) fn missing(&mut self, path: &KeyPath, message: impl Into<String>) {
        if self.cut(path) {
            return;
        }
        let span = self.spans.value(&path.parent());
        let d = self.index.diagnostic(self.file, &span, path, message);
        self.diags.push(d);
    }

    /// Whether `path`, something inside it, or something enclosing it was cut out while
    /// reading (so its problem is already reported).
    pub(crate) fn cut(&self, path: &KeyPath) -> bool {
        self.excised
            .iter()
            .any(|e| e.starts_with(path) || path.starts_with(e))
    }

    /// Whether `path` itself, or a table enclosing it, was cut out while reading.
    pub(crate) fn cut_whole(&self, path: &KeyPath) -> bool {
        self.excised.iter().any(|e| path.starts_with(e))
    }
}

/// Where each key and value of the document is, by key path.
#[derive(Debug, Default)]
pub(crate) struct SpanMap {
    places: HashMap<KeyPath, (Option<Range<usize>>, Range<usize>)>,
}

impl SpanMap {
    /// Records every key and value of `root`.
    pub(crate) fn build(root: &DeTable<'_>) -> SpanMap {
        let mut map = SpanMap::default();
        map.places.insert(KeyPath::root(), (None, 0..0));
        for (k, v) in root {
            map.walk(KeyPath::root().key(k.get_ref()), Some(k.span()), v);
        }
        map
    }

    fn walk(&mut self, path: KeyPath, key: Option<Range<usize>>, value: &Spanned<DeValue<'_>>) {
        match value.get_ref() {
            DeValue::Table(t) => {
                for (k, v) in t {
                    self.walk(path.key(k.get_ref()), Some(k.span()), v);
                }
            }
            DeValue::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    self.walk(path.index(i), None, v);
                }
            }
            _ => {}
        }
        self.places.insert(path, (key, value.span()));
    }

    /// The value at `path`, or failing that its nearest enclosing value that exists.
    pub(crate) fn value(&self, path: &KeyPath) -> Range<usize> {
        let mut p = path.clone();
        loop {
            if let Some((_, v)) = self.places.get(&p) {
                return v.clone();
            }
            if p.0.pop().is_none() {
                return 0..0;
            }
        }
    }

    /// The value of the path that prints as `shown` (`services[0].nodes`), if the
    /// document has it.
    pub(crate) fn find(&self, shown: &str) -> Option<Range<usize>> {
        self.places
            .iter()
            .find(|(path, _)| path.to_string() == shown)
            .map(|(_, (_, value))| value.clone())
    }

    /// Whether the document has `path`.
    pub(crate) fn has(&self, path: &KeyPath) -> bool {
        self.places.contains_key(path)
    }

    /// The key of `path` (its value for array elements), or its nearest enclosing value.
    pub(crate) fn key(&self, path: &KeyPath) -> Range<usize> {
        match self.places.get(path) {
            Some((Some(k), _)) => k.clone(),
            _ => self.value(path),
        }
    }
}
