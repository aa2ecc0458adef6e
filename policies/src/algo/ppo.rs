//! Proximal Policy Optimization (Schulman et al. 2017) with rsl_rl's defaults.

use super::algorithm::{Algorithm, RolloutSettings};
use super::lagrange::LagrangeMultiplier;
use super::losses::{clipped_surrogate_loss, value_loss};
use super::normalizer::normalize_batch_across;
use super::optim_step::{new_adam, optimizer_step, optimizer_step_across};
use super::schedule::{LrSchedule, LrScheduleKind};
use crate::collective::Comm;
use crate::dist::{ActionDistribution, DiagGaussian};
use crate::error::PolicyError;
use crate::nets::ActorCritic;
use crate::storage::{ConstraintStats, RolloutStorage};
use crate::tensor_util::{matrix, to_vec, vector};
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// PPO hyper-parameters. Defaults are rsl_rl's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PpoConfig {
    /// Environment steps per env per iteration.
    pub num_steps_per_env: usize,
    /// Passes over each rollout.
    pub num_learning_epochs: usize,
    /// Minibatches per pass.
    pub num_mini_batches: usize,
    /// Lower clip range of the ratio (1 - clip_low).
    pub clip_low: f32,
    /// Upper clip range of the ratio (1 + clip_high).
    pub clip_high: f32,
    /// Clip the value loss around the old values with `clip_low`.
    pub use_clipped_value_loss: bool,
    /// Weight of the value loss.
    pub value_loss_coef: f32,
    /// Weight of the entropy bonus.
    pub entropy_coef: f32,
    /// Initial learning rate.
    pub learning_rate: f64,
    /// Learning-rate rule.
    pub schedule: LrScheduleKind,
    /// Target KL for the adaptive rule.
    pub desired_kl: f64,
    /// Discount.
    pub gamma: f32,
    /// GAE lambda.
    pub lam: f32,
    /// Global gradient-norm bound.
    pub max_grad_norm: f32,
    /// Normalise advantages over the whole rollout.
    pub normalize_advantage: bool,
    /// Correlation `beta` in [0, 1) of the exploration noise from one step to the next:
    /// `eps_t = beta * eps_{t-1} + sqrt(1 - beta^2) * xi_t` (each `eps` stays N(0, 1), so the
    /// stored Gaussian log-probabilities are unchanged; 0 = white noise, rsl_rl's). Correlated
    /// noise moves joints coherently over several control steps, which finds stepping sooner.
    pub noise_correlation: f32,
    /// Weight of the mirror loss `mean((mu(M_o s) - M_a mu(s))^2)` over each minibatch (Yu et
    /// al. 2018, "Learning Symmetric and Low-Energy Locomotion"): the policy's mean action in
    /// the mirror-image state should be the mirror image of its action. 0 turns it off; it
    /// needs a task with a mirror (`sim::env::Env::mirror`) and no observation normalisation.
    pub mirror_loss_coef: f32,
}

impl Default for PpoConfig {
    fn default() -> Self {
        Self {
            num_steps_per_env: 24,
            num_learning_epochs: 5,
            num_mini_batches: 4,
            clip_low: 0.2,
            clip_high: 0.2,
            use_clipped_value_loss: true,
            value_loss_coef: 1.0,
            entropy_coef: 0.01,
            learning_rate: 1e-3,
            schedule: LrScheduleKind::Adaptive,
            desired_kl: 0.01,
            gamma: 0.99,
            lam: 0.95,
            max_grad_norm: 1.0,
            normalize_advantage: true,
            noise_correlation: 0.0,
            mirror_loss_coef: 0.0,
        }
    }
}

impl PpoConfig {
    /// Checks ranges; errors name the key.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let positive = |key: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(PolicyError::config(
                    format!("ppo.{key}"),
                    format!("must be a positive number, got {v}"),
                ))
            }
        };
        positive("num_steps_per_env", self.num_steps_per_env as f64)?;
        positive("num_learning_epochs", self.num_learning_epochs as f64)?;
        positive("num_mini_batches", self.num_mini_batches as f64)?;
        positive("clip_low", self.clip_low as f64)?;
        positive("clip_high", self.clip_high as f64)?;
        positive("learning_rate", self.learning_rate)?;
        positive("desired_kl", self.desired_kl)?;
        positive("max_grad_norm", self.max_grad_norm as f64)?;
        for (key, v) in [("gamma", self.gamma), ("lam", self.lam)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(PolicyError::config(
                    format!("ppo.{key}"),
                    format!("must be in [0, 1], got {v}"),
                ));
            }
        }
        for (key, v) in [
            ("value_loss_coef", self.value_loss_coef),
            ("entropy_coef", self.entropy_coef),
            ("mirror_loss_coef", self.mirror_loss_coef),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(PolicyError::config(
                    format!("ppo.{key}"),
                    format!("must be a non-negative number, got {v}"),
                ));
            }
        }
        if !(0.0..1.0).contains(&self.noise_correlation) {
            return Err(PolicyError::config(
                "ppo.noise_correlation",
                format!("must be in [0, 1), got {}", self.noise_correlation),
            ));
        }
        Ok(())
    }
}

