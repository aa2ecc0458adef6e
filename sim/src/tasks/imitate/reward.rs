//! DeepMimic's imitation reward (the paper's and the code's definitions) and the tracking errors
//! `embody eval imitate` reports.

use super::config::{RewardConfig, RewardPreset};
use super::features::PoseFeatures;
use super::performer::Performer;

/// Names of the five reward terms, in the order of [`RewardBreakdown::kernels`].
pub const TERM_NAMES: [&str; 5] = ["pose", "velocity", "end_effector", "root", "com"];

/// One step's reward and its terms.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RewardBreakdown {
    /// `exp(-scale * error)` per term, in [`TERM_NAMES`] order.
    pub kernels: [f32; 5],
    /// The weighted sum.
    pub total: f32,
}

/// The reward of one character imitating one clip.
#[derive(Debug, Clone)]
pub struct ImitationReward {
    preset: RewardPreset,
    weights: [f32; 5],
    scales: [f32; 5],
    /// Weight of each moving joint (`q` order) in the pose and velocity errors.
    joint_weights: Vec<f32>,
    /// Weight of the root's rotation and angular velocity.
    root_weight: f32,
    /// Whether each moving joint is a ball joint.
    spherical: Vec<bool>,
    /// Site indices of the end effectors.
    end_effectors: Vec<usize>,
}

impl ImitationReward {
    /// The reward for `performer` (whose moving joints are ball joints where `spherical` says)
    /// under `config`. The code preset weighs joints by the performer's weights over their
    /// total (a character's `DiffWeight`s over the sum of all its joints', as DeepMimic's
    /// `CalcJointWeights`); the paper's weighs every joint 1.
    pub fn new(config: &RewardConfig, performer: &Performer, spherical: &[bool]) -> Self {
        let weight = |w: f64| match config.preset {
            RewardPreset::Paper => 1.0,
            RewardPreset::Code => (w / performer.weight_total.max(1e-12)) as f32,
        };
        Self {
            preset: config.preset,
            weights: config.weights(),
            scales: config.scales(),
            joint_weights: performer.joint_weights.iter().map(|&w| weight(w)).collect(),
            root_weight: weight(performer.root_weight),
            spherical: spherical.to_vec(),
            end_effectors: performer.end_effectors.clone(),
        }
    }

    /// The reward of `sim` against `reference`.
    pub fn compute(&self, sim: &PoseFeatures, reference: &PoseFeatures) -> RewardBreakdown {
        let root_angle = sim.root_rot.angle_between(reference.root_rot);
        let root_ang_vel_err = (sim.root_ang_vel - reference.root_ang_vel).length_squared();
        let (mut pose_err, mut vel_err) = (
            self.root_weight * root_angle * root_angle,
            self.root_weight * root_ang_vel_err,
        );
        let (mut qa, mut va) = (0, 0);
        for (k, &spherical) in self.spherical.iter().enumerate() {
            let w = self.joint_weights[k];
            if spherical {
                let angle = quat_angle(&sim.q[qa..qa + 4], &reference.q[qa..qa + 4]);
                let dv: f32 = (0..3)
                    .map(|i| (sim.qd[va + i] - reference.qd[va + i]).powi(2))
                    .sum();
                pose_err += w * angle * angle;
                vel_err += w * dv;
                qa += 4;
                va += 3;
            } else {
                pose_err += w * (sim.q[qa] - reference.q[qa]).powi(2);
                vel_err += w * (sim.qd[va] - reference.qd[va]).powi(2);
                qa += 1;
                va += 1;
            }
        }
        // End effectors relative to the root in its heading frame, heights above the ground
        // (flat ground at z = 0), as DeepMimic's code.
        let ee_err: f32 = self
            .end_effectors
            .iter()
            .map(|&e| {
                let rel = |f: &PoseFeatures| {
                    let mut r = f.root_relative(e);
                    r.z = f.joint_pos[e].z;
                    r
                };
                (rel(sim) - rel(reference)).length_squared()
            })
            .sum();
        let root_err = (sim.root_pos - reference.root_pos).length_squared()
            + 0.1 * root_angle * root_angle
            + 0.01 * (sim.root_lin_vel - reference.root_lin_vel).length_squared()
            + 0.001 * root_ang_vel_err;
        let com_err = match self.preset {
            RewardPreset::Paper => (sim.com - reference.com).length_squared(),
            RewardPreset::Code => 0.1 * (sim.com_vel - reference.com_vel).length_squared(),
        };
        let errors = [pose_err, vel_err, ee_err, root_err, com_err];
        let kernels: [f32; 5] = std::array::from_fn(|i| (-self.scales[i] * errors[i]).exp());
        let total = kernels.iter().zip(&self.weights).map(|(k, w)| k * w).sum();
        RewardBreakdown { kernels, total }
    }
}

/// The rotation angle between two `w, x, y, z` quaternions (rad).
pub fn quat_angle(a: &[f32], b: &[f32]) -> f32 {
    let dot = (a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]).abs();
    2.0 * dot.min(1.0).acos()
}

/// How far one step's pose is from the reference, the figures `embody eval imitate` reports.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TrackingErrors {
    /// Mean rotation error over the moving joints (rad).
    pub pose_rad: f32,
    /// Mean error of the joints' positions relative to the root, in each root's heading frame
    /// (m; the root itself excluded).
    pub body_pos_m: f32,
    /// The same over the end effectors (m).
    pub end_effector_m: f32,
    /// Ground-plane distance between the root and the reference root (m).
    pub root_drift_m: f32,
}

impl ImitationReward {
    /// The tracking errors of `sim` against `reference`.
    pub fn tracking_errors(&self, sim: &PoseFeatures, reference: &PoseFeatures) -> TrackingErrors {
        let mut angle_sum = 0.0;
        let mut qa = 0;
        for &spherical in &self.spherical {
            if spherical {
                angle_sum += quat_angle(&sim.q[qa..qa + 4], &reference.q[qa..qa + 4]);
                qa += 4;
            } else {
                angle_sum += (sim.q[qa] - reference.q[qa]).abs();
                qa += 1;
            }
        }
        let rel_err = |j: usize| (sim.root_relative(j) - reference.root_relative(j)).length();
        let joints = sim.joint_pos.len();
        let body: f32 = (1..joints).map(rel_err).sum::<f32>() / (joints - 1).max(1) as f32;
        let ee: f32 = self.end_effectors.iter().map(|&e| rel_err(e)).sum::<f32>()
            / self.end_effectors.len().max(1) as f32;
        let drift = sim.root_pos - reference.root_pos;
        TrackingErrors {
            pose_rad: angle_sum / self.spherical.len().max(1) as f32,
            body_pos_m: body,
            end_effector_m: ee,
            root_drift_m: (drift.x * drift.x + drift.y * drift.y).sqrt(),
        }
    }
}
