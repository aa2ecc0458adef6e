//! `embody train` and `embody eval`: PPO on a task, checkpoints in a run folder, seeded evaluation.

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use policies::checkpoint;
use policies::config::TrainConfig;
use policies::deploy::DeployPolicy;
use policies::runner::{EvalStats, IterationStats, LocomotionEvalStats, OnPolicyRunner};
use serde::Serialize;
use sim::env::{Env, VecEnv};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `embody train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Task to train: cartpole, pendulum, locomotion or imitate.
    pub task: String,
    /// Configuration file (default: assets/configs/<task>.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Seed (overrides the config's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run folder (default: runs/<task>-<unix time>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override a config value, e.g. `--set ppo.learning_rate=3e-4` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// Continue the run in --out from its last checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Start from the weights (and observation statistics) of another run or checkpoint, with
    /// this run's config, a fresh optimiser and iteration 0: fine-tuning, e.g. a flat-ground
    /// policy on the rough-terrain curriculum.
    #[arg(long, value_name = "RUN_OR_CKPT", conflicts_with = "resume")]
    pub init_from: Option<PathBuf>,
    /// Compute device: cpu (default) or wgpu (needs the `wgpu` feature); else $BURN_DEVICE.
    #[arg(long)]
    pub device: Option<String>,
    /// The learner: `ppo` (default), or `grpo` (no critic: groups of rollouts from shared env
    /// snapshots, `[grpo]` section; the same env-step budget as PPO's `runner.max_iterations x
    /// runner.num_envs x ppo.num_steps_per_env`).
    #[arg(long, default_value = "ppo", value_parser = ["ppo", "grpo"])]
    pub algo: String,
    /// Print one JSON object with the final figures.
    #[arg(long)]
    pub json: bool,
    /// `imitate`: the motion clip (DeepMimic format), same as `--set env.clip=...`.
    #[arg(long, value_name = "FILE")]
    pub clip: Option<PathBuf>,
    /// `imitate`: the character file (DeepMimic format), same as `--set env.character=...`.
    #[arg(long, value_name = "FILE")]
    pub character: Option<PathBuf>,
    /// `bimanual`: the tasks to train on, comma-separated (transfer_cube, insertion; several
    /// train one multi-task policy), same as `--set env.tasks=[...]`.
    #[arg(long = "task", value_name = "TASKS")]
    pub bimanual_task: Option<String>,
    /// Rerun recording of the run.
    #[command(flatten)]
    pub viz: super::train_viz::RerunArgs,
    /// The job's processes (several under `mpirun` with the `mpi` feature).
    #[arg(skip)]
    pub comm: policies::collective::Comm,
}

/// Arguments of `embody eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Task to evaluate on: cartpole, pendulum, locomotion, imitate or confined-nav.
    pub task: String,
    /// A run folder, a checkpoint folder, or a model.bpk.
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Episodes in the test set.
    #[arg(long, default_value_t = 100)]
    pub episodes: usize,
    /// Terrain test set of `locomotion`: flat, rough, slope, stairs or rough_stairs.
    #[arg(long, default_value = "flat")]
    pub terrain: String,
    /// Seed of the test set (held out: training seeds its envs from the config seed).
    #[arg(long, default_value_t = 1_000_003)]
    pub seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// `imitate`: episode length in seconds (default 20); `confined-nav`: the time limit
    /// (default: the config's `env.episode_s`).
    #[arg(long)]
    pub episode_s: Option<f32>,
    /// `locomotion`: also write one JSON line per episode here (terrain, command, fall, survival,
    /// errors, where it ended).
    #[arg(long, value_name = "FILE")]
    pub episodes_out: Option<PathBuf>,
    /// `locomotion`: run the push test instead (0.2 s pulses on the base of a walking robot, 8
    /// directions x the magnitude bands; `--seed` seeds it, `--episodes` is ignored).
    #[arg(long)]
    pub push_test: bool,
    /// Push test: the magnitude bands in units of the robot's weight `m g`.
    #[arg(long, value_delimiter = ',', default_values_t = policies::runner::PUSH_BANDS_MG)]
    pub push_bands: Vec<f32>,
    /// Push test: episodes per band and direction.
    #[arg(long, default_value_t = 8)]
    pub push_repeats: usize,
    /// `confined-nav`: the end-to-end baseline's checkpoint (the goal only, no planner).
    #[arg(long, default_value = "assets/policies/confined_nav_e2e")]
    pub end_to_end: PathBuf,
    /// `confined-nav`: the velocity-skill baseline's walking policy, steered along the plan by
    /// velocity commands.
    #[arg(long, default_value = "assets/policies/locomotion_rough")]
    pub velocity_skill: PathBuf,
    /// `confined-nav`: held-out worlds to evaluate on (the first N of the 200).
    #[arg(long, default_value_t = sim::confined::TEST_WORLDS)]
    pub worlds: usize,
    /// `bimanual`: the student distilled from --checkpoint (`embody distill`), evaluated on
    /// the same episodes into `student_success_rate`.
    #[arg(long, value_name = "RUN_OR_CKPT")]
    pub student: Option<PathBuf>,
}

