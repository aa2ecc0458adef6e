//! Scoring a language model on a problem set: greedy pass@1, pass@k at temperature 1, the mean
//! completion length, and example completions.

use super::model::Gpt;
use super::sampler::{SamplingConfig, generate};
use super::tasks::{Problem, Task};
use super::tokenizer::CharTokenizer;
use crate::PolicyError;
use burn::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Rows per generation batch while evaluating.
const EVAL_BATCH: usize = 256;

/// One scored completion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Example {
    /// The prompt.
    pub prompt: String,
    /// What the model answered (greedy).
    pub completion: String,
    /// Whether the verifier accepted it.
    pub correct: bool,
}

/// The scores of a model on a problem set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// Problems scored.
    pub problems: usize,
    /// Share solved by the greedy completion.
    pub pass_at_1: f32,
    /// Share solved by at least one of `k` completions at temperature 1.
    pub pass_at_k: f32,
    /// Samples per problem for pass@k.
    pub k: usize,
    /// Mean greedy completion length in tokens (its end-of-sequence included).
    pub mean_completion_len: f32,
    /// The first few problems with their greedy completions.
    pub examples: Vec<Example>,
}

/// The prompt's token ids (a task's prompts are always in its tokenizer's alphabet; the error
/// names the prompt otherwise).
pub fn encode_prompt(
    tokenizer: &CharTokenizer,
    problem: &Problem,
) -> Result<Vec<u32>, PolicyError> {
    tokenizer
        .encode(&problem.prompt)
        .map_err(|e| PolicyError::config("task", e))
}

/// Greedy completions of `problems` (text, correct, tokens).
pub fn greedy_scores(
    model: &Gpt,
    tokenizer: &CharTokenizer,
    task: &dyn Task,
    problems: &[Problem],
    max_new_tokens: usize,
    device: &Device,
) -> Result<Vec<(String, bool, usize)>, PolicyError> {
    let mut out = Vec::with_capacity(problems.len());
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    for chunk in problems.chunks(EVAL_BATCH) {
        let prompts = chunk
            .iter()
            .map(|p| encode_prompt(tokenizer, p))
            .collect::<Result<Vec<_>, _>>()?;
        let done = generate(
            model,
            &prompts,
            &SamplingConfig::greedy(max_new_tokens),
            &mut rng,
            device,
        )
        .map_err(|e| PolicyError::config("model.n_positions", e))?;
        for (p, c) in chunk.iter().zip(done) {
            let text = tokenizer.decode(&c.tokens);
            out.push((text.clone(), task.is_correct(p, &text), c.tokens.len()));
        }
    }
    Ok(out)
}

/// Greedy pass@1 of `problems` (what training watches on its validation set).
pub fn pass_at_1(
    model: &Gpt,
    tokenizer: &CharTokenizer,
    task: &dyn Task,
    problems: &[Problem],
    max_new_tokens: usize,
    device: &Device,
) -> Result<f32, PolicyError> {
    let scores = greedy_scores(model, tokenizer, task, problems, max_new_tokens, device)?;
    Ok(scores.iter().filter(|s| s.1).count() as f32 / scores.len().max(1) as f32)
}

/// The validation set a training loop watches: greedy pass@1 of a model on fixed problems.
pub struct Validation<'a> {
    /// The task.
    pub task: &'a dyn Task,
    /// Its tokenizer.
    pub tokenizer: &'a CharTokenizer,
    /// The problems (the validation split).
    pub problems: Vec<Problem>,
    /// Completion length limit.
    pub max_new_tokens: usize,
}

impl Validation<'_> {
    /// Greedy pass@1 of `model` on the set.
    pub fn score(&self, model: &Gpt, device: &Device) -> Result<f32, PolicyError> {
        pass_at_1(
            model,
            self.tokenizer,
            self.task,
            &self.problems,
            self.max_new_tokens,
            device,
        )
    }
}

/// Scores `model` on `problems`: greedy pass@1, and pass@k from `k` samples per problem at
/// temperature 1 drawn from `seed`.
pub fn evaluate(
    model: &Gpt,
    tokenizer: &CharTokenizer,
    task: &dyn Task,
    problems: &[Problem],
    k: usize,
    max_new_tokens: usize,
    seed: u64,
    device: &Device,
) -> Result<EvalReport, PolicyError> {
    let greedy = greedy_scores(model, tokenizer, task, problems, max_new_tokens, device)?;
    let mut solved_k = vec![false; problems.len()];
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let sampling = SamplingConfig {
        temperature: 1.0,
        top_k: 0,
        top_p: 1.0,
        max_new_tokens,
        min_new_tokens: 0,
    };
    let per = (EVAL_BATCH / k.max(1)).max(1);
    for (c, chunk) in problems.chunks(per).enumerate() {
        let mut prompts = Vec::with_capacity(chunk.len() * k);
        for p in chunk {
            let ids = encode_prompt(tokenizer, p)?;
            prompts.extend(std::iter::repeat_n(ids, k));
        }
        let done = generate(model, &prompts, &sampling, &mut rng, device)
            .map_err(|e| PolicyError::config("model.n_positions", e))?;
        for (i, completion) in done.iter().enumerate() {
            let p = &chunk[i / k];
            if task.is_correct(p, &tokenizer.decode(&completion.tokens)) {
                solved_k[c * per + i / k] = true;
            }
        }
    }
    let n = problems.len().max(1) as f32;
    Ok(EvalReport {
        problems: problems.len(),
        pass_at_1: greedy.iter().filter(|g| g.1).count() as f32 / n,
        pass_at_k: solved_k.iter().filter(|s| **s).count() as f32 / n,
        k,
        mean_completion_len: greedy.iter().map(|g| g.2 as f32).sum::<f32>() / n,
        examples: problems
            .iter()
            .zip(&greedy)
            .take(8)
            .map(|(p, g)| Example {
                prompt: p.prompt.clone(),
                completion: g.0.clone(),
                correct: g.1,
            })
            .collect(),
    })
}
