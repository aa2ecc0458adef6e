//! Writing a file so that a crash never leaves it half written.

use crate::PolicyError;
use std::path::Path;

fn file_err(path: &Path, message: impl std::fmt::Display) -> PolicyError {
    PolicyError::File {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PolicyError> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(|e| file_err(&tmp, e))?;
    f.write_all(bytes).map_err(|e| file_err(&tmp, e))?;
    f.sync_all().map_err(|e| file_err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| file_err(path, e))
}
