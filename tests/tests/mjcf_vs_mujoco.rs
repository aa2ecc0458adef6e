//! Real MJCF files in Rapier against MuJoCo itself (bench/mujoco_mjcf.py, run here): the ALOHA
//! rig holds its start pose where MuJoCo's settles, and the Shadow hand holds a pose and moves
//! its tendon-coupled joints as MuJoCo does.

use serde_json::Value;
use sim::{PhysicsConfig, SceneHoldSummary};
use std::path::PathBuf;

fn thirdparty(rel: &str) -> PathBuf {
    let p = embody_tests::repo_root()
        .join("../shared/thirdparty")
        .join(rel);
    assert!(p.exists(), "fixture missing: {}", p.display());
    p
}

/// Runs the MuJoCo peer on `file` for `seconds` with `ctrl` overrides.
fn mujoco(file: &PathBuf, seconds: f32, ctrl: &[&str]) -> Value {
    let root = embody_tests::repo_root();
    let out = std::process::Command::new(embody_tests::python())
        .arg(root.join("bench/mujoco_mjcf.py"))
        .arg("--mjcf")
        .arg(file)
        .args(["--seconds", &seconds.to_string(), "--json"])
        .args(ctrl.iter().flat_map(|c| ["--ctrl", c]))
        .output()
        .expect("python runs (set EMBODY_PYTHON to an interpreter with `mujoco`)");
    assert!(
        out.status.success(),
        "MuJoCo peer failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("peer prints JSON")
}

/// Largest difference (degrees) of a hinge joint's final angle from MuJoCo's, and its name.
fn hinge_diff_deg(rapier: &SceneHoldSummary, mj: &Value) -> (f64, String) {
    let mut worst = (0.0, String::new());
    for (name, q) in &rapier.joints {
        let j = &mj["joints"][name];
        assert!(j.is_object(), "MuJoCo has no joint '{name}'");
        if j["type"] != "hinge" {
            continue;
        }
        let theirs = j["final"].as_f64().expect("final angle");
        let d = (*q as f64 - theirs).abs().to_degrees();
        if d > worst.0 {
            worst = (d, name.clone());
        }
    }
    worst
}

#[test]
fn aloha_arms_settle_within_a_degree_of_mujoco_and_the_cube_rests() {
    let file = thirdparty("aloha/bimanual_viperx_transfer_cube.xml");
    let spec = robots::read_mjcf_file(&file).expect("scene loads");
    let ours = sim::run_scene_hold(&spec, 10.0, PhysicsConfig::manipulation()).expect("runs");
    let mj = mujoco(&file, 10.0, &[]);
    let (diff, joint) = hinge_diff_deg(&ours, &mj);
    assert!(
        diff <= 1.0,
        "{joint} settles {diff:.3} deg from MuJoCo's angle"
    );
    assert!(
        ours.object_drift_m <= 1e-3,
        "cube drift {}",
        ours.object_drift_m
    );
    let theirs = mj["bodies"]["box"]["final_pos"][2]
        .as_f64()
        .expect("cube z");
    let z = ours.objects["box"][2] as f64;
    assert!(
        (z - theirs).abs() < 1e-3,
        "cube rests at {z} m, MuJoCo {theirs} m"
    );
}

#[test]
fn shadow_hand_holds_its_pose_like_mujoco() {
    let file = thirdparty("gymnasium_robotics/hand/manipulate_block.xml");
    let spec = robots::read_mjcf_file(&file).expect("hand loads");
    assert_eq!(spec.articulations[0].joints.len(), 24);
    let ours = sim::run_scene_hold(&spec, 5.0, PhysicsConfig::manipulation()).expect("runs");
    assert!(!ours.nan);
    let (diff, joint) = hinge_diff_deg(&ours, &mujoco(&file, 5.0, &[]));
    assert!(
        diff <= 1.0,
        "{joint} holds {diff:.3} deg from MuJoCo's angle"
    );
}

#[test]
fn shadow_hand_tendon_pulls_the_distal_joint_along_like_mujoco() {
    let file = thirdparty("gymnasium_robotics/hand/manipulate_block.xml");
    let spec = robots::read_mjcf_file(&file).expect("hand loads");
    let targets = [("robot0:FFJ1".to_string(), 1.0)];
    let ours =
        sim::run_scene_hold_with_targets(&spec, 2.0, PhysicsConfig::manipulation(), &targets)
            .expect("runs");
    let mj = mujoco(&file, 2.0, &["robot0:FFJ1=1.0"]);
    let q0 = ours.joints["robot0:FFJ0"] as f64;
    let q1 = ours.joints["robot0:FFJ1"] as f64;
    // FFJ0 has no actuator: only the tendon T_FFJ1c (|0.00705 q0 - 0.00805 q1| <= 0.001) moves it.
    assert!(q0 > 0.9, "FFJ0 followed FFJ1 to {q0} rad");
    let slack = 0.00705 * q0 - 0.00805 * q1;
    assert!(
        slack.abs() <= 0.001 + 2e-4,
        "tendon length {slack} outside its range"
    );
    let theirs = mj["joints"]["robot0:FFJ0"]["final"].as_f64().expect("FFJ0");
    // Within the tendon's slack the distal joint rests where gravity, damping and dry friction
    // leave it; MuJoCo's sits at the slack's lower edge, ours within 0.05 rad of it.
    assert!(
        (q0 - theirs).abs() < 0.05,
        "FFJ0 at {q0} rad, MuJoCo {theirs} rad"
    );
}
