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
}
