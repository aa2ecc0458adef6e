//! The two-stage reward every bimanual task shares (BiDexHD's scheme; weights in
//! [`RewardConfig`], per-task terms in [`TaskShaping`]):
//! - **level:** `level_weight * level`, the task's contact level 0-4 (gym-aloha's reward);
//! - **stage 1**, for each arm that must grasp (mean over them): approach
//!   `reach_weight * (1 - tanh(d / reach_scale))`, `touch_weight` per finger on the object,
//!   and once both fingers hold it `lift_weight * min(gain / lift_height, 1)`;
//! - **stage 2**, once every stage-1 object is held by both fingers and off the table:
//!   `stage_bonus`, the goal term `goal_weight * (1 - tanh(d / goal_scale))` for the task's
//!   stage-2 object, and the approach and touch terms of the arms that join (scaled by the
//!   task's `join_weight`);
//! - **action rate:** `-action_rate * |a_t - a_(t-1)|^2`.

use super::aloha_task::AlohaTask;
use super::config::{BimanualConfig, RewardConfig, TaskShaping};
use std::collections::BTreeMap;

/// Names of the reward terms, in [`RewardTerms::values`] order (metrics columns).
pub const TERM_NAMES: [&str; 6] = ["level", "reach", "touch", "lift", "stage2", "action_rate"];

/// What the reward reads from one step.
#[derive(Debug, Clone, PartialEq)]
pub struct RewardInputs {
    /// The episode's task.
    pub task: AlohaTask,
    /// The contact level after the step (0-4).
    pub level: u8,
    /// The objects' positions (world, m), in [`AlohaTask::objects`] order.
    pub positions: Vec<[f32; 3]>,
    /// Their orientations `[w, x, y, z]`.
    pub rotations: Vec<[f32; 4]>,
    /// The stage-2 object's goal (world, m).
    pub goal: [f32; 3],
    /// Each arm's grasp point (world, m), indexed by side.
    pub grasp_points: [[f32; 3]; 2],
    /// How many fingers of each arm touch each object (`[side][object]`).
    pub fingers: [[u8; 2]; 2],
    /// Whether each object touches the table.
    pub on_table: [bool; 2],
}

/// One step's reward terms.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RewardTerms {
    /// Level term.
    pub level: f32,
    /// Approach terms (stage 1, and the joining arms in stage 2).
    pub reach: f32,
    /// Touch terms.
    pub touch: f32,
    /// Lift term.
    pub lift: f32,
    /// Stage 2's bonus and goal term.
    pub stage2: f32,
    /// Action-rate penalty (negative).
    pub action_rate: f32,
}

impl RewardTerms {
    /// The terms in [`TERM_NAMES`] order.
    pub fn values(&self) -> [f32; 6] {
        [
            self.level,
            self.reach,
            self.touch,
            self.lift,
            self.stage2,
            self.action_rate,
        ]
    }

    /// The reward.
    pub fn total(&self) -> f32 {
        self.values().iter().sum()
    }
}

/// The reward of a config.
#[derive(Debug, Clone)]
pub struct StageReward {
    weights: RewardConfig,
    shaping: BTreeMap<AlohaTask, TaskShaping>,
}

/// An object counts as lifted this far above its rest height (m).
const LIFTED: f32 = 0.01;

fn distance(a: [f32; 3], b: [f32; 3]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

impl StageReward {
    /// The reward with `config`'s weights and per-task shaping.
    pub fn new(config: &BimanualConfig) -> Self {
        Self {
            weights: config.reward.clone(),
            shaping: AlohaTask::ALL
                .iter()
                .map(|&t| (t, config.shaping_of(t)))
                .collect(),
        }
    }

    /// Whether `side` holds object `k` with both fingers.
    fn grasped(i: &RewardInputs, side: usize, k: usize) -> bool {
        i.fingers[side][k] >= 2
    }

    /// Whether object `k` is off the table and above its rest height.
    fn lifted(i: &RewardInputs, k: usize) -> bool {
        !i.on_table[k] && i.positions[k][2] > i.task.rest_heights()[k] + LIFTED
    }

    /// Whether stage 2 holds: every stage-1 object grasped and lifted.
    pub fn stage2(&self, i: &RewardInputs) -> bool {
        i.task
            .stages()
            .grasp
            .iter()
            .all(|&(side, k)| Self::grasped(i, side as usize, k) && Self::lifted(i, k))
    }

    /// The terms of one step; `action` and `last_action` are the clipped actions.
    pub fn terms(&self, i: &RewardInputs, action: &[f32], last_action: &[f32]) -> RewardTerms {
        let w = &self.weights;
        let shaping = &self.shaping[&i.task];
        let stages = i.task.stages();
        let mut t = RewardTerms {
            level: w.level_weight * i.level as f32,
            ..RewardTerms::default()
        };
        let approach = |side: usize, k: usize| {
            let d = distance(i.grasp_points[side], i.positions[k]);
            w.reach_weight * (1.0 - (d / w.reach_scale).tanh())
        };
        let n = stages.grasp.len().max(1) as f32;
        for &(side, k) in stages.grasp {
            let s = side as usize;
            t.reach += approach(s, k) / n;
            t.touch += w.touch_weight * i.fingers[s][k] as f32 / n;
            if Self::grasped(i, s, k) {
                let gain = (i.positions[k][2] - i.task.rest_heights()[k]).max(0.0);
                t.lift += w.lift_weight * (gain / shaping.lift_height).min(1.0) / n;
            }
        }
        if self.stage2(i) {
            let d = distance(i.positions[stages.goal_object], i.goal);
            t.stage2 = w.stage_bonus
                + shaping.goal_weight * w.goal_weight * (1.0 - (d / w.goal_scale).tanh());
            for &(side, k) in stages.join {
                let s = side as usize;
                t.reach += shaping.join_weight * approach(s, k);
                t.touch += shaping.join_weight * w.touch_weight * i.fingers[s][k] as f32;
            }
        }
        let rate: f32 = action
            .iter()
            .zip(last_action)
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        t.action_rate = -w.action_rate * rate;
        t
    }
}
