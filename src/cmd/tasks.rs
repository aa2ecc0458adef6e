//! The task registry: every task the command line knows, registered once. `train`, `eval`,
//! `play`, `checkpoint upgrade` and the training visualisation look tasks up here by name; no
//! other code matches on task names. A new task adds one entry (and its `VizEnv` impl).

use super::bench::train::{BenchTrainArgs, TrainBench, bench_task};
use super::explore::{ExploreArgs, RobustifyArgs};
use super::play::{PlayArgs, run_locomotion_play};
use super::train::{EvalArgs, TrainArgs, print_eval, print_locomotion_eval, train_task};
use anyhow::Context;
use policies::config::TrainConfig;
use policies::deploy::DeployPolicy;
use policies::runner::{evaluate, evaluate_locomotion};
use robots::contract::DeployContract;
use sim::env::{Env, VecEnv};
use sim::tasks::cartpole::{CartPoleConfig, CartPoleEnv};
use sim::tasks::locomotion::{DisturberConfig, LocomotionConfig, LocomotionEnv};
use sim::tasks::pendulum::{PendulumConfig, PendulumEnv};
use std::path::Path;

/// What the command line does with one task, without knowing its env type.
pub struct TaskEntry {
    /// The name on the command line and in configs (`task = "..."`).
    pub name: &'static str,
    /// One line for `--help` and error messages.
    pub about: &'static str,
    /// Trains with `config` into the run folder (`embody train`).
    pub train: fn(&TrainArgs, &TrainConfig, &Path) -> anyhow::Result<()>,
    /// Evaluates the deploy runtime of checkpoint folder `dir` trained with `config` on the
    /// task's held-out test set and prints the result (`embody eval`).
    pub eval: fn(&mut DeployPolicy, &TrainConfig, &EvalArgs, &Path) -> anyhow::Result<()>,
    /// The deploy contract of the task built from `config` (`checkpoint upgrade`).
    pub contract: fn(&TrainConfig) -> anyhow::Result<Option<DeployContract>>,
    /// Runs a policy interactively (`embody play`), for tasks that have a robot to steer.
    pub play: Option<fn(PlayArgs) -> anyhow::Result<()>>,
    /// Times the training loop (`embody bench train`).
    pub bench: fn(&BenchTrainArgs, &TrainConfig) -> anyhow::Result<TrainBench>,
    /// Go-Explore phase 1 into a run folder (`embody explore`), for tasks with snapshots and
    /// cell features.
    pub explore: Option<ExploreFn>,
    /// Go-Explore phase 2 from an archive's run folder into a run folder (`embody robustify`).
    pub robustify: Option<RobustifyFn>,
}

/// `embody explore TASK`: arguments, config, run folder.
pub type ExploreFn = fn(&ExploreArgs, &TrainConfig, &Path) -> anyhow::Result<()>;
/// `embody robustify TASK`: arguments, config, the archive's run folder, run folder.
pub type RobustifyFn = fn(&RobustifyArgs, &TrainConfig, &Path, &Path) -> anyhow::Result<()>;

