//! The one error type of the `robots` crate.

use std::path::PathBuf;

/// Everything that can go wrong while reading a robot description.
///
/// Every variant names the file it came from and, where there is one, the element (link, joint,
/// key) at fault, so a user can fix the input without reading our code.
#[derive(Debug, thiserror::Error)]
pub enum RobotError {
    /// The file could not be read at all.
    #[error("{path}: cannot read file: {source}")]
    Io {
        /// The file we tried to read.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The URDF is not well-formed XML or does not follow the URDF schema.
    #[error("{path}: malformed URDF: {message}")]
    Parse {
        /// The URDF file (or `<string>` when parsed from memory).
        path: PathBuf,
        /// What the XML/URDF parser reported.
        message: String,
    },
    /// The URDF parsed but describes something that cannot be a robot.
    #[error("{path}: {element}: {message}")]
    Invalid {
        /// The URDF file.
        path: PathBuf,
        /// The element at fault, e.g. `joint 'FL_hip_joint'` or `link 'base'`.
        element: String,
        /// What is wrong with it.
        message: String,
    },
    /// A JSON file (DeepMimic character, controller or motion clip) is not valid JSON or lacks
    /// a required key.
    #[error("{path}: malformed JSON: {message}")]
    Json {
        /// The JSON file.
        path: PathBuf,
        /// What the JSON parser reported, with line and column.
        message: String,
    },
    /// The robot's TOML configuration is wrong.
    #[error("{path}: {key}: {message}")]
    Config {
        /// The TOML file.
        path: PathBuf,
        /// The key at fault (dotted path), or `<file>` for a syntax error.
        key: String,
        /// What is wrong with it.
        message: String,
    },
}

impl RobotError {
    pub(crate) fn invalid(
        path: &std::path::Path,
        element: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::Invalid {
            path: path.to_path_buf(),
            element: element.into(),
            message: message.into(),
        }
    }

    pub(crate) fn config(
        path: &std::path::Path,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::Config {
            path: path.to_path_buf(),
            key: key.into(),
            message: message.into(),
        }
    }
}
