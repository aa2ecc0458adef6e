//! A Rapier world of many bodies: articulated robots (fixed or floating base), free objects and
//! static geometry (ground planes, heightfields, boxes, ceilings), built from robot descriptions
//! ([`robots::RobotSpec`]) or a whole scene file ([`robots::SceneSpec`], e.g. MJCF).
//!
//! - Collision groups per class of body ([`CollisionRules`]): robot-robot, robot-object and
//!   self-collision per robot; MuJoCo's masks, excludes and forced pairs on top.
//! - Joints: revolute, prismatic, fixed (merged into bodies by the importers) and spherical, each
//!   with PD gains and an action scale of its own.
//! - The full state of articulations and objects can be read and set ([`ArticulationState`],
//!   [`ObjectState`]).
//! - Ray casts against static geometry: height scans below the base, ceiling scans above it.
//! - Fixed tendons that couple two joints (the Shadow hand's distal joints).
//!
//! [`crate::RobotWorld`] is the one-robot-on-terrain view of a scene that the locomotion task
//! uses.

mod articulation;
mod collision;
mod rays;
mod shapes;
mod state;
mod tendon;

pub use articulation::Articulation;
pub use collision::CollisionRules;
pub use rays::{StaticRole, no_floor_z};
pub use shapes::MeshCollider;
pub use state::{ArticulationState, ObjectState};

use crate::error::SimError;
use crate::physics::PhysicsConfig;
use collision::{ContactFilter, pack_user_data, with_pair_bit};
use nalgebra::Isometry3;
use rapier3d::prelude::*;
use robots::{ContactMask, RobotSpec, SceneSpec};
use shapes::{Built, build_shape, to_pose, to_vec3};
use std::collections::HashMap;
use std::sync::Arc;
use tendon::TendonRuntime;

/// A free rigid body in a scene.
#[derive(Debug, Clone)]
pub struct SceneObject {
    /// Object name.
    pub name: String,
    /// Its rigid body.
    pub body: RigidBodyHandle,
    /// Its colliders.
    pub colliders: Vec<ColliderHandle>,
}

/// A piece of static geometry.
#[derive(Debug, Clone)]
pub struct StaticGeometry {
    /// Name (the MJCF geom or body name; `ground` for terrain).
    pub name: String,
    /// Its collider.
    pub collider: ColliderHandle,
    /// What ray-cast scans treat it as.
    pub role: StaticRole,
}

/// Choices made when a scene is built from a file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SceneOptions {
    /// Mesh geoms whose name contains one of these strings collide as their bounding box
    /// ([`MeshCollider::BoundingBox`]); every other mesh as its convex hull.
    pub box_meshes: Vec<String>,
    /// Slabs per box mesh: 0 or 1 builds one bounding box, more build the bounding boxes of that
    /// many slabs across the mesh's longest extent ([`MeshCollider::SlicedBoxes`]).
    pub box_slices: u8,
}

impl SceneOptions {
    fn mesh_collider(&self, shape: &robots::CollisionShape) -> MeshCollider {
        if self
            .box_meshes
            .iter()
            .any(|p| !p.is_empty() && shape.name.contains(p.as_str()))
        {
            if self.box_slices > 1 {
                MeshCollider::SlicedBoxes(self.box_slices)
            } else {
                MeshCollider::BoundingBox
            }
        } else {
            MeshCollider::ConvexHull
        }
    }
}

/// A physics world with articulations, objects and static geometry.
pub struct Scene {
    pub(crate) world: PhysicsWorld,
    config: PhysicsConfig,
    rules: CollisionRules,
    pub(crate) articulations: Vec<Articulation>,
    pub(crate) objects: Vec<SceneObject>,
    pub(crate) statics: Vec<StaticGeometry>,
    tendons: Vec<TendonRuntime>,
    filter: ContactFilter,
    /// Whether any collider has MuJoCo masks other than the default (the hook is needed).
    custom_masks: bool,
    /// Collider handle by MJCF geom name, for forced pairs.
    named_colliders: HashMap<String, ColliderHandle>,
    next_body_id: u32,
    options: SceneOptions,
}