/// Means over one update.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct UpdateStats {
    /// Surrogate loss.
    pub policy_loss: f32,
    /// Value loss.
    pub value_loss: f32,
    /// Policy entropy.
    pub entropy: f32,
    /// Analytic KL(old || new) per minibatch.
    pub kl: f32,
    /// Gradient norm before clipping.
    pub grad_norm: f32,
    /// Learning rate after the update.
    pub learning_rate: f64,
    /// Mirror loss (0 when it is off).
    pub mirror_loss: f32,
    /// Largest `|ratio - 1|` over the first minibatch of the update, before any optimiser step:
    /// how far the learner's policy is from the behaviour policy that collected the rollout.
    /// Exactly 0 when the rollout came from the learner's current weights (the collection and
    /// the update compute log-probabilities through the same distribution code, bit for bit);
    /// with `runner.overlap_collection` it measures the one-update policy lag.
    pub first_minibatch_ratio_dev: f32,
    /// A constrained policy's constraint over the rollout (steps under it only); `None` for an
    /// unconstrained one.
    pub constraint: Option<ConstraintStats>,
    /// The Lagrange multiplier after the update's dual-ascent step (0 when unconstrained).
    pub multiplier: f32,
}

impl UpdateStats {
    /// Adds one data-parallel minibatch's figures, summed over the ranks: `extra` is `[KL x
    /// rows, policy loss, value loss, entropy, mirror loss]` (each loss already a share of the
    /// minibatch's mean) for a minibatch of `rows` rows over all ranks.
    fn add_job_means(&mut self, extra: &[f32; 5], rows: usize, grad_norm: f32) {
        self.kl += extra[0] / rows as f32;
        self.policy_loss += extra[1];
        self.value_loss += extra[2];
        self.entropy += extra[3];
        self.mirror_loss += extra[4];
        self.grad_norm += grad_norm;
    }
}

/// The PPO learner: model, optimiser and learning-rate schedule.
pub struct Ppo {
    /// The actor-critic, on an autodiff device.
    pub model: ActorCritic,
    /// Adam.
    pub optim: ModuleOptimizer,
    /// Learning-rate schedule (with its current value).
    pub schedule: LrSchedule,
    /// Hyper-parameters.
    pub config: PpoConfig,
    device: Device,
    /// The mirror as right-multiplied matrices: observations `[obs_dim, obs_dim]`, actions
    /// `[action_dim, action_dim]` (`x_mirrored = x · P`).
    mirror: Option<(Tensor<2>, Tensor<2>)>,
    /// A constrained policy's Lagrange multiplier (its critic has a cost head).
    pub multiplier: Option<LagrangeMultiplier>,
    /// The ranks this learner trains with (one process unless under MPI).
    comm: Comm,
}

/// `P` with `x · P = apply(x)` for row vectors: `P[index[i], i] = sign[i]`; `[n, n]`.
fn permutation_matrix(map: &robots::SignedPermutation, device: &Device) -> Tensor<2> {
    let n = map.len();
    let mut p = vec![0.0f32; n * n];
    for (i, (&j, &s)) in map.index.iter().zip(&map.sign).enumerate() {
        p[j * n + i] = s;
    }
    matrix(&p, n, n, device)
}

impl Ppo {
    /// A learner around `model` (which must live on `device.autodiff()`).
    pub fn new(model: ActorCritic, config: PpoConfig, device: Device) -> Result<Self, PolicyError> {
        config.validate()?;
        Ok(Self {
            model,
            optim: Self::new_optimizer(),
            schedule: LrSchedule::new(config.schedule, config.learning_rate, config.desired_kl),
            config,
            device,
            mirror: None,
            multiplier: None,
            comm: Comm::single(),
        })
    }

