//! Settings of the locomotion task (TOML, `[env]` of `assets/configs/locomotion.toml`).

use super::curriculum::{CommandCurriculum, TerrainCurriculum};
use super::height_scan::HeightScan;
use crate::error::SimError;
use crate::physics::PhysicsConfig;
use crate::terrain::TerrainKind;
use serde::{Deserialize, Serialize};

/// Ranges commands are drawn from (uniform).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CommandRanges {
    /// Forward velocity (m/s).
    pub lin_vel_x: [f32; 2],
    /// Lateral velocity (m/s).
    pub lin_vel_y: [f32; 2],
    /// Yaw rate (rad/s).
    pub ang_vel_yaw: [f32; 2],
}

impl Default for CommandRanges {
    fn default() -> Self {
        Self {
            lin_vel_x: [-1.0, 1.0],
            lin_vel_y: [-1.0, 1.0],
            ang_vel_yaw: [-1.0, 1.0],
        }
    }
}

/// Reward weights (legged_gym's names and A1 values). Each term is multiplied by its weight and
/// by the control period, as in legged_gym.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RewardScales {
    /// `exp(-|cmd_xy - v_xy|^2 / sigma)`.
    pub tracking_lin_vel: f32,
    /// `exp(-(cmd_yaw - w_z)^2 / sigma)`.
    pub tracking_ang_vel: f32,
    /// `v_z^2`.
    pub lin_vel_z: f32,
    /// `|w_xy|^2`.
    pub ang_vel_xy: f32,
    /// `sum tau^2`.
    pub torques: f32,
    /// `sum qdd^2`.
    pub dof_acc: f32,
    /// Air time of feet at touchdown minus 0.5 s (only when commanded to move).
    pub feet_air_time: f32,
    /// Penalised bodies in contact.
    pub collision: f32,
    /// `sum (a - a_prev)^2`.
    pub action_rate: f32,
    /// Distance beyond the soft joint limits.
    pub dof_pos_limits: f32,
}

impl Default for RewardScales {
    fn default() -> Self {
        Self {
            tracking_lin_vel: 1.0,
            tracking_ang_vel: 0.5,
            lin_vel_z: -2.0,
            ang_vel_xy: -0.05,
            torques: -0.0002,
            dof_acc: -2.5e-7,
            feet_air_time: 1.0,
            collision: -1.0,
            action_rate: -0.01,
            dof_pos_limits: -10.0,
        }
    }
}

/// Observation noise (uniform, this amplitude in raw units before scaling), legged_gym's values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NoiseScales {
    /// Overall multiplier (0 disables noise).
    pub level: f32,
    /// Joint positions (rad).
    pub dof_pos: f32,
    /// Joint velocities (rad/s).
    pub dof_vel: f32,
    /// Base linear velocity (m/s).
    pub lin_vel: f32,
    /// Base angular velocity (rad/s).
    pub ang_vel: f32,
    /// Gravity direction.
    pub gravity: f32,
}

impl Default for NoiseScales {
    fn default() -> Self {
        Self {
            level: 1.0,
            dof_pos: 0.01,
            dof_vel: 1.5,
            lin_vel: 0.1,
            ang_vel: 0.2,
            gravity: 0.05,
        }
    }
}

/// The locomotion task's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LocomotionConfig {
    /// Robot: built-in name, robot TOML or URDF.
    pub robot: String,
    /// Episode length (s).
    pub episode_s: f32,
    /// Commands are redrawn every this many seconds.
    pub resampling_s: f32,
    /// Command ranges.
    pub commands: CommandRanges,
    /// Reward weights.
    pub rewards: RewardScales,
    /// Width of the tracking kernels (legged_gym's `tracking_sigma`).
    pub tracking_sigma: f32,
    /// Air time (s) above which a touchdown earns `feet_air_time` and below which it costs
    /// (legged_gym: 0.5, sized for ANYmal's long steps).
    pub feet_air_time_threshold: f32,
    /// Clip negative step rewards to zero.
    pub only_positive_rewards: bool,
    /// Soft joint-limit fraction of the range.
    pub soft_dof_pos_limit: f32,
    /// Observation noise.
    pub noise: NoiseScales,
    /// Ground friction drawn per episode from this range.
    pub friction_range: [f32; 2],
    /// Seconds between random pushes (0 disables).
    pub push_interval_s: f32,
    /// Largest push (m/s added to the base's horizontal velocity).
    pub max_push_vel_xy: f32,
    /// Ground (every env the same; ignored while the curriculum is on).
    pub terrain: TerrainKind,
    /// Terrain curriculum: each env gets its own terrain tile and level (`[env.curriculum]`;
    /// absent = off).
    pub curriculum: Option<TerrainCurriculum>,
    /// Command curriculum: lateral and yaw commands open up per env as it learns to track
    /// (`[env.command_curriculum]`; absent = off).
    pub command_curriculum: Option<CommandCurriculum>,
    /// Trot trajectory generator (`[env.gait]`; absent = off): its offsets are added to the
    /// policy's joint targets and its phase `[sin, cos]` is appended to the observation.
    pub gait: Option<robots::TrotGait>,
    /// Terrain heights around the base appended to the observation (`[env.height_scan]`;
    /// absent = off, a blind policy).
    pub height_scan: Option<HeightScan>,
    /// Asymmetric actor-critic (`privileged_critic = true`): the critic also sees the true,
    /// noise-free base velocities and gravity and the base height above the ground
    /// ([`super::PRIVILEGED_DIM`] entries after the observation); the actor, and so the
    /// deployed policy, does not.
    pub privileged_critic: bool,
    /// Physics rates.
    pub physics: PhysicsConfig,
    /// End the episode when a terminating link (the base) touches the ground. A task in
    /// confined worlds turns it off: there the ground includes walls, and it judges falls
    /// itself.
    pub base_contact_ends_episode: bool,
    /// After a reseed, start each env at a random point of its episode (legged_gym's
    /// `init_at_random_ep_len`), so time-outs and command resampling are spread over the batch
    /// instead of hitting every env in the same step.
    pub random_episode_start: bool,
}

