//! Training loops and evaluation.

mod eval;
mod locomotion_eval;
mod on_policy;

pub use eval::{BurnActor, EvalStats, evaluate};
pub use locomotion_eval::{LocomotionEvalStats, evaluate_locomotion};
pub use on_policy::{IterationStats, OnPolicyRunner, RunnerConfig};
