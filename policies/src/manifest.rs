//! The checkpoint manifest (`manifest.json`): the one file that says what a checkpoint folder
//! holds and how its policy is deployed. JSON, versioned:
//!
//! ```json
//! { "version": 1, "task": "locomotion", "iteration": 750,
//!   "modules": [{ "name": "policy", "kind": "actor_critic_mlp", "obs_dim": 141, ... }],
//!   "observation": [{ "name": "base_lin_vel", "offset": 0, "len": 3, "scale": 2.0 }, ...],
//!   "action": { "joints": [...], "default": [...], "scale": [...] },
//!   "control_dt": 0.02 }
//! ```
//!
//! `observation`, `action` and `control_dt` are the deploy contract
//! ([`robots::contract::DeployContract`]); tasks without a robot-side deployment (cart-pole)
//! have none. Reading needs no burn and no simulator (the ROS 2 policy node reads it).

use crate::error::PolicyError;
use robots::contract::DeployContract;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// File name of the manifest in a checkpoint folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// The manifest format this build writes and reads.
pub const MANIFEST_VERSION: u32 = 1;

/// One trained module of a checkpoint (one per agent: the robot's policy today; a disturber or
/// a student later).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleEntry {
    /// The agent's name (`policy`).
    pub name: String,
    /// The network family: `actor_critic_mlp` (ELU MLP actor and critic, Gaussian actions).
    pub kind: String,
    /// Files of the module in the folder: weights for deployment first.
    pub files: Vec<String>,
    /// Observation length the actor takes.
    pub obs_dim: usize,
    /// Inputs of an asymmetric critic (observation + privileged state); absent (0) when the
    /// critic takes the actor's observation. Deployment never needs the critic.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub critic_obs_dim: usize,
    /// Action length the actor gives.
    pub act_dim: usize,
    /// Hidden widths of the actor.
    pub actor_hidden: Vec<usize>,
    /// Hidden widths of the critic.
    pub critic_hidden: Vec<usize>,
}

/// The content of `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version ([`MANIFEST_VERSION`]).
    pub version: u32,
    /// The task the checkpoint trained on.
    pub task: String,
    /// Training iterations completed.
    pub iteration: usize,
    /// The trained modules.
    pub modules: Vec<ModuleEntry>,
    /// The deploy contract, for tasks that deploy to a robot.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<DeployContract>,
}

fn is_zero(v: &usize) -> bool {
    *v == 0
}

