//! The disturber's commands end to end: a `[disturber] kind = "hinf"` run logs its constraint
//! and saves its disturber, `embody eval --push-test` reports every band, `embody attack`
//! trains an adversary for its budget, and bad `[disturber]` keys are errors naming them.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs `embody` with `args` in the package folder.
pub(crate) fn embody(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_embody"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("embody runs")
}

/// Asserts success and parses the last stdout line as one JSON object.
pub(crate) fn ok(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("one JSON object")
}

const FLAT: &str = "assets/policies/locomotion_flat_fused";

#[test]
fn a_hinf_run_logs_its_constraint_and_saves_its_disturber() {
    let dir = std::env::temp_dir().join(format!("embody-hinf-run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = embody(&[
        "train",
        "locomotion",
        "--out",
        dir.to_str().expect("utf-8"),
        "--init-from",
        FLAT,
        "--set",
        "runner.max_iterations=3",
        "--set",
        "runner.num_envs=16",
        "--set",
        "disturber.kind=hinf",
        "--set",
        "disturber.ramp_iterations=0",
        "--json",
    ]);
    ok(&out);
    let csv = std::fs::read_to_string(dir.join("metrics.csv")).expect("metrics");
    let header = csv.lines().next().expect("header");
    for column in [
        "disturber_mean_return",
        "cost",
        "cost_bound",
        "force_n",
        "cost_bound_ratio",
        "multiplier",
        "constraint_violation",
        "disturbed_task_reward",
    ] {
        assert!(
            header.split(',').any(|c| c == column),
            "{column} in {header}"
        );
    }
    assert_eq!(csv.lines().count(), 4);
    let checkpoint = dir.join("checkpoint");
    for file in ["disturber.bpk", "policy.safetensors", "state.json"] {
        assert!(checkpoint.join(file).exists(), "{file}");
    }
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(checkpoint.join("state.json")).expect("state"),
    )
    .expect("state parses");
    assert_eq!(state["value_heads"], 2, "{state}");
    assert!(state["multiplier"].as_f64().is_some(), "{state}");
    assert!(dir.join("constraint_curve.png").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_push_test_reports_every_band() {
    let r = ok(&embody(&[
        "eval",
        "locomotion",
        "--checkpoint",
        FLAT,
        "--push-test",
        "--push-repeats",
        "1",
        "--json",
    ]));
    assert_eq!(r["episodes"], 32);
    let bands = r["fall_rate_by_band"].as_object().expect("bands");
    let keys: Vec<&str> = bands.keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 4, "{keys:?}");
    for key in ["0.5mg", "0.75mg", "1mg", "1.5mg"] {
        let rate = bands[key].as_f64().expect(key);
        assert!((0.0..=1.0).contains(&rate), "{key}: {rate}");
    }
    let weight = r["weight_n"].as_f64().expect("weight");
    let max = r["max_applied_force_n"].as_f64().expect("max force");
    assert!((max - 1.5 * weight).abs() < 1e-3, "{max} vs {weight}");
    assert!(r["lin_vel_error_under_push"].as_f64().expect("error") > 0.0);
    // The strongest band topples more often than the weakest.
    assert!(
        bands["1.5mg"].as_f64() >= bands["0.5mg"].as_f64(),
        "{bands:?}"
    );
}

#[test]
fn attack_trains_an_adversary_for_its_budget_and_reports_the_fall_rate() {
    let r = ok(&embody(&[
        "attack",
        "--checkpoint",
        FLAT,
        "--iterations",
        "2",
        "--num-envs",
        "16",
        "--episodes",
        "16",
        "--json",
    ]));
    assert_eq!(r["adversary_steps"], 2 * 16 * 24);
    assert_eq!(r["force_cap_n"], 30.0);
    let rate = r["fall_rate"].as_f64().expect("fall rate");
    assert!((0.0..=1.0).contains(&rate));
    assert_eq!(
        PathBuf::from(r["checkpoint"].as_str().expect("checkpoint")),
        PathBuf::from(FLAT)
    );
}

#[test]
fn a_bad_disturber_key_is_an_error_naming_it() {
    for (set, key) in [
        ("disturber.kind=wind", "disturber.kind"),
        ("disturber.force_cap=3", "disturber"),
        ("disturber.eta=-1", "disturber.eta"),
    ] {
        let out = embody(&[
            "train",
            "locomotion",
            "--out",
            "/nonexistent/never-written",
            "--set",
            set,
        ]);
        assert!(!out.status.success(), "{set}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(key), "{set}: {err}");
    }
}
