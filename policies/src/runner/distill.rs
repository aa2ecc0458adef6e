//! Teacher-student distillation by DAgger (Ross, Gordon and Bagnell 2011), as legged-robot
//! and dexterous-hand work distils a privileged teacher into a deployable student (RMA,
//! BiDexHD). The student acts on the env's own observation (noisy, late, no velocities); a
//! trained teacher reads the same states through the env's privileged observation and labels
//! each with its mean action. Each iteration rolls out a mixture (the teacher's action with
//! probability `beta`, else the student's, `beta` decaying from `teacher_share_start`), adds the
//! labelled states to an aggregated dataset, and regresses the student's mean action onto the
//! teacher's (mean squared error). The student is an ordinary actor-critic checkpoint: eval,
//! play and deploy load it like any PPO policy, and PPO can fine-tune it.

use crate::algo::{RunningMeanStd, new_adam, optimizer_step};
use crate::checkpoint::{self, RunnerState};
use crate::config::TrainConfig;
use crate::deploy::MeanActor;
use crate::error::PolicyError;
use crate::nets::{ActorCritic, ActorCriticConfig};
use crate::tensor_util::{matrix, to_vec};
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sim::env::{Env, VecEnv};
use std::collections::VecDeque;
use std::path::Path;

/// Clip of the normalised observation (as in PPO training and deployment).
const OBS_CLIP: f32 = 5.0;
/// Salt of the mixture's random stream.
const MIXTURE_SALT: u64 = 0xDA66_E500;

/// DAgger's settings (`[distill]` of a training config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DistillConfig {
    /// Iterations (rollout, then regression).
    pub iterations: usize,
    /// Steps per env per iteration.
    pub num_steps_per_env: usize,
    /// Gradient steps per iteration.
    pub updates_per_iteration: usize,
    /// Samples per gradient step.
    pub minibatch_size: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Gradient clip (global norm).
    pub max_grad_norm: f32,
    /// Labelled states kept (the oldest go first once full).
    pub buffer_capacity: usize,
    /// The teacher's share of the executed actions in the first iteration (DAgger's beta_1).
    pub teacher_share_start: f32,
    /// Factor on the share per iteration (`beta_i = start * decay^(i-1)`).
    pub teacher_share_decay: f32,
    /// Save a checkpoint every this many iterations.
    pub save_interval: usize,
}

impl Default for DistillConfig {
    fn default() -> Self {
        Self {
            iterations: 300,
            num_steps_per_env: 32,
            updates_per_iteration: 16,
            minibatch_size: 2048,
            learning_rate: 5e-4,
            max_grad_norm: 1.0,
            buffer_capacity: 200_000,
            teacher_share_start: 1.0,
            teacher_share_decay: 0.95,
            save_interval: 25,
        }
    }
}

impl DistillConfig {
    /// Checks the settings; errors name the key under `distill.`.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let positive = [
            ("iterations", self.iterations),
            ("num_steps_per_env", self.num_steps_per_env),
            ("updates_per_iteration", self.updates_per_iteration),
            ("minibatch_size", self.minibatch_size),
            ("buffer_capacity", self.buffer_capacity),
            ("save_interval", self.save_interval),
        ];
        for (key, v) in positive {
            if v == 0 {
                return Err(PolicyError::config(
                    format!("distill.{key}"),
                    "must be at least 1",
                ));
            }
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(PolicyError::config(
                "distill.learning_rate",
                "must be a positive number",
            ));
        }
        if !(self.max_grad_norm.is_finite() && self.max_grad_norm > 0.0) {
            return Err(PolicyError::config(
                "distill.max_grad_norm",
                "must be a positive number",
            ));
        }
        for (key, v) in [
            ("teacher_share_start", self.teacher_share_start),
            ("teacher_share_decay", self.teacher_share_decay),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(PolicyError::config(
                    format!("distill.{key}"),
                    "must be between 0 and 1",
                ));
            }
        }
        Ok(())
    }

    /// The teacher's share of executed actions in iteration `iteration` (0-based).
    pub fn teacher_share(&self, iteration: usize) -> f32 {
        self.teacher_share_start * self.teacher_share_decay.powi(iteration as i32)
    }
}

