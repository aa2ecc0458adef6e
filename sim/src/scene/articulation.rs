//! One articulated robot in a [`super::Scene`]: its Rapier bodies, colliders and PD joint motors,
//! built from a [`RobotSpec`].
//!
//! Joints are Rapier impulse joints whose free axes carry force-based motors: Rapier solves the
//! spring-damper `kp (target - q) - kd qd` implicitly at every solver substep, clamped to the
//! effort limit. A spherical joint has a motor on each of its three angular axes; its target
//! rotation is written into the joint's parent frame, so the three motors drive the rotation
//! error (a quaternion) to zero.
//!
//! Vector layouts: positions `[nq]` (one value per joint, `w, x, y, z` per spherical joint),
//! velocities, actions and torques `[nv]` (three per spherical joint), see [`RobotSpec::nq`].

use super::shapes::{Built, MeshCollider, build_shape, to_pose, to_vec3};
use crate::error::SimError;
use nalgebra::Isometry3;
use rapier3d::glamx::Quat;
use rapier3d::prelude::*;
use robots::{JointKind, RobotSpec};
use std::sync::Arc;

/// How a joint moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Motion {
    Revolute,
    Prismatic,
    Spherical,
}

/// Per-joint facts needed every step, in `f32`.
#[derive(Debug, Clone)]
pub(crate) struct JointRuntime {
    pub handle: ImpulseJointHandle,
    pub parent: RigidBodyHandle,
    pub child: RigidBodyHandle,
    /// Joint frame in the parent body (x axis = joint axis for 1-dof joints).
    pub frame1: Pose,
    /// Joint frame in the child body.
    pub frame2: Pose,
    pub motion: Motion,
    pub stiffness: f32,
    pub damping: f32,
    pub effort: f32,
    /// Range the target is clamped into.
    pub lower: f32,
    pub upper: f32,
    /// Offsets into position (`[nq]`) and velocity (`[nv]`) vectors.
    pub q_at: usize,
    pub v_at: usize,
}

/// One robot's runtime state inside a scene.
#[derive(Debug, Clone)]
pub struct Articulation {
    pub(crate) spec: Arc<RobotSpec>,
    /// Rigid bodies in spec order (body 0 is the base).
    pub(crate) bodies: Vec<RigidBodyHandle>,
    /// Every collider with the URDF link (MJCF body) it was declared in.
    pub(crate) link_colliders: Vec<(String, ColliderHandle)>,
    pub(crate) joints: Vec<JointRuntime>,
    /// PD targets, position layout `[nq]`.
    pub(crate) targets: Vec<f32>,
    /// Default positions `[nq]`.
    pub(crate) default_q: Vec<f32>,
    pub(crate) skipped_meshes: usize,
    /// External forces (N, world) applied per body since the last clear.
    pub(crate) external_force_w: Vec<Vec3>,
    /// Pushes so far and the velocity change of the last one.
    pub(crate) pushes: (u64, Vec3),
    /// Scene-wide id of body 0 (ids of the others follow), for contact excludes.
    pub(crate) first_body_id: u32,
}

/// What [`Articulation::build`] needs to know about the scene it joins.
pub(crate) struct BuildContext<'a> {
    pub groups: InteractionGroups,
    pub friction: f32,
    pub first_body_id: u32,
    /// How each mesh shape becomes a collider.
    pub mesh_collider: &'a dyn Fn(&robots::CollisionShape) -> MeshCollider,
    /// Called for every collider built: `(collider, shape)` so the scene can register masks and
    /// pairs.
    pub on_collider: &'a mut dyn FnMut(&mut PhysicsWorld, ColliderHandle, &robots::CollisionShape),
}

