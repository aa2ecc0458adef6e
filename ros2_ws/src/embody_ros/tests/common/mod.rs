//! What the ROS 2 integration tests share (the policy node's tests and the closed-loop tests of
//! embody_ros_sim): a per-test ROS world (domain id, scratch folder, child processes, Fast DDS
//! shared-memory clean-up), rclpy peers (tests/peers/peer.py), the node configuration and a
//! small test checkpoint.
#![allow(dead_code)]

#[path = "../../src/test_checkpoint.rs"]
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
pub static SERIAL: Mutex<()> = Mutex::new(());

/// The embody_ros crate's folder (the peers live here).
pub fn ros_crate_dir() -> PathBuf {
    workspace_root().join("ros2_ws/src/embody_ros")
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("Cargo.lock").is_file() {
        assert!(
            dir.pop(),
            "no workspace root above {}",
            env!("CARGO_MANIFEST_DIR")
        );
    }
    dir
}

pub fn python() -> PathBuf {
    std::env::var_os("EMBODY_ROS_PYTHON_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| ros_crate_dir().join("../../.venv-ros/bin/python"))
}

pub fn shm_entries() -> HashSet<String> {
    std::fs::read_dir("/dev/shm")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains("fastrtps") || n.contains("fastdds"))
                .collect()
        })
        .unwrap_or_default()
}

pub fn checkpoint() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("embody_ros_it_ckpt_{}", std::process::id()));
        test_checkpoint::write_test_checkpoint(&dir, true)
    })
}

/// One test's ROS world: a domain id, a scratch folder, child processes (killed on drop) and the
/// shared-memory files present before it started.
pub struct RosWorld {
    domain: u32,
    /// Scratch folder of the test (logs, configs).
    pub dir: PathBuf,
    children: Vec<(String, Child)>,
    shm_before: HashSet<String>,
    _guard: MutexGuard<'static, ()>,
}

impl RosWorld {
    pub fn new(name: &str) -> Self {
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

    pub fn command(&self, program: &Path) -> Command {
        let mut c = Command::new(program);
        c.env("ROS_DOMAIN_ID", self.domain.to_string())
            .env("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
            .env("RCUTILS_COLORIZED_OUTPUT", "0");
        c
    }

    /// Writes `cfg` as YAML (for the nodes) and JSON (for the peers); returns both paths.
    pub fn write_config(&self, cfg: &NodeConfig) -> (PathBuf, PathBuf) {
        let yaml = self.dir.join("node.yaml");
        let json = self.dir.join("node.json");
        std::fs::write(&yaml, yaml_serde::to_string(cfg).expect("yaml")).expect("write yaml");
        std::fs::write(&json, serde_json::to_string(cfg).expect("json")).expect("write json");
        (yaml, json)
    }

    pub fn log_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.log"))
    }

    pub fn spawn_node(&mut self, name: &str, bin: &str, args: &[&str]) {
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
    pub fn spawn_peer(&mut self, name: &str, json_cfg: &Path, args: &[&str]) -> Receiver<Value> {
        let mut child = self
            .command(&python())
            .arg(ros_crate_dir().join("tests/peers/peer.py"))
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

    pub fn kill(&mut self, name: &str) {
        if let Some((_, c)) = self.children.iter_mut().find(|(n, _)| n == name) {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Fails if a node exited (a panic or an error) while it should be running.
    pub fn assert_alive(&mut self, name: &str) {
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

    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.log_path(name)).unwrap_or_default()
    }

    /// Waits for the report line of a peer, failing with the peer's error or the logs.
    pub fn report(&self, rx: &Receiver<Value>, timeout: Duration) -> Value {
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

    pub fn wait_event(&self, rx: &Receiver<Value>, event: &str, timeout: Duration) {
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

    pub fn all_logs(&self) -> String {
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

pub fn config(overrides: &[&str]) -> NodeConfig {
    let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    NodeConfig::load(&config_dir().join("quadruped.yaml"), &o).expect("config")
}

pub fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

pub fn start_policy_node(w: &mut RosWorld, bin: &Path, yaml: &Path, ckpt: &Path) {
    w.spawn_node(
        "policy_node",
        bin.to_str().expect("utf8"),
        &[
            "--config",
            yaml.to_str().expect("utf8"),
            "--checkpoint",
            ckpt.to_str().expect("utf8"),
        ],
    );
}
