//! Settings of the imitation task (`[env]` of an `imitate` training config).

use crate::error::SimError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Which of DeepMimic's two reward definitions to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RewardPreset {
    /// The paper's: `0.65 pose + 0.1 velocity + 0.15 end effector + 0.1 centre of mass`, with
    /// `exp(-2 sum|q_ref (-) q|^2)`, `exp(-0.1 sum|dq|^2)`, `exp(-40 sum|dp_e|^2)`,
    /// `exp(-10 |dp_com|^2)`; every joint counts the same.
    Paper,
    /// DeepMimic's code (`cSceneImitate::CalcRewardImitate`): pose 0.5, velocity 0.05, end
    /// effector 0.15, root 0.2, centre of mass 0.1; joints weighted by the character's
    /// `DiffWeight`s (normalised), scales 2, 0.1, 10, 5, 10; the root term mixes position,
    /// rotation and velocities; the centre-of-mass term compares velocities.
    Code,
}

/// Weights (or scales) of the five reward terms; a preset fills the ones left out.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardTerms {
    /// Joint rotations.
    pub pose: Option<f32>,
    /// Joint velocities.
    pub velocity: Option<f32>,
    /// End-effector positions.
    pub end_effector: Option<f32>,
    /// Root pose and velocity (the code's preset only).
    pub root: Option<f32>,
    /// Centre of mass.
    pub com: Option<f32>,
}

/// The reward: a preset, with any weight or kernel scale overridden.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RewardConfig {
    /// Which definition.
    pub preset: RewardPreset,
    /// Weight overrides.
    pub weights: RewardTerms,
    /// Kernel scale overrides (`exp(-scale * error)`).
    pub scales: RewardTerms,
}

impl Default for RewardConfig {
    fn default() -> Self {
        Self {
            preset: RewardPreset::Code,
            weights: RewardTerms::default(),
            scales: RewardTerms::default(),
        }
    }
}

impl RewardConfig {
    /// Weights `[pose, velocity, end effector, root, com]` after overrides.
    pub fn weights(&self) -> [f32; 5] {
        let base = match self.preset {
            RewardPreset::Paper => [0.65, 0.1, 0.15, 0.0, 0.1],
            RewardPreset::Code => [0.5, 0.05, 0.15, 0.2, 0.1],
        };
        merge(base, &self.weights)
    }

    /// Kernel scales `[pose, velocity, end effector, root, com]` after overrides.
    pub fn scales(&self) -> [f32; 5] {
        let base = match self.preset {
            RewardPreset::Paper => [2.0, 0.1, 40.0, 0.0, 10.0],
            RewardPreset::Code => [2.0, 0.1, 10.0, 5.0, 10.0],
        };
        merge(base, &self.scales)
    }
}

fn merge(base: [f32; 5], o: &RewardTerms) -> [f32; 5] {
    let given = [o.pose, o.velocity, o.end_effector, o.root, o.com];
    std::array::from_fn(|i| given[i].unwrap_or(base[i]))
}

/// What the policy sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObservationVariant {
    /// Everything the simulator knows, including where the reference root is relative to the
    /// robot's root (which needs the robot's global position) and the root's height and linear
    /// velocity.
    Full,
    /// Only what a real robot measures (IMU gravity and angular velocity, joint encoders) plus
    /// the clip (phase, the reference joint positions and the reference root's tilt): no global
    /// position, no height, no linear velocity.
    Deployable,
}

/// How an action becomes PD targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionMode {
    /// Offsets from the reference pose of the next control step: `q_ref * exp(scale * a)` per
    /// ball joint, `q_ref + scale * a` per hinge.
    Residual,
    /// DeepMimic's: the targets themselves, `exp(scale * a)` and `scale * a`.
    Absolute,
}