impl Articulation {
    /// Builds the bodies, colliders and joints of `spec` into `world`, at the default pose with
    /// the base at `base_w` (a fixed base sits at `spec.fixed_base` instead).
    pub(crate) fn build(
        world: &mut PhysicsWorld,
        spec: Arc<RobotSpec>,
        base_w: Isometry3<f64>,
        ctx: BuildContext<'_>,
    ) -> Result<Self, SimError> {
        let mut bodies = Vec::with_capacity(spec.bodies.len());
        let mut skipped_meshes = 0;
        let mut link_colliders = Vec::new();
        for (i, body) in spec.bodies.iter().enumerate() {
            let rb = if i == 0 && spec.fixed_base.is_some() {
                RigidBodyBuilder::fixed()
            } else {
                let mprops = MassProperties::with_inertia_matrix(
                    to_vec3(&body.com_b),
                    body.mass as f32,
                    Mat3::from_cols_array(&std::array::from_fn(|k| {
                        body.inertia_b[(k % 3, k / 3)] as f32
                    })),
                );
                RigidBodyBuilder::dynamic()
                    .additional_mass_properties(mprops)
                    .can_sleep(false)
            };
            let handle = world.bodies.insert(rb);
            for c in &body.collisions {
                let (shape, extra) = match build_shape(&c.shape, (ctx.mesh_collider)(c))? {
                    Built::Shape(shape, extra) => (shape, extra),
                    Built::MissingMesh => {
                        skipped_meshes += 1;
                        continue;
                    }
                };
                let collider = ColliderBuilder::new(shape)
                    .position(to_pose(&c.origin_b) * extra)
                    .density(0.0)
                    .friction(c.friction.map_or(ctx.friction, |f| f as f32))
                    .collision_groups(ctx.groups);
                let ch = world
                    .colliders
                    .insert_with_parent(collider, handle, &mut world.bodies);
                (ctx.on_collider)(world, ch, c);
                link_colliders.push((c.link.clone(), ch));
            }
            bodies.push(handle);
        }
        let mut joints = Vec::with_capacity(spec.joints.len());
        let (mut q_at, mut v_at) = (0, 0);
        for j in &spec.joints {
            let effort = if j.effort_limit.is_finite() {
                j.effort_limit as f32
            } else {
                f32::MAX
            };
            let (lower, upper) = j.target_range.unwrap_or((j.lower, j.upper));
            let (motion, frame1, frame2, builder) = match j.kind {
                JointKind::Spherical => {
                    let frame1 = to_pose(&j.origin_p);
                    let mut b = GenericJointBuilder::new(JointAxesMask::LOCKED_SPHERICAL_AXES)
                        .local_frame1(frame1 * Pose::from_rotation(quat_wxyz(&j.default_rotation)))
                        .local_frame2(Pose::IDENTITY)
                        .contacts_enabled(false);
                    for axis in [JointAxis::AngX, JointAxis::AngY, JointAxis::AngZ] {
                        b = b
                            .motor_model(axis, MotorModel::ForceBased)
                            .set_motor(axis, 0.0, 0.0, j.stiffness as f32, j.damping as f32)
                            .motor_max_force(axis, effort);
                    }
                    (Motion::Spherical, frame1, Pose::IDENTITY, b)
                }
                kind => {
                    let axis = to_vec3(&j.axis).normalize();
                    let align = Quat::from_rotation_arc(Vec3::X, axis);
                    let frame1 = to_pose(&j.origin_p) * Pose::from_rotation(align);
                    let frame2 = Pose::from_rotation(align);
                    let prismatic = kind == JointKind::Prismatic;
                    let (locked, axis_id) = if prismatic {
                        (JointAxesMask::LOCKED_PRISMATIC_AXES, JointAxis::LinX)
                    } else {
                        (JointAxesMask::LOCKED_REVOLUTE_AXES, JointAxis::AngX)
                    };
                    let friction = dry_friction(j);
                    let (damping, max_force) = match friction {
                        Some(f) => f,
                        None => (j.damping as f32, effort),
                    };
                    let mut b = GenericJointBuilder::new(locked)
                        .local_frame1(frame1)
                        .local_frame2(frame2)
                        .contacts_enabled(false)
                        .motor_model(axis_id, MotorModel::ForceBased)
                        .set_motor(
                            axis_id,
                            j.default_position as f32,
                            0.0,
                            j.stiffness as f32,
                            damping,
                        )
                        .motor_max_force(axis_id, max_force);
                    if kind != JointKind::Continuous {
                        b = b.limits(axis_id, [j.lower as f32, j.upper as f32]);
                    }
                    let motion = if prismatic {
                        Motion::Prismatic
                    } else {
                        Motion::Revolute
                    };
                    (motion, frame1, frame2, b)
                }
            };
            let handle = world.impulse_joints.insert(
                bodies[j.parent],
                bodies[j.child],
                builder.build(),
                true,
            );
            joints.push(JointRuntime {
                handle,
                parent: bodies[j.parent],
                child: bodies[j.child],
                frame1,
                frame2,
                motion,
                stiffness: j.stiffness as f32,
                damping: j.damping as f32,
                effort,
                lower: lower as f32,
                upper: upper as f32,
                q_at,
                v_at,
            });
            q_at += j.kind.nq();
            v_at += j.kind.nv();
        }
        let default_q: Vec<f32> = spec.default_q().iter().map(|&v| v as f32).collect();
        let n_bodies = bodies.len();
        let mut art = Self {
            spec,
            bodies,
            link_colliders,
            joints,
            targets: default_q.clone(),
            default_q,
            skipped_meshes,
            external_force_w: vec![Vec3::ZERO; n_bodies],
            pushes: (0, Vec3::ZERO),
            first_body_id: ctx.first_body_id,
        };
        let base = art.spec.fixed_base.unwrap_or(base_w);
        let q = art.default_q.clone();
        art.reset_pose(world, &base, &q)?;
        Ok(art)
    }

