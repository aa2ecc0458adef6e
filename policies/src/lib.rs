//! Policies and learning for embody: burn networks, the RL core shared by PPO (and later the
//! H-infinity disturber and GRPO), the PPO trainer and its runner, and the deploy runtime.
//!
//! Layout follows what RL people know: [`nets`] (networks), [`dist`] (action distributions),
//! [`storage`] (rollout buffers), [`algo`] (GAE, losses, KL, normalisers, clipping, schedules,
//! PPO), [`runner`] (the on-policy training loop over a `sim::env::VecEnv`), [`checkpoint`] and
//! [`manifest`] (what a run saves), [`deploy`] (checkpoint -> action, no training deps).
//!
//! Three builds, by cargo feature:
//! - no features: the deploy runtime and the manifest only (a robot-side binary: the ROS 2
//!   policy node depends on this crate with `default-features = false`);
//! - `rl`: the RL core without the simulator (burn, no Rapier): networks, distributions,
//!   storage, GAE, losses, KL, normalisers, clipping, schedules and PPO's update. Language-model
//!   training (GRPO) builds on this;
//! - `train` (default): `rl` plus the simulator, the runner, configs and checkpoints.
//!
//! The device (CPU `flex`, or `wgpu` with the `wgpu` feature) is chosen at run time: see
//! `device`.

#[cfg(feature = "rl")]
pub mod algo;
pub mod atomic_file;
#[cfg(feature = "train")]
pub mod checkpoint;
#[cfg(feature = "rl")]
pub mod collective;
#[cfg(feature = "train")]
pub mod config;
pub mod deploy;
#[cfg(feature = "rl")]
pub mod device;
#[cfg(feature = "rl")]
pub mod dist;
mod error;
#[cfg(feature = "train")]
pub mod explore;
#[cfg(feature = "rl")]
pub mod lm;
pub mod manifest;
#[cfg(feature = "rl")]
pub mod memory;
#[cfg(feature = "rl")]
pub mod nets;
pub mod overrides;
#[cfg(feature = "train")]
pub mod runner;
#[cfg(feature = "rl")]
pub mod storage;
#[cfg(feature = "rl")]
pub mod tensor_util;

pub use error::PolicyError;
