//! The interface between a learning algorithm and the runner that feeds it rollouts.

use super::UpdateStats;
use crate::nets::ActorCritic;
use crate::storage::RolloutStorage;
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use rand_chacha::ChaCha8Rng;

/// How an algorithm wants its rollouts collected: the runner's collection reads these.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RolloutSettings {
    /// Environment steps per env per iteration (the same for every agent of a runner).
    pub num_steps_per_env: usize,
    /// Discount.
    pub gamma: f32,
    /// GAE lambda.
    pub lam: f32,
    /// Step-to-step correlation of the exploration noise (see `PpoConfig::noise_correlation`).
    pub noise_correlation: f32,
}

/// An on-policy learning algorithm over an actor-critic: it owns the network, the optimiser,
/// the learning-rate state and its hyper-parameters; the runner owns the envs, the rollout
/// storage, sampling and checkpoints. PPO implements it ([`super::Ppo`]); each agent of a
/// multi-agent runner (the robot's policy, the H-infinity disturber) is one `Algorithm`.
pub trait Algorithm {
    /// A short name of the algorithm (`ppo`), for logs and the checkpoint manifest.
    fn kind(&self) -> &'static str;
    /// How rollouts for this algorithm are collected.
    fn rollout_settings(&self) -> RolloutSettings;
    /// The trained actor-critic (on the autodiff training device).
    fn model(&self) -> &ActorCritic;
    /// Replaces the actor-critic (resume, fine-tuning); it must live on [`Algorithm::device`].
    fn set_model(&mut self, model: ActorCritic);
    /// An autodiff-free copy of the actor-critic, for collection.
    fn inference_model(&self) -> ActorCritic {
        self.model().valid()
    }
    /// The optimiser state (Adam moments and step counts).
    fn optimizer(&self) -> &ModuleOptimizer;
    /// Replaces the optimiser state (resume).
    fn set_optimizer(&mut self, optimizer: ModuleOptimizer);
    /// The optimiser, for a learner that steps this agent's model itself (GRPO on a robot
    /// task: group rollouts from env snapshots instead of the runner's rollout).
    fn optimizer_mut(&mut self) -> &mut ModuleOptimizer;
    /// The current learning rate.
    fn learning_rate(&self) -> f64;
    /// Sets the current learning rate (resume).
    fn set_learning_rate(&mut self, lr: f64);
    /// The training device (with autodiff).
    fn device(&self) -> &Device;
    /// A constrained policy's Lagrange multiplier (`None`: unconstrained).
    fn multiplier(&self) -> Option<f32> {
        None
    }
    /// Sets the Lagrange multiplier of a constrained policy (resume); others ignore it.
    fn set_multiplier(&mut self, value: f32) {
        let _ = value;
    }
    /// Trains data-parallel with the ranks of `comm` (every rank then takes the same update).
    fn set_comm(&mut self, comm: crate::collective::Comm);
    /// One update on a full rollout (advantages and returns computed). `progress` in [0, 1] is
    /// the fraction of training done (for schedules); `rng` shuffles minibatches.
    fn update(
        &mut self,
        storage: &RolloutStorage,
        progress: f64,
        rng: &mut ChaCha8Rng,
    ) -> UpdateStats;
}
