//! legged_gym's locomotion reward terms as a pure function of the step's quantities.

use super::config::RewardScales;
use serde::Serialize;

/// Everything one step's reward needs. Body frame `_b`; joint vectors in joint order.
#[derive(Debug, Clone, Copy)]
pub struct RewardInputs<'a> {
    /// Command: vx, vy (m/s), yaw rate (rad/s).
    pub command: [f32; 3],
    /// Base linear velocity, body frame (m/s).
    pub lin_vel_b: [f32; 3],
    /// Base angular velocity, body frame (rad/s).
    pub ang_vel_b: [f32; 3],
    /// Joint torques (N·m).
    pub torques: &'a [f32],
    /// Joint velocities now and one control step ago (rad/s).
    pub joint_vel: &'a [f32],
    /// Joint velocities one control step ago (rad/s).
    pub prev_joint_vel: &'a [f32],
    /// Joint positions (rad).
    pub joint_pos: &'a [f32],
    /// Soft lower and upper joint limits (rad).
    pub soft_limits: &'a [(f32, f32)],
    /// This action and the previous one.
    pub action: &'a [f32],
    /// The previous action.
    pub prev_action: &'a [f32],
    /// Air time (s) of each foot that touched down this step (0 for the others).
    pub touchdown_air_time: &'a [f32],
    /// Number of penalised bodies in contact.
    pub collisions: u32,
    /// Control period (s).
    pub dt: f32,
    /// Tracking kernel width.
    pub tracking_sigma: f32,
    /// Air time (s) a touchdown must exceed to earn the air-time reward.
    pub air_time_threshold: f32,
}

/// The weighted terms of one step (already multiplied by weight and dt).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct RewardTerms {
    /// Linear velocity tracking.
    pub tracking_lin_vel: f32,
    /// Yaw rate tracking.
    pub tracking_ang_vel: f32,
    /// Vertical base velocity penalty.
    pub lin_vel_z: f32,
    /// Roll/pitch rate penalty.
    pub ang_vel_xy: f32,
    /// Torque penalty.
    pub torques: f32,
    /// Joint acceleration penalty.
    pub dof_acc: f32,
    /// Feet air-time reward.
    pub feet_air_time: f32,
    /// Collision penalty.
    pub collision: f32,
    /// Action-rate penalty.
    pub action_rate: f32,
    /// Joint-limit penalty.
    pub dof_pos_limits: f32,
}

impl RewardTerms {
    /// Computes every term.
    pub fn compute(x: &RewardInputs<'_>, w: &RewardScales) -> Self {
        let dt = x.dt;
        let sq = |v: f32| v * v;
        let lin_err = sq(x.command[0] - x.lin_vel_b[0]) + sq(x.command[1] - x.lin_vel_b[1]);
        let yaw_err = sq(x.command[2] - x.ang_vel_b[2]);
        let sum_sq = |v: &[f32]| v.iter().map(|a| a * a).sum::<f32>();
        let dof_acc: f32 = x
            .joint_vel
            .iter()
            .zip(x.prev_joint_vel)
            .map(|(v, p)| sq((p - v) / dt))
            .sum();
        let action_rate: f32 = x
            .action
            .iter()
            .zip(x.prev_action)
            .map(|(a, p)| sq(a - p))
            .sum();
        let limits: f32 = x
            .joint_pos
            .iter()
            .zip(x.soft_limits)
            .map(|(q, (lo, hi))| (lo - q).max(0.0) + (q - hi).max(0.0))
            .sum();
        let moving = (sq(x.command[0]) + sq(x.command[1])).sqrt() > 0.1;
        let air: f32 = x
            .touchdown_air_time
            .iter()
            .filter(|t| **t > 0.0)
            .map(|t| t - x.air_time_threshold)
            .sum();
        Self {
            tracking_lin_vel: w.tracking_lin_vel * dt * (-lin_err / x.tracking_sigma).exp(),
            tracking_ang_vel: w.tracking_ang_vel * dt * (-yaw_err / x.tracking_sigma).exp(),
            lin_vel_z: w.lin_vel_z * dt * sq(x.lin_vel_b[2]),
            ang_vel_xy: w.ang_vel_xy * dt * (sq(x.ang_vel_b[0]) + sq(x.ang_vel_b[1])),
            torques: w.torques * dt * sum_sq(x.torques),
            dof_acc: w.dof_acc * dt * dof_acc,
            feet_air_time: if moving {
                w.feet_air_time * dt * air
            } else {
                0.0
            },
            collision: w.collision * dt * x.collisions as f32,
            action_rate: w.action_rate * dt * action_rate,
            dof_pos_limits: w.dof_pos_limits * dt * limits,
        }
    }

