//! Integration tests against real ROS 2 (the Jazzy wheels of ros2_ws/setup.sh): the r2r nodes run
//! as their own processes, rclpy peers (tests/peers/peer.py) from the same venv play the robot
//! side or observe. Each test uses its own ROS_DOMAIN_ID with localhost-only discovery, waits on
//! discovery and status conditions (no fixed sleeps), and removes the Fast DDS shared-memory
//! files its processes created.
//!
//! Run: `source ros2_ws/env.sh && cargo test -p embody_ros --features ros`.

#[path = "../src/test_checkpoint.rs"]
mod test_checkpoint;

use embody_ros::config::{NodeConfig, config_dir};
use serde_json::Value;
use std::collections::HashSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

/// ROS tests run one at a time (shared-memory clean-up compares /dev/shm before and after).
static SERIAL: Mutex<()> = Mutex::new(());

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> PathBuf {
    std::env::var_os("EMBODY_ROS_PYTHON_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest().join("../../.venv-ros/bin/python"))
}

fn shm_entries() -> HashSet<String> {
    std::fs::read_dir("/dev/shm")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains("fastrtps") || n.contains("fastdds"))
                .collect()
        })
        .unwrap_or_default()
}

fn checkpoint() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("embody_ros_it_ckpt_{}", std::process::id()));
        test_checkpoint::write_test_checkpoint(&dir, true)
    })
}

/// One test's ROS world: a domain id, a scratch folder, child processes (killed on drop) and the
/// shared-memory files present before it started.
struct RosWorld {
    domain: u32,
    dir: PathBuf,
    children: Vec<(String, Child)>,
    shm_before: HashSet<String>,
    _guard: MutexGuard<'static, ()>,
}

