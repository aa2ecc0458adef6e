//! GRPO on a robot task: no critic. Each group of G envs starts from one env snapshot (the
//! group's first env is reset, the others restore its snapshot), the G rollouts differ only in
//! the policy's sampling noise, and every step of a rollout takes the rollout's group-relative
//! return as its advantage. The update is PPO's clipped surrogate, advantage normaliser and
//! optimiser step (the RL core's functions), on the runner's policy.

use super::OnPolicyRunner;
use crate::algo::{AdvantageMode, PpoConfig, clipped_surrogate, group_advantages, optimizer_step};
use crate::dist::ActionDistribution;
use crate::error::PolicyError;
use crate::tensor_util::{matrix, to_vec, vector};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use sim::env::{Env, VecEnv};

/// The `[grpo]` section of a robot task's config; the update's other settings (clip range,
/// epochs, minibatches, learning rate, entropy bonus, gradient clip) are `[ppo]`'s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GroupRolloutConfig {
    /// Rollouts per group (G); `runner.num_envs` must be a multiple.
    pub num_generations: usize,
    /// Longest rollout, in steps (a rollout also ends when its episode does).
    pub horizon: usize,
    /// How returns become advantages.
    pub advantage: AdvantageMode,
}

impl Default for GroupRolloutConfig {
    fn default() -> Self {
        Self {
            num_generations: 8,
            horizon: 200,
            advantage: AdvantageMode::Group,
        }
    }
}

/// One GRPO iteration's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct GroupIterationStats {
    /// Env steps collected.
    pub env_steps: usize,
    /// Mean undiscounted return of the rollouts.
    pub mean_return: f32,
    /// Mean rollout length.
    pub mean_length: f32,
    /// Mean clipped surrogate over the update's minibatches.
    pub policy_loss: f32,
    /// Mean policy entropy.
    pub entropy: f32,
    /// Mean gradient norm before clipping.
    pub grad_norm: f32,
}

/// Starts a fresh episode in every env, then gives each group of `g` consecutive envs its first
/// env's state (snapshot and restore): the group's rollouts start identical.
pub fn start_groups<E: Env>(venv: &mut VecEnv<E>, g: usize) -> Result<(), PolicyError> {
    venv.reset_all();
    for group in 0..venv.num_envs() / g.max(1) {
        let snap = venv.snapshot_slot(group * g)?;
        for j in 1..g {
            venv.restore_slot(group * g + j, &snap)?;
        }
    }
    Ok(())
}