    /// The terms as (name, value) pairs, in a fixed order.
    pub fn named(&self) -> [(&'static str, f32); 10] {
        [
            ("tracking_lin_vel", self.tracking_lin_vel),
            ("tracking_ang_vel", self.tracking_ang_vel),
            ("lin_vel_z", self.lin_vel_z),
            ("ang_vel_xy", self.ang_vel_xy),
            ("torques", self.torques),
            ("dof_acc", self.dof_acc),
            ("feet_air_time", self.feet_air_time),
            ("collision", self.collision),
            ("action_rate", self.action_rate),
            ("dof_pos_limits", self.dof_pos_limits),
        ]
    }

    /// Sum of all terms.
    pub fn total(&self) -> f32 {
        self.named().iter().map(|(_, v)| v).sum()
    }

    /// Adds `other` term by term.
    pub fn accumulate(&mut self, other: &Self) {
        self.tracking_lin_vel += other.tracking_lin_vel;
        self.tracking_ang_vel += other.tracking_ang_vel;
        self.lin_vel_z += other.lin_vel_z;
        self.ang_vel_xy += other.ang_vel_xy;
        self.torques += other.torques;
        self.dof_acc += other.dof_acc;
        self.feet_air_time += other.feet_air_time;
        self.collision += other.collision;
        self.action_rate += other.action_rate;
        self.dof_pos_limits += other.dof_pos_limits;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs<'a>(zero: &'a [f32], limits: &'a [(f32, f32)]) -> RewardInputs<'a> {
        RewardInputs {
            command: [1.0, 0.0, 0.5],
            lin_vel_b: [1.0, 0.0, 0.0],
            ang_vel_b: [0.0, 0.0, 0.5],
            torques: zero,
            joint_vel: zero,
            prev_joint_vel: zero,
            joint_pos: zero,
            soft_limits: limits,
            action: zero,
            prev_action: zero,
            touchdown_air_time: zero,
            collisions: 0,
            dt: 0.02,
            tracking_sigma: 0.25,
            air_time_threshold: 0.5,
        }
    }

    #[test]
    fn perfect_tracking_earns_the_full_tracking_weights_and_nothing_else() {
        let zero = [0.0; 2];
        let limits = [(-1.0, 1.0); 2];
        let t = RewardTerms::compute(&inputs(&zero, &limits), &RewardScales::default());
        assert!((t.tracking_lin_vel - 0.02).abs() < 1e-7);
        assert!((t.tracking_ang_vel - 0.01).abs() < 1e-7);
        assert!((t.total() - 0.03).abs() < 1e-7);
    }

    #[test]
    fn terms_match_hand_values() {
        let zero = [0.0; 2];
        let limits = [(-1.0, 1.0); 2];
        let mut x = inputs(&zero, &limits);
        x.lin_vel_b = [0.5, 0.0, 0.2]; // lin error 0.25 -> exp(-1); vz^2 = 0.04
        let torques = [10.0, 0.0];
        x.torques = &torques;
        let vel = [1.0, 0.0];
        x.joint_vel = &vel; // acc = 1 / 0.02 = 50 -> 2500
        let pos = [1.5, 0.0];
        x.joint_pos = &pos; // 0.5 beyond the soft limit
        let act = [0.5, 0.0];
        x.action = &act;
        let air = [0.8, 0.0];
        x.touchdown_air_time = &air;
        x.collisions = 2;
        let t = RewardTerms::compute(&x, &RewardScales::default());
        let dt = 0.02;
        assert!((t.tracking_lin_vel - dt * (-1.0f32).exp()).abs() < 1e-7);
        assert!((t.lin_vel_z - (-2.0 * dt * 0.04)).abs() < 1e-7);
        assert!((t.torques - (-0.0002 * dt * 100.0)).abs() < 1e-7);
        assert!((t.dof_acc - (-2.5e-7 * dt * 2500.0)).abs() < 1e-8);
        assert!((t.dof_pos_limits - (-10.0 * dt * 0.5)).abs() < 1e-6);
        assert!((t.action_rate - (-0.01 * dt * 0.25)).abs() < 1e-8);
        assert!((t.feet_air_time - (dt * 0.3)).abs() < 1e-7);
        assert!((t.collision - (-dt * 2.0)).abs() < 1e-7);
    }

    #[test]
    fn air_time_is_not_rewarded_when_standing_still() {
        let zero = [0.0; 1];
        let limits = [(-1.0, 1.0)];
        let mut x = inputs(&zero, &limits);
        x.command = [0.05, 0.0, 0.0];
        let air = [0.9];
        x.touchdown_air_time = &air;
        assert_eq!(
            RewardTerms::compute(&x, &RewardScales::default()).feet_air_time,
            0.0
        );
    }
}
