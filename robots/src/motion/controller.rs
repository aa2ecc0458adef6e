//! DeepMimic PD controller files (`humanoid3d_phase_rot_ctrl.txt`): the control rate and each
//! joint's PD gains.

use super::character::Character;
use super::json::{Fields, read_json};
use crate::error::RobotError;
use std::path::{Path, PathBuf};

/// One joint's PD gains.
#[derive(Debug, Clone, PartialEq)]
pub struct PdGains {
    /// The joint the gains belong to.
    pub joint: String,
    /// Stiffness (N·m/rad).
    pub kp: f64,
    /// Damping (N·m·s/rad).
    pub kd: f64,
}

/// A DeepMimic PD controller file.
#[derive(Debug, Clone, PartialEq)]
pub struct PdController {
    /// The file it was read from.
    pub path: PathBuf,
    /// Policy rate (Hz; `UpdateRate`).
    pub update_rate_hz: f64,
    /// Whether the policy sees the clip's phase (`EnablePhaseInput`).
    pub phase_input: bool,
    /// Gains in the file's order.
    pub gains: Vec<PdGains>,
}

impl PdController {
    /// Reads a controller file and checks that it names exactly `character`'s joints.
    pub fn from_file(path: &Path, character: &Character) -> Result<Self, RobotError> {
        let root = read_json(path)?;
        let top = Fields::new(&root, path, "<file>")?;
        let update_rate_hz = top.number_or("UpdateRate", 30.0)?;
        if update_rate_hz <= 0.0 {
            return Err(top.error(format!("UpdateRate {update_rate_hz} is not positive")));
        }
        let phase_input = match root.get("EnablePhaseInput") {
            None => false,
            Some(v) => v.as_bool().ok_or_else(|| {
                top.error(format!("'EnablePhaseInput' is {v}, not true or false"))
            })?,
        };
        let mut gains = Vec::new();
        for (i, value) in top.array("PDControllers")?.iter().enumerate() {
            let mut f = Fields::new(value, path, format!("PDControllers[{i}]"))?;
            let joint = f.string("Name")?.to_string();
            f.element = format!("PDControllers[{i}] '{joint}'");
            if character.joint_index(&joint).is_none() {
                return Err(f.error(format!(
                    "names no joint of the character {}",
                    character.path.display()
                )));
            }
            let (kp, kd) = (f.number("Kp")?, f.number("Kd")?);
            if kp < 0.0 || kd < 0.0 {
                return Err(f.error(format!("negative gain (Kp {kp}, Kd {kd})")));
            }
            gains.push(PdGains { joint, kp, kd });
        }
        for (_, j) in character.moving_joints() {
            if !gains.iter().any(|g| g.joint == j.name) {
                return Err(RobotError::invalid(
                    path,
                    format!("joint '{}'", j.name),
                    "has no PD gains in PDControllers",
                ));
            }
        }
        Ok(Self {
            path: path.to_path_buf(),
            update_rate_hz,
            phase_input,
            gains,
        })
    }

    /// The gains of the joint called `name`.
    pub fn gains_of(&self, name: &str) -> Option<&PdGains> {
        self.gains.iter().find(|g| g.joint == name)
    }
}