impl Default for LocomotionConfig {
    fn default() -> Self {
        Self {
            robot: "quadruped".into(),
            episode_s: 20.0,
            resampling_s: 10.0,
            commands: CommandRanges::default(),
            rewards: RewardScales::default(),
            tracking_sigma: 0.25,
            feet_air_time_threshold: 0.5,
            only_positive_rewards: true,
            soft_dof_pos_limit: 0.9,
            noise: NoiseScales::default(),
            friction_range: [0.5, 1.25],
            push_interval_s: 15.0,
            max_push_vel_xy: 1.0,
            terrain: TerrainKind::Flat,
            curriculum: None,
            command_curriculum: None,
            gait: None,
            height_scan: None,
            privileged_critic: false,
            physics: PhysicsConfig::default(),
            base_contact_ends_episode: true,
            random_episode_start: true,
        }
    }
}

impl LocomotionConfig {
    /// Checks ranges; errors name the key (under `env.`).
    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |key: &str, message: String| {
            Err(SimError::Config {
                key: format!("env.{key}"),
                message,
            })
        };
        for (key, v) in [
            ("episode_s", self.episode_s),
            ("resampling_s", self.resampling_s),
            ("tracking_sigma", self.tracking_sigma),
            ("feet_air_time_threshold", self.feet_air_time_threshold),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return bad(key, format!("must be a positive number, got {v}"));
            }
        }
        for (key, [lo, hi]) in [
            ("commands.lin_vel_x", self.commands.lin_vel_x),
            ("commands.lin_vel_y", self.commands.lin_vel_y),
            ("commands.ang_vel_yaw", self.commands.ang_vel_yaw),
            ("friction_range", self.friction_range),
        ] {
            if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                return bad(
                    key,
                    format!("must be [low, high] with low <= high, got [{lo}, {hi}]"),
                );
            }
        }
        if self.friction_range[0] < 0.0 {
            return bad("friction_range", "friction cannot be negative".into());
        }
        let n = &self.noise;
        for (key, v) in [
            ("noise.level", n.level),
            ("noise.dof_pos", n.dof_pos),
            ("noise.dof_vel", n.dof_vel),
            ("noise.lin_vel", n.lin_vel),
            ("noise.ang_vel", n.ang_vel),
            ("noise.gravity", n.gravity),
            ("push_interval_s", self.push_interval_s),
            ("max_push_vel_xy", self.max_push_vel_xy),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(key, format!("must be a non-negative number, got {v}"));
            }
        }
        if !(self.soft_dof_pos_limit > 0.0 && self.soft_dof_pos_limit <= 1.0) {
            return bad(
                "soft_dof_pos_limit",
                format!("must be in (0, 1], got {}", self.soft_dof_pos_limit),
            );
        }
        if let Err((key, message)) = self.terrain.validate() {
            return bad(&format!("terrain.{key}"), message);
        }
        if let Some(c) = &self.curriculum
            && let Err((key, message)) = c.validate()
        {
            return bad(&key, message);
        }
        if let Some(c) = &self.command_curriculum
            && let Err((key, message)) = c.validate()
        {
            return bad(&key, message);
        }
        if let Some(h) = &self.height_scan
            && let Err((key, message)) = h.validate()
        {
            return bad(&key, message);
        }
        self.physics.validate()
    }
}
