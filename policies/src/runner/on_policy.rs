//! The on-policy runner: collect a rollout from a [`VecEnv`], compute GAE, update PPO.

use crate::algo::{Ppo, PpoConfig, RunningMeanStd, UpdateStats, compute_gae};
use crate::dist::ActionDistribution;
use crate::error::PolicyError;
use crate::nets::{ActorCritic, ActorCriticConfig};
use crate::storage::RolloutStorage;
use crate::tensor_util::{matrix, to_vec};
use burn::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use sim::env::{Env, VecEnv};
use std::collections::VecDeque;
use std::time::Instant;

/// Salt of the minibatch-shuffle RNG seed (used when collection overlaps learning).
const SHUFFLE_SALT: u64 = 0x054a_ff1e;

/// Runner settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunnerConfig {
    /// Parallel environments.
    pub num_envs: usize,
    /// Training iterations.
    pub max_iterations: usize,
    /// Normalise observations with running statistics.
    pub empirical_normalization: bool,
    /// Save a checkpoint every this many iterations.
    pub save_interval: usize,
    /// Factor on rewards before they enter the learner (episode returns are reported unscaled).
    /// Keeps value targets near unit scale, which PPO's absolute value clip assumes.
    pub reward_scale: f32,
    /// Collect the next rollout on the simulation threads while the learner updates on the
    /// last one (the learner runs on one core; collection would otherwise wait for it). The next
    /// rollout then comes from the policy one update old: PPO's ratio uses the stored behaviour
    /// log-probabilities, so this is a one-iteration policy lag, as in APPO. Iterations that
    /// start at a checkpoint boundary collect sequentially, so resumes stay exact.
    pub overlap_collection: bool,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            num_envs: 64,
            max_iterations: 100,
            empirical_normalization: false,
            save_interval: 50,
            reward_scale: 1.0,
            overlap_collection: false,
        }
    }
}

/// What one iteration did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct IterationStats {
    /// Iteration index (0-based).
    pub iteration: usize,
    /// Environment steps so far.
    pub total_steps: u64,
    /// Mean return of the last 100 finished episodes.
    pub mean_return: f32,
    /// Mean length of the last 100 finished episodes (steps).
    pub mean_episode_length: f32,
    /// Environment steps per second of this iteration (collection + learning).
    pub steps_per_s: f32,
    /// Seconds spent collecting.
    pub collect_s: f32,
    /// Seconds spent learning.
    pub learn_s: f32,
    /// Learner statistics.
    pub update: UpdateStats,
}

