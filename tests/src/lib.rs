//! Cross-crate integration tests for embody live in `tests/tests/`. This library holds helpers
//! they share.

use std::path::PathBuf;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The Python interpreter that has the peer packages (`$EMBODY_PYTHON`, else `python3`).
pub fn python() -> String {
    std::env::var("EMBODY_PYTHON").unwrap_or_else(|_| "python3".to_string())
}
