//! Whole-file writes that appear only when complete: the data goes to a temporary file beside the
//! target, which is synced and renamed over it, so a crash or an error leaves the old file (or
//! none), never half of a new one.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file being written that replaces `path` only when [`AtomicFile::commit`] is called; dropped
/// without it, the temporary file is removed and `path` is untouched.
///
/// ```
/// use std::io::Write;
/// # fn main() -> retention::Result<()> {
/// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
/// let path = dir.path().join("list.csv");
/// let file = retention::AtomicFile::create(&path)?;
/// file.file().write_all(b"customer\nann\n").map_err(|e| retention::Error::io("writing", e))?;
/// assert!(!path.exists());
/// file.commit()?;
/// assert_eq!(std::fs::read(&path).map_err(|e| retention::Error::io("reading", e))?, b"customer\nann\n");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct AtomicFile {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl AtomicFile {
    /// Creates the temporary file beside `path`.
    pub fn create(path: &Path) -> Result<AtomicFile> {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let tmp =
            tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        Ok(AtomicFile { tmp, path: path.to_path_buf() })
    }

    /// The temporary file to write.
    pub fn file(&self) -> &File {
        self.tmp.as_file()
    }

    /// The file it will become.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Syncs the file and renames it over the target. The result has the old file's permissions,
    /// or those of an ordinary file (0644), not the temporary file's private 0600.
    pub fn commit(self) -> Result<()> {
        let what = || format!("writing {}", self.path.display());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&self.path).map_or(0o644, |m| m.permissions().mode());
            self.tmp
                .as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode))
                .map_err(|e| Error::io(what(), e))?;
        }
        self.tmp.as_file().sync_all().map_err(|e| Error::io(what(), e))?;
        self.tmp.persist(&self.path).map_err(|e| Error::io(what(), e.error))?;
        Ok(())
    }
}

/// Writes `path` through `fill`, which gets the temporary file; replaces `path` only if `fill`
/// succeeds (see [`AtomicFile`]).
pub fn write_atomically(path: &Path, fill: impl FnOnce(&File) -> Result<()>) -> Result<()> {
    let file = AtomicFile::create(path)?;
    fill(file.file())?;
    file.commit()
}
