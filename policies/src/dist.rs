//! Action distributions: the one place where a policy's outputs become sampled actions,
//! log-probabilities, entropies and KL divergences.
//!
//! The runner's collection and the learner's update both go through these types, so the
//! behaviour log-probabilities stored with a rollout and the ones PPO recomputes come from the same
//! code (and, on the CPU backend, the same bits: the first probability ratio of an update is
//! exactly 1).
//!
//! - [`DiagGaussian`]: continuous actions (locomotion, manipulation). Sampling takes the
//!   standard-normal noise as an input, so the caller owns the random draws (the runner's
//!   ChaCha stream, optionally correlated over time).
//! - [`Categorical`]: discrete actions (tokens for GRPO). Samples by inverse CDF from a given
//!   RNG; [`Categorical::mode`] is the greedy choice.

mod categorical;
mod gaussian;

pub use categorical::Categorical;
pub use gaussian::DiagGaussian;

use burn::prelude::*;

/// A batch of action distributions, one per row, on burn tensors (differentiable when the
/// parameters live on an autodiff device).
pub trait ActionDistribution: Clone {
    /// A batch of actions as a tensor: `[batch, act]` floats for [`DiagGaussian`], `[batch]`
    /// class indices for [`Categorical`].
    type Actions;

    /// Number of distributions (rows).
    fn batch_size(&self) -> usize;

    /// Log-probability (density for continuous actions) of each row's action, summed over
    /// action dimensions.
    ///
    /// # Shapes
    /// `actions: Self::Actions` with `batch` rows -> `[batch]`
    fn log_prob(&self, actions: Self::Actions) -> Tensor<1>;

    /// Entropy of each row's distribution.
    ///
    /// # Shapes
    /// `-> [batch]`
    fn entropy(&self) -> Tensor<1>;

    /// The mean entropy over the batch, `entropy().mean()` unless an implementation knows a
    /// cheaper exact form (a state-independent Gaussian has one entropy for every row).
    ///
    /// # Shapes
    /// `-> [1]`
    fn mean_entropy(&self) -> Tensor<1> {
        self.entropy().mean()
    }

    /// KL(self || other), row by row. `other` must have the same batch size (or broadcast to it)
    /// and action space.
    ///
    /// # Shapes
    /// `-> [batch]`
    fn kl(&self, other: &Self) -> Tensor<1>;

    /// The most likely action of each row (the Gaussian's mean, the categorical's arg-max):
    /// deterministic evaluation and greedy decoding.
    fn mode(&self) -> Self::Actions;

    /// The same distributions cut from the autodiff graph (constants for the optimiser).
    fn detach(&self) -> Self;
}
