//! Time-major rollout buffers on the CPU, filled step by step by the runner.

/// A push that does not fit the storage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// A buffer handed to [`RolloutStorage::push`] or [`RolloutStorage::push_outcome`] has the
    /// wrong length.
    #[error("rollout storage: {field} has {got} values, expected {expected}")]
    Length {
        /// The argument (`obs`, `actions`, `means`, `values`, `log_probs`, `rewards`, `dones`).
        field: &'static str,
        /// The length given.
        got: usize,
        /// The length this storage needs (`envs` times the per-env width).
        expected: usize,
    },
    /// All `steps` steps are recorded; [`RolloutStorage::clear`] starts a new rollout.
    #[error("rollout storage is full: all {steps} steps are recorded")]
    Full {
        /// Steps per env of this storage.
        steps: usize,
    },
    /// [`RolloutStorage::push_outcome`] came without a [`RolloutStorage::push`] of the step.
    #[error("rollout storage: outcome of step {step} pushed before the step itself")]
    OutcomeWithoutStep {
        /// The step the outcome was for.
        step: usize,
    },
}

/// One rollout of `steps` x `envs` transitions, time-major (`index = t * envs + e`).
///
/// The buffers are plain `f32`s and independent of the policy's network; only `means` and `stds`
/// hold parameters of a distribution, the diagonal Gaussian's
/// ([`crate::dist::DiagGaussian`]): PPO rebuilds the behaviour distribution from them for its KL.
/// The behaviour log-probabilities (`log_probs`) are what the ratio uses, whatever the
/// distribution.
#[derive(Debug, Clone)]
pub struct RolloutStorage {
    /// Steps per env.
    pub steps: usize,
    /// Number of envs.
    pub envs: usize,
    /// Observation length.
    pub obs_dim: usize,
    /// Action length.
    pub act_dim: usize,
    /// Observations the actions were taken on. `[steps * envs * obs]`
    pub obs: Vec<f32>,
    /// Sampled actions. `[steps * envs * act]`
    pub actions: Vec<f32>,
    /// Rewards, with `gamma * V(terminal obs)` already added on time-outs. `[steps * envs]`
    pub rewards: Vec<f32>,
    /// 1.0 where the episode ended after this step (terminated or truncated). `[steps * envs]`
    pub dones: Vec<f32>,
    /// Critic values of `obs`. `[steps * envs]`
    pub values: Vec<f32>,
    /// Log-probabilities of `actions` under the behaviour policy, as
    /// [`crate::dist::ActionDistribution::log_prob`] computed them during collection.
    /// `[steps * envs]`
    pub log_probs: Vec<f32>,
    /// Behaviour-distribution parameters per transition: the diagonal Gaussian's means.
    /// `[steps * envs * act]`
    pub means: Vec<f32>,
    /// Behaviour-distribution parameters shared by the rollout: the diagonal Gaussian's standard
    /// deviations (one state-independent row, `exp(log_std)`). `[act]`
    pub stds: Vec<f32>,
    /// GAE advantages (after [`crate::algo::compute_gae`]). `[steps * envs]`
    pub advantages: Vec<f32>,
    /// Value targets: advantages + values. `[steps * envs]`
    pub returns: Vec<f32>,
    /// Width of the critic's input when it differs from the actor's (an asymmetric critic:
    /// observation then privileged state); 0 when the critic sees the actor's observation.
    pub critic_dim: usize,
    /// The critic's inputs (empty unless `critic_dim > 0`). `[steps * envs * critic_dim]`
    pub critic_obs: Vec<f32>,
    /// The cost channel of a constrained policy (the H-infinity constraint); `None` otherwise.
    pub cost: Option<super::CostChannel>,
    /// Which of the job's envs these are (all of them on one process; a rank's share under
    /// MPI): the update picks global minibatches and learns from its own rows of them.
    pub shard: crate::collective::EnvShard,
    filled: usize,
    /// Whether step `filled` has been pushed and waits for its outcome.
    pending: bool,
}

impl RolloutStorage {
    /// Empty buffers for `steps` x `envs` transitions.
    pub fn new(steps: usize, envs: usize, obs_dim: usize, act_dim: usize) -> Self {
        let n = steps * envs;
        Self {
            steps,
            envs,
            obs_dim,
            act_dim,
            obs: vec![0.0; n * obs_dim],
            actions: vec![0.0; n * act_dim],
            rewards: vec![0.0; n],
            dones: vec![0.0; n],
            values: vec![0.0; n],
            log_probs: vec![0.0; n],
            means: vec![0.0; n * act_dim],
            stds: vec![0.0; act_dim],
            advantages: vec![0.0; n],
            returns: vec![0.0; n],
            critic_dim: 0,
            critic_obs: Vec::new(),
            cost: None,
            shard: crate::collective::EnvShard::whole(envs),
            filled: 0,
            pending: false,
        }
    }