/// Collects one batch of group rollouts from the runner's envs and updates its policy.
pub fn grpo_iteration<E: Env>(
    runner: &mut OnPolicyRunner<E>,
    config: &GroupRolloutConfig,
    ppo: &PpoConfig,
    rng: &mut ChaCha8Rng,
) -> Result<GroupIterationStats, PolicyError> {
    let g = config.num_generations.max(1);
    let n = runner.venv.num_envs();
    if !n.is_multiple_of(g) {
        return Err(PolicyError::config(
            "grpo.num_generations",
            format!("runner.num_envs = {n} is not a multiple of {g}"),
        ));
    }
    let (od, ad) = (runner.venv.obs_dim(), runner.venv.action_dim());
    let policy = runner.policy().inference_model();
    let infer_dev = policy.log_std.val().device();

    start_groups(&mut runner.venv, g)?;
    let mut obs_buf: Vec<Vec<f32>> = vec![Vec::new(); n];
    let mut act_buf: Vec<Vec<f32>> = vec![Vec::new(); n];
    let mut returns = vec![0.0f32; n];
    let mut alive = vec![true; n];
    for _ in 0..config.horizon {
        if !alive.iter().any(|&a| a) {
            break;
        }
        let obs = runner.venv.obs.clone();
        let dist = policy.distribution(matrix(&obs, n, od, &infer_dev));
        let mean = to_vec(dist.mean().clone());
        // The std is one row `[1, act]` (state-independent) or one per env.
        let std = to_vec(dist.std().clone());
        let actions: Vec<f32> = mean
            .iter()
            .enumerate()
            .map(|(k, m)| {
                let z: f32 = StandardNormal.sample(rng);
                m + std[k % std.len()] * z
            })
            .collect();
        runner.venv.step(&actions)?;
        for i in 0..n {
            if !alive[i] {
                continue;
            }
            obs_buf[i].extend_from_slice(&obs[i * od..(i + 1) * od]);
            act_buf[i].extend_from_slice(&actions[i * ad..(i + 1) * ad]);
            returns[i] += runner.venv.rewards[i];
            if runner.venv.terminated[i] || runner.venv.truncated[i] {
                alive[i] = false;
            }
        }
    }
    let advantages = group_advantages(&returns, g, config.advantage);
    let obs: Vec<f32> = obs_buf.concat();
    let actions: Vec<f32> = act_buf.concat();
    let adv: Vec<f32> = (0..n)
        .flat_map(|i| std::iter::repeat_n(advantages[i], obs_buf[i].len() / od))
        .collect();
    let steps = adv.len();
    let mut stats = GroupIterationStats {
        env_steps: steps,
        mean_return: returns.iter().sum::<f32>() / n as f32,
        mean_length: steps as f32 / n as f32,
        ..Default::default()
    };
    if steps == 0 {
        return Ok(stats);
    }
    // The behaviour log-probabilities through the update's own path, so the first ratio is 1.
    let old_logp = to_vec(
        policy
            .distribution(matrix(&obs, steps, od, &infer_dev))
            .log_prob(matrix(&actions, steps, ad, &infer_dev)),
    );
    let dev = runner.policy().device().clone();
    let mut order: Vec<usize> = (0..steps).collect();
    let per = steps.div_ceil(ppo.num_mini_batches.max(1));
    let mut count = 0.0f32;
    for _ in 0..ppo.num_learning_epochs {
        order.shuffle(rng);
        for idx in order.chunks(per) {
            let b = idx.len();
            let pick = |x: &[f32], w: usize| -> Vec<f32> {
                idx.iter()
                    .flat_map(|&i| x[i * w..(i + 1) * w].iter().copied())
                    .collect()
            };
            let alg = runner.policy_mut();
            let model = alg.model().clone();
            let dist = model.distribution(matrix(&pick(&obs, od), b, od, &dev));
            let logp = dist.log_prob(matrix(&pick(&actions, ad), b, ad, &dev));
            let ratio = (logp - vector(&pick(&old_logp, 1), &dev)).exp();
            let surrogate = clipped_surrogate(
                ratio,
                vector(&pick(&adv, 1), &dev),
                ppo.clip_low,
                ppo.clip_high,
                None,
            )
            .mean();
            let entropy = dist.mean_entropy();
            let loss = surrogate.clone() - entropy.clone() * ppo.entropy_coef;
            let lr = alg.learning_rate();
            let (model, grad_norm) =
                optimizer_step(model, alg.optimizer_mut(), loss, lr, ppo.max_grad_norm);
            alg.set_model(model);
            stats.policy_loss += surrogate.into_scalar::<f32>();
            stats.entropy += entropy.into_scalar::<f32>();
            stats.grad_norm += grad_norm;
            count += 1.0;
        }
    }
    stats.policy_loss /= count;
    stats.entropy /= count;
    stats.grad_norm /= count;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::tasks::cartpole::{CartPoleConfig, CartPoleEnv};

    #[test]
    fn a_group_starts_from_one_state_and_groups_differ() {
        let mut venv = VecEnv::new(8, |i| {
            CartPoleEnv::new(CartPoleConfig::default(), 100 + i as u64)
        });
        start_groups(&mut venv, 4).expect("groups start");
        let od = venv.obs_dim();
        let row = |i: usize| venv.obs[i * od..(i + 1) * od].to_vec();
        for i in 1..4 {
            assert_eq!(row(i), row(0), "env {i} of group 0");
            assert_eq!(row(4 + i), row(4), "env {i} of group 1");
        }
        assert_ne!(row(0), row(4), "two groups drew the same start");
        // The same actions keep a group's envs identical: the restore copied the whole state.
        venv.step(&[0.3; 8]).expect("step");
        assert_eq!(venv.obs[..od], venv.obs[od..2 * od]);
    }
}
