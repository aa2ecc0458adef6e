//! The `bimanual` task on the command line: ALOHA envs from a training config, the per-task
//! evaluation, `--task` of `embody train bimanual`, and `embody scripted`.

use super::train::{EvalArgs, TrainArgs};
use anyhow::Context;
use policies::config::TrainConfig;
use policies::deploy::DeployPolicy;
use policies::runner::{BimanualEvalStats, evaluate_bimanual};
use serde::Serialize;
use sim::env::VecEnv;
use sim::tasks::bimanual::{
    AlohaTask, BimanualAssets, BimanualConfig, BimanualEnv, aloha_dir, evaluate_scripted_transfer,
    read_aloha_scene,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The task's name in the registry.
pub(crate) const TASK: &str = "bimanual";

/// Bimanual envs from the `[env]` table of `config`.
pub(crate) fn bimanual_venv(
    config: &TrainConfig,
    num_envs: usize,
    seed: u64,
) -> anyhow::Result<VecEnv<BimanualEnv>> {
    let task: BimanualConfig = config.env_config()?;
    let assets = BimanualAssets::load(&task).context("reading the ALOHA scene files")?;
    Ok(VecEnv::try_new_at(
        config.runner.first_env,
        num_envs,
        |i| BimanualEnv::new(&assets, task.clone(), seed ^ i as u64),
    )?)
}

/// `embody eval bimanual --json`.
#[derive(Serialize)]
struct BimanualEval {
    task: &'static str,
    checkpoint: PathBuf,
    /// Success rate per task: the success level (4) held for `success_hold_steps` steps.
    success_rate: BTreeMap<&'static str, f32>,
    /// The same for the student (`--student`; `None` without one).
    student_success_rate: Option<BTreeMap<&'static str, f32>>,
    /// Per task: level 4 at any step (gym-aloha's count), drops, mean highest level, return.
    per_task: PerTask,
    /// The same for the student (`None` without one).
    student_per_task: Option<PerTask>,
    episodes: usize,
    seed: u64,
}

/// `embody eval bimanual`: `--episodes` episodes of each trained task from the held-out seed.
pub(crate) fn eval_bimanual(
    actor: &mut DeployPolicy,
    config: &TrainConfig,
    args: &EvalArgs,
    dir: &Path,
) -> anyhow::Result<()> {
    let trained: BimanualConfig = config.env_config()?;
    let (success_rate, per_task) = success_by_task(actor, &trained, args)?;
    let student = match &args.student {
        None => None,
        Some(path) => {
            let dir = policies::deploy::resolve_checkpoint(path)
                .with_context(|| format!("--student {}", path.display()))?;
            let mut student = DeployPolicy::load(&dir)
                .with_context(|| format!("loading the student from {}", dir.display()))?;
            let student_config = TrainConfig::load(&dir.join("config.toml"), &[])?;
            let taught: BimanualConfig = student_config.env_config()?;
            if taught.tasks != trained.tasks {
                anyhow::bail!(
                    "--student {}: trained on {:?}, the teacher on {:?}",
                    path.display(),
                    taught.tasks,
                    trained.tasks
                );
            }
            Some(success_by_task(&mut student, &taught, args)?)
        }
    };
    let (student_success_rate, student_per_task) = student.unzip();
    let out = BimanualEval {
        task: TASK,
        checkpoint: dir.to_path_buf(),
        success_rate,
        student_success_rate,
        per_task,
        student_per_task,
        episodes: args.episodes,
        seed: args.seed,
    };
    if args.json {
        println!("{}", serde_json::to_string(&out)?);
    } else {
        for (t, s) in &out.per_task {
            println!(
                "bimanual {t}: success {:.3} (level 4 at any step {:.3}), objects dropped {:.3}, \
                 mean highest level {:.2} ({} episodes, seed {})",
                s.success_rate,
                s.level4_rate,
                s.drop_rate,
                s.mean_max_level,
                out.episodes,
                out.seed
            );
        }
    }
    Ok(())
}

/// Figures of each task by name.
type PerTask = BTreeMap<&'static str, BimanualEvalStats>;

/// Success rate and figures per task of `actor` on `--episodes` held-out episodes of each task
/// of `trained` (each task on its own envs).
fn success_by_task(
    actor: &mut DeployPolicy,
    trained: &BimanualConfig,
    args: &EvalArgs,
) -> anyhow::Result<(BTreeMap<&'static str, f32>, PerTask)> {
    let mut success_rate = BTreeMap::new();
    let mut per_task = BTreeMap::new();
    for &t in &trained.tasks {
        let single = BimanualConfig {
            tasks: vec![t],
            ..trained.clone()
        };
        let assets = BimanualAssets::load(&single).context("reading the ALOHA scene files")?;
        let stats = evaluate_bimanual(actor, &assets, &single, args.episodes, args.seed)?;
        success_rate.insert(t.name(), stats.success_rate);
        per_task.insert(t.name(), stats);
    }
    Ok((success_rate, per_task))
}

/// `--task` of `embody train bimanual` as an `env.tasks` override.
pub(crate) fn task_overrides(args: &TrainArgs) -> anyhow::Result<Vec<String>> {
    let Some(list) = &args.bimanual_task else {
        return Ok(Vec::new());
    };
    let names: Vec<&str> = list.split(',').map(str::trim).collect();
    for n in &names {
        if !AlohaTask::ALL.iter().any(|t| t.name() == *n) {
            let known: Vec<&str> = AlohaTask::ALL.iter().map(|t| t.name()).collect();
            anyhow::bail!("--task: unknown bimanual task '{n}'; tasks: {known:?}");
        }
    }
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    Ok(vec![format!("env.tasks=[{}]", quoted.join(","))])
}

/// `embody scripted`: scripted policies that test a scene's physics.
#[derive(Debug, clap::Args)]
pub struct ScriptedArgs {
    /// The scripted task (transfer_cube: the ALOHA hand-over).
    pub task: String,
    /// Randomised episodes (cube positions as gym-aloha draws them).
    #[arg(long, default_value_t = 100)]
    pub episodes: usize,
    /// Seed of the cube positions.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Folder of the ALOHA files (default: ../shared/thirdparty/aloha).
    #[arg(long)]
    pub aloha_dir: Option<PathBuf>,
    /// Print one JSON object (with every episode).
    #[arg(long)]
    pub json: bool,
}

/// Runs `embody scripted`.
pub fn run_scripted(args: ScriptedArgs) -> anyhow::Result<()> {
    if args.task != AlohaTask::TransferCube.name() {
        anyhow::bail!(
            "no scripted policy for '{}'; scripted tasks: [\"transfer_cube\"]",
            args.task
        );
    }
    let dir = args.aloha_dir.clone().unwrap_or_else(aloha_dir);
    let spec = read_aloha_scene(&dir, AlohaTask::TransferCube)?;
    let start = std::time::Instant::now();
    let report = evaluate_scripted_transfer(&spec, args.episodes, args.seed)?;
    if args.json {
        let mut v = serde_json::to_value(&report)?;
        v["task"] = args.task.clone().into();
        v["wall_s"] = start.elapsed().as_secs_f32().into();
        println!("{v}");
    } else {
        println!(
            "scripted {}: {} episodes (seed {}): success (level 4) {:.3}, handed over and held \
             by the left alone at the end {:.3}",
            args.task, report.episodes, report.seed, report.success_rate, report.handed_over_rate
        );
    }
    Ok(())
}
