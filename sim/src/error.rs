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
