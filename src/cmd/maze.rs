//! The `maze` task on the command line: Go-Explore's hard-exploration task for the quadruped.
//! Its envs from a training config (the walking skill read from its checkpoint), PPO training
//! (with an optional count-based bonus, `env.count_bonus`), and the evaluation without
//! restores, with the simulator's noise on.

use super::train::EvalArgs;
use anyhow::Context;
use policies::config::TrainConfig;
use policies::deploy::DeployPolicy;
use policies::explore::DeploySkill;
use policies::runner::evaluate;
use serde::Serialize;
use sim::env::{CountBonus, VecEnv};
use sim::tasks::confined_nav::{ConfinedNavConfig, Strategy};
use sim::tasks::maze::{MAZE_CELL_FEATURES, MazeConfig, MazeEnv};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The task's name on the command line.
pub(crate) const TASK: &str = "maze";

/// Everything a maze env is built from.
#[derive(Clone)]
pub(crate) struct MazeParts {
    /// `[env]`.
    pub task: MazeConfig,
    /// The walking skill's own `[env]` (a confined-navigation config).
    pub walking: ConfinedNavConfig,
    /// The robot.
    pub spec: Arc<robots::RobotSpec>,
    /// The walking skill.
    pub skill: DeployPolicy,
}

/// A path from a config: as written when it exists from here, else under the repository (the
/// folder above `assets/`), so configs work from any working directory.
fn repo_path(p: &str) -> PathBuf {
    let direct = PathBuf::from(p);
    if direct.exists() || direct.is_absolute() {
        return direct;
    }
    robots::assets_dir().join("..").join(p)
}

/// Reads `[env]` of `config` and the walking skill it names.
pub(crate) fn load(config: &TrainConfig) -> anyhow::Result<MazeParts> {
    let task: MazeConfig = config.env_config()?;
    task.validate()?;
    let skill_dir = repo_path(&task.skill);
    let dir = policies::deploy::resolve_checkpoint(&skill_dir)
        .with_context(|| format!("env.skill: {}", task.skill))?;
    let skill =
        DeployPolicy::load(&dir).with_context(|| format!("env.skill: {}", dir.display()))?;
    let skill_config = TrainConfig::load(&dir.join("config.toml"), &[])
        .with_context(|| format!("env.skill: {}", dir.display()))?;
    if skill_config.task != super::confined_nav::TASK {
        anyhow::bail!(
            "env.skill: {} was trained on '{}'; the maze walks with a confined-nav waypoint \
             follower",
            dir.display(),
            skill_config.task
        );
    }
    let walking: ConfinedNavConfig = skill_config
        .env_config()
        .with_context(|| format!("env.skill: {}/config.toml [env]", dir.display()))?;
    if walking.strategy != Strategy::Hierarchical {
        anyhow::bail!(
            "env.skill: {} follows {:?} targets; the maze needs a waypoint follower \
             (env.strategy = \"hierarchical\")",
            dir.display(),
            walking.strategy
        );
    }
    let robot = &walking.locomotion.robot;
    let spec = robots::load_builtin_or_path(robot)
        .with_context(|| format!("env.skill's robot '{robot}'"))?;
    Ok(MazeParts {
        task,
        walking,
        spec: Arc::new(spec),
        skill,
    })
}

impl MazeParts {
    /// One maze env with RNG seed `seed`.
    pub(crate) fn env(&self, seed: u64) -> Result<MazeEnv, sim::SimError> {
        MazeEnv::new(
            self.spec.clone(),
            &self.walking,
            self.task.clone(),
            Box::new(DeploySkill(self.skill.clone())),
            seed,
        )
    }

    /// `num_envs` maze envs with the count-based bonus of `env.count_bonus` (none at 0).
    pub(crate) fn venv(
        &self,
        num_envs: usize,
        seed: u64,
    ) -> anyhow::Result<VecEnv<CountBonus<MazeEnv>>> {
        let cells = self.task.cells.bind(MAZE_CELL_FEATURES, "env.cells")?;
        Ok(VecEnv::try_new(num_envs, |i| {
            Ok::<_, sim::SimError>(CountBonus::new(
                self.env(seed ^ i as u64)?,
                cells.clone(),
                self.task.count_bonus,
            ))
        })?)
    }
}

/// Maze envs for PPO from `config`.
pub(crate) fn maze_venv(
    config: &TrainConfig,
    num_envs: usize,
    seed: u64,
) -> anyhow::Result<VecEnv<CountBonus<MazeEnv>>> {
    load(config)?.venv(num_envs, seed)
}

