//! Writing a result directory atomically: files go into a staging directory beside the
//! target, which is then swapped into place, so an interrupted run leaves the previous
//! result whole.
//!
//! Invariant: nines never destroys a file it did not write. A directory is replaced only
//! when it is empty or is a nines result of the same owner (command and scenario: a rerun)
//! holding nothing but the files its marker lists; another command's or scenario's result
//! is refused, `--force` or not; anything else is refused unless `--force`, and even then
//! nines writes only beside the other files: a file of one of its names that its marker
//! does not list stops the commit. The target is looked at again at the commit, so a file
//! added during the run is kept.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The file that marks a directory as a nines result: an owner line, then the files nines
/// wrote, one per line.
pub const MARKER: &str = ".nines-result";

/// How the marker's first line starts: `# <command> <scenario name>`, the result's owner.
/// (Markers written before owners were recorded have no such line.)
const OWNER_PREFIX: &str = "# ";

/// Why a result could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "{dir}: holds files nines did not write ({found}); choose another --out or pass --force to write beside them"
    )]
    Foreign { dir: PathBuf, found: String },
    #[error(
        "{dir}: holds another result (`nines {other}`); a result replaces only its own earlier one (`nines {owner}`): choose another --out, or remove that one first"
    )]
    OtherResult {
        dir: PathBuf,
        other: String,
        owner: String,
    },
    #[error("{0}: not a nines result directory (no {MARKER} file)")]
    NotAResult(PathBuf),
    #[error("{0}: exists and is not a directory")]
    NotADirectory(PathBuf),
    #[error("{0}: --out must name a directory (not `.`, `..` or a root)")]
    NoName(PathBuf),
    #[error(
        "{0}: exists and nines did not write it; --force writes beside other files, never over them: move it or choose another --out"
    )]
    WouldOverwrite(PathBuf),
    /// The cause follows in the error's chain (`{:#}` prints "path: cause").
    #[error("{path}")]
    Io { path: PathBuf, source: io::Error },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What is at the target path now.
enum Existing {
    Nothing,
    /// Empty, or a nines result with only its own files: safe to replace whole.
    Replaceable,
    /// Holds files nines did not write (allowed only with `--force`).
    Foreign,
    /// A nines result to which files are added or replaced, the rest kept.
    Update,
}

/// A result being written; nothing is visible at the target until [`OutputDir::commit`].
pub struct OutputDir {
    target: PathBuf,
    /// `<command> <scenario name>`, written to the marker.
    owner: String,
    staging: PathBuf,
    existing: Existing,
    files: Vec<String>,
}

impl OutputDir {
    /// Checks that `target` may receive a result of `owner` (`<command> <scenario name>`,
    /// e.g. `run quickstart`) and creates the staging directory.
    pub fn prepare(target: &Path, force: bool, owner: &str) -> Result<OutputDir, OutputError> {
        // The result is swapped in by renaming the directory, which needs a name.
        if target.file_name().is_none() {
            return Err(OutputError::NoName(target.to_path_buf()));
        }
        if let Some(other) = owner_of(target).filter(|o| o != owner) {
            return Err(OutputError::OtherResult {
                dir: target.to_path_buf(),
                other,
                owner: owner.to_string(),
            });
        }
        let existing = classify(target)?;
        if let (Existing::Foreign, false) = (&existing, force) {
            let mut found: Vec<String> = foreign_entries(target)?;
            found.sort();
            let shown = if found.len() > 3 {
                format!("{}, ...", found[..3].join(", "))
            } else {
                found.join(", ")
            };
            return Err(OutputError::Foreign {
                dir: target.to_path_buf(),
                found: shown,
            });
        }
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent).map_err(io_err(parent))?;
        let staging = sibling(target, "staging");
        if staging.exists() {
            // Left by an interrupted run of this same process id: ours by construction.
            fs::remove_dir_all(&staging).map_err(io_err(&staging))?;
        }
        // Named after the target: the staging directory is nines' own detail.
        fs::create_dir(&staging).map_err(io_err(target))?;
        Ok(OutputDir {
            target: target.to_path_buf(),
            owner: owner.to_string(),
            staging,
            existing,
            files: Vec::new(),
        })
    }

    /// Prepares to add or replace files of the existing nines result at `target`, keeping
    /// every other file (for `nines report DIR`).
    pub fn prepare_update(target: &Path) -> Result<OutputDir, OutputError> {
        if !target.join(MARKER).is_file() {
            return Err(OutputError::NotAResult(target.to_path_buf()));
        }
        let staging = sibling(target, "staging");
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(io_err(&staging))?;
        }
        // Named after the target: the staging directory is nines' own detail.
        fs::create_dir(&staging).map_err(io_err(target))?;
        Ok(OutputDir {
            target: target.to_path_buf(),
            owner: owner_of(target).unwrap_or_default(),
            staging,
            existing: Existing::Update,
            files: Vec::new(),
        })
    }

    /// Writes one file of the result.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<(), OutputError> {
        let path = self.staging.join(name);
        fs::write(&path, bytes).map_err(io_err(&path))?;
        self.files.push(name.to_string());
        Ok(())
    }

    /// Makes the result visible at the target.
    pub fn commit(mut self) -> Result<PathBuf, OutputError> {
        if let Existing::Update = self.existing {
            // The marker keeps listing the files already there.
            let kept: Vec<String> = listed_files(&self.target)
                .into_iter()
                .filter(|l| !l.is_empty() && !self.files.contains(l))
                .collect();
            self.files.extend(kept);
        }
        self.files.sort();
        let marker = self.staging.join(MARKER);
        let owner_line = if self.owner.is_empty() {
            String::new()
        } else {
            format!("{OWNER_PREFIX}{}\n", self.owner)
        };
        fs::write(&marker, owner_line + &self.files.join("\n") + "\n").map_err(io_err(&marker))?;
        // Look again: files, or another result, may have appeared in the target while the
        // run was writing.
        if let Some(other) = owner_of(&self.target).filter(|o| *o != self.owner)
            && !matches!(self.existing, Existing::Update)
        {
            return Err(OutputError::OtherResult {
                dir: self.target.clone(),
                other,
                owner: self.owner.clone(),
            });
        }
        if let Existing::Replaceable = self.existing
            && !foreign_entries(&self.target)?.is_empty()
        {
            self.existing = Existing::Foreign;
        }
        if let Existing::Foreign = self.existing {
            let listed = listed_files(&self.target);
            for name in &self.files {
                let there = self.target.join(name);
                if there.exists() && !listed.contains(name) {
                    return Err(OutputError::WouldOverwrite(there));
                }
            }
        }
        match self.existing {
            Existing::Nothing => rename(&self.staging, &self.target)?,
            Existing::Replaceable => {
                let old = sibling(&self.target, "old");
                rename(&self.target, &old)?;
                rename(&self.staging, &self.target)?;
                fs::remove_dir_all(&old).map_err(io_err(&old))?;
            }
            Existing::Foreign | Existing::Update => {
                for name in self.files.iter().map(String::as_str).chain([MARKER]) {
                    let staged = self.staging.join(name);
                    if staged.exists() {
                        rename(&staged, &self.target.join(name))?;
                    }
                }
                fs::remove_dir(&self.staging).map_err(io_err(&self.staging))?;
            }
        }
        Ok(self.target.clone())
    }
}

