//! `embody play` without the Rerun feature: a tiny locomotion checkpoint is played from a
//! command script and the summary is checked; bad command files and a missing gamepad give
//! clear messages, never a panic. (A test of the `embody` package, so cargo builds the binary.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn embody() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_embody"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("embody-play-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Trains locomotion for one small iteration: enough for a checkpoint to play.
fn tiny_checkpoint(dir: &Path) -> PathBuf {
    let run = dir.join("run");
    let out = embody()
        .args(["train", "locomotion", "--json", "--out"])
        .arg(&run)
        .args([
            "--set",
            "runner.max_iterations=1",
            "--set",
            "runner.num_envs=4",
            "--set",
            "ppo.num_steps_per_env=8",
            "--set",
            "ppo.num_mini_batches=1",
        ])
        .output()
        .expect("train runs");
    assert!(
        out.status.success(),
        "train failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    run
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn play_follows_a_command_script_and_reports_a_summary() {
    let dir = tmp("script");
    let run = tiny_checkpoint(&dir);
    let script = dir.join("cmds.csv");
    std::fs::write(
        &script,
        "t,vx,vy,yaw_rate,mode\n0,0,0,0,stand\n0.5,0.5,0,0,walk\n1.5,0,0,0.5,walk\n",
    )
    .expect("write script");
    let out = embody()
        .args([
            "play",
            "locomotion",
            "--json",
            "--seconds",
            "2.5",
            "--checkpoint",
        ])
        .arg(&run)
        .arg("--commands")
        .arg(&script)
        .output()
        .expect("play runs");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "play failed: {stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(v["steps"], 125, "{v}");
    assert!(
        v["source"].as_str().is_some_and(|s| s.contains("cmds.csv")),
        "{v}"
    );
    let distance = v["distance_m"].as_f64().expect("distance");
    assert!(distance.is_finite() && distance >= 0.0, "{v}");
    assert!(
        (v["stand_s"].as_f64().expect("stand_s") - 0.5).abs() < 0.03,
        "{v}"
    );
    assert!(
        (v["walk_s"].as_f64().expect("walk_s") - 2.0).abs() < 0.03,
        "{v}"
    );
    // Tracking is measured after a second of each command: the 0.5 m/s segment ends too soon,
    // the yaw segment counts from 2.5 s on, so nothing is counted; the fields are null then.
    assert!(v["falls"].as_u64().is_some(), "{v}");
    assert!(v.get("lin_vel_error").is_some(), "{v}");
    assert!(v["recording"].is_null(), "{v}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_inputs_are_clear_errors_and_a_missing_gamepad_falls_back() {
    let dir = tmp("bad");
    let run = tiny_checkpoint(&dir);
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[[command]]\nt = 0.0\nvx = \"fast\"\n").expect("write");
    let out = embody()
        .args(["play", "locomotion", "--checkpoint"])
        .arg(&run)
        .arg("--commands")
        .arg(&bad)
        .output()
        .expect("play runs");
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("bad.toml") && stderr.contains("command[0].vx"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    let mapping = dir.join("pad.toml");
    std::fs::write(&mapping, "dead_zone = 0.1\n").expect("write");
    let out = embody()
        .args(["play", "locomotion", "--checkpoint"])
        .arg(&run)
        .arg("--mapping")
        .arg(&mapping)
        .output()
        .expect("play runs");
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("pad.toml") && stderr.contains("initial_mode"),
        "{stderr}"
    );

    // No pad here (and no terminal on stdin): a message, then the command file.
    let ok = dir.join("ok.toml");
    std::fs::write(&ok, "[[command]]\nt = 0.0\nvx = 0.3\n").expect("write");
    let out = embody()
        .args([
            "play",
            "locomotion",
            "--gamepad",
            "--json",
            "--seconds",
            "0.5",
            "--checkpoint",
        ])
        .arg(&run)
        .arg("--commands")
        .arg(&ok)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("play runs");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("gamepad unavailable")
            && stderr.contains("falling back to the command file"),
        "{stderr}"
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON");
    assert_eq!(v["steps"], 25);

    // Asking for a recording in a build without Rerun says how to get one.
    if !cfg!(feature = "rerun") {
        let out = embody()
            .args([
                "play",
                "locomotion",
                "--seconds",
                "0.1",
                "--rrd",
                "x.rrd",
                "--checkpoint",
            ])
            .arg(&run)
            .output()
            .expect("play runs");
        let (_, stderr) = text(&out);
        assert!(!out.status.success());
        assert!(stderr.contains("--features rerun"), "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Training logs the curriculum level next to the reward terms; `eval --episodes-out` writes one
/// JSON line per episode and the JSON splits the figures by terrain.
#[test]
fn metrics_log_curriculum_levels_and_eval_reports_each_episode() {
    let dir = tmp("eval");
    let run = tiny_checkpoint(&dir);
    let metrics = std::fs::read_to_string(run.join("metrics.csv")).expect("metrics.csv");
    let mut rows = metrics.lines();
    let header: Vec<&str> = rows.next().expect("header").split(',').collect();
    // The default config has a command curriculum and no terrain curriculum.
    assert_eq!(header.last(), Some(&"command_level"), "{header:?}");
    assert!(!header.contains(&"terrain_level"), "{header:?}");
    let row: Vec<&str> = rows.next().expect("a row").split(',').collect();
    assert_eq!(row.len(), header.len());
    let level: f32 = row.last().unwrap().parse().expect("a number");
    assert!((0.0..=4.0).contains(&level), "{level}");

    let episodes = dir.join("episodes.jsonl");
    let out = embody()
        .args(["eval", "locomotion", "--json", "--episodes", "3"])
        .args(["--terrain", "rough_stairs", "--checkpoint"])
        .arg(&run)
        .arg("--episodes-out")
        .arg(&episodes)
        .output()
        .expect("eval runs");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "eval failed: {stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    let terrains: Vec<&str> = v["by_terrain"]
        .as_array()
        .expect("by_terrain")
        .iter()
        .map(|t| t["terrain"].as_str().expect("label"))
        .collect();
    assert_eq!(terrains, ["rough", "stairs_down", "stairs_up"], "{v}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&episodes)
        .expect("episodes written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 3);
    for (i, e) in lines.iter().enumerate() {
        assert_eq!(e["episode"], i, "{e}");
        assert_eq!(e["terrain"], terrains[i], "{e}");
        assert_eq!(e["command"].as_array().map(Vec::len), Some(3), "{e}");
        assert!(e["fell"].is_boolean(), "{e}");
    }
    // `play --terrain` walks one of the test terrains; an unknown one is named with the choices.
    let out = embody()
        .args(["play", "locomotion", "--json", "--seconds", "0.5"])
        .args(["--terrain", "stairs_up", "--checkpoint"])
        .arg(&run)
        .output()
        .expect("play runs");
    assert!(out.status.success(), "play failed: {}", text(&out).1);
    let out = embody()
        .args([
            "play",
            "locomotion",
            "--seconds",
            "0.5",
            "--terrain",
            "moon",
        ])
        .arg("--checkpoint")
        .arg(&run)
        .output()
        .expect("play runs");
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("moon") && stderr.contains("stairs_down"),
        "{stderr}"
    );
    // An unwritable path is an error that names it.
    let out = embody()
        .args(["eval", "locomotion", "--episodes", "1", "--checkpoint"])
        .arg(&run)
        .args(["--episodes-out", "/nonexistent/dir/e.jsonl"])
        .output()
        .expect("eval runs");
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("/nonexistent/dir/e.jsonl"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
