//! Policies and learning for embody: burn networks, the RL core shared by PPO (and later the
//! H-infinity disturber and GRPO), the PPO trainer and its runner, and the deploy runtime.
//!
//! Layout follows what RL people know: [`nets`] (networks), [`storage`] (rollout buffers),
//! [`algo`] (GAE, losses, KL, normalisers, clipping, schedules, PPO), [`runner`] (the on-policy
//! training loop over a `sim::env::VecEnv`), [`deploy`] (checkpoint -> action, no training deps).
//!
//! Everything but [`deploy`] sits behind the default `train` feature (burn, the simulator): a
//! robot-side binary depends on this crate with `default-features = false` and links only the
//! deploy runtime.
//!
//! The device (CPU `flex`, or `wgpu` with the `wgpu` feature) is chosen at run time: see
//! `device`.

#[cfg(feature = "train")]
pub mod algo;
#[cfg(feature = "train")]
pub mod checkpoint;
#[cfg(feature = "train")]
pub mod config;
pub mod deploy;
#[cfg(feature = "train")]
pub mod device;
#[cfg(feature = "train")]
pub mod dist;
mod error;
pub mod manifest;
#[cfg(feature = "train")]
pub mod nets;
#[cfg(feature = "train")]
pub mod runner;
#[cfg(feature = "train")]
pub mod storage;
#[cfg(feature = "train")]
pub mod tensor_util;

pub use error::PolicyError;
