//! The proprioceptive observation, shared by the simulator and the deploy runtime (one builder, so
//! a policy sees the same numbers in simulation and on the robot).
//!
//! Layout (legged_gym's order and scales), for `n` actuated joints, `3 * n + 12` floats:
//!
//! | slice            | content                                   | scale  |
//! |------------------|-------------------------------------------|--------|
//! | `[0..3)`         | base linear velocity, body frame (m/s)    | 2.0    |
//! | `[3..6)`         | base angular velocity, body frame (rad/s) | 0.25   |
//! | `[6..9)`         | gravity direction in body frame (unit)    | 1      |
//! | `[9..12)`        | command: vx, vy (m/s), yaw rate (rad/s)   | 2, 2, 0.25 |
//! | `[12..12+n)`     | joint position minus default (rad)        | 1.0    |
//! | `[12+n..12+2n)`  | joint velocity (rad/s)                    | 0.05   |
//! | `[12+2n..12+3n)` | last action                               | 1      |

use serde::{Deserialize, Serialize};

/// Observation scales (multiplied onto the raw quantities).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationScales {
    /// Base linear velocity scale.
    pub lin_vel: f32,
    /// Base angular velocity scale.
    pub ang_vel: f32,
    /// Joint position scale.
    pub dof_pos: f32,
    /// Joint velocity scale.
    pub dof_vel: f32,
}

impl Default for ObservationScales {
    fn default() -> Self {
        Self {
            lin_vel: 2.0,
            ang_vel: 0.25,
            dof_pos: 1.0,
            dof_vel: 0.05,
        }
    }
}

/// The raw robot state a proprioceptive observation is built from. SI units, body frame `_b`.
#[derive(Debug, Clone, Copy)]
pub struct ProprioState<'a> {
    /// Base linear velocity in the body frame (m/s).
    pub lin_vel_b: [f32; 3],
    /// Base angular velocity in the body frame (rad/s).
    pub ang_vel_b: [f32; 3],
    /// Unit gravity direction in the body frame (`[0, 0, -1]` when level).
    pub gravity_b: [f32; 3],
    /// Velocity command: forward (m/s), lateral (m/s), yaw rate (rad/s).
    pub command: [f32; 3],
    /// Joint positions (rad), joint order.
    pub joint_pos: &'a [f32],
    /// Joint velocities (rad/s), joint order.
    pub joint_vel: &'a [f32],
    /// The previous policy action, joint order.
    pub last_action: &'a [f32],
}

/// Number of floats in the proprioceptive observation of a robot with `num_joints` joints.
pub fn proprio_obs_dim(num_joints: usize) -> usize {
    12 + 3 * num_joints
}

/// Writes the observation into `out` (`out.len() == proprio_obs_dim(n)`).
///
/// `default_pos` holds the default joint positions in joint order. Returns `false` (and writes
/// nothing) if any slice has the wrong length.
pub fn build_proprio_observation(
    state: &ProprioState<'_>,
    default_pos: &[f32],
    scales: &ObservationScales,
    out: &mut [f32],
) -> bool {
    let n = default_pos.len();
    if state.joint_pos.len() != n
        || state.joint_vel.len() != n
        || state.last_action.len() != n
        || out.len() != proprio_obs_dim(n)
    {
        return false;
    }
    for i in 0..3 {
        out[i] = state.lin_vel_b[i] * scales.lin_vel;
        out[3 + i] = state.ang_vel_b[i] * scales.ang_vel;
        out[6 + i] = state.gravity_b[i];
    }
    out[9] = state.command[0] * scales.lin_vel;
    out[10] = state.command[1] * scales.lin_vel;
    out[11] = state.command[2] * scales.ang_vel;
    for j in 0..n {
        out[12 + j] = (state.joint_pos[j] - default_pos[j]) * scales.dof_pos;
        out[12 + n + j] = state.joint_vel[j] * scales.dof_vel;
        out[12 + 2 * n + j] = state.last_action[j];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_places_every_quantity_with_its_scale() {
        let q = [0.5, -0.2];
        let qd = [10.0, -20.0];
        let a = [0.3, -0.4];
        let state = ProprioState {
            lin_vel_b: [1.0, 2.0, 3.0],
            ang_vel_b: [4.0, 8.0, -4.0],
            gravity_b: [0.0, 0.0, -1.0],
            command: [0.5, -0.5, 1.0],
            joint_pos: &q,
            joint_vel: &qd,
            last_action: &a,
        };
        let mut out = vec![0.0; proprio_obs_dim(2)];
        assert!(build_proprio_observation(
            &state,
            &[0.25, 0.0],
            &ObservationScales::default(),
            &mut out
        ));
        assert_eq!(
            out,
            vec![
                2.0, 4.0, 6.0, 1.0, 2.0, -1.0, 0.0, 0.0, -1.0, 1.0, -1.0, 0.25, 0.25, -0.2, 0.5,
                -1.0, 0.3, -0.4
            ]
        );
    }

    #[test]
    fn wrong_lengths_are_refused() {
        let state = ProprioState {
            lin_vel_b: [0.0; 3],
            ang_vel_b: [0.0; 3],
            gravity_b: [0.0; 3],
            command: [0.0; 3],
            joint_pos: &[0.0; 3],
            joint_vel: &[0.0; 2],
            last_action: &[0.0; 2],
        };
        let mut out = vec![0.0; proprio_obs_dim(2)];
        assert!(!build_proprio_observation(
            &state,
            &[0.0; 2],
            &ObservationScales::default(),
            &mut out
        ));
    }
}
