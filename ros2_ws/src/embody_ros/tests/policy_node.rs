//! The policy node against real ROS 2 (the Jazzy wheels of ros2_ws/env.sh): the node runs as its
//! own process, rclpy peers (tests/peers/peer.py) from the same venv play the robot side or
//! observe. Each test uses its own ROS_DOMAIN_ID with localhost-only discovery, waits on
//! discovery and status conditions (no fixed sleeps), and removes the Fast DDS shared-memory
//! files its processes created. The closed loop with the sim node is tested in embody_ros_sim.
//!
//! Run: `source ros2_ws/env.sh && cargo test -p embody_ros --features ros`.

mod common;

use common::*;
use embody_ros::config::NodeConfig;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn policy_node() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_policy_node"))
}

/// The targets the node should answer for the peer's state, computed on an independent path:
/// nalgebra's quaternion math, the contract's observation layout, and burn's actor (through the
/// trainer's checkpoint loader), not the deploy runtime.
fn expected_targets(cfg: &NodeConfig, state: &Value, cmd: [f64; 3]) -> Vec<f64> {
    use burn::prelude::*;
    let q = f64s(&state["q"]);
    let qd = f64s(&state["qd"]);
    let o = f64s(&state["orientation"]);
    let rot = nalgebra::UnitQuaternion::from_quaternion(nalgebra::Quaternion::new(
        o[3], o[0], o[1], o[2],
    ));
    let g = rot.inverse() * nalgebra::Vector3::new(0.0, 0.0, -1.0);
    let f3 = |v: Vec<f64>| [v[0] as f32, v[1] as f32, v[2] as f32];
    let q32: Vec<f32> = q.iter().map(|&v| v as f32).collect();
    let qd32: Vec<f32> = qd.iter().map(|&v| v as f32).collect();
    let n = q.len();
    let last = vec![0.0; n];
    let src = robots::contract::ObsSources {
        lin_vel_b: f3(f64s(&state["lin"])),
        ang_vel_b: f3(f64s(&state["ang"])),
        gravity_b: [g.x as f32, g.y as f32, g.z as f32],
        command: cmd.map(|c| c as f32),
        joint_pos: &q32,
        joint_vel: &qd32,
        last_action: &last,
        ..Default::default()
    };
    let default: Vec<f32> = cfg
        .joints
        .default_position
        .iter()
        .map(|&v| v as f32)
        .collect();
    let layout = robots::proprio_layout(
        &cfg.joints.names,
        &default,
        &robots::ObservationScales::default(),
    )
    .expect("layout");
    let mut obs = vec![0.0f32; layout.dim()];
    layout.write(&src, &mut obs).expect("observation");
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
    start_policy_node(&mut w, policy_node(), &yaml, checkpoint());
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
    start_policy_node(&mut w, policy_node(), &yaml, checkpoint());
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
    start_policy_node(&mut w, policy_node(), &yaml, checkpoint());
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
    start_policy_node(&mut w, policy_node(), &yaml, checkpoint());
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

#[test]
fn bad_checkpoint_and_config_fail_with_clear_errors() {
    let out = Command::new(policy_node())
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
    let out = Command::new(policy_node())
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