/// The imitation task's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImitationConfig {
    /// DeepMimic character file (relative paths: from the working directory, else from the
    /// repository root).
    pub character: PathBuf,
    /// DeepMimic PD controller file (control rate and gains).
    pub controller: PathBuf,
    /// The clip: DeepMimic's format for a character, embody's robot-clip format (JSON, Z-up,
    /// `robots::motion::MotionClip::from_robot_clip_file`) when `robot` is set.
    pub clip: PathBuf,
    /// A robot (built-in name, robot TOML or URDF) to perform the clip instead of the
    /// character; `character` and `controller` are then unused, and the robot's own gains and
    /// `control_hz` apply.
    pub robot: Option<String>,
    /// Policy rate (Hz) of a `robot` (a character's comes from its controller file).
    pub control_hz: f64,
    /// The reward.
    pub reward: RewardConfig,
    /// What the policy sees.
    pub observation: ObservationVariant,
    /// How actions become targets.
    pub action: ActionMode,
    /// Radians per unit action.
    pub action_scale: f32,
    /// Episode length (s).
    pub episode_s: f32,
    /// Reference state initialisation: start each episode at a random time of the clip (else at
    /// its start).
    pub random_start: bool,
    /// End an episode when a fall body (torso, head) touches the ground.
    pub early_termination: bool,
    /// Rapier steps per control step.
    pub sim_steps_per_control: usize,
    /// Solver substeps per Rapier step.
    pub solver_substeps: usize,
    /// Ground friction.
    pub friction: f32,
    /// A task objective combined with the imitation (`[env.objective]`; absent = imitation
    /// only): DeepMimic's heading task.
    pub objective: Option<super::objective::HeadingObjective>,
}

/// DeepMimic's files for the humanoid walk, from the shared third-party folder.
const DEEPMIMIC: &str = "../shared/thirdparty/deepmimic";

impl Default for ImitationConfig {
    fn default() -> Self {
        Self {
            character: PathBuf::from(format!("{DEEPMIMIC}/characters/humanoid3d.txt")),
            controller: PathBuf::from(format!(
                "{DEEPMIMIC}/controllers/humanoid3d_phase_rot_ctrl.txt"
            )),
            clip: PathBuf::from(format!("{DEEPMIMIC}/motions/humanoid3d_walk.txt")),
            robot: None,
            control_hz: 50.0,
            reward: RewardConfig::default(),
            observation: ObservationVariant::Full,
            action: ActionMode::Residual,
            action_scale: 0.5,
            episode_s: 10.0,
            random_start: true,
            early_termination: true,
            sim_steps_per_control: 2,
            solver_substeps: 8,
            friction: 0.9,
            objective: None,
        }
    }
}

impl ImitationConfig {
    /// Checks ranges; errors name the key under `env.`.
    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |key: &str, message: &str| {
            Err(SimError::Config {
                key: format!("env.{key}"),
                message: message.into(),
            })
        };
        if !(self.action_scale.is_finite() && self.action_scale > 0.0) {
            return bad("action_scale", "must be a positive number");
        }
        if !(self.episode_s.is_finite() && self.episode_s > 0.0) {
            return bad("episode_s", "must be a positive number of seconds");
        }
        if self.sim_steps_per_control == 0 {
            return bad("sim_steps_per_control", "must be at least 1");
        }
        if self.solver_substeps == 0 {
            return bad("solver_substeps", "must be at least 1");
        }
        if !(self.control_hz.is_finite() && self.control_hz > 0.0) {
            return bad("control_hz", "must be a positive rate in Hz");
        }
        if !(self.friction.is_finite() && self.friction >= 0.0) {
            return bad("friction", "must be a non-negative number");
        }
        if let Some(o) = &self.objective
            && let Err((key, message)) = o.validate()
        {
            return Err(SimError::Config { key, message });
        }
        let w = self.reward.weights();
        let s = self.reward.scales();
        if w.iter().chain(&s).any(|x| !x.is_finite() || *x < 0.0) {
            return bad("reward", "weights and scales must be non-negative numbers");
        }
        Ok(())
    }
}

/// `path` as given if it exists from the working directory, else from the repository root (so
/// the shipped configs' `../shared/...` paths work from anywhere inside the checkout).
pub fn resolve_data_path(path: &Path) -> PathBuf {
    if path.is_absolute() || path.exists() {
        return path.to_path_buf();
    }
    let from_root = robots::assets_dir().join("..").join(path);
    if from_root.exists() {
        from_root
    } else {
        path.to_path_buf()
    }
}
