//! One robot on one ground: build from a [`RobotSpec`], PD control, state read-out, external
//! forces, contacts. A thin view of a [`Scene`] with one articulation.

use crate::error::SimError;
use crate::physics::PhysicsConfig;
use crate::scene::{Articulation, CollisionRules, Scene, StaticRole};
use crate::snapshot::WorldSnapshot;
use crate::terrain::Terrain;
use nalgebra::Isometry3;
use rapier3d::glamx::Quat;
use rapier3d::prelude::*;
use robots::RobotSpec;
use std::sync::Arc;

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

/// One robot on one ground in a [`Scene`]: the view the locomotion task and the ROS sim node
/// use. The robot is the scene's articulation 0, the ground its static shape 0.
pub struct RobotWorld {
    scene: Scene,
}

const ROBOT: usize = 0;
const GROUND: usize = 0;

impl RobotWorld {
    /// Builds the world: ground from `terrain`, every body and joint of `spec` at its default
    /// pose with the base at its nominal height.
    pub fn new(
        spec: Arc<RobotSpec>,
        terrain: &Terrain,
        config: PhysicsConfig,
    ) -> Result<Self, SimError> {
        let mut scene = Scene::new(config, CollisionRules::legged())?;
        scene.add_static_collider("ground", terrain.collider(), StaticRole::Floor);
        let height = robots::nominal_base_height(&spec).unwrap_or(0.5) as f32;
        let base = Isometry3::translation(0.0, 0.0, height as f64);
        scene.add_articulation(spec, base)?;
        Ok(Self { scene })
    }

    fn robot(&self) -> &Articulation {
        &self.scene.articulations[ROBOT]
    }

    fn robot_mut(&mut self) -> (&mut Articulation, &mut PhysicsWorld) {
        (&mut self.scene.articulations[ROBOT], &mut self.scene.world)
    }

    fn ground(&self) -> ColliderHandle {
        self.scene.statics[GROUND].collider
    }

    /// The scene underneath (one articulation, one ground).
    pub fn scene(&self) -> &Scene {
        &self.scene
    }

    /// The robot description.
    pub fn spec(&self) -> &Arc<RobotSpec> {
        &self.robot().spec
    }

    /// The physics settings.
    pub fn config(&self) -> &PhysicsConfig {
        self.scene.config()
    }

    /// Default joint positions (`[nq]`; one per joint for robots without spherical joints).
    pub fn default_positions(&self) -> &[f32] {
        &self.robot().default_q
    }

    /// Number of mesh collision shapes skipped because their files are missing.
    pub fn skipped_meshes(&self) -> usize {
        self.robot().skipped_meshes
    }

    /// Places the robot: base pose, joint positions `q` (`[nq]`); all velocities zero,
    /// external forces cleared, PD targets set to `q`.
    pub fn reset_pose(
        &mut self,
        base_pos_w: Vec3,
        base_rot_w: Quat,
        q: &[f32],
    ) -> Result<(), SimError> {
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
        let (art, world) = self.robot_mut();
        art.reset_pose(world, &base, q)
    }

    /// Sets the robot's full state (base pose and velocity, joint positions and velocities);
    /// targets are left as they are.
    pub fn set_state(&mut self, state: &crate::scene::ArticulationState) -> Result<(), SimError> {
        self.scene.set_articulation_state(ROBOT, state)
    }

    /// The robot's full state.
    pub fn state(&self) -> crate::scene::ArticulationState {
        crate::scene::ArticulationState::read(self.robot(), &self.scene.world)
    }

    /// Sets PD position targets (`[nq]`), clamped into the joint limits; a non-finite target
    /// falls back to the default position.
    pub fn set_joint_targets(&mut self, targets: &[f32]) -> Result<(), SimError> {
        let (art, world) = self.robot_mut();
        art.set_targets(world, targets)
    }

