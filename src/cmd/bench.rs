//! `embody bench ...`: throughput benchmarks and comparisons against peer tools.

pub(crate) mod allreduce;
mod confined_plan;
mod gemm_ceiling;
mod grpo;
mod learner;
mod physics;
mod physics_mjcf;
pub(crate) mod train;

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
    /// Whole-loop training throughput of a task (env steps/s), split into collection and
    /// learning.
    Train(train::BenchTrainArgs),
    /// GRPO throughput (completions/s, tokens/s; generation and update apart) against TRL's
    /// GRPOTrainer (bench/trl_grpo.py), same model shape and thread count, in one run.
    Grpo(grpo::BenchGrpoArgs),
    /// The confined-space planner on the held-out worlds, one core: grid build, plan from the
    /// start, and replans from points beside the path (median, p95, max ms).
    ConfinedPlan(confined_plan::ConfinedPlanArgs),
    /// Under `mpirun`: one all-reduce's time against its size on the job's ranks, with the
    /// latency and bandwidth fitted to it (the figures larger jobs are projected from).
    Allreduce(allreduce::BenchAllreduceArgs),
}

/// Runs a benchmark.
pub fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Physics(args) => physics::run(args),
        BenchCommand::Learner(args) => learner::run(args),
        BenchCommand::PhysicsVsMujoco(args) => physics::run_vs_mujoco(args),
        BenchCommand::Train(args) => train::run(args),
        BenchCommand::Grpo(args) => grpo::run(args),
        BenchCommand::ConfinedPlan(args) => confined_plan::run(args),
        BenchCommand::Allreduce(args) => allreduce::run(args),
    }
}

/// Runs a MuJoCo peer script (`bench/<script>`) with `python` and `args`, and parses the one
/// JSON object it prints; errors carry the peer's stderr.
fn run_mujoco_peer(
    python: &str,
    script: &str,
    args: &[std::ffi::OsString],
) -> anyhow::Result<serde_json::Value> {
    use anyhow::Context;
    let script = robots::assets_dir().join("../bench").join(script);
    let output = std::process::Command::new(python)
        .arg(&script)
        .args(args)
        .output()
        .with_context(|| format!("running {python} {}", script.display()))?;
    if !output.status.success() {
        anyhow::bail!(
            "the MuJoCo peer failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    serde_json::from_slice(&output.stdout).context("parsing the MuJoCo peer's JSON")
}

/// Median of a non-empty sample (the upper middle for even lengths).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
