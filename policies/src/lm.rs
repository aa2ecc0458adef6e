//! Language models for GRPO on the RL core: a character tokenizer, a GPT-2-shaped decoder
//! (burn), its key/value-cached sampler, Hugging Face GPT-2 safetensors in and out, the
//! per-token log-probabilities the losses need, tasks with rule-based verifiers, the supervised
//! warm-up, the GRPO loop and the evaluation.

pub mod checkpoint;
pub mod eval;
pub mod gpt2;
pub mod grpo_trainer;
pub mod kv_cache;
pub mod logprobs;
pub mod model;
pub mod pretrain;
pub mod run_config;
pub mod sampler;
pub mod tasks;
pub mod tokenizer;

pub use eval::{EvalReport, evaluate};
pub use grpo_trainer::{BatchBuilder, BatchStats, GrpoSummary, train_grpo};
pub use kv_cache::KvCache;
pub use logprobs::{SequenceBatch, completion_logprobs};
pub use model::{Gpt, GptConfig, GptInput};
pub use pretrain::{PretrainSummary, Start, pretrain};
pub use run_config::LmRunConfig;
pub use sampler::{Completion, SamplingConfig, generate};
pub use tokenizer::CharTokenizer;

#[cfg(test)]
mod model_tests;