    /// Sets the mirror the mirror loss uses (`ppo.mirror_loss_coef`): how an observation and
    /// an action map onto their mirror images (a task's `sim::env::Env::mirror`).
    pub fn set_mirror(
        &mut self,
        obs: &robots::SignedPermutation,
        action: &robots::SignedPermutation,
    ) {
        self.mirror = Some((
            permutation_matrix(obs, &self.device),
            permutation_matrix(action, &self.device),
        ));
    }

    /// Trains data-parallel with the ranks of `comm`: each rank's update learns from its own
    /// rows of the job's minibatches, and gradients, advantage statistics, the KL and the
    /// constraint statistics are summed over the ranks, so every rank takes the same step.
    /// The weights must start equal on every rank (same seed).
    pub fn set_comm(&mut self, comm: Comm) {
        self.comm = comm;
    }

    /// A fresh Adam optimiser with PPO's settings (epsilon 1e-8 as in PyTorch/rsl_rl).
    pub fn new_optimizer() -> ModuleOptimizer {
        new_adam()
    }

    /// The training device (with autodiff).
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Makes this a constrained policy: a cost head on the critic (zero-initialised when new)
    /// and a Lagrange multiplier (see [`Self::update`]).
    pub fn constrain(&mut self, multiplier: LagrangeMultiplier) {
        if self.model.value_heads() < 2 {
            self.model = self.model.clone().with_value_heads(2);
        }
        self.multiplier = Some(multiplier);
    }

