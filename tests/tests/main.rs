//! Cross-crate integration tests, one binary: each module is one property of the stack.

mod deploy_parity;
mod determinism;
mod disturber;
mod learning;
mod locomotion;
mod mjcf_vs_mujoco;
mod snapshot;
mod standing;
