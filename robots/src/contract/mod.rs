//! The deploy contract: what a trained policy observes (named observation slices, each with its
//! source and scaling) and how its action becomes joint targets. A training run writes it into
//! every checkpoint's manifest; the simulator's task, the mirror, eval and the ROS 2 policy node
//! all read it, so no second copy of the observation layout exists.
//!
//! It lives here, in the description crate, because both sides need it and neither may pull in
//! the other: the simulator (Rapier) and the robot-side runtime (no Rapier, no burn).

mod action;
mod obs;

pub use action::ActionMap;
pub use obs::{ObsLayout, ObsSlice, ObsSources, ObsTerm, height_scan_points};

use serde::{Deserialize, Serialize};

/// A contract violation; every message names the slice, joint or buffer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ContractError {
    /// A slice is malformed.
    #[error("observation slice '{name}' {message}")]
    Slice {
        /// The slice's name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// A slice's source was not given.
    #[error("observation slice '{name}' has no source")]
    Missing {
        /// The slice's name.
        name: String,
    },
    /// A buffer or source has the wrong length.
    #[error("{what} has {got} entries, expected {expected}")]
    Length {
        /// Which buffer.
        what: String,
        /// Its length.
        got: usize,
        /// The length the contract needs.
        expected: usize,
    },
    /// A joint entry is malformed.
    #[error("joint '{joint}' {message}")]
    Joint {
        /// The joint.
        joint: String,
        /// What is wrong.
        message: String,
    },
}

/// What a policy observes and commands, and at what rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployContract {
    /// The observation's slices.
    pub observation: ObsLayout,
    /// How the action becomes joint targets.
    pub action: ActionMap,
    /// Policy period (s).
    pub control_dt: f32,
}

impl DeployContract {
    /// Checks a contract read from a file: the layout, the action map, a positive period, and
    /// that a `last_action` slice is as long as the action.
    pub fn validate(&self) -> Result<(), ContractError> {
        self.observation.validate()?;
        self.action.validate()?;
        if !(self.control_dt.is_finite() && self.control_dt > 0.0) {
            return Err(ContractError::Slice {
                name: "control_dt".into(),
                message: format!("must be a positive number, got {}", self.control_dt),
            });
        }
        if let Some(s) = self.observation.find("last_action")
            && s.len != self.action.len()
        {
            return Err(ContractError::Length {
                what: "observation slice 'last_action'".into(),
                got: s.len,
                expected: self.action.len(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
