//! The legged proprioceptive observation as deploy-contract slices ([`proprio_layout`]), shared by
//! the simulator's tasks and, through each checkpoint's manifest, the ROS 2 policy node.
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

/// Number of floats in the proprioceptive observation of a robot with `num_joints` joints.
pub fn proprio_obs_dim(num_joints: usize) -> usize {
    12 + 3 * num_joints
}

/// The legged proprioceptive layout above as a [`crate::contract::ObsLayout`]: base velocities,
/// gravity, command, then joint positions, velocities and the last action of `joints` (names, in
/// joint order, with their `default` positions).
pub fn proprio_layout(
    joints: &[String],
    default: &[f32],
    scales: &ObservationScales,
) -> Result<crate::contract::ObsLayout, crate::contract::ContractError> {
    use crate::contract::{ObsLayout, ObsTerm};
    let mut layout = ObsLayout::new();
    layout.push(
        ObsTerm::BaseLinVel {
            scale: scales.lin_vel,
        },
        None,
    )?;
    layout.push(
        ObsTerm::BaseAngVel {
            scale: scales.ang_vel,
        },
        None,
    )?;
    layout.push(ObsTerm::ProjectedGravity, None)?;
    layout.push(
        ObsTerm::VelocityCommand {
            scale: [scales.lin_vel, scales.lin_vel, scales.ang_vel],
        },
        None,
    )?;
    layout.push(
        ObsTerm::JointPos {
            joints: joints.to_vec(),
            default: default.to_vec(),
            scale: scales.dof_pos,
        },
        None,
    )?;
    layout.push(
        ObsTerm::JointVel {
            joints: joints.to_vec(),
            scale: scales.dof_vel,
        },
        None,
    )?;
    layout.push(ObsTerm::LastAction, Some(joints.len()))?;
    Ok(layout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::ObsSources;

    #[test]
    fn layout_places_every_quantity_with_its_scale() {
        let (q, qd, a) = ([0.5, -0.2], [10.0, -20.0], [0.3, -0.4]);
        let names = vec!["a".to_string(), "b".to_string()];
        let layout =
            proprio_layout(&names, &[0.25, 0.0], &ObservationScales::default()).expect("layout");
        assert_eq!(layout.dim(), proprio_obs_dim(2));
        let src = ObsSources {
            lin_vel_b: [1.0, 2.0, 3.0],
            ang_vel_b: [4.0, 8.0, -4.0],
            gravity_b: [0.0, 0.0, -1.0],
            command: [0.5, -0.5, 1.0],
            joint_pos: &q,
            joint_vel: &qd,
            last_action: &a,
            ..Default::default()
        };
        let mut out = vec![0.0; layout.dim()];
        layout.write(&src, &mut out).expect("write");
        assert_eq!(
            out,
            vec![
                2.0, 4.0, 6.0, 1.0, 2.0, -1.0, 0.0, 0.0, -1.0, 1.0, -1.0, 0.25, 0.25, -0.2, 0.5,
                -1.0, 0.3, -0.4
            ]
        );
    }
}
