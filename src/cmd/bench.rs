//! `embody bench ...`: throughput benchmarks and comparisons against peer tools.

mod learner;
mod physics;
mod physics_mjcf;

use clap::Subcommand;

/// Benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Control steps per second of N standing robots stepped in parallel.
    Physics(physics::PhysicsArgs),
    /// PPO update throughput (samples/s) and batch-1 inference latency, against PyTorch.
    Learner(learner::LearnerArgs),
    /// The same quadruped in Rapier (here) and MuJoCo (bench/mujoco_physics.py), in one run.
    PhysicsVsMujoco(physics::VsMujocoArgs),
}

/// Runs a benchmark.
pub fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Physics(args) => physics::run(args),
        BenchCommand::Learner(args) => learner::run(args),
        BenchCommand::PhysicsVsMujoco(args) => physics::run_vs_mujoco(args),
    }
}

/// Median of a non-empty sample (the upper middle for even lengths).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
