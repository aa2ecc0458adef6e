//! Prompts and completions laid out as one batch (prompts left-padded to a common end, then the
//! completions, right-padded), and the per-token log-probabilities and entropies a model gives
//! the completion tokens.

use super::model::{Gpt, GptInput};
use super::tokenizer::PAD;
use burn::prelude::*;
use burn::tensor::activation::log_softmax;

/// A batch of `prompt + completion` rows.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceBatch {
    /// Token ids, row-major. `[B * (prompt_len + completion_len)]`
    pub tokens: Vec<u32>,
    /// Left padding of each row. `[B]`
    pub pads: Vec<usize>,
    /// Columns up to the end of every prompt (the longest prompt).
    pub prompt_len: usize,
    /// Columns of completions (the longest completion).
    pub completion_len: usize,
    /// 1 for a completion token (its end-of-sequence included), 0 for padding.
    /// `[B * completion_len]`
    pub mask: Vec<f32>,
    /// Tokens in each completion. `[B]`
    pub completion_lens: Vec<usize>,
}

impl SequenceBatch {
    /// Lays out `prompts[b] + completions[b]`. Every prompt needs at least one token (the model
    /// predicts a completion's first token from the prompt's last).
    pub fn new(prompts: &[Vec<u32>], completions: &[Vec<u32>]) -> Result<Self, String> {
        if prompts.len() != completions.len() {
            return Err(format!(
                "{} prompts but {} completions",
                prompts.len(),
                completions.len()
            ));
        }
        if let Some(i) = prompts.iter().position(Vec::is_empty) {
            return Err(format!("prompt {i} is empty"));
        }
        let p = prompts.iter().map(Vec::len).max().unwrap_or(1);
        let c = completions.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let l = p + c;
        let b = prompts.len();
        let mut tokens = vec![PAD; b * l];
        let mut mask = vec![0.0f32; b * c];
        let mut pads = Vec::with_capacity(b);
        for (row, (pr, co)) in prompts.iter().zip(completions).enumerate() {
            let pad = p - pr.len();
            pads.push(pad);
            tokens[row * l + pad..row * l + p].copy_from_slice(pr);
            tokens[row * l + p..row * l + p + co.len()].copy_from_slice(co);
            mask[row * c..row * c + co.len()].fill(1.0);
        }
        Ok(Self {
            tokens,
            pads,
            prompt_len: p,
            completion_len: c,
            mask,
            completion_lens: completions.iter().map(Vec::len).collect(),
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.pads.len()
    }

    /// Columns per row.
    pub fn width(&self) -> usize {
        self.prompt_len + self.completion_len
    }

    /// The completion mask as a tensor. `[B, completion_len]`
    pub fn mask_tensor(&self, device: &Device) -> Tensor<2> {
        Tensor::<2>::from_data(
            TensorData::new(self.mask.clone(), [self.rows(), self.completion_len]),
            device,
        )
    }
}

/// Log-probability of each completion token under `model` (given everything before it) and the
/// entropy of the model's next-token distribution at that position. Padding positions hold
/// finite values that the mask removes.
///
/// # Shapes
/// -> `([B, completion_len], [B, completion_len])`
pub fn completion_logprobs(
    model: &Gpt,
    batch: &SequenceBatch,
    device: &Device,
) -> (Tensor<2>, Tensor<2>) {
    let (b, l, p, c) = (
        batch.rows(),
        batch.width(),
        batch.prompt_len,
        batch.completion_len,
    );
    // The last column is never an input: it has nothing after it to predict.
    let inputs: Vec<u32> = batch
        .tokens
        .chunks(l)
        .flat_map(|row| row[..l - 1].iter().copied())
        .collect();
    let input = GptInput::new(&inputs, &batch.pads, l - 1, 0, device);
    let logits = model.forward(&input, None).narrow(1, p - 1, c);
    let logp_all = log_softmax(logits, 2);
    let targets: Vec<i64> = batch
        .tokens
        .chunks(l)
        .flat_map(|row| row[p..].iter().map(|&t| t as i64))
        .collect();
    let targets = Tensor::<3, Int>::from_data(TensorData::new(targets, [b, c, 1]), device);
    let logp = logp_all.clone().gather(2, targets).reshape([b, c]);
    let entropy = -(logp_all.clone().exp() * logp_all)
        .sum_dim(2)
        .reshape([b, c]);
    (logp, entropy)
}
