//! Training loops and evaluation.

mod agent;
mod collector;
mod eval;
#[cfg(test)]
mod hosted_tests;
mod locomotion_eval;
mod on_policy;

pub use agent::{Agent, POLICY_AGENT};
pub use eval::{BurnActor, EvalStats, evaluate};
pub use locomotion_eval::{LocomotionEvalStats, evaluate_locomotion};
pub use on_policy::{HostedIterationStats, IterationStats, OnPolicyRunner, RunnerConfig};
