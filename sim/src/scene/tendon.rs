//! Fixed tendons that couple two joints, as in the Shadow hand, where a limited tendon of range
//! about zero ties each finger's unactuated distal joint to the actuated middle joint.
//!
//! Rapier has no joint-space coupling constraint, so a limited two-joint tendon is enforced by
//! the motor of its unactuated (follower) joint: while the tendon length `sum(coef_i q_i)` is
//! outside its range, the follower's motor is a stiff spring towards the position that puts the
//! length back on the range's edge; inside the range the follower moves freely (only its own
//! damping acts). The motor is solved implicitly by Rapier, so a stiff spring stays stable.
//!
//! Not simulated (the scene builder skips them): unlimited tendons (they constrain nothing),
//! single-joint tendons (a joint limit; the Shadow hand's are wider than the joints' own
//! ranges), and tendons over more than two joints or over two actuated joints.

use super::articulation::{Articulation, Motion};
use crate::error::SimError;
use rapier3d::prelude::*;
use robots::{RobotSpec, TendonSpec};

/// Follower spring stiffness as a multiple of the leader joint's PD stiffness (at least
/// [`MIN_STIFFNESS`]).
const STIFFNESS_RATIO: f64 = 20.0;
/// Lowest follower spring stiffness (N·m/rad).
const MIN_STIFFNESS: f64 = 5.0;
/// Damping of the follower spring as a fraction of its stiffness (s).
const DAMPING_TIME: f64 = 0.02;

/// One simulated tendon.
#[derive(Debug, Clone)]
pub(crate) struct TendonRuntime {
    articulation: usize,
    leader: (usize, f32),
    follower: (usize, f32),
    range: (f32, f32),
    stiffness: f32,
    damping: f32,
    /// The follower's motor when the tendon is slack: `(damping, max force)` (its passive
    /// damping, or its dry friction).
    free: (f32, f32),
}

impl TendonRuntime {
    /// The runtime form of `t`, or `None` when it is one of the kinds not simulated (module docs).
    pub fn new(t: &TendonSpec, articulations: &[RobotSpec]) -> Result<Option<Self>, SimError> {
        let Some((lo, hi)) = t.range else {
            return Ok(None);
        };
        let spec = articulations
            .get(t.articulation)
            .ok_or_else(|| SimError::Config {
                key: format!("tendon '{}'", t.name),
                message: format!("articulation index {} out of range", t.articulation),
            })?;
        let [(a, ca), (b, cb)] = match t.joints.as_slice() {
            [x, y] => [*x, *y],
            _ => return Ok(None),
        };
        let joint = |k: usize| {
            spec.joints.get(k).ok_or_else(|| SimError::Config {
                key: format!("tendon '{}'", t.name),
                message: format!("joint index {k} out of range"),
            })
        };
        let (ja, jb) = (joint(a)?, joint(b)?);
        let ((leader, cl, jl), (follower, cf, jf)) = match (ja.stiffness > 0.0, jb.stiffness > 0.0)
        {
            (true, false) => ((a, ca, ja), (b, cb, jb)),
            (false, true) => ((b, cb, jb), (a, ca, ja)),
            _ => return Ok(None),
        };
        if cf == 0.0 || !(lo <= hi) {
            return Ok(None);
        }
        let stiffness = (STIFFNESS_RATIO * jl.stiffness).max(MIN_STIFFNESS);
        Ok(Some(Self {
            articulation: t.articulation,
            leader: (leader, cl as f32),
            follower: (follower, cf as f32),
            range: (lo as f32, hi as f32),
            stiffness: stiffness as f32,
            damping: (stiffness * DAMPING_TIME) as f32,
            free: super::articulation::dry_friction(jf).unwrap_or((jf.damping as f32, f32::MAX)),
        }))
    }

    fn follower_motor(
        &self,
        articulations: &mut [Articulation],
        world: &mut PhysicsWorld,
        target: f32,
        stiffness: f32,
        damping: f32,
        max_force: f32,
    ) {
        let Some(art) = articulations.get_mut(self.articulation) else {
            return;
        };
        let jf = &art.joints[self.follower.0];
        let axis = if jf.motion == Motion::Prismatic {
            JointAxis::LinX
        } else {
            JointAxis::AngX
        };
        if let Some(joint) = world.impulse_joints.get_mut(jf.handle, false) {
            joint.data.set_motor(axis, target, 0.0, stiffness, damping);
            joint.data.set_motor_max_force(axis, max_force);
        }
    }

    /// Lets the follower move freely (its own damping only). Called for every tendon before any
    /// [`TendonRuntime::engage`], since several tendons may share a follower (the Shadow hand
    /// has three per finger).
    pub fn release(&self, articulations: &mut [Articulation], world: &mut PhysicsWorld) {
        self.follower_motor(articulations, world, 0.0, 0.0, self.free.0, self.free.1);
    }

    /// When the tendon length is outside its range, turns the follower's motor into a spring
    /// towards the range's edge for the coming step.
    pub fn engage(&self, articulations: &mut [Articulation], world: &mut PhysicsWorld) {
        let Some(art) = articulations.get(self.articulation) else {
            return;
        };
        let (Some(ql), Some(qf)) = (
            art.joint_position_1dof(world, self.leader.0),
            art.joint_position_1dof(world, self.follower.0),
        ) else {
            return;
        };
        let (cl, cf) = (self.leader.1, self.follower.1);
        let length = cl * ql + cf * qf;
        let edge = length.clamp(self.range.0, self.range.1);
        if edge != length {
            let target = (edge - cl * ql) / cf;
            self.follower_motor(
                articulations,
                world,
                target,
                self.stiffness,
                self.damping,
                f32::MAX,
            );
        }
    }
}
