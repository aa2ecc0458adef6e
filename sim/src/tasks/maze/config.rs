//! Settings of the maze task (`[env]` of `assets/configs/maze.toml`).

use crate::confined::MazeSpec;
use crate::env::CellConfig;
use crate::error::SimError;
use serde::{Deserialize, Serialize};

/// The maze task's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MazeConfig {
    /// The maze.
    pub maze: MazeSpec,
    /// Checkpoint folder of the walking skill: a confined-navigation waypoint follower
    /// (hierarchical). Its `[env]` settings are the walking settings here.
    pub skill: String,
    /// Control steps of the skill per maze step.
    pub skill_steps: u32,
    /// Waypoints laid along the chosen direction per maze step.
    pub subgoals: usize,
    /// Distance between them at full action (m).
    pub subgoal_spacing: f32,
    /// Actions shorter than this stand still.
    pub dead_zone: f32,
    /// Episode time limit (s).
    pub episode_s: f32,
    /// The exit counts as reached within this distance of the base (m).
    pub goal_radius: f32,
    /// The simulator's noise: observation noise, friction drawn per episode (as the skill
    /// trained). Off: noise-free observations and friction 1 (Go-Explore's deterministic
    /// exploration; the run is deterministic either way).
    pub sim_noise: bool,
    /// Weight of a count-based exploration bonus `beta / sqrt(n)` over `cells` (0: none).
    pub count_bonus: f32,
    /// Cells of the count-based bonus (features `x`, `y`, `z`, `heading`, `exit`).
    pub cells: CellConfig,
    /// Wall-distance rays in the observation (evenly spaced around the heading).
    pub rays: usize,
    /// Their reach (m).
    pub ray_reach: f32,
}

impl Default for MazeConfig {
    fn default() -> Self {
        Self {
            maze: MazeSpec::default(),
            skill: "assets/policies/confined_nav_follower".into(),
            skill_steps: 10,
            subgoals: 3,
            subgoal_spacing: 0.3,
            dead_zone: 0.25,
            episode_s: 60.0,
            goal_radius: 0.3,
            sim_noise: true,
            count_bonus: 0.0,
            cells: CellConfig(
                [("x".to_string(), 0.5), ("y".to_string(), 0.5)]
                    .into_iter()
                    .collect(),
            ),
            rays: 8,
            ray_reach: 2.0,
        }
    }
}

impl MazeConfig {
    /// Checks ranges; errors name the key (under `env.`).
    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |key: &str, message: String| {
            Err(SimError::Config {
                key: format!("env.{key}"),
                message,
            })
        };
        self.maze.validate("env.maze")?;
        if self.skill_steps == 0 || self.skill_steps > 1000 {
            return bad(
                "skill_steps",
                format!("must lie in 1..=1000, got {}", self.skill_steps),
            );
        }
        if self.subgoals == 0 || self.subgoals > 16 {
            return bad(
                "subgoals",
                format!("must lie in 1..=16, got {}", self.subgoals),
            );
        }
        if self.rays > 64 {
            return bad("rays", format!("at most 64, got {}", self.rays));
        }
        for (k, v) in [
            ("subgoal_spacing", self.subgoal_spacing),
            ("episode_s", self.episode_s),
            ("goal_radius", self.goal_radius),
            ("ray_reach", self.ray_reach),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return bad(k, format!("must be a positive number, got {v}"));
            }
        }
        if !(0.0..1.0).contains(&self.dead_zone) {
            return bad(
                "dead_zone",
                format!("must lie in [0, 1), got {}", self.dead_zone),
            );
        }
        if !(self.count_bonus.is_finite() && self.count_bonus >= 0.0) {
            return bad(
                "count_bonus",
                format!("must be a number >= 0, got {}", self.count_bonus),
            );
        }
        self.cells
            .bind(super::env::MAZE_CELL_FEATURES, "env.cells")
            .map(|_| ())
    }
}
