//! The RL core: written once, used by PPO, the H-infinity disturber and GRPO.

mod algorithm;
mod gae;
mod grad_clip;
mod kl;
mod lagrange;
mod losses;
mod normalizer;
mod ppo;
mod schedule;

pub use algorithm::{Algorithm, RolloutSettings};
pub use gae::compute_gae;
pub use grad_clip::clip_global_norm;
pub use kl::kl_k3;
pub use lagrange::LagrangeMultiplier;
pub use losses::{clipped_surrogate_loss, value_loss};
pub use normalizer::{RunningMeanStd, normalize_batch, normalize_groups};
pub use ppo::{Ppo, PpoConfig, UpdateStats};
pub use schedule::{LrSchedule, LrScheduleKind};