    /// The robot description.
    pub fn spec(&self) -> &Arc<RobotSpec> {
        &self.spec
    }

    /// Length of position vectors.
    pub fn nq(&self) -> usize {
        self.default_q.len()
    }

    /// Length of velocity, action and torque vectors.
    pub fn nv(&self) -> usize {
        self.joints.last().map_or(0, |j| {
            j.v_at
                + match j.motion {
                    Motion::Spherical => 3,
                    _ => 1,
                }
        })
    }

    /// Default positions `[nq]`.
    pub fn default_q(&self) -> &[f32] {
        &self.default_q
    }

    /// PD targets `[nq]`.
    pub fn targets(&self) -> &[f32] {
        &self.targets
    }

    /// Rigid-body handles in spec order.
    pub fn body_handles(&self) -> &[RigidBodyHandle] {
        &self.bodies
    }

    /// Number of mesh shapes skipped because their files are missing.
    pub fn skipped_meshes(&self) -> usize {
        self.skipped_meshes
    }

    fn check(&self, what: &str, expected: usize, got: usize) -> Result<(), SimError> {
        if expected == got {
            Ok(())
        } else {
            Err(SimError::Length {
                what: format!("{}: {what}", self.spec.name),
                expected,
                got,
            })
        }
    }

    /// Places the robot: base pose (ignored for a fixed base), joint positions `q` (`[nq]`);
    /// all velocities zero, external forces cleared, PD targets set to `q`.
    pub(crate) fn reset_pose(
        &mut self,
        world: &mut PhysicsWorld,
        base_w: &Isometry3<f64>,
        q: &[f32],
    ) -> Result<(), SimError> {
        let zeros = vec![0.0; self.nv()];
        self.set_state(world, base_w, [0.0; 3], [0.0; 3], q, &zeros)?;
        self.set_targets(world, q)
    }

