//! Settings of the Shadow-hand hand-over (`[env]` of `assets/configs/handover.toml`). The
//! defaults are Bi-DexHands' ShadowHandOver (`ShadowHandOver.yaml`): 75 steps at 60 Hz, the
//! object within 3 cm of its goal, `exp(-0.2 (50 d + rot))` with a bonus of 250.

use crate::error::SimError;
use serde::{Deserialize, Serialize};

/// Where the one-hand scene is by default: gymnasium-robotics' block scene in the shared
/// third-party folder beside the checkout.
pub const DEFAULT_HAND_SCENE: &str =
    "../shared/thirdparty/gymnasium_robotics/hand/manipulate_block.xml";

/// The hand-over env's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HandoverConfig {
    /// The one-hand scene (MJCF): the right hand, palm up, the block called `object` resting on
    /// its palm, and optionally the goal marker `target` (no collisions). Relative paths resolve
    /// from the working directory, else from the repository root.
    pub scene_file: String,
    /// The left hand is the right one mirrored through the plane `y = mirror_plane_y` (m). The
    /// default puts the goal, the mirror image of the block's start, 25 cm from it, as in
    /// Bi-DexHands, with the two hands' outstretched fingertips 3 cm apart.
    pub mirror_plane_y: f32,
    /// Control period (s; Bi-DexHands: 1/60).
    pub control_dt: f32,
    /// Control steps per episode (Bi-DexHands: 75, 1.25 s).
    pub episode_steps: u32,
    /// Success: the block's centre within this distance of the goal's at any step (m).
    pub success_tolerance_m: f32,
    /// `d` in the reward's exponent is weighted by this (Bi-DexHands' `distRewardScale`).
    pub dist_reward_scale: f32,
    /// The rotation distance (rad) in the exponent is weighted by this (1 in Bi-DexHands).
    pub rot_reward_scale: f32,
    /// Paid once, at the step the block first comes within the tolerance.
    pub reach_goal_bonus: f32,
    /// The episode ends when the block falls this far below its start height (m; Bi-DexHands
    /// ends it 0.34 m below, where its table-less scene has no floor).
    pub fall_drop_m: f32,
    /// Uniform noise on the block's start position, per axis (m).
    pub reset_position_noise_m: f32,
    /// Uniform noise on each hand joint's start position, as a fraction of its half range
    /// (Bi-DexHands' `resetDofPosRandomInterval`).
    pub reset_joint_noise: f32,
    /// Random start and goal orientations (rotations about world x and y by up to pi each, as
    /// Bi-DexHands draws them); false keeps both upright.
    pub random_rotations: bool,
}

impl Default for HandoverConfig {
    fn default() -> Self {
        Self {
            scene_file: DEFAULT_HAND_SCENE.into(),
            mirror_plane_y: 0.745,
            control_dt: 1.0 / 60.0,
            episode_steps: 75,
            success_tolerance_m: 0.03,
            dist_reward_scale: 50.0,
            rot_reward_scale: 1.0,
            reach_goal_bonus: 250.0,
            fall_drop_m: 0.1,
            reset_position_noise_m: 0.01,
            reset_joint_noise: 0.2,
            random_rotations: true,
        }
    }
}

impl HandoverConfig {
    /// Checks every value; the error names the key.
    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |key: &str, message: &str| {
            Err(SimError::Config {
                key: format!("env.{key}"),
                message: message.into(),
            })
        };
        let positive = [
            ("control_dt", self.control_dt),
            ("success_tolerance_m", self.success_tolerance_m),
            ("fall_drop_m", self.fall_drop_m),
        ];
        for (key, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return bad(key, &format!("must be a positive number, got {v}"));
            }
        }
        let non_negative = [
            ("dist_reward_scale", self.dist_reward_scale),
            ("rot_reward_scale", self.rot_reward_scale),
            ("reach_goal_bonus", self.reach_goal_bonus),
            ("reset_position_noise_m", self.reset_position_noise_m),
            ("reset_joint_noise", self.reset_joint_noise),
        ];
        for (key, v) in non_negative {
            if !(v.is_finite() && v >= 0.0) {
                return bad(key, &format!("must be a number >= 0, got {v}"));
            }
        }
        if !self.mirror_plane_y.is_finite() {
            return bad("mirror_plane_y", "must be a finite number of metres");
        }
        if self.reset_joint_noise > 1.0 {
            return bad(
                "reset_joint_noise",
                "is a fraction of the half range: at most 1",
            );
        }
        if self.episode_steps == 0 {
            return bad("episode_steps", "must be at least 1");
        }
        if self.scene_file.trim().is_empty() {
            return bad("scene_file", "must name an MJCF file");
        }
        Ok(())
    }
}
