//! Physics rates and solver settings.

use crate::error::SimError;
use serde::{Deserialize, Serialize};

/// How the world is stepped. The policy acts every `control_dt`; the world takes `decimation`
/// Rapier steps per control step, and each Rapier step runs `solver_substeps` substeps in which
/// the joint PD motors are solved (so PD acts at `control_dt / (decimation * solver_substeps)`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PhysicsConfig {
    /// Policy period in seconds (0.02 = 50 Hz).
    pub control_dt: f32,
    /// Rapier steps per control step.
    pub decimation: usize,
    /// Solver substeps per Rapier step (Rapier's `num_solver_iterations`).
    pub solver_substeps: usize,
    /// Internal PGS iterations per substep.
    pub pgs_iterations: usize,
    /// Ground friction coefficient.
    pub friction: f32,
    /// Solve friction in Rapier's bias (position-correction) pass too. Without it, feet under a
    /// standing robot creep outward by ~1 cm/s (measured, docs/BENCHMARKS.md).
    pub friction_in_bias_pass: bool,
    /// Rapier's contact recycling: a contact pair whose bodies moved less than this (m) since its
    /// last full update keeps its old contact points. Rapier's default 0.05 m is fine for feet on
    /// the ground and is what the shipped locomotion policies trained with; fingers closing on a
    /// 4 cm cube need fresh contacts every step (0 turns recycling off; see
    /// [`PhysicsConfig::manipulation`]).
    pub contact_recycle_distance: f32,
    /// Natural frequency (Hz) of Rapier's soft contacts between moving bodies (twice this
    /// against fixed ones). Rapier's default 30 Hz lets a 4 N finger squeeze sink several
    /// millimetres into a 50 g cube; 300 Hz holds it to a tenth of a millimetre.
    pub contact_frequency_hz: f32,
}

impl Default for PhysicsConfig {
    /// dt 0.02 s, 1 Rapier step of 8 substeps (2.5 ms), 3 PGS iterations, friction in the bias
    /// pass: the setting chosen by measurement in docs/BENCHMARKS.md.
    fn default() -> Self {
        Self {
            control_dt: 0.02,
            decimation: 1,
            solver_substeps: 8,
            pgs_iterations: 3,
            friction: 1.0,
            friction_in_bias_pass: true,
            contact_recycle_distance: 0.05,
            contact_frequency_hz: 30.0,
        }
    }
}

impl PhysicsConfig {
    /// Settings for grasping scenes (MJCF arms and hands): the default rates, 8 PGS iterations
    /// (3 let a held cube creep out of the fingers), contact recycling off and stiffer contacts
    /// (with Rapier's defaults closing fingers sink into a small object and squeeze it out).
    /// Measured in docs/BENCHMARKS.md, "Grasping".
    pub fn manipulation() -> Self {
        Self {
            pgs_iterations: 8,
            contact_recycle_distance: 0.0,
            contact_frequency_hz: 300.0,
            ..Self::default()
        }
    }

    /// Rapier step length in seconds.
    pub fn physics_dt(&self) -> f32 {
        self.control_dt / self.decimation as f32
    }

    /// The PD/solver period in seconds.
    pub fn substep_dt(&self) -> f32 {
        self.physics_dt() / self.solver_substeps as f32
    }

    /// Checks ranges; errors name the key.
    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |key: &str, message: &str| {
            Err(SimError::Config {
                key: format!("physics.{key}"),
                message: message.to_string(),
            })
        };
        if !(self.control_dt.is_finite() && self.control_dt > 0.0) {
            return bad("control_dt", "must be a positive number of seconds");
        }
        if self.decimation == 0 {
            return bad("decimation", "must be at least 1");
        }
        if self.solver_substeps == 0 {
            return bad("solver_substeps", "must be at least 1");
        }
        if self.pgs_iterations == 0 {
            return bad("pgs_iterations", "must be at least 1");
        }
        if !(self.friction.is_finite() && self.friction >= 0.0) {
            return bad("friction", "must be a non-negative number");
        }
        if !(self.contact_frequency_hz.is_finite() && self.contact_frequency_hz > 0.0) {
            return bad("contact_frequency_hz", "must be a positive number of hertz");
        }
        if !(self.contact_recycle_distance.is_finite() && self.contact_recycle_distance >= 0.0) {
            return bad(
                "contact_recycle_distance",
                "must be a non-negative number of metres (0 turns recycling off)",
            );
        }
        Ok(())
    }
}
