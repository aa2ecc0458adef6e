//! Rollout storage.

mod rollout;

pub use rollout::{RolloutStorage, StorageError};
