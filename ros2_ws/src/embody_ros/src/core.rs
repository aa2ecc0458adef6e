//! The policy node's core, without ROS: validates incoming state, builds the observation through
//! the checkpoint's deploy contract (the observation layout the simulator's task wrote, so both
//! build the same vector: every slice has a source here), runs the deploy runtime and the safety
//! layer, and leaves joint targets (the contract's action map) to publish.
//!
//! Times are seconds on any monotonic clock, passed in by the caller.

use crate::config::{BaseSource, NodeConfig};
use crate::error::RosError;
use crate::height_cloud::{CloudMsg, HeightCloud};
use crate::safety::{Measured, Mode, SafetyLayer, tilt_deg};
use policies::deploy::DeployPolicy;
use robots::contract::{DeployContract, ObsSources, ObsTerm, height_scan_points};
use serde::Serialize;

/// Why an incoming message was rejected (it then does not refresh the state).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejected {
    /// The joint state has the wrong number of joints.
    #[error("joint state has {got} joints, expected {expected}")]
    JointCount {
        /// Joints in the message.
        got: usize,
        /// Joints in the configuration.
        expected: usize,
    },
    /// A joint name is not in the configuration.
    #[error("unknown joint '{0}' in joint state")]
    UnknownJoint(String),
    /// A joint name appears twice.
    #[error("joint '{0}' appears twice in joint state")]
    DuplicateJoint(String),
    /// A field's length differs from the number of names.
    #[error("joint state field {field} has {got} values for {names} names")]
    FieldLength {
        /// `position` or `velocity`.
        field: &'static str,
        /// Its length.
        got: usize,
        /// Number of names.
        names: usize,
    },
    /// A value is NaN or infinite.
    #[error("non-finite value in {0}")]
    NonFinite(String),
    /// The orientation quaternion is not a rotation.
    #[error("orientation quaternion has norm {0}, not a rotation")]
    BadQuaternion(f64),
    /// The height cloud cannot be read.
    #[error("{0}")]
    Cloud(String),
}

/// Counters reported in the status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Cycles run.
    pub cycles: u64,
    /// Cycles that ran the policy.
    pub inferences: u64,
    /// Messages rejected (all kinds).
    pub rejected: u64,
}

/// The outcome of one cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleOutcome {
    /// The mode this cycle ran in.
    pub mode: Mode,
    /// Whether [`PolicyCore::targets`] should be published.
    pub publish: bool,
}

/// The policy node's state and logic.
pub struct PolicyCore {
    cfg: NodeConfig,
    policy: DeployPolicy,
    safety: SafetyLayer,
    /// What the policy observes and commands (from the checkpoint's manifest).
    contract: DeployContract,
    /// Names of the last accepted joint state, and where each goes in joint order.
    map_names: Vec<String>,
    map_idx: Vec<usize>,
    seen: Vec<bool>,
    q: Vec<f64>,
    qd: Vec<f64>,
    joint_time: Option<f64>,
    gravity_b: [f64; 3],
    ang_vel_b: [f64; 3],
    orient_time: Option<f64>,
    lin_vel_b: [f64; 3],
    lin_time: Option<f64>,
    /// Base position and orientation `(x, y, z, w)` in the odometry's world frame.
    pos_w: [f64; 3],
    rot_w: [f64; 4],
    pose_time: Option<f64>,
    /// The last height cloud, when the policy observes terrain heights.
    cloud: HeightCloud,
    cloud_time: Option<f64>,
    /// Ground height below each scan point this cycle. `[scan points]`
    ground_z: Vec<f32>,
    cmd: [f64; 3],
    cmd_time: Option<f64>,
    q32: Vec<f32>,
    qd32: Vec<f32>,
    last_action: Vec<f32>,
    /// The trot generator the checkpoint trained with, and when the policy started running
    /// (its phase counts from there).
    gait: Option<robots::TrotGenerator>,
    gait_start: Option<f64>,
    gait_offsets: Vec<f32>,
    obs: Vec<f32>,
    action: Vec<f32>,
    policy_targets: Vec<f64>,
    targets: Vec<f64>,
    counters: Counters,
    last_reject: String,
    events: Vec<String>,
    stale_reason: String,
}

