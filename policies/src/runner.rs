//! Training loops and evaluation.

mod agent;
mod attack;
mod bimanual_eval;
mod collector;
mod confined_nav_eval;
#[cfg(test)]
mod constraint_tests;
mod distill;
#[cfg(test)]
mod distill_tests;
mod eval;
mod group_rollouts;
#[cfg(test)]
mod hosted_tests;
mod imitation_eval;
mod locomotion_eval;
mod on_policy;
mod push_test;

pub use agent::{Agent, POLICY_AGENT};
pub use attack::{AttackEval, evaluate_against};
pub use bimanual_eval::{BimanualEvalStats, evaluate_bimanual};
pub use confined_nav_eval::{ConfinedNavEvalStats, evaluate_confined_nav};
pub use distill::{DistillConfig, DistillStats, Distiller};
pub use eval::{BurnActor, EvalStats, evaluate};
pub use group_rollouts::{GroupIterationStats, GroupRolloutConfig, grpo_iteration};
pub use imitation_eval::{ImitationEvalStats, evaluate_imitation};
pub use locomotion_eval::{LocomotionEvalStats, evaluate_locomotion};
pub use on_policy::{HostedIterationStats, IterationStats, OnPolicyRunner, RunnerConfig};
pub use push_test::{
    PULSE_AT_S, PULSE_S, PUSH_BANDS_MG, PUSH_DIRECTIONS, PushTestStats, push_test,
};
