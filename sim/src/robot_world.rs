//! One robot in one Rapier world: build from a [`RobotSpec`], PD control, state read-out,
//! external forces, contacts.

use crate::error::SimError;
use crate::physics::PhysicsConfig;
use crate::snapshot::WorldSnapshot;
use crate::terrain::Terrain;
use nalgebra::Isometry3;
use rapier3d::glamx::Quat;
use rapier3d::prelude::*;
use robots::{JointKind, RobotSpec, Shape};
use std::sync::Arc;

const ROBOT_GROUP: Group = Group::GROUP_1;
const GROUND_GROUP: Group = Group::GROUP_2;

/// Base (floating body) state, world frame `_w` and body frame `_b`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BaseState {
    /// Base position (m).
    pub pos_w: Vec3,
    /// Base orientation.
    pub rot_w: Quat,
    /// Linear velocity of the base frame origin, world frame (m/s).
    pub lin_vel_w: Vec3,
    /// Angular velocity, world frame (rad/s).
    pub ang_vel_w: Vec3,
    /// Linear velocity in the body frame (m/s).
    pub lin_vel_b: Vec3,
    /// Angular velocity in the body frame (rad/s).
    pub ang_vel_b: Vec3,
    /// Unit gravity direction in the body frame.
    pub gravity_b: Vec3,
}

impl BaseState {
    /// Angle between the body z axis and the world z axis, in degrees.
    pub fn tilt_deg(&self) -> f32 {
        (-self.gravity_b.z).clamp(-1.0, 1.0).acos().to_degrees()
    }
}

/// One touching pair of a robot link and the ground, after the last step.
#[derive(Debug, Clone, PartialEq)]
pub struct GroundContact {
    /// The URDF link whose collider touches the ground.
    pub link: String,
    /// Mean world position of the solver contact points (m).
    pub point_w: Vec3,
    /// Force of the ground on the link, world frame (N): normal and friction impulses of the last
    /// physics substep over its duration.
    pub force_w: Vec3,
}

/// Per-joint facts needed every step, in `f32`.
#[derive(Debug, Clone)]
struct JointRuntime {
    handle: ImpulseJointHandle,
    parent: RigidBodyHandle,
    child: RigidBodyHandle,
    /// Joint frame in the parent body (x axis = joint axis).
    frame1: Pose,
    /// Joint frame in the child body.
    frame2: Pose,
    prismatic: bool,
    axis: JointAxis,
    stiffness: f32,
    damping: f32,
    effort: f32,
    lower: f32,
    upper: f32,
}

/// A Rapier world with one robot, its ground and its PD joint motors.
pub struct RobotWorld {
    spec: Arc<RobotSpec>,
    config: PhysicsConfig,
    pub(crate) world: PhysicsWorld,
    bodies: Vec<RigidBodyHandle>,
    /// Every collider with the URDF link it was declared in.
    link_colliders: Vec<(String, ColliderHandle)>,
    joints: Vec<JointRuntime>,
    pub(crate) ground: ColliderHandle,
    pub(crate) targets: Vec<f32>,
    skipped_meshes: usize,
    default_pos: Vec<f32>,
    /// External forces (N, world) applied per body since the last clear (for visualisation).
    external_force_w: Vec<Vec3>,
    /// Pushes so far and the velocity change of the last one (for visualisation).
    pushes: (u64, Vec3),
}

pub(crate) fn to_pose(iso: &Isometry3<f64>) -> Pose {
    let t = iso.translation.vector;
    let q = iso.rotation.quaternion();
    Pose::from_parts(
        Vec3::new(t.x as f32, t.y as f32, t.z as f32),
        Quat::from_xyzw(q.i as f32, q.j as f32, q.k as f32, q.w as f32).normalize(),
    )
}

fn to_vec3(v: &nalgebra::Vector3<f64>) -> Vec3 {
    Vec3::new(v.x as f32, v.y as f32, v.z as f32)
}

