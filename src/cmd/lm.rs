//! `embody lm ...`: language models on the RL core. `pretrain` (the supervised warm-up, or
//! continued supervised training from a run: GRPO's compute-matched baseline), `grpo`, and
//! `eval` (greedy pass@1, pass@k, completion lengths, examples on the held-out test split).

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use policies::lm::checkpoint::load_policy;
use policies::lm::tasks::{Split, problem_set, task_by_name};
use policies::lm::{LmRunConfig, Start, evaluate, pretrain, train_grpo};
use std::path::{Path, PathBuf};

/// `embody lm` subcommands.
#[derive(Debug, Subcommand)]
pub enum LmCommand {
    /// Supervised warm-up on the task's reference answers (or, with --init-from, continued
    /// supervised training of another run's model).
    Pretrain(PretrainArgs),
    /// GRPO from a warm-up run's model.
    Grpo(GrpoArgs),
    /// Score a run on the held-out test split.
    Eval(EvalArgs),
}

/// What every training subcommand takes.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The run's config (TOML).
    #[arg(long, default_value = "assets/configs/lm_countdown.toml")]
    pub config: PathBuf,
    /// Overrides, `key=value` (e.g. `seed=2`, `grpo.learning_rate=1e-5`).
    #[arg(long = "set")]
    pub overrides: Vec<String>,
    /// Shorthand for `--set seed=N`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// The run folder (default: runs/lm/<phase>-<task>-seed<seed>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue the run in --out from its checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `embody lm pretrain`.
#[derive(Debug, Args)]
pub struct PretrainArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Start from this run's model and Adam state (a new run in --out).
    #[arg(long, conflicts_with = "resume")]
    pub init_from: Option<PathBuf>,
    /// Stop after this many seconds of training (checkpointing first).
    #[arg(long)]
    pub max_seconds: Option<f64>,
}

/// `embody lm grpo`.
#[derive(Debug, Args)]
pub struct GrpoArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// The warm-up run (or checkpoint) GRPO starts from (not with --resume).
    #[arg(long, required_unless_present = "resume", conflicts_with = "resume")]
    pub init_from: Option<PathBuf>,
}

/// `embody lm eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A run folder or checkpoint folder (e.g. assets/policies/lm_countdown_grpo).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Test problems (default: the run's `eval.test_problems`).
    #[arg(long)]
    pub problems: Option<usize>,
    /// Seed of the test problems (default: the run's `eval.test_seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Samples per problem for pass@k (default: the run's `eval.k`).
    #[arg(long)]
    pub k: Option<usize>,
    /// `test` (held out, the default) or `validation` (the validation split, also never
    /// trained on, from `eval.validation_seed`: for choosing settings without the test set).
    #[arg(long, default_value = "test", value_parser = ["test", "validation"])]
    pub split: String,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

fn load_config(run: &RunArgs) -> anyhow::Result<LmRunConfig> {
    let mut overrides = run.overrides.clone();
    if let Some(s) = run.seed {
        overrides.push(format!("seed={s}"));
    }
    if run.resume {
        let out = run
            .out
            .as_ref()
            .context("--resume needs --out (the run folder to continue)")?;
        let path = out.join("config.toml");
        return Ok(LmRunConfig::load(&path, &overrides)?);
    }
    Ok(LmRunConfig::load(&run.config, &overrides)?)
}

fn out_dir(run: &RunArgs, phase: &str, config: &LmRunConfig) -> PathBuf {
    run.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "runs/lm/{phase}-{}-seed{}",
            config.task, config.seed
        ))
    })
}

fn print<T: serde::Serialize>(json: bool, value: &T) -> anyhow::Result<()> {
    let text = if json {
        serde_json::to_string(value)?
    } else {
        serde_json::to_string_pretty(value)?
    };
    println!("{text}");
    Ok(())
}

/// Runs an `embody lm` subcommand.
pub fn run(cmd: LmCommand) -> anyhow::Result<()> {
    let device = burn::prelude::Device::flex();
    match cmd {
        LmCommand::Pretrain(a) => {
            let config = load_config(&a.run)?;
            let out = out_dir(&a.run, "pretrain", &config);
            let start = match (&a.init_from, a.run.resume) {
                (Some(from), _) => Start::InitFrom(from.clone()),
                (None, true) => Start::Resume,
                (None, false) => Start::Fresh,
            };
            let summary = pretrain(&config, &out, start, a.max_seconds, &device)?;
            super::plot::lm_curve(&out).ok();
            print(a.run.json, &summary)
        }
        LmCommand::Grpo(a) => {
            let config = load_config(&a.run)?;
            let out = out_dir(&a.run, "grpo", &config);
            let summary = train_grpo(&config, &out, a.init_from.as_deref(), &device)?;
            super::plot::lm_curve(&out).ok();
            print(a.run.json, &summary)
        }
        LmCommand::Eval(a) => eval(a, &device),
    }
}

/// The run's config: `config.toml` in the run folder or beside the checkpoint folder.
fn run_config_of(checkpoint: &Path) -> anyhow::Result<LmRunConfig> {
    for dir in [Some(checkpoint), checkpoint.parent()]
        .into_iter()
        .flatten()
    {
        let path = dir.join("config.toml");
        if path.is_file() {
            return Ok(LmRunConfig::load(&path, &[])?);
        }
    }
    bail!(
        "{}: no config.toml in the run folder or beside the checkpoint",
        checkpoint.display()
    )
}

#[derive(serde::Serialize)]
struct EvalOut {
    task: String,
    checkpoint: PathBuf,
    split: String,
    seed: u64,
    #[serde(flatten)]
    report: policies::lm::EvalReport,
}

fn eval(a: EvalArgs, device: &burn::prelude::Device) -> anyhow::Result<()> {
    let config = run_config_of(&a.checkpoint)?;
    let (model, _, tokenizer) = load_policy(&a.checkpoint, device)?;
    let task = task_by_name(&config.task, config.task_size).map_err(anyhow::Error::msg)?;
    let (split, default_seed, default_n) = match a.split.as_str() {
        "validation" => (
            Split::Validation,
            config.eval.validation_seed,
            config.eval.validation_problems,
        ),
        _ => (
            Split::Test,
            config.eval.test_seed,
            config.eval.test_problems,
        ),
    };
    let seed = a.seed.unwrap_or(default_seed);
    let problems = problem_set(task.as_ref(), split, a.problems.unwrap_or(default_n), seed);
    let k = a.k.unwrap_or(config.eval.k);
    let report = evaluate(
        &model,
        &tokenizer,
        task.as_ref(),
        &problems,
        k,
        config.grpo.sampling.max_new_tokens,
        seed,
        device,
    )?;
    print(
        a.json,
        &EvalOut {
            task: config.task.clone(),
            checkpoint: a.checkpoint,
            split: a.split.clone(),
            seed,
            report,
        },
    )
}
