//! The action map: how a policy's action becomes joint position targets.

use super::ContractError;
use crate::{TrotGait, TrotGenerator};
use serde::{Deserialize, Serialize};

/// Joint position targets from an action: `target_j = default_j + scale_j * action_j`, plus the
/// trot generator's offset of joint `j` when the policy trained with one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionMap {
    /// Joint names, in action order.
    pub joints: Vec<String>,
    /// Default position of each joint (rad or m).
    pub default: Vec<f32>,
    /// Factor on each action entry.
    pub scale: Vec<f32>,
    /// The trot generator whose offsets are added to the targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gait: Option<TrotGait>,
}

impl ActionMap {
    /// Number of action entries.
    pub fn len(&self) -> usize {
        self.joints.len()
    }

    /// Whether the map drives no joint.
    pub fn is_empty(&self) -> bool {
        self.joints.is_empty()
    }

    /// Checks a map read from a file; errors name the joint or the field.
    pub fn validate(&self) -> Result<(), ContractError> {
        let n = self.joints.len();
        for (what, len) in [("default", self.default.len()), ("scale", self.scale.len())] {
            if len != n {
                return Err(ContractError::Length {
                    what: format!("action map {what}"),
                    got: len,
                    expected: n,
                });
            }
        }
        for (k, name) in self.joints.iter().enumerate() {
            if self.joints[..k].contains(name) {
                return Err(ContractError::Joint {
                    joint: name.clone(),
                    message: "appears twice in the action map".into(),
                });
            }
            if !(self.default[k].is_finite() && self.scale[k].is_finite()) {
                return Err(ContractError::Joint {
                    joint: name.clone(),
                    message: "has a default or scale that is not finite".into(),
                });
            }
        }
        if let Some(g) = &self.gait {
            TrotGenerator::new(g, &self.joints).map_err(|(key, message)| ContractError::Slice {
                name: format!("action.{key}"),
                message,
            })?;
        }
        Ok(())
    }

    /// The trot generator bound to the action's joints, if the map has one.
    pub fn generator(&self) -> Option<TrotGenerator> {
        let g = self.gait.as_ref()?;
        TrotGenerator::new(g, &self.joints).ok()
    }

    /// Writes the joint targets for `action` (`[len]`) into `out` (`[len]`), adding
    /// `gait_offsets` (`[len]`, from [`TrotGenerator::offsets`]) when given.
    pub fn targets(&self, action: &[f32], gait_offsets: Option<&[f32]>, out: &mut [f64]) {
        for k in 0..out.len().min(action.len()) {
            let gait = gait_offsets.map_or(0.0, |g| g[k] as f64);
            out[k] = self.default[k] as f64 + self.scale[k] as f64 * action[k] as f64 + gait;
        }
    }
}
