//! The one error type of the `policies` crate.

use std::path::PathBuf;

/// Errors from configuring, training, checkpointing or running a policy.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A configuration value is invalid; `key` is its dotted path.
    #[error("config {key}: {message}")]
    Config {
        /// Dotted key, e.g. `ppo.learning_rate`.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The requested compute device is not available in this build or on this machine.
    #[error("device '{name}': {message}")]
    Device {
        /// The name asked for.
        name: String,
        /// Why it is unavailable.
        message: String,
    },
    /// A buffer handed to the deploy runtime has the wrong length.
    #[error("{what}: expected {expected} values, got {got}")]
    Length {
        /// What the buffer holds.
        what: String,
        /// The length the policy needs.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// The simulator failed.
    #[cfg(feature = "train")]
    #[error(transparent)]
    Sim(#[from] sim::SimError),
    /// A rollout did not fit its storage (a buffer of the wrong length, or a full storage).
    #[cfg(feature = "rl")]
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
}

impl PolicyError {
    #[cfg_attr(not(feature = "rl"), allow(dead_code))]
    pub(crate) fn config(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Config {
            key: key.into(),
            message: message.into(),
        }
    }

    /// The same error with a config key put under `prefix` (`ppo.gamma` -> `agents.x.ppo.gamma`).
    #[cfg_attr(not(feature = "train"), allow(dead_code))]
    pub(crate) fn prefix_key(self, prefix: &str) -> Self {
        match self {
            Self::Config { key, message } => Self::Config {
                key: format!("{prefix}.{key}"),
                message,
            },
            other => other,
        }
    }
}
