//! GRPO's policy update on the RL core: group-relative advantages (no critic), the clipped
//! surrogate (or GPPO's gradient-preserving clip, or CISPO) on token- or sequence-level
//! importance ratios (GSPO), an optional KL to a frozen reference, the loss aggregations of TRL
//! and verl, and PPO's optimiser step. The surrogate, KL estimators, advantage normalisers,
//! global-norm clipping and the optimiser step are the functions PPO calls.

use super::advantages::AdvantageMode;
use super::kl::{KlEstimator, kl_estimate};
use super::length_shaping::LengthShaping;
use super::loss_agg::{AggregationScale, LossAggregation, aggregate_loss};
use super::losses::{cispo_surrogate, clipped_surrogate, gradient_preserving_surrogate};
use super::optim_step::{new_adam, optimizer_step};
use super::token_masks::high_entropy_mask;
use crate::lm::{Gpt, SamplingConfig, SequenceBatch, completion_logprobs};
use crate::tensor_util::to_vec;
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Which policy-gradient surrogate the update minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Surrogate {
    /// PPO's clipped surrogate (with `delta`, the two-sided clip).
    Clip,
    /// Klear-Reasoner's gradient-preserving clip.
    Gppo,
    /// MiniMax-M1's clipped importance-sampling weights (`cispo_max_ratio`).
    Cispo,
}

/// Where importance ratios are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportanceLevel {
    /// One ratio per token (GRPO).
    Token,
    /// One ratio per sequence, the geometric mean of its tokens' (GSPO).
    Sequence,
}

/// One weighted reward function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardTerm {
    /// `correct` (1 when the verifier accepts the completion, or the length shaping's reward),
    /// `format` (1 when it has the answer's form), `overlong` (DAPO's soft over-length
    /// penalty, with `overlong_cache_len`) or `random` (a seeded uniform draw in [0, 1), for
    /// throughput benchmarks whose rewards must vary).
    pub kind: String,
    /// Weight in the sum.
    pub weight: f32,
}

/// Scaf-GRPO's hints: a group where every completion failed is sampled again with the
/// answer's first characters appended to the prompt, one more character per tier, and the
/// first success replaces one of the group's failures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HintConfig {
    /// How many tiers (hint lengths 1, 2, ... characters) to try.
    pub tiers: usize,
}

/// GRPO's settings (TRL's names where TRL has one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GrpoConfig {
    /// Completions per prompt (G).
    pub num_generations: usize,
    /// Prompts per step.
    pub prompts_per_step: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Global gradient-norm clip.
    pub max_grad_norm: f32,
    /// Updates per generation batch (mu); old log-probs are stored when above 1.
    pub num_iterations: usize,
    /// Minibatches per update (optimiser steps per iteration).
    pub num_minibatches: usize,
    /// How rewards become advantages.
    pub advantage: AdvantageMode,
    /// How per-token losses are aggregated.
    pub loss_type: LossAggregation,
    /// The surrogate.
    pub surrogate: Surrogate,
    /// Token or sequence (GSPO) importance ratios.
    pub importance_sampling_level: ImportanceLevel,
    /// Lower clip range.
    pub epsilon_low: f32,
    /// Upper clip range (DAPO's clip-higher: 0.28).
    pub epsilon_high: f32,
    /// Two-sided clip: an upper bound on the unclipped ratio (None: off).
    pub delta: Option<f32>,
    /// CISPO's cap on the importance ratio.
    pub cispo_max_ratio: f32,
    /// KL coefficient to the frozen reference (0: no reference model).
    pub beta: f32,
    /// The KL estimator.
    pub kl_estimator: KlEstimator,
    /// Drop groups whose rewards are all equal and sample new ones (DAPO).
    pub dynamic_sampling: bool,
    /// Most generation rounds dynamic sampling takes to fill a batch.
    pub max_sampling_rounds: usize,
    /// Leave truncated completions out of the loss.
    pub mask_truncated_completions: bool,
    /// Share of completion tokens, by entropy, that get a gradient (1: all).
    pub top_entropy_quantile: f32,
    /// DAPO's soft over-length cache, in tokens (the `overlong` reward term).
    pub overlong_cache_len: usize,
    /// Reward functions and their weights.
    pub rewards: Vec<RewardTerm>,
    /// Length shaping of the `correct` term.
    pub length_shaping: LengthShaping,
    /// Scaf-GRPO's hints (None: off).
    pub hints: Option<HintConfig>,
    /// How completions are sampled while training.
    pub sampling: SamplingConfig,
}

