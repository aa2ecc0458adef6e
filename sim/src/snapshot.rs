//! Full-state snapshots for bit-exact restore: of a bare Rapier world ([`PhysicsSnapshot`], the
//! classic-control tasks) and of a [`Scene`] ([`WorldSnapshot`]). Both are `serde`-serialisable,
//! so checkpoints and Go-Explore archives can store them.

use crate::scene::Scene;
use rapier3d::prelude::*;
use serde::{Deserialize, Serialize};

/// Everything that determines how a Rapier world continues: bodies, colliders, joints (with
/// warm-start impulses and motor targets), islands, broad and narrow phase (with contact caches).
#[derive(Clone, Serialize, Deserialize)]
pub struct PhysicsSnapshot {
    bodies: RigidBodySet,
    colliders: ColliderSet,
    impulse_joints: ImpulseJointSet,
    multibody_joints: MultibodyJointSet,
    islands: IslandManager,
    broad_phase: BroadPhaseBvh,
    narrow_phase: NarrowPhase,
}

impl PhysicsSnapshot {
    /// Copies the world's state.
    pub fn capture(w: &PhysicsWorld) -> Self {
        Self {
            bodies: w.bodies.clone(),
            colliders: w.colliders.clone(),
            impulse_joints: w.impulse_joints.clone(),
            multibody_joints: w.multibody_joints.clone(),
            islands: w.islands.clone(),
            broad_phase: w.broad_phase.clone(),
            narrow_phase: w.narrow_phase.clone(),
        }
    }

    /// Writes the state into a world built the same way; stepping continues bit-exactly.
    pub fn apply(&self, w: &mut PhysicsWorld) {
        w.bodies.clone_from(&self.bodies);
        w.colliders.clone_from(&self.colliders);
        w.impulse_joints.clone_from(&self.impulse_joints);
        w.multibody_joints.clone_from(&self.multibody_joints);
        w.islands.clone_from(&self.islands);
        w.broad_phase.clone_from(&self.broad_phase);
        w.narrow_phase.clone_from(&self.narrow_phase);
        // The CCD solver caches the fixed colliders it sweeps against and refreshes the cache
        // only on the collider set's change flags, which the restored set carries over: a
        // world whose static colliders were replaced since (a reset installing a new floor)
        // would sweep against handles the restored set does not have. The cache is derived
        // from the colliders, so a fresh solver rebuilds the same list.
        w.ccd_solver = CCDSolver::new();
    }
}

/// The complete state of a classic-control task (cart-pole, pendulum): its bare Rapier world,
/// its RNG and its episode step count.
#[derive(Clone, Serialize, Deserialize)]
pub struct ClassicSnapshot {
    physics: PhysicsSnapshot,
    rng: rand_chacha::ChaCha8Rng,
    steps: u32,
}

impl ClassicSnapshot {
    pub(crate) fn capture(world: &PhysicsWorld, rng: &rand_chacha::ChaCha8Rng, steps: u32) -> Self {
        Self {
            physics: PhysicsSnapshot::capture(world),
            rng: rng.clone(),
            steps,
        }
    }

    pub(crate) fn apply(
        &self,
        world: &mut PhysicsWorld,
        rng: &mut rand_chacha::ChaCha8Rng,
        steps: &mut u32,
    ) {
        self.physics.apply(world);
        *rng = self.rng.clone();
        *steps = self.steps;
    }
}

/// A [`Scene`]'s complete physical state: the Rapier world, each articulation's PD targets and
/// which colliders are the static geometry (a terrain curriculum replaces the ground).
#[derive(Clone, Serialize, Deserialize)]
pub struct WorldSnapshot {
    physics: PhysicsSnapshot,
    targets: Vec<Vec<f32>>,
    statics: Vec<ColliderHandle>,
    /// Name and role of each static collider: a scene restored into one built otherwise (a
    /// confined world's ceiling added by a reset the target never had) gets the same list.
    /// Empty in snapshots written before it existed; those map handles onto the list in place.
    #[serde(default)]
    static_roles: Vec<(String, crate::scene::StaticRole)>,
}

impl WorldSnapshot {
    pub(crate) fn capture(s: &Scene) -> Self {
        Self {
            physics: PhysicsSnapshot::capture(&s.world),
            targets: s.articulations.iter().map(|a| a.targets.clone()).collect(),
            statics: s.statics.iter().map(|g| g.collider).collect(),
            static_roles: s.statics.iter().map(|g| (g.name.clone(), g.role)).collect(),
        }
    }

    pub(crate) fn apply(&self, s: &mut Scene) {
        self.physics.apply(&mut s.world);
        for (a, t) in s.articulations.iter_mut().zip(&self.targets) {
            a.targets.clone_from(t);
        }
        if self.static_roles.len() == self.statics.len() && !self.statics.is_empty() {
            s.statics = self
                .statics
                .iter()
                .zip(&self.static_roles)
                .map(|(h, (name, role))| crate::scene::StaticGeometry {
                    name: name.clone(),
                    collider: *h,
                    role: *role,
                })
                .collect();
        } else {
            for (g, h) in s.statics.iter_mut().zip(&self.statics) {
                g.collider = *h;
            }
        }
    }
}

impl Scene {
    /// Captures the complete physical state.
    pub fn snapshot(&self) -> WorldSnapshot {
        WorldSnapshot::capture(self)
    }

    /// Restores a snapshot taken from this scene (or one built the same way); stepping
    /// afterwards continues bit-exactly.
    pub fn restore(&mut self, snapshot: &WorldSnapshot) {
        snapshot.apply(self);
    }
}
