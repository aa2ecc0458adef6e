//! Rollout storage.

mod cost;
mod rollout;

pub use cost::{ConstraintStats, CostChannel};

pub use rollout::{RolloutStorage, StorageError};