/// What `embody eval maze --json` prints.
#[derive(Debug, Serialize)]
pub(crate) struct MazeEval {
    /// `maze`.
    pub task: &'static str,
    /// The checkpoint evaluated.
    pub checkpoint: String,
    /// Seed of the test episodes.
    pub seed: u64,
    /// Test episodes.
    pub episodes: usize,
    /// Share that reached the exit from the maze's start, no restores, noise on.
    pub success_rate: f32,
    /// Share that fell.
    pub fall_rate: f32,
    /// Mean episode length (maze steps).
    pub mean_episode_length: f32,
    /// Whether the simulator's noise was on.
    pub sim_noise: bool,
}

/// Success of `actor` from the maze's start (no restores) over `episodes` seeded episodes,
/// with the simulator's noise on.
pub(crate) fn evaluate_maze(
    actor: &mut DeployPolicy,
    parts: &MazeParts,
    episodes: usize,
    seed: u64,
) -> anyhow::Result<(f32, f32, f32)> {
    let mut parts = parts.clone();
    parts.task.sim_noise = true;
    parts.task.count_bonus = 0.0;
    let n = episodes.clamp(1, 32);
    let mut venv = VecEnv::try_new(n, |i| parts.env(seed ^ (i as u64) << 20))?;
    let max = parts.env(0)?.max_steps() as usize + 1;
    let per_env = episodes.div_ceil(n);
    let stats = evaluate(actor, &mut venv, episodes, max * per_env + 1)?;
    Ok((
        stats.success_rate.unwrap_or(0.0),
        stats.fall_rate.unwrap_or(0.0),
        stats.mean_episode_length,
    ))
}

/// `embody eval maze`: the share of `--episodes` seeded episodes that reach the exit.
pub(crate) fn eval_maze(
    actor: &mut DeployPolicy,
    config: &TrainConfig,
    args: &EvalArgs,
    dir: &Path,
) -> anyhow::Result<()> {
    let parts = load(config)?;
    let (success, fall, length) = evaluate_maze(actor, &parts, args.episodes, args.seed)?;
    let out = MazeEval {
        task: TASK,
        checkpoint: dir.display().to_string(),
        seed: args.seed,
        episodes: args.episodes,
        success_rate: success,
        fall_rate: fall,
        mean_episode_length: length,
        sim_noise: true,
    };
    if args.json {
        println!("{}", serde_json::to_string(&out)?);
    } else {
        println!(
            "maze: {} episodes from the start (noise on, no restores): success {:.3}, falls \
             {:.3}, mean length {:.1} steps",
            out.episodes, out.success_rate, out.fall_rate, out.mean_episode_length
        );
    }
    Ok(())
}

/// `embody explore maze`: phase 1 in the maze as `[env]` says (the shipped config turns the
/// simulator's noise off, as Go-Explore explores a deterministic simulator).
pub(crate) fn explore_maze(
    args: &super::explore::ExploreArgs,
    config: &TrainConfig,
    out: &Path,
) -> anyhow::Result<()> {
    let parts = load(config)?;
    let workers = config.explore_config()?.workers;
    let envs = (0..workers)
        .map(|i| parts.env(config.seed ^ i as u64))
        .collect::<Result<Vec<_>, _>>()?;
    // A separate env shows the maze and replays the best trajectory for the recording.
    let mut view_env = parts.env(config.seed)?;
    let mut obs = vec![0.0; sim::env::Env::obs_dim(&view_env)];
    sim::env::Env::reset(&mut view_env, &mut obs);
    let mut viz = super::maze_viz::MazeViz::open(args.rrd.as_deref(), &view_env)?;
    let (summary, explorer) =
        super::explore::explore_loop(envs, args, config, out, &mut |ex| viz.log_cells(ex))?;
    viz.finish(&explorer, &mut view_env)?;
    super::explore::print_explore(args, &summary)
}

/// File of the backward algorithm's state in a robustify checkpoint.
const BACKWARD_FILE: &str = "backward.json";

/// Moves the backward algorithm's starting point after each iteration; saves it with each
/// checkpoint.
struct BackwardHook(Arc<policies::explore::robustify::Backward>);

impl<E: sim::env::Env> super::train::LoopHook<E> for BackwardHook {
    fn after_iteration(
        &mut self,
        _runner: &mut policies::runner::OnPolicyRunner<E>,
    ) -> anyhow::Result<()> {
        self.0.advance();
        Ok(())
    }

    fn before_save(&mut self, dir: &Path) -> anyhow::Result<()> {
        let bytes = serde_json::to_vec_pretty(&self.0.state())?;
        policies::atomic_file::write_atomic(&dir.join(BACKWARD_FILE), &bytes)?;
        Ok(())
    }
}

