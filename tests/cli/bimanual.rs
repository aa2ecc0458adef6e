//! `embody train bimanual`, `embody eval bimanual` and `embody scripted` end to end on gym-aloha's
//! scene files (`../shared/thirdparty/aloha`); `embody train handover` and `eval handover` on
//! gymnasium-robotics' Shadow hand.

use super::disturber::{embody, ok};

#[test]
fn a_multi_task_bimanual_run_trains_and_evaluates_each_task() {
    let dir = std::env::temp_dir().join(format!("embody-bimanual-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.to_str().expect("utf-8");
    let trained = ok(&embody(&[
        "train",
        "bimanual",
        "--task",
        "transfer_cube,insertion",
        "--out",
        out,
        "--set",
        "runner.num_envs=8",
        "--set",
        "runner.max_iterations=2",
        "--set",
        "ppo.num_steps_per_env=16",
        "--json",
    ]));
    assert_eq!(trained["total_steps"], 256, "{trained}");
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).expect("metrics.csv");
    let header = metrics.lines().next().unwrap_or_default();
    for column in [
        "rew_level",
        "rew_reach",
        "rew_stage2",
        "max_level",
        "successes",
    ] {
        assert!(header.contains(column), "{column} missing: {header}");
    }
    let eval = ok(&embody(&[
        "eval",
        "bimanual",
        "--checkpoint",
        out,
        "--episodes",
        "3",
        "--json",
    ]));
    for task in ["transfer_cube", "insertion"] {
        let rate = eval["success_rate"][task].as_f64();
        assert!(rate.is_some_and(|r| (0.0..=1.0).contains(&r)), "{eval}");
        assert_eq!(eval["per_task"][task]["episodes"], 3, "{eval}");
    }
    assert!(eval["student_success_rate"].is_null(), "{eval}");
    assert_eq!(eval["episodes"], 3);
    // The teacher distils into a student on the realistic observation, which eval scores on
    // the same episodes.
    let student_dir = dir.join("student");
    let student = student_dir.to_str().expect("utf-8");
    let distilled = ok(&embody(&[
        "distill",
        "bimanual",
        "--teacher",
        out,
        "--out",
        student,
        "--set",
        "distill.iterations=2",
        "--set",
        "distill.num_steps_per_env=8",
        "--set",
        "distill.minibatch_size=32",
        "--json",
    ]));
    assert_eq!(distilled["last"]["iteration"], 2, "{distilled}");
    assert_eq!(distilled["last"]["dataset"], 2 * 8 * 8, "{distilled}");
    let csv = std::fs::read_to_string(student_dir.join("distill.csv")).expect("distill.csv");
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let config = std::fs::read_to_string(student_dir.join("checkpoint/config.toml"))
        .expect("the student's config");
    assert!(config.contains("variant = \"student\""), "{config}");
    let both = ok(&embody(&[
        "eval",
        "bimanual",
        "--checkpoint",
        out,
        "--student",
        student,
        "--episodes",
        "2",
        "--json",
    ]));
    for task in ["transfer_cube", "insertion"] {
        let rate = both["student_success_rate"][task].as_f64();
        assert!(rate.is_some_and(|r| (0.0..=1.0).contains(&r)), "{both}");
        assert_eq!(both["student_per_task"][task]["episodes"], 2, "{both}");
    }
}

#[test]
fn an_unknown_bimanual_task_is_named_in_the_error() {
    let out = embody(&[
        "train",
        "bimanual",
        "--task",
        "juggle",
        "--set",
        "runner.max_iterations=1",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("juggle") && err.contains("transfer_cube"),
        "{err}"
    );
}

#[test]
fn the_scripted_hand_over_reports_every_episode() {
    let report = ok(&embody(&[
        "scripted",
        "transfer_cube",
        "--episodes",
        "4",
        "--seed",
        "2",
        "--json",
    ]));
    assert_eq!(report["episodes"], 4, "{report}");
    assert_eq!(report["results"].as_array().map(Vec::len), Some(4));
    assert!(report["success_rate"].as_f64() >= Some(0.75), "{report}");
}

#[test]
fn a_handover_run_trains_and_reports_its_success_rate() {
    let dir = std::env::temp_dir().join(format!("embody-handover-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.to_str().expect("utf-8");
    let trained = ok(&embody(&[
        "train",
        "handover",
        "--out",
        out,
        "--set",
        "runner.num_envs=4",
        "--set",
        "runner.max_iterations=1",
        "--set",
        "ppo.num_steps_per_env=8",
        "--json",
    ]));
    assert_eq!(trained["total_steps"], 32, "{trained}");
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).expect("metrics.csv");
    let header = metrics.lines().next().unwrap_or_default();
    for column in ["rew_goal", "rew_bonus", "successes"] {
        assert!(header.contains(column), "{column} missing: {header}");
    }
    let eval = ok(&embody(&[
        "eval",
        "handover",
        "--checkpoint",
        out,
        "--episodes",
        "4",
        "--json",
    ]));
    assert_eq!(eval["episodes"], 4, "{eval}");
    let rate = eval["success_rate"].as_f64();
    assert!(rate.is_some_and(|r| (0.0..=1.0).contains(&r)), "{eval}");
    assert!(eval["fall_rate"].as_f64().is_some(), "{eval}");
    let _ = std::fs::remove_dir_all(&dir);
}
