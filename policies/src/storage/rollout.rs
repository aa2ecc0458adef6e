//! Time-major rollout buffers on the CPU, filled step by step by the runner.

/// One rollout of `steps` x `envs` transitions, time-major (`index = t * envs + e`).
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
    /// Log-probabilities of `actions` under the behaviour policy. `[steps * envs]`
    pub log_probs: Vec<f32>,
    /// Behaviour-policy means. `[steps * envs * act]`
    pub means: Vec<f32>,
    /// Behaviour-policy standard deviations (one row, state-independent). `[act]`
    pub stds: Vec<f32>,
    /// GAE advantages (after [`crate::algo::compute_gae`]). `[steps * envs]`
    pub advantages: Vec<f32>,
    /// Value targets: advantages + values. `[steps * envs]`
    pub returns: Vec<f32>,
    filled: usize,
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
            filled: 0,
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
    }

    /// Records step `t = filled_steps()` for all envs and advances.
    ///
    /// # Shapes
    /// `obs: [envs * obs]`, `actions, means: [envs * act]`, `values, log_probs: [envs]`.
    /// Returns `false` (recording nothing) when the storage is full or a length is wrong.
    pub fn push(
        &mut self,
        obs: &[f32],
        actions: &[f32],
        means: &[f32],
        values: &[f32],
        log_probs: &[f32],
    ) -> bool {
        let (e, t) = (self.envs, self.filled);
        if t >= self.steps
            || obs.len() != e * self.obs_dim
            || actions.len() != e * self.act_dim
            || means.len() != e * self.act_dim
            || values.len() != e
            || log_probs.len() != e
        {
            return false;
        }
        let (od, ad) = (self.obs_dim, self.act_dim);
        self.obs[t * e * od..(t + 1) * e * od].copy_from_slice(obs);
        self.actions[t * e * ad..(t + 1) * e * ad].copy_from_slice(actions);
        self.means[t * e * ad..(t + 1) * e * ad].copy_from_slice(means);
        self.values[t * e..(t + 1) * e].copy_from_slice(values);
        self.log_probs[t * e..(t + 1) * e].copy_from_slice(log_probs);
        true
    }

    /// Records the environment's answer to step `filled_steps()` and advances.
    ///
    /// # Shapes
    /// `rewards, dones: [envs]`
    pub fn push_outcome(&mut self, rewards: &[f32], dones: &[f32]) {
        let (e, t) = (self.envs, self.filled);
        self.rewards[t * e..(t + 1) * e].copy_from_slice(rewards);
        self.dones[t * e..(t + 1) * e].copy_from_slice(dones);
        self.filled += 1;
    }
}
