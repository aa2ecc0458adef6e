//! Settings of the bimanual tasks (`[env]` of `assets/configs/bimanual.toml`).

use super::aloha_task::AlohaTask;
use super::sensing::ObservationConfig;
use crate::error::SimError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The bimanual env's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BimanualConfig {
    /// The tasks an env draws from at each reset (several: multi-task training, the task id in
    /// the observation).
    pub tasks: Vec<AlohaTask>,
    /// Folder of the ALOHA MJCF files (relative paths from the working directory, else from
    /// the repository root).
    pub aloha_dir: String,
    /// Control steps per episode (50 Hz; 400 = 8 s, ACT's episode length).
    pub episode_steps: u32,
    /// An episode succeeds once the success level (4) has held for this many consecutive
    /// steps (25 = 0.5 s): a cube flung against the left finger touches it for a step or two,
    /// a held one stays. gym-aloha's own count (level 4 at any step) is reported beside it.
    pub success_hold_steps: u32,
    /// How an action (clipped to [-1, 1]) becomes joint targets.
    pub action: ActionMode,
    /// `absolute`: targets are `keyframe + action_scale * a` per arm joint, in gym-aloha's
    /// joint order (rad), the gripper opening likewise (normalised 0-1).
    pub action_scale: [f32; 7],
    /// `delta`: targets move by `delta_scale * a` per step (rad; the gripper in normalised
    /// units), from the keyframe at reset, within the joints' control ranges.
    pub delta_scale: [f32; 7],
    /// `cartesian`: per unit action, the grasp point moves this far (m, world x y z), the
    /// gripper turns this much (rad, about world x y z) and the opening changes this much, per
    /// step. A rotation scale of 0 holds the gripper's orientation.
    pub cartesian_scale: [f32; 7],
    /// What the policy observes of the objects (teacher or student).
    pub observation: ObservationConfig,
    /// The two-stage reward.
    pub reward: RewardConfig,
    /// Per-task shaping (`[env.shaping.transfer_cube]`, ...); tasks without an entry use the
    /// defaults.
    pub shaping: BTreeMap<AlohaTask, TaskShaping>,
}

impl Default for BimanualConfig {
    fn default() -> Self {
        Self {
            tasks: vec![AlohaTask::TransferCube],
            aloha_dir: super::aloha_scene::DEFAULT_ALOHA_DIR.into(),
            episode_steps: 400,
            success_hold_steps: 25,
            action: ActionMode::Delta,
            action_scale: [1.0, 1.6, 2.2, 1.0, 2.5, 2.0, 1.0],
            delta_scale: [0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.1],
            cartesian_scale: [0.01, 0.01, 0.01, 0.05, 0.05, 0.05, 0.1],
            observation: ObservationConfig::default(),
            reward: RewardConfig::default(),
            shaping: BTreeMap::new(),
        }
    }
}

/// How the policy's action becomes joint targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionMode {
    /// Targets around the keyframe: `keyframe + action_scale * a` (what the deploy contract's
    /// action map expresses today).
    Absolute,
    /// Targets that move by `delta_scale * a` each step. Exploration noise then jitters the
    /// targets by hundredths of a radian, not by the whole range: a gripper can hover over a
    /// 4 cm cube without knocking it away.
    Delta,
    /// Each arm's grasp point moves and its gripper turns by `cartesian_scale * a` per step in
    /// the world frame, through one damped least-squares IK step from the current targets
    /// ([`super::cartesian`]); the gripper opening moves as in `delta`.
    Cartesian,
}

/// The reward shared by every task (BiDexHD's two stages): in stage 1 the arms that must grasp
/// approach their objects and touch them; once every stage-1 object is grasped and lifted,
/// stage 2 pays a constant on top and moves the objects to their goal (and brings in the arms
/// that join later, like the left arm of the hand-over). The task's contact level (0-4) is paid
/// in both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RewardConfig {
    /// Per step and level: `level_weight * level`.
    pub level_weight: f32,
    /// Approach: `reach_weight * (1 - tanh(d / reach_scale))`, d the distance from the grasp
    /// point to the object (m).
    pub reach_weight: f32,
    /// Distance scale of the approach term (m).
    pub reach_scale: f32,
    /// Per finger of the arm touching its object.
    pub touch_weight: f32,
    /// Lift: `lift_weight * min(height gain / lift_height, 1)` for a grasped object.
    pub lift_weight: f32,
    /// The constant stage 2 pays on top (at least what stage 1 can pay, so advancing never
    /// lowers the reward).
    pub stage_bonus: f32,
    /// Goal: `goal_weight * (1 - tanh(d / goal_scale))`, d the object's distance to its goal.
    pub goal_weight: f32,
    /// Distance scale of the goal term (m).
    pub goal_scale: f32,
    /// Penalty on the change of action between steps: `-action_rate * |a_t - a_(t-1)|^2`.
    pub action_rate: f32,
}

