//! Atomic file output: write to a temporary file in the target folder, then rename, so a
//! reader never sees half a report or half a cube.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `path` through `fill`, atomically.
pub fn write_with(path: &Path, fill: impl FnOnce(&mut File) -> std::io::Result<()>) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = File::create(&tmp)
        .and_then(|mut file| {
            fill(&mut file)?;
            file.flush()?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path)(e));
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with(path, |file| file.write_all(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_leaves_no_temporary_file() -> Result<()> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out/report.md");
        write_bytes(&path, b"hello")?;
        assert_eq!(std::fs::read(&path).unwrap(), b"hello");
        let entries: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(entries.len(), 1);
        Ok(())
    }

    #[test]
    fn failure_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.md");
        std::fs::write(&path, b"old").unwrap();
        let err = write_with(&path, |_| Err(std::io::Error::other("disk full")));
        assert!(err.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
    }
}
