//! The configuration of a language-model run (`assets/configs/lm_<task>.toml`): the task, the
//! model's shape, the supervised warm-up, GRPO and the evaluation sets.

use super::model::GptConfig;
use super::tasks::{Task, task_by_name};
use super::tokenizer::CharTokenizer;
use crate::PolicyError;
use crate::algo::GrpoConfig;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The model's shape (the vocabulary comes from the task's tokenizer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelShape {
    /// Transformer blocks.
    pub n_layer: usize,
    /// Residual width.
    pub n_embd: usize,
    /// Attention heads.
    pub n_head: usize,
    /// Longest prompt plus completion, in tokens.
    pub n_positions: usize,
}

/// The supervised warm-up (next-token cross-entropy on the reference answers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PretrainConfig {
    /// Optimiser steps.
    pub steps: usize,
    /// Problems per step.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Global gradient-norm clip.
    pub max_grad_norm: f32,
}

/// The GRPO run around the update ([`GrpoConfig`] is the update).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrpoRunConfig {
    /// GRPO steps (each: generate, score, update).
    pub steps: usize,
    /// Stop after this many seconds of wall time (0: no limit), checkpointing first.
    pub max_seconds: f64,
}

/// Held-out evaluation and the validation set watched during training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalConfig {
    /// Test problems (`embody lm eval`), drawn from the test split.
    pub test_problems: usize,
    /// Seed of the test problems.
    pub test_seed: u64,
    /// Samples per problem for pass@k (temperature 1).
    pub k: usize,
    /// Validation problems (the validation split: never trained on, never the test split),
    /// scored during training.
    pub validation_problems: usize,
    /// Seed of the validation problems.
    pub validation_seed: u64,
    /// Steps between validation scores and checkpoints.
    pub interval: usize,
}

/// A whole language-model run's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LmRunConfig {
    /// `addition`, `multiplication`, `countdown` or `sorting`.
    pub task: String,
    /// The task's size: digits per operand, numbers given, or list length.
    pub task_size: usize,
    /// Seed of everything random in training (initial weights, problems, sampling).
    pub seed: u64,
    /// The model's shape.
    pub model: ModelShape,
    /// The warm-up.
    pub pretrain: PretrainConfig,
    /// GRPO.
    pub grpo: GrpoConfig,
    /// The GRPO run.
    pub grpo_run: GrpoRunConfig,
    /// Evaluation.
    pub eval: EvalConfig,
}

impl LmRunConfig {
    /// Reads `path`, applies `--set` overrides and checks every section; errors name the file
    /// and the key.
    pub fn load(path: &Path, overrides: &[String]) -> Result<Self, PolicyError> {
        crate::overrides::load_config_file(path, overrides, Self::from_toml_str)
    }

    /// Parses TOML text, applies overrides and validates.
    pub fn from_toml_str(text: &str, overrides: &[String]) -> Result<Self, PolicyError> {
        let mut table: toml::Table = toml::from_str(text)
            .map_err(|e| PolicyError::config("<file>", e.message().to_string()))?;
        crate::overrides::apply_overrides(&mut table, overrides)?;
        let config: Self =
            serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
                PolicyError::config(e.path().to_string(), e.inner().message().to_string())
            })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the values.
    pub fn validate(&self) -> Result<(), PolicyError> {
        task_by_name(&self.task, self.task_size).map_err(|e| PolicyError::config("task", e))?;
        self.gpt_config()
            .validate()
            .map_err(|e| PolicyError::config("model", e))?;
        self.grpo
            .validate()
            .map_err(|e| PolicyError::config("grpo", e))?;
        if self.pretrain.batch_size == 0 {
            return Err(PolicyError::config(
                "pretrain.batch_size",
                "must be positive",
            ));
        }
        if self.eval.k == 0 || self.eval.interval == 0 {
            return Err(PolicyError::config(
                "eval",
                "k and interval must be positive",
            ));
        }
        Ok(())
    }

    /// The task.
    pub fn task(&self) -> Box<dyn Task> {
        task_by_name(&self.task, self.task_size)
            .unwrap_or_else(|_| Box::new(super::tasks::Addition { digits: 1 }))
    }

    /// The tokenizer over the task's characters.
    pub fn tokenizer(&self) -> CharTokenizer {
        CharTokenizer::new(self.task().alphabet())
    }

    /// The model's full shape.
    pub fn gpt_config(&self) -> GptConfig {
        GptConfig {
            vocab_size: self.tokenizer().vocab_size(),
            n_positions: self.model.n_positions,
            n_embd: self.model.n_embd,
            n_layer: self.model.n_layer,
            n_head: self.model.n_head,
            layer_norm_epsilon: 1e-5,
        }
    }

    /// The resolved configuration as TOML (what a run folder keeps).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }
}
