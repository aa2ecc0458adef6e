//! Language models for GRPO on the RL core: a character tokenizer, a GPT-2-shaped decoder
//! (burn), its key/value-cached sampler, Hugging Face GPT-2 safetensors in and out, and the
//! per-token log-probabilities the losses need.

pub mod gpt2;
pub mod kv_cache;
pub mod logprobs;
pub mod model;
pub mod sampler;
pub mod tokenizer;

pub use kv_cache::KvCache;
pub use logprobs::{SequenceBatch, completion_logprobs};
pub use model::{Gpt, GptConfig, GptInput};
pub use sampler::{Completion, SamplingConfig, generate};
pub use tokenizer::CharTokenizer;

#[cfg(test)]
mod model_tests;
pub mod tasks;
