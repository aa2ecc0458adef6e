//! The one error type of `embody_ros`.

use std::path::PathBuf;

/// Errors from loading node configuration, checkpoints and robots.
#[derive(Debug, thiserror::Error)]
pub enum RosError {
    /// A configuration value is invalid; `key` is its dotted path in the YAML file.
    #[error("{path}: {key}: {message}")]
    Config {
        /// The YAML file.
        path: PathBuf,
        /// Dotted key, e.g. `safety.max_tilt_deg`.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The checkpoint does not fit the robot configuration.
    #[error("checkpoint vs config: {0}")]
    Mismatch(String),
    /// The deploy runtime failed.
    #[error(transparent)]
    Policy(#[from] policies::PolicyError),
    /// The robot description could not be loaded.
    #[error(transparent)]
    Robot(#[from] robots::RobotError),
    /// A ROS 2 (rcl) call failed.
    #[cfg(feature = "ros")]
    #[error("ros: {0}")]
    Ros(#[from] r2r::Error),
}