    /// Sets the full state: base pose and velocity (world frame; the base velocity is that of
    /// the base frame's origin), joint positions `q` (`[nq]`) and velocities `qd` (`[nv]`).
    /// Body velocities follow from the joint velocities along the tree. PD targets are left as
    /// they are; external forces are cleared.
    pub(crate) fn set_state(
        &mut self,
        world: &mut PhysicsWorld,
        base_w: &Isometry3<f64>,
        base_lin_vel_w: [f32; 3],
        base_ang_vel_w: [f32; 3],
        q: &[f32],
        qd: &[f32],
    ) -> Result<(), SimError> {
        self.check("joint positions", self.nq(), q.len())?;
        self.check("joint velocities", self.nv(), qd.len())?;
        let base = self.spec.fixed_base.unwrap_or(*base_w);
        let q64: Vec<f64> = q.iter().map(|&v| v as f64).collect();
        let poses = robots::body_poses(&self.spec, base, &q64).ok_or_else(|| SimError::Length {
            what: "joint positions".into(),
            expected: self.nq(),
            got: q.len(),
        })?;
        let fixed = self.spec.fixed_base.is_some();
        // Angular velocity and the velocity of the body frame origin, per body.
        let mut omega = vec![Vec3::ZERO; self.bodies.len()];
        let mut v_origin = vec![Vec3::ZERO; self.bodies.len()];
        if !fixed {
            omega[0] = Vec3::from_array(base_ang_vel_w);
            v_origin[0] = Vec3::from_array(base_lin_vel_w);
        }
        for (i, body) in self.spec.bodies.iter().enumerate().skip(1) {
            let Some(k) = body.parent_joint else { continue };
            let js = &self.spec.joints[k];
            let jr = &self.joints[k];
            let p = js.parent;
            let origin_c = to_pose(&poses[i]).translation;
            let origin_p = to_pose(&poses[p]).translation;
            let mut w = omega[p];
            let mut v = v_origin[p] + omega[p].cross(origin_c - origin_p);
            let rot_c = to_pose(&poses[i]).rotation;
            match jr.motion {
                Motion::Revolute => {
                    let axis_w = rot_c * to_vec3(&js.axis).normalize();
                    w += axis_w * qd[jr.v_at];
                }
                Motion::Prismatic => {
                    let axis_w = rot_c * to_vec3(&js.axis).normalize();
                    v += axis_w * qd[jr.v_at];
                }
                Motion::Spherical => {
                    w += rot_c * Vec3::new(qd[jr.v_at], qd[jr.v_at + 1], qd[jr.v_at + 2]);
                }
            }
            omega[i] = w;
            v_origin[i] = v;
        }
        for (i, (handle, pose)) in self.bodies.iter().zip(&poses).enumerate() {
            let rb = &mut world.bodies[*handle];
            let pose = to_pose(pose);
            rb.set_position(pose, true);
            if rb.is_dynamic() {
                let com_w = pose * rb.mass_properties().local_mprops.local_com;
                rb.set_linvel(v_origin[i] + omega[i].cross(com_w - pose.translation), true);
                rb.set_angvel(omega[i], true);
            }
            rb.reset_forces(true);
            rb.reset_torques(true);
        }
        self.external_force_w.fill(Vec3::ZERO);
        Ok(())
    }

    /// Sets PD targets (`[nq]`), each clamped into its range; a non-finite target falls back to
    /// the default. Spherical targets are normalised quaternions `w, x, y, z`.
    pub(crate) fn set_targets(
        &mut self,
        world: &mut PhysicsWorld,
        targets: &[f32],
    ) -> Result<(), SimError> {
        self.check("joint targets", self.nq(), targets.len())?;
        for k in 0..self.joints.len() {
            let at = self.joints[k].q_at;
            match self.joints[k].motion {
                Motion::Spherical => {
                    let t = [
                        targets[at],
                        targets[at + 1],
                        targets[at + 2],
                        targets[at + 3],
                    ];
                    self.set_rotation_target(world, k, t);
                }
                _ => self.set_target(world, k, targets[at]),
            }
        }
        Ok(())
    }

    /// Sets targets from a policy action (`[nv]`): `target = default + scale * action` for 1-dof
    /// joints, `default * exp(scale * action)` (a rotation vector) for spherical joints.
    /// Non-finite action entries count as zero.
    pub(crate) fn apply_action(
        &mut self,
        world: &mut PhysicsWorld,
        action: &[f32],
    ) -> Result<(), SimError> {
        self.check("action", self.nv(), action.len())?;
        let finite = |a: f32| if a.is_finite() { a } else { 0.0 };
        for k in 0..self.joints.len() {
            let scale = self.spec.joint_action_scale(k) as f32;
            let (q_at, v_at) = (self.joints[k].q_at, self.joints[k].v_at);
            match self.joints[k].motion {
                Motion::Spherical => {
                    let d = &self.default_q[q_at..q_at + 4];
                    let default = Quat::from_xyzw(d[1], d[2], d[3], d[0]);
                    let rv = Vec3::new(
                        finite(action[v_at]),
                        finite(action[v_at + 1]),
                        finite(action[v_at + 2]),
                    ) * scale;
                    let t = default * Quat::from_scaled_axis(rv);
                    self.set_rotation_target(world, k, [t.w, t.x, t.y, t.z]);
                }
                _ => {
                    let t = self.default_q[q_at] + scale * finite(action[v_at]);
                    self.set_target(world, k, t);
                }
            }
        }
        Ok(())
    }

