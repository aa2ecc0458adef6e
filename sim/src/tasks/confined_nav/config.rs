//! Settings of the confined-space navigation task (`[env]` of `assets/configs/confined_nav.toml`).

use crate::confined::WorldRanges;
use crate::error::SimError;
use crate::tasks::locomotion::LocomotionConfig;
use serde::{Deserialize, Serialize};

/// What the policy is told about where to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The planner's next waypoints (position and body height), replanned when the robot
    /// strays: the hierarchical policy.
    Hierarchical,
    /// The goal only, no planner: the end-to-end baseline.
    EndToEnd,
    /// Waypoints set from outside ([`super::ConfinedNavEnv::set_path`]): a higher-level
    /// policy's subgoals (the maze task). The goal in the observation is the path's last point.
    Commanded,
}

/// How waypoints become a velocity command `[vx, vy, yaw rate]` (the command slot of the
/// observation, and what the velocity-skill baseline follows).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PursuitConfig {
    /// Forward speed limit (m/s).
    pub max_speed: f32,
    /// Backward speed limit (m/s).
    pub max_backward: f32,
    /// Lateral speed limit (m/s).
    pub max_lateral: f32,
    /// Speed per metre of distance to the target point (1/s).
    pub gain: f32,
    /// Yaw rate per radian of heading error (1/s).
    pub yaw_gain: f32,
    /// Yaw rate limit (rad/s).
    pub max_yaw_rate: f32,
    /// How far along the path the target point lies ahead of the robot (m).
    pub lookahead_m: f32,
}

impl Default for PursuitConfig {
    fn default() -> Self {
        Self {
            max_speed: 0.5,
            max_backward: 0.2,
            max_lateral: 0.3,
            gain: 1.5,
            yaw_gain: 2.0,
            max_yaw_rate: 1.0,
            lookahead_m: 0.4,
        }
    }
}

/// Points of the ceiling scan around the base, fixed to its position and heading: each reads
/// `clip(ceiling_z - base_z, -0.3, 0.7) * scale`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CeilingScan {
    /// Offsets of the rows along the heading (m).
    pub x: Vec<f32>,
    /// Offsets of the columns to the left (m).
    pub y: Vec<f32>,
    /// Factor after clipping.
    pub scale: f32,
}

impl Default for CeilingScan {
    fn default() -> Self {
        Self {
            x: (-3..=5).map(|i| i as f32 * 0.1).collect(),
            y: (-2..=2).map(|i| i as f32 * 0.1).collect(),
            scale: 2.0,
        }
    }
}

/// Weights of the navigation reward terms (added to the locomotion task's own terms).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NavRewards {
    /// Per metre of progress towards the goal in a step: along the plan (hierarchical) or in a
    /// straight line (end-to-end).
    pub progress: f32,
    /// Once per waypoint reached.
    pub waypoint: f32,
    /// Once, on reaching the goal.
    pub goal: f32,
    /// Per second without progress (no new best distance to the goal for `stall_s`).
    pub stall: f32,
    /// Per second of a body part other than a foot touching a wall or the ceiling.
    pub collision: f32,
    /// Per second times the squared height (m) of the base above the waypoint's base height
    /// (only above it: lower is allowed).
    pub base_height: f32,
}

impl Default for NavRewards {
    fn default() -> Self {
        Self {
            progress: 10.0,
            waypoint: 0.5,
            goal: 10.0,
            stall: -1.0,
            collision: -2.0,
            base_height: -100.0,
        }
    }
}