impl Scene {
    /// An empty world (gravity -9.81 m/s² along z) with `config`'s rates and solver settings.
    pub fn new(config: PhysicsConfig, rules: CollisionRules) -> Result<Self, SimError> {
        config.validate()?;
        let mut world = PhysicsWorld::new();
        world.gravity = Vec3::new(0.0, 0.0, -9.81);
        world.integration_parameters.dt = config.physics_dt();
        world.integration_parameters.num_solver_iterations = config.solver_substeps;
        world.integration_parameters.num_internal_pgs_iterations = config.pgs_iterations;
        world.integration_parameters.friction_in_bias_pass = config.friction_in_bias_pass;
        world.integration_parameters.contact_recycling = config.contact_recycle_distance > 0.0;
        world
            .integration_parameters
            .normalized_contact_recycle_distance =
            config.contact_recycle_distance / world.integration_parameters.length_unit;
        let soft = &mut world.integration_parameters;
        soft.contact_softness.natural_frequency = config.contact_frequency_hz;
        soft.static_contact_softness.natural_frequency = 2.0 * config.contact_frequency_hz;
        Ok(Self {
            world,
            config,
            rules,
            articulations: Vec::new(),
            objects: Vec::new(),
            statics: Vec::new(),
            tendons: Vec::new(),
            filter: ContactFilter::default(),
            custom_masks: false,
            named_colliders: HashMap::new(),
            next_body_id: 0,
            options: SceneOptions::default(),
        })
    }

    /// Builds every articulation, object, static shape and tendon of `spec`, with MuJoCo's
    /// collision rules, the file's gravity, and each articulation at its initial pose.
    pub fn from_spec(spec: &SceneSpec, config: PhysicsConfig) -> Result<Self, SimError> {
        Self::from_spec_with(spec, config, SceneOptions::default())
    }

    /// [`Scene::from_spec`] with build options.
    pub fn from_spec_with(
        spec: &SceneSpec,
        config: PhysicsConfig,
        options: SceneOptions,
    ) -> Result<Self, SimError> {
        let mut scene = Self::new(config, CollisionRules::mujoco())?;
        scene.options = options;
        scene.world.gravity = to_vec3(&spec.gravity);
        for s in &spec.statics {
            scene.add_static_shape(&s.collision, StaticRole::Floor)?;
        }
        for (a, pose) in spec.articulations.iter().zip(&spec.base_poses_w) {
            scene.add_articulation(Arc::new(a.clone()), *pose)?;
        }
        for o in &spec.objects {
            scene.add_object(o)?;
        }
        for t in &spec.tendons {
            if let Some(rt) = TendonRuntime::new(t, &spec.articulations)? {
                scene.tendons.push(rt);
            }
        }
        for ex in &spec.excludes {
            let (Some(a), Some(b)) = (scene.body_id(&ex.body1), scene.body_id(&ex.body2)) else {
                continue;
            };
            scene
                .filter
                .excluded_bodies
                .insert(if a < b { (a, b) } else { (b, a) });
        }
        for pair in &spec.pairs {
            let (Some(&a), Some(&b)) = (
                scene.named_colliders.get(&pair.geom1),
                scene.named_colliders.get(&pair.geom2),
            ) else {
                return Err(SimError::Config {
                    key: format!("contact pair {} / {}", pair.geom1, pair.geom2),
                    message: "names a geom that is not a collider".into(),
                });
            };
            for h in [a, b] {
                let c = &mut scene.world.colliders[h];
                c.set_collision_groups(with_pair_bit(c.collision_groups()));
            }
            scene.filter.forced_pairs.insert(collision::ordered(a, b));
        }
        scene.refresh_hooks();
        Ok(scene)
    }

    /// Scene-wide id of the body called `name` (articulation bodies and merged links, objects).
    fn body_id(&self, name: &str) -> Option<u32> {
        for a in &self.articulations {
            for (i, b) in a.spec.bodies.iter().enumerate() {
                if b.name == name || b.links.iter().any(|(l, _)| l == name) {
                    return Some(a.first_body_id + i as u32);
                }
            }
        }
        None
    }

    /// Turns the contact filter hook on for the colliders that need it.
    fn refresh_hooks(&mut self) {
        if !self.filter.is_active(self.custom_masks) {
            return;
        }
        for (_, c) in self.world.colliders.iter_mut() {
            c.set_active_hooks(ActiveHooks::FILTER_CONTACT_PAIRS);
        }
    }

