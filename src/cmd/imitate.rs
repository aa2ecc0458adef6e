//! The `imitate` task on the command line: its envs from a training config, its evaluation, and
//! the `--clip` / `--character` flags of `embody train imitate`.

use super::train::{EvalArgs, TrainArgs};
use anyhow::Context;
use policies::config::TrainConfig;
use policies::deploy::DeployPolicy;
use policies::runner::evaluate_imitation;
use sim::env::VecEnv;
use sim::tasks::imitate::{ImitationAssets, ImitationConfig, ImitationEnv};
use std::path::Path;
use std::sync::Arc;

/// The `[env]` table of `config` as the task's settings, with its files read.
fn load(config: &TrainConfig) -> anyhow::Result<(ImitationConfig, Arc<ImitationAssets>)> {
    let task: ImitationConfig = config.env_config()?;
    let assets = ImitationAssets::load(&task).context("reading the imitation task's files")?;
    Ok((task, Arc::new(assets)))
}

/// Imitation envs from the `[env]` table of `config`.
pub(crate) fn imitation_venv(
    config: &TrainConfig,
    num_envs: usize,
    seed: u64,
) -> anyhow::Result<VecEnv<ImitationEnv>> {
    let (task, assets) = load(config)?;
    Ok(VecEnv::try_new_at(
        config.runner.first_env,
        num_envs,
        |i| ImitationEnv::new(assets.clone(), task.clone(), seed ^ i as u64),
    )?)
}

/// `embody eval imitate`: `--episodes` episodes of 20 s from the held-out seed.
pub(crate) fn eval_imitation(
    actor: &mut DeployPolicy,
    config: &TrainConfig,
    args: &EvalArgs,
    dir: &Path,
) -> anyhow::Result<()> {
    let (mut task, assets) = load(config)?;
    task.episode_s = args.episode_s.unwrap_or(20.0);
    let stats = evaluate_imitation(actor, assets, &task, args.episodes, args.seed)?;
    if args.json {
        let mut value = serde_json::to_value(&stats)?;
        value["task"] = "imitate".into();
        value["checkpoint"] = dir.display().to_string().into();
        println!("{value}");
    } else {
        println!(
            "imitate {}: {} episodes of {} s, {} without a fall (fall rate {:.3}), pose error \
             {:.3} rad, body position error {:.3} m, end effectors {:.3} m, root drift {:.2} m, \
             clip fraction tracked {:.3}",
            stats.clip,
            stats.episodes,
            stats.episode_s,
            stats.episodes_without_fall,
            stats.fall_rate,
            stats.pose_error_rad,
            stats.body_pos_error_m,
            stats.end_effector_error_m,
            stats.root_drift_m,
            stats.clip_fraction_tracked,
        );
    }
    Ok(())
}

/// `--clip` and `--character` of `embody train` as `env.` overrides (after the config file's).
pub(crate) fn file_overrides(args: &TrainArgs) -> Vec<String> {
    let quoted = |p: &Path| toml::Value::String(p.display().to_string()).to_string();
    let mut out = Vec::new();
    if let Some(clip) = &args.clip {
        out.push(format!("env.clip={}", quoted(clip)));
    }
    if let Some(character) = &args.character {
        out.push(format!("env.character={}", quoted(character)));
    }
    out
}