    /// Number of transitions (`steps * envs`).
    pub fn len(&self) -> usize {
        self.steps * self.envs
    }

    /// Whether the storage holds no transitions.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Steps recorded since [`Self::clear`].
    pub fn filled_steps(&self) -> usize {
        self.filled
    }

    /// Starts a new rollout.
    pub fn clear(&mut self) {
        self.filled = 0;
        self.pending = false;
    }

    /// Fails unless `got` values are `expected`.
    fn check(field: &'static str, got: usize, expected: usize) -> Result<(), StorageError> {
        if got == expected {
            Ok(())
        } else {
            Err(StorageError::Length {
                field,
                got,
                expected,
            })
        }
    }

    /// The same storage with room for an asymmetric critic's `critic_dim` inputs per step.
    pub fn with_critic_obs(mut self, critic_dim: usize) -> Self {
        self.critic_dim = critic_dim;
        self.critic_obs = vec![0.0; self.steps * self.envs * critic_dim];
        self
    }

    /// The same storage with a cost channel (a constrained policy).
    pub fn with_cost_channel(mut self) -> Self {
        self.cost = Some(super::CostChannel::new(self.steps * self.envs));
        self
    }

    /// Records the cost head's values and the constraint samples of step `filled_steps()`, and
    /// the costs GAE sees (before [`Self::push_outcome`] of the same step; only for a storage
    /// made [`Self::with_cost_channel`]).
    ///
    /// # Shapes
    /// `values, rewards, samples: [envs]`
    pub fn push_cost(
        &mut self,
        values: &[f32],
        rewards: &[f32],
        samples: &[Option<robots::constraint::ConstraintSample>],
    ) -> Result<(), StorageError> {
        let (e, t) = (self.envs, self.filled);
        if t >= self.steps {
            return Err(StorageError::Full { steps: self.steps });
        }
        Self::check("cost values", values.len(), e)?;
        Self::check("cost rewards", rewards.len(), e)?;
        Self::check("constraint samples", samples.len(), e)?;
        let Some(cost) = &mut self.cost else {
            return Err(StorageError::Length {
                field: "cost channel",
                got: e,
                expected: 0,
            });
        };
        cost.values[t * e..(t + 1) * e].copy_from_slice(values);
        cost.rewards[t * e..(t + 1) * e].copy_from_slice(rewards);
        cost.samples[t * e..(t + 1) * e].copy_from_slice(samples);
        Ok(())
    }

    /// Records the critic's inputs of step `filled_steps()` (before [`Self::push`] of the same
    /// step; only for a storage made [`Self::with_critic_obs`]).
    ///
    /// # Shapes
    /// `critic_obs: [envs * critic_dim]`
    pub fn push_critic_obs(&mut self, critic_obs: &[f32]) -> Result<(), StorageError> {
        let (e, t, cd) = (self.envs, self.filled, self.critic_dim);
        if t >= self.steps {
            return Err(StorageError::Full { steps: self.steps });
        }
        Self::check("critic_obs", critic_obs.len(), e * cd)?;
        self.critic_obs[t * e * cd..(t + 1) * e * cd].copy_from_slice(critic_obs);
        Ok(())
    }

    /// Records what the policy did at step `t = filled_steps()` in every env; the step counts
    /// once [`Self::push_outcome`] records the env's answer. Pushing again before the outcome
    /// replaces the step.
    ///
    /// # Shapes
    /// `obs: [envs * obs]`, `actions, means: [envs * act]`, `values, log_probs: [envs]`.
    ///
    /// # Errors
    /// [`StorageError::Full`] after `steps` steps, [`StorageError::Length`] naming the first
    /// buffer of the wrong length; nothing is recorded then.
    pub fn push(
        &mut self,
        obs: &[f32],
        actions: &[f32],
        means: &[f32],
        values: &[f32],
        log_probs: &[f32],
    ) -> Result<(), StorageError> {
        let (e, t) = (self.envs, self.filled);
        let (od, ad) = (self.obs_dim, self.act_dim);
        if t >= self.steps {
            return Err(StorageError::Full { steps: self.steps });
        }
        Self::check("obs", obs.len(), e * od)?;
        Self::check("actions", actions.len(), e * ad)?;
        Self::check("means", means.len(), e * ad)?;
        Self::check("values", values.len(), e)?;
        Self::check("log_probs", log_probs.len(), e)?;
        self.obs[t * e * od..(t + 1) * e * od].copy_from_slice(obs);
        self.actions[t * e * ad..(t + 1) * e * ad].copy_from_slice(actions);
        self.means[t * e * ad..(t + 1) * e * ad].copy_from_slice(means);
        self.values[t * e..(t + 1) * e].copy_from_slice(values);
        self.log_probs[t * e..(t + 1) * e].copy_from_slice(log_probs);
        self.pending = true;
        Ok(())
    }

