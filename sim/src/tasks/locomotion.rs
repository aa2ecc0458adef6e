//! Velocity-command locomotion in the manner of legged_gym: a legged robot follows forward,
//! lateral and yaw-rate commands, with legged_gym's reward terms, observation noise, friction
//! randomisation, random pushes and a terrain curriculum.

mod config;
mod curriculum;
mod disturber;
mod env;
mod eval_sets;
mod height_scan;
mod mirror;
mod rewards;

pub use config::{CommandRanges, LocomotionConfig, NoiseScales, RewardScales};
pub use curriculum::{CommandCurriculum, TerrainCurriculum, TerrainProportions, TerrainType};
pub use disturber::{
    Disturber, DisturberConfig, DisturberKind, DisturberState, GRAVITY, cost, cost_bound,
    force_cap, hinf_force,
};
pub use env::{DISTURBER_AGENT, LocomotionEnv, LocomotionSnapshot};
pub use eval_sets::{EVAL_SET_NAMES, eval_terrain_by_label, eval_terrain_label, eval_terrains};
pub use height_scan::{GroundQuery, HeightScan};
pub use mirror::locomotion_mirror;
pub use rewards::{RewardInputs, RewardTerms};

/// Entries of the locomotion task's privileged critic observation
/// (`LocomotionConfig::privileged_critic`): true base linear and angular velocity, gravity,
/// base height above the ground.
pub const PRIVILEGED_DIM: usize = 10;