    pub(crate) fn set_target(&mut self, world: &mut PhysicsWorld, k: usize, target: f32) {
        let j = &self.joints[k];
        let t = if target.is_finite() {
            target.clamp(j.lower.min(j.upper), j.upper.max(j.lower))
        } else {
            self.default_q[j.q_at]
        };
        self.targets[j.q_at] = t;
        let axis = if j.motion == Motion::Prismatic {
            JointAxis::LinX
        } else {
            JointAxis::AngX
        };
        if let Some(joint) = world.impulse_joints.get_mut(j.handle, false) {
            joint.data.set_motor(axis, t, 0.0, j.stiffness, j.damping);
        }
    }

    fn set_rotation_target(&mut self, world: &mut PhysicsWorld, k: usize, wxyz: [f32; 4]) {
        let j = &self.joints[k];
        let q = Quat::from_xyzw(wxyz[1], wxyz[2], wxyz[3], wxyz[0]);
        let q = if q.is_finite() && q.length() > 1e-6 {
            q.normalize()
        } else {
            let d = &self.default_q[j.q_at..j.q_at + 4];
            Quat::from_xyzw(d[1], d[2], d[3], d[0])
        };
        self.targets[j.q_at..j.q_at + 4].copy_from_slice(&[q.w, q.x, q.y, q.z]);
        if let Some(joint) = world.impulse_joints.get_mut(j.handle, false) {
            joint
                .data
                .set_local_frame1(j.frame1 * Pose::from_rotation(q));
        }
    }

    /// Relative rotation of a spherical joint's child frame in its parent frame.
    fn relative_rotation(&self, world: &PhysicsWorld, j: &JointRuntime) -> Quat {
        let f1 = world.bodies[j.parent].position() * j.frame1;
        let f2 = world.bodies[j.child].position() * j.frame2;
        let r = f1.rotation.inverse() * f2.rotation;
        if r.w < 0.0 { -r } else { r }
    }

    /// Position of 1-dof joint `k` (`None` for a spherical joint or a bad index).
    pub(crate) fn joint_position_1dof(&self, world: &PhysicsWorld, k: usize) -> Option<f32> {
        let j = self.joints.get(k)?;
        let f1 = world.bodies[j.parent].position() * j.frame1;
        let f2 = world.bodies[j.child].position() * j.frame2;
        match j.motion {
            Motion::Prismatic => Some((f2.translation - f1.translation).dot(f1.rotation * Vec3::X)),
            Motion::Revolute => {
                let rel = f1.rotation.inverse() * f2.rotation;
                let (x, w) = if rel.w < 0.0 {
                    (-rel.x, -rel.w)
                } else {
                    (rel.x, rel.w)
                };
                Some(2.0 * x.atan2(w))
            }
            Motion::Spherical => None,
        }
    }

    /// Joint positions into `out` (`[nq]`).
    pub fn joint_positions(&self, world: &PhysicsWorld, out: &mut [f32]) {
        for (k, j) in self.joints.iter().enumerate() {
            match j.motion {
                Motion::Spherical => {
                    let r = self.relative_rotation(world, j);
                    out[j.q_at..j.q_at + 4].copy_from_slice(&[r.w, r.x, r.y, r.z]);
                }
                _ => out[j.q_at] = self.joint_position_1dof(world, k).unwrap_or(0.0),
            }
        }
    }