impl Default for GrpoConfig {
    fn default() -> Self {
        Self {
            num_generations: 8,
            prompts_per_step: 32,
            learning_rate: 1e-4,
            max_grad_norm: 1.0,
            num_iterations: 1,
            num_minibatches: 1,
            advantage: AdvantageMode::Group,
            loss_type: LossAggregation::Dapo,
            surrogate: Surrogate::Clip,
            importance_sampling_level: ImportanceLevel::Token,
            epsilon_low: 0.2,
            epsilon_high: 0.2,
            delta: None,
            cispo_max_ratio: 5.0,
            beta: 0.0,
            kl_estimator: KlEstimator::K3,
            dynamic_sampling: false,
            max_sampling_rounds: 4,
            mask_truncated_completions: false,
            top_entropy_quantile: 1.0,
            overlong_cache_len: 0,
            rewards: vec![RewardTerm {
                kind: "correct".into(),
                weight: 1.0,
            }],
            length_shaping: LengthShaping::None,
            hints: None,
            sampling: SamplingConfig {
                temperature: 1.0,
                top_k: 0,
                top_p: 1.0,
                max_new_tokens: 16,
                min_new_tokens: 0,
            },
        }
    }
}

impl GrpoConfig {
    /// Checks the values; the error names the key (under `grpo.`).
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("num_generations", self.num_generations),
            ("prompts_per_step", self.prompts_per_step),
            ("num_iterations", self.num_iterations),
            ("num_minibatches", self.num_minibatches),
            ("max_sampling_rounds", self.max_sampling_rounds),
        ];
        for (k, v) in positive {
            if v == 0 {
                return Err(format!("grpo.{k} must be positive"));
            }
        }
        if self.num_minibatches > self.num_generations * self.prompts_per_step {
            return Err("grpo.num_minibatches exceeds the completions per step".into());
        }
        if !(self.learning_rate > 0.0) {
            return Err("grpo.learning_rate must be positive".into());
        }
        if !(self.epsilon_low >= 0.0 && self.epsilon_low < 1.0 && self.epsilon_high >= 0.0) {
            return Err("grpo.epsilon_low must be in [0, 1) and grpo.epsilon_high >= 0".into());
        }
        if self.delta.is_some_and(|d| d <= 1.0 + self.epsilon_high) {
            return Err("grpo.delta must exceed 1 + grpo.epsilon_high".into());
        }
        if !(self.top_entropy_quantile > 0.0 && self.top_entropy_quantile <= 1.0) {
            return Err("grpo.top_entropy_quantile must be in (0, 1]".into());
        }
        if self.beta < 0.0 {
            return Err("grpo.beta must be >= 0".into());
        }
        for (i, r) in self.rewards.iter().enumerate() {
            if !["correct", "format", "overlong", "random"].contains(&r.kind.as_str()) {
                return Err(format!(
                    "grpo.rewards[{i}].kind: {:?} is not one of correct, format, overlong, random",
                    r.kind
                ));
            }
            if r.kind == "overlong" && self.overlong_cache_len == 0 {
                return Err(format!(
                    "grpo.rewards[{i}]: the overlong term needs grpo.overlong_cache_len > 0"
                ));
            }
        }
        if self.rewards.is_empty() {
            return Err("grpo.rewards is empty".into());
        }
        self.sampling.validate().map_err(|e| format!("grpo.{e}"))
    }
}

/// One generation batch, ready for the update.
#[derive(Debug, Clone)]
pub struct GrpoBatch {
    /// Prompts and completions.
    pub seqs: SequenceBatch,
    /// One advantage per completion. `[B]`
    pub advantages: Vec<f32>,
    /// Which completion tokens enter the loss (the completion mask, truncated completions
    /// removed when configured). `[B * T]`
    pub loss_mask: Vec<f32>,
    /// The sampling policy's log-probabilities, when the update needs them stored (mu > 1 or
    /// several minibatches). `[B * T]`
    pub old_logp: Option<Vec<f32>>,
    /// The reference model's log-probabilities (beta > 0). `[B * T]`
    pub ref_logp: Option<Vec<f32>>,
}

/// Means over an update's optimiser steps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct GrpoStats {
    /// The aggregated loss.
    pub loss: f32,
    /// Mean KL estimate to the reference over loss tokens (0 without a reference).
    pub kl: f32,
    /// Share of loss tokens whose ratio left the clip range.
    pub clip_ratio: f32,
    /// Mean entropy of the policy over completion tokens.
    pub entropy: f32,
    /// Gradient norm before clipping.
    pub grad_norm: f32,
    /// Optimiser steps taken.
    pub steps: usize,
}

