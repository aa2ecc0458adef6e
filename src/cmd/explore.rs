//! `embody explore TASK` (Go-Explore phase 1: the archive) and `embody robustify TASK --archive
//! A` (phase 2: the backward algorithm from the archive's best trajectory). Both read the task's
//! config (`[env]`, `[explore]`, `[robustify]`, and `[ppo]`/`[runner]`/`[policy]` for phase 2)
//! and write a run folder.

use anyhow::{Context, bail};
use clap::Args;
use policies::config::TrainConfig;
use policies::explore::{ExploreRound, Explorer};
use serde::Serialize;
use sim::env::CellFeatures;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Options both Go-Explore phases take: config, seed, run folder, overrides, resume, JSON.
#[derive(Debug, Args)]
pub struct PhaseOptions {
    /// Configuration file (explore: assets/configs/<task>.toml; robustify: the archive run's
    /// config.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Seed (overrides the config's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run folder (default: runs/<explore|robustify>-<task>-<unix time>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override a config value, e.g. `--set explore.max_env_steps=50000` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// Continue the run in --out from what it saved (the archive, or the last checkpoint).
    #[arg(long)]
    pub resume: bool,
    /// Print one JSON object with the final figures.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `embody explore`.
#[derive(Debug, Args)]
pub struct ExploreArgs {
    /// Task to explore (one with snapshots and cell features): maze.
    pub task: String,
    /// Config, seed, run folder, overrides, resume, JSON.
    #[command(flatten)]
    pub run: PhaseOptions,
    /// Save a Rerun recording of the archive's cells in 3D to FILE (.rrd); needs the `rerun`
    /// feature.
    #[arg(long, value_name = "FILE")]
    pub rrd: Option<PathBuf>,
}

/// Arguments of `embody robustify`.
#[derive(Debug, Args)]
pub struct RobustifyArgs {
    /// Task: maze.
    pub task: String,
    /// The phase-1 run folder (or its archive.cbor.gz).
    #[arg(long)]
    pub archive: PathBuf,
    /// Config, seed, run folder, overrides, resume, JSON.
    #[command(flatten)]
    pub run: PhaseOptions,
    /// Test episodes from the task's start, without restores and with the simulator's noise,
    /// measured at the end.
    #[arg(long, default_value_t = 50)]
    pub episodes: usize,
    /// Seed of the test episodes (held out from training's).
    #[arg(long, default_value_t = 1_000_003)]
    pub eval_seed: u64,
}

/// File of the archive in a phase-1 run folder.
pub(crate) const ARCHIVE_FILE: &str = "archive.cbor.gz";

/// What `embody explore --json` prints.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ExploreSummary {
    pub task: String,
    pub seed: u64,
    pub run_dir: PathBuf,
    pub rounds: u64,
    pub cells: usize,
    pub best_score: f64,
    pub goal_reached: bool,
    /// Env steps spent when the goal was first reached.
    pub goal_found_at_step: Option<u64>,
    pub env_steps: u64,
    pub archive_bytes: usize,
    pub archive_max_bytes: usize,
    /// Steps of the best trajectory.
    pub best_trajectory_steps: u32,
    pub wall_s: f32,
}

fn default_out(kind: &str, task: &str) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    PathBuf::from("runs").join(format!("{kind}-{task}-{secs}"))
}

/// Runs `embody explore`.
pub fn run_explore(args: ExploreArgs) -> anyhow::Result<()> {
    let entry = super::tasks::task(&args.task)?;
    let Some(explore) = entry.explore else {
        bail!(
            "task '{}' cannot be explored (it needs snapshots and cell features); tasks that \
             can: {:?}",
            args.task,
            super::tasks::TASKS
                .iter()
                .filter(|t| t.explore.is_some())
                .map(|t| t.name)
                .collect::<Vec<_>>()
        );
    };
    let out = args
        .run
        .out
        .clone()
        .unwrap_or_else(|| default_out("explore", &args.task));
    let saved = out.join("config.toml");
    if args.run.resume && !out.join(ARCHIVE_FILE).is_file() {
        bail!(
            "--resume: {} has no {ARCHIVE_FILE} (start the search without --resume)",
            out.display()
        );
    }
    let path = match (&args.run.config, args.run.resume) {
        (None, true) => saved.clone(),
        (Some(p), _) => p.clone(),
        (None, false) => robots::assets_dir()
            .join("configs")
            .join(format!("{}.toml", args.task)),
    };
    let mut config = TrainConfig::load(&path, &args.run.overrides)?;
    if let Some(seed) = args.run.seed {
        config.seed = seed;
    }
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    std::fs::write(&saved, config.to_toml())?;
    explore(&args, &config, &out)
}

