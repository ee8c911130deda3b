//! The Parquet files of a data set: one file, or a directory of part files as Spark, DuckDB and
//! DataFusion write them, with the Hive-style `key=value` folder names that carry a column.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One Parquet file of a data set and the partition columns its folders name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// The file.
    pub path: PathBuf,
    /// `(column, value)` for each `column=value` folder between the data set's root and the file,
    /// outermost first; `None` for Hive's `__HIVE_DEFAULT_PARTITION__` (a null).
    pub partition: Vec<(String, Option<String>)>,
}

/// The Parquet files of `path`: the file itself, or every Parquet file under a directory in path
/// order, without the `_SUCCESS`, `_temporary`, `_common_metadata` and hidden `.crc` files the
/// writers leave beside them. A file counts when its name ends in `.parquet` or it starts with
/// Parquet's magic bytes (Hadoop part files have no extension).
///
/// ```
/// # fn main() -> retention::Result<()> {
/// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
/// let root = dir.path().join("orders");
/// # let io = |e| retention::Error::io("writing", e);
/// std::fs::create_dir_all(root.join("country=DE")).map_err(io)?;
/// std::fs::write(root.join("country=DE/part-0.parquet"), b"PAR1").map_err(io)?;
/// std::fs::write(root.join("_SUCCESS"), b"").map_err(io)?;
/// std::fs::write(root.join("country=DE/.part-0.parquet.crc"), b"").map_err(io)?;
/// let parts = retention::lake::parts(&root)?;
/// assert_eq!(parts.len(), 1);
/// assert_eq!(parts[0].partition, vec![("country".to_string(), Some("DE".to_string()))]);
/// # Ok(()) }
/// ```
pub fn parts(path: &Path) -> Result<Vec<Part>> {
    if !path.is_dir() {
        if !path.exists() {
            return Err(Error::io(format!("reading {}", path.display()), std::io::ErrorKind::NotFound.into()));
        }
        return Ok(vec![Part { path: path.to_path_buf(), partition: Vec::new() }]);
    }
    let mut files = Vec::new();
    let mut pending = vec![(path.to_path_buf(), Vec::new())];
    while let Some((dir, partition)) = pending.pop() {
        let context = || format!("listing {}", dir.display());
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| Error::io(context(), e))?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<std::io::Result<_>>()
            .map_err(|e| Error::io(context(), e))?;
        entries.sort();
        for entry in entries {
            let name = entry.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if name.starts_with('_') || name.starts_with('.') || name.ends_with(".crc") {
                continue;
            }
            if entry.is_dir() {
                let mut inner: Vec<(String, Option<String>)> = partition.clone();
                if let Some((key, value)) = name.split_once('=') {
                    inner.push((unescape(key), (value != "__HIVE_DEFAULT_PARTITION__").then(|| unescape(value))));
                }
                pending.push((entry, inner));
            } else if name.ends_with(".parquet") || has_magic(&entry) {
                files.push(Part { path: entry, partition: partition.clone() });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    if files.is_empty() {
        return Err(Error::InputFormat {
            source_name: path.display().to_string(),
            reason: "no Parquet files in this directory".into(),
        });
    }
    Ok(files)
}

fn has_magic(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == b"PAR1"
}

/// Whether `path` is Parquet: a directory (of part files) or a file starting with the magic bytes.
pub fn is_parquet(path: &Path) -> bool {
    path.is_dir() || has_magic(path)
}

/// Hive escapes `/`, `=`, `%` and other specials in folder names as `%XX`.
fn unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hive_names_are_unescaped() {
        assert_eq!(unescape("a%3Db%2Fc"), "a=b/c");
        assert_eq!(unescape("100%"), "100%");
        assert_eq!(unescape("2024-01-01 10%3A00%3A00"), "2024-01-01 10:00:00");
    }

    #[test]
    fn a_directory_without_parquet_files_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("README.txt"), b"not data").unwrap();
        let e = parts(dir.path()).unwrap_err().to_string();
        assert!(e.contains("no Parquet files"), "{e}");
        let nested = dir.path().join("day=2024-01-01/region=__HIVE_DEFAULT_PARTITION__");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(nested.join("part-00000"), b"PAR1....PAR1").unwrap();
        let found = parts(dir.path()).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].partition, vec![("day".into(), Some("2024-01-01".into())), ("region".into(), None)]);
    }
}
