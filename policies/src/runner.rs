//! Training loops and evaluation.

mod eval;
mod on_policy;

pub use eval::{EvalStats, evaluate};
pub use on_policy::{IterationStats, OnPolicyRunner, RunnerConfig};