    /// Sets PD targets from a policy action (`[nv]`): `target = default + action_scale * action`.
    /// Non-finite action entries count as zero.
    pub fn apply_action(&mut self, action: &[f32]) -> Result<(), SimError> {
        let (art, world) = self.robot_mut();
        art.apply_action(world, action)
    }

    /// Current PD targets (`[nq]`).
    pub fn joint_targets(&self) -> &[f32] {
        &self.robot().targets
    }

    /// Advances one control step (`decimation` Rapier steps).
    pub fn step(&mut self) {
        self.scene.step();
    }

    /// Joint positions (rad or m) into `out` (`[nq]`).
    pub fn joint_positions(&self, out: &mut [f32]) {
        self.robot().joint_positions(&self.scene.world, out);
    }

    /// Joint velocities (rad/s or m/s) into `out` (`[nv]`).
    pub fn joint_velocities(&self, out: &mut [f32]) {
        self.robot().joint_velocities(&self.scene.world, out);
    }

    /// Estimated joint torques of the PD motors (N·m), clamped to the effort limits (`[nv]`).
    /// `q`/`qd` are the current positions and velocities.
    pub fn pd_torques(&self, q: &[f32], qd: &[f32], out: &mut [f32]) {
        self.robot().pd_torques(q, qd, out);
    }

    /// Largest distance (m) between the two anchors of any joint: the constraint error of the
    /// impulse-joint formulation.
    pub fn max_joint_error(&self) -> f32 {
        self.robot().max_joint_error(&self.scene.world)
    }

