//! The maze: a hard-exploration task for Go-Explore (Ecoffet et al. 2019/2021). A legged robot
//! must find the exit of a seeded maze ([`crate::confined::MazeSpec`]: dead ends, some
//! corridors under a low ceiling) and is rewarded only there.
//!
//! The robot walks with a learned skill, the confined-navigation waypoint follower, run inside
//! the env: each maze step chooses a direction in the world frame, which becomes waypoints
//! (with the base height the ceiling above them allows) that the follower walks along for
//! `skill_steps` control steps. Exploring, training and evaluating all see that step.

mod config;
mod env;
mod skill;
#[cfg(test)]
mod tests;

pub use config::MazeConfig;
pub use env::{MAZE_CELL_FEATURES, MazeEnv, MazeSnapshot};
pub use skill::Skill;