/// Figures of one distillation iteration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DistillStats {
    /// Iterations completed.
    pub iteration: usize,
    /// Env steps so far.
    pub total_steps: u64,
    /// The teacher's share of this iteration's executed actions.
    pub teacher_share: f32,
    /// Mean squared difference of the student's and the teacher's actions on this iteration's
    /// states, before the update (DAgger's on-policy imitation error).
    pub action_mse: f32,
    /// Regression loss of the last gradient step.
    pub loss: f32,
    /// Labelled states in the dataset.
    pub dataset: usize,
    /// Mean return of the episodes that ended this iteration (NaN: none ended).
    pub mean_return: f32,
    /// Share of those episodes the env counted as successes (NaN: none ended).
    pub success_rate: f32,
    /// Seconds collecting.
    pub collect_s: f32,
    /// Seconds regressing.
    pub learn_s: f32,
}

/// The aggregated dataset: raw student observations and the teacher's clipped actions.
struct Dataset {
    obs: Vec<f32>,
    actions: Vec<f32>,
    obs_dim: usize,
    act_dim: usize,
    capacity: usize,
    len: usize,
    next: usize,
}

impl Dataset {
    fn new(obs_dim: usize, act_dim: usize, capacity: usize) -> Self {
        Self {
            obs: Vec::new(),
            actions: Vec::new(),
            obs_dim,
            act_dim,
            capacity,
            len: 0,
            next: 0,
        }
    }

    fn push(&mut self, obs: &[f32], action: &[f32]) {
        if self.len < self.capacity {
            self.obs.extend_from_slice(obs);
            self.actions.extend_from_slice(action);
            self.len += 1;
        } else {
            let (o, a) = (self.next * self.obs_dim, self.next * self.act_dim);
            self.obs[o..o + self.obs_dim].copy_from_slice(obs);
            self.actions[a..a + self.act_dim].copy_from_slice(action);
        }
        self.next = (self.next + 1) % self.capacity;
    }
}

/// A DAgger run: the student's envs, the teacher, the student and its dataset.
pub struct Distiller<E: Env, T: MeanActor> {
    /// The student's environments (their privileged observation is the teacher's).
    pub venv: VecEnv<E>,
    teacher: T,
    student: ActorCritic,
    optim: ModuleOptimizer,
    obs_norm: RunningMeanStd,
    dataset: Dataset,
    rng: ChaCha8Rng,
    config: DistillConfig,
    /// The student's device, with autodiff.
    device: Device,
    iteration: usize,
    total_steps: u64,
    returns: VecDeque<f32>,
    lengths: VecDeque<f32>,
}

impl<E: Env, T: MeanActor> Distiller<E, T> {
    /// A run with a fresh student of `policy`'s sizes. Fails, naming the lengths, when the
    /// env has no privileged observation or the teacher does not read it.
    /// `teacher_dims`: the teacher's observation and action lengths.
    pub fn new(
        venv: VecEnv<E>,
        teacher: T,
        teacher_dims: (usize, usize),
        policy: &ActorCriticConfig,
        config: DistillConfig,
        device: &Device,
        seed: u64,
    ) -> Result<Self, PolicyError> {
        config.validate()?;
        let (teacher_obs_dim, teacher_act_dim) = teacher_dims;
        let (od, pd, ad) = (venv.obs_dim(), venv.privileged_dim(), venv.action_dim());
        if pd == 0 {
            return Err(PolicyError::config(
                "env.observation",
                "the student's env has no privileged observation for a teacher to read (a \
                 bimanual student: env.observation.variant = \"student\")",
            ));
        }
        if teacher_obs_dim != pd || teacher_act_dim != ad {
            return Err(PolicyError::config(
                "teacher",
                format!(
                    "the teacher reads {teacher_obs_dim} observations and acts {teacher_act_dim}; \
                     the env's privileged observation has {pd} and its action {ad}"
                ),
            ));
        }
        let device = device.clone().autodiff();
        let student = ActorCritic::new_seeded_asymmetric(od, od + pd, ad, policy, &device, seed);
        Ok(Self {
            dataset: Dataset::new(od, ad, config.buffer_capacity),
            venv,
            teacher,
            student,
            optim: new_adam(),
            obs_norm: RunningMeanStd::new(od),
            rng: ChaCha8Rng::seed_from_u64(seed ^ MIXTURE_SALT),
            config,
            device,
            iteration: 0,
            total_steps: 0,
            returns: VecDeque::new(),
            lengths: VecDeque::new(),
        })
    }

