//! Rollout collection: every agent of the runner acts on the envs for one iteration's steps.

use super::agent::Sampler;
use crate::algo::{RolloutSettings, RunningMeanStd, compute_gae};
use crate::collective::Comm;
use crate::dist::ActionDistribution;
use crate::error::PolicyError;
use crate::nets::ActorCritic;
use crate::storage::RolloutStorage;
use crate::tensor_util::{matrix, to_vec};
use rand_distr::{Distribution, StandardNormal};
use sim::env::{Env, VecEnv};
use std::collections::VecDeque;

/// What one collection touches: everything but the learners, so a collection can run on its
/// own thread beside the agents' updates.
pub(super) struct Collector<'a, E: Env> {
    pub venv: &'a mut VecEnv<E>,
    pub obs_norm: &'a mut Option<RunningMeanStd>,
    /// One per agent, the policy first.
    pub samplers: Vec<&'a mut Sampler>,
    /// One per agent, the policy first.
    pub settings: Vec<RolloutSettings>,
    /// Returns of the policy's last (up to 100) finished episodes.
    pub returns: &'a mut VecDeque<f32>,
    /// Lengths of the policy's last (up to 100) finished episodes.
    pub lengths: &'a mut VecDeque<f32>,
    pub reward_scale: f32,
    /// The job's ranks, on a channel of collection's own (observation statistics are summed
    /// over them each step).
    pub comm: Comm,
}

/// Draws `count` standard-normal values of other ranks' envs, to keep `rng` where every rank's
/// copy of the stream is.
fn skip_normals(rng: &mut rand_chacha::ChaCha8Rng, count: usize) {
    for _ in 0..count {
        let _: f32 = StandardNormal.sample(rng);
    }
}

/// `obs` normalised by `obs_norm` (a copy; unchanged without normalisation).
pub(super) fn normalized(obs_norm: &Option<RunningMeanStd>, obs: &[f32]) -> Vec<f32> {
    let mut o = obs.to_vec();
    if let Some(n) = obs_norm {
        n.normalize(&mut o, 5.0);
    }
    o
}

/// A rollout storage for `steps` steps of `venv` for an agent with `action_dim` actions (with
/// room for the critic's privileged inputs when the task has them).
pub(super) fn storage_for<E: Env>(
    venv: &VecEnv<E>,
    steps: usize,
    action_dim: usize,
) -> RolloutStorage {
    let storage = RolloutStorage::new(steps, venv.num_envs(), venv.obs_dim(), action_dim);
    match venv.privileged_dim() {
        0 => storage,
        pd => storage.with_critic_obs(venv.obs_dim() + pd),
    }
}

/// Rows of `obs` (`od` wide) each followed by its row of `privileged` (`pd` wide): an
/// asymmetric critic's input.
///
/// # Shapes
/// `obs: [rows * od]`, `privileged: [rows * pd]` -> `[rows * (od + pd)]`
fn with_privileged(obs: &[f32], od: usize, privileged: &[f32], pd: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(obs.len() + privileged.len());
    for (o, p) in obs
        .chunks_exact(od.max(1))
        .zip(privileged.chunks_exact(pd.max(1)))
    {
        out.extend_from_slice(o);
        out.extend_from_slice(p);
    }
    out
}

/// The two heads of a two-head critic's rows, apart: `[rows * 2]` -> (task `[rows]`, cost
/// `[rows]`).
fn split_heads(values: &[f32]) -> (Vec<f32>, Vec<f32>) {
    values.chunks_exact(2).map(|v| (v[0], v[1])).unzip()
}

