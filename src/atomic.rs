//! Whole-file writes that appear only when complete: the data goes to a temporary file beside the
//! target, which is synced and renamed over it, so a crash or an error leaves the old file (or
//! none), never half of a new one.

use std::fs::File;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `path` through `fill`, which gets the temporary file; replaces `path` only if `fill`
/// succeeds. The result has the old file's permissions, or those of an ordinary file (0644), not
/// the temporary file's private 0600.
pub fn write_atomically(path: &Path, fill: impl FnOnce(&File) -> Result<()>) -> Result<()> {
    let what = || format!("writing {}", path.display());
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(what(), e))?;
    fill(tmp.as_file())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode());
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(mode)).map_err(|e| Error::io(what(), e))?;
    }
    tmp.as_file().sync_all().map_err(|e| Error::io(what(), e))?;
    tmp.persist(path).map_err(|e| Error::io(what(), e.error))?;
    Ok(())
}
