//! The policy node's core, without ROS: validates incoming state, builds the observation with
//! the shared builder ([`robots::build_proprio_observation`], the one the simulator uses), runs
//! the deploy runtime and the safety layer, and leaves joint targets to publish.
//!
//! Times are seconds on any monotonic clock, passed in by the caller.

use crate::config::{BaseSource, NodeConfig};
use crate::error::RosError;
use crate::safety::{Measured, Mode, SafetyLayer, tilt_deg};
use policies::deploy::DeployPolicy;
use robots::{ObservationScales, ProprioState, build_proprio_observation, proprio_obs_dim};
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
    scales: ObservationScales,
    default32: Vec<f32>,
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

impl PolicyCore {
    /// A core for `cfg` running `policy`. The policy's sizes must fit the joints.
    pub fn new(cfg: NodeConfig, policy: DeployPolicy) -> Result<Self, RosError> {
        let n = cfg.num_joints();
        if policy.info().height_scan {
            return Err(RosError::Mismatch(format!(
                "checkpoint {} observes terrain heights (env.height_scan), and the policy node \
                 has no height-map input: deploy a blind policy (e.g. assets/policies/locomotion_flat)",
                policy.info().dir.display()
            )));
        }
        let gait = match &policy.info().gait {
            Some(g) => Some(robots::TrotGenerator::new(g, &cfg.joints.names).map_err(
                |(key, message)| {
                    RosError::Mismatch(format!(
                        "checkpoint {}: env.{key}: {message}",
                        policy.info().dir.display()
                    ))
                },
            )?),
            None => None,
        };
        let obs_dim = proprio_obs_dim(n) + gait.as_ref().map_or(0, |_| robots::GAIT_OBS_DIM);
        if policy.act_dim() != n || policy.obs_dim() != obs_dim {
            return Err(RosError::Mismatch(format!(
                "checkpoint {} has obs {} / act {}, but {n} joints need obs {obs_dim} / act {n}",
                policy.info().dir.display(),
                policy.obs_dim(),
                policy.act_dim(),
            )));
        }
        let dt = 1.0 / cfg.rates.policy_hz;
        Ok(Self {
            safety: SafetyLayer::new(&cfg.joints, cfg.safety, dt),
            scales: ObservationScales::default(),
            default32: cfg
                .joints
                .default_position
                .iter()
                .map(|&v| v as f32)
                .collect(),
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
            _ => None,
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
        let f = |v: [f64; 3]| v.map(|x| x as f32);
        let state = ProprioState {
            lin_vel_b: f(lin),
            ang_vel_b: f(self.ang_vel_b),
            gravity_b: f(self.gravity_b),
            command: f(cmd),
            joint_pos: &self.q32,
            joint_vel: &self.qd32,
            last_action: &self.last_action,
        };
        let proprio = proprio_obs_dim(self.q.len());
        let phase = self.gait.as_ref().map(|g| {
            let start = *self.gait_start.get_or_insert(now);
            let phase = g.phase(now - start);
            self.obs[proprio..proprio + robots::GAIT_OBS_DIM]
                .copy_from_slice(&g.observation(phase));
            g.offsets(phase, &mut self.gait_offsets);
            phase
        });
        if !build_proprio_observation(
            &state,
            &self.default32,
            &self.scales,
            &mut self.obs[..proprio],
        ) || self.obs.iter().any(|v| !v.is_finite())
        {
            return false;
        }
        if self.policy.act(&self.obs, &mut self.action).is_err()
            || self.action.iter().any(|v| !v.is_finite())
        {
            return false;
        }
        self.counters.inferences += 1;
        let scale = self.cfg.action_scale;
        for k in 0..self.action.len() {
            let gait = if phase.is_some() {
                self.gait_offsets[k] as f64
            } else {
                0.0
            };
            self.policy_targets[k] =
                self.cfg.joints.default_position[k] + scale * self.action[k] as f64 + gait;
        }
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

    /// The observation the node builds from ROS messages equals the one the simulator builds
    /// from its own state (same builder, same frames), for a robot in motion.
    #[test]
    fn node_observation_equals_the_simulator_observation() {
        let mut c = core(&["safety.soft_start_s=0"]);
        let spec = robots::load_builtin_or_path("quadruped").expect("robot");
        let mut sim = crate::sim_robot::SimRobot::new(spec, 50.0).expect("sim");
        let t: Vec<f64> = c
            .config()
            .joints
            .default_position
            .iter()
            .enumerate()
            .map(|(k, d)| d + 0.2 * ((k as f64) * 0.7).sin())
            .collect();
        sim.set_targets(&t).expect("targets");
        for _ in 0..5 {
            sim.step();
        }
        let mut r = crate::sim_robot::SimReadout::default();
        sim.readout(&mut r);
        // Joint state in reverse order: matched by name.
        let n = r.q.len();
        let rev = |v: &[f64]| v.iter().rev().copied().collect::<Vec<f64>>();
        let rnames: Vec<String> = names(&c).into_iter().rev().collect();
        c.on_joint_state(0.0, &rnames, &rev(&r.q), &rev(&r.qd))
            .expect("joints");
        c.on_odometry(0.0, r.rot_w, r.lin_vel_b, r.ang_vel_b)
            .expect("odom");
        c.on_cmd_vel(0.0, [0.5, -0.2, 0.3]).expect("cmd");
        assert!(c.cycle(0.001).publish);
        assert_eq!(c.mode(), Mode::Running);
        let q: Vec<f32> = r.q.iter().map(|&v| v as f32).collect();
        let qd: Vec<f32> = r.qd.iter().map(|&v| v as f32).collect();
        let mut expect = vec![0.0f32; proprio_obs_dim(n)];
        assert!(sim.world().observe_proprio(
            &q,
            &qd,
            [0.5, -0.2, 0.3],
            &vec![0.0; n],
            &ObservationScales::default(),
            &mut expect
        ));
        for (k, (a, b)) in c.last_observation().iter().zip(&expect).enumerate() {
            assert!((a - b).abs() < 1e-5, "obs[{k}]: node {a} vs sim {b}");
        }
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

    /// A checkpoint trained with terrain heights in its observation is refused by name: the
    /// node has no height-map input.
    #[test]
    fn a_height_scan_policy_is_refused_with_the_reason() {
        let dir = std::env::temp_dir().join(format!("embody_ros_scan_{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        for entry in std::fs::read_dir(checkpoint_dir()).expect("checkpoint") {
            let path = entry.expect("entry").path();
            if path.is_file() {
                std::fs::copy(&path, dir.join(path.file_name().expect("name"))).expect("copy");
            }
        }
        let config = dir.join("config.toml");
        let text = std::fs::read_to_string(&config).expect("config");
        std::fs::write(&config, format!("{text}\n[env.height_scan]\n")).expect("write");
        let cfg = NodeConfig::load(&config_dir().join("quadruped.yaml"), &[]).expect("config");
        let policy = DeployPolicy::load(&dir).expect("checkpoint");
        let err = PolicyCore::new(cfg, policy).err().expect("refused");
        assert!(err.to_string().contains("env.height_scan"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
