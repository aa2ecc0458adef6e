//! `embody train imitate` and `embody eval imitate` end to end on DeepMimic's humanoid walk
//! (`../shared/thirdparty/deepmimic`), and a broken clip given with `--clip`.

use super::disturber::{embody, ok};

const WALK: &str = "../shared/thirdparty/deepmimic/motions/humanoid3d_walk.txt";
const HUMANOID: &str = "../shared/thirdparty/deepmimic/characters/humanoid3d.txt";

#[test]
fn train_then_eval_imitate_reports_the_tracking_figures() {
    let dir = std::env::temp_dir().join(format!("embody-imitate-run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let run = dir.to_str().expect("utf-8");
    let tiny = [
        "--set",
        "runner.max_iterations=2",
        "--set",
        "runner.num_envs=4",
        "--set",
        "ppo.num_steps_per_env=8",
        "--set",
        "policy.actor_hidden=[16]",
        "--set",
        "policy.critic_hidden=[16]",
    ];
    let mut args = vec![
        "train",
        "imitate",
        "--out",
        run,
        "--clip",
        WALK,
        "--character",
        HUMANOID,
    ];
    args.extend(tiny);
    args.push("--json");
    let trained = ok(&embody(&args));
    assert_eq!(trained["iterations"], 2);
    let eval = ok(&embody(&[
        "eval",
        "imitate",
        "--checkpoint",
        run,
        "--episodes",
        "3",
        "--episode-s",
        "1",
        "--json",
    ]));
    for key in [
        "pose_error_rad",
        "body_pos_error_m",
        "end_effector_error_m",
        "root_drift_m",
        "fall_rate",
        "clip_fraction_tracked",
    ] {
        let v = eval[key].as_f64().unwrap_or(f64::NAN);
        assert!(v.is_finite() && v >= 0.0, "{key}: {}", eval[key]);
    }
    assert!(
        eval["clip"]
            .as_str()
            .unwrap_or("")
            .ends_with("humanoid3d_walk.txt"),
        "{eval}"
    );
    assert_eq!(eval["episodes"], 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_broken_clip_is_an_error_naming_the_file_and_frame() {
    let dir = std::env::temp_dir().join(format!("embody-imitate-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let clip = dir.join("short_frame.txt");
    std::fs::write(
        &clip,
        r#"{"Loop": "wrap", "Frames": [[0.1, 0, 0.9, 0], [0.1, 0, 0.9, 0]]}"#,
    )
    .expect("write");
    let out = embody(&[
        "train",
        "imitate",
        "--out",
        dir.join("run").to_str().expect("utf-8"),
        "--clip",
        clip.to_str().expect("utf-8"),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("short_frame.txt") && err.contains("frame 0"),
        "{err}"
    );
    assert!(err.contains("needs 44"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_shipped_policies_track_their_clips_without_falling() {
    // A short version of the figures in docs/BENCHMARKS.md ("Imitation"): 4 episodes of 5 s
    // from the test seed (the full set is 32 episodes of 20 s).
    for policy in [
        "imitate_walk",
        "imitate_walk_deployable",
        "imitate_run",
        "imitate_trot",
    ] {
        let eval = ok(&embody(&[
            "eval",
            "imitate",
            "--checkpoint",
            &format!("assets/policies/{policy}"),
            "--episodes",
            "4",
            "--episode-s",
            "5",
            "--json",
        ]));
        assert_eq!(eval["episodes_without_fall"], 4, "{policy}: {eval}");
        assert!(
            eval["pose_error_rad"].as_f64() < Some(0.2),
            "{policy}: {eval}"
        );
        assert!(
            eval["body_pos_error_m"].as_f64() < Some(0.1),
            "{policy}: {eval}"
        );
    }
}