/// The confined-space navigation task's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConfinedNavConfig {
    /// What the policy is told: the planner's waypoints or the goal only.
    pub strategy: Strategy,
    /// A world file to use instead of generated worlds (TOML or JSON).
    pub world: Option<String>,
    /// Difficulty levels of the generated worlds (the last is the held-out test ranges).
    pub levels: usize,
    /// Envs start at a level up to this one.
    pub max_initial_level: usize,
    /// Episode time limit (s).
    pub episode_s: f32,
    /// The goal counts as reached within this distance of the base (m).
    pub goal_radius: f32,
    /// A waypoint counts as reached within this distance (m).
    pub waypoint_radius: f32,
    /// Waypoints in the observation (the next ones from the current).
    pub lookahead: usize,
    /// Replan when the base is this far from the path's current segment (m).
    pub replan_distance: f32,
    /// Seconds without a new best distance to the goal that count as stalling.
    pub stall_s: f32,
    /// Smallest improvement (m) that counts as progress for the stall clock.
    pub stall_progress_m: f32,
    /// Waypoints to velocity commands.
    pub pursuit: PursuitConfig,
    /// The ceiling scan.
    pub ceiling_scan: CeilingScan,
    /// Navigation reward weights.
    pub rewards: NavRewards,
    /// The walking robot, its observation, gait, height scan and locomotion rewards. The task
    /// sets `episode_s`, turns command resampling, the terrain curriculum and the base-contact
    /// termination off, and judges falls itself.
    pub locomotion: LocomotionConfig,
}

impl Default for ConfinedNavConfig {
    fn default() -> Self {
        Self {
            strategy: Strategy::Hierarchical,
            world: None,
            levels: 10,
            max_initial_level: 2,
            episode_s: 30.0,
            goal_radius: 0.25,
            waypoint_radius: 0.15,
            lookahead: 3,
            replan_distance: 0.5,
            stall_s: 3.0,
            stall_progress_m: 0.05,
            pursuit: PursuitConfig::default(),
            ceiling_scan: CeilingScan::default(),
            rewards: NavRewards::default(),
            locomotion: LocomotionConfig::default(),
        }
    }
}

impl ConfinedNavConfig {
    /// Checks ranges; errors name the key (under `env.`).
    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |key: &str, message: String| {
            Err(SimError::Config {
                key: format!("env.{key}"),
                message,
            })
        };
        if self.levels == 0 || self.levels > 100 {
            return bad(
                "levels",
                format!("must lie in 1..=100, got {}", self.levels),
            );
        }
        if self.max_initial_level >= self.levels {
            return bad(
                "max_initial_level",
                format!(
                    "must be below levels ({}), got {}",
                    self.levels, self.max_initial_level
                ),
            );
        }
        if self.lookahead == 0 || self.lookahead > 16 {
            return bad(
                "lookahead",
                format!("must lie in 1..=16, got {}", self.lookahead),
            );
        }
        let positive = [
            ("episode_s", self.episode_s),
            ("goal_radius", self.goal_radius),
            ("waypoint_radius", self.waypoint_radius),
            ("replan_distance", self.replan_distance),
            ("stall_s", self.stall_s),
            ("pursuit.max_speed", self.pursuit.max_speed),
            ("pursuit.gain", self.pursuit.gain),
            ("pursuit.lookahead_m", self.pursuit.lookahead_m),
        ];
        for (k, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return bad(k, format!("must be a positive number, got {v}"));
            }
        }
        if self.ceiling_scan.x.is_empty() || self.ceiling_scan.y.is_empty() {
            return bad(
                "ceiling_scan",
                "needs at least one row and one column".into(),
            );
        }
        self.locomotion.validate().map_err(|e| match e {
            SimError::Config { key, message } => SimError::Config {
                key: key.replacen("env.", "env.locomotion.", 1),
                message,
            },
            other => other,
        })
    }

    /// The ranges of curriculum level `level`.
    pub fn ranges(&self, level: usize) -> WorldRanges {
        WorldRanges::level(level, self.levels)
    }

    /// The locomotion settings as this task runs them.
    pub fn walking(&self) -> LocomotionConfig {
        LocomotionConfig {
            episode_s: self.episode_s,
            // Commands come from the pursuit of the path, never from a random draw.
            resampling_s: 1e9,
            curriculum: None,
            command_curriculum: None,
            terrain: crate::terrain::TerrainKind::Flat,
            base_contact_ends_episode: false,
            ..self.locomotion.clone()
        }
    }
}
