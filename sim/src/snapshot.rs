//! Full-state snapshots of a [`RobotWorld`] for bit-exact restore (Go-Explore archives, debugging).

use crate::robot_world::RobotWorld;
use rapier3d::prelude::*;

/// Everything that determines how a world continues: bodies, colliders, joints (with warm-start
/// impulses), islands, broad and narrow phase (with contact caches), the PD targets and which collider is the ground.
#[derive(Clone)]
pub struct WorldSnapshot {
    bodies: RigidBodySet,
    colliders: ColliderSet,
    impulse_joints: ImpulseJointSet,
    multibody_joints: MultibodyJointSet,
    islands: IslandManager,
    broad_phase: BroadPhaseBvh,
    narrow_phase: NarrowPhase,
    targets: Vec<f32>,
    ground: ColliderHandle,
}

impl WorldSnapshot {
    pub(crate) fn capture(w: &RobotWorld) -> Self {
        Self {
            bodies: w.world.bodies.clone(),
            colliders: w.world.colliders.clone(),
            impulse_joints: w.world.impulse_joints.clone(),
            multibody_joints: w.world.multibody_joints.clone(),
            islands: w.world.islands.clone(),
            broad_phase: w.world.broad_phase.clone(),
            narrow_phase: w.world.narrow_phase.clone(),
            targets: w.targets.clone(),
            ground: w.ground,
        }
    }

    pub(crate) fn apply(&self, w: &mut RobotWorld) {
        w.world.bodies.clone_from(&self.bodies);
        w.world.colliders.clone_from(&self.colliders);
        w.world.impulse_joints.clone_from(&self.impulse_joints);
        w.world.multibody_joints.clone_from(&self.multibody_joints);
        w.world.islands.clone_from(&self.islands);
        w.world.broad_phase.clone_from(&self.broad_phase);
        w.world.narrow_phase.clone_from(&self.narrow_phase);
        w.targets.clone_from(&self.targets);
        w.ground = self.ground;
    }
}
