//! The one error type of the `sim` crate.

/// Errors from building or driving a simulation.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The robot description could not be loaded.
    #[error(transparent)]
    Robot(#[from] robots::RobotError),
    /// A buffer or vector had the wrong length.
    #[error("{what}: expected {expected} values, got {got}")]
    Length {
        /// Which input.
        what: String,
        /// Expected length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// A body index was out of range.
    #[error("body index {index} out of range: the robot has {count} bodies")]
    BodyIndex {
        /// The index asked for.
        index: usize,
        /// Number of bodies.
        count: usize,
    },
    /// A configuration value is out of its valid range.
    #[error("{key}: {message}")]
    Config {
        /// The key at fault.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read, or its content is wrong (the message names the key or line).
    #[error("{}: {message}", path.display())]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        message: String,
    },
    /// No gamepad can be read (no udev, no `/dev/input`, nothing connected).
    #[error("gamepad: {0}")]
    Gamepad(String),
    /// A Rerun recording could not be created or written.
    #[error("rerun: {0}")]
    Rerun(String),
}

impl SimError {
    /// The same error located in `path` (a config error becomes a file error naming the key).
    pub fn in_file(self, path: &std::path::Path) -> Self {
        match self {
            Self::Config { key, message } => Self::File {
                path: path.to_path_buf(),
                message: format!("{key}: {message}"),
            },
            other => other,
        }
    }
}

/// Reads the text file at `path` and parses it with `other` when its extension is `ext`
/// (case-insensitive), with `default` otherwise; errors name the file (and the key).
pub(crate) fn load_by_extension<T>(
    path: &std::path::Path,
    ext: &str,
    other: impl FnOnce(&str) -> Result<T, SimError>,
    default: impl FnOnce(&str) -> Result<T, SimError>,
) -> Result<T, SimError> {
    let text = std::fs::read_to_string(path).map_err(|e| SimError::File {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let matches = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(ext));
    let parsed = if matches {
        other(&text)
    } else {
        default(&text)
    };
    parsed.map_err(|e| e.in_file(path))
}

/// Parses TOML text into `T`; the error names the key at fault (`corridors[0].width`).
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, SimError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| SimError::Config {
        key: "<toml>".into(),
        message: e.message().to_string(),
    })?;
    serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| SimError::Config {
        key: e.path().to_string(),
        message: e.inner().message().to_string(),
    })
}
