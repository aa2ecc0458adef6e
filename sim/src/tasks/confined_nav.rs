//! Confined-space navigation (after Xu et al., ICRA 2024): a legged robot crosses a confined
//! world ([`crate::confined`]) to a goal. The hierarchical policy follows the planner's
//! waypoints (position and body height) with joint commands; the end-to-end baseline sees the
//! goal only. Both observe the locomotion task's proprioception, gait phase and height scan
//! (so they fine-tune from a walking policy), then the next waypoints in the heading frame, the
//! goal, and a ceiling scan; the command slot carries the pure-pursuit velocity along the path,
//! which is also what the velocity-skill baseline walks on.

mod config;
mod env;
mod pursuit;
#[cfg(test)]
mod tests;

pub use config::{CeilingScan, ConfinedNavConfig, NavRewards, PursuitConfig, Strategy};
pub use env::{ConfinedNavEnv, ConfinedNavSnapshot, GOAL_OBS, NavEpisode, WAYPOINT_OBS};
pub use pursuit::{command_towards, point_ahead, wrap_angle};