    /// Joint velocities into `out` (`[nv]`); a spherical joint's is the child's angular velocity
    /// relative to its parent, in the child frame.
    pub fn joint_velocities(&self, world: &PhysicsWorld, out: &mut [f32]) {
        for j in &self.joints {
            let p = &world.bodies[j.parent];
            let c = &world.bodies[j.child];
            let f1 = p.position() * j.frame1;
            let axis_w = f1.rotation * Vec3::X;
            match j.motion {
                Motion::Prismatic => {
                    let f2 = c.position() * j.frame2;
                    let v1 = p.velocity_at_point(f2.translation);
                    out[j.v_at] = (c.velocity_at_point(f2.translation) - v1).dot(axis_w);
                }
                Motion::Revolute => out[j.v_at] = (c.angvel() - p.angvel()).dot(axis_w),
                Motion::Spherical => {
                    let w = c.position().rotation.inverse() * (c.angvel() - p.angvel());
                    out[j.v_at..j.v_at + 3].copy_from_slice(&w.to_array());
                }
            }
        }
    }

    /// Estimated PD torques (`[nv]`) from positions `q` (`[nq]`) and velocities `qd` (`[nv]`),
    /// clamped to the effort limits.
    pub fn pd_torques(&self, q: &[f32], qd: &[f32], out: &mut [f32]) {
        for j in &self.joints {
            match j.motion {
                Motion::Spherical => {
                    let c = &q[j.q_at..j.q_at + 4];
                    let t = &self.targets[j.q_at..j.q_at + 4];
                    let cur = Quat::from_xyzw(c[1], c[2], c[3], c[0]);
                    let tgt = Quat::from_xyzw(t[1], t[2], t[3], t[0]);
                    let mut err = cur.inverse() * tgt;
                    if err.w < 0.0 {
                        err = -err;
                    }
                    let rv = err.to_scaled_axis();
                    for a in 0..3 {
                        let tau = j.stiffness * rv[a] - j.damping * qd[j.v_at + a];
                        out[j.v_at + a] = tau.clamp(-j.effort, j.effort);
                    }
                }
                _ => {
                    let tau =
                        j.stiffness * (self.targets[j.q_at] - q[j.q_at]) - j.damping * qd[j.v_at];
                    out[j.v_at] = tau.clamp(-j.effort, j.effort);
                }
            }
        }
    }

    /// Largest distance (m) between the two anchors of any joint: the constraint error.
    pub fn max_joint_error(&self, world: &PhysicsWorld) -> f32 {
        self.joints
            .iter()
            .map(|j| {
                let f1 = world.bodies[j.parent].position() * j.frame1;
                let b = (world.bodies[j.child].position() * j.frame2).translation;
                let d = b - f1.translation;
                if j.motion == Motion::Prismatic {
                    let axis = f1.rotation * Vec3::X;
                    (d - axis * d.dot(axis)).length()
                } else {
                    d.length()
                }
            })
            .fold(0.0, f32::max)
    }

    /// The colliders of the named links (unknown names contribute none).
    pub fn colliders_of_links(&self, links: &[String]) -> Vec<ColliderHandle> {
        self.link_colliders
            .iter()
            .filter(|(name, _)| links.contains(name))
            .map(|(_, h)| *h)
            .collect()
    }
}

/// Slip speed (rad/s or m/s) at which a joint's dry friction reaches its full value.
const FRICTION_SLIP_SPEED: f64 = 1e-3;

/// The motor of an unactuated joint with dry friction (`friction_loss > 0`, zero stiffness):
/// `(damping, max force)` of a velocity motor towards zero speed whose force saturates at the
/// friction value, i.e. Coulomb friction regularised below [`FRICTION_SLIP_SPEED`] (as MuJoCo
/// regularises its `frictionloss`). The joint's own viscous damping is then covered by it at
/// low speed and left out above. `None` for every other joint.
pub(crate) fn dry_friction(j: &robots::JointSpec) -> Option<(f32, f32)> {
    (j.stiffness == 0.0 && j.friction_loss > 0.0 && j.kind != JointKind::Spherical).then(|| {
        (
            (j.friction_loss / FRICTION_SLIP_SPEED).max(j.damping) as f32,
            j.friction_loss as f32,
        )
    })
}

/// A glam quaternion from `[w, x, y, z]`.
pub(crate) fn quat_wxyz(q: &[f64; 4]) -> Quat {
    Quat::from_xyzw(q[1] as f32, q[2] as f32, q[3] as f32, q[0] as f32).normalize()
}
