//! The RL core: written once, used by PPO, the H-infinity disturber and GRPO.

mod advantages;
mod algorithm;
pub(crate) mod core_trace;
mod dynamic_sampling;
mod gae;
mod grad_clip;
mod grad_sync;
mod grpo;
mod kl;
mod lagrange;
mod length_shaping;
mod loss_agg;
mod losses;
mod normalizer;
mod optim_step;
mod ppo;
mod schedule;
mod token_masks;

pub use advantages::{AdvantageMode, STD_EPS, group_advantages};
pub use algorithm::{Algorithm, RolloutSettings};
pub use dynamic_sampling::informative_groups;
pub use gae::compute_gae;
pub use grad_clip::clip_global_norm;
pub use grad_sync::{flatten_gradients, flatten_parameters, gradients_from_flat, parameter_count};
pub use grpo::{
    Grpo, GrpoBatch, GrpoConfig, GrpoStats, HintConfig, ImportanceLevel, LossInputs, RewardTerm,
    Surrogate, policy_loss,
};
pub use kl::{KlEstimator, kl_estimate, kl_k3};
pub use lagrange::LagrangeMultiplier;
pub use length_shaping::{LengthShaping, alp_reward, laser_reward, overlong_penalty};
pub use loss_agg::{AggregationScale, LossAggregation, aggregate_loss};
pub use losses::{
    cispo_surrogate, clipped_surrogate, clipped_surrogate_loss, gradient_preserving_surrogate,
    value_loss,
};
pub use normalizer::{
    RunningMeanStd, mean_and_std, normalize_batch, normalize_batch_across, normalize_groups,
};
pub use optim_step::{new_adam, optimizer_step, optimizer_step_across};
pub use ppo::{Ppo, PpoConfig, UpdateStats};
pub use schedule::{LrSchedule, LrScheduleKind};
pub use token_masks::{high_entropy_mask, mask_truncated, quantile};

#[cfg(test)]
mod grpo_tests;
