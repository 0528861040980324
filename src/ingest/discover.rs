//! Input discovery: turns the paths a user gives (files, directories walked recursively,
//! globs) into a sorted, de-duplicated list of data files with their Hive partition values.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};

/// One data file to load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputFile {
    pub path: PathBuf,
    pub size: u64,
    /// `key=value` directory names on the way to the file, e.g. `BILLING_PERIOD=2025-10`.
    pub partitions: Vec<(String, String)>,
}

impl InputFile {
    /// The value of a Hive partition key (case-insensitive), if the path has one.
    pub fn partition(&self, key: &str) -> Option<&str> {
        self.partitions
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The billing period named by the path (`BILLING_PERIOD=2025-10`, or `year=2025/month=10`).
    pub fn partition_billing_period(&self) -> Option<(i32, u32)> {
        if let Some(period) = self.partition("BILLING_PERIOD") {
            let (y, m) = period.split_once('-')?;
            return Some((y.parse().ok()?, m.parse().ok()?));
        }
        let year = self.partition("year")?.parse().ok()?;
        let month = self.partition("month")?.parse().ok()?;
        Some((year, month))
    }
}

/// Expands `inputs` into data files. Directories are walked recursively and keep only
/// files that look like data (`.parquet`, `.csv`, `.gz`, `.txt`); a file named explicitly is
/// always taken. Globs (`*`, `?`, `[`) are expanded. The result is sorted by path.
pub fn discover(inputs: &[PathBuf]) -> Result<Vec<InputFile>> {
    if inputs.is_empty() {
        return Err(Error::NoInput(
            "give at least one file, directory or glob".into(),
        ));
    }
    let mut paths = BTreeSet::new();
    for input in inputs {
        let mut found = BTreeSet::new();
        expand(input, &mut found)?;
        if found.is_empty() {
            return Err(Error::NoInput(format!(
                "{}: no data files (.parquet, .csv, .csv.gz, .gz) found",
                input.display()
            )));
        }
        paths.append(&mut found);
    }
    paths.into_iter().map(|p| describe(&p)).collect()
}

fn expand(input: &Path, out: &mut BTreeSet<PathBuf>) -> Result<()> {
    let text = input.to_string_lossy();
    if !input.exists() && text.contains(['*', '?', '[']) {
        let pattern = glob::glob(&text)
            .map_err(|e| Error::NoInput(format!("{text}: bad glob pattern: {e}")))?;
        for entry in pattern {
            let path =
                entry.map_err(|e| Error::io(e.path())(std::io::Error::other(e.to_string())))?;
            if path.is_dir() {
                walk(&path, out)?;
            } else if looks_like_data(&path) {
                out.insert(path);
            }
        }
        return Ok(());
    }
    let meta = std::fs::metadata(input).map_err(Error::io(input))?;
    if meta.is_dir() {
        walk(input, out)
    } else {
        out.insert(input.to_path_buf());
        Ok(())
    }
}

fn walk(dir: &Path, out: &mut BTreeSet<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(Error::io(dir))?;
    for entry in entries {
        let path = entry.map_err(Error::io(dir))?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(['.', '_']));
        if hidden {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else if looks_like_data(&path) {
            out.insert(path);
        }
    }
    Ok(())
}

fn looks_like_data(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    [".parquet", ".csv", ".gz", ".txt"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

fn describe(path: &Path) -> Result<InputFile> {
    let size = std::fs::metadata(path).map_err(Error::io(path))?.len();
    let partitions = path
        .parent()
        .map(|dir| {
            dir.components()
                .filter_map(|c| {
                    let c = c.as_os_str().to_string_lossy();
                    let (k, v) = c.split_once('=')?;
                    Some((k.to_string(), v.to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(InputFile {
        path: path.to_path_buf(),
        size,
        partitions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_directories_and_reads_partitions() -> Result<()> {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("BILLING_PERIOD=2025-10");
        std::fs::create_dir_all(&part).unwrap();
        std::fs::write(part.join("part-00000.snappy.parquet"), b"x").unwrap();
        std::fs::write(part.join("manifest.json"), b"{}").unwrap();
        std::fs::write(part.join("_SUCCESS"), b"").unwrap();
        let older = dir.path().join("year=2025").join("month=9");
        std::fs::create_dir_all(&older).unwrap();
        std::fs::write(older.join("cur.csv.gz"), b"x").unwrap();

        let files = discover(&[dir.path().to_path_buf()])?;
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].partition_billing_period(), Some((2025, 10)));
        assert_eq!(files[1].partition_billing_period(), Some((2025, 9)));
        Ok(())
    }

    #[test]
    fn expands_globs_and_deduplicates() -> Result<()> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.csv"), b"x").unwrap();
        std::fs::write(dir.path().join("b.csv"), b"x").unwrap();
        let glob = dir.path().join("*.csv");
        let files = discover(&[glob, dir.path().join("a.csv")])?;
        assert_eq!(files.len(), 2);
        Ok(())
    }

    #[test]
    fn empty_directory_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = discover(&[dir.path().to_path_buf()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("no data files"), "{err}");
    }
}
