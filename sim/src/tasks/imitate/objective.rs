//! A task objective combined with imitation, after DeepMimic's heading task: move in a target
//! direction at a target speed while imitating the clip. The step reward becomes
//! `(1 - weight) r_imitation + weight r_heading` with
//! `r_heading = exp(-scale * max(0, v* - v . d*)^2)`, where `v` is the root's horizontal velocity,
//! `d*` the target direction and `v*` the target speed (DeepMimic's paper: scale 2.5, weight
//! 0.3). The policy observes the target direction in the root's heading frame and the speed.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rapier3d::prelude::Vec3;
use serde::{Deserialize, Serialize};

/// Observation entries the heading objective adds: the target direction in the root's heading
/// frame (`cos`, `sin`) and the target speed (m/s).
pub const HEADING_OBS: usize = 3;

/// Settings of the heading objective (`[env.objective]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HeadingObjective {
    /// Share of the objective in the reward (the imitation keeps `1 - weight`).
    pub weight: f32,
    /// Target speed, drawn uniformly at each new target (m/s).
    pub speed: [f32; 2],
    /// Largest turn of the target direction at a new target, either way (degrees).
    pub max_turn_deg: f32,
    /// Mean time between new targets (s; drawn per step with probability `dt / change_s`).
    pub change_s: f32,
    /// Kernel scale of the speed shortfall.
    pub scale: f32,
}

impl Default for HeadingObjective {
    fn default() -> Self {
        Self {
            weight: 0.3,
            speed: [1.0, 1.0],
            max_turn_deg: 45.0,
            change_s: 5.0,
            scale: 2.5,
        }
    }
}

/// The current target of a heading objective.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct HeadingTarget {
    /// Target direction in the world's ground plane (rad from +x).
    pub heading: f32,
    /// Target speed (m/s).
    pub speed: f32,
}

impl HeadingObjective {
    /// Checks ranges; errors name the key under `env.objective.`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let err = |k: &str, m: String| Err((format!("env.objective.{k}"), m));
        if !(self.weight.is_finite() && (0.0..=1.0).contains(&self.weight)) {
            return err("weight", format!("must lie in [0, 1], got {}", self.weight));
        }
        let [lo, hi] = self.speed;
        if !(lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo <= hi) {
            return err(
                "speed",
                format!(
                    "must be [low, high] with 0 <= low <= high, got {:?}",
                    self.speed
                ),
            );
        }
        for (k, v) in [
            ("max_turn_deg", self.max_turn_deg),
            ("change_s", self.change_s),
            ("scale", self.scale),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return err(k, format!("must be a positive number, got {v}"));
            }
        }
        Ok(())
    }

    /// A new target turned up to `max_turn_deg` from `around` (rad).
    pub fn draw(&self, around: f32, rng: &mut ChaCha8Rng) -> HeadingTarget {
        let max = self.max_turn_deg.to_radians();
        let [lo, hi] = self.speed;
        HeadingTarget {
            heading: around + rng.random_range(-max..=max),
            speed: if hi > lo {
                rng.random_range(lo..=hi)
            } else {
                lo
            },
        }
    }

    /// Whether this step draws a new target (probability `dt / change_s`).
    pub fn changes(&self, dt: f32, rng: &mut ChaCha8Rng) -> bool {
        rng.random_range(0.0f32..1.0) < dt / self.change_s
    }

    /// `exp(-scale * max(0, v* - v . d*)^2)` for the root's velocity `root_vel` (world).
    pub fn reward(&self, target: &HeadingTarget, root_vel: Vec3) -> f32 {
        let (s, c) = target.heading.sin_cos();
        let along = root_vel.x * c + root_vel.y * s;
        let short = (target.speed - along).max(0.0);
        (-self.scale * short * short).exp()
    }

    /// The step reward with `imitation` the imitation reward.
    pub fn combine(&self, imitation: f32, heading: f32) -> f32 {
        (1.0 - self.weight) * imitation + self.weight * heading
    }
}
