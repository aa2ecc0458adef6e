//! `embody lm` end to end on a tiny model: the warm-up checkpoints and resumes exactly, GRPO
//! starts from it and logs its curve, `eval --json` reports its fields, and bad config keys are
//! errors naming them.

use crate::disturber::{embody, ok};
use std::path::{Path, PathBuf};

/// A model small enough that a few steps take a second.
const TINY: [&str; 14] = [
    "--set",
    "model.n_layer=1",
    "--set",
    "model.n_embd=16",
    "--set",
    "model.n_head=2",
    "--set",
    "pretrain.batch_size=8",
    "--set",
    "eval.validation_problems=8",
    "--set",
    "grpo.prompts_per_step=4",
    "--set",
    "eval.interval=2",
];

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("embody-lm-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn pretrain(out: &Path, steps: usize, resume: bool) -> serde_json::Value {
    let steps = format!("pretrain.steps={steps}");
    let mut args = vec![
        "lm",
        "pretrain",
        "--out",
        out.to_str().expect("utf-8"),
        "--json",
        "--set",
        &steps,
    ];
    args.extend(TINY);
    if resume {
        args.push("--resume");
    }
    ok(&embody(&args))
}

#[test]
fn a_resumed_warm_up_ends_with_the_same_model_as_an_uninterrupted_one() {
    let (straight, split) = (tmp("straight"), tmp("split"));
    let a = pretrain(&straight, 4, false);
    assert_eq!(a["steps"], 4);
    pretrain(&split, 2, false);
    let b = pretrain(&split, 4, true);
    assert_eq!(b["steps"], 4);
    let weights =
        |d: &Path| std::fs::read(d.join("checkpoint/model.safetensors")).expect("weights");
    assert!(
        weights(&straight) == weights(&split),
        "the resumed run's weights differ"
    );
    let rows = |d: &Path| {
        std::fs::read_to_string(d.join("metrics.csv"))
            .expect("csv")
            .lines()
            .count()
    };
    assert_eq!(
        rows(&straight),
        rows(&split),
        "metrics.csv rows after resume"
    );
}

#[test]
fn grpo_trains_from_a_warm_up_and_eval_reports_its_fields() {
    let warm = tmp("warm");
    pretrain(&warm, 2, false);
    let run = tmp("grpo");
    let mut args = vec![
        "lm",
        "grpo",
        "--init-from",
        warm.to_str().expect("utf-8"),
        "--out",
        run.to_str().expect("utf-8"),
        "--json",
        "--set",
        "grpo_run.steps=2",
        "--set",
        "grpo.dynamic_sampling=true",
        "--set",
        "grpo.hints={ tiers = 2 }",
        "--set",
        "grpo.num_iterations=2",
    ];
    args.extend(TINY);
    let summary = ok(&embody(&args));
    assert_eq!(summary["steps"], 2);
    assert!(
        summary["last_update"]["steps"]
            .as_u64()
            .is_some_and(|s| s == 2),
        "{summary}"
    );
    let csv = std::fs::read_to_string(run.join("metrics.csv")).expect("metrics");
    let header = csv.lines().next().expect("header");
    for column in [
        "reward_mean",
        "solve_rate",
        "loss",
        "kl",
        "clip_ratio",
        "validation_pass_at_1",
        "generate_s",
    ] {
        assert!(
            header.split(',').any(|h| h == column),
            "{column} missing from {header}"
        );
    }
    assert!(run.join("curves.png").is_file(), "no curves.png");
    let report = ok(&embody(&[
        "lm",
        "eval",
        "--checkpoint",
        run.to_str().expect("utf-8"),
        "--problems",
        "6",
        "--k",
        "2",
        "--json",
    ]));
    for key in [
        "task",
        "pass_at_1",
        "pass_at_k",
        "k",
        "mean_completion_len",
        "examples",
    ] {
        assert!(report.get(key).is_some(), "{key} missing from {report}");
    }
    assert_eq!(report["k"], 2);
    assert_eq!(report["problems"], 6);
}

#[test]
fn a_bad_lm_config_key_is_an_error_naming_it() {
    let out = embody(&[
        "lm",
        "pretrain",
        "--out",
        "/nonexistent/x",
        "--set",
        "grpo.loss_type=mean",
        "--json",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("grpo.loss_type"), "{err}");
    let out = embody(&["lm", "pretrain", "--set", "model.n_head=3", "--json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("n_head"));
    // Sorting 30 numbers does not fit 16 positions: an error naming the key, not a panic.
    let dir = tmp("too-long");
    let out = embody(&[
        "lm",
        "pretrain",
        "--out",
        dir.to_str().expect("utf-8"),
        "--set",
        "task=\"sorting\"",
        "--set",
        "task_size=30",
        "--set",
        "model.n_positions=16",
        "--set",
        "model.n_layer=1",
        "--set",
        "model.n_embd=16",
        "--set",
        "model.n_head=2",
        "--set",
        "pretrain.steps=1",
        "--set",
        "pretrain.batch_size=2",
        "--json",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("model.n_positions"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn cartpole_trains_with_grpo_on_ppos_budget_and_evaluates() {
    let run = tmp("cartpole-grpo");
    let summary = ok(&embody(&[
        "train",
        "cartpole",
        "--algo",
        "grpo",
        "--out",
        run.to_str().expect("utf-8"),
        "--set",
        "runner.max_iterations=4",
        "--set",
        "runner.num_envs=16",
        "--set",
        "grpo.num_generations=4",
        "--set",
        "grpo.horizon=40",
        "--json",
    ]));
    // PPO's budget: 4 iterations x 16 envs x 32 steps.
    let steps = summary["total_steps"].as_u64().expect("total_steps");
    assert!(steps >= 4 * 16 * 32, "{summary}");
    assert_eq!(summary["algo"], "grpo");
    let eval = ok(&embody(&[
        "eval",
        "cartpole",
        "--checkpoint",
        run.to_str().expect("utf-8"),
        "--episodes",
        "4",
        "--json",
    ]));
    assert!(eval["mean_return"].as_f64().is_some(), "{eval}");
    let out = embody(&[
        "train",
        "cartpole",
        "--algo",
        "grpo",
        "--set",
        "grpo.num_generations=7",
        "--set",
        "runner.num_envs=16",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("grpo.num_generations"));
}