fn file_err(path: &Path, message: impl std::fmt::Display) -> PolicyError {
    PolicyError::File {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

impl Manifest {
    /// The module called `name`.
    pub fn module(&self, name: &str) -> Option<&ModuleEntry> {
        self.modules.iter().find(|m| m.name == name)
    }

    /// Reads `dir/manifest.json`; `Ok(None)` when the folder has none (checkpoints written
    /// before manifests existed). Errors name the file and what is wrong: a newer version, a
    /// malformed contract, a contract whose sizes disagree with the policy module.
    pub fn read(dir: &Path) -> Result<Option<Self>, PolicyError> {
        let path = dir.join(MANIFEST_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(file_err(&path, e)),
        };
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| file_err(&path, format!("invalid JSON: {e}")))?;
        match value.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == MANIFEST_VERSION as u64 => {}
            Some(v) => {
                return Err(file_err(
                    &path,
                    format!("manifest version {v}; this build reads version {MANIFEST_VERSION}"),
                ));
            }
            None => return Err(file_err(&path, "no \"version\" number")),
        }
        let manifest: Manifest = serde_path_to_error::deserialize(value)
            .map_err(|e| file_err(&path, format!("at {}: {}", e.path(), e.inner())))?;
        manifest.check().map_err(|m| file_err(&path, m))?;
        Ok(Some(manifest))
    }

    /// Writes `dir/manifest.json` atomically.
    pub fn write(&self, dir: &Path) -> Result<(), PolicyError> {
        let path = dir.join(MANIFEST_FILE);
        let json = serde_json::to_vec_pretty(self).map_err(|e| file_err(&path, e))?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, json).map_err(|e| file_err(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| file_err(&path, e))
    }

    /// Consistency of a read manifest: the contract is valid and fits the `policy` module.
    fn check(&self) -> Result<(), String> {
        let Some(c) = &self.contract else {
            return Ok(());
        };
        c.validate().map_err(|e| e.to_string())?;
        if let Some(m) = self.module("policy") {
            if c.observation.dim() != m.obs_dim {
                return Err(format!(
                    "the observation slices cover {} entries, module 'policy' takes obs_dim {}",
                    c.observation.dim(),
                    m.obs_dim
                ));
            }
            if c.action.len() != m.act_dim {
                return Err(format!(
                    "the action map drives {} joints, module 'policy' gives act_dim {}",
                    c.action.len(),
                    m.act_dim
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use robots::contract::{ActionMap, ObsLayout, ObsTerm};

    fn manifest() -> Manifest {
        let mut observation = ObsLayout::new();
        observation
            .push(ObsTerm::BaseAngVel { scale: 0.25 }, None)
            .expect("slice");
        observation
            .push(ObsTerm::LastAction, Some(2))
            .expect("slice");
        Manifest {
            version: MANIFEST_VERSION,
            task: "locomotion".into(),
            iteration: 7,
            modules: vec![ModuleEntry {
                name: "policy".into(),
                kind: "actor_critic_mlp".into(),
                files: vec!["policy.safetensors".into()],
                obs_dim: 5,
                critic_obs_dim: 0,
                act_dim: 2,
                actor_hidden: vec![8],
                critic_hidden: vec![8],
            }],
            contract: Some(DeployContract {
                observation,
                action: ActionMap {
                    joints: vec!["a".into(), "b".into()],
                    default: vec![0.0, 0.1],
                    scale: vec![0.25, 0.25],
                    gait: None,
                },
                control_dt: 0.02,
            }),
        }
    }

    fn tmp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("embody_manifest_{name}_{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("tmp dir");
        d
    }

    #[test]
    fn the_manifest_round_trips_with_top_level_slices_and_action_map() {
        let dir = tmp("roundtrip");
        manifest().write(&dir).expect("write");
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(MANIFEST_FILE)).expect("read"))
                .expect("json");
        assert_eq!(v["version"], 1);
        assert_eq!(v["modules"][0]["name"], "policy");
        assert_eq!(v["observation"][1]["name"], "last_action");
        assert_eq!(v["observation"][1]["offset"], 3);
        assert_eq!(v["observation"][1]["len"], 2);
        assert_eq!(v["action"]["joints"][1], "b");
        assert_eq!(Manifest::read(&dir).expect("read"), Some(manifest()));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_missing_manifest_is_none_and_bad_ones_name_the_file_and_field() {
        let dir = tmp("bad");
        assert_eq!(Manifest::read(&dir).expect("none"), None);
        let write = |v: serde_json::Value| {
            std::fs::write(dir.join(MANIFEST_FILE), v.to_string()).expect("write");
            Manifest::read(&dir).unwrap_err().to_string()
        };
        let good = serde_json::to_value(manifest()).expect("json");
        let mut v = good.clone();
        v["version"] = serde_json::json!(9);
        let e = write(v);
        assert!(
            e.contains("manifest.json") && e.contains("version 9"),
            "{e}"
        );
        let mut v = good.clone();
        v["modules"][0]["obs_dim"] = serde_json::json!(6);
        let e = write(v);
        assert!(
            e.contains("cover 5 entries") && e.contains("obs_dim 6"),
            "{e}"
        );
        let mut v = good.clone();
        v["modules"][0]["act_dim"] = serde_json::json!("two");
        let e = write(v);
        assert!(e.contains("modules[0].act_dim"), "{e}");
        let mut v = good;
        v["observation"][1]["offset"] = serde_json::json!(4);
        let e = write(v);
        assert!(e.contains("'last_action' starts at 4"), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
