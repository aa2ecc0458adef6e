//! The full state of articulations and objects, to read, store and set (reference-state
//! initialisation, tests, snapshots of one robot).

use super::articulation::Articulation;
use crate::error::SimError;
use nalgebra::{Isometry3, Quaternion, Translation3, UnitQuaternion};
use rapier3d::glamx::Quat;
use rapier3d::prelude::*;
use serde::{Deserialize, Serialize};

/// The state of one articulation: base pose and velocity (world frame; the linear velocity is
/// that of the base frame's origin), joint positions `[nq]` and velocities `[nv]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticulationState {
    /// Base position (m).
    pub base_pos_w: [f32; 3],
    /// Base orientation `[w, x, y, z]`.
    pub base_rot_w: [f32; 4],
    /// Base linear velocity (m/s).
    pub base_lin_vel_w: [f32; 3],
    /// Base angular velocity (rad/s).
    pub base_ang_vel_w: [f32; 3],
    /// Joint positions (`[nq]`; `w, x, y, z` per spherical joint).
    pub q: Vec<f32>,
    /// Joint velocities (`[nv]`).
    pub qd: Vec<f32>,
}

impl ArticulationState {
    pub(crate) fn read(art: &Articulation, world: &PhysicsWorld) -> Self {
        let rb = &world.bodies[art.bodies[0]];
        let pose = rb.position();
        let mut q = vec![0.0; art.nq()];
        let mut qd = vec![0.0; art.nv()];
        art.joint_positions(world, &mut q);
        art.joint_velocities(world, &mut qd);
        let r = pose.rotation;
        Self {
            base_pos_w: pose.translation.to_array(),
            base_rot_w: [r.w, r.x, r.y, r.z],
            base_lin_vel_w: rb.velocity_at_point(pose.translation).to_array(),
            base_ang_vel_w: rb.angvel().to_array(),
            q,
            qd,
        }
    }

    pub(crate) fn write(
        &self,
        art: &mut Articulation,
        world: &mut PhysicsWorld,
    ) -> Result<(), SimError> {
        let finite = self
            .base_pos_w
            .iter()
            .chain(&self.base_rot_w)
            .chain(&self.base_lin_vel_w)
            .chain(&self.base_ang_vel_w)
            .chain(&self.q)
            .chain(&self.qd)
            .all(|v| v.is_finite());
        if !finite {
            return Err(SimError::Config {
                key: format!("{}: state", art.spec.name),
                message: "has a non-finite value".into(),
            });
        }
        let [x, y, z] = self.base_pos_w.map(f64::from);
        let [w, i, j, k] = self.base_rot_w.map(f64::from);
        let base = Isometry3::from_parts(
            Translation3::new(x, y, z),
            UnitQuaternion::from_quaternion(Quaternion::new(w, i, j, k)),
        );
        art.set_state(
            world,
            &base,
            self.base_lin_vel_w,
            self.base_ang_vel_w,
            &self.q,
            &self.qd,
        )
    }
}

/// The state of a free object (world frame; the linear velocity is the centre of mass's).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ObjectState {
    /// Position of the body frame (m).
    pub pos_w: [f32; 3],
    /// Orientation `[w, x, y, z]`.
    pub rot_w: [f32; 4],
    /// Linear velocity of the centre of mass (m/s).
    pub lin_vel_w: [f32; 3],
    /// Angular velocity (rad/s).
    pub ang_vel_w: [f32; 3],
}

impl ObjectState {
    pub(crate) fn read(rb: &RigidBody) -> Self {
        let p = rb.position();
        let r = p.rotation;
        Self {
            pos_w: p.translation.to_array(),
            rot_w: [r.w, r.x, r.y, r.z],
            lin_vel_w: rb.linvel().to_array(),
            ang_vel_w: rb.angvel().to_array(),
        }
    }

    pub(crate) fn write(&self, rb: &mut RigidBody) {
        let [w, x, y, z] = self.rot_w;
        let q = Quat::from_xyzw(x, y, z, w);
        let q = if q.length() > 1e-6 {
            q.normalize()
        } else {
            Quat::IDENTITY
        };
        rb.set_position(Pose::from_parts(Vec3::from_array(self.pos_w), q), true);
        rb.set_linvel(Vec3::from_array(self.lin_vel_w), true);
        rb.set_angvel(Vec3::from_array(self.ang_vel_w), true);
        rb.reset_forces(true);
        rb.reset_torques(true);
    }
}
