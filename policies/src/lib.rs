//! Policies and learning for embody: burn networks, the RL core shared by PPO (and later the
//! H-infinity disturber and GRPO), the PPO trainer and its runner.
//!
//! Layout follows what RL people know: [`nets`] (networks), [`storage`] (rollout buffers),
//! [`algo`] (GAE, losses, KL, normalisers, clipping, schedules, PPO), [`runner`] (the on-policy
//! training loop over a [`sim::env::VecEnv`]).
//!
//! The device (CPU `flex`, or `wgpu` with the `wgpu` feature) is chosen at run time: see
//! [`device`].

pub mod algo;
pub mod checkpoint;
pub mod config;
pub mod device;
mod error;
pub mod nets;
pub mod runner;
pub mod storage;
pub mod tensor_util;

pub use error::PolicyError;
