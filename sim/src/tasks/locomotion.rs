//! Velocity-command locomotion in the manner of legged_gym: a legged robot follows forward,
//! lateral and yaw-rate commands, with legged_gym's reward terms, observation noise, friction
//! randomisation and random pushes.

mod config;
mod env;
mod rewards;

pub use config::{CommandRanges, LocomotionConfig, NoiseScales, RewardScales};
pub use env::LocomotionEnv;
pub use rewards::{RewardInputs, RewardTerms};