/// The inputs of [`policy_loss`] for one minibatch, as tensors.
pub struct LossInputs {
    /// Current log-probabilities (with gradient). `[B, T]`
    pub logp: Tensor<2>,
    /// Sampling-policy log-probabilities. `[B, T]`
    pub old_logp: Tensor<2>,
    /// Reference log-probabilities (beta > 0). `[B, T]`
    pub ref_logp: Option<Tensor<2>>,
    /// One advantage per sequence. `[B]`
    pub advantages: Tensor<1>,
    /// Loss mask (entropy masking already applied). `[B, T]`
    pub mask: Tensor<2>,
}

/// GRPO's loss on one minibatch, and its mean KL and clipped share (host values).
///
/// # Shapes
/// see [`LossInputs`] -> `[1]`
pub fn policy_loss(
    config: &GrpoConfig,
    inputs: LossInputs,
    scale: AggregationScale,
) -> (Tensor<1>, f32, f32) {
    let LossInputs {
        logp,
        old_logp,
        ref_logp,
        advantages,
        mask,
    } = inputs;
    let [b, t] = logp.dims();
    let log_ratio = logp.clone() - old_logp;
    let log_iw = match config.importance_sampling_level {
        ImportanceLevel::Token => log_ratio,
        ImportanceLevel::Sequence => {
            let per_seq =
                (log_ratio * mask.clone()).sum_dim(1) / mask.clone().sum_dim(1).clamp_min(1.0);
            per_seq.repeat_dim(1, t)
        }
    };
    let ratio = log_iw.exp();
    let adv = advantages.reshape([b, 1]).repeat_dim(1, t);
    let clipped_share = {
        let r = to_vec(ratio.clone().detach());
        let m = to_vec(mask.clone());
        let a = to_vec(adv.clone());
        let (lo, hi) = (1.0 - config.epsilon_low, 1.0 + config.epsilon_high);
        let n: f32 = m.iter().sum();
        let clipped = r
            .iter()
            .zip(&a)
            .zip(&m)
            .filter(|((r, a), m)| **m > 0.0 && ((**a > 0.0 && **r > hi) || (**a < 0.0 && **r < lo)))
            .count();
        if n > 0.0 { clipped as f32 / n } else { 0.0 }
    };
    let mut per_token = match config.surrogate {
        Surrogate::Clip => clipped_surrogate(
            ratio,
            adv,
            config.epsilon_low,
            config.epsilon_high,
            config.delta,
        ),
        Surrogate::Gppo => {
            gradient_preserving_surrogate(ratio, adv, config.epsilon_low, config.epsilon_high)
        }
        Surrogate::Cispo => cispo_surrogate(ratio, adv, logp.clone(), config.cispo_max_ratio),
    };
    let mut kl_mean = 0.0;
    if let (Some(ref_logp), true) = (ref_logp, config.beta > 0.0) {
        let kl = kl_estimate(config.kl_estimator, logp, ref_logp);
        let k = to_vec((kl.clone().detach() * mask.clone()).sum());
        let n = to_vec(mask.clone().sum())[0].max(1.0);
        kl_mean = k[0] / n;
        per_token = per_token + kl * config.beta;
    }
    (
        aggregate_loss(config.loss_type, per_token, mask, scale),
        kl_mean,
        clipped_share,
    )
}

/// The GRPO learner: the policy, Adam, and the frozen reference.
pub struct Grpo {
    /// The policy, on an autodiff device.
    pub model: Gpt,
    /// Adam.
    pub optim: ModuleOptimizer,
    /// Settings.
    pub config: GrpoConfig,
    /// The frozen reference policy (the starting model; only when beta > 0), without autodiff.
    pub reference: Option<Gpt>,
    /// The device without autodiff (sampling, stored log-probabilities).
    device: Device,
    /// The same device with autodiff (the update).
    train_device: Device,
    rng: ChaCha8Rng,
}

fn rows(x: &[f32], idx: &[usize], width: usize) -> Vec<f32> {
    idx.iter()
        .flat_map(|&i| x[i * width..(i + 1) * width].iter().copied())
        .collect()
}

impl Grpo {
    /// A learner around `model`, which must live on `device.autodiff()`; the reference is a
    /// frozen copy of `model` when beta > 0. `seed` orders the minibatches.
    pub fn new(model: Gpt, config: GrpoConfig, device: Device, seed: u64) -> Result<Self, String> {
        config.validate()?;
        let reference = (config.beta > 0.0).then(|| model.valid());
        Ok(Self {
            model,
            optim: new_adam(),
            config,
            reference,
            train_device: device.clone().autodiff(),
            device,
            rng: ChaCha8Rng::seed_from_u64(seed),
        })
    }

    /// The device without autodiff.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The policy without autodiff (for sampling and evaluation).
    pub fn policy(&self) -> Gpt {
        self.model.valid()
    }

