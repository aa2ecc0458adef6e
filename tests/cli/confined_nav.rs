//! `embody train confined-nav` (both strategies, fine-tuned from the shipped walking policy),
//! `embody eval confined-nav` comparing the three strategies on held-out worlds, the planner
//! benchmark, and a broken world file.

use super::disturber::{embody, ok};

const TINY: [&str; 8] = [
    "--set",
    "runner.max_iterations=1",
    "--set",
    "runner.num_envs=2",
    "--set",
    "ppo.num_steps_per_env=8",
    "--init-from",
    "assets/policies/locomotion_rough",
];

#[test]
fn train_both_strategies_then_eval_compares_all_three_on_held_out_worlds() {
    let dir = std::env::temp_dir().join(format!("embody-confined-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let follower = dir.join("follower");
    let e2e = dir.join("e2e");
    let (follower, e2e) = (
        follower.to_str().expect("utf-8"),
        e2e.to_str().expect("utf-8"),
    );
    let mut args = vec!["train", "confined-nav", "--out", follower, "--json"];
    args.extend(TINY);
    assert_eq!(ok(&embody(&args))["iterations"], 1);
    let mut args = vec!["train", "confined-nav", "--out", e2e, "--json"];
    args.extend(TINY);
    args.extend(["--set", "env.strategy=\"end_to_end\""]);
    assert_eq!(ok(&embody(&args))["iterations"], 1);
    let eval = ok(&embody(&[
        "eval",
        "confined-nav",
        "--checkpoint",
        follower,
        "--end-to-end",
        e2e,
        "--worlds",
        "2",
        "--episode-s",
        "1",
        "--json",
    ]));
    assert_eq!(eval["worlds"], 2);
    assert_eq!(eval["seed"].as_u64(), Some(1u64 << 40));
    for strategy in ["hierarchical", "end_to_end", "velocity_skill"] {
        // Time to goal is null when no world was crossed (1 s is too short to cross one).
        let time = &eval[strategy]["time_to_goal_s"];
        assert!(
            time.is_null() || time.as_f64().is_some_and(|t| t > 0.0),
            "{strategy}: {time}"
        );
        for key in ["success_rate", "collisions_per_m"] {
            let v = eval[strategy][key].as_f64().unwrap_or(f64::NAN);
            assert!(
                v.is_finite() && v >= 0.0,
                "{strategy}.{key}: {}",
                eval[strategy]
            );
        }
        assert_eq!(eval[strategy]["worlds"], 2);
    }
    // Play: the follower crosses held-out world 3 for one second, as trained.
    let play = ok(&embody(&[
        "play",
        "confined-nav",
        "--checkpoint",
        follower,
        "--seed",
        "3",
        "--seconds",
        "1",
        "--json",
    ]));
    assert_eq!(play["strategy"], "hierarchical");
    assert!(
        play["world"]
            .as_str()
            .unwrap_or("")
            .starts_with("test world 3 "),
        "{play}"
    );
    let seconds = play["seconds"].as_f64().unwrap_or(f64::NAN);
    assert!(seconds > 0.0 && seconds <= 1.0 + 1e-3, "{play}");
    // Swapped checkpoints are refused with a reason.
    let swapped = embody(&[
        "eval",
        "confined-nav",
        "--checkpoint",
        e2e,
        "--end-to-end",
        follower,
        "--worlds",
        "1",
    ]);
    assert!(!swapped.status.success());
    let stderr = String::from_utf8_lossy(&swapped.stderr);
    assert!(stderr.contains("hierarchical"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_broken_world_file_is_an_error_naming_the_file_and_field() {
    let dir = std::env::temp_dir().join(format!("embody-world-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let world = dir.join("narrow.toml");
    std::fs::write(
        &world,
        "start = { x = 0.0, y = 0.0 }\ngoal = [3.0, 0.0]\n[[corridors]]\n\
         points = [[0.0, 0.0], [3.0, 0.0]]\nwidth = -0.4\n",
    )
    .expect("write");
    let set = format!("env.world=\"{}\"", world.display());
    let out = embody(&[
        "train",
        "confined-nav",
        "--out",
        dir.join("run").to_str().expect("utf-8"),
        "--set",
        &set,
        "--set",
        "runner.max_iterations=1",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("narrow.toml") && stderr.contains("corridors[0].width"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_planner_benchmark_reports_replanning_times() {
    let report = ok(&embody(&[
        "bench",
        "confined-plan",
        "--worlds",
        "3",
        "--replans",
        "2",
        "--json",
    ]));
    assert_eq!(report["worlds"], 3);
    assert_eq!(report["planned"], 3);
    assert_eq!(report["replans_tried"], 6);
    let median = report["replan_ms"]["median"].as_f64().unwrap_or(f64::NAN);
    assert!(median.is_finite() && median > 0.0, "{report}");
}
