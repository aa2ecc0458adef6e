//! Tasks: what a robot is asked to do, as [`crate::env::Env`] implementations.

pub mod aloha_grasp;
pub mod bimanual;
pub mod cartpole;
pub mod confined_nav;
pub mod handover;
pub mod imitate;
pub mod locomotion;
pub mod maze;
pub mod pendulum;
pub mod shadow_grasp;
pub mod stand;