    fn register_collider(
        world: &mut PhysicsWorld,
        named: &mut HashMap<String, ColliderHandle>,
        custom_masks: &mut bool,
        handle: ColliderHandle,
        shape: &robots::CollisionShape,
        body_id: u32,
    ) {
        world.colliders[handle].user_data = pack_user_data(shape.mask, body_id);
        if shape.mask != ContactMask::default() {
            *custom_masks = true;
        }
        if !shape.name.is_empty() {
            named.insert(shape.name.clone(), handle);
        }
    }

    /// Adds a static collider built by the caller (terrain) with the static collision groups.
    /// Returns its index in [`Scene::statics`].
    pub fn add_static_collider(
        &mut self,
        name: &str,
        builder: ColliderBuilder,
        role: StaticRole,
    ) -> usize {
        let handle = self.world.colliders.insert(
            builder
                .friction(self.config.friction)
                .collision_groups(self.rules.static_groups())
                .user_data(pack_user_data(ContactMask::default(), u32::MAX)),
        );
        self.statics.push(StaticGeometry {
            name: name.to_string(),
            collider: handle,
            role,
        });
        self.statics.len() - 1
    }

    /// Adds a static shape from a description (its `origin_b` is its world pose).
    pub fn add_static_shape(
        &mut self,
        shape: &robots::CollisionShape,
        role: StaticRole,
    ) -> Result<Option<usize>, SimError> {
        let Built::Shape(s, extra) = build_shape(&shape.shape, self.options.mesh_collider(shape))?
        else {
            return Ok(None);
        };
        let builder = ColliderBuilder::new(s).position(to_pose(&shape.origin_b) * extra);
        let name = if shape.name.is_empty() {
            shape.link.clone()
        } else {
            shape.name.clone()
        };
        let index = self.add_static_collider(&name, builder, role);
        let handle = self.statics[index].collider;
        if let Some(f) = shape.friction {
            self.world.colliders[handle].set_friction(f as f32);
        }
        Self::register_collider(
            &mut self.world,
            &mut self.named_colliders,
            &mut self.custom_masks,
            handle,
            shape,
            u32::MAX,
        );
        Ok(Some(index))
    }

    /// Replaces static collider `index` by a new one from `builder`, keeping its friction, name
    /// and role (a terrain curriculum changing the ground).
    pub fn replace_static_collider(&mut self, index: usize, builder: ColliderBuilder) {
        let Some(entry) = self.statics.get(index) else {
            return;
        };
        let old = entry.collider;
        let friction = self.world.colliders[old].friction();
        self.world.remove_collider(old);
        self.statics[index].collider = self.world.colliders.insert(
            builder
                .friction(friction)
                .collision_groups(self.rules.static_groups())
                .user_data(pack_user_data(ContactMask::default(), u32::MAX)),
        );
    }

    /// Adds an articulation built from `spec`, at its default pose with its base at `base_w`
    /// (a fixed base sits where the spec says). Returns its index.
    pub fn add_articulation(
        &mut self,
        spec: Arc<RobotSpec>,
        base_w: Isometry3<f64>,
    ) -> Result<usize, SimError> {
        let index = self.articulations.len();
        let first_body_id = self.next_body_id;
        let groups = self.rules.robot_groups(index);
        let (named, masks) = (&mut self.named_colliders, &mut self.custom_masks);
        let mut body_of = HashMap::new();
        for (i, b) in spec.bodies.iter().enumerate() {
            for (link, _) in &b.links {
                body_of.insert(link.clone(), first_body_id + i as u32);
            }
        }
        let options = &self.options;
        let mesh_collider = |c: &robots::CollisionShape| options.mesh_collider(c);
        let mut on_collider =
            |world: &mut PhysicsWorld, h: ColliderHandle, c: &robots::CollisionShape| {
                let id = body_of.get(&c.link).copied().unwrap_or(first_body_id);
                Self::register_collider(world, named, masks, h, c, id);
            };
        let art = Articulation::build(
            &mut self.world,
            spec,
            base_w,
            articulation::BuildContext {
                groups,
                friction: self.config.friction,
                first_body_id,
                mesh_collider: &mesh_collider,
                on_collider: &mut on_collider,
            },
        )?;
        self.next_body_id += art.bodies.len() as u32;
        self.articulations.push(art);
        Ok(index)
    }