    /// Continues from a student checkpoint folder written by [`Self::save_checkpoint`]: the
    /// student, its optimiser, its observation statistics and the iteration count. The
    /// dataset is not saved (it would be hundreds of MB); it refills from the next rollouts.
    pub fn resume_from(&mut self, dir: &Path) -> Result<(), PolicyError> {
        let ckpt = checkpoint::load(dir, &self.device)?;
        self.student = ckpt.model;
        self.optim = checkpoint::load_optimizer(dir)?;
        if let Some(n) = ckpt.state.obs_norm {
            self.obs_norm = n;
        }
        self.iteration = ckpt.state.iteration;
        self.total_steps = ckpt.state.total_steps;
        self.rng = ChaCha8Rng::seed_from_u64(
            self.rng.random::<u64>() ^ (self.iteration as u64).wrapping_mul(0x9E37_79B9),
        );
        Ok(())
    }

    /// Iterations completed.
    pub fn iteration(&self) -> usize {
        self.iteration
    }

    /// The student.
    pub fn student(&self) -> &ActorCritic {
        &self.student
    }

    /// The student's mean actions for raw observations `obs` (`[n * obs_dim]` -> `[n *
    /// act_dim]`).
    pub(super) fn student_actions(&self, obs: &[f32], n: usize) -> Vec<f32> {
        let mut o = obs.to_vec();
        self.obs_norm.normalize(&mut o, OBS_CLIP);
        let x = matrix(&o, n, self.venv.obs_dim(), &self.device);
        to_vec(self.student.action_mean(x))
    }

    /// One iteration: a mixed rollout labelled by the teacher, then the regression.
    pub fn iterate(&mut self) -> Result<DistillStats, PolicyError> {
        let (n, od, pd, ad) = (
            self.venv.num_envs(),
            self.venv.obs_dim(),
            self.venv.privileged_dim(),
            self.venv.action_dim(),
        );
        let share = self.config.teacher_share(self.iteration);
        let start = std::time::Instant::now();
        let mut privileged = vec![0.0; n * pd];
        let mut teacher = vec![0.0; n * ad];
        let (mut sq_err, mut ended_return, mut ended, mut successes) = (0.0f64, 0.0f64, 0, 0);
        for _ in 0..self.config.num_steps_per_env {
            let obs = self.venv.obs.clone();
            self.venv.write_privileged(&mut privileged);
            self.teacher.act_batch(&privileged, n, &mut teacher)?;
            teacher.iter_mut().for_each(|a| *a = a.clamp(-1.0, 1.0));
            self.obs_norm.update(&obs);
            let mut executed = self.student_actions(&obs, n);
            for i in 0..n {
                let (s, t) = (&mut executed[i * ad..][..ad], &teacher[i * ad..][..ad]);
                sq_err += s
                    .iter()
                    .zip(t)
                    .map(|(a, b)| ((a.clamp(-1.0, 1.0) - b) as f64).powi(2))
                    .sum::<f64>();
                if self.rng.random::<f32>() < share {
                    s.copy_from_slice(t);
                }
                self.dataset.push(&obs[i * od..][..od], t);
            }
            self.venv.step(&executed).map_err(PolicyError::from)?;
            for ep in &self.venv.finished {
                ended += 1;
                ended_return += ep.ret as f64;
                successes += ep.info.success.unwrap_or(false) as usize;
                push_recent(&mut self.returns, ep.ret);
                push_recent(&mut self.lengths, ep.len as f32);
            }
        }
        let steps = (self.config.num_steps_per_env * n) as u64;
        self.total_steps += steps;
        let collect_s = start.elapsed().as_secs_f32();
        let start = std::time::Instant::now();
        let loss = self.regress();
        self.iteration += 1;
        let per_episode = |v: f64| {
            if ended == 0 {
                f32::NAN
            } else {
                (v / ended as f64) as f32
            }
        };
        Ok(DistillStats {
            iteration: self.iteration,
            total_steps: self.total_steps,
            teacher_share: share,
            action_mse: (sq_err / (steps as f64 * ad as f64)) as f32,
            loss,
            dataset: self.dataset.len,
            mean_return: per_episode(ended_return),
            success_rate: per_episode(successes as f64),
            collect_s,
            learn_s: start.elapsed().as_secs_f32(),
        })
    }

