//! Node parameters (YAML, `ros2_ws/src/embody_ros/config/*.yaml`): joints in order, default pose,
//! action scale, PD gains, limits, rates, topics, safety thresholds.
//!
//! Unknown keys are errors, and every error names the file and the dotted key.

use crate::error::RosError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Per-joint data, every list in the order of `names` (the policy's joint order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JointsConfig {
    /// Joint names in the order of the policy's observation and action.
    pub names: Vec<String>,
    /// Default (standing) position per joint (rad): target of a zero action and end of the
    /// soft-start ramp.
    pub default_position: Vec<f64>,
    /// PD stiffness per joint (N m/rad), as trained; used by the effort clamp.
    pub kp: Vec<f64>,
    /// PD damping per joint (N m s/rad), as trained; used by the effort clamp.
    pub kd: Vec<f64>,
    /// Lowest commanded position per joint (rad).
    pub position_lower: Vec<f64>,
    /// Highest commanded position per joint (rad).
    pub position_upper: Vec<f64>,
    /// Largest target speed per joint (rad/s): targets move at most this much per second.
    pub velocity_limit: Vec<f64>,
    /// Largest PD effort per joint (N m) a target may ask for, given the measured state.
    pub effort_limit: Vec<f64>,
}

/// Rates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatesConfig {
    /// Policy inference rate (Hz); the trained control rate (50 Hz for locomotion).
    pub policy_hz: f64,
    /// Physics/publish rate of the sim node (Hz).
    pub sim_hz: f64,
}

/// Where the base state comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaseSource {
    /// Orientation and angular velocity from `sensor_msgs/Imu`; linear velocity from
    /// `nav_msgs/Odometry` (its twist, body frame).
    Imu,
    /// Orientation, linear and angular velocity all from `nav_msgs/Odometry`.
    Odometry,
}

/// Which message carries the joint targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// `std_msgs/Float64MultiArray` of positions in joint order (ros2_control's
    /// forward_command_controller / position controllers).
    Float64MultiArray,
    /// `trajectory_msgs/JointTrajectory` with one point, joint names set, reached one policy
    /// period ahead (joint_trajectory_controller).
    JointTrajectory,
}

/// When the policy runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// On a timer at `rates.policy_hz` (default).
    Timer,
    /// On every accepted joint state (for latency measurements; the state source sets the rate).
    State,
}

/// Topic names. An empty `status` disables the status topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicsConfig {
    /// `sensor_msgs/JointState` in.
    pub joint_states: String,
    /// `sensor_msgs/Imu` in.
    pub imu: String,
    /// `nav_msgs/Odometry` in.
    pub odometry: String,
    /// `geometry_msgs/Twist` in: vx, vy (m/s), yaw rate (rad/s).
    pub cmd_vel: String,
    /// `std_msgs/Bool` in: true stops (damp), false releases (soft start again).
    pub e_stop: String,
    /// `std_msgs/Float64MultiArray` out (output `float64_multi_array`).
    pub joint_commands: String,
    /// `trajectory_msgs/JointTrajectory` out (output `joint_trajectory`).
    pub joint_trajectory: String,
    /// `std_msgs/String` out: one JSON line per cycle (mode, reason, counters).
    pub status: String,
    /// `sensor_msgs/PointCloud2` of the terrain (world frame): in for a policy that observes
    /// terrain heights, out from the sim node. Optional.
    #[serde(default = "default_height_cloud_topic")]
    pub height_cloud: String,
}

fn default_height_cloud_topic() -> String {
    "/embody/height_cloud".into()
}

/// Safety thresholds (see [`crate::safety`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SafetyConfig {
    /// No accepted joint state or base state for this long -> hold mode (ms).
    pub state_timeout_ms: f64,
    /// No velocity command for this long -> the command falls back to zero (ms).
    pub cmd_vel_timeout_ms: f64,
    /// Body tilt beyond this -> safe mode (damp), latched until an e-stop press and release (deg).
    pub max_tilt_deg: f64,
    /// Duration of the ramp from the measured pose to the default pose before the policy
    /// starts (s); 0 starts the policy at once.
    pub soft_start_s: f64,
    /// This many non-finite policy outputs in a row -> safe mode.
    pub max_nonfinite_actions: u32,
    /// Velocity command limits: |vx|, |vy| (m/s), |yaw rate| (rad/s).
    pub cmd_vel_limit: [f64; 3],
}

