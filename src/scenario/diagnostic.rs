//! Problems found in a scenario file, each with its place: file, 1-based line and column,
//! and the key path (`services[0].balancer`).
//!
//! Invariant: a `Diagnostics` value is never empty when returned as an error, and its
//! problems are in file order (then line, then column).

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One step of a key path: a table key or an array index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// A key in a table.
    Key(String),
    /// An index in an array (0-based, as in the file's order).
    Index(usize),
}

/// Where a value sits in the document, e.g. `services[0].calls[1]`. The empty path is the
/// document itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyPath(pub Vec<Segment>);

impl KeyPath {
    /// The document root.
    pub fn root() -> KeyPath {
        KeyPath(Vec::new())
    }

    /// This path extended by a key.
    pub fn key(&self, key: &str) -> KeyPath {
        let mut p = self.clone();
        p.0.push(Segment::Key(key.to_string()));
        p
    }

    /// This path extended by an index.
    pub fn index(&self, i: usize) -> KeyPath {
        let mut p = self.clone();
        p.0.push(Segment::Index(i));
        p
    }

    /// The enclosing path (the root is its own parent).
    pub fn parent(&self) -> KeyPath {
        let mut p = self.clone();
        p.0.pop();
        p
    }

    /// Whether `self` is `other` or lies inside it.
    pub fn starts_with(&self, other: &KeyPath) -> bool {
        self.0.starts_with(&other.0)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    let bare = !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if bare {
                        f.write_str(k)?;
                    } else {
                        write!(f, "{k:?}")?;
                    }
                }
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// One problem in a scenario file (or in a file it refers to).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file the problem is in, as the user named it.
    pub file: PathBuf,
    /// 1-based line; 0 when the problem is with the file as a whole (it cannot be read).
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The key path of the offending value (empty for TOML syntax errors).
    pub key_path: String,
    /// What is wrong, and what is allowed.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: ", self.file.display())?;
        } else {
            write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        }
        if !self.key_path.is_empty() {
            write!(f, "{}: ", self.key_path)?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem found in a scenario file, in file order; `Display` prints one per line.
#[derive(Clone, Debug, Default, PartialEq, Eq, thiserror::Error)]
pub struct Diagnostics {
    /// The problems, sorted by file, line and column.
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Number of problems.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there is no problem.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Iterates over the problems in file order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }

    /// Sorts into file order and drops exact duplicates.
    pub(crate) fn finish(mut self) -> Diagnostics {
        self.items
            .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        self.items.dedup();
        self
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.items.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// Turns byte offsets into 1-based lines and columns (columns count characters).
#[derive(Clone, Debug)]
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset where each line starts.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `text`.
    pub(crate) fn new(text: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// Line and column of a byte offset (clamped into the text).
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = self.text[start..offset].chars().count() + 1;
        (line, column)
    }

    /// A diagnostic at the start of `span`.
    pub(crate) fn diagnostic(
        &self,
        file: &Path,
        span: &Range<usize>,
        key_path: &KeyPath,
        message: impl Into<String>,
    ) -> Diagnostic {
        let (line, column) = self.line_col(span.start);
        Diagnostic {
            file: file.to_path_buf(),
            line,
            column,
            key_path: key_path.to_string(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_print_like_the_file() {
        let p = KeyPath::root()
            .key("services")
            .index(0)
            .key("calls")
            .index(1);
        assert_eq!(p.to_string(), "services[0].calls[1]");
        assert_eq!(KeyPath::root().key("a b").to_string(), "\"a b\"");
        assert!(p.starts_with(&KeyPath::root().key("services").index(0)));
    }

    #[test]
    fn line_columns_are_one_based_and_count_chars() {
        let idx = LineIndex::new("ab\néé = 1\n");
        assert_eq!(idx.line_col(0), (1, 1));
        assert_eq!(idx.line_col(1), (1, 2));
        assert_eq!(idx.line_col(3), (2, 1));
        // "éé " is 5 bytes, 3 characters.
        assert_eq!(idx.line_col(8), (2, 4));
        assert_eq!(idx.line_col(1000), (3, 1));
        // Inside a multi-byte character: backs off to its start.
        assert_eq!(idx.line_col(4), (2, 1));
    }

    #[test]
    fn diagnostics_print_one_per_line() {
        let d = |line| Diagnostic {
            file: "web.toml".into(),
            line,
            column: 11,
            key_path: "services[0].balancer".into(),
            message: "bad".into(),
        };
        let all = Diagnostics {
            items: vec![d(14), d(2)],
        }
        .finish();
        assert_eq!(
            all.to_string(),
            "web.toml:2:11: services[0].balancer: bad\nweb.toml:14:11: services[0].balancer: bad"
        );
    }
}