/// Every task.
pub static TASKS: &[TaskEntry] = &[
    TaskEntry {
        name: "cartpole",
        about: "Rapier cart-pole balance (classic control)",
        train: |args, config, dir| {
            let (n, seed) = (config.runner.num_envs, config.seed);
            train_task(cartpole_venv(n, seed), args, config, dir)
        },
        eval: |actor, config, args, dir| {
            let steps = CartPoleConfig::default().max_steps;
            classic_eval(actor, cartpole_venv, steps, config, args, dir)
        },
        contract: |_| Ok(None),
        play: None,
        bench: |args, config| {
            let (n, seed) = (config.runner.num_envs, config.seed);
            bench_task(cartpole_venv(n, seed), args, config)
        },
        explore: None,
        robustify: None,
    },
    TaskEntry {
        name: "pendulum",
        about: "Rapier pendulum swing-up (classic control)",
        train: |args, config, dir| {
            let (n, seed) = (config.runner.num_envs, config.seed);
            train_task(pendulum_venv(n, seed), args, config, dir)
        },
        eval: |actor, config, args, dir| {
            let steps = PendulumConfig::default().max_steps;
            classic_eval(actor, pendulum_venv, steps, config, args, dir)
        },
        contract: |_| Ok(None),
        play: None,
        bench: |args, config| {
            let (n, seed) = (config.runner.num_envs, config.seed);
            bench_task(pendulum_venv(n, seed), args, config)
        },
        explore: None,
        robustify: None,
    },
    TaskEntry {
        name: "locomotion",
        about: "a legged robot following velocity commands (flat or rough terrain)",
        train: |args, config, dir| {
            let (n, seed) = (config.runner.num_envs, config.seed);
            train_task(locomotion_venv(config, n, seed)?, args, config, dir)
        },
        eval: |actor, config, args, dir| {
            let task: LocomotionConfig = config.env_config()?;
            let spec = std::sync::Arc::new(robots::load_builtin_or_path(&task.robot)?);
            if args.push_test {
                let stats = policies::runner::push_test(
                    actor,
                    spec,
                    &task,
                    &args.push_bands,
                    args.push_repeats,
                    args.seed,
                )?;
                return super::train::print_push_test(args, dir, &stats);
            }
            let stats =
                evaluate_locomotion(actor, spec, &task, &args.terrain, args.episodes, args.seed)?;
            print_locomotion_eval(args, dir, &stats)
        },
        contract: |config| Ok(locomotion_venv(config, 1, 0)?.envs()[0].contract()),
        play: Some(run_locomotion_play),
        bench: |args, config| {
            let (n, seed) = (config.runner.num_envs, config.seed);
            bench_task(locomotion_venv(config, n, seed)?, args, config)
        },
        explore: None,
        robustify: None,
    },
    TaskEntry {
        name: "imitate",
        about: "a DeepMimic character imitating a motion clip (--clip, --character)",
        train: |args, config, dir| {
            let (n, seed) = (config.runner.num_envs, config.seed);
            train_task(
                super::imitate::imitation_venv(config, n, seed)?,
                args,
                config,
                dir,
            )
        },
        eval: super::imitate::eval_imitation,
        contract: |_| Ok(None),
        play: Some(super::imitate_play::run_imitation_play),
        bench: |args, config| {
            let (n, seed) = (config.runner.num_envs, config.seed);
            bench_task(
                super::imitate::imitation_venv(config, n, seed)?,
                args,
                config,
            )
        },
        explore: None,
        robustify: None,
    },
    TaskEntry {
        name: super::confined_nav::TASK,
        about: "a legged robot through tunnels, under ceilings and around voids to a goal \
                (planner + learned waypoint follower, or end to end)",
        train: |args, config, dir| {
            let (n, seed) = (config.runner.num_envs, config.seed);
            train_task(
                super::confined_nav::confined_nav_venv(config, n, seed)?,
                args,
                config,
                dir,
            )
        },
        eval: super::confined_nav::eval_confined_nav,
        contract: |_| Ok(None),
        play: Some(super::confined_nav_play::run_confined_nav_play),
        bench: |args, config| {
            let (n, seed) = (config.runner.num_envs, config.seed);
            bench_task(
                super::confined_nav::confined_nav_venv(config, n, seed)?,
                args,
                config,
            )
        },
        explore: None,
        robustify: None,
    },
    TaskEntry {
        name: super::maze::TASK,
        about: "a legged robot looking for the exit of a maze, rewarded only there (Go-Explore's \
                hard-exploration task; walks with the confined-nav waypoint follower)",
        train: |args, config, dir| {
            let (n, seed) = (config.runner.num_envs, config.seed);
            train_task(super::maze::maze_venv(config, n, seed)?, args, config, dir)
        },
        eval: super::maze::eval_maze,
        contract: |_| Ok(None),
        play: None,
        bench: |args, config| {
            let (n, seed) = (config.runner.num_envs, config.seed);
            bench_task(super::maze::maze_venv(config, n, seed)?, args, config)
        },
        explore: Some(super::maze::explore_maze),
        robustify: Some(super::maze::robustify_maze),
    },
    TaskEntry {
        name: super::bimanual::TASK,
        about: "two ALOHA arms on gym-aloha's tasks (transfer_cube, insertion; --task), \
                joint position targets, the two-stage reward",
        train: |args, config, dir| {
            let (n, seed) = (config.runner.num_envs, config.seed);
            train_task(
                super::bimanual::bimanual_venv(config, n, seed)?,
                args,
                config,
                dir,
            )
        },
        eval: super::bimanual::eval_bimanual,
        contract: |_| Ok(None),
        play: Some(super::bimanual_play::run_bimanual_play),
        bench: |args, config| {
            let (n, seed) = (config.runner.num_envs, config.seed);
            bench_task(
                super::bimanual::bimanual_venv(config, n, seed)?,
                args,
                config,
            )
        },
        explore: None,
        robustify: None,
    },
    TaskEntry {
        name: super::handover::TASK,
        about: "two Shadow hands passing a block to a goal over the other palm (Bi-DexHands' \
                ShadowHandOver)",
        train: |args, config, dir| {
            let (n, seed) = (config.runner.num_envs, config.seed);
            train_task(
                super::handover::handover_venv(config, n, seed)?,
                args,
                config,
                dir,
            )
        },
        eval: super::handover::eval_handover,
        contract: |_| Ok(None),
        play: None,
        bench: |args, config| {
            let (n, seed) = (config.runner.num_envs, config.seed);
            bench_task(
                super::handover::handover_venv(config, n, seed)?,
                args,
                config,
            )
        },
        explore: None,
        robustify: None,
    },
];

