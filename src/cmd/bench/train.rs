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
    /// The job's processes (several under `mpirun` with the `mpi` feature).
    #[arg(skip)]
    pub comm: policies::collective::Comm,
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
    /// Processes of the job (`mpirun -n R`; 1 without MPI).
    ranks: usize,
    /// Median env steps per second of the whole job (`steps_per_s`).
    steps_per_s_total: f64,
    /// `steps_per_s_total` per rank.
    steps_per_s_per_rank: f64,
    /// Median milliseconds per update spent in the learner's all-reduces (gradients and
    /// statistics, waiting for the slowest rank included; 0 on one process).
    allreduce_ms_per_update: f64,
    /// Bytes each rank contributes to the learner's all-reduces per update.
    allreduce_bytes: u64,
    /// The learner's all-reduce calls per update (one per minibatch, plus statistics).
    allreduce_calls_per_update: u64,
    /// Median milliseconds per iteration collection spends summing observation statistics.
    collect_allreduce_ms: f64,
}

/// Runs `embody bench train`.
pub fn run(args: BenchTrainArgs) -> anyhow::Result<()> {
    let comm = args.comm.clone();
    let entry = crate::cmd::tasks::task(&args.task)?;
    let path = args.config.clone().unwrap_or_else(|| {
        robots::assets_dir()
            .join("configs")
            .join(format!("{}.toml", args.task))
    });
    let mut config = TrainConfig::load(&path, &args.overrides)?;
    if args.iterations == 0 {
        anyhow::bail!("--iterations must be at least 1");
    }
    crate::cmd::job::check_same_on_every_rank(&comm, "config", &config.to_toml())?;
    config.runner.first_env = comm.rank() * config.runner.num_envs;
    let bench = (entry.bench)(&args, &config)?;
    if !comm.is_root() {
        return Ok(());
    }
    if args.json {
        println!("{}", serde_json::to_string(&bench)?);
    } else {
        println!(
            "{} on {} x {} rank(s): {:.0} env steps/s ({} envs x {} steps per iteration per rank; collection {:.3} s, learning {:.3} s, overlap {}; all-reduce {:.1} ms and {} bytes per update)",
            bench.task,
            bench.device,
            bench.ranks,
            bench.steps_per_s,
            bench.num_envs,
            bench.steps_per_iteration / bench.num_envs.max(1),
            bench.collect_s,
            bench.learn_s,
            bench.overlap_collection,
            bench.allreduce_ms_per_update,
            bench.allreduce_bytes
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
    let comm = args.comm.clone();
    if comm.is_distributed() {
        runner.set_comm(comm.clone());
    }
    for _ in 0..args.warmup {
        runner.iterate()?;
    }
    let (mut rates, mut collect, mut learn) = (Vec::new(), Vec::new(), Vec::new());
    let (mut comm_ms, mut collect_comm_ms) = (Vec::new(), Vec::new());
    let (mut comm_bytes, mut comm_calls) = (0, 0);
    runner.comm().take_traffic();
    runner.collect_comm().take_traffic();
    for _ in 0..args.iterations {
        let s = runner.iterate()?;
        rates.push(s.steps_per_s as f64);
        collect.push(s.collect_s as f64);
        learn.push(s.learn_s as f64);
        let t = runner.comm().take_traffic();
        comm_ms.push(t.seconds * 1e3);
        comm_bytes = t.bytes;
        comm_calls = t.calls;
        collect_comm_ms.push(runner.collect_comm().take_traffic().seconds * 1e3);
    }
    let ranks = comm.size();
    let total = median(rates);
    Ok(TrainBench {
        task: config.task.clone(),
        device: args.device.clone().unwrap_or_else(|| "cpu".into()),
        num_envs: runner.venv.num_envs(),
        steps_per_iteration: runner.venv.num_envs() * config.ppo.num_steps_per_env,
        iterations: args.iterations,
        overlap_collection: config.runner.overlap_collection,
        steps_per_s: total,
        collect_s: median(collect),
        learn_s: median(learn),
        ranks,
        steps_per_s_total: total,
        steps_per_s_per_rank: total / ranks as f64,
        allreduce_ms_per_update: median(comm_ms),
        allreduce_bytes: comm_bytes,
        allreduce_calls_per_update: comm_calls,
        collect_allreduce_ms: median(collect_comm_ms),
    })
}