/// Everything the policy and sim nodes read from their YAML file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// Robot name or robot TOML/URDF path (the sim node simulates it; the policy node checks
    /// the checkpoint was trained on it).
    pub robot: String,
    /// Joints.
    pub joints: JointsConfig,
    /// `target = default + action_scale * action`.
    pub action_scale: f64,
    /// Rates.
    pub rates: RatesConfig,
    /// Base state source.
    pub base_source: BaseSource,
    /// Output message.
    pub output: OutputKind,
    /// When the policy runs.
    #[serde(default = "default_trigger")]
    pub trigger: Trigger,
    /// Topic names.
    pub topics: TopicsConfig,
    /// Safety thresholds.
    pub safety: SafetyConfig,
    /// Terrain heights from a point cloud (optional section).
    #[serde(default)]
    pub height_cloud: crate::height_cloud::HeightCloudConfig,
}

fn default_trigger() -> Trigger {
    Trigger::Timer
}

/// The shipped configuration folder of this package.
pub fn config_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config")
}

impl NodeConfig {
    /// Reads and validates a YAML file; `overrides` are `key=value` strings (YAML values) applied
    /// before validation, e.g. `safety.soft_start_s=0`.
    pub fn load(path: &Path, overrides: &[String]) -> Result<Self, RosError> {
        let text = std::fs::read_to_string(path).map_err(|e| RosError::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Self::from_yaml_str(&text, path, overrides)
    }

    /// Parses YAML text (`path` only names the source in errors).
    pub fn from_yaml_str(text: &str, path: &Path, overrides: &[String]) -> Result<Self, RosError> {
        let err = |key: &str, message: String| RosError::Config {
            path: path.to_path_buf(),
            key: key.to_string(),
            message,
        };
        let mut value: yaml_serde::Value =
            yaml_serde::from_str(text).map_err(|e| err("<file>", e.to_string()))?;
        for item in overrides {
            let (key, raw) = item
                .split_once('=')
                .ok_or_else(|| err(item, "expected key=value".into()))?;
            let new: yaml_serde::Value =
                yaml_serde::from_str(raw.trim()).map_err(|e| err(key, e.to_string()))?;
            let mut node = &mut value;
            for part in key.trim().split('.') {
                let map = node
                    .as_mapping_mut()
                    .ok_or_else(|| err(key, format!("'{part}' is not inside a mapping")))?;
                node = map
                    .entry(yaml_serde::Value::String(part.to_string()))
                    .or_insert(yaml_serde::Value::Null);
            }
            *node = new;
        }
        let config: Self = serde_path_to_error::deserialize(value)
            .map_err(|e| err(&e.path().to_string(), e.inner().to_string()))?;
        config.validate(path)?;
        Ok(config)
    }

    /// Number of joints.
    pub fn num_joints(&self) -> usize {
        self.joints.names.len()
    }

    /// Checks lengths and ranges; errors name the key.
    pub fn validate(&self, path: &Path) -> Result<(), RosError> {
        let err = |key: &str, message: String| RosError::Config {
            path: path.to_path_buf(),
            key: key.to_string(),
            message,
        };
        let j = &self.joints;
        let n = j.names.len();
        if n == 0 {
            return Err(err("joints.names", "at least one joint is needed".into()));
        }
        for (k, name) in j.names.iter().enumerate() {
            if j.names[..k].contains(name) {
                return Err(err(
                    "joints.names",
                    format!("joint '{name}' is listed twice"),
                ));
            }
        }
        for (key, list) in [
            ("joints.default_position", &j.default_position),
            ("joints.kp", &j.kp),
            ("joints.kd", &j.kd),
            ("joints.position_lower", &j.position_lower),
            ("joints.position_upper", &j.position_upper),
            ("joints.velocity_limit", &j.velocity_limit),
            ("joints.effort_limit", &j.effort_limit),
        ] {
            if list.len() != n {
                return Err(err(key, format!("{} values for {n} joints", list.len())));
            }
            if let Some(k) = list.iter().position(|v| !v.is_finite()) {
                return Err(err(
                    key,
                    format!("joint '{}': not a finite number", j.names[k]),
                ));
            }
        }
        for k in 0..n {
            let name = &j.names[k];
            if j.position_lower[k] > j.position_upper[k] {
                return Err(err(
                    "joints.position_lower",
                    format!("joint '{name}': lower limit above upper limit"),
                ));
            }
            let d = j.default_position[k];
            if d < j.position_lower[k] || d > j.position_upper[k] {
                return Err(err(
                    "joints.default_position",
                    format!("joint '{name}': {d} is outside the position limits"),
                ));
            }
            for (key, v) in [
                ("joints.kp", j.kp[k]),
                ("joints.velocity_limit", j.velocity_limit[k]),
                ("joints.effort_limit", j.effort_limit[k]),
            ] {
                if v <= 0.0 {
                    return Err(err(
                        key,
                        format!("joint '{name}': must be positive, got {v}"),
                    ));
                }
            }
            if j.kd[k] < 0.0 {
                return Err(err(
                    "joints.kd",
                    format!("joint '{name}': must not be negative"),
                ));
            }
        }
        let positive = |key: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(err(key, format!("must be a positive number, got {v}")))
            }
        };
        positive("action_scale", self.action_scale)?;
        positive("rates.policy_hz", self.rates.policy_hz)?;
        positive("rates.sim_hz", self.rates.sim_hz)?;
        let h = &self.height_cloud;
        positive("height_cloud.max_gap_m", h.max_gap_m)?;
        positive("height_cloud.timeout_ms", h.timeout_ms)?;
        positive("height_cloud.spacing_m", h.spacing_m)?;
        positive("height_cloud.half_length_m", h.half_length_m)?;
        positive("height_cloud.half_width_m", h.half_width_m)?;
        let s = &self.safety;
        positive("safety.state_timeout_ms", s.state_timeout_ms)?;
        positive("safety.cmd_vel_timeout_ms", s.cmd_vel_timeout_ms)?;
        positive("safety.max_tilt_deg", s.max_tilt_deg)?;
        if !(s.soft_start_s.is_finite() && s.soft_start_s >= 0.0) {
            return Err(err(
                "safety.soft_start_s",
                "must be zero or positive".into(),
            ));
        }
        if s.max_nonfinite_actions == 0 {
            return Err(err(
                "safety.max_nonfinite_actions",
                "must be at least 1".into(),
            ));
        }
        if s.cmd_vel_limit
            .iter()
            .any(|v| !(v.is_finite() && *v >= 0.0))
        {
            return Err(err(
                "safety.cmd_vel_limit",
                "must be three non-negative numbers".into(),
            ));
        }
        for (key, topic) in [
            ("topics.joint_states", &self.topics.joint_states),
            ("topics.cmd_vel", &self.topics.cmd_vel),
            ("topics.e_stop", &self.topics.e_stop),
            ("topics.odometry", &self.topics.odometry),
        ] {
            if topic.is_empty() {
                return Err(err(key, "a topic name is needed".into()));
            }
        }
        if self.base_source == BaseSource::Imu && self.topics.imu.is_empty() {
            return Err(err("topics.imu", "base_source imu needs a topic".into()));
        }
        let out = match self.output {
            OutputKind::Float64MultiArray => ("topics.joint_commands", &self.topics.joint_commands),
            OutputKind::JointTrajectory => {
                ("topics.joint_trajectory", &self.topics.joint_trajectory)
            }
        };
        if out.1.is_empty() {
            return Err(err(out.0, "the selected output needs a topic".into()));
        }
        Ok(())
    }

    /// Checks the joints against a robot description: same names in the same order, same
    /// default pose, gains and action scale (to 1e-6), limits inside the robot's.
    pub fn check_against_robot(&self, spec: &robots::RobotSpec) -> Result<(), RosError> {
        let names: Vec<&str> = spec.joint_names();
        if names.len() != self.num_joints() {
            return Err(RosError::Mismatch(format!(
                "config has {} joints, robot '{}' has {}",
                self.num_joints(),
                spec.name,
                names.len()
            )));
        }
        let j = &self.joints;
        for (k, js) in spec.joints.iter().enumerate() {
            if js.name != j.names[k] {
                return Err(RosError::Mismatch(format!(
                    "joint {k} is '{}' in the config but '{}' in robot '{}'",
                    j.names[k], js.name, spec.name
                )));
            }
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * (1.0 + b.abs());
            for (what, ours, theirs) in [
                (
                    "default_position",
                    j.default_position[k],
                    js.default_position,
                ),
                ("kp", j.kp[k], js.stiffness),
                ("kd", j.kd[k], js.damping),
            ] {
                if !close(ours, theirs) {
                    return Err(RosError::Mismatch(format!(
                        "joint '{}': {what} {ours} in the config, {theirs} in robot '{}'",
                        js.name, spec.name
                    )));
                }
            }
            if j.position_lower[k] < js.lower - 1e-9 || j.position_upper[k] > js.upper + 1e-9 {
                return Err(RosError::Mismatch(format!(
                    "joint '{}': position limits [{}, {}] exceed the robot's [{}, {}]",
                    js.name, j.position_lower[k], j.position_upper[k], js.lower, js.upper
                )));
            }
        }
        if (self.action_scale - spec.action_scale).abs() > 1e-9 {
            return Err(RosError::Mismatch(format!(
                "action_scale {} in the config, {} in robot '{}'",
                self.action_scale, spec.action_scale, spec.name
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> PathBuf {
        config_dir().join("quadruped.yaml")
    }

    #[test]
    fn shipped_quadruped_config_matches_the_robot_description() {
        let c = NodeConfig::load(&shipped(), &[]).expect("shipped config loads");
        let spec = robots::load_builtin_or_path(&c.robot).expect("robot");
        c.check_against_robot(&spec).expect("config fits the robot");
        assert_eq!(c.num_joints(), 12);
        assert_eq!(c.rates.policy_hz, 50.0);
    }

    #[test]
    fn overrides_apply_and_errors_name_file_and_key() {
        let c = NodeConfig::load(
            &shipped(),
            &[
                "safety.soft_start_s=0".into(),
                "output=joint_trajectory".into(),
            ],
        )
        .expect("overrides");
        assert_eq!(c.safety.soft_start_s, 0.0);
        assert_eq!(c.output, OutputKind::JointTrajectory);
        let e = NodeConfig::load(&shipped(), &["safety.max_tilt_dg=3".into()]).expect_err("typo");
        let msg = e.to_string();
        assert!(
            msg.contains("quadruped.yaml") && msg.contains("max_tilt_dg"),
            "{msg}"
        );
        let e = NodeConfig::load(&shipped(), &["joints.kp=[1, 2]".into()]).expect_err("short");
        assert!(e.to_string().contains("joints.kp"), "{e}");
        let e = NodeConfig::load(&shipped(), &["rates.policy_hz=-5".into()]).expect_err("neg");
        assert!(e.to_string().contains("rates.policy_hz"), "{e}");
        let e = NodeConfig::load(&shipped(), &["output=torque".into()]).expect_err("variant");
        assert!(e.to_string().contains("output"), "{e}");
    }

    #[test]
    fn a_reordered_config_is_refused_against_the_robot() {
        let mut c = NodeConfig::load(&shipped(), &[]).expect("load");
        c.joints.names.swap(0, 1);
        let spec = robots::load_builtin_or_path("quadruped").expect("robot");
        let e = c.check_against_robot(&spec).expect_err("order");
        assert!(e.to_string().contains("joint 0"), "{e}");
    }
}
