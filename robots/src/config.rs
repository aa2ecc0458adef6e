//! The robot's TOML configuration: the control facts a URDF cannot express (default pose, PD gains,
//! feet, contact bodies), in the manner of legged_gym's robot configs.
//!
//! ```toml
//! name = "quadruped"
//! urdf = "quadruped.urdf"                    # relative to this file
//! feet = ["FL_foot", "FR_foot", "RL_foot", "RR_foot"]
//! terminate_on_contact = ["base"]           # substrings of body/link names
//! penalise_contacts = ["thigh", "calf"]
//! [default_joint_angles]                    # every actuated joint, by name
//! FL_hip_joint = 0.1
//! [control]
//! stiffness = { joint = 20.0 }              # substrings of joint names; longest match wins
//! damping = { joint = 0.5 }
//! action_scale = 0.25
//! ```

use crate::error::RobotError;
use crate::spec::{FootSpec, RobotSpec};
use crate::urdf::read_urdf_file;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// PD control facts.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ControlConfig {
    /// Kp by joint-name substring (N·m/rad); the longest matching key wins.
    pub stiffness: BTreeMap<String, f64>,
    /// Kd by joint-name substring (N·m·s/rad); the longest matching key wins.
    pub damping: BTreeMap<String, f64>,
    /// `target = default + action_scale * action`.
    pub action_scale: f64,
}

/// A robot configuration file (see the module docs for the format).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RobotConfig {
    /// Robot name.
    pub name: String,
    /// URDF path, relative to the configuration file.
    pub urdf: PathBuf,
    /// The floating base link (must be the URDF's root link); defaults to the root.
    #[serde(default)]
    pub base: Option<String>,
    /// Foot link names.
    #[serde(default)]
    pub feet: Vec<String>,
    /// Substrings of body/link names whose contact ends an episode.
    #[serde(default)]
    pub terminate_on_contact: Vec<String>,
    /// Substrings of body/link names whose contact is penalised.
    #[serde(default)]
    pub penalise_contacts: Vec<String>,
    /// Default (standing) joint position for every actuated joint, by name.
    pub default_joint_angles: BTreeMap<String, f64>,
    /// PD gains and action scale.
    pub control: ControlConfig,
}