impl Drop for OutputDir {
    /// A result not committed (the run failed) leaves no staging directory behind.
    fn drop(&mut self) {
        if self.staging.exists() {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

fn rename(from: &Path, to: &Path) -> Result<(), OutputError> {
    fs::rename(from, to).map_err(io_err(from))
}

/// `.<name>.nines-<what>-<pid>` beside `target`.
fn sibling(target: &Path, what: &str) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "result".into());
    target.with_file_name(format!(".{name}.nines-{what}-{}", std::process::id()))
}

fn classify(target: &Path) -> Result<Existing, OutputError> {
    match fs::metadata(target) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Existing::Nothing),
        Err(e) => Err(OutputError::Io {
            path: target.to_path_buf(),
            source: e,
        }),
        Ok(m) if !m.is_dir() => Err(OutputError::NotADirectory(target.to_path_buf())),
        Ok(_) if foreign_entries(target)?.is_empty() => Ok(Existing::Replaceable),
        Ok(_) => Ok(Existing::Foreign),
    }
}

/// The files the marker of `dir` lists (none without a marker).
fn listed_files(dir: &Path) -> Vec<String> {
    match fs::read_to_string(dir.join(MARKER)) {
        Ok(text) => text
            .lines()
            .filter(|l| !l.starts_with(OWNER_PREFIX))
            .map(str::to_string)
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The owner the marker of `dir` names, if it has a marker that names one.
fn owner_of(dir: &Path) -> Option<String> {
    let text = fs::read_to_string(dir.join(MARKER)).ok()?;
    let first = text.lines().next()?;
    first.strip_prefix(OWNER_PREFIX).map(str::to_string)
}

/// Entries of `dir` that its marker does not list (every entry when there is no marker).
fn foreign_entries(dir: &Path) -> Result<Vec<String>, OutputError> {
    let listed = listed_files(dir);
    let mut foreign = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type().map_err(io_err(dir))?.is_file();
        let ours = is_file && (name == MARKER || listed.contains(&name));
        if !ours {
            foreign.push(name);
        }
    }
    Ok(foreign)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_result(target: &Path, force: bool, content: &str) -> Result<PathBuf, OutputError> {
        let mut out = OutputDir::prepare(target, force, "run test")?;
        out.write("summary.json", content.as_bytes())?;
        out.commit()
    }

    #[test]
    fn keeps_a_file_that_appeared_during_the_run() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("web");
        write_result(&target, false, "one").unwrap();
        let mut out = OutputDir::prepare(&target, false, "run test").unwrap();
        out.write("summary.json", b"two").unwrap();
        fs::write(target.join("notes.txt"), "mine").unwrap();
        out.commit().unwrap();
        assert_eq!(
            fs::read_to_string(target.join("notes.txt")).unwrap(),
            "mine"
        );
        assert_eq!(
            fs::read_to_string(target.join("summary.json")).unwrap(),
            "two"
        );
    }

    #[test]
    fn force_never_writes_over_a_file_it_did_not_write() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("mine");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("summary.json"), "my own").unwrap();
        let err = write_result(&target, true, "nines").unwrap_err();
        assert!(matches!(err, OutputError::WouldOverwrite(_)), "{err}");
        assert_eq!(
            fs::read_to_string(target.join("summary.json")).unwrap(),
            "my own"
        );
        // The failed result left nothing beside it.
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn refuses_a_target_without_a_name() {
        let err = OutputDir::prepare(Path::new("."), true, "run test")
            .err()
            .unwrap();
        assert!(matches!(err, OutputError::NoName(_)), "{err}");
    }

    #[test]
    fn creates_then_replaces_its_own_result() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("results/web");
        write_result(&target, false, "one").unwrap();
        write_result(&target, false, "two").unwrap();
        assert_eq!(
            fs::read_to_string(target.join("summary.json")).unwrap(),
            "two"
        );
        // Nothing left beside it.
        assert_eq!(fs::read_dir(tmp.path().join("results")).unwrap().count(), 1);
    }

    #[test]
    fn refuses_another_command_or_scenario_even_forced() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("r");
        write_result(&target, false, "one").unwrap();
        for (owner, force) in [("sweep test", false), ("run other", true)] {
            let err = OutputDir::prepare(&target, force, owner).err().unwrap();
            assert!(matches!(err, OutputError::OtherResult { .. }), "{err}");
            assert!(err.to_string().contains("`nines run test`"), "{err}");
        }
        assert_eq!(
            fs::read_to_string(target.join("summary.json")).unwrap(),
            "one"
        );
        // A marker from before owners were recorded is anyone's to replace.
        fs::write(target.join(MARKER), "summary.json\n").unwrap();
        let mut out = OutputDir::prepare(&target, false, "sweep test").unwrap();
        out.write("sweep.csv", b"x").unwrap();
        out.commit().unwrap();
        assert!(!target.join("summary.json").exists());
        assert_eq!(owner_of(&target).as_deref(), Some("sweep test"));
    }

    #[test]
    fn another_result_written_during_the_run_is_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("r");
        let mut out = OutputDir::prepare(&target, false, "run test").unwrap();
        out.write("summary.json", b"mine").unwrap();
        // Another process's sweep lands there meanwhile.
        fs::create_dir(&target).unwrap();
        fs::write(target.join("sweep.csv"), "theirs").unwrap();
        fs::write(target.join(MARKER), "# sweep test\nsweep.csv\n").unwrap();
        let err = out.commit().unwrap_err();
        assert!(matches!(err, OutputError::OtherResult { .. }), "{err}");
        assert_eq!(
            fs::read_to_string(target.join("sweep.csv")).unwrap(),
            "theirs"
        );
    }

    #[test]
    fn refuses_a_directory_with_other_files_unless_forced() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("mine");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("notes.txt"), "precious").unwrap();
        let err = write_result(&target, false, "x").unwrap_err();
        assert!(err.to_string().contains("notes.txt"), "{err}");
        // Forced: written beside the user's file, which survives.
        write_result(&target, true, "x").unwrap();
        assert_eq!(
            fs::read_to_string(target.join("notes.txt")).unwrap(),
            "precious"
        );
        assert_eq!(
            fs::read_to_string(target.join("summary.json")).unwrap(),
            "x"
        );
        // Still not ours alone: a plain rerun is refused again.
        assert!(write_result(&target, false, "y").is_err());
    }

    #[test]
    fn a_file_added_to_a_result_protects_it() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("r");
        write_result(&target, false, "one").unwrap();
        fs::write(target.join("analysis.ipynb"), "mine").unwrap();
        assert!(matches!(
            write_result(&target, false, "two"),
            Err(OutputError::Foreign { .. })
        ));
        assert_eq!(
            fs::read_to_string(target.join("summary.json")).unwrap(),
            "one"
        );
    }

    #[test]
    fn an_update_replaces_its_files_and_keeps_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("r");
        write_result(&target, false, "one").unwrap();
        let mut up = OutputDir::prepare_update(&target).unwrap();
        up.write("report.md", b"# r").unwrap();
        up.commit().unwrap();
        assert_eq!(
            fs::read_to_string(target.join("summary.json")).unwrap(),
            "one"
        );
        assert_eq!(fs::read_to_string(target.join("report.md")).unwrap(), "# r");
        // Both are listed: a plain rerun may still replace the directory.
        write_result(&target, false, "two").unwrap();
        assert!(matches!(
            OutputDir::prepare_update(&tmp.path().join("none")),
            Err(OutputError::NotAResult(_))
        ));
    }

    #[test]
    fn refuses_a_file_in_the_way() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("f");
        fs::write(&target, "x").unwrap();
        assert!(matches!(
            write_result(&target, true, "x"),
            Err(OutputError::NotADirectory(_))
        ));
    }
}
