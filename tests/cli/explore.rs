//! `embody explore`, `embody robustify` and `embody eval maze` end to end on a two-junction
//! maze (the exit one corridor from the start), walked by the shipped confined-nav follower.

use super::disturber::{embody, ok};

/// A maze of two junctions 1 m apart and a small search.
pub(crate) const TINY: [&str; 12] = [
    "--set",
    "env.maze.rows=1",
    "--set",
    "env.maze.cols=2",
    "--set",
    "explore.workers=4",
    "--set",
    "explore.explore_steps=20",
    "--set",
    "explore.save_every=2",
    "--set",
    "explore.max_env_steps=400",
];

#[test]
fn explore_finds_the_exit_resumes_and_robustify_trains_from_its_trajectory() {
    let dir = std::env::temp_dir().join(format!("embody-explore-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let search = dir.join("search");
    let search_s = search.to_str().expect("utf-8");
    let mut args = vec![
        "explore", "maze", "--seed", "3", "--out", search_s, "--json",
    ];
    args.extend(TINY);
    let first = ok(&embody(&args));
    for key in ["cells", "best_score", "env_steps", "archive_bytes"] {
        assert!(first[key].as_f64().is_some(), "{key}: {first}");
    }
    assert_eq!(first["goal_reached"], true, "{first}");
    assert_eq!(first["best_score"], 1.0);
    assert!(first["env_steps"].as_u64() >= Some(400));
    assert!(first["archive_bytes"].as_u64() <= first["archive_max_bytes"].as_u64());
    for file in [
        "archive.cbor.gz",
        "explore.csv",
        "explore.png",
        "config.toml",
    ] {
        assert!(search.join(file).is_file(), "{file} missing");
    }
    // Resume with a larger budget: the search goes on from its saved rounds.
    let more = ok(&embody(&[
        "explore",
        "maze",
        "--out",
        search_s,
        "--resume",
        "--set",
        "explore.max_env_steps=600",
        "--json",
    ]));
    assert!(more["rounds"].as_u64() > first["rounds"].as_u64(), "{more}");
    assert!(more["cells"].as_u64() >= first["cells"].as_u64());
    let csv = std::fs::read_to_string(search.join("explore.csv")).expect("csv");
    let rounds: Vec<u64> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next()?.parse().ok())
        .collect();
    assert!(
        rounds.windows(2).all(|w| w[1] == w[0] + 1),
        "one row per round, no repeats: {rounds:?}"
    );
    // Phase 2 from its best trajectory, briefly; then the test without restores.
    let robust = dir.join("robust");
    let robust_s = robust.to_str().expect("utf-8");
    let out = ok(&embody(&[
        "robustify",
        "maze",
        "--archive",
        search_s,
        "--out",
        robust_s,
        "--set",
        "runner.max_iterations=2",
        "--set",
        "runner.num_envs=4",
        "--set",
        "ppo.num_steps_per_env=8",
        "--set",
        "robustify.min_episodes=1",
        "--episodes",
        "2",
        "--json",
    ]));
    assert_eq!(out["iterations"], 2, "{out}");
    assert!(out["demo_steps"].as_u64() > Some(0));
    let rate = out["success_rate_without_restore"].as_f64().expect("rate");
    assert!((0.0..=1.0).contains(&rate));
    assert!(robust.join("checkpoint/backward.json").is_file());
    let eval = ok(&embody(&[
        "eval",
        "maze",
        "--checkpoint",
        robust_s,
        "--episodes",
        "2",
        "--json",
    ]));
    assert_eq!(eval["episodes"], 2);
    assert_eq!(eval["sim_noise"], true);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn robustify_without_a_goal_in_the_archive_says_so() {
    let dir = std::env::temp_dir().join(format!("embody-explore-nogoal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let search = dir.join("search");
    let search_s = search.to_str().expect("utf-8");
    // The default maze, a few steps: the exit is far.
    ok(&embody(&[
        "explore",
        "maze",
        "--out",
        search_s,
        "--set",
        "explore.workers=2",
        "--set",
        "explore.max_env_steps=20",
        "--json",
    ]));
    let out = embody(&["robustify", "maze", "--archive", search_s, "--json"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("never reached the goal"), "{err}");
    // An unknown task for explore names the ones that can.
    let out = embody(&["explore", "cartpole"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("maze"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_shipped_robustified_policy_reaches_the_exit_without_restores() {
    // A short version of docs/BENCHMARKS.md ("Go-Explore"): 16 of the 50 test episodes, from
    // the maze's start with the simulator's noise on (the full set: 0.78).
    let eval = ok(&embody(&[
        "eval",
        "maze",
        "--checkpoint",
        "assets/policies/maze_robust",
        "--episodes",
        "16",
        "--json",
    ]));
    assert!(eval["success_rate"].as_f64() >= Some(0.6), "{eval}");
}