/// Gravity direction in the body frame from the base orientation `(x, y, z, w)` (world <- body),
/// and the quaternion's norm.
pub fn gravity_from_quaternion(q: [f64; 4]) -> Result<[f64; 3], Rejected> {
    let norm = q.iter().map(|v| v * v).sum::<f64>().sqrt();
    if !norm.is_finite() {
        return Err(Rejected::NonFinite("orientation".into()));
    }
    if !(0.9..=1.1).contains(&norm) {
        return Err(Rejected::BadQuaternion(norm));
    }
    let [x, y, z, w] = q.map(|v| v / norm);
    // R^T (0, 0, -1) = -(third row of R).
    Ok([
        -2.0 * (x * z - w * y),
        -2.0 * (y * z + w * x),
        -(1.0 - 2.0 * (x * x + y * y)),
    ])
}

fn finite3(v: [f64; 3], what: &str) -> Result<[f64; 3], Rejected> {
    if v.iter().all(|x| x.is_finite()) {
        Ok(v)
    } else {
        Err(Rejected::NonFinite(what.into()))
    }
}

/// Checks that `contract` fits the node: the action drives the configured joints in order with
/// the configured defaults and action scale, and every observation slice has a source here.
fn check_contract(contract: &DeployContract, cfg: &NodeConfig, dir: &str) -> Result<(), RosError> {
    let mismatch = |m: String| Err(RosError::Mismatch(format!("checkpoint {dir}: {m}")));
    let names = &cfg.joints.names;
    let a = &contract.action;
    if a.joints != *names {
        let k = (0..names.len().max(a.len()))
            .find(|&k| a.joints.get(k) != names.get(k))
            .unwrap_or(0);
        return mismatch(format!(
            "action joint {k} is '{}', the config's joints.names[{k}] is '{}'",
            a.joints.get(k).map_or("(none)", String::as_str),
            names.get(k).map_or("(none)", String::as_str)
        ));
    }
    for (k, name) in names.iter().enumerate() {
        let (d_ckpt, d_cfg) = (a.default[k] as f64, cfg.joints.default_position[k]);
        if (d_ckpt - d_cfg).abs() > 1e-5 {
            return mismatch(format!(
                "joint '{name}': default position {d_ckpt} in the checkpoint, {d_cfg} in the config"
            ));
        }
        if (a.scale[k] as f64 - cfg.action_scale).abs() > 1e-6 {
            return mismatch(format!(
                "joint '{name}': action scale {} in the checkpoint, action_scale {} in the config",
                a.scale[k], cfg.action_scale
            ));
        }
    }
    for slice in contract.observation.slices() {
        match &slice.term {
            ObsTerm::JointPos { joints, .. } | ObsTerm::JointVel { joints, .. }
                if joints != names =>
            {
                return mismatch(format!(
                    "observation slice '{}' lists joints {joints:?}, the config {names:?}",
                    slice.term.name()
                ));
            }
            ObsTerm::Raw { label } => {
                return mismatch(format!(
                    "observation slice 'raw' ({label}) has no source on a robot"
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Heading (yaw, rad) of an orientation `(x, y, z, w)` (world <- body): the angle of the body's
/// x axis in the world's x-y plane.
fn yaw_of(q: [f64; 4]) -> f64 {
    let [x, y, z, w] = q;
    (2.0 * (x * y + w * z)).atan2(1.0 - 2.0 * (y * y + z * z))
}

impl PolicyCore {
    /// A core for `cfg` running `policy`. The policy's sizes must fit the joints.
    pub fn new(cfg: NodeConfig, policy: DeployPolicy) -> Result<Self, RosError> {
        let n = cfg.num_joints();
        let dir = policy.info().dir.display().to_string();
        let contract = policy.info().contract.clone().ok_or_else(|| {
            RosError::Mismatch(format!(
                "checkpoint {dir} has no deploy contract (manifest.json): write one with \
                 `embody checkpoint upgrade {dir}`"
            ))
        })?;
        check_contract(&contract, &cfg, &dir)?;
        if policy.act_dim() != n || policy.obs_dim() != contract.observation.dim() {
            return Err(RosError::Mismatch(format!(
                "checkpoint {dir} has obs {} / act {}, but its contract says obs {} / act {n}",
                policy.obs_dim(),
                policy.act_dim(),
                contract.observation.dim(),
            )));
        }
        let gait = contract.action.generator().or_else(|| {
            contract
                .observation
                .slices()
                .iter()
                .find_map(|s| match &s.term {
                    ObsTerm::GaitPhase { gait } => {
                        robots::TrotGenerator::new(gait, &contract.action.joints).ok()
                    }
                    _ => None,
                })
        });
        let scan_points = contract.observation.height_scan().map_or(0, |s| s.len);
        let obs_dim = contract.observation.dim();
        let dt = 1.0 / cfg.rates.policy_hz;
        Ok(Self {
            safety: SafetyLayer::new(&cfg.joints, cfg.safety, dt),
            map_names: Vec::new(),
            map_idx: Vec::new(),
            seen: vec![false; n],
            q: vec![0.0; n],
            qd: vec![0.0; n],
            joint_time: None,
            gravity_b: [0.0, 0.0, -1.0],
            ang_vel_b: [0.0; 3],
            orient_time: None,
            lin_vel_b: [0.0; 3],
            lin_time: None,
            pos_w: [0.0; 3],
            rot_w: [0.0, 0.0, 0.0, 1.0],
            pose_time: None,
            cloud: HeightCloud::default(),
            cloud_time: None,
            ground_z: vec![0.0; scan_points],
            cmd: [0.0; 3],
            cmd_time: None,
            q32: vec![0.0; n],
            qd32: vec![0.0; n],
            last_action: vec![0.0; n],
            obs: vec![0.0; obs_dim],
            gait,
            gait_start: None,
            gait_offsets: vec![0.0; n],
            action: vec![0.0; n],
            policy_targets: vec![0.0; n],
            targets: vec![0.0; n],
            counters: Counters::default(),
            last_reject: String::new(),
            events: Vec::new(),
            stale_reason: String::new(),
            policy,
            contract,
            cfg,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &NodeConfig {
        &self.cfg
    }

    /// The loaded policy.
    pub fn policy(&self) -> &DeployPolicy {
        &self.policy
    }

    /// The targets of the last cycle (joint order).
    pub fn targets(&self) -> &[f64] {
        &self.targets
    }

    /// The current mode.
    pub fn mode(&self) -> Mode {
        self.safety.mode()
    }

    /// Counters.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Log lines (mode changes, rejections) since the last call.
    pub fn take_events(&mut self) -> Vec<String> {
        let mut e = std::mem::take(&mut self.events);
        e.extend(self.safety.take_events());
        e
    }

    /// The last observation fed to the policy (for tests and debugging). `[obs]`
    pub fn last_observation(&self) -> &[f32] {
        &self.obs
    }

    fn reject(&mut self, r: Rejected) -> Rejected {
        self.counters.rejected += 1;
        let line = format!("rejected message: {r}");
        if line != self.last_reject {
            self.events.push(line.clone());
            self.last_reject = line;
        }
        r
    }

    /// A `sensor_msgs/JointState`: names in any order; position and velocity per name.
    /// Rejected (state not refreshed) on a wrong count, unknown or duplicate names, mismatched
    /// lengths or non-finite values.
    pub fn on_joint_state(
        &mut self,
        now: f64,
        names: &[String],
        position: &[f64],
        velocity: &[f64],
    ) -> Result<(), Rejected> {
        let n = self.cfg.num_joints();
        if names.len() != n {
            return Err(self.reject(Rejected::JointCount {
                got: names.len(),
                expected: n,
            }));
        }
        for (field, len) in [("position", position.len()), ("velocity", velocity.len())] {
            if len != names.len() {
                return Err(self.reject(Rejected::FieldLength {
                    field,
                    got: len,
                    names: names.len(),
                }));
            }
        }
        if self.map_names.as_slice() != names {
            self.seen.fill(false);
            let mut idx = Vec::with_capacity(n);
            for name in names {
                let Some(k) = self.cfg.joints.names.iter().position(|c| c == name) else {
                    return Err(self.reject(Rejected::UnknownJoint(name.clone())));
                };
                if std::mem::replace(&mut self.seen[k], true) {
                    return Err(self.reject(Rejected::DuplicateJoint(name.clone())));
                }
                idx.push(k);
            }
            self.map_names = names.to_vec();
            self.map_idx = idx;
        }
        if let Some(i) = position.iter().chain(velocity).position(|v| !v.is_finite()) {
            let field = if i < n { "position" } else { "velocity" };
            let joint = &names[i % n];
            return Err(self.reject(Rejected::NonFinite(format!(
                "joint state {field} of '{joint}'"
            ))));
        }
        for (m, &k) in self.map_idx.iter().enumerate() {
            self.q[k] = position[m];
            self.qd[k] = velocity[m];
        }
        self.joint_time = Some(now);
        Ok(())
    }

    /// A `sensor_msgs/Imu`: orientation `(x, y, z, w)` (world <- body) and angular velocity
    /// (body frame). Used when `base_source: imu`.
    pub fn on_imu(
        &mut self,
        now: f64,
        orientation: [f64; 4],
        ang_vel_b: [f64; 3],
    ) -> Result<(), Rejected> {
        if self.cfg.base_source != BaseSource::Imu {
            return Ok(());
        }
        let g = gravity_from_quaternion(orientation).map_err(|r| self.reject(r))?;
        let w = finite3(ang_vel_b, "imu angular_velocity").map_err(|r| self.reject(r))?;
        self.gravity_b = g;
        self.ang_vel_b = w;
        self.orient_time = Some(now);
        Ok(())
    }

    /// A `nav_msgs/Odometry`: pose orientation `(x, y, z, w)` and twist in the child (body)
    /// frame. Always supplies the linear velocity; orientation and angular velocity too when
    /// `base_source: odometry`.
    pub fn on_odometry(
        &mut self,
        now: f64,
        orientation: [f64; 4],
        lin_vel_b: [f64; 3],
        ang_vel_b: [f64; 3],
    ) -> Result<(), Rejected> {
        let v = finite3(lin_vel_b, "odometry twist.linear").map_err(|r| self.reject(r))?;
        if self.cfg.base_source == BaseSource::Odometry {
            let g = gravity_from_quaternion(orientation).map_err(|r| self.reject(r))?;
            let w = finite3(ang_vel_b, "odometry twist.angular").map_err(|r| self.reject(r))?;
            self.gravity_b = g;
            self.ang_vel_b = w;
            self.orient_time = Some(now);
        }
        self.lin_vel_b = v;
        self.lin_time = Some(now);
        Ok(())
    }

    /// The pose of a `nav_msgs/Odometry`: base position and orientation `(x, y, z, w)` in the
    /// odometry's world frame (the frame of the height cloud). Only a policy that observes
    /// terrain heights needs it.
    pub fn on_pose(
        &mut self,
        now: f64,
        position_w: [f64; 3],
        orientation: [f64; 4],
    ) -> Result<(), Rejected> {
        let p = finite3(position_w, "odometry pose.position").map_err(|r| self.reject(r))?;
        gravity_from_quaternion(orientation).map_err(|r| self.reject(r))?;
        self.pos_w = p;
        self.rot_w = orientation;
        self.pose_time = Some(now);
        Ok(())
    }

    /// Whether the policy observes terrain heights (and so needs [`Self::on_height_cloud`]).
    pub fn needs_height_cloud(&self) -> bool {
        self.contract.observation.height_scan().is_some()
    }

    /// A `sensor_msgs/PointCloud2` of the terrain in the world frame (`height_cloud.frame`).
    pub fn on_height_cloud(&mut self, now: f64, msg: &CloudMsg<'_>) -> Result<(), Rejected> {
        let cloud = HeightCloud::read(msg, &self.cfg.height_cloud.frame)
            .map_err(|e| self.reject(Rejected::Cloud(e)))?;
        self.cloud = cloud;
        self.cloud_time = Some(now);
        Ok(())
    }

    /// A `geometry_msgs/Twist`: `[vx, vy, yaw rate]`, clamped to `safety.cmd_vel_limit`.
    pub fn on_cmd_vel(&mut self, now: f64, cmd: [f64; 3]) -> Result<(), Rejected> {
        let c = finite3(cmd, "cmd_vel").map_err(|r| self.reject(r))?;
        let lim = self.cfg.safety.cmd_vel_limit;
        self.cmd = std::array::from_fn(|i| c[i].clamp(-lim[i], lim[i]));
        self.cmd_time = Some(now);
        Ok(())
    }

    /// A `std_msgs/Bool` on the e-stop topic.
    pub fn on_estop(&mut self, pressed: bool) {
        self.safety.set_estop(pressed);
    }

    fn staleness(&mut self, now: f64) -> bool {
        let limit = self.cfg.safety.state_timeout_ms / 1000.0;
        let age = |t: Option<f64>| t.map(|t| now - t);
        let what = match (age(self.joint_time), age(self.orient_time)) {
            (None, _) => Some("no joint state received".to_string()),
            (_, None) => Some("no base state (imu/odometry) received".to_string()),
            (Some(a), _) if a > limit => Some(format!(
                "joint state stale: none accepted for {:.0} ms",
                a * 1000.0
            )),
            (_, Some(a)) if a > limit => Some(format!(
                "base state stale: none accepted for {:.0} ms",
                a * 1000.0
            )),
            _ => self.terrain_staleness(now),
        };
        match what {
            Some(mut w) => {
                if !self.last_reject.is_empty() && self.joint_time.is_some() {
                    w.push_str(&format!(" (last {})", self.last_reject));
                }
                self.stale_reason = w;
                true
            }
            None => false,
        }
    }

    /// Why the terrain inputs of a height-scan policy are missing or old, if they are.
    fn terrain_staleness(&self, now: f64) -> Option<String> {
        if !self.needs_height_cloud() {
            return None;
        }
        let pose_limit = self.cfg.safety.state_timeout_ms / 1000.0;
        let cloud_limit = self.cfg.height_cloud.timeout_ms / 1000.0;
        match (self.pose_time, self.cloud_time) {
            (None, _) => Some("no odometry pose received (the height scan needs it)".into()),
            (_, None) => Some("no height cloud received".into()),
            (Some(t), _) if now - t > pose_limit => Some(format!(
                "odometry pose stale: none accepted for {:.0} ms",
                (now - t) * 1000.0
            )),
            (_, Some(t)) if now - t > cloud_limit => Some(format!(
                "height cloud stale: none accepted for {:.0} ms",
                (now - t) * 1000.0
            )),
            _ => None,
        }
    }

    /// One control cycle at time `now`: decides the mode, runs the policy in `running` mode,
    /// and leaves the targets in [`PolicyCore::targets`].
    pub fn cycle(&mut self, now: f64) -> CycleOutcome {
        self.counters.cycles += 1;
        let stale = self.staleness(now);
        let tilt = tilt_deg(self.gravity_b);
        let mode = {
            let m = Measured {
                q: &self.q,
                qd: &self.qd,
                tilt_deg: tilt,
            };
            if stale {
                self.safety.decide(Err(&self.stale_reason))
            } else {
                self.safety.decide(Ok(&m))
            }
        };
        if mode != Mode::Running {
            self.last_action.fill(0.0);
            self.gait_start = None;
        }
        let mut have_policy = false;
        if mode == Mode::Running {
            have_policy = self.infer(now);
        }
        let m = Measured {
            q: &self.q,
            qd: &self.qd,
            tilt_deg: tilt,
        };
        let publish = self.safety.command(
            (!stale).then_some(&m),
            have_policy.then_some(self.policy_targets.as_slice()),
            &mut self.targets,
        );
        CycleOutcome {
            mode: self.safety.mode(),
            publish,
        }
    }

    /// Builds the observation and runs the policy; false when the observation or the action is
    /// not finite (the safety layer then holds).
    fn infer(&mut self, now: f64) -> bool {
        let cmd_limit = self.cfg.safety.cmd_vel_timeout_ms / 1000.0;
        let cmd = match self.cmd_time {
            Some(t) if now - t <= cmd_limit => self.cmd,
            _ => [0.0; 3],
        };
        let lin_limit = self.cfg.safety.state_timeout_ms / 1000.0;
        let lin = match self.lin_time {
            Some(t) if now - t <= lin_limit => self.lin_vel_b,
            _ => [0.0; 3],
        };
        for k in 0..self.q.len() {
            self.q32[k] = self.q[k] as f32;
            self.qd32[k] = self.qd[k] as f32;
        }
        let phase = self.gait.as_ref().map(|g| {
            let start = *self.gait_start.get_or_insert(now);
            let phase = g.phase(now - start);
            g.offsets(phase, &mut self.gait_offsets);
            g.observation(phase)
        });
        let scan = match self.contract.observation.height_scan().map(|s| &s.term) {
            Some(ObsTerm::HeightScan { x, y, .. }) => {
                let yaw = yaw_of(self.rot_w) as f32;
                let base = [self.pos_w[0] as f32, self.pos_w[1] as f32];
                let gap = self.cfg.height_cloud.max_gap_m as f32;
                for (g, [px, py]) in self
                    .ground_z
                    .iter_mut()
                    .zip(height_scan_points(x, y, base, yaw))
                {
                    match self.cloud.ground_below(px, py, gap) {
                        Some(z) => *g = z,
                        None => {
                            let line = format!(
                                "height cloud has no point within {gap} m of scan point \
                                 ({px:.2}, {py:.2})"
                            );
                            if line != self.last_reject {
                                self.events.push(line.clone());
                                self.last_reject = line;
                            }
                            return false;
                        }
                    }
                }
                Some(self.ground_z.as_slice())
            }
            _ => None,
        };
        let f = |v: [f64; 3]| v.map(|x| x as f32);
        let src = ObsSources {
            lin_vel_b: f(lin),
            ang_vel_b: f(self.ang_vel_b),
            gravity_b: f(self.gravity_b),
            command: f(cmd),
            joint_pos: &self.q32,
            joint_vel: &self.qd32,
            last_action: &self.last_action,
            gait_phase: phase,
            base_z: self.pos_w[2] as f32,
            ground_z: scan,
            raw: &[],
        };
        if self
            .contract
            .observation
            .write(&src, &mut self.obs)
            .is_err()
            || self.obs.iter().any(|v| !v.is_finite())
        {
            return false;
        }
        if self.policy.act(&self.obs, &mut self.action).is_err()
            || self.action.iter().any(|v| !v.is_finite())
        {
            return false;
        }
        self.counters.inferences += 1;
        let offsets = phase.map(|_| self.gait_offsets.as_slice());
        self.contract
            .action
            .targets(&self.action, offsets, &mut self.policy_targets);
        self.last_action.copy_from_slice(&self.action);
        true
    }

    /// The status as one JSON line: mode, reason, e-stop, the last velocity command, counters.
    pub fn status_json(&self) -> String {
        #[derive(Serialize)]
        struct Status<'a> {
            mode: &'a str,
            reason: &'a str,
            e_stop: bool,
            cmd: [f64; 3],
            #[serde(flatten)]
            counters: Counters,
        }
        serde_json::to_string(&Status {
            mode: self.safety.mode().as_str(),
            reason: self.safety.reason(),
            e_stop: self.safety.estop(),
            cmd: self.cmd,
            counters: self.counters,
        })
        .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::config_dir;
    use crate::test_checkpoint::write_test_checkpoint;

    /// The test checkpoint, written once per process (tests run in parallel: two writers of one
    /// folder raced on the temporary files of the atomic write).
    fn checkpoint_dir() -> &'static std::path::Path {
        static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
        DIR.get_or_init(|| {
            let dir = std::env::temp_dir().join(format!("embody_ros_core_{}", std::process::id()));
            write_test_checkpoint(&dir, true)
        })
    }

    fn core(overrides: &[&str]) -> PolicyCore {
        let dir = checkpoint_dir();
        let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
        let cfg = NodeConfig::load(&config_dir().join("quadruped.yaml"), &o).expect("config");
        PolicyCore::new(cfg, DeployPolicy::load(dir).expect("checkpoint")).expect("core")
    }

    fn names(c: &PolicyCore) -> Vec<String> {
        c.config().joints.names.clone()
    }

    #[test]
    fn malformed_joint_states_are_rejected_with_a_reason() {
        let mut c = core(&[]);
        let good = names(&c);
        let z = vec![0.0; 12];
        let e = c
            .on_joint_state(0.0, &good[..11], &z[..11], &z[..11])
            .expect_err("count");
        assert_eq!(
            e,
            Rejected::JointCount {
                got: 11,
                expected: 12
            }
        );
        let mut bad = good.clone();
        bad[3] = "bogus".into();
        let e = c.on_joint_state(0.0, &bad, &z, &z).expect_err("unknown");
        assert_eq!(e, Rejected::UnknownJoint("bogus".into()));
        let mut dup = good.clone();
        dup[3] = dup[4].clone();
        assert!(matches!(
            c.on_joint_state(0.0, &dup, &z, &z),
            Err(Rejected::DuplicateJoint(_))
        ));
        let mut nan = z.clone();
        nan[5] = f64::NAN;
        let e = c.on_joint_state(0.0, &good, &z, &nan).expect_err("nan");
        assert!(
            e.to_string().contains("velocity") && e.to_string().contains(&good[5]),
            "{e}"
        );
        assert!(c.on_joint_state(0.0, &good, &z, &z[..3]).is_err());
        assert!(c.on_odometry(0.0, [0.0; 4], [0.0; 3], [0.0; 3]).is_err());
        assert!(
            c.on_odometry(
                0.0,
                [0.0, 0.0, 0.0, 1.0],
                [f64::INFINITY, 0.0, 0.0],
                [0.0; 3]
            )
            .is_err()
        );
        assert!(c.on_cmd_vel(0.0, [f64::NAN, 0.0, 0.0]).is_err());
        assert_eq!(c.counters().rejected, 8);
        let events = c.take_events();
        assert!(
            events.iter().any(|e| e.contains("unknown joint 'bogus'")),
            "{events:?}"
        );
        // Nothing valid arrived: nothing is published.
        assert!(!c.cycle(0.01).publish);
        assert_eq!(c.mode(), Mode::Waiting);
    }

    #[test]
    fn stale_state_holds_and_commands_time_out_to_zero() {
        let mut c = core(&["safety.soft_start_s=0"]);
        let n = names(&c);
        let d = c.config().joints.default_position.clone();
        let z = vec![0.0; 12];
        let feed = |c: &mut PolicyCore, t: f64| {
            c.on_joint_state(t, &n, &d, &z).expect("js");
            c.on_odometry(t, [0.0, 0.0, 0.0, 1.0], [0.0; 3], [0.0; 3])
                .expect("odom");
        };
        c.on_cmd_vel(0.0, [5.0, 0.0, 0.0]).expect("cmd");
        feed(&mut c, 0.0);
        assert!(c.cycle(0.01).publish);
        assert_eq!(c.mode(), Mode::Running);
        assert_eq!(
            c.last_observation()[9],
            2.0,
            "vx clamped to 1 m/s, scaled by 2"
        );
        let held = c.targets().to_vec();
        let out = c.cycle(0.2);
        assert!(out.publish);
        assert_eq!(out.mode, Mode::Hold);
        assert_eq!(c.targets(), held.as_slice());
        assert!(
            c.status_json().contains("joint state stale"),
            "{}",
            c.status_json()
        );
        feed(&mut c, 0.7);
        c.cycle(0.71);
        assert_eq!(c.mode(), Mode::Running);
        assert_eq!(
            c.last_observation()[9],
            0.0,
            "command older than 500 ms counts as zero"
        );
    }

    #[test]
    fn imu_mode_takes_orientation_from_imu_and_velocity_from_odometry() {
        let mut c = core(&["safety.soft_start_s=0", "base_source=imu"]);
        let n = names(&c);
        let d = c.config().joints.default_position.clone();
        c.on_joint_state(0.0, &n, &d, &[0.0; 12]).expect("js");
        // Odometry alone is not a base state in imu mode: still waiting.
        c.on_odometry(0.0, [0.0, 0.0, 0.0, 1.0], [0.3, 0.0, 0.0], [9.0; 3])
            .expect("odom");
        assert!(!c.cycle(0.01).publish);
        // A 30 deg roll about x, (x, y, z, w): gravity gets a -y component in the body frame.
        let h = (std::f64::consts::PI / 12.0).sin();
        let w = (std::f64::consts::PI / 12.0).cos();
        c.on_imu(0.0, [h, 0.0, 0.0, w], [0.1, 0.2, 0.4])
            .expect("imu");
        assert!(c.cycle(0.02).publish);
        assert_eq!(c.mode(), Mode::Running);
        let obs = c.last_observation();
        assert!(
            (obs[0] - 0.6).abs() < 1e-6,
            "lin vel from odometry, scaled: {}",
            obs[0]
        );
        assert!(
            (obs[5] - 0.1).abs() < 1e-6,
            "yaw rate from the imu, scaled: {}",
            obs[5]
        );
        let g = gravity_from_quaternion([h, 0.0, 0.0, w]).expect("q");
        assert!((g[1] + 0.5).abs() < 1e-9, "{g:?}");
        assert!((obs[7] as f64 - g[1]).abs() < 1e-6);
    }

    /// A policy that observes terrain heights holds until the odometry pose and a height cloud
    /// arrive, then reads each scan point's height from the cloud point below it.
    #[test]
    fn a_height_scan_policy_holds_until_a_cloud_arrives_then_reads_it() {
        use crate::height_cloud::{encode_xyz, xyz_fields};
        use crate::test_checkpoint::write_test_checkpoint_with;
        let dir = std::env::temp_dir().join(format!("embody_ros_scan_{}", std::process::id()));
        write_test_checkpoint_with(&dir, false, true);
        let cfg = NodeConfig::load(
            &config_dir().join("quadruped.yaml"),
            &["safety.soft_start_s=0".into()],
        )
        .expect("config");
        let mut c = PolicyCore::new(cfg, DeployPolicy::load(&dir).expect("ckpt")).expect("core");
        assert!(c.needs_height_cloud());
        let n = names(&c);
        let q = c.config().joints.default_position.clone();
        c.on_joint_state(0.0, &n, &q, &[0.0; 12]).expect("joints");
        c.on_odometry(0.0, [0.0, 0.0, 0.0, 1.0], [0.0; 3], [0.0; 3])
            .expect("odom");
        assert!(!c.cycle(0.01).publish);
        assert!(
            c.status_json().contains("no odometry pose"),
            "{}",
            c.status_json()
        );
        // Base at (1, 2, 0.5) facing +y; ground: a 0.1 m step up for world x > 1.05.
        let h = std::f64::consts::FRAC_1_SQRT_2;
        c.on_pose(0.02, [1.0, 2.0, 0.5], [0.0, 0.0, h, h])
            .expect("pose");
        c.on_odometry(0.02, [0.0, 0.0, h, h], [0.0; 3], [0.0; 3])
            .expect("odom");
        c.on_joint_state(0.02, &n, &q, &[0.0; 12]).expect("joints");
        assert!(!c.cycle(0.03).publish);
        assert!(
            c.status_json().contains("no height cloud"),
            "{}",
            c.status_json()
        );
        let mut points = Vec::new();
        for i in -20..=20 {
            for j in -20..=20 {
                let (x, y) = (1.0 + i as f32 * 0.05, 2.0 + j as f32 * 0.05);
                points.push([x, y, if x > 1.05 { 0.1 } else { 0.0 }]);
            }
        }
        let mut data = Vec::new();
        encode_xyz(&points, &mut data);
        let fields = xyz_fields();
        let msg = CloudMsg::xyz("odom", &fields, &data);
        c.on_height_cloud(0.04, &msg).expect("cloud");
        let bad = CloudMsg {
            frame: "base",
            ..msg
        };
        assert!(matches!(
            c.on_height_cloud(0.04, &bad),
            Err(Rejected::Cloud(_))
        ));
        c.on_joint_state(0.04, &n, &q, &[0.0; 12]).expect("joints");
        assert!(c.cycle(0.05).publish, "{}", c.status_json());
        assert_eq!(c.mode(), Mode::Running);
        let scan = &c.last_observation()[48..];
        // Facing +y, the scan's y columns (to the left) point to world -x: columns with
        // y_offset < -0.05 lie at world x > 1.05, on the step.
        for (k, v) in scan.iter().enumerate() {
            let y_off = ((k % 5) as f32 - 2.0) * 0.1;
            let ground = if y_off < -0.05 { 0.1 } else { 0.0 };
            let expect = (0.5f32 - 0.3 - ground).clamp(-1.0, 1.0) * 5.0;
            assert!(
                (v - expect).abs() < 1e-5,
                "scan[{k}] = {v}, expected {expect}"
            );
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