impl RosWorld {
    fn new(name: &str) -> Self {
        let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        static NEXT: Mutex<u32> = Mutex::new(0);
        let k = {
            let mut n = NEXT.lock().unwrap_or_else(|e| e.into_inner());
            *n += 1;
            *n
        };
        // Domains 1..=200, distinct per test of this run and likely distinct from other runs.
        let domain = 1 + (std::process::id() * 7 + k) % 200;
        let dir = std::env::temp_dir().join(format!("embody_ros_it_{}_{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        eprintln!("[{name}] ROS_DOMAIN_ID={domain}, logs in {}", dir.display());
        Self {
            domain,
            dir,
            children: Vec::new(),
            shm_before: shm_entries(),
            _guard: guard,
        }
    }

    fn command(&self, program: &Path) -> Command {
        let mut c = Command::new(program);
        c.env("ROS_DOMAIN_ID", self.domain.to_string())
            .env("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
            .env("RCUTILS_COLORIZED_OUTPUT", "0");
        c
    }

    /// Writes `cfg` as YAML (for the nodes) and JSON (for the peers); returns both paths.
    fn write_config(&self, cfg: &NodeConfig) -> (PathBuf, PathBuf) {
        let yaml = self.dir.join("node.yaml");
        let json = self.dir.join("node.json");
        std::fs::write(&yaml, yaml_serde::to_string(cfg).expect("yaml")).expect("write yaml");
        std::fs::write(&json, serde_json::to_string(cfg).expect("json")).expect("write json");
        (yaml, json)
    }

    fn log_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.log"))
    }

    fn spawn_node(&mut self, name: &str, bin: &str, args: &[&str]) {
        let log = std::fs::File::create(self.log_path(name)).expect("log file");
        let child = self
            .command(Path::new(bin))
            .args(args)
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start node");
        self.children.push((name.to_string(), child));
    }

    /// Starts a peer scenario; returns a channel of its JSON stdout lines.
    fn spawn_peer(&mut self, name: &str, json_cfg: &Path, args: &[&str]) -> Receiver<Value> {
        let mut child = self
            .command(&python())
            .arg(manifest().join("tests/peers/peer.py"))
            .args(args)
            .arg("--config")
            .arg(json_cfg)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(self.log_path(name)).expect("log"))
            .spawn()
            .expect("start rclpy peer");
        let out = child.stdout.take().expect("peer stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    let _ = tx.send(v);
                }
            }
        });
        self.children.push((name.to_string(), child));
        rx
    }

    fn kill(&mut self, name: &str) {
        if let Some((_, c)) = self.children.iter_mut().find(|(n, _)| n == name) {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Fails if a node exited (a panic or an error) while it should be running.
    fn assert_alive(&mut self, name: &str) {
        let log = self.log(name);
        let (_, c) = self
            .children
            .iter_mut()
            .find(|(n, _)| n == name)
            .expect("known child");
        let status = c.try_wait().expect("try_wait");
        assert!(status.is_none(), "{name} exited ({status:?}):\n{log}");
        assert!(!log.contains("panicked"), "{name} panicked:\n{log}");
    }

    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.log_path(name)).unwrap_or_default()
    }

    /// Waits for the report line of a peer, failing with the peer's error or the logs.
    fn report(&self, rx: &Receiver<Value>, timeout: Duration) -> Value {
        let end = std::time::Instant::now() + timeout;
        loop {
            let left = end.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(v) if v.get("report").is_some() => return v["report"].clone(),
                Ok(v) if v.get("error").is_some() => {
                    panic!("peer failed: {v}\n{}", self.all_logs())
                }
                Ok(_) => continue,
                Err(_) => panic!("no report within {timeout:?}\n{}", self.all_logs()),
            }
        }
    }

    fn wait_event(&self, rx: &Receiver<Value>, event: &str, timeout: Duration) {
        let end = std::time::Instant::now() + timeout;
        loop {
            let left = end.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(v) if v["event"] == event => return,
                Ok(v) if v.get("error").is_some() => {
                    panic!("peer failed: {v}\n{}", self.all_logs())
                }
                Ok(_) => continue,
                Err(_) => panic!("no '{event}' within {timeout:?}\n{}", self.all_logs()),
            }
        }
    }

    fn all_logs(&self) -> String {
        self.children
            .iter()
            .map(|(n, _)| format!("--- {n} ---\n{}", self.log(n)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for RosWorld {
    fn drop(&mut self) {
        for (_, c) in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        // Fast DDS leaves shared-memory segments and locks behind killed processes: remove the
        // ones that appeared during this test (all its processes are gone now).
        let mut removed = 0;
        for name in shm_entries().difference(&self.shm_before) {
            if std::fs::remove_file(Path::new("/dev/shm").join(name)).is_ok() {
                removed += 1;
            }
        }
        eprintln!("removed {removed} Fast DDS shared-memory files");
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn config(overrides: &[&str]) -> NodeConfig {
    let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    NodeConfig::load(&config_dir().join("quadruped.yaml"), &o).expect("config")
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn start_policy_node(w: &mut RosWorld, yaml: &Path, ckpt: &Path) {
    w.spawn_node(
        "policy_node",
        env!("CARGO_BIN_EXE_policy_node"),
        &[
            "--config",
            yaml.to_str().expect("utf8"),
            "--checkpoint",
            ckpt.to_str().expect("utf8"),
        ],
    );
}

/// The targets the node should answer for the peer's state, computed on an independent path:
/// the simulator's quaternion math, the shared observation builder, and burn's actor (through
/// the trainer's checkpoint loader), not the deploy runtime.
fn expected_targets(cfg: &NodeConfig, state: &Value, cmd: [f64; 3]) -> Vec<f64> {
    use burn::prelude::*;
    let q = f64s(&state["q"]);
    let qd = f64s(&state["qd"]);
    let o = f64s(&state["orientation"]);
    let rot = sim::Quat::from_xyzw(o[0] as f32, o[1] as f32, o[2] as f32, o[3] as f32).normalize();
    let g = rot.inverse() * sim::Vec3::new(0.0, 0.0, -1.0);
    let f3 = |v: Vec<f64>| [v[0] as f32, v[1] as f32, v[2] as f32];
    let q32: Vec<f32> = q.iter().map(|&v| v as f32).collect();
    let qd32: Vec<f32> = qd.iter().map(|&v| v as f32).collect();
    let n = q.len();
    let state = robots::ProprioState {
        lin_vel_b: f3(f64s(&state["lin"])),
        ang_vel_b: f3(f64s(&state["ang"])),
        gravity_b: g.to_array(),
        command: cmd.map(|c| c as f32),
        joint_pos: &q32,
        joint_vel: &qd32,
        last_action: &vec![0.0; n],
    };
    let default: Vec<f32> = cfg
        .joints
        .default_position
        .iter()
        .map(|&v| v as f32)
        .collect();
    let mut obs = vec![0.0f32; robots::proprio_obs_dim(n)];
    assert!(robots::build_proprio_observation(
        &state,
        &default,
        &robots::ObservationScales::default(),
        &mut obs
    ));
    let device = Device::flex();
    let ck = policies::checkpoint::load(checkpoint(), &device).expect("burn load");
    if let Some(norm) = &ck.state.obs_norm {
        norm.normalize(&mut obs, policies::deploy::OBS_NORM_CLIP);
    }
    let a = policies::tensor_util::to_vec(ck.model.action_mean(policies::tensor_util::matrix(
        &obs,
        1,
        obs.len(),
        &device,
    )));
    (0..n)
        .map(|k| cfg.joints.default_position[k] + cfg.action_scale * a[k] as f64)
        .collect()
}

#[test]
fn policy_node_answers_rclpy_state_with_targets_in_joint_order() {
    let mut w = RosWorld::new("roundtrip");
    let cfg = config(&["safety.soft_start_s=0"]);
    let (yaml, json) = w.write_config(&cfg);
    start_policy_node(&mut w, &yaml, checkpoint());
    let rx = w.spawn_peer("peer", &json, &["roundtrip", "--count", "5"]);
    let r = w.report(&rx, Duration::from_secs(60));
    w.assert_alive("policy_node");
    let commands = r["commands"].as_array().expect("commands");
    assert!(commands.len() >= 5, "{r}");
    for c in commands {
        assert_eq!(
            c[1].as_array().expect("data").len(),
            12,
            "one target per joint: {c}"
        );
    }
    // The peer sent its joint state in reverse name order; the first answer is the policy's
    // first action on that state, in the config's joint order.
    let cmd = f64s(&r["cmd"]);
    let expect = expected_targets(&cfg, &r["state"], [cmd[0], cmd[1], cmd[2]]);
    let got = f64s(&commands[0][1]);
    for k in 0..12 {
        assert!(
            (got[k] - expect[k]).abs() < 1e-4,
            "joint {} ({}): node {} vs expected {}\nall: {got:?}\nexpected: {expect:?}",
            k,
            cfg.joints.names[k],
            got[k],
            expect[k]
        );
    }
    assert!(
        w.log("policy_node").contains("checkpoint"),
        "{}",
        w.log("policy_node")
    );
}

#[test]
fn policy_node_publishes_joint_trajectory_when_selected() {
    let mut w = RosWorld::new("trajectory");
    let cfg = config(&["safety.soft_start_s=0", "output=joint_trajectory"]);
    let (yaml, json) = w.write_config(&cfg);
    start_policy_node(&mut w, &yaml, checkpoint());
    let rx = w.spawn_peer(
        "peer",
        &json,
        &["roundtrip", "--count", "3", "--output", "joint_trajectory"],
    );
    let r = w.report(&rx, Duration::from_secs(60));
    w.assert_alive("policy_node");
    let t = &r["trajectory"];
    let names: Vec<&str> = t["joint_names"]
        .as_array()
        .expect("names")
        .iter()
        .map(|v| v.as_str().expect("str"))
        .collect();
    assert_eq!(
        names,
        cfg.joints
            .names
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    assert_eq!(t["points"], 1);
    assert!(
        (t["time_from_start"].as_f64().expect("t") - 0.02).abs() < 1e-6,
        "{t}"
    );
    for c in r["commands"].as_array().expect("commands") {
        assert_eq!(c[1].as_array().expect("positions").len(), 12);
    }
}

#[test]
fn faults_lead_to_the_documented_safe_behaviour() {
    let mut w = RosWorld::new("faults");
    let cfg = config(&["safety.soft_start_s=0"]);
    let (yaml, json) = w.write_config(&cfg);
    start_policy_node(&mut w, &yaml, checkpoint());
    let rx = w.spawn_peer("peer", &json, &["faults"]);
    let r = w.report(&rx, Duration::from_secs(120));
    w.assert_alive("policy_node");
    // Stale state: hold the last running targets.
    let stale = &r["stale"];
    assert!(
        stale["reason"].as_str().unwrap_or("").contains("stale"),
        "{stale}"
    );
    let last = f64s(&stale["last_running"]);
    for held in stale["held"].as_array().expect("held") {
        assert_eq!(f64s(held), last, "hold repeats the last targets");
    }
    // Malformed messages: rejected with the reason, then hold.
    for (phase, needle) in [
        ("joint_count", "11 joints"),
        ("unknown_joint", "unknown joint 'bogus_joint'"),
        ("nan", "non-finite"),
    ] {
        let reason = r[phase]["reason"].as_str().unwrap_or("");
        assert!(reason.contains(needle), "{phase}: {reason}");
    }
    // E-stop and tilt: damp (targets = the measured pose), tilt latched until e-stop cycle.
    for phase in ["e_stop", "tilt"] {
        let q = f64s(&r[phase]["q"]);
        for c in r[phase]["commands"].as_array().expect("commands") {
            let c = f64s(c);
            for k in 0..12 {
                assert!(
                    (c[k] - q[k]).abs() < 1e-9,
                    "{phase}: damp target {c:?} vs q {q:?}"
                );
            }
        }
    }
    assert!(r["tilt"]["reason"].as_str().unwrap_or("").contains("tilt"));
    assert_eq!(r["tilt"]["still_latched"], true);
    assert_eq!(r["final"]["mode"], "running");
    let log = w.log("policy_node");
    for needle in [
        "rejected message: joint state has 11 joints",
        "rejected message: unknown joint 'bogus_joint'",
        "rejected message: non-finite value",
        "running -> hold",
        "e-stop pressed",
        "-> safe_mode",
        "safe mode cleared by e-stop release",
    ] {
        assert!(log.contains(needle), "log lacks '{needle}':\n{log}");
    }
}

#[test]
fn killed_state_publisher_leads_to_hold_without_panic() {
    let mut w = RosWorld::new("killed_peer");
    let cfg = config(&["safety.soft_start_s=0"]);
    let (yaml, json) = w.write_config(&cfg);
    start_policy_node(&mut w, &yaml, checkpoint());
    let observer = w.spawn_peer("observer", &json, &["observe_hold"]);
    let _robot = w.spawn_peer("robot", &json, &["publish_forever"]);
    w.wait_event(&observer, "running", Duration::from_secs(60));
    w.kill("robot");
    let r = w.report(&observer, Duration::from_secs(30));
    assert!(r["reason"].as_str().unwrap_or("").contains("stale"), "{r}");
    let last = f64s(&r["last_running"]);
    for held in r["held"].as_array().expect("held") {
        assert_eq!(f64s(held), last);
    }
    w.assert_alive("policy_node");
    assert!(w.log("policy_node").contains("running -> hold"));
}

fn closed_loop(w: &mut RosWorld, cfg: &NodeConfig, ckpt: &Path, scenario: &[&str]) -> Value {
    let (yaml, json) = w.write_config(cfg);
    w.spawn_node(
        "sim_node",
        env!("CARGO_BIN_EXE_sim_node"),
        &["--config", yaml.to_str().expect("utf8")],
    );
    start_policy_node(w, &yaml, ckpt);
    let rx = w.spawn_peer("peer", &json, scenario);
    let r = w.report(&rx, Duration::from_secs(120));
    w.assert_alive("sim_node");
    w.assert_alive("policy_node");
    r
}

#[test]
fn sim_node_and_policy_node_close_the_loop() {
    let mut w = RosWorld::new("sim_loop");
    let cfg = config(&["safety.soft_start_s=0.2", "output=joint_trajectory"]);
    let r = closed_loop(
        &mut w,
        &cfg,
        checkpoint(),
        &["sim_loop", "--output", "joint_trajectory"],
    );
    let names: Vec<String> = r["names"]
        .as_array()
        .expect("names")
        .iter()
        .map(|v| v.as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        names, cfg.joints.names,
        "sim publishes joints in the robot's order"
    );
    assert_eq!(r["positions"], 12);
    assert_eq!(r["velocities"], 12);
    assert!(r["status"]["inferences"].as_u64().unwrap_or(0) > 0, "{r}");
}

#[test]
fn simulated_quadruped_walks_forward_on_a_twist_command() {
    // The committed walking policy (issue 4); EMBODY_WALK_CHECKPOINT points at another one.
    let ckpt = std::env::var_os("EMBODY_WALK_CHECKPOINT")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest().join("../../../assets/policies/locomotion_flat"));
    if !ckpt.exists() {
        eprintln!(
            "SKIPPED simulated_quadruped_walks_forward_on_a_twist_command: no walking policy at {} \
             yet (issue 4 commits it)",
            ckpt.display()
        );
        return;
    }
    let mut w = RosWorld::new("walk");
    let cfg = config(&["safety.soft_start_s=1.0"]);
    let r = closed_loop(
        &mut w,
        &cfg,
        &ckpt,
        &["walk", "--vx", "0.5", "--seconds", "10"],
    );
    eprintln!("walk: {r}");
    let dx = r["dx"].as_f64().expect("dx");
    assert!(
        dx > 1.0,
        "walked {dx:.2} m forward in 10 s on vx = 0.5 m/s: {r}"
    );
    assert!(r["min_z"].as_f64().unwrap_or(0.0) > 0.15, "fell: {r}");
    let modes: Vec<&str> = r["modes"]
        .as_array()
        .expect("modes")
        .iter()
        .filter_map(|m| m.as_str())
        .collect();
    assert!(!modes.contains(&"safe_mode"), "{modes:?}");
}

#[test]
fn bad_checkpoint_and_config_fail_with_clear_errors() {
    let out = Command::new(env!("CARGO_BIN_EXE_policy_node"))
        .args(["--checkpoint", "/nonexistent/ckpt"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("/nonexistent/ckpt") && err.contains("no checkpoint"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_policy_node"))
        .args([
            "--checkpoint",
            checkpoint().to_str().expect("utf8"),
            "--set",
            "joints.kp=[1]",
        ])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("quadruped.yaml") && err.contains("joints.kp"),
        "{err}"
    );
}

#[test]
fn teleop_node_publishes_the_scripted_twist_and_e_stop_to_rclpy() {
    let mut w = RosWorld::new("teleop");
    let cfg = config(&[]);
    let (yaml, json) = w.write_config(&cfg);
    let script = w.dir.join("teleop.toml");
    std::fs::write(
        &script,
        "[[command]]\nt = 1.0\nvx = 0.5\n[[command]]\nt = 2.0\nyaw_rate = -0.4\n\
         [[command]]\nt = 3.0\nmode = \"e_stop\"\nvx = 1.0\n[[command]]\nt = 4.0\nmode = \"stand\"\n",
    )
    .expect("script");
    let rx = w.spawn_peer("peer", &json, &["listen_teleop", "--seconds", "30"]);
    w.wait_event(&rx, "listening", Duration::from_secs(30));
    w.spawn_node(
        "teleop_node",
        env!("CARGO_BIN_EXE_teleop_node"),
        &[
            "--config",
            yaml.to_str().expect("utf8"),
            "--commands",
            script.to_str().expect("utf8"),
            "--hold",
            "1.0",
        ],
    );
    let r = w.report(&rx, Duration::from_secs(60));
    let twists: Vec<[f64; 4]> = r["twists"]
        .as_array()
        .expect("twists")
        .iter()
        .map(|v| std::array::from_fn(|k| v[k].as_f64().unwrap_or(f64::NAN)))
        .collect();
    let estops: Vec<bool> = r["estops"]
        .as_array()
        .expect("estops")
        .iter()
        .map(|v| v[1].as_bool().expect("bool"))
        .collect();
    let log = w.log("teleop_node");
    assert!(
        log.contains("gamepad unavailable") || log.contains("teleop node"),
        "{log}"
    );
    // In order: walk forward, turn right, e-stop (zero twist), stand (zero twist).
    let phase = |f: &dyn Fn(&[f64; 4]) -> bool| twists.iter().position(f);
    let fwd = phase(&|t| (t[1] - 0.5).abs() < 1e-6 && t[3] == 0.0).expect("forward twist");
    let turn = phase(&|t| t[1] == 0.0 && (t[3] + 0.4).abs() < 1e-6).expect("turn twist");
    assert!(fwd < turn, "{twists:?}");
    assert!(
        twists[turn..]
            .iter()
            .skip_while(|t| t[3] != 0.0)
            .all(|t| t[1..] == [0.0; 3]),
        "after the turn only zero twists (e-stop, stand): {twists:?}"
    );
    // About 50 Hz: at least 2.5 s of the 5 s script arrived at 20+ messages per second.
    assert!(twists.len() > 50, "{} twists", twists.len());
    assert_eq!(
        estops.first(),
        Some(&true),
        "e-stop pressed is the first e-stop message: {estops:?}"
    );
    assert_eq!(
        estops.last(),
        Some(&false),
        "released once on leaving e-stop: {estops:?}"
    );
    assert_eq!(estops.iter().filter(|e| !**e).count(), 1, "{estops:?}");
    let dt: Vec<f64> = twists.windows(2).map(|p| p[1][0] - p[0][0]).collect();
    let mut sorted = dt.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN);
    assert!(
        (0.01..0.04).contains(&median),
        "median publish period {median:.4} s (50 Hz expected)"
    );
}