/// What a training run did (`embody train --json`).
#[derive(Serialize)]
pub(crate) struct TrainSummary {
    pub task: String,
    pub run_dir: PathBuf,
    pub iterations: usize,
    pub total_steps: u64,
    pub mean_return: f32,
    pub mean_episode_length: f32,
    pub wall_s: f32,
}

/// Runs `embody train`.
pub fn run_train(args: TrainArgs) -> anyhow::Result<()> {
    super::tasks::task(&args.task)?;
    let config_path = args.config.clone().unwrap_or_else(|| {
        robots::assets_dir()
            .join("configs")
            .join(format!("{}.toml", args.task))
    });
    // A resumed run continues with the configuration it was started with (plus new overrides).
    let resume_config = args
        .out
        .as_ref()
        .map(|out| checkpoint::checkpoint_dir(out).join("config.toml"))
        .filter(|p| args.resume && p.is_file());
    if args.resume && resume_config.is_none() {
        bail!("--resume needs --out pointing at a run folder with a checkpoint");
    }
    let mut overrides = args.overrides.clone();
    overrides.extend(super::imitate::file_overrides(&args));
    overrides.extend(super::bimanual::task_overrides(&args)?);
    let mut config =
        TrainConfig::load(resume_config.as_deref().unwrap_or(&config_path), &overrides)?;
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    let comm = &args.comm;
    let run_dir = match &args.out {
        Some(p) => p.clone(),
        None => {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            PathBuf::from("runs").join(format!("{}-{secs}", args.task))
        }
    };
    // Under MPI: rank 0's folder name, and the same resolved config on every rank.
    let run_dir = match comm.is_distributed() {
        true => PathBuf::from(
            String::from_utf8_lossy(
                &comm.all_gather_bytes(run_dir.to_string_lossy().as_bytes())[0],
            )
            .into_owned(),
        ),
        false => run_dir,
    };
    super::job::check_same_on_every_rank(comm, "config", &config.to_toml())?;
    config.runner.first_env = comm.rank() * config.runner.num_envs;
    if comm.is_root() {
        std::fs::create_dir_all(&run_dir)
            .with_context(|| format!("creating {}", run_dir.display()))?;
    }
    (super::tasks::task(&config.task)?.train)(&args, &config, &run_dir)
}

/// Trains the envs `venv` of a task (the registry's `train` entries call this).
pub(crate) fn train_task<E: Env + super::train_viz::VizEnv>(
    venv: VecEnv<E>,
    args: &TrainArgs,
    config: &TrainConfig,
    run_dir: &Path,
) -> anyhow::Result<()> {
    let device = policies::device::device_from_name(args.device.as_deref())?;
    let mut runner = OnPolicyRunner::from_config(venv, config, &device)?;
    let comm = args.comm.clone();
    if comm.is_distributed() {
        distributed_preflight(args, config, &comm)?;
        runner.set_comm(comm.clone());
    }
    if args.resume {
        let dir = checkpoint::checkpoint_dir(run_dir);
        let restored = runner
            .resume(&dir)
            .with_context(|| format!("resuming from {}", dir.display()))?;
        if !restored {
            eprintln!(
                "note: {} has no {}: the envs restart from a reseed (the run will not repeat \
                 the uninterrupted one exactly)",
                dir.display(),
                checkpoint::ROLLOUT_FILE
            );
        }
    } else if let Some(from) = &args.init_from {
        let dir = policies::deploy::resolve_checkpoint(from)?;
        let ckpt = checkpoint::load(&dir, runner.policy().device())
            .with_context(|| format!("initialising from {}", dir.display()))?;
        runner.init_weights_from(ckpt)?;
    }
    if args.algo == "grpo" {
        if args.resume {
            bail!(
                "--resume is not supported with --algo grpo (a GRPO run on a classic-control task takes seconds: start it again)"
            );
        }
        return grpo_train_loop(&mut runner, config, run_dir, args.json);
    }
    if comm.is_distributed() {
        // Same seed, same files: the ranks must start from the same weights.
        let checksum: f64 = policies::algo::flatten_parameters(runner.policy().model())
            .iter()
            .map(|&v| v as f64)
            .sum();
        super::job::check_same_on_every_rank(
            &comm,
            "starting weights (checksum)",
            &format!("{checksum:e}"),
        )?;
    }
    // Rank 0 records to Rerun.
    let no_viz = super::train_viz::RerunArgs::default();
    let viz_args = if comm.is_root() { &args.viz } else { &no_viz };
    let mut viz = super::train_viz::TrainViz::open(viz_args, &runner, run_dir, args.json)?;
    let summary = train_loop(
        &mut runner,
        config,
        run_dir,
        args.json,
        &mut viz,
        &mut NoHook,
    )?;
    if !comm.is_root() {
        return Ok(());
    }
    print_train_summary(&summary, args.json)
}

