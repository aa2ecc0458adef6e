//! The supervised warm-up: next-token cross-entropy on the task's reference answers (the
//! prompt tokens are context, not targets), with PPO's and GRPO's optimiser step.

use super::checkpoint::{LmState, MetricsCsv, checkpoint_dir, load_init, load_resumable, save};
use super::eval::{Validation, encode_prompt};
use super::logprobs::{SequenceBatch, completion_logprobs};
use super::model::Gpt;
use super::run_config::LmRunConfig;
use super::tasks::{Split, draw, problem_set};
use super::tokenizer::EOS;
use crate::PolicyError;
use crate::algo::{new_adam, optimizer_step};
use burn::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How a warm-up run starts.
#[derive(Debug, Clone)]
pub enum Start {
    /// A new model from the config's seed.
    Fresh,
    /// Continue the run in the output folder from its checkpoint.
    Resume,
    /// Continue training another run's model (and its Adam state) in a new folder: the
    /// compute-matched supervised baseline of GRPO.
    InitFrom(PathBuf),
}

/// What a warm-up run reports.
#[derive(Debug, Clone, Serialize)]
pub struct PretrainSummary {
    /// The run folder.
    pub run_dir: PathBuf,
    /// Steps done (in total, resumes included).
    pub steps: usize,
    /// Wall seconds of training (in total).
    pub train_s: f64,
    /// Last step's loss (mean token cross-entropy).
    pub loss: f32,
    /// Greedy pass@1 on the validation split.
    pub validation_pass_at_1: f32,
}

/// Trains the warm-up for `config.pretrain.steps` steps, or until `max_seconds` of wall time
/// (checkpointing every `eval.interval` steps and at the end).
pub fn pretrain(
    config: &LmRunConfig,
    run_dir: &Path,
    start: Start,
    max_seconds: Option<f64>,
    device: &Device,
) -> Result<PretrainSummary, PolicyError> {
    let task = config.task();
    let tokenizer = config.tokenizer();
    let gpt = config.gpt_config();
    let train_dev = device.clone().autodiff();
    let ckpt = checkpoint_dir(run_dir);
    let (mut model, mut optim, mut state) = match &start {
        Start::Fresh => {
            let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
            let model = Gpt::new(&gpt, &train_dev, &mut rng);
            let state = LmState {
                phase: "pretrain".into(),
                step: 0,
                rng,
                elapsed_s: 0.0,
                init_from: None,
            };
            (model, new_adam(), state)
        }
        Start::Resume => {
            let r = load_resumable(&ckpt, &train_dev)?;
            (r.model, r.optim, r.state)
        }
        Start::InitFrom(from) => {
            let r = load_init(from, &gpt, &tokenizer, &train_dev)?;
            let state = LmState {
                phase: "pretrain".into(),
                step: 0,
                rng: ChaCha8Rng::seed_from_u64(config.seed ^ 0x5f7),
                elapsed_s: 0.0,
                init_from: Some(from.clone()),
            };
            (r.model, r.optim, state)
        }
    };
    std::fs::create_dir_all(run_dir).map_err(|e| PolicyError::File {
        path: run_dir.to_path_buf(),
        message: e.to_string(),
    })?;
    crate::atomic_file::write_atomic(&run_dir.join("config.toml"), config.to_toml().as_bytes())?;
    let keep = matches!(start, Start::Resume).then_some(state.step);
    let csv = MetricsCsv::open(
        run_dir,
        vec![
            "step",
            "loss",
            "grad_norm",
            "validation_pass_at_1",
            "elapsed_s",
            "tokens_per_s",
        ],
        keep,
    )?;
    let validation = Validation {
        task: task.as_ref(),
        tokenizer: &tokenizer,
        problems: problem_set(
            task.as_ref(),
            Split::Validation,
            config.eval.validation_problems,
            config.eval.validation_seed,
        ),
        max_new_tokens: config.grpo.sampling.max_new_tokens,
    };
    let p = &config.pretrain;
    let started = Instant::now();
    let base_elapsed = state.elapsed_s;
    let mut last_loss = f32::NAN;
    let mut val = f32::NAN;
    let out_of_time = |s: &LmState| max_seconds.is_some_and(|m| s.elapsed_s >= m);
    while state.step < p.steps && !out_of_time(&state) {
        let t0 = Instant::now();
        let mut prompts = Vec::with_capacity(p.batch_size);
        let mut answers = Vec::with_capacity(p.batch_size);
        for _ in 0..p.batch_size {
            let problem = draw(task.as_ref(), Split::Train, &mut state.rng);
            prompts.push(encode_prompt(&tokenizer, &problem)?);
            let mut a = tokenizer
                .encode(&problem.answer)
                .map_err(|e| PolicyError::config("task", e))?;
            a.push(EOS);
            answers.push(a);
        }
        let seqs =
            SequenceBatch::new(&prompts, &answers).map_err(|e| PolicyError::config("task", e))?;
        if seqs.width() > gpt.n_positions {
            return Err(PolicyError::config(
                "model.n_positions",
                format!(
                    "{} positions, but a prompt and its answer take {} tokens: raise it or lower task_size",
                    gpt.n_positions,
                    seqs.width()
                ),
            ));
        }
        let (logp, _) = completion_logprobs(&model, &seqs, &train_dev);
        let mask = seqs.mask_tensor(&train_dev);
        let tokens: f32 = seqs.mask.iter().sum();
        let loss = -(logp * mask).sum() / tokens.max(1.0);
        last_loss = loss.clone().into_scalar::<f32>();
        let (m, grad_norm) =
            optimizer_step(model, &mut optim, loss, p.learning_rate, p.max_grad_norm);
        model = m;
        state.step += 1;
        state.elapsed_s = base_elapsed + started.elapsed().as_secs_f64();
        let step_s = t0.elapsed().as_secs_f64();
        let done = state.step >= p.steps || out_of_time(&state);
        if state.step.is_multiple_of(config.eval.interval) || done {
            val = validation.score(&model.valid(), device)?;
            save(&ckpt, &model, &gpt, &tokenizer, &optim, &state)?;
        } else {
            val = f32::NAN;
        }
        csv.row(&[
            state.step as f64,
            last_loss as f64,
            grad_norm as f64,
            val as f64,
            state.elapsed_s,
            (seqs.rows() * seqs.width()) as f64 / step_s.max(1e-9),
        ])?;
    }
    if val.is_nan() {
        val = validation.score(&model.valid(), device)?;
    }
    Ok(PretrainSummary {
        run_dir: run_dir.to_path_buf(),
        steps: state.step,
        train_s: state.elapsed_s,
        loss: last_loss,
        validation_pass_at_1: val,
    })
}
