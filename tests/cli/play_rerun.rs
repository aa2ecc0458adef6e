//! With the `rerun` feature: `embody play --rrd` and `embody train --rerun` write recordings
//! that the rerun tool (Python rerun-sdk 0.36, the crate's minor) verifies, with the expected
//! entity paths and one frame per control step (play) or iteration (train).
//! Run by tests/run.sh (`cargo test -p embody --features rerun,gamepad --test cli`);
//! it needs $EMBODY_PYTHON with rerun-sdk (tests/run.sh sets it up).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn embody() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_embody"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{cmd:?} failed: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The summary of `tests/cli/rrd_summary.py`: verify, then entity paths and frame counts.
fn summary(rrd: &Path) -> Value {
    let python = std::env::var("EMBODY_PYTHON").expect(
        "EMBODY_PYTHON must point at a Python with rerun-sdk==0.36.3 (tests/run.sh sets it up)",
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/rrd_summary.py");
    let out = run_ok(Command::new(python).arg(script).arg(rrd));
    serde_json::from_str(out.trim()).expect("summary JSON")
}

fn train(run: &Path, extra: &[&str]) {
    run_ok(
        embody()
            .args(["train", "locomotion", "--json", "--out"])
            .arg(run)
            .args([
                "--set",
                "runner.num_envs=4",
                "--set",
                "ppo.num_steps_per_env=8",
                "--set",
                "ppo.num_mini_batches=1",
            ])
            .args(extra),
    );
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("embody-rr-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn entity<'a>(s: &'a Value, path: &str) -> &'a Value {
    let e = &s["entities"][path];
    assert!(
        !e.is_null(),
        "missing entity {path}; have {:?}",
        s["entities"]
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>())
    );
    e
}

#[test]
fn play_recording_has_the_robot_terrain_contacts_and_plots_per_step() {
    let dir = tmp("play");
    let run = dir.join("run");
    train(&run, &["--set", "runner.max_iterations=1"]);
    let rrd = dir.join("play.rrd");
    let script = dir.join("cmds.toml");
    std::fs::write(
        &script,
        "[[command]]\nt = 0.0\nvx = 0.5\n[[command]]\nt = 1.0\nyaw_rate = 0.5\n",
    )
    .expect("write");
    let out = run_ok(
        embody()
            .args([
                "play",
                "locomotion",
                "--json",
                "--seconds",
                "2",
                "--pushes",
                "--checkpoint",
            ])
            .arg(&run)
            .arg("--commands")
            .arg(&script)
            .arg("--rrd")
            .arg(&rrd),
    );
    let v: Value = serde_json::from_str(out.trim()).expect("JSON");
    let steps = v["steps"].as_u64().expect("steps");
    assert_eq!(steps, 100);
    let s = summary(&rrd);
    eprintln!(
        "entities: {}",
        s["entities"].as_object().map_or(0, |o| o.len())
    );
    assert!(
        s["blueprints"].as_u64() >= Some(1),
        "a blueprint is stored: {s}"
    );
    // Static scene.
    assert_eq!(entity(&s, "world")["static"], true);
    assert_eq!(entity(&s, "world/env0/terrain")["static"], true);
    assert_eq!(
        entity(&s, "world/env0/robot/base/shapes/boxes")["static"],
        true
    );
    // One frame per control step, on both timelines.
    for path in [
        "world/env0/robot/base",
        "world/env0/robot/FL_calf",
        "world/env0/contacts",
        "world/env0/contact_forces",
        "world/env0/external_forces",
        "world/env0/velocity/command",
        "world/env0/velocity/actual",
        "plots/env0/velocity/vx/command",
        "plots/env0/velocity/yaw_rate/actual",
        "plots/env0/joints/FL_hip_joint/position",
        "plots/env0/joints/FL_hip_joint/target",
        "plots/env0/joints/RR_calf_joint/torque",
        "plots/env0/rewards/tracking_lin_vel",
        "plots/env0/rewards/dof_acc",
    ] {
        let e = entity(&s, path);
        assert_eq!(e["step"].as_u64(), Some(steps), "{path}: {e}");
        assert_eq!(e["sim_time"].as_u64(), Some(steps), "{path}: {e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn training_recording_has_scalars_and_envs_per_iteration() {
    let dir = tmp("train");
    let run = dir.join("run");
    let rrd = dir.join("train.rrd");
    let rrd_arg = rrd.to_string_lossy().into_owned();
    train(
        &run,
        &[
            "--set",
            "runner.max_iterations=3",
            "--rerun",
            "--rerun-envs",
            "2",
            "--rerun-rrd",
            rrd_arg.as_str(),
        ],
    );
    let s = summary(&rrd);
    for path in [
        "train/return",
        "train/episode_length",
        "train/loss/policy",
        "train/loss/value",
        "train/entropy",
        "train/kl",
        "train/learning_rate",
        "train/steps_per_s",
        "train/rewards/tracking_lin_vel",
        "world/env0/robot/base",
        "world/env1/robot/base",
        "world/env1/contacts",
    ] {
        let e = entity(&s, path);
        assert_eq!(e["iteration"].as_u64(), Some(3), "{path}: {e}");
    }
    assert_eq!(entity(&s, "world/env1/terrain")["static"], true);
    assert!(
        s["entities"]["world/env2/robot/base"].is_null(),
        "only 2 envs shown"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn play_imitate_records_the_character_and_its_reference_skeleton_per_step() {
    let dir = tmp("imitate");
    let run = dir.join("run");
    run_ok(
        embody()
            .args(["train", "imitate", "--json", "--out"])
            .arg(&run)
            .args([
                "--set",
                "runner.max_iterations=1",
                "--set",
                "runner.num_envs=2",
                "--set",
                "ppo.num_steps_per_env=8",
                "--set",
                "policy.actor_hidden=[16]",
                "--set",
                "policy.critic_hidden=[16]",
            ]),
    );
    let rrd = dir.join("imitate.rrd");
    let out = run_ok(
        embody()
            .args([
                "play",
                "imitate",
                "--json",
                "--seconds",
                "1",
                "--checkpoint",
            ])
            .arg(&run)
            .arg("--rrd")
            .arg(&rrd),
    );
    let v: Value = serde_json::from_str(out.trim()).expect("JSON");
    let steps = v["steps"].as_u64().expect("steps");
    assert_eq!(steps, 30, "30 Hz for 1 s");
    let s = summary(&rrd);
    assert_eq!(
        entity(&s, "world/env0/robot/chest/shapes/spheres")["static"],
        true
    );
    for path in [
        "world/env0/robot/right_knee",
        "world/env0/reference/bones",
        "world/env0/reference/joints",
        "plots/env0/joints/right_hip/position",
        "plots/env0/joints/left_knee/torque",
        "plots/env0/rewards/pose",
        "plots/env0/rewards/total",
        "plots/env0/tracking/pose_error_rad",
        "plots/env0/tracking/root_drift_m",
    ] {
        let e = entity(&s, path);
        assert_eq!(e["step"].as_u64(), Some(steps), "{path}: {e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn play_confined_nav_records_the_world_the_plan_and_the_robot() {
    let dir = tmp("confined");
    let rrd = dir.join("nav.rrd");
    // The walking policy plays the velocity-skill baseline: no training needed.
    let out = run_ok(
        embody()
            .args([
                "play",
                "confined-nav",
                "--json",
                "--seconds",
                "1",
                "--seed",
                "5",
                "--checkpoint",
                "assets/policies/locomotion_rough",
            ])
            .arg("--rrd")
            .arg(&rrd),
    );
    let v: Value = serde_json::from_str(out.trim()).expect("JSON");
    assert_eq!(v["strategy"], "velocity_skill");
    // 50 Hz control; the episode may end early only by a fall.
    let steps = (v["seconds"].as_f64().expect("seconds") * 50.0).round() as u64;
    assert!(steps == 50 || v["fell"] == true, "{v}");
    let s = summary(&rrd);
    for path in ["world/env0/floor", "world/env0/ceiling"] {
        assert_eq!(entity(&s, path)["static"], true, "{path}");
    }
    for path in [
        "world/env0/robot/base",
        "world/env0/path",
        "world/env0/waypoints",
        "plots/env0/nav/distance_to_goal_m",
        "plots/env0/nav/next_waypoint",
    ] {
        let e = entity(&s, path);
        assert_eq!(e["step"].as_u64(), Some(steps), "{path}: {e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn explore_recording_shows_the_maze_the_cells_per_save_and_the_best_trajectory() {
    let dir = tmp("explore");
    let rrd = dir.join("explore.rrd");
    let out = run_ok(
        embody()
            .args(["explore", "maze", "--seed", "3", "--json", "--out"])
            .arg(dir.join("search"))
            .arg("--rrd")
            .arg(&rrd)
            .args(super::explore::TINY),
    );
    let v: Value = serde_json::from_str(out.lines().last().unwrap_or_default()).expect("JSON");
    let rounds = v["rounds"].as_u64().expect("rounds");
    let s = summary(&rrd);
    assert_eq!(entity(&s, "world/maze/floor")["static"], true);
    assert_eq!(entity(&s, "world/maze/ceiling")["static"], true);
    // Cells at every save (every 2 rounds) and once more at the end.
    let cells = entity(&s, "world/archive/cells");
    let saves = cells["iteration"].as_u64().expect("iteration timeline");
    assert!(
        saves >= rounds / 2,
        "{saves} saves of {rounds} rounds: {cells}"
    );
    assert_eq!(v["goal_reached"], true, "{v}");
    assert!(entity(&s, "world/archive/best_trajectory")["rows"].as_u64() >= Some(1));
}

#[test]
fn play_bimanual_records_every_body_the_level_and_the_reward_terms_per_step() {
    let dir = tmp("bimanual");
    let run = dir.join("run");
    run_ok(
        embody()
            .args(["train", "bimanual", "--json", "--out"])
            .arg(&run)
            .args([
                "--set",
                "runner.max_iterations=1",
                "--set",
                "runner.num_envs=2",
                "--set",
                "ppo.num_steps_per_env=8",
                "--set",
                "policy.actor_hidden=[16]",
                "--set",
                "policy.critic_hidden=[16]",
            ]),
    );
    let rrd = dir.join("bimanual.rrd");
    let out = run_ok(
        embody()
            .args([
                "play",
                "bimanual",
                "--json",
                "--seconds",
                "0.5",
                "--checkpoint",
            ])
            .arg(&run)
            .arg("--rrd")
            .arg(&rrd),
    );
    let v: Value = serde_json::from_str(out.trim()).expect("JSON");
    let steps = v["steps"].as_u64().expect("steps");
    assert_eq!(steps, 25, "50 Hz for 0.5 s");
    assert_eq!(v["bimanual_task"], "transfer_cube");
    let s = summary(&rrd);
    for path in [
        "world/static/table/mesh",
        "world/objects/box/mesh",
        "world/vx300s_right/vx300s_right_left_finger_link/mesh",
    ] {
        assert_eq!(entity(&s, path)["static"], true, "{path}");
    }
    for path in [
        "world/objects/box",
        "world/vx300s_left/vx300s_left_gripper_link",
        "plots/level",
        "plots/reward/reach",
    ] {
        let e = entity(&s, path);
        assert_eq!(e["step"].as_u64(), Some(steps), "{path}: {e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