/// What `embody robustify maze --json` prints: the archive's figures, the training run's and
/// the success rate from the maze's start without restores, with the simulator's noise on.
#[derive(Debug, Serialize)]
struct RobustifySummary {
    task: &'static str,
    archive: String,
    run_dir: String,
    cells: usize,
    best_score: f64,
    goal_reached: bool,
    env_steps: u64,
    archive_bytes: usize,
    demo_steps: usize,
    iterations: usize,
    train_env_steps: u64,
    start_point: usize,
    eval_seed: u64,
    episodes: usize,
    success_rate_without_restore: f32,
    fall_rate: f32,
    wall_s: f32,
}

/// `embody robustify maze --archive A`: the backward algorithm on the archive's best
/// trajectory, then the test from the start.
pub(crate) fn robustify_maze(
    args: &super::explore::RobustifyArgs,
    config: &TrainConfig,
    archive_dir: &Path,
    out: &Path,
) -> anyhow::Result<()> {
    use policies::explore::robustify::{Backward, BackwardState, DemoStarts, demo_from_archive};
    use policies::explore::{Archive, ExploreState};
    let started = std::time::Instant::now();
    // The demonstration is replayed in the env the search ran in.
    let explored = TrainConfig::load(&archive_dir.join("config.toml"), &[])?;
    let explored_parts = load(&explored)?;
    let archive_path = archive_dir.join(super::explore::ARCHIVE_FILE);
    let (archive, search): (Archive, ExploreState) = Archive::load(&archive_path)?;
    let mut env = explored_parts.env(explored.seed)?;
    let demo = Arc::new(demo_from_archive(&mut env, &archive).with_context(|| {
        format!(
            "replaying the best trajectory of {}",
            archive_path.display()
        )
    })?);
    let backward = Arc::new(Backward::new(config.robustify_config()?, demo.len()));
    let ckpt = policies::checkpoint::checkpoint_dir(out);
    if args.run.resume {
        let path = ckpt.join(BACKWARD_FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("--resume: reading {}", path.display()))?;
        let state: BackwardState =
            serde_json::from_str(&text).with_context(|| format!("--resume: {}", path.display()))?;
        backward.set_state(state);
    }
    // Training: the simulator's noise on, no bonus.
    let mut parts = load(config)?;
    parts.task.sim_noise = true;
    parts.task.count_bonus = 0.0;
    let seed = config.seed;
    let venv = VecEnv::try_new(config.runner.num_envs, |i| {
        Ok::<_, sim::SimError>(DemoStarts::new(
            parts.env(seed ^ i as u64)?,
            demo.clone(),
            backward.clone(),
            seed ^ (i as u64) << 32,
        ))
    })?;
    let device = policies::device::device_from_name(None)?;
    let mut runner = policies::runner::OnPolicyRunner::from_config(venv, config, &device)?;
    if args.run.resume {
        runner
            .resume(&ckpt)
            .with_context(|| format!("resuming from {}", ckpt.display()))?;
    }
    let viz_args = super::train_viz::RerunArgs::default();
    let mut viz = super::train_viz::TrainViz::open(&viz_args, &runner, out, args.run.json)?;
    let mut hook = BackwardHook(backward.clone());
    let trained =
        super::train::train_loop(&mut runner, config, out, args.run.json, &mut viz, &mut hook)?;
    // The test: from the start, no restores, noise on.
    let mut actor = DeployPolicy::load(&ckpt)?;
    let (success, fall, _) = evaluate_maze(&mut actor, &parts, args.episodes, args.eval_seed)?;
    let best = archive.best().map(|(_, e)| e.clone());
    let summary = RobustifySummary {
        task: TASK,
        archive: archive_dir.display().to_string(),
        run_dir: out.display().to_string(),
        cells: archive.len(),
        best_score: best.as_ref().map_or(0.0, |e| e.score),
        goal_reached: search.goal_found_at.is_some(),
        env_steps: search.env_steps,
        archive_bytes: archive.bytes(),
        demo_steps: demo.len(),
        iterations: trained.iterations,
        train_env_steps: trained.total_steps,
        start_point: backward.state().point,
        eval_seed: args.eval_seed,
        episodes: args.episodes,
        success_rate_without_restore: success,
        fall_rate: fall,
        wall_s: started.elapsed().as_secs_f32(),
    };
    if args.run.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!(
            "robustified the {}-step demonstration of {} in {} iterations ({} env steps; start \
             point now {}): success from the start without restores {:.3} over {} episodes \
             (noise on), falls {:.3}; run folder {}",
            summary.demo_steps,
            summary.archive,
            summary.iterations,
            summary.train_env_steps,
            summary.start_point,
            summary.success_rate_without_restore,
            summary.episodes,
            summary.fall_rate,
            summary.run_dir
        );
    }
    Ok(())
}