    /// Gradient steps on minibatches drawn from the whole dataset; the last step's loss.
    fn regress(&mut self) -> f32 {
        let (od, ad) = (self.dataset.obs_dim, self.dataset.act_dim);
        let len = self.dataset.len;
        let batch = self.config.minibatch_size.min(len);
        let mut order: Vec<usize> = (0..len).collect();
        let mut loss_value = f32::NAN;
        for u in 0..self.config.updates_per_iteration {
            let at = (u * batch) % len.max(1);
            if at == 0 || at + batch > len {
                order.shuffle(&mut self.rng);
            }
            let at = if at + batch > len { 0 } else { at };
            let rows = &order[at..at + batch];
            let mut obs = Vec::with_capacity(batch * od);
            let mut target = Vec::with_capacity(batch * ad);
            for &r in rows {
                obs.extend_from_slice(&self.dataset.obs[r * od..][..od]);
                target.extend_from_slice(&self.dataset.actions[r * ad..][..ad]);
            }
            self.obs_norm.normalize(&mut obs, OBS_CLIP);
            let x = matrix(&obs, batch, od, &self.device);
            let y = matrix(&target, batch, ad, &self.device);
            let diff = self.student.action_mean(x) - y;
            let loss = (diff.clone() * diff).mean();
            loss_value = to_vec(loss.clone())[0];
            let model = self.student.clone();
            let (model, _) = optimizer_step(
                model,
                &mut self.optim,
                loss,
                self.config.learning_rate,
                self.config.max_grad_norm,
            );
            self.student = model;
        }
        loss_value
    }

    /// Writes the student as a checkpoint (weights, optimiser, observation statistics,
    /// `config` and the manifest with the env's deploy contract) into `dir`.
    pub fn save_checkpoint(&self, dir: &Path, config: &TrainConfig) -> Result<(), PolicyError> {
        let state = RunnerState {
            obs_dim: self.venv.obs_dim(),
            critic_obs_dim: self.student.critic_obs_dim(),
            act_dim: self.venv.action_dim(),
            iteration: self.iteration,
            total_steps: self.total_steps,
            learning_rate: self.config.learning_rate,
            obs_norm: Some(self.obs_norm.clone()),
            recent_returns: self.returns.iter().copied().collect(),
            recent_lengths: self.lengths.iter().copied().collect(),
            agents: Vec::new(),
            value_heads: 1,
            multiplier: None,
            ranks: 1,
        };
        let contract = self.venv.envs().first().and_then(Env::contract);
        checkpoint::save(
            dir,
            &self.student,
            &self.optim,
            &state,
            config,
            contract.as_ref(),
        )
    }
}

fn push_recent(v: &mut VecDeque<f32>, x: f32) {
    if v.len() == 100 {
        v.pop_front();
    }
    v.push_back(x);
}