/// PPO on a batch of environments.
pub struct OnPolicyRunner<E: Env> {
    /// The environments.
    pub venv: VecEnv<E>,
    /// The learner.
    pub ppo: Ppo,
    /// Observation statistics (when enabled).
    pub obs_norm: Option<RunningMeanStd>,
    /// Runner settings.
    pub config: RunnerConfig,
    storage: RolloutStorage,
    /// The next rollout, collected during the last update (`overlap_collection`).
    prefetched: Option<Prefetched>,
    /// Samples actions (and, without overlap, shuffles minibatches).
    rng: ChaCha8Rng,
    /// Shuffles minibatches when collection overlaps learning (the two run on separate threads).
    shuffle_rng: ChaCha8Rng,
    /// Exploration noise of the last step, per env and action (`[envs * act]`), carried over
    /// steps when `ppo.noise_correlation > 0`.
    noise: Vec<f32>,
    seed: u64,
    needs_reseed: bool,
    reward_terms: Vec<(&'static str, f32)>,
    iteration: usize,
    total_steps: u64,
    returns: VecDeque<f32>,
    lengths: VecDeque<f32>,
}

/// A rollout collected ahead, with what its collection observed.
struct Prefetched {
    storage: RolloutStorage,
    reward_terms: Vec<(&'static str, f32)>,
    collect_s: f32,
}

/// What one collection touches: everything but the learner, so a collection can run on its own
/// thread beside [`Ppo::update`].
struct Collector<'a, E: Env> {
    venv: &'a mut VecEnv<E>,
    obs_norm: &'a mut Option<RunningMeanStd>,
    rng: &'a mut ChaCha8Rng,
    noise: &'a mut [f32],
    noise_correlation: f32,
    returns: &'a mut VecDeque<f32>,
    lengths: &'a mut VecDeque<f32>,
    num_steps: usize,
    gamma: f32,
    lam: f32,
    reward_scale: f32,
}

fn normalized(obs_norm: &Option<RunningMeanStd>, obs: &[f32]) -> Vec<f32> {
    let mut o = obs.to_vec();
    if let Some(n) = obs_norm {
        n.normalize(&mut o, 5.0);
    }
    o
}

impl<E: Env> Collector<'_, E> {
    /// Fills `storage` with `num_steps` steps of every env under `policy` (an inference copy of
    /// the actor-critic), computes GAE, and returns the task's reward terms for the rollout.
    ///
    /// Actions are sampled from [`ActorCritic::distribution`] with noise drawn here (per env,
    /// per action dimension, from the runner's ChaCha stream, optionally correlated over time),
    /// and their behaviour log-probabilities come from that distribution's
    /// [`ActionDistribution::log_prob`], the code PPO's update recomputes them with.
    fn collect(
        &mut self,
        policy: &ActorCritic,
        storage: &mut RolloutStorage,
    ) -> Result<Vec<(&'static str, f32)>, PolicyError> {
        let (n, od, ad) = (
            self.venv.num_envs(),
            self.venv.obs_dim(),
            self.venv.action_dim(),
        );
        let dev = policy.log_std.val().device();
        // An asymmetric critic's extra inputs (privileged state), after the observation.
        let pd = self.venv.privileged_dim();
        let mut privileged = vec![0.0f32; n * pd];
        storage.clear();
        let mut step_noise = vec![0.0f32; n * ad];
        let mut rewards = vec![0.0f32; n];
        let mut dones = vec![0.0f32; n];
        let beta = self.noise_correlation;
        let fresh = (1.0 - beta * beta).sqrt();
        for _ in 0..self.num_steps {
            if let Some(norm) = self.obs_norm.as_mut() {
                norm.update(&self.venv.obs);
            }
            let obs = normalized(self.obs_norm, &self.venv.obs);
            let obs_t = matrix(&obs, n, od, &dev);
            let dist = policy.distribution(obs_t.clone());
            let values = if pd > 0 {
                self.venv.write_privileged(&mut privileged);
                let critic_in = with_privileged(&obs, od, &privileged, pd);
                storage.push_critic_obs(&critic_in)?;
                to_vec(policy.value(matrix(&critic_in, n, od + pd, &dev)))
            } else {
                to_vec(policy.value(obs_t))
            };
            // Env by env, action by action: the order of the draws is part of the run's seed.
            for (i, eps) in step_noise.iter_mut().enumerate() {
                let xi: f32 = StandardNormal.sample(self.rng);
                *eps = if beta > 0.0 {
                    self.noise[i] = beta * self.noise[i] + fresh * xi;
                    self.noise[i]
                } else {
                    xi
                };
            }
            let actions_t = dist.sample_with_noise(matrix(&step_noise, n, ad, &dev));
            let log_probs = to_vec(dist.log_prob(actions_t.clone()));
            let actions = to_vec(actions_t);
            let means = to_vec(dist.mean().clone());
            if storage.filled_steps() == 0 {
                // The behaviour distribution's shared standard deviations (`exp(log_std)`).
                storage.stds = to_vec(dist.std().clone());
            }
            storage.push(&obs, &actions, &means, &values, &log_probs)?;
            self.venv.step(&actions)?;
            for e in 0..n {
                rewards[e] = self.venv.rewards[e] * self.reward_scale;
                dones[e] = if self.venv.terminated[e] || self.venv.truncated[e] {
                    1.0
                } else {
                    0.0
                };
            }
            // Bootstrap time-outs from the value of the terminal observation.
            let timed_out: Vec<usize> = (0..n).filter(|&e| self.venv.truncated[e]).collect();
            if !timed_out.is_empty() {
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
                let v = to_vec(policy.value(matrix(&term, timed_out.len(), od + pd, &dev)));
                for (k, &e) in timed_out.iter().enumerate() {
                    rewards[e] += self.gamma * v[k];
                }
            }
            storage.push_outcome(&rewards, &dones)?;
            if beta > 0.0 {
                // A new episode starts its noise from the stationary distribution.
                for e in (0..n).filter(|&e| dones[e] > 0.0) {
                    for v in &mut self.noise[e * ad..(e + 1) * ad] {
                        *v = StandardNormal.sample(self.rng);
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
        let last_values = to_vec(policy.value(matrix(&last_obs, n, od + pd, &dev)));
        let (adv, ret) = compute_gae(
            &storage.rewards,
            &storage.values,
            &storage.dones,
            &last_values,
            n,
            self.gamma,
            self.lam,
        );
        storage.advantages = adv;
        storage.returns = ret;
        Ok(drain_reward_terms(self.venv))
    }
}

/// A rollout storage for `steps` steps of `venv` (with room for the critic's privileged inputs
/// when the task has them).
fn storage_for<E: Env>(venv: &VecEnv<E>, steps: usize) -> RolloutStorage {
    let storage = RolloutStorage::new(steps, venv.num_envs(), venv.obs_dim(), venv.action_dim());
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

/// Mean per-step value of each named reward term since the last drain, over all envs.
fn drain_reward_terms<E: Env>(venv: &mut VecEnv<E>) -> Vec<(&'static str, f32)> {
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

impl<E: Env> OnPolicyRunner<E> {
    /// A runner with a fresh actor-critic on `device`, seeded by `seed`.
    pub fn new(
        venv: VecEnv<E>,
        config: RunnerConfig,
        ppo_config: PpoConfig,
        policy: &ActorCriticConfig,
        device: &Device,
        seed: u64,
    ) -> Result<Self, PolicyError> {
        if config.num_envs == 0 || venv.num_envs() == 0 {
            return Err(PolicyError::config("runner.num_envs", "must be at least 1"));
        }
        let train_device = device.clone().autodiff();
        train_device.seed(seed);
        let model = ActorCritic::new_seeded_asymmetric(
            venv.obs_dim(),
            venv.obs_dim() + venv.privileged_dim(),
            venv.action_dim(),
            policy,
            &train_device,
            seed,
        );
        let storage = storage_for(&venv, ppo_config.num_steps_per_env);
        let obs_norm = config
            .empirical_normalization
            .then(|| RunningMeanStd::new(venv.obs_dim()));
        let noise = vec![0.0; venv.num_envs() * venv.action_dim()];
        let mirror_on = ppo_config.mirror_loss_coef > 0.0;
        let mut ppo = Ppo::new(model, ppo_config, train_device)?;
        if mirror_on {
            let key = "ppo.mirror_loss_coef";
            if obs_norm.is_some() {
                return Err(PolicyError::config(
                    key,
                    "needs runner.empirical_normalization = false (the mirror maps raw observations)",
                ));
            }
            let mirror = venv
                .envs()
                .first()
                .ok_or_else(|| PolicyError::config(key, "no environments"))?
                .mirror()
                .map_err(|why| PolicyError::config(key, why))?;
            if mirror.obs.len() != venv.obs_dim() || mirror.action.len() != venv.action_dim() {
                return Err(PolicyError::config(
                    key,
                    format!(
                        "the task's mirror maps {} observations and {} actions, the envs have {} and {}",
                        mirror.obs.len(),
                        mirror.action.len(),
                        venv.obs_dim(),
                        venv.action_dim()
                    ),
                ));
            }
            ppo.set_mirror(&mirror.obs, &mirror.action);
        }
        Ok(Self {
            ppo,
            venv,
            obs_norm,
            config,
            storage,
            prefetched: None,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5eed),
            shuffle_rng: ChaCha8Rng::seed_from_u64(seed ^ SHUFFLE_SALT),
            noise,
            seed,
            needs_reseed: true,
            reward_terms: Vec::new(),
            iteration: 0,
            total_steps: 0,
            returns: VecDeque::new(),
            lengths: VecDeque::new(),
        })
    }

    /// Iterations done.
    pub fn iteration(&self) -> usize {
        self.iteration
    }

    /// The state a checkpoint saves beside the weights.
    pub fn runner_state(&self) -> crate::checkpoint::RunnerState {
        crate::checkpoint::RunnerState {
            obs_dim: self.venv.obs_dim(),
            // 0: the critic sees the observation (the field is then left out of state.json).
            critic_obs_dim: match self.venv.privileged_dim() {
                0 => 0,
                pd => self.venv.obs_dim() + pd,
            },
            act_dim: self.venv.action_dim(),
            iteration: self.iteration,
            total_steps: self.total_steps,
            learning_rate: self.ppo.schedule.lr,
            obs_norm: self.obs_norm.clone(),
            recent_returns: self.returns.iter().copied().collect(),
            recent_lengths: self.lengths.iter().copied().collect(),
        }
    }

    /// The rollout side of the run (env states, random streams) for a checkpoint.
    pub fn rollout_state(&self) -> crate::checkpoint::RolloutState<E::Snapshot> {
        crate::checkpoint::RolloutState {
            iteration: self.iteration,
            envs: self.venv.snapshot_all(),
            rng: self.rng.clone(),
            shuffle_rng: self.shuffle_rng.clone(),
            noise: self.noise.clone(),
        }
    }

    /// Restores the rollout side of a checkpoint after [`Self::resume_from`]: the envs continue
    /// where the saved run's were, without a reset. Fails (naming what differs) when the
    /// snapshots are from another iteration or another batch size.
    pub fn restore_rollout(
        &mut self,
        rollout: crate::checkpoint::RolloutState<E::Snapshot>,
    ) -> Result<(), PolicyError> {
        if rollout.iteration != self.iteration {
            return Err(PolicyError::config(
                "checkpoint",
                format!(
                    "{} is from iteration {}, state.json from iteration {}",
                    crate::checkpoint::ROLLOUT_FILE,
                    rollout.iteration,
                    self.iteration
                ),
            ));
        }
        if rollout.noise.len() != self.noise.len() {
            return Err(PolicyError::config(
                "runner.num_envs",
                format!(
                    "the checkpoint's envs hold {} noise values, this run {}",
                    rollout.noise.len(),
                    self.noise.len()
                ),
            ));
        }
        self.venv
            .restore_all(&rollout.envs)
            .map_err(|e| PolicyError::config("runner.num_envs", e.to_string()))?;
        self.rng = rollout.rng;
        self.shuffle_rng = rollout.shuffle_rng;
        self.noise = rollout.noise;
        self.needs_reseed = false;
        self.prefetched = None;
        Ok(())
    }

    /// Continues from a checkpoint: its weights (loaded on the training device), iteration count,
    /// learning rate and observation statistics. Follow with [`Self::restore_rollout`] when the
    /// checkpoint has env snapshots; without them the envs are reseeded from
    /// `(seed, iteration)`.
    pub fn resume_from(
        &mut self,
        checkpoint: crate::checkpoint::Checkpoint,
        optimizer: burn::optim::ModuleOptimizer,
    ) -> Result<(), PolicyError> {
        self.check_sizes(&checkpoint.state, "checkpoint")?;
        let s = checkpoint.state;
        self.ppo.model = checkpoint.model;
        self.ppo.schedule.lr = s.learning_rate;
        self.iteration = s.iteration;
        self.total_steps = s.total_steps;
        self.obs_norm = s.obs_norm;
        self.returns = s.recent_returns.into();
        self.lengths = s.recent_lengths.into();
        self.ppo.optim = optimizer;
        self.needs_reseed = true;
        self.prefetched = None;
        Ok(())
    }

    /// Starts from another checkpoint's weights and observation statistics (fine-tuning): the
    /// iteration count, optimiser and learning rate stay this run's.
    ///
    /// When this task's observation only adds entries at the end (e.g. a blind policy fine-tuned
    /// with `[env.height_scan]`), the networks are widened with zero weights for the new entries,
    /// so the fine-tune starts from exactly the old policy; that needs observation normalisation
    /// off in both.
    pub fn init_weights_from(
        &mut self,
        checkpoint: crate::checkpoint::Checkpoint,
    ) -> Result<(), PolicyError> {
        let (old, new) = (checkpoint.state.obs_dim, self.venv.obs_dim());
        if old < new && checkpoint.state.act_dim == self.venv.action_dim() {
            if self.obs_norm.is_some() || checkpoint.state.obs_norm.is_some() {
                return Err(PolicyError::config(
                    "init_from",
                    format!(
                        "widening the observation from {old} to {new} entries needs \
                         runner.empirical_normalization = false in both runs"
                    ),
                ));
            }
            let widened = checkpoint.model.widen_obs(new);
            let critic = new + self.venv.privileged_dim();
            if widened.critic_obs_dim() != critic {
                return Err(PolicyError::config(
                    "init_from",
                    format!(
                        "the widened critic takes {} inputs, this task's {critic}: the runs \
                         differ in privileged state",
                        widened.critic_obs_dim()
                    ),
                ));
            }
            self.ppo.model = widened;
            return Ok(());
        }
        self.check_sizes(&checkpoint.state, "init_from")?;
        self.ppo.model = checkpoint.model;
        if self.obs_norm.is_some() || checkpoint.state.obs_norm.is_some() {
            self.obs_norm = checkpoint.state.obs_norm;
        }
        Ok(())
    }

    /// Fails (naming `key`) when a checkpoint's observation or action size differs from the task's.
    fn check_sizes(
        &self,
        s: &crate::checkpoint::RunnerState,
        key: &str,
    ) -> Result<(), PolicyError> {
        let critic = self.venv.obs_dim() + self.venv.privileged_dim();
        if s.critic_obs_dim() != critic {
            return Err(PolicyError::config(
                key,
                format!(
                    "made for a critic of {} inputs, the task's critic has {critic} \
                     (observation + privileged state)",
                    s.critic_obs_dim()
                ),
            ));
        }
        if s.obs_dim != self.venv.obs_dim() || s.act_dim != self.venv.action_dim() {
            return Err(PolicyError::config(
                key,
                format!(
                    "made for obs {} / act {}, the task has {} / {}",
                    s.obs_dim,
                    s.act_dim,
                    self.venv.obs_dim(),
                    self.venv.action_dim()
                ),
            ));
        }
        Ok(())
    }

    /// Whether iteration `i` starts at a checkpoint boundary (no rollout is collected ahead across
    /// one, so a checkpoint holds no pending rollout).
    fn is_boundary(&self, i: usize) -> bool {
        i.is_multiple_of(self.config.save_interval.max(1))
    }

    /// Runs one iteration: a rollout of `num_steps_per_env` steps and a PPO update.
    ///
    /// The first iteration of a run (and a resume from a checkpoint without env snapshots)
    /// reseeds the environments and the sampling RNG from `(seed, iteration)` and resets every
    /// env. Checkpoints carry the envs' snapshots ([`Self::rollout_state`]), so envs are never
    /// reset at a checkpoint boundary and a resumed run continues exactly. With
    /// `overlap_collection`, the next rollout is collected during the update unless the next
    /// iteration starts at a boundary or is past the last.
    pub fn iterate(&mut self) -> Result<IterationStats, PolicyError> {
        let start = Instant::now();
        if self.needs_reseed {
            let s = self
                .seed
                .wrapping_add((self.iteration as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            self.venv.reseed_all(s);
            self.rng = ChaCha8Rng::seed_from_u64(s ^ 0x5eed);
            self.shuffle_rng = ChaCha8Rng::seed_from_u64(s ^ SHUFFLE_SALT);
            if self.ppo.config.noise_correlation > 0.0 {
                for v in &mut self.noise {
                    *v = StandardNormal.sample(&mut self.rng);
                }
            }
            self.needs_reseed = false;
            self.prefetched = None;
        }
        let overlap = self.config.overlap_collection;
        let num_steps = self.ppo.config.num_steps_per_env;
        let (gamma, lam) = (self.ppo.config.gamma, self.ppo.config.lam);
        let reward_scale = self.config.reward_scale;
        let progress = self.iteration as f64 / self.config.max_iterations.max(1) as f64;
        let next = self.iteration + 1;
        let prefetch = overlap && next < self.config.max_iterations && !self.is_boundary(next);
        let mut collector = Collector {
            venv: &mut self.venv,
            obs_norm: &mut self.obs_norm,
            rng: &mut self.rng,
            noise: &mut self.noise,
            noise_correlation: self.ppo.config.noise_correlation,
            returns: &mut self.returns,
            lengths: &mut self.lengths,
            num_steps,
            gamma,
            lam,
            reward_scale,
        };
        let collect_s = match self.prefetched.take() {
            Some(p) => {
                self.storage = p.storage;
                self.reward_terms = p.reward_terms;
                p.collect_s
            }
            None => {
                let infer = self.ppo.model.valid();
                self.reward_terms = collector.collect(&infer, &mut self.storage)?;
                start.elapsed().as_secs_f32()
            }
        };
        let learn_start = Instant::now();
        let update = if prefetch {
            // The policy that collects the next rollout is the one before this update.
            let infer = self.ppo.model.valid();
            let mut next_storage = storage_for(collector.venv, num_steps);
            let (ppo, storage, shuffle_rng) = (&mut self.ppo, &self.storage, &mut self.shuffle_rng);
            let (update, collected) = std::thread::scope(|scope| {
                let worker = scope.spawn(move || {
                    let t = Instant::now();
                    let terms = collector.collect(&infer, &mut next_storage)?;
                    Ok::<_, PolicyError>(Prefetched {
                        storage: next_storage,
                        reward_terms: terms,
                        collect_s: t.elapsed().as_secs_f32(),
                    })
                });
                let update = ppo.update(storage, progress, shuffle_rng);
                let collected = worker.join().unwrap_or_else(|_| {
                    Err(PolicyError::config(
                        "runner.overlap_collection",
                        "the collection thread panicked",
                    ))
                });
                (update, collected)
            });
            self.prefetched = Some(collected?);
            update
        } else if overlap {
            self.ppo
                .update(&self.storage, progress, &mut self.shuffle_rng)
        } else {
            self.ppo.update(&self.storage, progress, &mut self.rng)
        };
        let learn_s = learn_start.elapsed().as_secs_f32();
        let elapsed = start.elapsed().as_secs_f32();
        let steps = (self.venv.num_envs() * num_steps) as u64;
        self.total_steps += steps;
        let mean = |q: &VecDeque<f32>| {
            if q.is_empty() {
                0.0
            } else {
                q.iter().sum::<f32>() / q.len() as f32
            }
        };
        let stats = IterationStats {
            iteration: self.iteration,
            total_steps: self.total_steps,
            mean_return: mean(&self.returns),
            mean_episode_length: mean(&self.lengths),
            steps_per_s: steps as f32 / elapsed,
            collect_s,
            learn_s,
            update,
        };
        self.iteration += 1;
        Ok(stats)
    }

    /// Mean per-step value of each named reward term over the last iteration's collection
    /// (e.g. locomotion's `tracking_lin_vel`); empty for tasks without named terms.
    pub fn reward_terms(&self) -> &[(&'static str, f32)] {
        &self.reward_terms
    }

    /// Mean over the envs of each named curriculum level (e.g. locomotion's `terrain_level`,
    /// legged_gym's `terrain_level` log); empty for tasks without a curriculum.
    pub fn curriculum_levels(&self) -> Vec<(&'static str, f32)> {
        let envs = self.venv.envs();
        let mut means: Vec<(&'static str, f32)> = Vec::new();
        for env in envs {
            let levels = env.curriculum_levels();
            if means.is_empty() {
                means = levels.iter().map(|(k, _)| (*k, 0.0)).collect();
            }
            for ((_, total), (_, v)) in means.iter_mut().zip(&levels) {
                *total += v;
            }
        }
        for (_, total) in &mut means {
            *total /= envs.len().max(1) as f32;
        }
        means
    }

    /// Names of the task's reward terms (drains the first env's sums to learn them).
    pub fn reward_term_names(&mut self) -> Vec<&'static str> {
        self.venv
            .envs_mut()
            .first_mut()
            .map(|e| {
                e.drain_reward_terms()
                    .0
                    .into_iter()
                    .map(|(k, _)| k)
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::StorageError;
    use sim::env::StepOutcome;

    /// A deterministic clock: observes `[t, 1]` (`t` = steps into the episode), earns `1 + t` for
    /// the step taken at `t`, is truncated once `t` reaches `len`, never terminates, ignores its
    /// actions.
    struct Clock {
        t: u32,
        len: u32,
        act: usize,
    }

    impl Env for Clock {
        type Snapshot = u32;
        fn obs_dim(&self) -> usize {
            2
        }
        fn action_dim(&self) -> usize {
            self.act
        }
        fn reseed(&mut self, _seed: u64) {}
        fn reset(&mut self, obs: &mut [f32]) {
            self.t = 0;
            obs.copy_from_slice(&[0.0, 1.0]);
        }
        fn step(&mut self, _action: &[f32], obs: &mut [f32]) -> StepOutcome {
            let reward = 1.0 + self.t as f32;
            self.t += 1;
            obs.copy_from_slice(&[self.t as f32, 1.0]);
            StepOutcome {
                reward,
                terminated: false,
                truncated: self.t >= self.len,
            }
        }
        fn snapshot(&self) -> u32 {
            self.t
        }
        fn restore(&mut self, t: &u32) {
            self.t = *t;
        }
    }

    /// A runner over `envs` clocks (env `i` times out after `len + i` steps).
    fn runner(
        envs: usize,
        act: usize,
        len: u32,
        config: RunnerConfig,
        ppo: PpoConfig,
    ) -> OnPolicyRunner<Clock> {
        let venv = VecEnv::new(envs, |i| Clock {
            t: 0,
            len: len + i as u32,
            act,
        });
        let policy = ActorCriticConfig {
            actor_hidden: vec![16, 16],
            critic_hidden: vec![16, 16],
            init_noise_std: 0.8,
        };
        let config = RunnerConfig {
            num_envs: envs,
            ..config
        };
        OnPolicyRunner::new(venv, config, ppo, &policy, &Device::flex(), 3).expect("runner")
    }

    /// One collection by the runner's own code under its current policy, into `storage`.
    fn collect_into(
        r: &mut OnPolicyRunner<Clock>,
        storage: &mut RolloutStorage,
    ) -> Result<(), PolicyError> {
        let policy = r.ppo.model.valid();
        let mut collector = Collector {
            venv: &mut r.venv,
            obs_norm: &mut r.obs_norm,
            rng: &mut r.rng,
            noise: &mut r.noise,
            noise_correlation: r.ppo.config.noise_correlation,
            returns: &mut r.returns,
            lengths: &mut r.lengths,
            num_steps: r.ppo.config.num_steps_per_env,
            gamma: r.ppo.config.gamma,
            lam: r.ppo.config.lam,
            reward_scale: r.config.reward_scale,
        };
        collector.collect(&policy, storage).map(|_| ())
    }

    fn collect(r: &mut OnPolicyRunner<Clock>) -> RolloutStorage {
        let mut storage = RolloutStorage::new(
            r.ppo.config.num_steps_per_env,
            r.venv.num_envs(),
            r.venv.obs_dim(),
            r.venv.action_dim(),
        );
        collect_into(r, &mut storage).expect("collection");
        storage
    }

    #[test]
    fn ppo_first_epoch_ratio_is_exactly_one() {
        // 64 envs x 16 steps in 2 minibatches of 512 rows: more than 256, so a one-output layer
        // (the 1-d actor, the value head) would take another gemm kernel in the update than in
        // the collection if the networks were not batch-invariant.
        for (act, beta) in [(1, 0.0), (1, 0.5), (3, 0.0), (3, 0.5)] {
            let ppo = PpoConfig {
                num_steps_per_env: 16,
                num_mini_batches: 2,
                noise_correlation: beta,
                ..PpoConfig::default()
            };
            let mut r = runner(64, act, 5, RunnerConfig::default(), ppo);
            // The runner's iterations: collection, then the update (whose first minibatch of the
            // first epoch is the one measured), twice, so the second starts from trained weights.
            for i in 0..2 {
                let stats = r.iterate().expect("iteration");
                assert_eq!(
                    stats.update.first_minibatch_ratio_dev, 0.0,
                    "act {act}, beta {beta}, iteration {i}"
                );
            }
            // The same for a rollout collected by hand with the collection path.
            let storage = collect(&mut r);
            let mut shuffle = ChaCha8Rng::seed_from_u64(9);
            let stats = r.ppo.update(&storage, 0.5, &mut shuffle);
            assert_eq!(
                stats.first_minibatch_ratio_dev, 0.0,
                "act {act}, beta {beta}"
            );
        }
    }

    #[test]
    fn first_ratio_measures_the_policy_lag_of_overlapped_collection() {
        // With overlap the second rollout comes from the weights before the first update, so
        // its ratios are not 1: the statistic sees the lag (and so is not 0 by construction).
        let config = RunnerConfig {
            overlap_collection: true,
            max_iterations: 3,
            save_interval: 100,
            ..RunnerConfig::default()
        };
        let ppo = PpoConfig {
            num_steps_per_env: 8,
            ..PpoConfig::default()
        };
        let mut r = runner(16, 2, 5, config, ppo);
        let first = r.iterate().expect("iteration 0").update;
        let second = r.iterate().expect("iteration 1").update;
        assert_eq!(first.first_minibatch_ratio_dev, 0.0);
        assert!(second.first_minibatch_ratio_dev > 0.0, "{second:?}");
    }

    #[test]
    fn time_out_bootstrap_and_gae_match_a_hand_computation() {
        let (gamma, lam, scale) = (0.9f32, 0.8f32, 0.5f32);
        let ppo = PpoConfig {
            num_steps_per_env: 3,
            gamma,
            lam,
            ..PpoConfig::default()
        };
        let config = RunnerConfig {
            reward_scale: scale,
            ..RunnerConfig::default()
        };
        // Env 0 times out after its 2nd step (t = 1), env 1 after its 3rd (t = 2, the rollout's
        // last step, so GAE must not bootstrap from the observation after the rollout either).
        let mut r = runner(2, 1, 2, config, ppo);
        let storage = collect(&mut r);
        let critic = r.ppo.model.valid();
        let v = |t: f32| -> f32 {
            let dev = critic.log_std.val().device();
            critic
                .value(matrix(&[t, 1.0], 1, 2, &dev))
                .into_scalar::<f32>()
        };
        let at = |t: usize, e: usize| t * 2 + e;
        assert_eq!(storage.dones, vec![0.0, 0.0, 1.0, 0.0, 0.0, 1.0]);
        // Critic values of the observations the actions were taken on: env 0 saw t = 0, 1, 0
        // (reset after its time-out), env 1 saw t = 0, 1, 2.
        let seen = [[0.0, 1.0, 0.0], [0.0, 1.0, 2.0]];
        for (e, ts) in seen.iter().enumerate() {
            for (t, &obs_t) in ts.iter().enumerate() {
                assert_eq!(
                    storage.values[at(t, e)],
                    v(obs_t),
                    "V at step {t} of env {e}"
                );
            }
        }
        // The rewards of the truncated steps: r * scale + gamma * V(terminal observation).
        assert_eq!(storage.rewards[at(1, 0)], 2.0 * scale + gamma * v(2.0));
        assert_eq!(storage.rewards[at(2, 1)], 3.0 * scale + gamma * v(3.0));
        // The others are scaled rewards alone.
        assert_eq!(storage.rewards[at(0, 0)], scale);
        assert_eq!(storage.rewards[at(2, 0)], scale);
        assert_eq!(storage.rewards[at(1, 1)], 2.0 * scale);

        // GAE by hand, in f64.
        let (g, l) = (gamma as f64, lam as f64);
        let rw = |t: usize, e: usize| storage.rewards[at(t, e)] as f64;
        let val = |t: f32| v(t) as f64;
        // Env 0: steps on t = 0, 1 (time-out), then a new episode at t = 0, whose next
        // observation (t = 1) is the bootstrap after the rollout.
        let a0_2 = rw(2, 0) + g * val(1.0) - val(0.0);
        let a0_1 = rw(1, 0) - val(1.0);
        let a0_0 = (rw(0, 0) + g * val(1.0) - val(0.0)) + g * l * a0_1;
        // Env 1: steps on t = 0, 1, 2 (time-out).
        let a1_2 = rw(2, 1) - val(2.0);
        let a1_1 = (rw(1, 1) + g * val(2.0) - val(1.0)) + g * l * a1_2;
        let a1_0 = (rw(0, 1) + g * val(1.0) - val(0.0)) + g * l * a1_1;
        let want = [a0_0, a1_0, a0_1, a1_1, a0_2, a1_2];
        for (i, (&got, &want)) in storage.advantages.iter().zip(&want).enumerate() {
            assert!(
                (got as f64 - want).abs() < 1e-5,
                "advantage {i}: {got} vs {want}"
            );
            let ret = storage.returns[i] as f64;
            assert!(
                (ret - (want + storage.values[i] as f64)).abs() < 1e-5,
                "return {i}"
            );
        }
    }

    #[test]
    fn a_collection_into_a_storage_that_does_not_fit_is_an_error() {
        let ppo = PpoConfig {
            num_steps_per_env: 3,
            ..PpoConfig::default()
        };
        let mut r = runner(2, 1, 2, RunnerConfig::default(), ppo);
        // Two steps of room for a three-step rollout.
        let mut short = RolloutStorage::new(2, 2, 2, 1);
        match collect_into(&mut r, &mut short) {
            Err(PolicyError::Storage(StorageError::Full { steps: 2 })) => {}
            other => panic!("{other:?}"),
        }
        // Room for the wrong observation width.
        let mut wide = RolloutStorage::new(3, 2, 5, 1);
        let err = collect_into(&mut r, &mut wide).expect_err("obs width");
        assert_eq!(
            err.to_string(),
            "rollout storage: obs has 4 values, expected 10"
        );
    }
}