fn cartpole_venv(num_envs: usize, seed: u64) -> VecEnv<CartPoleEnv> {
    VecEnv::new(num_envs, |i| {
        CartPoleEnv::new(CartPoleConfig::default(), seed ^ i as u64)
    })
}

fn pendulum_venv(num_envs: usize, seed: u64) -> VecEnv<PendulumEnv> {
    VecEnv::new(num_envs, |i| {
        PendulumEnv::new(PendulumConfig::default(), seed ^ i as u64)
    })
}

/// Locomotion envs from the `[env]` table of `config`.
pub(crate) fn locomotion_venv(
    config: &TrainConfig,
    num_envs: usize,
    seed: u64,
) -> anyhow::Result<VecEnv<LocomotionEnv>> {
    let task: LocomotionConfig = config.env_config()?;
    let spec = std::sync::Arc::new(
        robots::load_builtin_or_path(&task.robot)
            .with_context(|| format!("env.robot: loading '{}'", task.robot))?,
    );
    let terrain = sim::Terrain::new(task.terrain, seed);
    let disturber: Option<DisturberConfig> = config.disturber_config()?;
    let steps_per_iteration = config.ppo.num_steps_per_env as u32;
    Ok(VecEnv::try_new_at(
        config.runner.first_env,
        num_envs,
        |i| {
            let mut env =
                LocomotionEnv::new(spec.clone(), terrain.clone(), task.clone(), seed ^ i as u64)?;
            if let Some(d) = &disturber {
                env.set_disturber(d.clone(), steps_per_iteration)?;
            }
            Ok(env)
        },
    )?)
}

/// `embody eval` of a classic-control task: `make(n, seed)` builds the held-out envs, episodes
/// last at most `max_steps`.
fn classic_eval<E: Env>(
    actor: &mut DeployPolicy,
    make: fn(usize, u64) -> VecEnv<E>,
    max_steps: u32,
    config: &TrainConfig,
    args: &EvalArgs,
    dir: &Path,
) -> anyhow::Result<()> {
    let n = config.runner.num_envs.min(args.episodes.max(1));
    let steps = 100 * max_steps as usize;
    let stats = evaluate(actor, &mut make(n, args.seed), args.episodes, steps)?;
    print_eval(args, dir, stats)
}

/// The task called `name`; the error lists the tasks.
pub fn task(name: &str) -> anyhow::Result<&'static TaskEntry> {
    TASKS.iter().find(|t| t.name == name).ok_or_else(|| {
        let names: Vec<&str> = TASKS.iter().map(|t| t.name).collect();
        anyhow::anyhow!("unknown task '{name}'; tasks: {names:?}")
    })
}
