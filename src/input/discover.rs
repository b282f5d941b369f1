//! Expand the PATH arguments: files as given, directories walked recursively (hidden entries
//! skipped, sorted by name so runs are reproducible), `-` for standard input.

use std::path::{Path, PathBuf};

/// One input stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Standard input.
    Stdin,
    /// A file on disk.
    File(PathBuf),
}

impl Input {
    /// The name used in reports and `source` references.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_string(),
            Input::File(p) => p.display().to_string(),
        }
    }
}

/// A path that could not be listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoverError {
    /// The path.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

fn is_hidden(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

/// Which files found in directories are read (`--include`, `--exclude`); files named on the
/// command line always are. A glob without `/` matches the file name, one with `/` the path
/// under the directory walked (globset, as ripgrep and fd use).
#[derive(Clone, Debug, Default)]
pub struct FileFilter {
    include: Option<(globset::GlobSet, globset::GlobSet)>,
    exclude: Option<(globset::GlobSet, globset::GlobSet)>,
}

/// (globs matched against the name, globs matched against the relative path)
fn glob_sets(
    globs: &[String],
    flag: &str,
) -> Result<Option<(globset::GlobSet, globset::GlobSet)>, String> {
    if globs.is_empty() {
        return Ok(None);
    }
    let (mut names, mut paths) = (
        globset::GlobSetBuilder::new(),
        globset::GlobSetBuilder::new(),
    );
    for g in globs {
        let glob = globset::GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("{flag} `{g}`: {e}"))?;
        if g.contains('/') {
            paths.add(glob);
        } else {
            names.add(glob);
        }
    }
    let build = |b: globset::GlobSetBuilder| b.build().map_err(|e| format!("{flag}: {e}"));
    Ok(Some((build(names)?, build(paths)?)))
}

impl FileFilter {
    /// The filter of `--include` and `--exclude` globs; an invalid glob is an error naming it.
    pub fn new(include: &[String], exclude: &[String]) -> Result<FileFilter, String> {
        Ok(FileFilter {
            include: glob_sets(include, "--include")?,
            exclude: glob_sets(exclude, "--exclude")?,
        })
    }

    fn matches(sets: &(globset::GlobSet, globset::GlobSet), rel: &Path) -> bool {
        rel.file_name().is_some_and(|n| sets.0.is_match(n)) || sets.1.is_match(rel)
    }

    /// Whether a file found at `rel` under a walked directory is read.
    pub fn keeps(&self, rel: &Path) -> bool {
        if self.exclude.as_ref().is_some_and(|s| Self::matches(s, rel)) {
            return false;
        }
        self.include.as_ref().is_none_or(|s| Self::matches(s, rel))
    }
}

/// What [`discover`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Discovered {
    /// The inputs, in order (directories walked sorted by name), each file once.
    pub inputs: Vec<Input>,
    /// For each input, whether it was found by walking a directory (not named itself): such a
    /// file is passed over, with a note, when it turns out not to be an access log.
    pub from_folder: Vec<bool>,
    /// Paths that could not be listed or read.
    pub errors: Vec<DiscoverError>,
    /// What was passed over, one line each: FIFOs, sockets and devices met in a directory
    /// (named explicitly they are read as streams), files reached twice.
    pub notes: Vec<String>,
}

impl Discovered {
    fn push_file(
        &mut self,
        p: PathBuf,
        seen: &mut std::collections::HashSet<PathBuf>,
        from_folder: bool,
    ) {
        // The same file named twice, or reached through a folder and by name, is read once.
        let canonical = std::fs::canonicalize(&p).unwrap_or_else(|_| p.clone());
        if seen.insert(canonical) {
            self.inputs.push(Input::File(p));
            self.from_folder.push(from_folder);
        } else {
            self.notes.push(format!(
                "{}: already among the inputs, read once",
                p.display()
            ));
        }
    }
}

fn walk(
    root: &Path,
    dir: &Path,
    filter: &FileFilter,
    found: &mut Discovered,
    seen: &mut std::collections::HashSet<PathBuf>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            found.errors.push(DiscoverError {
                path: dir.display().to_string(),
                message: format!("cannot list directory: {e}"),
            });
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !is_hidden(p))
        .collect();
    paths.sort();
    for p in paths {
        // symlink_metadata: a link to a directory is not followed (no cycles); a link to a file is read.
        let kept = |p: &Path| filter.keeps(p.strip_prefix(root).unwrap_or(p));
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => walk(root, &p, filter, found, seen),
            Ok(_) if !kept(&p) => {}
            Ok(m) if m.file_type().is_symlink() => {
                if std::fs::metadata(&p).is_ok_and(|m| m.is_file()) {
                    found.push_file(p, seen, true);
                }
            }
            Ok(m) if m.is_file() => found.push_file(p, seen, true),
            // A FIFO would block the run forever, a device read without end.
            Ok(_) => found.notes.push(format!(
                "{}: not a regular file (FIFO, socket or device), skipped; name it to read it as a stream",
                p.display()
            )),
            Err(e) => found.errors.push(DiscoverError {
                path: p.display().to_string(),
                message: e.to_string(),
            }),
        }
    }
}

/// Expand PATH arguments into inputs, every file in the directories they name.
pub fn discover(paths: &[String]) -> Discovered {
    discover_filtered(paths, &FileFilter::default())
}

/// Expand PATH arguments into inputs, keeping the files in directories that `filter` keeps. An
/// empty list means standard input.
pub fn discover_filtered(paths: &[String], filter: &FileFilter) -> Discovered {
    let mut found = Discovered::default();
    if paths.is_empty() {
        found.inputs.push(Input::Stdin);
        found.from_folder.push(false);
        return found;
    }
    let mut seen = std::collections::HashSet::new();
    for p in paths {
        if p == "-" {
            found.inputs.push(Input::Stdin);
            found.from_folder.push(false);
            continue;
        }
        let path = PathBuf::from(p);
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => walk(&path, &path, filter, &mut found, &mut seen),
            Ok(_) => found.push_file(path, &mut seen, false),
            Err(e) => found.errors.push(DiscoverError {
                path: p.clone(),
                message: e.to_string(),
            }),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_and_skips_hidden() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        std::fs::write(dir.path().join("b.log"), "x").expect("write");
        std::fs::write(dir.path().join("a.log.gz"), "x").expect("write");
        std::fs::write(dir.path().join(".hidden"), "x").expect("write");
        std::fs::write(dir.path().join("sub/c.log"), "x").expect("write");
        let found = discover(&[
            dir.path().display().to_string(),
            "/nonexistent/x".to_string(),
            dir.path().join("b.log").display().to_string(),
        ]);
        let (inputs, errors) = (found.inputs, found.errors);
        assert_eq!(found.notes.len(), 1, "b.log named again: {:?}", found.notes);
        let names: Vec<String> = inputs
            .iter()
            .map(|i| i.name().rsplit('/').next().expect("name").to_string())
            .collect();
        assert_eq!(names, ["a.log.gz", "b.log", "c.log"]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, "/nonexistent/x");
        assert_eq!(discover(&[]).inputs, vec![Input::Stdin]);
    }
}
