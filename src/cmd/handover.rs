//! The `handover` task on the command line: Shadow-hand hand-over envs from a training config
//! and their evaluation.

use super::train::{EvalArgs, print_eval};
use anyhow::Context;
use policies::config::TrainConfig;
use policies::deploy::DeployPolicy;
use policies::runner::evaluate;
use sim::env::VecEnv;
use sim::tasks::handover::{HandoverAssets, HandoverConfig, HandoverEnv};
use std::path::Path;

/// The task's name in the registry.
pub(crate) const TASK: &str = "handover";

/// Hand-over envs from the `[env]` table of `config`.
pub(crate) fn handover_venv(
    config: &TrainConfig,
    num_envs: usize,
    seed: u64,
) -> anyhow::Result<VecEnv<HandoverEnv>> {
    let task: HandoverConfig = config.env_config()?;
    let assets = HandoverAssets::load(&task).context("reading the Shadow-hand scene")?;
    Ok(VecEnv::try_new_at(
        config.runner.first_env,
        num_envs,
        |i| HandoverEnv::new(&assets, task.clone(), seed ^ i as u64),
    )?)
}

/// `embody eval handover`: `--episodes` episodes from the held-out seed; success_rate is the
/// share whose block came within the tolerance of its goal, fall_rate the share dropped.
pub(crate) fn eval_handover(
    actor: &mut DeployPolicy,
    config: &TrainConfig,
    args: &EvalArgs,
    dir: &Path,
) -> anyhow::Result<()> {
    let task: HandoverConfig = config.env_config()?;
    let n = config.runner.num_envs.min(args.episodes.max(1));
    let mut venv = handover_venv(config, n, args.seed)?;
    let steps = 2 * task.episode_steps as usize * args.episodes.div_ceil(n.max(1));
    let stats = evaluate(actor, &mut venv, args.episodes, steps)?;
    print_eval(args, dir, stats)
}