/// Phase 1 over `envs` (one per worker): rounds until the budget is spent, the archive saved
/// every `explore.save_every` rounds (then `on_save` sees the explorer), a CSV row per round,
/// the PNG and the summary at the end. Returns the explorer too, for views of the archive.
pub(crate) fn explore_loop<E: CellFeatures>(
    envs: Vec<E>,
    args: &ExploreArgs,
    config: &TrainConfig,
    out: &Path,
    on_save: &mut dyn FnMut(&Explorer<E>) -> anyhow::Result<()>,
) -> anyhow::Result<(ExploreSummary, Explorer<E>)> {
    let ex_config = config.explore_config()?;
    let archive_path = out.join(ARCHIVE_FILE);
    let mut explorer = if args.run.resume {
        Explorer::resume(envs, ex_config, &archive_path)?
    } else {
        Explorer::new(envs, ex_config, config.seed)?
    };
    let csv_path = out.join("explore.csv");
    let fresh = explorer.state().round == 0;
    if !fresh && csv_path.is_file() {
        // Keep the rows up to the saved round; later ones are computed again.
        let text = std::fs::read_to_string(&csv_path)?;
        let round = explorer.state().round;
        let keep: Vec<&str> = text
            .lines()
            .filter(|l| {
                l.split(',')
                    .next()
                    .and_then(|r| r.parse::<u64>().ok())
                    .is_none_or(|r| r <= round)
            })
            .collect();
        std::fs::write(&csv_path, keep.join("\n") + "\n")?;
    }
    let mut csv = std::fs::OpenOptions::new()
        .create(true)
        .append(!fresh)
        .write(true)
        .truncate(fresh)
        .open(&csv_path)?;
    if fresh {
        writeln!(
            csv,
            "round,env_steps,cells,best_score,goal_reached,archive_mb,updates"
        )?;
        write_row(&mut csv, &explorer.figures(0))?;
    }
    let started = std::time::Instant::now();
    while !explorer.done() {
        let r = explorer.round()?;
        write_row(&mut csv, &r)?;
        if !args.run.json && (r.round.is_multiple_of(10) || r.updates > 0 && r.goal_reached) {
            eprintln!(
                "round {}: {} env steps, {} cells, best score {:.2}{}, archive {:.1} MB",
                r.round,
                r.env_steps,
                r.cells,
                r.best_score,
                if r.goal_reached {
                    " (goal reached)"
                } else {
                    ""
                },
                r.archive_bytes as f64 / 1e6
            );
        }
        if explorer.save_due() {
            csv.flush()?;
            explorer.save(&archive_path)?;
            on_save(&explorer)?;
        }
    }
    csv.flush()?;
    explorer.save(&archive_path)?;
    if let Err(e) = super::plot::explore_curve(out) {
        eprintln!("warning: no explore plot: {e:#}");
    }
    let f = explorer.figures(0);
    let best_len = explorer.archive().best().map_or(0, |(_, e)| e.traj_len);
    let summary = ExploreSummary {
        task: args.task.clone(),
        seed: config.seed,
        run_dir: out.to_path_buf(),
        rounds: f.round,
        cells: f.cells,
        best_score: f.best_score,
        goal_reached: f.goal_reached,
        goal_found_at_step: explorer.state().goal_found_at,
        env_steps: f.env_steps,
        archive_bytes: f.archive_bytes,
        archive_max_bytes: explorer.archive().max_bytes(),
        best_trajectory_steps: best_len,
        wall_s: started.elapsed().as_secs_f32(),
    };
    Ok((summary, explorer))
}

fn write_row(csv: &mut std::fs::File, r: &ExploreRound) -> anyhow::Result<()> {
    writeln!(
        csv,
        "{},{},{},{},{},{},{}",
        r.round,
        r.env_steps,
        r.cells,
        r.best_score,
        r.goal_reached as u8,
        r.archive_bytes as f64 / 1e6,
        r.updates
    )?;
    Ok(())
}

/// Prints the summary of a search.
pub(crate) fn print_explore(args: &ExploreArgs, s: &ExploreSummary) -> anyhow::Result<()> {
    if args.run.json {
        println!("{}", serde_json::to_string(s)?);
    } else {
        println!(
            "explored {} for {} env steps in {:.0} s: {} cells, best score {:.2}{}, archive {:.1} \
             MB of {:.0}; run folder {}",
            s.task,
            s.env_steps,
            s.wall_s,
            s.cells,
            s.best_score,
            match s.goal_found_at_step {
                Some(at) => format!(" (goal first reached after {at} env steps)"),
                None => " (goal not reached)".into(),
            },
            s.archive_bytes as f64 / 1e6,
            s.archive_max_bytes as f64 / 1e6,
            s.run_dir.display()
        );
    }
    Ok(())
}

/// Runs `embody robustify`.
pub fn run_robustify(args: RobustifyArgs) -> anyhow::Result<()> {
    let entry = super::tasks::task(&args.task)?;
    let Some(robustify) = entry.robustify else {
        bail!("task '{}' has no robustification", args.task);
    };
    let archive_dir = if args.archive.is_file() {
        args.archive
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    } else {
        args.archive.clone()
    };
    if !archive_dir.join(ARCHIVE_FILE).is_file() {
        bail!(
            "--archive {}: no {ARCHIVE_FILE} there (run `embody explore {}` first)",
            args.archive.display(),
            args.task
        );
    }
    let out = args
        .run
        .out
        .clone()
        .unwrap_or_else(|| default_out("robustify", &args.task));
    let resume_config = policies::checkpoint::checkpoint_dir(&out).join("config.toml");
    let path = match (&args.run.config, args.run.resume && resume_config.is_file()) {
        (_, true) => resume_config,
        (Some(p), false) => p.clone(),
        (None, false) => archive_dir.join("config.toml"),
    };
    if args.run.resume && !policies::checkpoint::checkpoint_dir(&out).is_dir() {
        bail!("--resume needs --out pointing at a robustify run with a checkpoint");
    }
    let mut config = TrainConfig::load(&path, &args.run.overrides)?;
    if let Some(seed) = args.run.seed {
        config.seed = seed;
    }
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    robustify(&args, &config, &archive_dir, &out)
}