impl RobotWorld {
    /// Builds the world: ground from `terrain`, every body and joint of `spec` at its default
    /// pose with the base at its nominal height.
    pub fn new(
        spec: Arc<RobotSpec>,
        terrain: &Terrain,
        config: PhysicsConfig,
    ) -> Result<Self, SimError> {
        config.validate()?;
        let mut world = PhysicsWorld::new();
        world.gravity = Vec3::new(0.0, 0.0, -9.81);
        world.integration_parameters.dt = config.physics_dt();
        world.integration_parameters.num_solver_iterations = config.solver_substeps;
        world.integration_parameters.num_internal_pgs_iterations = config.pgs_iterations;
        world.integration_parameters.friction_in_bias_pass = config.friction_in_bias_pass;
        let ground = world.colliders.insert(
            terrain
                .collider()
                .friction(config.friction)
                .collision_groups(InteractionGroups::new(
                    GROUND_GROUP,
                    ROBOT_GROUP,
                    InteractionTestMode::And,
                )),
        );
        let mut bodies = Vec::with_capacity(spec.bodies.len());
        let mut skipped_meshes = 0;
        let mut link_colliders = Vec::new();
        for body in &spec.bodies {
            let mprops = MassProperties::with_inertia_matrix(
                to_vec3(&body.com_b),
                body.mass as f32,
                Mat3::from_cols_array(&std::array::from_fn(|k| {
                    body.inertia_b[(k % 3, k / 3)] as f32
                })),
            );
            let rb = RigidBodyBuilder::dynamic()
                .additional_mass_properties(mprops)
                .can_sleep(false);
            let handle = world.bodies.insert(rb);
            for c in &body.collisions {
                let shape = match c.shape {
                    Shape::Box { size } => SharedShape::cuboid(
                        0.5 * size.x as f32,
                        0.5 * size.y as f32,
                        0.5 * size.z as f32,
                    ),
                    Shape::Sphere { radius } => SharedShape::ball(radius as f32),
                    Shape::Capsule { radius, length } => {
                        SharedShape::capsule_z(0.5 * length as f32, radius as f32)
                    }
                    // Rapier cylinders run along y; URDF cylinders along z.
                    Shape::Cylinder { radius, length } => {
                        SharedShape::cylinder(0.5 * length as f32, radius as f32)
                    }
                    Shape::Mesh { .. } => {
                        skipped_meshes += 1;
                        continue;
                    }
                };
                let mut pose = to_pose(&c.origin_b);
                if matches!(c.shape, Shape::Cylinder { .. }) {
                    pose = pose
                        * Pose::from_rotation(Quat::from_rotation_x(std::f32::consts::FRAC_PI_2));
                }
                let collider = ColliderBuilder::new(shape)
                    .position(pose)
                    .density(0.0)
                    .friction(config.friction)
                    .collision_groups(InteractionGroups::new(
                        ROBOT_GROUP,
                        GROUND_GROUP,
                        InteractionTestMode::And,
                    ));
                let ch = world
                    .colliders
                    .insert_with_parent(collider, handle, &mut world.bodies);
                link_colliders.push((c.link.clone(), ch));
            }
            bodies.push(handle);
        }
        let mut joints = Vec::with_capacity(spec.joints.len());
        for j in &spec.joints {
            let axis = to_vec3(&j.axis).normalize();
            let align = Quat::from_rotation_arc(Vec3::X, axis);
            let frame1 = to_pose(&j.origin_p) * Pose::from_rotation(align);
            let frame2 = Pose::from_rotation(align);
            let prismatic = j.kind == JointKind::Prismatic;
            let (locked, axis_id) = if prismatic {
                (JointAxesMask::LOCKED_PRISMATIC_AXES, JointAxis::LinX)
            } else {
                (JointAxesMask::LOCKED_REVOLUTE_AXES, JointAxis::AngX)
            };
            let effort = if j.effort_limit.is_finite() {
                j.effort_limit as f32
            } else {
                f32::MAX
            };
            let mut builder = GenericJointBuilder::new(locked)
                .local_frame1(frame1)
                .local_frame2(frame2)
                .contacts_enabled(false)
                .motor_model(axis_id, MotorModel::ForceBased)
                .set_motor(
                    axis_id,
                    j.default_position as f32,
                    0.0,
                    j.stiffness as f32,
                    j.damping as f32,
                )
                .motor_max_force(axis_id, effort);
            if j.kind != JointKind::Continuous {
                builder = builder.limits(axis_id, [j.lower as f32, j.upper as f32]);
            }
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
                prismatic,
                axis: axis_id,
                stiffness: j.stiffness as f32,
                damping: j.damping as f32,
                effort,
                lower: j.lower as f32,
                upper: j.upper as f32,
            });
        }
        let default_pos: Vec<f32> = spec
            .joints
            .iter()
            .map(|j| j.default_position as f32)
            .collect();
        let mut rw = Self {
            spec,
            config,
            world,
            bodies,
            link_colliders,
            joints,
            ground,
            targets: default_pos.clone(),
            skipped_meshes,
            default_pos,
            external_force_w: Vec::new(),
            pushes: (0, Vec3::ZERO),
        };
        rw.external_force_w = vec![Vec3::ZERO; rw.bodies.len()];
        let height = robots::nominal_base_height(&rw.spec).unwrap_or(0.5) as f32;
        let q = rw.default_pos.clone();
        rw.reset_pose(Vec3::new(0.0, 0.0, height), Quat::IDENTITY, &q)?;
        Ok(rw)
    }

    /// The robot description.
    pub fn spec(&self) -> &Arc<RobotSpec> {
        &self.spec
    }

    /// The physics settings.
    pub fn config(&self) -> &PhysicsConfig {
        &self.config
    }

    /// Default joint positions in joint order.
    pub fn default_positions(&self) -> &[f32] {
        &self.default_pos
    }

    /// Number of mesh collision shapes skipped because meshes are not simulated.
    pub fn skipped_meshes(&self) -> usize {
        self.skipped_meshes
    }

    /// Places the robot: base pose, joint positions `q` (joint order); all velocities zero,
    /// external forces cleared, PD targets set to `q`.
    pub fn reset_pose(
        &mut self,
        base_pos_w: Vec3,
        base_rot_w: Quat,
        q: &[f32],
    ) -> Result<(), SimError> {
        self.check_len("joint positions", q.len())?;
        let q64: Vec<f64> = q.iter().map(|&v| v as f64).collect();
        let base = Isometry3::from_parts(
            nalgebra::Translation3::new(
                base_pos_w.x as f64,
                base_pos_w.y as f64,
                base_pos_w.z as f64,
            ),
            nalgebra::UnitQuaternion::from_quaternion(nalgebra::Quaternion::new(
                base_rot_w.w as f64,
                base_rot_w.x as f64,
                base_rot_w.y as f64,
                base_rot_w.z as f64,
            )),
        );
        let poses = robots::body_poses(&self.spec, base, &q64).ok_or_else(|| SimError::Length {
            what: "joint positions".into(),
            expected: self.spec.joints.len(),
            got: q.len(),
        })?;
        for (handle, pose) in self.bodies.iter().zip(&poses) {
            let rb = &mut self.world.bodies[*handle];
            rb.set_position(to_pose(pose), true);
            rb.set_linvel(Vec3::ZERO, true);
            rb.set_angvel(Vec3::ZERO, true);
            rb.reset_forces(true);
            rb.reset_torques(true);
        }
        self.external_force_w.fill(Vec3::ZERO);
        self.set_joint_targets(q)?;
        Ok(())
    }

    fn check_len(&self, what: &str, got: usize) -> Result<(), SimError> {
        let expected = self.joints.len();
        if got == expected {
            Ok(())
        } else {
            Err(SimError::Length {
                what: what.to_string(),
                expected,
                got,
            })
        }
    }

    /// Sets PD position targets (joint order), clamped into the joint limits; a non-finite
    /// target falls back to the default position.
    pub fn set_joint_targets(&mut self, targets: &[f32]) -> Result<(), SimError> {
        self.check_len("joint targets", targets.len())?;
        for (k, &t) in targets.iter().enumerate() {
            self.set_target(k, t);
        }
        Ok(())
    }

    /// Sets PD targets from a policy action: `target = default + action_scale * action`.
    /// Non-finite action entries count as zero.
    pub fn apply_action(&mut self, action: &[f32]) -> Result<(), SimError> {
        self.check_len("action", action.len())?;
        let scale = self.spec.action_scale as f32;
        for (k, &a) in action.iter().enumerate() {
            let a = if a.is_finite() { a } else { 0.0 };
            self.set_target(k, self.default_pos[k] + scale * a);
        }
        Ok(())
    }

    fn set_target(&mut self, k: usize, target: f32) {
        let j = &self.joints[k];
        let t = if target.is_finite() {
            target.clamp(j.lower, j.upper)
        } else {
            self.default_pos[k]
        };
        self.targets[k] = t;
        if let Some(joint) = self.world.impulse_joints.get_mut(j.handle, false) {
            joint.data.set_motor(j.axis, t, 0.0, j.stiffness, j.damping);
        }
    }

    /// Current PD targets (joint order).
    pub fn joint_targets(&self) -> &[f32] {
        &self.targets
    }

    /// Advances one control step (`decimation` Rapier steps).
    pub fn step(&mut self) {
        for _ in 0..self.config.decimation {
            self.world.step();
        }
    }

    /// Joint positions (rad or m) into `out` (joint order).
    pub fn joint_positions(&self, out: &mut [f32]) {
        for (o, j) in out.iter_mut().zip(&self.joints) {
            let p = &self.world.bodies[j.parent];
            let c = &self.world.bodies[j.child];
            let f1 = p.position() * j.frame1;
            let f2 = c.position() * j.frame2;
            *o = if j.prismatic {
                (f2.translation - f1.translation).dot(f1.rotation * Vec3::X)
            } else {
                let rel = f1.rotation.inverse() * f2.rotation;
                let (x, w) = if rel.w < 0.0 {
                    (-rel.x, -rel.w)
                } else {
                    (rel.x, rel.w)
                };
                2.0 * x.atan2(w)
            };
        }
    }

    /// Joint velocities (rad/s or m/s) into `out` (joint order).
    pub fn joint_velocities(&self, out: &mut [f32]) {
        for (o, j) in out.iter_mut().zip(&self.joints) {
            let p = &self.world.bodies[j.parent];
            let c = &self.world.bodies[j.child];
            let f1 = p.position() * j.frame1;
            let axis_w = f1.rotation * Vec3::X;
            *o = if j.prismatic {
                let f2 = c.position() * j.frame2;
                let v1 = p.velocity_at_point(f2.translation);
                (c.velocity_at_point(f2.translation) - v1).dot(axis_w)
            } else {
                (c.angvel() - p.angvel()).dot(axis_w)
            };
        }
    }

    /// Estimated joint torques of the PD motors (N·m), clamped to the effort limits, joint order.
    /// `q`/`qd` are the current positions and velocities.
    pub fn pd_torques(&self, q: &[f32], qd: &[f32], out: &mut [f32]) {
        for (k, j) in self.joints.iter().enumerate() {
            let tau = j.stiffness * (self.targets[k] - q[k]) - j.damping * qd[k];
            out[k] = tau.clamp(-j.effort, j.effort);
        }
    }

    /// Largest distance (m) between the two anchors of any joint: the constraint error of the
    /// impulse-joint formulation.
    pub fn max_joint_error(&self) -> f32 {
        self.joints
            .iter()
            .map(|j| {
                let a = (self.world.bodies[j.parent].position() * j.frame1).translation;
                let b = (self.world.bodies[j.child].position() * j.frame2).translation;
                if j.prismatic {
                    let axis =
                        (self.world.bodies[j.parent].position() * j.frame1).rotation * Vec3::X;
                    let d = b - a;
                    (d - axis * d.dot(axis)).length()
                } else {
                    (b - a).length()
                }
            })
            .fold(0.0, f32::max)
    }

    /// The base state.
    pub fn base_state(&self) -> BaseState {
        let rb = &self.world.bodies[self.bodies[0]];
        let pose = rb.position();
        let rot = pose.rotation;
        let inv = rot.inverse();
        let lin_vel_w = rb.velocity_at_point(pose.translation);
        let ang_vel_w = rb.angvel();
        BaseState {
            pos_w: pose.translation,
            rot_w: rot,
            lin_vel_w,
            ang_vel_w,
            lin_vel_b: inv * lin_vel_w,
            ang_vel_b: inv * ang_vel_w,
            gravity_b: inv * Vec3::new(0.0, 0.0, -1.0),
        }
    }

    /// Writes the proprioceptive observation of the current state (the layout of
    /// [`robots::build_proprio_observation`]) from joint readings `q`, `qd` taken this step.
    /// Returns `false` if a length is wrong.
    ///
    /// # Shapes
    /// `q, qd, last_action: [joints]`, `obs: [12 + 3 * joints]`
    pub fn observe_proprio(
        &self,
        q: &[f32],
        qd: &[f32],
        command: [f32; 3],
        last_action: &[f32],
        scales: &robots::ObservationScales,
        obs: &mut [f32],
    ) -> bool {
        let base = self.base_state();
        let state = robots::ProprioState {
            lin_vel_b: base.lin_vel_b.to_array(),
            ang_vel_b: base.ang_vel_b.to_array(),
            gravity_b: base.gravity_b.to_array(),
            command,
            joint_pos: q,
            joint_vel: qd,
            last_action,
        };
        robots::build_proprio_observation(&state, &self.default_pos, scales, obs)
    }

    /// World pose of body `index`.
    pub fn body_pose(&self, index: usize) -> Result<Pose, SimError> {
        let h = self.body_handle(index)?;
        Ok(*self.world.bodies[h].position())
    }

    /// World position of a point given in the frame of body `index`.
    pub fn point_w(&self, index: usize, point_b: Vec3) -> Result<Vec3, SimError> {
        Ok(self.body_pose(index)? * point_b)
    }

    fn body_handle(&self, index: usize) -> Result<RigidBodyHandle, SimError> {
        self.bodies.get(index).copied().ok_or(SimError::BodyIndex {
            index,
            count: self.bodies.len(),
        })
    }

    /// Adds an external force (N, world frame, through the body's centre of mass) and torque
    /// (N·m, world frame) on body `index`. It acts on every following step until
    /// [`Self::clear_external_wrenches`]. The H-infinity disturber drives the robot through this.
    pub fn apply_external_wrench(
        &mut self,
        index: usize,
        force_w: Vec3,
        torque_w: Vec3,
    ) -> Result<(), SimError> {
        let h = self.body_handle(index)?;
        self.external_force_w[index] += force_w;
        let rb = &mut self.world.bodies[h];
        rb.add_force(force_w, true);
        rb.add_torque(torque_w, true);
        Ok(())
    }

    /// Adds an external force (N, world frame) at a world point on body `index`.
    pub fn apply_external_force_at_point(
        &mut self,
        index: usize,
        force_w: Vec3,
        point_w: Vec3,
    ) -> Result<(), SimError> {
        let h = self.body_handle(index)?;
        self.external_force_w[index] += force_w;
        self.world.bodies[h].add_force_at_point(force_w, point_w, true);
        Ok(())
    }

    /// Removes all external forces and torques.
    pub fn clear_external_wrenches(&mut self) {
        self.external_force_w.fill(Vec3::ZERO);
        for h in &self.bodies {
            let rb = &mut self.world.bodies[*h];
            rb.reset_forces(true);
            rb.reset_torques(true);
        }
    }

    /// Adds a velocity change (m/s, world frame) to every body: a push.
    pub fn push(&mut self, delta_v_w: Vec3) {
        self.pushes = (self.pushes.0 + 1, delta_v_w);
        for h in &self.bodies {
            let rb = &mut self.world.bodies[*h];
            let v = rb.linvel() + delta_v_w;
            rb.set_linvel(v, true);
        }
    }

    /// Replaces the ground with `terrain` (keeping the ground's friction); the robot is left
    /// where it is, so call [`RobotWorld::reset_pose`] next.
    pub fn set_terrain(&mut self, terrain: &Terrain) {
        let friction = self.world.colliders[self.ground].friction();
        self.world.remove_collider(self.ground);
        self.ground =
            self.world
                .colliders
                .insert(terrain.collider().friction(friction).collision_groups(
                    InteractionGroups::new(GROUND_GROUP, ROBOT_GROUP, InteractionTestMode::And),
                ));
    }

    /// Sets the friction coefficient of the ground and of every robot collider (domain
    /// randomisation).
    pub fn set_friction(&mut self, friction: f32) {
        for (_, collider) in self.world.colliders.iter_mut() {
            collider.set_friction(friction);
        }
    }

    /// The colliders of the named URDF links (unknown names contribute none).
    pub fn colliders_of_links(&self, links: &[String]) -> Vec<ColliderHandle> {
        self.link_colliders
            .iter()
            .filter(|(name, _)| links.contains(name))
            .map(|(_, h)| *h)
            .collect()
    }

    /// External forces (N, world frame) acting on each body (body order), as added by
    /// [`Self::apply_external_wrench`] and [`Self::apply_external_force_at_point`] since the last
    /// [`Self::clear_external_wrenches`] or reset.
    pub fn external_forces_w(&self) -> &[Vec3] {
        &self.external_force_w
    }

    /// Number of [`Self::push`]es so far and the velocity change (m/s, world) of the last one.
    pub fn last_push(&self) -> (u64, Vec3) {
        self.pushes
    }

    /// Every robot link touching the ground, with contact point and force.
    pub fn ground_contacts(&self) -> Vec<GroundContact> {
        let dt = self.world.integration_parameters.dt;
        let bodies = &self.world.bodies;
        let mut out = Vec::new();
        for (link, ch) in &self.link_colliders {
            let Some(pair) = self.world.narrow_phase.contact_pair(self.ground, *ch) else {
                continue;
            };
            if !pair.has_any_active_contact() {
                continue;
            }
            let (mut sum, mut count) = (Vec3::ZERO, 0usize);
            for m in pair.solver_manifolds() {
                for c in &m.data.solver_contacts {
                    let (a, b) = m.data.solver_contact_world_points(c, bodies);
                    sum += 0.5 * (a + b);
                    count += 1;
                }
            }
            if count == 0 {
                continue;
            }
            // The manifold normal points from the pair's first collider to its second; the
            // impulse pushes the second one along it.
            let impulse = pair.total_impulse();
            let on_robot = if pair.collider2 == *ch {
                impulse
            } else {
                -impulse
            };
            out.push(GroundContact {
                link: link.clone(),
                point_w: sum / count as f32,
                force_w: on_robot / dt.max(f32::EPSILON),
            });
        }
        out
    }

    /// Whether any of `colliders` touches the ground.
    pub fn any_touches_ground(&self, colliders: &[ColliderHandle]) -> bool {
        colliders.iter().any(|c| {
            self.world
                .narrow_phase
                .contact_pair(self.ground, *c)
                .is_some_and(|p| p.has_any_active_contact())
        })
    }

    /// Whether any body of the robot has a NaN or infinite pose or velocity.
    pub fn has_non_finite_state(&self) -> bool {
        self.bodies.iter().any(|h| {
            let rb = &self.world.bodies[*h];
            !(rb.position().is_finite() && rb.linvel().is_finite() && rb.angvel().is_finite())
        })
    }

    /// Captures the complete physical state (bodies, contacts, joint warm starts, targets).
    pub fn snapshot(&self) -> WorldSnapshot {
        WorldSnapshot::capture(self)
    }

    /// Restores a snapshot taken from this world; stepping afterwards continues bit-exactly.
    pub fn restore(&mut self, snapshot: &WorldSnapshot) {
        snapshot.apply(self);
    }
}