/// What data-parallel training does not support yet, refused before any rank starts.
fn distributed_preflight(
    args: &TrainArgs,
    config: &TrainConfig,
    comm: &policies::collective::Comm,
) -> anyhow::Result<()> {
    if args.algo != "ppo" {
        bail!(
            "--algo {} runs on one process; under mpirun only PPO is data-parallel",
            args.algo
        );
    }
    if config.runner.overlap_collection
        && config.runner.empirical_normalization
        && !comm.concurrent_channels()
    {
        bail!(
            "runner.overlap_collection with runner.empirical_normalization needs an MPI library \
             with MPI_THREAD_MULTIPLE (collection sums observation statistics while the learner \
             sums gradients); set runner.overlap_collection = false"
        );
    }
    Ok(())
}

/// What a training loop around PPO adds to it: work after each iteration (moving a
/// curriculum the runner does not know) and files saved with each checkpoint.
pub(crate) trait LoopHook<E: Env> {
    /// After each iteration, before its checkpoint.
    fn after_iteration(&mut self, runner: &mut OnPolicyRunner<E>) -> anyhow::Result<()> {
        let _ = runner;
        Ok(())
    }
    /// Before each checkpoint is written into `checkpoint_dir` (its `state.json` comes last).
    fn before_save(&mut self, checkpoint_dir: &Path) -> anyhow::Result<()> {
        let _ = checkpoint_dir;
        Ok(())
    }
}

/// Plain PPO: no hook.
pub(crate) struct NoHook;

impl<E: Env> LoopHook<E> for NoHook {}

/// GRPO on a robot task: group rollouts from shared env snapshots until PPO's env-step budget
/// is spent; metrics.csv (the PPO columns a learning curve needs), the learning-curve PNG and
/// a final checkpoint that `embody eval` reads.
fn grpo_train_loop<E: Env>(
    runner: &mut OnPolicyRunner<E>,
    config: &TrainConfig,
    run_dir: &Path,
    json: bool,
) -> anyhow::Result<()> {
    use rand::SeedableRng;
    let grpo = config.grpo_config()?;
    let budget =
        config.runner.max_iterations * config.runner.num_envs * config.ppo.num_steps_per_env;
    std::fs::write(run_dir.join("config.toml"), config.to_toml())?;
    let mut csv = String::from(
        "iteration,total_steps,mean_return,mean_episode_length,policy_loss,entropy,grad_norm\n",
    );
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(config.seed ^ 0x6770);
    let (mut steps, mut iteration) = (0usize, 0usize);
    let started = std::time::Instant::now();
    let mut last = policies::runner::GroupIterationStats::default();
    while steps < budget {
        last = policies::runner::grpo_iteration(runner, &grpo, &config.ppo, &mut rng)?;
        steps += last.env_steps;
        csv.push_str(&format!(
            "{iteration},{steps},{},{},{},{},{}\n",
            last.mean_return, last.mean_length, last.policy_loss, last.entropy, last.grad_norm
        ));
        iteration += 1;
        if !json {
            eprintln!(
                "grpo iteration {iteration}: {steps}/{budget} env steps, mean return {:.2}, length {:.1}",
                last.mean_return, last.mean_length
            );
        }
    }
    std::fs::write(run_dir.join("metrics.csv"), csv)?;
    runner.save_checkpoint(&checkpoint::checkpoint_dir(run_dir), config)?;
    super::plot::learning_curve(run_dir, &format!("{} (GRPO)", config.task)).ok();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "algo": "grpo",
                "task": config.task,
                "iterations": iteration,
                "total_steps": steps,
                "mean_return": last.mean_return,
                "mean_episode_length": last.mean_length,
                "train_s": started.elapsed().as_secs_f64(),
                "run_dir": run_dir,
            })
        );
    }
    Ok(())
}