    /// One PPO update over `storage` (advantages and returns must be computed). `progress` in
    /// [0, 1] drives the linear schedule; `rng` shuffles minibatches. (The [`Algorithm`]
    /// implementation calls this.)
    ///
    /// A constrained policy (PPO-Lagrangian) first takes the multiplier's dual-ascent step on
    /// the rollout's constraint statistics, then learns from the advantage
    /// `A_task - lambda * A_cost` (normalised as usual); both value heads regress on their own
    /// GAE returns, each with the clipped value loss, and their losses add.
    ///
    /// The probability ratio is `exp(logp_new - logp_old)` with `logp_old` the stored behaviour
    /// log-probabilities (not recomputed: with `runner.overlap_collection` the behaviour policy
    /// is one update older than the learner) and `logp_new` from
    /// [`ActorCritic::distribution`], the code the runner's collection used. The KL that drives
    /// the adaptive learning rate is [`ActionDistribution::kl`] from the learner's policy at the
    /// start of the update (the behaviour policy, unless collection overlapped the last update)
    /// to the current policy; the fixed and linear schedules report it from the stored
    /// behaviour Gaussian.
    pub fn update(
        &mut self,
        storage: &RolloutStorage,
        progress: f64,
        rng: &mut ChaCha8Rng,
    ) -> UpdateStats {
        let n = storage.len();
        let (od, ad) = (storage.obs_dim, storage.act_dim);
        let mut adv = storage.advantages.clone();
        let mut stats = UpdateStats::default();
        let cost = storage
            .cost
            .as_ref()
            .filter(|_| self.model.value_heads() > 1);
        let comm = self.comm.clone();
        let distributed = comm.is_distributed();
        if let (Some(cost), Some(m)) = (cost, self.multiplier.as_mut()) {
            let c = ConstraintStats::across(&cost.samples, &comm);
            if c.share > 0.0 {
                m.step(c.cost, c.bound);
            }
            adv = m.combine(&adv, &cost.advantages);
            stats.constraint = Some(c);
            stats.multiplier = m.value;
        }
        if self.config.normalize_advantage {
            normalize_batch_across(&mut adv, 1e-8, &comm);
        }
        // Minibatches are drawn from the job's rollout (every rank's envs; the shuffle streams
        // agree across ranks), and each rank learns from its own rows of them.
        let shard = storage.shard;
        let n_job = match distributed {
            true => storage.steps * shard.total,
            false => n,
        };
        let mb = (n_job / self.config.num_mini_batches).max(1);
        let mut order: Vec<usize> = (0..n_job).collect();
        let mut count = 0.0f32;
        let mut first_minibatch = true;
        let dev = self.device.clone();
        // The adaptive rule's reference: the learner's policy before this update. Without
        // overlapped collection it is the behaviour policy; with it, the behaviour policy is one
        // update older, and measuring against it would charge every step with the last update's
        // KL and pin the rate to its floor.
        let (reference_means, reference_std) = match self.schedule.kind {
            LrScheduleKind::Adaptive => {
                let start = self
                    .model
                    .distribution(matrix(&storage.obs, n, od, &dev))
                    .detach();
                (to_vec(start.mean().clone()), to_vec(start.std().clone()))
            }
            _ => (storage.means.clone(), storage.stds.clone()),
        };
        let reference_std_row = matrix(&reference_std, 1, ad, &dev);
        for _ in 0..self.config.num_learning_epochs {
            order.shuffle(rng);
            for chunk in order.chunks(mb) {
                let local: Vec<usize>;
                let idx = match distributed {
                    true => {
                        local = chunk.iter().filter_map(|&g| shard.local_row(g)).collect();
                        &local[..]
                    }
                    false => chunk,
                };
                let (b, b_job) = (idx.len(), chunk.len());
                count += 1.0;
                if b == 0 {
                    // None of this minibatch's rows are this rank's: it adds nothing but
                    // still takes part in the step.
                    self.step_across(None, [0.0; 5], b_job, progress, &mut stats);
                    continue;
                }
                let gather = |src: &[f32], width: usize| -> Vec<f32> {
                    let mut out = Vec::with_capacity(b * width);
                    for &i in idx {
                        out.extend_from_slice(&src[i * width..(i + 1) * width]);
                    }
                    out
                };
                let obs = matrix(&gather(&storage.obs, od), b, od, &dev);
                let actions = matrix(&gather(&storage.actions, ad), b, ad, &dev);
                let mu_reference = matrix(&gather(&reference_means, ad), b, ad, &dev);
                let logp_old = vector(&gather(&storage.log_probs, 1), &dev);
                // Values and targets, head-major per row: `[b * heads]`.
                let (v_old, returns) = match cost {
                    None => (gather(&storage.values, 1), gather(&storage.returns, 1)),
                    Some(c) => {
                        let pair = |task: &[f32], cost: &[f32]| {
                            idx.iter()
                                .flat_map(|&i| [task[i], cost[i]])
                                .collect::<Vec<f32>>()
                        };
                        (
                            pair(&storage.values, &c.values),
                            pair(&storage.returns, &c.returns),
                        )
                    }
                };
                let heads = if cost.is_some() { 2 } else { 1 };
                let v_old = vector(&v_old, &dev);
                let returns = vector(&returns, &dev);
                let adv_b = vector(&gather(&adv, 1), &dev);

                let dist = self.model.distribution(obs.clone());
                let (obs_for_mirror, mean_for_mirror) = (obs.clone(), dist.mean().clone());
                let reference = DiagGaussian::from_std(mu_reference, reference_std_row.clone());
                // KL(reference || new) decides the learning rate of this step (rsl_rl's order).
                let kl = reference.kl(&dist.detach()).mean().into_scalar::<f32>();

                let logp = dist.log_prob(actions);
                let ratio = (logp - logp_old).exp();
                if first_minibatch {
                    // No optimiser step has been taken yet.
                    stats.first_minibatch_ratio_dev = to_vec(ratio.clone().detach())
                        .iter()
                        .fold(0.0f32, |m, r| m.max((r - 1.0).abs()));
                    first_minibatch = false;
                }
                let surrogate = clipped_surrogate_loss(
                    ratio,
                    adv_b,
                    self.config.clip_low,
                    self.config.clip_high,
                );
                // An asymmetric critic sees the observation and the privileged state.
                let critic_in = match storage.critic_dim {
                    0 => obs,
                    cd => matrix(&gather(&storage.critic_obs, cd), b, cd, &dev),
                };
                let values = match heads {
                    1 => self.model.value(critic_in),
                    h => self.model.values(critic_in).reshape([b * h]),
                };
                let clip = self
                    .config
                    .use_clipped_value_loss
                    .then_some(self.config.clip_low);
                // The mean over rows and heads, times the heads: the heads' losses add.
                let v_loss = value_loss(values, v_old, returns, clip) * heads as f32;
                let entropy = dist.mean_entropy();
                let mut loss = surrogate.clone() + v_loss.clone() * self.config.value_loss_coef
                    - entropy.clone() * self.config.entropy_coef;
                let mut mirror_value = 0.0f32;
                if let (Some((p_obs, p_act)), true) =
                    (&self.mirror, self.config.mirror_loss_coef > 0.0)
                {
                    let mirrored_mean =
                        self.model.action_mean(obs_for_mirror.matmul(p_obs.clone()));
                    let mirror_loss = (mirrored_mean - mean_for_mirror.matmul(p_act.clone()))
                        .powf_scalar(2.0)
                        .mean();
                    mirror_value = mirror_loss.clone().into_scalar::<f32>();
                    loss = loss + mirror_loss * self.config.mirror_loss_coef;
                }

                if distributed {
                    // This rank's rows' means, weighted by their share of the minibatch: the
                    // ranks' losses (and statistics) add up to the minibatch's.
                    let w = b as f32 / b_job as f32;
                    let extra = [
                        kl * b as f32,
                        surrogate.into_scalar::<f32>() * w,
                        v_loss.into_scalar::<f32>() * w,
                        entropy.into_scalar::<f32>() * w,
                        mirror_value * w,
                    ];
                    self.step_across(Some(loss * w), extra, b_job, progress, &mut stats);
                    continue;
                }
                let lr = self.schedule.step(kl as f64, progress);
                let (model, grad_norm) = optimizer_step(
                    self.model.clone(),
                    &mut self.optim,
                    loss,
                    lr,
                    self.config.max_grad_norm,
                );
                self.model = model;

                stats.policy_loss += surrogate.into_scalar::<f32>();
                stats.value_loss += v_loss.into_scalar::<f32>();
                stats.entropy += entropy.into_scalar::<f32>();
                stats.mirror_loss += mirror_value;
                stats.kl += kl;
                stats.grad_norm += grad_norm;
            }
        }
        stats.policy_loss /= count;
        stats.value_loss /= count;
        stats.entropy /= count;
        stats.kl /= count;
        stats.grad_norm /= count;
        stats.mirror_loss /= count;
        stats.learning_rate = self.schedule.lr;
        stats
    }
}