    /// Adds a free object. Returns its index.
    pub fn add_object(&mut self, spec: &robots::ObjectSpec) -> Result<usize, SimError> {
        let body = &spec.body;
        let mprops = MassProperties::with_inertia_matrix(
            to_vec3(&body.com_b),
            body.mass as f32,
            Mat3::from_cols_array(&std::array::from_fn(|k| {
                body.inertia_b[(k % 3, k / 3)] as f32
            })),
        );
        let rb = RigidBodyBuilder::dynamic()
            .pose(to_pose(&spec.pose_w))
            .additional_mass_properties(mprops)
            .linear_damping(spec.damping as f32)
            .angular_damping(spec.damping as f32)
            .can_sleep(false);
        let handle = self.world.bodies.insert(rb);
        let body_id = self.next_body_id;
        self.next_body_id += 1;
        let mut colliders = Vec::new();
        for c in &body.collisions {
            let Built::Shape(shape, extra) = build_shape(&c.shape, self.options.mesh_collider(c))?
            else {
                continue;
            };
            let collider = ColliderBuilder::new(shape)
                .position(to_pose(&c.origin_b) * extra)
                .density(0.0)
                .friction(c.friction.map_or(self.config.friction, |f| f as f32))
                .collision_groups(self.rules.object_groups());
            let ch =
                self.world
                    .colliders
                    .insert_with_parent(collider, handle, &mut self.world.bodies);
            Self::register_collider(
                &mut self.world,
                &mut self.named_colliders,
                &mut self.custom_masks,
                ch,
                c,
                body_id,
            );
            colliders.push(ch);
        }
        self.objects.push(SceneObject {
            name: spec.name.clone(),
            body: handle,
            colliders,
        });
        Ok(self.objects.len() - 1)
    }

    /// The physics settings.
    pub fn config(&self) -> &PhysicsConfig {
        &self.config
    }

    /// The articulations, in the order they were added.
    pub fn articulations(&self) -> &[Articulation] {
        &self.articulations
    }

    /// The free objects.
    pub fn objects(&self) -> &[SceneObject] {
        &self.objects
    }

    /// The static geometry.
    pub fn statics(&self) -> &[StaticGeometry] {
        &self.statics
    }

    /// Index of the articulation called `name`.
    pub fn articulation_index(&self, name: &str) -> Option<usize> {
        self.articulations.iter().position(|a| a.spec.name == name)
    }

    /// The collider of the geom called `name` (MJCF geom names; robot geoms carry their
    /// articulation's prefix, e.g. `vx300s_left/10_left_gripper_finger`).
    pub fn collider_named(&self, name: &str) -> Option<ColliderHandle> {
        self.named_colliders.get(name).copied()
    }

    /// Index of the object called `name`.
    pub fn object_index(&self, name: &str) -> Option<usize> {
        self.objects.iter().position(|o| o.name == name)
    }

    pub(crate) fn articulation_checked(&self, index: usize) -> Result<&Articulation, SimError> {
        self.articulations
            .get(index)
            .ok_or_else(|| SimError::Config {
                key: "articulation".into(),
                message: format!(
                    "index {index} out of range: the scene has {}",
                    self.articulations.len()
                ),
            })
    }

    fn articulation_mut(&mut self, index: usize) -> Result<&mut Articulation, SimError> {
        let count = self.articulations.len();
        self.articulations
            .get_mut(index)
            .ok_or_else(|| SimError::Config {
                key: "articulation".into(),
                message: format!("index {index} out of range: the scene has {count}"),
            })
    }

    /// Sets the PD targets of articulation `index` (`[nq]`).
    pub fn set_targets(&mut self, index: usize, targets: &[f32]) -> Result<(), SimError> {
        let (art, world) = self.split(index)?;
        art.set_targets(world, targets)
    }

    /// Sets targets of articulation `index` from a policy action (`[nv]`).
    pub fn apply_action(&mut self, index: usize, action: &[f32]) -> Result<(), SimError> {
        let (art, world) = self.split(index)?;
        art.apply_action(world, action)
    }