/// The metrics.csv columns of each hosted agent, after `<name>_`.
const HOSTED_COLUMNS: [&str; 6] = [
    "mean_return",
    "policy_loss",
    "value_loss",
    "entropy",
    "kl",
    "learning_rate",
];

/// The metrics.csv columns of a constrained policy (the H-infinity disturber's constraint),
/// means over the rollout's steps under the constraint.
const CONSTRAINT_COLUMNS: [&str; 8] = [
    "cost",
    "cost_bound",
    "force_n",
    "cost_bound_ratio",
    "multiplier",
    "constraint_violation",
    "disturbed_task_reward",
    "disturbed_share",
];

/// The constraint columns' values of one iteration (empty for an unconstrained policy).
fn constraint_columns(update: &policies::algo::UpdateStats) -> String {
    match update.constraint {
        None => String::new(),
        Some(c) => format!(
            ",{},{},{},{},{},{},{},{}",
            c.cost,
            c.bound,
            c.force_n,
            c.ratio(),
            update.multiplier,
            c.violation(),
            c.task_reward,
            c.share
        ),
    }
}

/// PPO iterations until `runner.max_iterations`: metrics.csv, checkpoints every
/// `runner.save_interval`, the learning-curve PNG; `json` hides the progress bar.
pub(crate) fn train_loop<E: Env + super::train_viz::VizEnv>(
    runner: &mut OnPolicyRunner<E>,
    config: &TrainConfig,
    run_dir: &Path,
    json: bool,
    viz: &mut super::train_viz::TrainViz,
    hook: &mut dyn LoopHook<E>,
) -> anyhow::Result<TrainSummary> {
    // Under MPI rank 0 writes the run folder; every rank iterates and saves (snapshots travel
    // to rank 0).
    let root = runner.comm().is_root();
    let term_names = runner.reward_term_names();
    let mut csv = match root {
        true => Some(open_metrics(runner, &term_names, config, run_dir)?),
        false => None,
    };
    let total = config.runner.max_iterations;
    let bar = if json || !root {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} it  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_position(runner.iteration() as u64);
    let start = std::time::Instant::now();
    let mut last: Option<IterationStats> = None;
    while runner.iteration() < total {
        let s = runner.iterate()?;
        let u = &s.update;
        let terms: String = runner
            .reward_terms()
            .iter()
            .map(|(_, v)| format!(",{v}"))
            .collect();
        let levels = runner.curriculum_levels();
        let level_columns: String = levels.iter().map(|(_, v)| format!(",{v}")).collect();
        let hosted_columns: String = runner
            .hosted_stats()
            .iter()
            .map(|a| {
                let u = &a.update;
                format!(
                    ",{},{},{},{},{},{}",
                    a.mean_return, u.policy_loss, u.value_loss, u.entropy, u.kl, u.learning_rate
                )
            })
            .collect();
        let constraint = constraint_columns(u);
        if let Some(csv) = csv.as_mut() {
            writeln!(
                csv,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{}{terms}{level_columns}{hosted_columns}{constraint}",
                s.iteration,
                s.total_steps,
                s.mean_return,
                s.mean_episode_length,
                s.steps_per_s,
                s.collect_s,
                s.learn_s,
                u.policy_loss,
                u.value_loss,
                u.entropy,
                u.kl,
                u.grad_norm,
                u.learning_rate,
                u.mirror_loss
            )?;
        }
        viz.iteration(runner, &s)?;
        let level_message: String = levels
            .iter()
            .map(|(k, v)| format!("  {} {v:.2}", k.replace('_', " ")))
            .collect();
        bar.set_message(format!(
            "{:.0} steps/s  return {:.1}  length {:.0}{level_message}",
            s.steps_per_s, s.mean_return, s.mean_episode_length
        ));
        bar.inc(1);
        hook.after_iteration(runner)?;
        let done = runner.iteration();
        if done % config.runner.save_interval.max(1) == 0 || done == total {
            let dir = checkpoint::checkpoint_dir(run_dir);
            if root {
                std::fs::create_dir_all(&dir)?;
                hook.before_save(&dir)?;
            }
            runner.save_checkpoint(&dir, config)?;
        }
        last = Some(s);
    }
    bar.finish();
    viz.finish()?;
    drop(csv);
    if root && let Err(e) = super::plot::learning_curve(run_dir, &format!("PPO on {}", config.task))
    {
        eprintln!("warning: no learning-curve plot: {e:#}");
    }
    if root && let Err(e) = super::plot::constraint_curve(run_dir) {
        eprintln!("warning: no constraint plot: {e:#}");
    }
    let last = last.unwrap_or_default();
    Ok(TrainSummary {
        task: config.task.clone(),
        run_dir: run_dir.to_path_buf(),
        iterations: runner.iteration(),
        total_steps: last.total_steps,
        mean_return: last.mean_return,
        mean_episode_length: last.mean_episode_length,
        wall_s: start.elapsed().as_secs_f32(),
    })
}