impl Ppo {
    /// One data-parallel optimiser step on a minibatch of `rows` rows over all ranks: this
    /// rank's share of the loss (`None`: no rows here) and of `extra` (`[KL x rows, policy
    /// loss, value loss, entropy, mirror loss]`) are summed over the ranks, the rate comes
    /// from the summed KL, and the step's figures go into `stats`.
    fn step_across(
        &mut self,
        loss: Option<Tensor<1>>,
        mut extra: [f32; 5],
        rows: usize,
        progress: f64,
        stats: &mut UpdateStats,
    ) {
        let schedule = &mut self.schedule;
        let (model, grad_norm) = optimizer_step_across(
            self.model.clone(),
            &mut self.optim,
            loss,
            &mut extra,
            |e| schedule.step((e[0] / rows as f32) as f64, progress),
            self.config.max_grad_norm,
            &self.comm,
        );
        self.model = model;
        stats.add_job_means(&extra, rows, grad_norm);
    }
}

impl Algorithm for Ppo {
    fn kind(&self) -> &'static str {
        "ppo"
    }

    fn rollout_settings(&self) -> RolloutSettings {
        RolloutSettings {
            num_steps_per_env: self.config.num_steps_per_env,
            gamma: self.config.gamma,
            lam: self.config.lam,
            noise_correlation: self.config.noise_correlation,
        }
    }

    fn model(&self) -> &ActorCritic {
        &self.model
    }

    fn set_model(&mut self, model: ActorCritic) {
        self.model = model;
    }

    fn optimizer(&self) -> &ModuleOptimizer {
        &self.optim
    }

    fn set_optimizer(&mut self, optimizer: ModuleOptimizer) {
        self.optim = optimizer;
    }

    fn optimizer_mut(&mut self) -> &mut ModuleOptimizer {
        &mut self.optim
    }

    fn learning_rate(&self) -> f64 {
        self.schedule.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.schedule.lr = lr;
    }

    fn device(&self) -> &Device {
        &self.device
    }

    fn multiplier(&self) -> Option<f32> {
        self.multiplier.map(|m| m.value)
    }

    fn set_multiplier(&mut self, value: f32) {
        if let Some(m) = &mut self.multiplier {
            m.value = value;
        }
    }

    fn set_comm(&mut self, comm: Comm) {
        Ppo::set_comm(self, comm);
    }

    fn update(
        &mut self,
        storage: &RolloutStorage,
        progress: f64,
        rng: &mut ChaCha8Rng,
    ) -> UpdateStats {
        Ppo::update(self, storage, progress, rng)
    }
}