impl Default for RewardConfig {
    fn default() -> Self {
        Self {
            level_weight: 1.0,
            reach_weight: 1.0,
            reach_scale: 0.2,
            touch_weight: 0.25,
            lift_weight: 1.0,
            stage_bonus: 2.5,
            goal_weight: 2.0,
            goal_scale: 0.1,
            action_rate: 0.01,
        }
    }
}

/// The shaping terms one task may change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TaskShaping {
    /// Height gain that counts as fully lifted (m).
    pub lift_height: f32,
    /// Scale on the goal term of this task.
    pub goal_weight: f32,
    /// Scale on the approach term of arms that join in stage 2.
    pub join_weight: f32,
}

impl Default for TaskShaping {
    fn default() -> Self {
        Self {
            lift_height: 0.1,
            goal_weight: 1.0,
            join_weight: 1.0,
        }
    }
}

impl BimanualConfig {
    /// The shaping of `task`.
    pub fn shaping_of(&self, task: AlohaTask) -> TaskShaping {
        self.shaping.get(&task).cloned().unwrap_or_default()
    }

    /// Checks ranges; errors name the key.
    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |key: &str, message: &str| {
            Err(SimError::Config {
                key: format!("env.{key}"),
                message: message.to_string(),
            })
        };
        if self.tasks.is_empty() {
            return bad("tasks", "name at least one task (transfer_cube, insertion)");
        }
        if self.episode_steps == 0 {
            return bad("episode_steps", "must be at least 1");
        }
        if self.success_hold_steps == 0 || self.success_hold_steps > self.episode_steps {
            return bad(
                "success_hold_steps",
                "must be at least 1 and at most episode_steps",
            );
        }
        if self
            .action_scale
            .iter()
            .any(|s| !(s.is_finite() && *s > 0.0))
        {
            return bad("action_scale", "every scale must be a positive number");
        }
        if self
            .delta_scale
            .iter()
            .any(|s| !(s.is_finite() && *s > 0.0))
        {
            return bad("delta_scale", "every scale must be a positive number");
        }
        let c = &self.cartesian_scale;
        if c.iter().any(|s| !(s.is_finite() && *s >= 0.0)) || c[..3].contains(&0.0) || c[6] == 0.0 {
            return bad(
                "cartesian_scale",
                "translation and gripper scales must be positive, rotation scales non-negative",
            );
        }
        let r = &self.reward;
        for (key, v) in [
            ("reward.level_weight", r.level_weight),
            ("reward.reach_weight", r.reach_weight),
            ("reward.touch_weight", r.touch_weight),
            ("reward.lift_weight", r.lift_weight),
            ("reward.stage_bonus", r.stage_bonus),
            ("reward.goal_weight", r.goal_weight),
            ("reward.action_rate", r.action_rate),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(key, "must be a non-negative number");
            }
        }
        for (key, v) in [
            ("reward.reach_scale", r.reach_scale),
            ("reward.goal_scale", r.goal_scale),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return bad(key, "must be a positive distance (m)");
            }
        }
        for (task, s) in &self.shaping {
            if !(s.lift_height.is_finite() && s.lift_height > 0.0) {
                return bad(
                    &format!("shaping.{}.lift_height", task.name()),
                    "must be a positive height (m)",
                );
            }
            let non_negative = |w: f32| w.is_finite() && w >= 0.0;
            if !(non_negative(s.goal_weight) && non_negative(s.join_weight)) {
                return bad(
                    &format!("shaping.{}", task.name()),
                    "weights must be non-negative numbers",
                );
            }
        }
        Ok(())
    }
}