/// Writes the run's `config.toml` and opens its `metrics.csv` for the rows of `runner`'s next
/// iterations: a new file with the header, or (resumed) the old one without the rows a killed
/// run wrote after its last checkpoint.
fn open_metrics<E: Env>(
    runner: &OnPolicyRunner<E>,
    term_names: &[&str],
    config: &TrainConfig,
    run_dir: &Path,
) -> anyhow::Result<std::fs::File> {
    std::fs::write(run_dir.join("config.toml"), config.to_toml())?;
    let csv_path = run_dir.join("metrics.csv");
    let new_csv = !csv_path.exists() || runner.iteration() == 0;
    if !new_csv {
        // Drop rows a killed run wrote after its last checkpoint; they are computed again.
        let text = std::fs::read_to_string(&csv_path)?;
        let keep: Vec<&str> = text
            .lines()
            .filter(|l| {
                l.split(',')
                    .next()
                    .and_then(|i| i.parse::<usize>().ok())
                    .is_none_or(|i| i < runner.iteration())
            })
            .collect();
        std::fs::write(&csv_path, keep.join("\n") + "\n")?;
    }
    let mut csv = std::fs::OpenOptions::new()
        .create(true)
        .append(!new_csv)
        .write(true)
        .truncate(new_csv)
        .open(&csv_path)?;
    // Per-step means of the task's named reward terms follow the fixed columns as `rew_<term>`
    // (rsl_rl logs them per episode as `Episode_Reward/<term>`).
    // Then the mean curriculum levels over the envs (legged_gym logs `terrain_level`).
    if new_csv {
        let terms: String = term_names.iter().map(|k| format!(",rew_{k}")).collect();
        let levels: String = runner
            .curriculum_levels()
            .iter()
            .map(|(k, _)| format!(",{k}"))
            .collect();
        // Then each hosted agent's figures, prefixed with its name.
        let hosted: String = runner
            .hosted_stats()
            .iter()
            .flat_map(|a| HOSTED_COLUMNS.map(|c| format!(",{}_{c}", a.name)))
            .collect();
        let constraint: String = match runner.policy().multiplier() {
            Some(_) => CONSTRAINT_COLUMNS.map(|c| format!(",{c}")).concat(),
            None => String::new(),
        };
        writeln!(
            csv,
            "iteration,total_steps,mean_return,mean_episode_length,steps_per_s,collect_s,learn_s,policy_loss,value_loss,entropy,kl,grad_norm,learning_rate,mirror_loss{terms}{levels}{hosted}{constraint}"
        )?;
    }
    Ok(csv)
}

/// Prints what a training run did (one JSON object with `json`).
fn print_train_summary(summary: &TrainSummary, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(summary)?);
    } else {
        println!(
            "trained {} for {} iterations ({} steps) in {:.1} s: mean return {:.1}; run folder {}",
            summary.task,
            summary.iterations,
            summary.total_steps,
            summary.wall_s,
            summary.mean_return,
            summary.run_dir.display()
        );
    }
    Ok(())
}

#[derive(Serialize)]
struct EvalSummary {
    task: String,
    checkpoint: PathBuf,
    seed: u64,
    #[serde(flatten)]
    stats: EvalStats,
}