impl RobotConfig {
    /// Reads a configuration file (without loading its URDF).
    pub fn from_file(path: &Path) -> Result<Self, RobotError> {
        let text = std::fs::read_to_string(path).map_err(|source| RobotError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml_str(&text, path)
    }

    /// Parses configuration text; `path` is used in error messages.
    pub fn from_toml_str(text: &str, path: &Path) -> Result<Self, RobotError> {
        toml::from_str(text).map_err(|e| {
            let message = e.message().to_string();
            let key = match e.span() {
                Some(span) => format!(
                    "<line {}>",
                    text[..span.start.min(text.len())].lines().count().max(1)
                ),
                None => "<file>".to_string(),
            };
            RobotError::config(path, key, message)
        })
    }

    /// Loads the configuration at `path` and its URDF, and returns the complete robot.
    pub fn load(path: &Path) -> Result<RobotSpec, RobotError> {
        let config = Self::from_file(path)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut spec = read_urdf_file(&dir.join(&config.urdf))?;
        config.apply(&mut spec, path)?;
        Ok(spec)
    }

    /// Applies default pose, gains, feet and contact bodies to `spec`. `path` names this file in
    /// errors.
    pub fn apply(&self, spec: &mut RobotSpec, path: &Path) -> Result<(), RobotError> {
        spec.name = self.name.clone();
        if let Some(base) = &self.base
            && !spec.bodies[0].links.iter().any(|(name, _)| name == base)
        {
            return Err(RobotError::config(
                path,
                "base",
                format!(
                    "'{base}' is not the URDF's root link '{}'",
                    spec.bodies[0].name
                ),
            ));
        }
        let names: Vec<String> = spec.joints.iter().map(|j| j.name.clone()).collect();
        for key in self.default_joint_angles.keys() {
            if !names.contains(key) {
                return Err(RobotError::config(
                    path,
                    format!("default_joint_angles.{key}"),
                    format!("no actuated joint of that name in the URDF; joints are {names:?}"),
                ));
            }
        }
        let ac = &self.control;
        if !ac.action_scale.is_finite() || ac.action_scale <= 0.0 {
            return Err(RobotError::config(
                path,
                "control.action_scale",
                "must be a positive number",
            ));
        }
        for (table, map) in [("stiffness", &ac.stiffness), ("damping", &ac.damping)] {
            for (k, v) in map {
                if !v.is_finite() || *v < 0.0 {
                    return Err(RobotError::config(
                        path,
                        format!("control.{table}.{k}"),
                        format!("must be a non-negative number, got {v}"),
                    ));
                }
            }
        }
        for joint in spec.joints.iter_mut() {
            let q0 = *self.default_joint_angles.get(&joint.name).ok_or_else(|| {
                RobotError::config(
                    path,
                    "default_joint_angles",
                    format!("joint '{}' has no default angle", joint.name),
                )
            })?;
            if !q0.is_finite() || q0 < joint.lower || q0 > joint.upper {
                return Err(RobotError::config(
                    path,
                    format!("default_joint_angles.{}", joint.name),
                    format!(
                        "{q0} is outside the joint limits [{}, {}]",
                        joint.lower, joint.upper
                    ),
                ));
            }
            joint.default_position = q0;
            joint.stiffness = longest_match(&ac.stiffness, &joint.name).ok_or_else(|| {
                RobotError::config(
                    path,
                    "control.stiffness",
                    format!("no key matches joint '{}'", joint.name),
                )
            })?;
            joint.damping = longest_match(&ac.damping, &joint.name).ok_or_else(|| {
                RobotError::config(
                    path,
                    "control.damping",
                    format!("no key matches joint '{}'", joint.name),
                )
            })?;
        }
        spec.action_scale = ac.action_scale;
        spec.feet = self
            .feet
            .iter()
            .enumerate()
            .map(|(i, foot)| {
                let (body, pose) = spec.find_link(foot).ok_or_else(|| {
                    RobotError::config(
                        path,
                        format!("feet[{i}]"),
                        format!("no link named '{foot}' in the URDF"),
                    )
                })?;
                Ok(FootSpec {
                    name: foot.clone(),
                    body,
                    offset_b: pose.translation.vector,
                })
            })
            .collect::<Result<_, RobotError>>()?;
        spec.terminate_contacts = match_links(
            spec,
            &self.terminate_on_contact,
            path,
            "terminate_on_contact",
        )?;
        spec.penalise_contacts =
            match_links(spec, &self.penalise_contacts, path, "penalise_contacts")?;
        Ok(())
    }
}

fn longest_match(map: &BTreeMap<String, f64>, name: &str) -> Option<f64> {
    map.iter()
        .filter(|(k, _)| name.contains(k.as_str()))
        .max_by_key(|(k, _)| k.len())
        .map(|(_, v)| *v)
}

/// Names of the links (with collision shapes) that `patterns` select: a link whose name contains
/// a pattern, or, when that link has no shapes of its own, every shaped link of its body. Every
/// pattern must match at least one link.
fn match_links(
    spec: &RobotSpec,
    patterns: &[String],
    path: &Path,
    key: &str,
) -> Result<Vec<String>, RobotError> {
    let mut out: Vec<String> = Vec::new();
    for (i, pattern) in patterns.iter().enumerate() {
        let mut found = false;
        for body in &spec.bodies {
            for (name, _) in &body.links {
                if name.contains(pattern.as_str()) {
                    found = true;
                    // A link without shapes of its own (e.g. A1's "base", whose box sits on the
                    // fixed-joined "trunk") stands for every shape of its body.
                    let own = body.collisions.iter().any(|c| &c.link == name);
                    let links = body
                        .collisions
                        .iter()
                        .filter(|c| !own || &c.link == name)
                        .map(|c| &c.link);
                    for link in links {
                        if !out.contains(link) {
                            out.push(link.clone());
                        }
                    }
                }
            }
        }
        if !found {
            return Err(RobotError::config(
                path,
                format!("{key}[{i}]"),
                format!("'{pattern}' matches no link in the URDF"),
            ));
        }
    }
    out.sort();
    Ok(out)
}
