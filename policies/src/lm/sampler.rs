//! Batched autoregressive sampling with a key/value cache: greedy, or temperature with top-k
//! and top-p (nucleus) filtering, drawn on the host from a seeded RNG.

use super::model::{Gpt, GptInput};
use super::tokenizer::{EOS, PAD};
use burn::prelude::*;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// How tokens are drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SamplingConfig {
    /// Softmax temperature; 0 picks the most likely token (greedy).
    pub temperature: f32,
    /// Keep only the k most likely tokens (0: all).
    pub top_k: usize,
    /// Keep the smallest set of most likely tokens whose probability reaches p (1: all).
    pub top_p: f32,
    /// Longest completion, in tokens (its end-of-sequence included); also capped by the
    /// model's positions.
    pub max_new_tokens: usize,
    /// End-of-sequence is not drawn before this many tokens (Hugging Face's `min_new_tokens`;
    /// equal to `max_new_tokens`, every completion has the same length: throughput benchmarks).
    pub min_new_tokens: usize,
}

impl Default for SamplingConfig {
    fn default() -> Self {
        Self {
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
            max_new_tokens: 16,
            min_new_tokens: 0,
        }
    }
}

impl SamplingConfig {
    /// Greedy decoding of up to `max_new_tokens`.
    pub fn greedy(max_new_tokens: usize) -> Self {
        Self {
            temperature: 0.0,
            max_new_tokens,
            ..Self::default()
        }
    }

    /// Checks the values; the error names the key.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.temperature >= 0.0 && self.temperature.is_finite()) {
            return Err(format!(
                "sampling.temperature must be >= 0, got {}",
                self.temperature
            ));
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return Err(format!(
                "sampling.top_p must be in (0, 1], got {}",
                self.top_p
            ));
        }
        if self.max_new_tokens == 0 {
            return Err("sampling.max_new_tokens must be positive".into());
        }
        Ok(())
    }
}

/// One sampled completion.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// Token ids, ending with end-of-sequence unless truncated.
    pub tokens: Vec<u32>,
    /// Whether it hit the length limit before an end-of-sequence.
    pub truncated: bool,
}

/// Index of the largest value (the first on ties).
fn argmax(x: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in x.iter().enumerate() {
        if v > x[best] {
            best = i;
        }
    }
    best
}

/// Draws a token from one row of logits (padding is never drawn; end-of-sequence not when
/// `allow_eos` is false).
pub fn sample_token(
    logits: &[f32],
    config: &SamplingConfig,
    allow_eos: bool,
    rng: &mut ChaCha8Rng,
) -> u32 {
    let mut logits = logits.to_vec();
    if let Some(p) = logits.get_mut(PAD as usize) {
        *p = f32::NEG_INFINITY;
    }
    if !allow_eos && let Some(p) = logits.get_mut(EOS as usize) {
        *p = f32::NEG_INFINITY;
    }
    if config.temperature == 0.0 {
        return argmax(&logits) as u32;
    }
    let mut order: Vec<usize> = (0..logits.len()).collect();
    order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]));
    let keep = if config.top_k > 0 {
        config.top_k.min(order.len())
    } else {
        order.len()
    };
    order.truncate(keep);
    let top = logits[order[0]];
    let mut probs: Vec<f32> = order
        .iter()
        .map(|&i| ((logits[i] - top) / config.temperature).exp())
        .collect();
    let total: f32 = probs.iter().sum();
    probs.iter_mut().for_each(|p| *p /= total);
    if config.top_p < 1.0 {
        let mut cum = 0.0;
        let mut n = probs.len();
        for (k, p) in probs.iter().enumerate() {
            cum += p;
            if cum >= config.top_p {
                n = k + 1;
                break;
            }
        }
        probs.truncate(n);
        order.truncate(n);
    }
    let total: f32 = probs.iter().sum();
    let u = rng.random::<f32>() * total;
    let mut cum = 0.0;
    for (k, p) in probs.iter().enumerate() {
        cum += p;
        if u < cum {
            return order[k] as u32;
        }
    }
    order[probs.len() - 1] as u32
}

/// Samples one completion per prompt, all rows in one batch through the key/value cache.
/// Prompts longer than the model's positions are an error; completions stop at end-of-sequence
/// or at `max_new_tokens` (or the model's last position).
pub fn generate(
    model: &Gpt,
    prompts: &[Vec<u32>],
    config: &SamplingConfig,
    rng: &mut ChaCha8Rng,
    device: &Device,
) -> Result<Vec<Completion>, String> {
    let b = prompts.len();
    if b == 0 {
        return Ok(Vec::new());
    }
    if let Some(i) = prompts.iter().position(Vec::is_empty) {
        return Err(format!("prompt {i} is empty"));
    }
    let p = prompts.iter().map(Vec::len).max().unwrap_or(1);
    if p >= model.n_positions() {
        return Err(format!(
            "a prompt of {p} tokens leaves no room in the model's {} positions",
            model.n_positions()
        ));
    }
    let max_new = config.max_new_tokens.min(model.n_positions() - p);
    let pads: Vec<usize> = prompts.iter().map(|pr| p - pr.len()).collect();
    let mut tokens = vec![PAD; b * p];
    for (row, pr) in prompts.iter().enumerate() {
        tokens[row * p + pads[row]..(row + 1) * p].copy_from_slice(pr);
    }
    let vocab = model.vocab_size();
    let mut cache = model.new_cache();
    let mut out: Vec<Completion> = vec![
        Completion {
            tokens: Vec::new(),
            truncated: true,
        };
        b
    ];
    let mut done = vec![false; b];
    let mut input = GptInput::new(&tokens, &pads, p, 0, device);
    for step in 0..max_new {
        let logits = model.forward(&input, Some(&mut cache));
        let t = logits.dims()[1];
        let rows: Vec<f32> = logits
            .narrow(1, t - 1, 1)
            .into_data()
            .iter::<f32>()
            .collect();
        let mut next = vec![PAD; b];
        for row in 0..b {
            if done[row] {
                continue;
            }
            let tok = sample_token(
                &rows[row * vocab..(row + 1) * vocab],
                config,
                step >= config.min_new_tokens,
                rng,
            );
            next[row] = tok;
            out[row].tokens.push(tok);
            if tok == EOS {
                done[row] = true;
                out[row].truncated = false;
            }
        }
        if done.iter().all(|&d| d) || step + 1 == max_new {
            break;
        }
        input = GptInput::new(&next, &pads, 1, p + step, device);
    }
    Ok(out)
}
