//! `embody attack`: trains a fresh adversary (the H-infinity disturber's force on the base,
//! rewarded for the falls it causes) against a frozen locomotion policy for a fixed budget, then
//! reports the fall rate it reaches: a worst-case robustness score.

use super::tasks::locomotion_venv;
use anyhow::{Context, bail};
use clap::Args;
use policies::checkpoint;
use policies::config::TrainConfig;
use policies::runner::{OnPolicyRunner, POLICY_AGENT, evaluate_against};
use serde::Serialize;
use sim::tasks::locomotion::{DISTURBER_AGENT, DisturberConfig, LocomotionConfig};
use std::path::PathBuf;

/// Arguments of `embody attack`.
#[derive(Debug, Args)]
pub struct AttackArgs {
    /// The locomotion policy to attack: a run folder or a checkpoint folder.
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Training iterations of the adversary (each `runner.num_envs x ppo.num_steps_per_env`
    /// env steps).
    #[arg(long, default_value_t = 100)]
    pub iterations: usize,
    /// Parallel envs while training the adversary.
    #[arg(long, default_value_t = 256)]
    pub num_envs: usize,
    /// The adversary's force cap per base-frame axis (N); default: the checkpoint's
    /// `[disturber] force_cap_n`, else 30 N (HIMLoco's).
    #[arg(long)]
    pub force_cap_n: Option<f32>,
    /// The adversary's reward for a fall (on top of the cost it causes).
    #[arg(long, default_value_t = 1.0)]
    pub fall_reward: f32,
    /// Episodes of the final evaluation (one per env, `env.episode_s` each at most).
    #[arg(long, default_value_t = 256)]
    pub episodes: usize,
    /// Seed of the adversary's training.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Seed of the final evaluation (held out).
    #[arg(long, default_value_t = 1_000_003)]
    pub eval_seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct AttackSummary {
    checkpoint: PathBuf,
    /// Fall rate of the policy against the trained adversary (mean actions of both).
    fall_rate: f32,
    /// Fall rate of the same episodes without the adversary's force (same seeds).
    fall_rate_without_adversary: f32,
    /// Env steps the adversary trained on.
    adversary_steps: u64,
    force_cap_n: f32,
    iterations: usize,
    episodes: usize,
    mean_episode_length: f32,
    seed: u64,
    eval_seed: u64,
    train_s: f32,
}

/// Sets `key = value` in a TOML table.
fn set(table: &mut toml::Table, key: &str, value: impl Into<toml::Value>) {
    table.insert(key.to_string(), value.into());
}

/// Runs `embody attack`.
pub fn run_attack(args: AttackArgs) -> anyhow::Result<()> {
    let dir = checkpoint::resolve(&args.checkpoint)?;
    let mut config = TrainConfig::load(&dir.join("config.toml"), &[])?;
    if config.task != "locomotion" {
        bail!(
            "{}: embody attack needs a locomotion policy, this one is for '{}'",
            dir.display(),
            config.task
        );
    }
    let saved: Option<DisturberConfig> = config.disturber_config()?;
    let cap = args
        .force_cap_n
        .unwrap_or_else(|| saved.unwrap_or_default().force_cap_n);
    // The adversary: a learned disturber at full force from the first step, paid for falls.
    let mut disturber = toml::Table::new();
    set(&mut disturber, "kind", "hinf");
    set(&mut disturber, "force_cap_n", cap as f64);
    set(&mut disturber, "warmup_iterations", 0);
    set(&mut disturber, "ramp_iterations", 0);
    set(&mut disturber, "fall_reward", args.fall_reward as f64);
    set(&mut disturber, "force_price", 0.0);
    config.disturber = disturber;
    config.seed = args.seed;
    config.runner.num_envs = args.num_envs;
    config.runner.max_iterations = args.iterations;
    config.runner.save_interval = args.iterations.max(1);
    let venv = locomotion_venv(&config, args.num_envs, args.seed)?;
    let device = burn::tensor::Device::flex();
    let mut runner = OnPolicyRunner::from_config(venv, &config, &device)?;
    let mut ckpt = checkpoint::load(&dir, runner.policy().device())
        .with_context(|| format!("loading {}", dir.display()))?;
    // A fresh adversary, whatever the checkpoint trained beside its policy.
    ckpt.hosted.clear();
    runner.init_weights_from(ckpt)?;
    runner.freeze(POLICY_AGENT)?;
    let start = std::time::Instant::now();
    let mut adversary_steps = 0;
    while runner.iteration() < args.iterations {
        let s = runner.iterate()?;
        adversary_steps = s.total_steps;
        if !args.json && runner.iteration() % 10 == 0 {
            let d = runner
                .agent(DISTURBER_AGENT)
                .map_or(0.0, |a| a.mean_return());
            eprintln!(
                "attack iteration {}/{}: adversary return {d:.3}, policy episode length {:.0}",
                runner.iteration(),
                args.iterations,
                s.mean_episode_length
            );
        }
    }
    let train_s = start.elapsed().as_secs_f32();
    // The score: every episode disturbed, fresh held-out envs, fixed-length episodes.
    let eval = |force_cap: f32| -> anyhow::Result<policies::runner::AttackEval> {
        let mut c = config.clone();
        set(&mut c.disturber, "oracle_fraction", 0.0);
        set(&mut c.disturber, "force_cap_n", force_cap as f64);
        set(&mut c.env, "random_episode_start", false);
        c.env.remove("command_curriculum");
        c.env.remove("curriculum");
        let mut venv = locomotion_venv(&c, args.episodes, args.eval_seed)?;
        let adversary = runner
            .agent(DISTURBER_AGENT)
            .context("the attack run has no adversary")?
            .algo
            .inference_model();
        let policy = runner.policy().inference_model();
        // One episode per env: the episode's length in control steps (the envs end it there).
        let task: LocomotionConfig = c.env_config()?;
        let steps = (task.episode_s / task.physics.control_dt).ceil() as usize;
        Ok(evaluate_against(
            &policy,
            &adversary,
            runner.obs_norm.as_ref(),
            &mut venv,
            steps,
        )?)
    };
    let attacked = eval(cap)?;
    let undisturbed = eval(0.0)?;
    let summary = AttackSummary {
        checkpoint: dir,
        fall_rate: attacked.fall_rate,
        fall_rate_without_adversary: undisturbed.fall_rate,
        adversary_steps,
        force_cap_n: cap,
        iterations: args.iterations,
        episodes: attacked.episodes,
        mean_episode_length: attacked.mean_episode_length,
        seed: args.seed,
        eval_seed: args.eval_seed,
        train_s,
    };
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!(
            "attack on {} ({} iterations, {} adversary steps, cap {:.0} N per axis): falls {:.1}% against the adversary, {:.1}% without it ({} episodes)",
            summary.checkpoint.display(),
            summary.iterations,
            summary.adversary_steps,
            summary.force_cap_n,
            summary.fall_rate * 100.0,
            summary.fall_rate_without_adversary * 100.0,
            summary.episodes
        );
    }
    Ok(())
}