/// Runs `embody eval`.
pub fn run_eval(args: EvalArgs) -> anyhow::Result<()> {
    let task = super::tasks::task(&args.task)?;
    let dir = checkpoint::resolve(&args.checkpoint)?;
    // The deploy runtime that ships (and that the ROS 2 node runs), not burn.
    let mut actor = DeployPolicy::load(&dir)?;
    let config = TrainConfig::load(&dir.join("config.toml"), &[])?;
    if config.task != args.task {
        bail!(
            "{} was trained on '{}', not '{}'",
            dir.display(),
            config.task,
            args.task
        );
    }
    (task.eval)(&mut actor, &config, &args, &dir)
}

/// Prints the figures of a classic-control eval.
pub(crate) fn print_eval(args: &EvalArgs, dir: &Path, stats: EvalStats) -> anyhow::Result<()> {
    let summary = EvalSummary {
        task: args.task.clone(),
        checkpoint: dir.to_path_buf(),
        seed: args.seed,
        stats,
    };
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!(
            "{}: {} episodes, mean return {:.1}, mean length {:.1}",
            summary.task, stats.episodes, stats.mean_return, stats.mean_episode_length
        );
    }
    Ok(())
}

#[derive(Serialize)]
struct LocomotionEvalSummary<'a> {
    task: &'a str,
    checkpoint: &'a Path,
    seed: u64,
    #[serde(flatten)]
    stats: &'a LocomotionEvalStats,
}

/// Prints the figures of a locomotion eval (and writes the episode records when asked).
/// Prints the push test's figures (one JSON object with `--json`).
pub(crate) fn print_push_test(
    args: &EvalArgs,
    dir: &Path,
    stats: &policies::runner::PushTestStats,
) -> anyhow::Result<()> {
    if args.json {
        #[derive(Serialize)]
        struct PushTestSummary<'a> {
            task: &'a str,
            checkpoint: &'a Path,
            #[serde(flatten)]
            stats: &'a policies::runner::PushTestStats,
        }
        let summary = PushTestSummary {
            task: &args.task,
            checkpoint: dir,
            stats,
        };
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!(
            "push test ({} episodes, {} directions x {} repeats per band, weight {:.1} N): falls {:.1}%, lin vel error under push {:.3} m/s",
            stats.episodes,
            policies::runner::PUSH_DIRECTIONS,
            stats.repeats,
            stats.weight_n,
            stats.fall_rate * 100.0,
            stats.lin_vel_error_under_push
        );
        for band in &stats.bands_mg {
            let key = format!("{band}mg");
            let rate = stats
                .fall_rate_by_band
                .get(&key)
                .copied()
                .unwrap_or(f32::NAN);
            println!(
                "  {key} ({:.0} N): falls {:.1}%",
                band * stats.weight_n,
                rate * 100.0
            );
        }
    }
    Ok(())
}

pub(crate) fn print_locomotion_eval(
    args: &EvalArgs,
    dir: &Path,
    stats: &LocomotionEvalStats,
) -> anyhow::Result<()> {
    if let Some(path) = &args.episodes_out {
        let mut lines = String::new();
        for record in &stats.per_episode {
            lines.push_str(&serde_json::to_string(record)?);
            lines.push('\n');
        }
        std::fs::write(path, lines)
            .with_context(|| format!("writing the episode records to {}", path.display()))?;
    }
    if args.json {
        let summary = LocomotionEvalSummary {
            task: &args.task,
            checkpoint: dir,
            seed: args.seed,
            stats,
        };
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!(
            "locomotion on {} ({} episodes, commands up to {:.2} m/s): lin vel error {:.3} m/s, yaw rate error {:.3} rad/s, falls {:.1}%, survival {:.1} s, cost of transport {:.2}",
            stats.terrain,
            stats.episodes,
            stats.max_command,
            stats.lin_vel_error,
            stats.yaw_rate_error,
            stats.fall_rate * 100.0,
            stats.survival_s,
            stats.cost_of_transport
        );
        if stats.by_terrain.len() > 1 {
            for t in &stats.by_terrain {
                println!(
                    "  {}: {} episodes, lin vel error {:.3} m/s, falls {:.1}%",
                    t.terrain,
                    t.episodes,
                    t.lin_vel_error,
                    t.fall_rate * 100.0
                );
            }
        }
    }
    Ok(())
}
