//! `embody bench train TASK`: whole-loop training throughput (env steps/s), split into
//! collection and learning.

use super::median;
use clap::Args;
use policies::config::TrainConfig;
use policies::runner::OnPolicyRunner;
use serde::Serialize;
use sim::env::{Env, VecEnv};
use std::path::PathBuf;

/// Arguments of `embody bench train`.
#[derive(Debug, Args)]
pub struct BenchTrainArgs {
    /// Task to train: cartpole, pendulum or locomotion.
    pub task: String,
    /// Configuration file (default: assets/configs/<task>.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Override a config value, e.g. `--set runner.num_envs=128` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// Timed iterations (after warm-up); medians are reported.
    #[arg(long, default_value_t = 10)]
    pub iterations: usize,
    /// Untimed iterations first.
    #[arg(long, default_value_t = 2)]
    pub warmup: usize,
    /// Compute device of the learner: cpu (default) or wgpu.
    #[arg(long)]
    pub device: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// What `embody bench train` reports.
#[derive(Debug, Serialize)]
pub struct TrainBench {
    task: String,
    device: String,
    num_envs: usize,
    steps_per_iteration: usize,
    iterations: usize,
    overlap_collection: bool,
    /// Median env steps per second of an iteration (collection + learning).
    steps_per_s: f64,
    /// Median seconds of collection per iteration.
    collect_s: f64,
    /// Median seconds of learning per iteration.
    learn_s: f64,
}

/// Runs `embody bench train`.
pub fn run(args: BenchTrainArgs) -> anyhow::Result<()> {
    let entry = crate::cmd::tasks::task(&args.task)?;
    let path = args.config.clone().unwrap_or_else(|| {
        robots::assets_dir()
            .join("configs")
            .join(format!("{}.toml", args.task))
    });
    let config = TrainConfig::load(&path, &args.overrides)?;
    if args.iterations == 0 {
        anyhow::bail!("--iterations must be at least 1");
    }
    let bench = (entry.bench)(&args, &config)?;
    if args.json {
        println!("{}", serde_json::to_string(&bench)?);
    } else {
        println!(
            "{} on {}: {:.0} env steps/s ({} envs x {} steps per iteration; collection {:.3} s, learning {:.3} s, overlap {})",
            bench.task,
            bench.device,
            bench.steps_per_s,
            bench.num_envs,
            bench.steps_per_iteration / bench.num_envs.max(1),
            bench.collect_s,
            bench.learn_s,
            bench.overlap_collection
        );
    }
    Ok(())
}

/// Times the training loop of the task's envs `venv` (the registry's `bench` entries call this).
pub(crate) fn bench_task<E: Env>(
    venv: VecEnv<E>,
    args: &BenchTrainArgs,
    config: &TrainConfig,
) -> anyhow::Result<TrainBench> {
    let device = policies::device::device_from_name(args.device.as_deref())?;
    // Boundaries only at the start: the overlap (if on) is measured as training runs it.
    let mut config = config.clone();
    config.runner.max_iterations = args.warmup + args.iterations + 1;
    config.runner.save_interval = config.runner.max_iterations;
    let mut runner = OnPolicyRunner::from_config(venv, &config, &device)?;
    for _ in 0..args.warmup {
        runner.iterate()?;
    }
    let (mut rates, mut collect, mut learn) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..args.iterations {
        let s = runner.iterate()?;
        rates.push(s.steps_per_s as f64);
        collect.push(s.collect_s as f64);
        learn.push(s.learn_s as f64);
    }
    Ok(TrainBench {
        task: config.task.clone(),
        device: args.device.clone().unwrap_or_else(|| "cpu".into()),
        num_envs: runner.venv.num_envs(),
        steps_per_iteration: runner.venv.num_envs() * config.ppo.num_steps_per_env,
        iterations: args.iterations,
        overlap_collection: config.runner.overlap_collection,
        steps_per_s: median(rates),
        collect_s: median(collect),
        learn_s: median(learn),
    })
}
