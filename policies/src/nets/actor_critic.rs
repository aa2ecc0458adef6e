//! The Gaussian actor and the value critic of PPO (rsl_rl's `ActorCritic`).

use super::mlp::Mlp;
use crate::dist::DiagGaussian;
use burn::module::Param;
use burn::prelude::*;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Network sizes and the initial action noise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ActorCriticConfig {
    /// Hidden layer widths of the actor.
    pub actor_hidden: Vec<usize>,
    /// Hidden layer widths of the critic.
    pub critic_hidden: Vec<usize>,
    /// Initial standard deviation of the Gaussian policy.
    pub init_noise_std: f32,
}

impl Default for ActorCriticConfig {
    /// rsl_rl's defaults: ELU [512, 256, 128] for both, initial std 1.0.
    fn default() -> Self {
        Self {
            actor_hidden: vec![512, 256, 128],
            critic_hidden: vec![512, 256, 128],
            init_noise_std: 1.0,
        }
    }
}

/// A state-independent diagonal Gaussian policy and a value function.
#[derive(Module, Debug)]
pub struct ActorCritic {
    /// Maps observations to action means.
    pub actor: Mlp,
    /// Maps observations to values.
    pub critic: Mlp,
    /// Log standard deviation per action dimension. `[act]`
    pub log_std: Param<Tensor<1>>,
}

impl ActorCritic {
    /// Builds the networks on `device`.
    pub fn new(
        obs_dim: usize,
        act_dim: usize,
        config: &ActorCriticConfig,
        device: &Device,
    ) -> Self {
        Self::new_asymmetric(obs_dim, obs_dim, act_dim, config, device)
    }

    /// An asymmetric actor-critic: the critic takes `critic_obs_dim` inputs (the actor's
    /// observation followed by privileged state), the actor `obs_dim`.
    pub fn new_asymmetric(
        obs_dim: usize,
        critic_obs_dim: usize,
        act_dim: usize,
        config: &ActorCriticConfig,
        device: &Device,
    ) -> Self {
        Self {
            actor: Mlp::new(obs_dim, &config.actor_hidden, act_dim, device),
            critic: Mlp::new(critic_obs_dim, &config.critic_hidden, 1, device),
            log_std: Param::from_tensor(Tensor::<1>::full(
                [act_dim],
                config.init_noise_std.ln(),
                device,
            )),
        }
    }

    /// Builds the networks on `device` with initial weights drawn from `seed` alone (see
    /// [`Mlp::new_seeded`]): the training runner uses this, so runs are reproducible even when
    /// several train in one process.
    pub fn new_seeded(
        obs_dim: usize,
        act_dim: usize,
        config: &ActorCriticConfig,
        device: &Device,
        seed: u64,
    ) -> Self {
        Self::new_seeded_asymmetric(obs_dim, obs_dim, act_dim, config, device, seed)
    }

    /// As [`Self::new_asymmetric`], with weights drawn from `seed`.
    pub fn new_seeded_asymmetric(
        obs_dim: usize,
        critic_obs_dim: usize,
        act_dim: usize,
        config: &ActorCriticConfig,
        device: &Device,
        seed: u64,
    ) -> Self {
        let mut rng = <ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);
        Self {
            actor: Mlp::new_seeded(obs_dim, &config.actor_hidden, act_dim, device, &mut rng),
            critic: Mlp::new_seeded(critic_obs_dim, &config.critic_hidden, 1, device, &mut rng),
            log_std: Param::from_tensor(Tensor::<1>::full(
                [act_dim],
                config.init_noise_std.ln(),
                device,
            )),
        }
    }

    /// Action means.
    ///
    /// # Shapes
    /// `obs: [batch, obs]` -> `[batch, act]`
    pub fn action_mean(&self, obs: Tensor<2>) -> Tensor<2> {
        self.actor.forward(obs)
    }

    /// Task values of the critic's input: the actor's observation, followed by the privileged
    /// state for an asymmetric critic (the first head of a two-head critic).
    ///
    /// # Shapes
    /// `obs: [batch, critic_obs]` -> `[batch]`
    pub fn value(&self, obs: Tensor<2>) -> Tensor<1> {
        let out = self.critic.forward(obs);
        match self.value_heads() {
            1 => out.squeeze_dim::<1>(1),
            _ => {
                let b = out.dims()[0];
                out.slice([0..b, 0..1]).squeeze_dim::<1>(1)
            }
        }
    }

    /// Every head of the critic: the task value, then (a constrained policy's two-head critic)
    /// the cost value.
    ///
    /// # Shapes
    /// `obs: [batch, critic_obs]` -> `[batch, value_heads]`
    pub fn values(&self, obs: Tensor<2>) -> Tensor<2> {
        self.critic.forward(obs)
    }

    /// Number of value heads: 1, or 2 for a constrained policy (task value, cost value).
    pub fn value_heads(&self) -> usize {
        self.critic.output_dim()
    }

    /// The same actor-critic with `heads` value heads; a new head starts at zero weights (it
    /// values everything 0 until trained), the existing ones are unchanged.
    pub fn with_value_heads(self, heads: usize) -> Self {
        Self {
            critic: self.critic.widen_output(heads),
            ..self
        }
    }

    /// Observation width the networks take.
    pub fn obs_dim(&self) -> usize {
        self.actor.input_dim()
    }

    /// Length of the action.
    pub fn act_dim(&self) -> usize {
        self.log_std.val().dims()[0]
    }

    /// Inputs of the critic: the actor's observation, then any privileged state.
    pub fn critic_obs_dim(&self) -> usize {
        self.critic.input_dim()
    }

    /// The same policy and value function over `obs_dim` >= [`ActorCritic::obs_dim`]
    /// observations, the new trailing ones weighted zero (see [`Mlp::widen_input`]).
    pub fn widen_obs(self, obs_dim: usize) -> Self {
        let old = self.actor.input_dim();
        let critic_dim = self.critic.input_dim() + obs_dim.saturating_sub(old);
        Self {
            actor: self.actor.widen_input(obs_dim),
            // Privileged critic inputs stay last: the new observation entries go before them.
            critic: self.critic.widen_input_at(critic_dim, old),
            log_std: self.log_std,
        }
    }

    /// Log standard deviations broadcastable over a batch. `[1, act]`
    pub fn log_std_row(&self) -> Tensor<2> {
        self.log_std.val().unsqueeze::<2>()
    }

    /// The policy's action distribution on `obs`: Gaussians with the actor's means and the
    /// shared standard deviation. The runner's collection and PPO's update both build it here,
    /// so behaviour and recomputed log-probabilities come from one code path.
    ///
    /// # Shapes
    /// `obs: [batch, obs]` -> means `[batch, act]`, log std `[1, act]`
    pub fn distribution(&self, obs: Tensor<2>) -> DiagGaussian {
        DiagGaussian::new(self.action_mean(obs), self.log_std_row())
    }
}