/// Mean per-step value of each named reward term since the last drain, over all envs.
pub(super) fn drain_reward_terms<E: Env>(venv: &mut VecEnv<E>) -> Vec<(&'static str, f32)> {
    let mut sums: Vec<(&'static str, f32)> = Vec::new();
    let mut steps = 0u32;
    for env in venv.envs_mut() {
        let (terms, n) = env.drain_reward_terms();
        if sums.is_empty() {
            sums = terms.iter().map(|(k, _)| (*k, 0.0)).collect();
        }
        for ((_, total), (_, v)) in sums.iter_mut().zip(&terms) {
            *total += v;
        }
        steps += n;
    }
    for (_, total) in &mut sums {
        *total /= steps.max(1) as f32;
    }
    sums
}

impl<E: Env> Collector<'_, E> {
    /// Fills `storages` (one per agent, the policy first) with `num_steps_per_env` steps of
    /// every env, each agent acting under its `policies` entry (an inference copy of its
    /// actor-critic); computes each agent's GAE with its own discount, and returns the task's
    /// reward terms for the rollout.
    ///
    /// Every agent sees the policy's (normalised) observation, its critic the policy critic's
    /// inputs. Actions are sampled from [`ActorCritic::distribution`] with noise drawn here
    /// (per env, per action dimension, from the agent's own ChaCha stream, optionally
    /// correlated over time), and their behaviour log-probabilities come from that
    /// distribution's [`ActionDistribution::log_prob`], the code the update recomputes them
    /// with. Hosted agents act through `VecEnv::step_hosted` and learn from their own rewards;
    /// all agents share the episode ends.
    pub fn collect(
        &mut self,
        policies: &[ActorCritic],
        storages: &mut [&mut RolloutStorage],
    ) -> Result<Vec<(&'static str, f32)>, PolicyError> {
        let (n, od) = (self.venv.num_envs(), self.venv.obs_dim());
        let agents = policies.len();
        if storages.len() != agents || self.samplers.len() != agents {
            return Err(PolicyError::config(
                "agents",
                format!(
                    "{agents} policies, {} storages and {} samplers for one collection",
                    storages.len(),
                    self.samplers.len()
                ),
            ));
        }
        let dev = policies[0].log_std.val().device();
        let num_steps = self.settings[0].num_steps_per_env;
        // An asymmetric critic's extra inputs (privileged state), after the observation.
        let pd = self.venv.privileged_dim();
        let mut privileged = vec![0.0f32; n * pd];
        for storage in storages.iter_mut() {
            storage.clear();
        }
        let mut rewards = vec![0.0f32; n];
        let mut dones = vec![0.0f32; n];
        let mut actions: Vec<Vec<f32>> = vec![Vec::new(); agents];
        // A constrained agent's cost-head values of the step's inputs. `[envs]` per agent
        let mut cost_values: Vec<Vec<f32>> = vec![Vec::new(); agents];
        let mut cost_rewards = vec![0.0f32; n];
        // Each agent's standard-normal draws of one step. `[envs * action_dim]` per agent
        let mut step_noise: Vec<Vec<f32>> = self
            .samplers
            .iter()
            .map(|s| vec![0.0f32; n * s.action_dim])
            .collect();
        for _ in 0..num_steps {
            if let Some(norm) = self.obs_norm.as_mut() {
                norm.update_across(&self.venv.obs, &self.comm);
            }
            let obs = normalized(self.obs_norm, &self.venv.obs);
            let obs_t = matrix(&obs, n, od, &dev);
            let critic_in = (pd > 0).then(|| {
                self.venv.write_privileged(&mut privileged);
                let rows = with_privileged(&obs, od, &privileged, pd);
                let t = matrix(&rows, n, od + pd, &dev);
                (rows, t)
            });
            for (k, (policy, storage)) in policies.iter().zip(storages.iter_mut()).enumerate() {
                let sampler = &mut *self.samplers[k];
                let ad = sampler.action_dim;
                let dist = policy.distribution(obs_t.clone());
                let critic_t = match &critic_in {
                    Some((rows, t)) => {
                        storage.push_critic_obs(rows)?;
                        t.clone()
                    }
                    None => obs_t.clone(),
                };
                let values = match storage.cost.is_some() {
                    false => to_vec(policy.value(critic_t)),
                    true => {
                        let (task, cost) = split_heads(&to_vec(policy.values(critic_t)));
                        cost_values[k] = cost;
                        task
                    }
                };
                // Env by env, action by action, over every env of the job (this rank keeps its
                // share's): the order of the draws is part of the run's seed.
                let beta = self.settings[k].noise_correlation;
                let fresh = (1.0 - beta * beta).sqrt();
                let step_noise = &mut step_noise[k];
                let shard = sampler.shard;
                skip_normals(&mut sampler.rng, shard.first * ad);
                for (i, eps) in step_noise.iter_mut().enumerate() {
                    let xi: f32 = StandardNormal.sample(&mut sampler.rng);
                    *eps = if beta > 0.0 {
                        sampler.noise[i] = beta * sampler.noise[i] + fresh * xi;
                        sampler.noise[i]
                    } else {
                        xi
                    };
                }
                skip_normals(
                    &mut sampler.rng,
                    (shard.total - shard.first - shard.count) * ad,
                );
                let actions_t = dist.sample_with_noise(matrix(step_noise, n, ad, &dev));
                let log_probs = to_vec(dist.log_prob(actions_t.clone()));
                actions[k] = to_vec(actions_t);
                let means = to_vec(dist.mean().clone());
                if storage.filled_steps() == 0 {
                    // The behaviour distribution's shared standard deviations (`exp(log_std)`).
                    storage.stds = to_vec(dist.std().clone());
                }
                storage.push(&obs, &actions[k], &means, &values, &log_probs)?;
            }
            let hosted: Vec<&[f32]> = actions[1..].iter().map(Vec::as_slice).collect();
            self.venv.step_hosted(&actions[0], &hosted)?;
            for (e, done) in dones.iter_mut().enumerate() {
                let ended = self.venv.terminated[e] || self.venv.truncated[e];
                *done = if ended { 1.0 } else { 0.0 };
            }
            // Time-outs bootstrap from the value of the terminal observation (critic inputs
            // built once, valued by each agent's critic).
            let timed_out: Vec<usize> = (0..n).filter(|&e| self.venv.truncated[e]).collect();
            let terminal_in = (!timed_out.is_empty()).then(|| {
                let mut term = Vec::with_capacity(timed_out.len() * od);
                for &e in &timed_out {
                    term.extend_from_slice(&self.venv.terminal_obs[e * od..(e + 1) * od]);
                }
                let mut term = normalized(self.obs_norm, &term);
                if pd > 0 {
                    let mut priv_rows = Vec::with_capacity(timed_out.len() * pd);
                    for &e in &timed_out {
                        priv_rows.extend_from_slice(
                            &self.venv.terminal_privileged[e * pd..(e + 1) * pd],
                        );
                    }
                    term = with_privileged(&term, od, &priv_rows, pd);
                }
                matrix(&term, timed_out.len(), od + pd, &dev)
            });
            for (k, (policy, storage)) in policies.iter().zip(storages.iter_mut()).enumerate() {
                let sampler = &mut *self.samplers[k];
                for (e, r) in rewards.iter_mut().enumerate() {
                    let raw = match k {
                        0 => self.venv.rewards[e],
                        _ => self.venv.hosted_reward(e, k - 1),
                    };
                    *r = raw * self.reward_scale;
                    if k > 0 {
                        sampler.running_return[e] += raw;
                    }
                }
                let gamma = self.settings[k].gamma;
                if storage.cost.is_some() {
                    // The cost channel: the task's constraint samples, bootstrapped on
                    // time-outs by the cost head.
                    let samples = &self.venv.constraint_samples;
                    for (c, s) in cost_rewards.iter_mut().zip(samples) {
                        *c = s.map_or(0.0, |s| s.cost * self.reward_scale);
                    }
                    if let Some(term) = &terminal_in {
                        let (task, cost) = split_heads(&to_vec(policy.values(term.clone())));
                        for (i, &e) in timed_out.iter().enumerate() {
                            rewards[e] += gamma * task[i];
                            cost_rewards[e] += gamma * cost[i];
                        }
                    }
                    storage.push_cost(&cost_values[k], &cost_rewards, samples)?;
                } else if let Some(term) = &terminal_in {
                    let v = to_vec(policy.value(term.clone()));
                    for (i, &e) in timed_out.iter().enumerate() {
                        rewards[e] += gamma * v[i];
                    }
                }
                storage.push_outcome(&rewards, &dones)?;
                if self.settings[k].noise_correlation > 0.0 {
                    // A new episode starts its noise from the stationary distribution. A draw
                    // for every env of the job, used where an episode ended: the stream then
                    // does not depend on which envs ended, which other ranks do not know.
                    let ad = sampler.action_dim;
                    let shard = sampler.shard;
                    skip_normals(&mut sampler.rng, shard.first * ad);
                    for (e, &done) in dones.iter().enumerate() {
                        for v in &mut sampler.noise[e * ad..(e + 1) * ad] {
                            let fresh: f32 = StandardNormal.sample(&mut sampler.rng);
                            if done > 0.0 {
                                *v = fresh;
                            }
                        }
                    }
                    skip_normals(
                        &mut sampler.rng,
                        (shard.total - shard.first - shard.count) * ad,
                    );
                }
                if k > 0 {
                    for e in (0..n).filter(|&e| dones[e] > 0.0) {
                        sampler.returns.push_back(sampler.running_return[e]);
                        sampler.running_return[e] = 0.0;
                    }
                    while sampler.returns.len() > 100 {
                        sampler.returns.pop_front();
                    }
                }
            }
            for ep in &self.venv.finished {
                self.returns.push_back(ep.ret);
                self.lengths.push_back(ep.len as f32);
            }
            while self.returns.len() > 100 {
                self.returns.pop_front();
                self.lengths.pop_front();
            }
        }
        let mut last_obs = normalized(self.obs_norm, &self.venv.obs);
        if pd > 0 {
            self.venv.write_privileged(&mut privileged);
            last_obs = with_privileged(&last_obs, od, &privileged, pd);
        }
        let last_obs = matrix(&last_obs, n, od + pd, &dev);
        for (k, (policy, storage)) in policies.iter().zip(storages.iter_mut()).enumerate() {
            let RolloutSettings { gamma, lam, .. } = self.settings[k];
            let last_values = match &mut storage.cost {
                None => to_vec(policy.value(last_obs.clone())),
                Some(cost) => {
                    let (task, last_cost) = split_heads(&to_vec(policy.values(last_obs.clone())));
                    let (adv, ret) = compute_gae(
                        &cost.rewards,
                        &cost.values,
                        &storage.dones,
                        &last_cost,
                        n,
                        gamma,
                        lam,
                    );
                    cost.advantages = adv;
                    cost.returns = ret;
                    task
                }
            };
            let (adv, ret) = compute_gae(
                &storage.rewards,
                &storage.values,
                &storage.dones,
                &last_values,
                n,
                gamma,
                lam,
            );
            storage.advantages = adv;
            storage.returns = ret;
        }
        Ok(drain_reward_terms(self.venv))
    }
}
