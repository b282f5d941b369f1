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

fn walk(dir: &Path, out: &mut Vec<Input>, errors: &mut Vec<DiscoverError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(DiscoverError {
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
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => walk(&p, out, errors),
            Ok(m) if m.file_type().is_symlink() => {
                if std::fs::metadata(&p).is_ok_and(|m| m.is_file()) {
                    out.push(Input::File(p));
                }
            }
            Ok(_) => out.push(Input::File(p)),
            Err(e) => errors.push(DiscoverError {
                path: p.display().to_string(),
                message: e.to_string(),
            }),
        }
    }
}

/// Expand PATH arguments into inputs. An empty list means standard input.
pub fn discover(paths: &[String]) -> (Vec<Input>, Vec<DiscoverError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    if paths.is_empty() {
        return (vec![Input::Stdin], errors);
    }
    for p in paths {
        if p == "-" {
            out.push(Input::Stdin);
            continue;
        }
        let path = PathBuf::from(p);
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => walk(&path, &mut out, &mut errors),
            Ok(_) => out.push(Input::File(path)),
            Err(e) => errors.push(DiscoverError {
                path: p.clone(),
                message: e.to_string(),
            }),
        }
    }
    (out, errors)
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
        let (inputs, errors) = discover(&[
            dir.path().display().to_string(),
            "/nonexistent/x".to_string(),
        ]);
        let names: Vec<String> = inputs
            .iter()
            .map(|i| i.name().rsplit('/').next().expect("name").to_string())
            .collect();
        assert_eq!(names, ["a.log.gz", "b.log", "c.log"]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, "/nonexistent/x");
        assert_eq!(discover(&[]).0, vec![Input::Stdin]);
    }
}