    /// The base state.
    pub fn base_state(&self) -> BaseState {
        let rb = &self.scene.world.bodies[self.robot().bodies[0]];
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

    /// World pose of body `index`.
    pub fn body_pose(&self, index: usize) -> Result<Pose, SimError> {
        let h = self.body_handle(index)?;
        Ok(*self.scene.world.bodies[h].position())
    }

    /// Velocity (m/s, world) of the world point `point_w` moving with body `index`.
    pub fn velocity_at_point(&self, index: usize, point_w: Vec3) -> Result<Vec3, SimError> {
        let rb = &self.scene.world.bodies[self.body_handle(index)?];
        Ok(rb.velocity_at_point(point_w))
    }

    /// World position of a point given in the frame of body `index`.
    pub fn point_w(&self, index: usize, point_b: Vec3) -> Result<Vec3, SimError> {
        Ok(self.body_pose(index)? * point_b)
    }

    fn body_handle(&self, index: usize) -> Result<RigidBodyHandle, SimError> {
        let bodies = &self.robot().bodies;
        bodies.get(index).copied().ok_or(SimError::BodyIndex {
            index,
            count: bodies.len(),
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
        let (art, world) = self.robot_mut();
        art.external_force_w[index] += force_w;
        let rb = &mut world.bodies[h];
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
        let (art, world) = self.robot_mut();
        art.external_force_w[index] += force_w;
        world.bodies[h].add_force_at_point(force_w, point_w, true);
        Ok(())
    }

    /// Removes all external forces and torques.
    pub fn clear_external_wrenches(&mut self) {
        let (art, world) = self.robot_mut();
        art.external_force_w.fill(Vec3::ZERO);
        for h in &art.bodies {
            let rb = &mut world.bodies[*h];
            rb.reset_forces(true);
            rb.reset_torques(true);
        }
    }

    /// Adds a velocity change (m/s, world frame) to every body: a push.
    pub fn push(&mut self, delta_v_w: Vec3) {
        let (art, world) = self.robot_mut();
        art.pushes = (art.pushes.0 + 1, delta_v_w);
        for h in &art.bodies {
            let rb = &mut world.bodies[*h];
            let v = rb.linvel() + delta_v_w;
            rb.set_linvel(v, true);
        }
    }

    /// Replaces the ground with `terrain` (keeping the ground's friction); the robot is left
    /// where it is, so call [`RobotWorld::reset_pose`] next.
    pub fn set_terrain(&mut self, terrain: &Terrain) {
        self.scene
            .replace_static_collider(GROUND, terrain.collider());
    }

    /// Replaces the ground with any static collider (a confined world's floor heightfield),
    /// keeping its friction; call [`RobotWorld::reset_pose`] next.
    pub fn set_ground_collider(&mut self, builder: ColliderBuilder) {
        self.scene.replace_static_collider(GROUND, builder);
    }

    /// Puts a ceiling over the ground (a confined world's ceiling heightfield), replacing the
    /// one set before. Ceiling scans ([`Self::ceiling_z`]) read it.
    pub fn set_ceiling_collider(&mut self, builder: ColliderBuilder) {
        match self.ceiling_index() {
            Some(i) => self.scene.replace_static_collider(i, builder),
            None => {
                self.scene
                    .add_static_collider("ceiling", builder, StaticRole::Ceiling);
            }
        }
    }

    fn ceiling_index(&self) -> Option<usize> {
        self.scene
            .statics
            .iter()
            .position(|s| s.role == StaticRole::Ceiling)
    }

    /// Height (m) of the ceiling above world `(x, y)`, by a ray cast up from `from_z` - 1 m
    /// (see [`Scene::ceiling_z`]); `+inf` without one.
    pub fn ceiling_z(&self, x: f32, y: f32, from_z: f32) -> f32 {
        self.scene.ceiling_z(x, y, from_z)
    }

    /// Whether any of `colliders` touches the ceiling.
    pub fn any_touches_ceiling(&self, colliders: &[ColliderHandle]) -> bool {
        let Some(i) = self.ceiling_index() else {
            return false;
        };
        let ceiling = self.scene.statics[i].collider;
        colliders.iter().any(|c| self.scene.touching(ceiling, *c))
    }

    /// Sets the friction coefficient of the ground and of every robot collider (domain
    /// randomisation).
    pub fn set_friction(&mut self, friction: f32) {
        self.scene.set_friction(friction);
    }

    /// The colliders of the named URDF links (unknown names contribute none).
    pub fn colliders_of_links(&self, links: &[String]) -> Vec<ColliderHandle> {
        self.robot().colliders_of_links(links)
    }

    /// Ground height (m) below world `(x, y)`, by a ray cast down from `from_z` + 1 m (see
    /// [`Scene::floor_z`]).
    pub fn ground_z(&self, x: f32, y: f32, from_z: f32) -> f32 {
        self.scene.floor_z(x, y, from_z)
    }

    /// External forces (N, world frame) acting on each body (body order), as added by
    /// [`Self::apply_external_wrench`] and [`Self::apply_external_force_at_point`] since the last
    /// [`Self::clear_external_wrenches`] or reset.
    pub fn external_forces_w(&self) -> &[Vec3] {
        &self.robot().external_force_w
    }

    /// Number of [`Self::push`]es so far and the velocity change (m/s, world) of the last one.
    pub fn last_push(&self) -> (u64, Vec3) {
        self.robot().pushes
    }

    /// Every robot link touching the ground, with contact point and force.
    pub fn ground_contacts(&self) -> Vec<GroundContact> {
        let world = &self.scene.world;
        let dt = world.integration_parameters.dt;
        let bodies = &world.bodies;
        let ground = self.ground();
        let mut out = Vec::new();
        for (link, ch) in &self.robot().link_colliders {
            let Some(pair) = world.narrow_phase.contact_pair(ground, *ch) else {
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
        let ground = self.ground();
        colliders.iter().any(|c| self.scene.touching(ground, *c))
    }

    /// Whether any body of the robot has a NaN or infinite pose or velocity.
    pub fn has_non_finite_state(&self) -> bool {
        self.scene.has_non_finite_state()
    }

    /// Captures the complete physical state (bodies, contacts, joint warm starts, targets).
    pub fn snapshot(&self) -> WorldSnapshot {
        self.scene.snapshot()
    }

    /// Restores a snapshot taken from this world; stepping afterwards continues bit-exactly.
    pub fn restore(&mut self, snapshot: &WorldSnapshot) {
        self.scene.restore(snapshot);
    }
}