    /// The log-probabilities the update needs stored with the batch: the sampling policy's
    /// (when mu > 1 or several minibatches; otherwise the update's first forward is the
    /// sampling policy) and the reference's (when beta > 0).
    ///
    /// # Shapes
    /// -> `([B * T], [B * T])`
    pub fn stored_logprobs(&self, seqs: &SequenceBatch) -> (Option<Vec<f32>>, Option<Vec<f32>>) {
        let plain = &self.device;
        let need_old = self.config.num_iterations > 1 || self.config.num_minibatches > 1;
        let old = need_old.then(|| to_vec(completion_logprobs(&self.model.valid(), seqs, plain).0));
        let reference = self
            .reference
            .as_ref()
            .map(|r| to_vec(completion_logprobs(r, seqs, plain).0));
        (old, reference)
    }

    /// `num_iterations` passes over the batch in `num_minibatches` shuffled minibatches, one
    /// optimiser step each.
    pub fn update(&mut self, batch: &GrpoBatch) -> GrpoStats {
        let seqs = &batch.seqs;
        let (b, t) = (seqs.rows(), seqs.completion_len);
        let total_tokens: f32 = batch.loss_mask.iter().sum();
        let scale = AggregationScale {
            max_completion_length: self.config.sampling.max_new_tokens,
            tokens_per_step: total_tokens / self.config.num_minibatches as f32,
        };
        let dev = self.train_device.clone();
        let mut stats = GrpoStats::default();
        for _ in 0..self.config.num_iterations {
            let mut order: Vec<usize> = (0..b).collect();
            if self.config.num_minibatches > 1 {
                order.shuffle(&mut self.rng);
            }
            let per = b.div_ceil(self.config.num_minibatches);
            for idx in order.chunks(per) {
                let sub = sub_batch(seqs, idx);
                let (logp, entropy) = completion_logprobs(&self.model, &sub, &dev);
                let ent_host = to_vec(entropy.detach());
                let mut mask = rows(&batch.loss_mask, idx, t);
                if self.config.top_entropy_quantile < 1.0 {
                    mask = high_entropy_mask(&ent_host, &mask, self.config.top_entropy_quantile);
                }
                let n = idx.len();
                let old_logp = match &batch.old_logp {
                    Some(old) => {
                        Tensor::<2>::from_data(TensorData::new(rows(old, idx, t), [n, t]), &dev)
                    }
                    None => logp.clone().detach(),
                };
                let ref_logp = batch.ref_logp.as_ref().map(|r| {
                    Tensor::<2>::from_data(TensorData::new(rows(r, idx, t), [n, t]), &dev)
                });
                let adv: Vec<f32> = idx.iter().map(|&i| batch.advantages[i]).collect();
                let comp_mask = &sub.mask;
                let valid: f32 = comp_mask.iter().sum();
                stats.entropy += ent_host
                    .iter()
                    .zip(comp_mask)
                    .map(|(e, m)| e * m)
                    .sum::<f32>()
                    / valid.max(1.0);
                let inputs = LossInputs {
                    logp,
                    old_logp,
                    ref_logp,
                    advantages: Tensor::<1>::from_data(TensorData::new(adv, [n]), &dev),
                    mask: Tensor::<2>::from_data(TensorData::new(mask, [n, t]), &dev),
                };
                let (loss, kl, clipped) = policy_loss(&self.config, inputs, scale);
                stats.loss += loss.clone().into_scalar::<f32>();
                let (model, grad_norm) = optimizer_step(
                    self.model.clone(),
                    &mut self.optim,
                    loss,
                    self.config.learning_rate,
                    self.config.max_grad_norm,
                );
                self.model = model;
                stats.kl += kl;
                stats.clip_ratio += clipped;
                stats.grad_norm += grad_norm;
                stats.steps += 1;
            }
        }
        let k = stats.steps.max(1) as f32;
        stats.loss /= k;
        stats.kl /= k;
        stats.clip_ratio /= k;
        stats.entropy /= k;
        stats.grad_norm /= k;
        stats
    }
}

/// The rows `idx` of a batch, keeping its columns (so stored per-token values line up).
fn sub_batch(seqs: &SequenceBatch, idx: &[usize]) -> SequenceBatch {
    let (l, c) = (seqs.width(), seqs.completion_len);
    SequenceBatch {
        tokens: rows_u32(&seqs.tokens, idx, l),
        pads: idx.iter().map(|&i| seqs.pads[i]).collect(),
        prompt_len: seqs.prompt_len,
        completion_len: c,
        mask: rows(&seqs.mask, idx, c),
        completion_lens: idx.iter().map(|&i| seqs.completion_lens[i]).collect(),
    }
}

fn rows_u32(x: &[u32], idx: &[usize], width: usize) -> Vec<u32> {
    idx.iter()
        .flat_map(|&i| x[i * width..(i + 1) * width].iter().copied())
        .collect()
}