    /// Sets one joint's target by name (1-dof joints).
    pub fn set_joint_target(
        &mut self,
        index: usize,
        joint: &str,
        target: f32,
    ) -> Result<(), SimError> {
        let (art, world) = self.split(index)?;
        let k = art
            .spec
            .joint_index(joint)
            .ok_or_else(|| SimError::Config {
                key: format!("joint '{joint}'"),
                message: format!("articulation '{}' has no such joint", art.spec.name),
            })?;
        art.set_target(world, k, target);
        Ok(())
    }

    fn split(&mut self, index: usize) -> Result<(&mut Articulation, &mut PhysicsWorld), SimError> {
        self.articulation_mut(index)?;
        Ok((&mut self.articulations[index], &mut self.world))
    }

    /// Reads the full state of articulation `index`.
    pub fn articulation_state(&self, index: usize) -> Result<ArticulationState, SimError> {
        let art = self.articulation_checked(index)?;
        Ok(ArticulationState::read(art, &self.world))
    }

    /// Sets the full state of articulation `index` (targets unchanged).
    pub fn set_articulation_state(
        &mut self,
        index: usize,
        state: &ArticulationState,
    ) -> Result<(), SimError> {
        let (art, world) = self.split(index)?;
        state.write(art, world)
    }

    /// Reads the state of object `index`.
    pub fn object_state(&self, index: usize) -> Result<ObjectState, SimError> {
        let o = self.object_checked(index)?;
        Ok(ObjectState::read(&self.world.bodies[o.body]))
    }

    /// Sets the state of object `index`.
    pub fn set_object_state(&mut self, index: usize, state: &ObjectState) -> Result<(), SimError> {
        let body = self.object_checked(index)?.body;
        state.write(&mut self.world.bodies[body]);
        Ok(())
    }

    fn object_checked(&self, index: usize) -> Result<&SceneObject, SimError> {
        self.objects.get(index).ok_or_else(|| SimError::Config {
            key: "object".into(),
            message: format!(
                "index {index} out of range: the scene has {}",
                self.objects.len()
            ),
        })
    }

    /// Advances one control step (`decimation` Rapier steps), with the tendons' coupling
    /// updated before each.
    pub fn step(&mut self) {
        let hooks = self.filter.is_active(self.custom_masks);
        for _ in 0..self.config.decimation {
            for t in &self.tendons {
                t.release(&mut self.articulations, &mut self.world);
            }
            for t in &self.tendons {
                t.engage(&mut self.articulations, &mut self.world);
            }
            if hooks {
                self.world.step_with_events(&self.filter, &());
            } else {
                self.world.step();
            }
        }
    }

    /// Whether any body of any articulation or object has a non-finite pose or velocity.
    pub fn has_non_finite_state(&self) -> bool {
        let bad = |h: &RigidBodyHandle| {
            let rb = &self.world.bodies[*h];
            !(rb.position().is_finite() && rb.linvel().is_finite() && rb.angvel().is_finite())
        };
        self.articulations.iter().any(|a| a.bodies.iter().any(bad))
            || self.objects.iter().any(|o| bad(&o.body))
    }

    /// Sets the world's gravity (m/s², world frame).
    pub fn set_gravity(&mut self, gravity: [f32; 3]) {
        self.world.gravity = Vec3::from_array(gravity);
    }

    /// Sets the friction coefficient of every collider (domain randomisation).
    pub fn set_friction(&mut self, friction: f32) {
        for (_, collider) in self.world.colliders.iter_mut() {
            collider.set_friction(friction);
        }
    }

    /// The Rapier world, read-only (for visualisation and custom queries).
    pub fn physics(&self) -> &PhysicsWorld {
        &self.world
    }

    /// Whether the two colliders touch after the last step.
    pub fn touching(&self, a: ColliderHandle, b: ColliderHandle) -> bool {
        self.world
            .narrow_phase
            .contact_pair(a, b)
            .is_some_and(|p| p.has_any_active_contact())
    }

    /// Number of mesh shapes skipped over all articulations (files missing).
    pub fn skipped_meshes(&self) -> usize {
        self.articulations.iter().map(|a| a.skipped_meshes).sum()
    }
}

#[cfg(test)]
mod tests;