    /// Records the environment's answer to step `filled_steps()` and advances.
    ///
    /// # Shapes
    /// `rewards, dones: [envs]`
    ///
    /// # Errors
    /// [`StorageError::Full`] after `steps` steps, [`StorageError::OutcomeWithoutStep`] when the
    /// step was not pushed, [`StorageError::Length`] naming a buffer of the wrong length; nothing
    /// is recorded then.
    pub fn push_outcome(&mut self, rewards: &[f32], dones: &[f32]) -> Result<(), StorageError> {
        let (e, t) = (self.envs, self.filled);
        if t >= self.steps {
            return Err(StorageError::Full { steps: self.steps });
        }
        if !self.pending {
            return Err(StorageError::OutcomeWithoutStep { step: t });
        }
        Self::check("rewards", rewards.len(), e)?;
        Self::check("dones", dones.len(), e)?;
        self.rewards[t * e..(t + 1) * e].copy_from_slice(rewards);
        self.dones[t * e..(t + 1) * e].copy_from_slice(dones);
        self.filled += 1;
        self.pending = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2 steps x 3 envs, obs 2, act 1.
    fn storage() -> RolloutStorage {
        RolloutStorage::new(2, 3, 2, 1)
    }

    fn push_step(s: &mut RolloutStorage, x: f32) -> Result<(), StorageError> {
        s.push(&[x; 6], &[x; 3], &[x; 3], &[x; 3], &[x; 3])
    }

    #[test]
    fn pushes_fill_time_major_slots() {
        let mut s = storage();
        push_step(&mut s, 1.0).expect("step 0");
        s.push_outcome(&[0.5; 3], &[0.0, 1.0, 0.0])
            .expect("outcome 0");
        push_step(&mut s, 2.0).expect("step 1");
        s.push_outcome(&[0.25; 3], &[0.0; 3]).expect("outcome 1");
        assert_eq!(s.filled_steps(), 2);
        assert_eq!(s.obs, [[1.0; 6], [2.0; 6]].concat());
        assert_eq!(s.log_probs, vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
        assert_eq!(s.dones, vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(s.rewards[3..], [0.25; 3]);
    }

    #[test]
    fn a_push_of_the_wrong_length_is_an_error_naming_the_field() {
        let mut s = storage();
        let err = s
            .push(&[0.0; 6], &[0.0; 3], &[0.0; 3], &[0.0; 3], &[0.0; 2])
            .expect_err("short log_probs");
        assert_eq!(
            err,
            StorageError::Length {
                field: "log_probs",
                got: 2,
                expected: 3
            }
        );
        assert_eq!(
            err.to_string(),
            "rollout storage: log_probs has 2 values, expected 3"
        );
        let err = s
            .push(&[0.0; 7], &[0.0; 3], &[0.0; 3], &[0.0; 3], &[0.0; 3])
            .expect_err("long obs");
        assert!(
            err.to_string().contains("obs has 7 values, expected 6"),
            "{err}"
        );
        // Nothing was recorded, so no outcome can follow.
        assert_eq!(
            s.push_outcome(&[0.0; 3], &[0.0; 3]),
            Err(StorageError::OutcomeWithoutStep { step: 0 })
        );
        push_step(&mut s, 1.0).expect("step 0");
        let err = s
            .push_outcome(&[0.0; 3], &[0.0; 4])
            .expect_err("long dones");
        assert_eq!(
            err.to_string(),
            "rollout storage: dones has 4 values, expected 3"
        );
        assert_eq!(s.filled_steps(), 0);
    }

    #[test]
    fn a_push_into_a_full_storage_is_an_error() {
        let mut s = storage();
        for t in 0..2 {
            push_step(&mut s, t as f32).expect("step");
            s.push_outcome(&[0.0; 3], &[0.0; 3]).expect("outcome");
        }
        let err = push_step(&mut s, 9.0).expect_err("full");
        assert_eq!(err, StorageError::Full { steps: 2 });
        assert_eq!(
            err.to_string(),
            "rollout storage is full: all 2 steps are recorded"
        );
        assert!(s.push_outcome(&[0.0; 3], &[0.0; 3]).is_err());
        s.clear();
        push_step(&mut s, 9.0).expect("a cleared storage takes steps again");
    }
}
