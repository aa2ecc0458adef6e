//! The on-policy runner: collect a rollout from a [`VecEnv`] with every agent, compute GAE,
//! update each agent's algorithm.

use super::agent::Sampler;
use super::agent::{Agent, POLICY_AGENT, check_hosted_name};
use super::collector::{Collector, storage_for};
use crate::algo::{Algorithm, LagrangeMultiplier, Ppo, PpoConfig, RunningMeanStd, UpdateStats};
use crate::checkpoint::{self, Checkpoint, HostedAgentState, HostedRolloutState, RunnerState};
use crate::collective::{Comm, EnvShard};
use crate::config::{AgentConfig, TrainConfig};
use crate::error::PolicyError;
use crate::nets::{ActorCritic, ActorCriticConfig};
use crate::storage::RolloutStorage;
use burn::prelude::*;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use sim::env::{Env, VecEnv};
use std::collections::VecDeque;
use std::path::Path;
use std::time::Instant;

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
    /// The job-wide index of this process's first env: 0, or `rank * num_envs` on an MPI rank
    /// (set by `embody train`, never read from or written to a config file). Task builders
    /// build envs `first_env ..` so per-env choices follow the job-wide index.
    #[serde(skip)]
    pub first_env: usize,
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
            first_env: 0,
        }
    }
}

/// What one iteration did (for the task's policy; hosted agents report through
/// [`OnPolicyRunner::hosted_stats`]).
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

/// What the last iteration did for one hosted agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostedIterationStats {
    /// The agent's name.
    pub name: String,
    /// Mean of its returns over its last 100 finished episodes.
    pub mean_return: f32,
    /// Its learner's statistics.
    pub update: UpdateStats,
}

/// On-policy learning on a batch of environments: the task's policy and the agents the task
/// hosts (`sim::env::Env::hosted_agents`), each with its own network, optimiser, storage and
/// config section, in one collection loop.
pub struct OnPolicyRunner<E: Env> {
    /// The environments.
    pub venv: VecEnv<E>,
    /// Observation statistics (when enabled), shared by every agent.
    pub obs_norm: Option<RunningMeanStd>,
    /// Runner settings.
    pub config: RunnerConfig,
    /// The learning agents: the task's policy first, then the hosted agents in the task's order.
    agents: Vec<Agent>,
    /// The next rollout, collected during the last update (`overlap_collection`).
    prefetched: Option<Prefetched>,
    seed: u64,
    needs_reseed: bool,
    reward_terms: Vec<(&'static str, f32)>,
    iteration: usize,
    total_steps: u64,
    returns: VecDeque<f32>,
    lengths: VecDeque<f32>,
    /// The job's ranks (one process unless under MPI); the learners hold clones.
    comm: Comm,
    /// The same ranks on collection's own channel (it runs beside the learners' updates).
    collect_comm: Comm,
    /// Which of the job's envs this process steps.
    shard: EnvShard,
    /// Under MPI: the last iteration's job-wide curriculum levels and hosted agents' mean
    /// returns (each rank's own figures are its envs' only).
    job_figures: Option<JobFigures>,
}

/// Figures of the whole job, summed over the ranks once per iteration.
#[derive(Debug, Clone, Default)]
struct JobFigures {
    levels: Vec<(&'static str, f32)>,
    hosted_returns: Vec<f32>,
}

/// A rollout collected ahead (one storage per agent), with what its collection observed.
struct Prefetched {
    storages: Vec<RolloutStorage>,
    reward_terms: Vec<(&'static str, f32)>,
    collect_s: f32,
}

/// A PPO learner with a fresh actor-critic for an agent acting `act_dim` actions on `venv`.
fn new_learner<E: Env>(
    venv: &VecEnv<E>,
    act_dim: usize,
    settings: &AgentConfig,
    device: &Device,
    seed: u64,
) -> Result<Ppo, PolicyError> {
    let model = ActorCritic::new_seeded_asymmetric(
        venv.obs_dim(),
        venv.obs_dim() + venv.privileged_dim(),
        act_dim,
        &settings.policy,
        device,
        seed,
    );
    Ppo::new(model, settings.ppo.clone(), device.clone())
}

/// What one agent's update touches: its learner, its rollout, its shuffle stream and where its
/// statistics go.
type Learner<'a> = (
    Option<&'a mut Box<dyn Algorithm>>,
    &'a mut RolloutStorage,
    &'a mut ChaCha8Rng,
    &'a mut UpdateStats,
);

/// Updates every agent on its rollout, in agent order. The minibatch shuffle draws from the
/// agent's sampling stream when `samplers` are given (collection is not running), else from
/// its own shuffle stream (collection runs on another thread).
fn update_agents(
    learners: &mut [Learner<'_>],
    samplers: Option<&mut [&mut Sampler]>,
    progress: f64,
) {
    match samplers {
        Some(samplers) => {
            for ((algo, storage, _, last), sampler) in learners.iter_mut().zip(samplers.iter_mut())
            {
                if let Some(algo) = algo {
                    **last = algo.update(storage, progress, &mut sampler.rng);
                }
            }
        }
        None => {
            for (algo, storage, shuffle, last) in learners.iter_mut() {
                if let Some(algo) = algo {
                    **last = algo.update(storage, progress, shuffle);
                }
            }
        }
    }
}

/// Salt of the initial weights of hosted agent `index` (1-based).
const HOSTED_WEIGHTS_SALT: u64 = 0x9E6C_63D0_676A_9A99;

impl<E: Env> OnPolicyRunner<E> {
    /// A runner with fresh networks on `device`, seeded by `seed`. Hosted agents take the
    /// policy's settings (without the mirror loss); [`Self::from_config`] reads their own
    /// sections.
    pub fn new(
        venv: VecEnv<E>,
        config: RunnerConfig,
        ppo_config: PpoConfig,
        policy: &ActorCriticConfig,
        device: &Device,
        seed: u64,
    ) -> Result<Self, PolicyError> {
        let hosted = AgentConfig {
            ppo: PpoConfig {
                mirror_loss_coef: 0.0,
                ..ppo_config.clone()
            },
            policy: policy.clone(),
        };
        let main = AgentConfig {
            ppo: ppo_config,
            policy: policy.clone(),
        };
        Self::build(venv, config, main, |_| hosted.clone(), device, seed)
    }

    /// A runner for a training configuration: `[runner]`, `[ppo]` and `[policy]` for the
    /// task's policy, `[agents.<name>]` for each agent the task hosts. A section for an agent
    /// the task does not host is an error naming it.
    pub fn from_config(
        venv: VecEnv<E>,
        config: &TrainConfig,
        device: &Device,
    ) -> Result<Self, PolicyError> {
        let hosted: Vec<String> = venv
            .hosted_agents()
            .iter()
            .map(|a| a.name.clone())
            .collect();
        if let Some(name) = config.agents.keys().find(|k| !hosted.contains(k)) {
            return Err(PolicyError::config(
                format!("agents.{name}"),
                match hosted.is_empty() {
                    true => format!("task '{}' hosts no agents", config.task),
                    false => format!(
                        "task '{}' hosts no agent '{name}' (it hosts: {})",
                        config.task,
                        hosted.join(", ")
                    ),
                },
            ));
        }
        let main = AgentConfig {
            ppo: config.ppo.clone(),
            policy: config.policy.clone(),
        };
        Self::build(
            venv,
            config.runner.clone(),
            main,
            |name| config.agent(name),
            device,
            config.seed,
        )
    }

    fn build(
        venv: VecEnv<E>,
        config: RunnerConfig,
        main: AgentConfig,
        hosted_config: impl Fn(&str) -> AgentConfig,
        device: &Device,
        seed: u64,
    ) -> Result<Self, PolicyError> {
        if config.num_envs == 0 || venv.num_envs() == 0 {
            return Err(PolicyError::config("runner.num_envs", "must be at least 1"));
        }
        let train_device = device.clone().autodiff();
        train_device.seed(seed);
        let n = venv.num_envs();
        let steps = main.ppo.num_steps_per_env;
        let obs_norm = config
            .empirical_normalization
            .then(|| RunningMeanStd::new(venv.obs_dim()));
        let mirror_on = main.ppo.mirror_loss_coef > 0.0;
        let mut ppo = new_learner(&venv, venv.action_dim(), &main, &train_device, seed)?;
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
        let mut storage = storage_for(&venv, steps, venv.action_dim());
        if let Some(spec) = venv.constraint() {
            // A constrained policy: a cost head on the critic, a cost channel in its rollout
            // and a Lagrange multiplier.
            ppo.constrain(LagrangeMultiplier::new(&spec));
            storage = storage.with_cost_channel();
        }
        let mut agents = vec![Agent::new(POLICY_AGENT, 0, Box::new(ppo), storage, n, seed)];
        for (i, spec) in venv.hosted_agents().iter().enumerate() {
            let index = i + 1;
            check_hosted_name(&spec.name)?;
            let settings = hosted_config(&spec.name);
            if settings.ppo.num_steps_per_env != steps {
                return Err(PolicyError::config(
                    format!("agents.{}.ppo.num_steps_per_env", spec.name),
                    format!("every agent learns from the same rollout of {steps} steps"),
                ));
            }
            let weights_seed = seed ^ (index as u64).wrapping_mul(HOSTED_WEIGHTS_SALT);
            let learner = new_learner(
                &venv,
                spec.action_dim,
                &settings,
                &train_device,
                weights_seed,
            )
            .map_err(|e| e.prefix_key(&format!("agents.{}", spec.name)))?;
            let storage = storage_for(&venv, steps, spec.action_dim);
            agents.push(Agent::new(
                &spec.name,
                index,
                Box::new(learner),
                storage,
                n,
                seed,
            ));
        }
        Ok(Self {
            venv,
            obs_norm,
            config,
            agents,
            prefetched: None,
            seed,
            needs_reseed: true,
            reward_terms: Vec::new(),
            iteration: 0,
            total_steps: 0,
            returns: VecDeque::new(),
            lengths: VecDeque::new(),
            comm: Comm::single(),
            collect_comm: Comm::single(),
            shard: EnvShard::whole(n),
            job_figures: None,
        })
    }

    /// Trains data-parallel with the ranks of `comm` (`mpirun -n R embody train ...`): this
    /// process steps envs `rank * N .. (rank + 1) * N` of the job's `R * N` (N =
    /// `runner.num_envs` on every rank; seeds follow the job-wide index), the sampling and
    /// shuffling streams are the same on every rank, and every learner sums its gradients and
    /// statistics over the ranks ([`Ppo::set_comm`]). R ranks of N envs then learn what one
    /// process of R N envs learns, up to the order of float sums. Observation statistics,
    /// episode statistics, reward terms and curriculum levels are summed over the ranks.
    /// Call before the first iteration (and before [`Self::resume`]); every rank must.
    pub fn set_comm(&mut self, comm: Comm) {
        let n = self.venv.num_envs();
        self.shard = EnvShard::of_rank(comm.rank(), comm.size(), n);
        self.venv.set_first_index(self.shard.first);
        for agent in &mut self.agents {
            agent.sampler.shard = self.shard;
            agent.storage.shard = self.shard;
            agent.algo.set_comm(comm.clone());
        }
        self.collect_comm = comm.duplicate();
        self.comm = comm;
        self.needs_reseed = true;
        self.prefetched = None;
    }

    /// The job's ranks (the learners' channel).
    pub fn comm(&self) -> &Comm {
        &self.comm
    }

    /// The job's ranks on collection's channel.
    pub fn collect_comm(&self) -> &Comm {
        &self.collect_comm
    }

    /// Freezes agent `name`: it keeps acting on the envs but no longer updates (`embody
    /// attack` trains a fresh adversary against a frozen policy). Fails for an unknown name.
    pub fn freeze(&mut self, name: &str) -> Result<(), PolicyError> {
        let agent = self
            .agents
            .iter_mut()
            .find(|a| a.name == name)
            .ok_or_else(|| PolicyError::config("agents", format!("no agent named '{name}'")))?;
        agent.frozen = true;
        Ok(())
    }

    /// Iterations done.
    pub fn iteration(&self) -> usize {
        self.iteration
    }

    /// The learning agents: the task's policy first, then the hosted agents.
    pub fn agents(&self) -> &[Agent] {
        &self.agents
    }

    /// The hosted agent called `name`.
    pub fn agent(&self, name: &str) -> Option<&Agent> {
        self.agents.iter().find(|a| a.name == name)
    }

    /// The task's policy's learner.
    pub fn policy(&self) -> &dyn Algorithm {
        self.agents[0].algo.as_ref()
    }

    /// The task's policy's learner, mutably.
    pub fn policy_mut(&mut self) -> &mut dyn Algorithm {
        self.agents[0].algo.as_mut()
    }

    /// What the last iteration did for each hosted agent.
    pub fn hosted_stats(&self) -> Vec<HostedIterationStats> {
        self.agents[1..]
            .iter()
            .enumerate()
            .map(|(i, a)| HostedIterationStats {
                name: a.name.clone(),
                mean_return: match &self.job_figures {
                    Some(job) => job.hosted_returns.get(i).copied().unwrap_or_default(),
                    None => a.mean_return(),
                },
                update: a.last_update,
            })
            .collect()
    }

    /// The critic's inputs as a checkpoint records them: 0 when the critic sees the
    /// observation (the field is then left out of state.json).
    fn recorded_critic_obs_dim(&self) -> usize {
        match self.venv.privileged_dim() {
            0 => 0,
            pd => self.venv.obs_dim() + pd,
        }
    }

    /// The state a checkpoint saves beside the weights.
    pub fn runner_state(&self) -> RunnerState {
        RunnerState {
            obs_dim: self.venv.obs_dim(),
            critic_obs_dim: self.recorded_critic_obs_dim(),
            act_dim: self.venv.action_dim(),
            iteration: self.iteration,
            total_steps: self.total_steps,
            learning_rate: self.policy().learning_rate(),
            obs_norm: self.obs_norm.clone(),
            recent_returns: self.returns.iter().copied().collect(),
            recent_lengths: self.lengths.iter().copied().collect(),
            agents: self.agents[1..]
                .iter()
                .map(|a| HostedAgentState {
                    name: a.name.clone(),
                    act_dim: a.sampler.action_dim,
                    learning_rate: a.algo.learning_rate(),
                    recent_returns: a.sampler.returns.iter().copied().collect(),
                })
                .collect(),
            value_heads: self.policy().model().value_heads(),
            multiplier: self.policy().multiplier(),
            ranks: self.comm.size(),
        }
    }

    /// The rollout side of the run (env states, random streams) for a checkpoint.
    pub fn rollout_state(&self) -> checkpoint::RolloutState<E::Snapshot> {
        let policy = &self.agents[0];
        checkpoint::RolloutState {
            iteration: self.iteration,
            envs: self.venv.snapshot_all(),
            rng: policy.sampler.rng.clone(),
            shuffle_rng: policy.shuffle_rng.clone(),
            noise: policy.sampler.noise.clone(),
            agents: self.agents[1..]
                .iter()
                .map(|a| HostedRolloutState {
                    name: a.name.clone(),
                    rng: a.sampler.rng.clone(),
                    shuffle_rng: a.shuffle_rng.clone(),
                    noise: a.sampler.noise.clone(),
                    running_return: a.sampler.running_return.clone(),
                    recent_returns: self
                        .comm
                        .is_distributed()
                        .then(|| a.sampler.returns.iter().copied().collect()),
                })
                .collect(),
            recent_episodes: self.comm.is_distributed().then(|| {
                (
                    self.returns.iter().copied().collect(),
                    self.lengths.iter().copied().collect(),
                )
            }),
        }
    }

    /// Writes a complete checkpoint of the run into `dir`: env snapshots and random streams,
    /// every agent's weights and optimiser, the runner state, `config` and the manifest (with
    /// the task's deploy contract). `state.json` is written last, so a folder killed mid-save
    /// still names the iteration its files were complete at.
    ///
    /// Under MPI every rank must call it: rank 0 gathers every rank's env snapshots and random
    /// streams (`envs.cbor.gz`, `envs.rank<R>.cbor.gz`) and writes the folder; the others only
    /// send theirs.
    pub fn save_checkpoint(&self, dir: &Path, config: &TrainConfig) -> Result<(), PolicyError> {
        if self.comm.is_distributed() {
            let path = dir.join(checkpoint::rollout_file(self.comm.rank()));
            let mine = checkpoint::cbor_gz(&self.rollout_state())
                .map_err(|e| PolicyError::config(path.display().to_string(), e))?;
            let Some(all) = self.comm.gather_bytes_to_root(&mine) else {
                return Ok(());
            };
            checkpoint::save_rank_rollouts(dir, &all)?;
        } else {
            checkpoint::save_rollout(dir, &self.rollout_state())?;
        }
        for agent in &self.agents[1..] {
            checkpoint::save_module(dir, &agent.name, agent.algo.model(), agent.algo.optimizer())?;
        }
        let contract = self.venv.envs().first().and_then(Env::contract);
        checkpoint::save(
            dir,
            self.policy().model(),
            self.policy().optimizer(),
            &self.runner_state(),
            config,
            contract.as_ref(),
        )
    }

    /// Restores the rollout side of a checkpoint after [`Self::resume_from`]: the envs continue
    /// where the saved run's were, without a reset. Fails (naming what differs) when the
    /// snapshots are from another iteration, another batch size or other hosted agents.
    pub fn restore_rollout(
        &mut self,
        rollout: checkpoint::RolloutState<E::Snapshot>,
    ) -> Result<(), PolicyError> {
        if rollout.iteration != self.iteration {
            return Err(PolicyError::config(
                "checkpoint",
                format!(
                    "{} is from iteration {}, state.json from iteration {}",
                    checkpoint::ROLLOUT_FILE,
                    rollout.iteration,
                    self.iteration
                ),
            ));
        }
        let names = |r: &[HostedRolloutState]| r.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
        let ours: Vec<String> = self.agents[1..].iter().map(|a| a.name.clone()).collect();
        if names(&rollout.agents) != ours {
            return Err(PolicyError::config(
                "agents",
                format!(
                    "the checkpoint's rollout has hosted agents {:?}, this run {ours:?}",
                    names(&rollout.agents)
                ),
            ));
        }
        let noise_lengths = std::iter::once(rollout.noise.len())
            .chain(rollout.agents.iter().map(|a| a.noise.len()));
        for (agent, len) in self.agents.iter().zip(noise_lengths) {
            if len != agent.sampler.noise.len() {
                return Err(PolicyError::config(
                    "runner.num_envs",
                    format!(
                        "the checkpoint's envs hold {len} noise values of agent '{}', this run {}",
                        agent.name,
                        agent.sampler.noise.len()
                    ),
                ));
            }
        }
        self.venv
            .restore_all(&rollout.envs)
            .map_err(|e| PolicyError::config("runner.num_envs", e.to_string()))?;
        let policy = &mut self.agents[0];
        policy.sampler.rng = rollout.rng;
        policy.shuffle_rng = rollout.shuffle_rng;
        policy.sampler.noise = rollout.noise;
        if let Some((returns, lengths)) = rollout.recent_episodes {
            self.returns = returns.into();
            self.lengths = lengths.into();
        }
        for (agent, saved) in self.agents[1..].iter_mut().zip(rollout.agents) {
            agent.sampler.rng = saved.rng;
            agent.shuffle_rng = saved.shuffle_rng;
            agent.sampler.noise = saved.noise;
            agent.sampler.running_return = saved.running_return;
            if let Some(returns) = saved.recent_returns {
                agent.sampler.returns = returns.into();
            }
        }
        self.needs_reseed = false;
        self.prefetched = None;
        Ok(())
    }

    /// Continues from a checkpoint: every agent's weights (loaded on the training device) and
    /// learning rate, the policy's optimiser `optimizer`, the iteration count and observation
    /// statistics. [`Self::resume`] does this and the rest from a folder; follow with
    /// [`Self::restore_rollout`] when the checkpoint has env snapshots; without them the envs
    /// are reseeded from `(seed, iteration)`.
    pub fn resume_from(
        &mut self,
        checkpoint: Checkpoint,
        optimizer: burn::optim::ModuleOptimizer,
    ) -> Result<(), PolicyError> {
        self.check_sizes(&checkpoint.state, "checkpoint")?;
        self.check_hosted(&checkpoint.state)?;
        let s = checkpoint.state;
        let policy = self.agents[0].algo.as_mut();
        let heads = policy.model().value_heads();
        if s.value_heads != heads {
            return Err(PolicyError::config(
                "checkpoint",
                format!(
                    "its critic has {} value heads, this run's {heads} (a constrained policy has \
                     a cost head: the runs differ in [disturber])",
                    s.value_heads
                ),
            ));
        }
        policy.set_model(checkpoint.model);
        policy.set_learning_rate(s.learning_rate);
        if let Some(m) = s.multiplier {
            policy.set_multiplier(m);
        }
        policy.set_optimizer(optimizer);
        for ((agent, saved), (_, model)) in self.agents[1..]
            .iter_mut()
            .zip(s.agents)
            .zip(checkpoint.hosted)
        {
            agent.algo.set_model(model);
            agent.algo.set_learning_rate(saved.learning_rate);
            agent.sampler.returns = saved.recent_returns.into();
        }
        self.iteration = s.iteration;
        self.total_steps = s.total_steps;
        self.obs_norm = s.obs_norm;
        self.returns = s.recent_returns.into();
        self.lengths = s.recent_lengths.into();
        self.needs_reseed = true;
        self.prefetched = None;
        Ok(())
    }

    /// Continues the run saved in checkpoint folder `dir`: weights, optimisers and learning
    /// rates of every agent, the runner state and, when the folder has them, the env snapshots
    /// and random streams (then the resumed run repeats the uninterrupted one exactly).
    /// Returns whether the envs were restored (`false`: an old checkpoint without snapshots;
    /// the envs are reseeded).
    pub fn resume(&mut self, dir: &Path) -> Result<bool, PolicyError> {
        let device = self.policy().device().clone();
        let ckpt = checkpoint::load(dir, &device)?;
        let (saved, ours) = (ckpt.state.ranks, self.comm.size());
        if saved != ours {
            return Err(PolicyError::config(
                "checkpoint",
                format!(
                    "{} was written by a job of {saved} rank(s), this one has {ours}: resume it \
                     with `mpirun -n {saved} embody train ... --resume`",
                    dir.display()
                ),
            ));
        }
        let optimizer = checkpoint::load_optimizer(dir)?;
        let hosted_optimizers = ckpt
            .hosted
            .iter()
            .map(|(name, _)| checkpoint::load_module_optimizer(dir, name))
            .collect::<Result<Vec<_>, _>>()?;
        self.resume_from(ckpt, optimizer)?;
        for (agent, optimizer) in self.agents[1..].iter_mut().zip(hosted_optimizers) {
            agent.algo.set_optimizer(optimizer);
        }
        match checkpoint::load_rank_rollout(dir, self.comm.rank())? {
            Some(rollout) => self.restore_rollout(rollout).map(|()| true),
            None => Ok(false),
        }
    }

    /// Starts from another checkpoint's weights and observation statistics (fine-tuning): the
    /// iteration count, optimiser and learning rate stay this run's. Hosted agents start from
    /// the checkpoint's weights when it has an agent of the same name and sizes, else fresh.
    ///
    /// When this task's observation only adds entries at the end (e.g. a blind policy fine-tuned
    /// with `[env.height_scan]`), the policy's networks are widened with zero weights for the
    /// new entries, so the fine-tune starts from exactly the old policy; that needs observation
    /// normalisation off in both.
    pub fn init_weights_from(&mut self, checkpoint: Checkpoint) -> Result<(), PolicyError> {
        let (old, new) = (checkpoint.state.obs_dim, self.venv.obs_dim());
        for (name, model) in checkpoint.hosted {
            let critic = self.venv.obs_dim() + self.venv.privileged_dim();
            if let Some(agent) = self.agents[1..].iter_mut().find(|a| a.name == name)
                && model.obs_dim() == new
                && model.critic_obs_dim() == critic
                && model.act_dim() == agent.sampler.action_dim
            {
                agent.algo.set_model(model);
            }
        }
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
            let heads = self.policy().model().value_heads();
            let widened = checkpoint.model.widen_obs(new).with_value_heads(heads);
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
            self.policy_mut().set_model(widened);
            return Ok(());
        }
        self.check_sizes(&checkpoint.state, "init_from")?;
        // A constrained run fine-tuned from an unconstrained policy gets a fresh cost head.
        let heads = self.policy().model().value_heads();
        self.policy_mut()
            .set_model(checkpoint.model.with_value_heads(heads));
        if self.obs_norm.is_some() || checkpoint.state.obs_norm.is_some() {
            self.obs_norm = checkpoint.state.obs_norm;
        }
        Ok(())
    }

    /// Fails (naming `key`) when a checkpoint's observation or action size differs from the task's.
    fn check_sizes(&self, s: &RunnerState, key: &str) -> Result<(), PolicyError> {
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

    /// Fails (naming the agent) when a checkpoint's hosted agents differ from this run's.
    fn check_hosted(&self, s: &RunnerState) -> Result<(), PolicyError> {
        let saved: Vec<(&str, usize)> = s
            .agents
            .iter()
            .map(|a| (a.name.as_str(), a.act_dim))
            .collect();
        let ours: Vec<(&str, usize)> = self.agents[1..]
            .iter()
            .map(|a| (a.name.as_str(), a.sampler.action_dim))
            .collect();
        if saved != ours {
            return Err(PolicyError::config(
                "agents",
                format!(
                    "the checkpoint has hosted agents (name, actions) {saved:?}, this run {ours:?}"
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

    /// Runs one iteration: a rollout of `num_steps_per_env` steps with every agent, then each
    /// agent's update (in agent order).
    ///
    /// The first iteration of a run (and a resume from a checkpoint without env snapshots)
    /// reseeds the environments and the sampling RNGs from `(seed, iteration)` and resets every
    /// env. Checkpoints carry the envs' snapshots ([`Self::rollout_state`]), so envs are never
    /// reset at a checkpoint boundary and a resumed run continues exactly. With
    /// `overlap_collection`, the next rollout is collected during the updates unless the next
    /// iteration starts at a boundary or is past the last.
    pub fn iterate(&mut self) -> Result<IterationStats, PolicyError> {
        let start = Instant::now();
        if self.needs_reseed {
            let s = self
                .seed
                .wrapping_add((self.iteration as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            self.venv.reseed_all(s);
            for (index, agent) in self.agents.iter_mut().enumerate() {
                agent.seed_streams(index, s);
                agent.sampler.running_return.fill(0.0);
                if agent.algo.rollout_settings().noise_correlation > 0.0 {
                    // Drawn for every env of the job, this rank keeping its share's.
                    let shard = agent.sampler.shard;
                    let ad = agent.sampler.action_dim;
                    let rng = &mut agent.sampler.rng;
                    for i in 0..shard.total * ad {
                        let v: f32 = StandardNormal.sample(rng);
                        if let Some(slot) = i
                            .checked_sub(shard.first * ad)
                            .and_then(|k| agent.sampler.noise.get_mut(k))
                        {
                            *slot = v;
                        }
                    }
                }
            }
            self.needs_reseed = false;
            self.prefetched = None;
        }
        let overlap = self.config.overlap_collection;
        let num_steps = self.policy().rollout_settings().num_steps_per_env;
        let reward_scale = self.config.reward_scale;
        let progress = self.iteration as f64 / self.config.max_iterations.max(1) as f64;
        let next = self.iteration + 1;
        let prefetch = overlap && next < self.config.max_iterations && !self.is_boundary(next);
        let settings: Vec<_> = self
            .agents
            .iter()
            .map(|a| a.algo.rollout_settings())
            .collect();
        let infer: Vec<ActorCritic> = self
            .agents
            .iter()
            .map(|a| a.algo.inference_model())
            .collect();
        let action_dims: Vec<usize> = self.agents.iter().map(|a| a.sampler.action_dim).collect();
        let shard = self.shard;
        let cost_channels: Vec<bool> = self
            .agents
            .iter()
            .map(|a| a.storage.cost.is_some())
            .collect();
        // Split each agent into what collection touches and what its update touches.
        let mut samplers = Vec::with_capacity(self.agents.len());
        let mut learners = Vec::with_capacity(self.agents.len());
        for agent in self.agents.iter_mut() {
            samplers.push(&mut agent.sampler);
            learners.push((
                (!agent.frozen).then_some(&mut agent.algo),
                &mut agent.storage,
                &mut agent.shuffle_rng,
                &mut agent.last_update,
            ));
        }
        let mut collector = Collector {
            venv: &mut self.venv,
            obs_norm: &mut self.obs_norm,
            samplers,
            settings,
            returns: &mut self.returns,
            lengths: &mut self.lengths,
            reward_scale,
            comm: self.collect_comm.clone(),
        };
        let collect_s = match self.prefetched.take() {
            Some(p) => {
                for ((_, storage, _, _), prefetched) in learners.iter_mut().zip(p.storages) {
                    **storage = prefetched;
                }
                self.reward_terms = p.reward_terms;
                p.collect_s
            }
            None => {
                let mut storages: Vec<&mut RolloutStorage> =
                    learners.iter_mut().map(|(_, s, _, _)| &mut **s).collect();
                self.reward_terms = collector.collect(&infer, &mut storages)?;
                start.elapsed().as_secs_f32()
            }
        };
        let learn_start = Instant::now();
        if prefetch {
            // The policies that collect the next rollout are the ones before this update.
            let mut next: Vec<RolloutStorage> = action_dims
                .iter()
                .zip(&cost_channels)
                .map(|(&ad, &cost)| {
                    let mut storage = storage_for(collector.venv, num_steps, ad);
                    storage.shard = shard;
                    if cost {
                        storage.with_cost_channel()
                    } else {
                        storage
                    }
                })
                .collect();
            let collected = std::thread::scope(|scope| {
                let worker = scope.spawn(move || {
                    let t = Instant::now();
                    let mut storages: Vec<&mut RolloutStorage> = next.iter_mut().collect();
                    let terms = collector.collect(&infer, &mut storages)?;
                    Ok::<_, PolicyError>(Prefetched {
                        storages: next,
                        reward_terms: terms,
                        collect_s: t.elapsed().as_secs_f32(),
                    })
                });
                update_agents(&mut learners, None, progress);
                worker.join().unwrap_or_else(|_| {
                    Err(PolicyError::config(
                        "runner.overlap_collection",
                        "the collection thread panicked",
                    ))
                })
            });
            self.prefetched = Some(collected?);
        } else if overlap {
            update_agents(&mut learners, None, progress);
        } else {
            update_agents(&mut learners, Some(&mut collector.samplers), progress);
        }
        let learn_s = learn_start.elapsed().as_secs_f32();
        let elapsed = start.elapsed().as_secs_f32();
        let steps = (self.venv.num_envs() * num_steps * self.comm.size()) as u64;
        self.total_steps += steps;
        let sum_and_count = |q: &VecDeque<f32>| [q.iter().sum::<f32>(), q.len() as f32];
        // [return sum, episodes, length sum, episodes]: each rank's window, summed.
        let mut episodes = [sum_and_count(&self.returns), sum_and_count(&self.lengths)].concat();
        self.comm.sum_f32(&mut episodes);
        let mean = |sum: f32, count: f32| if count > 0.0 { sum / count } else { 0.0 };
        if self.comm.is_distributed() {
            self.reduce_job_figures();
        }
        let stats = IterationStats {
            iteration: self.iteration,
            total_steps: self.total_steps,
            mean_return: mean(episodes[0], episodes[1]),
            mean_episode_length: mean(episodes[2], episodes[3]),
            steps_per_s: steps as f32 / elapsed,
            collect_s,
            learn_s,
            update: self.agents[0].last_update,
        };
        self.iteration += 1;
        Ok(stats)
    }

    /// Sums the iteration's per-rank figures over the ranks: the reward terms' means, the
    /// curriculum levels and the hosted agents' mean returns (every rank holds as many envs, so
    /// job means are means of rank means; episode windows are weighted by their episodes).
    fn reduce_job_figures(&mut self) {
        let mut terms: Vec<f32> = self.reward_terms.iter().map(|(_, v)| *v).collect();
        self.comm.mean_f32(&mut terms);
        for ((_, v), t) in self.reward_terms.iter_mut().zip(terms) {
            *v = t;
        }
        let mut levels = self.local_curriculum_levels();
        let mut values: Vec<f32> = levels.iter().map(|(_, v)| *v).collect();
        self.comm.mean_f32(&mut values);
        for ((_, v), m) in levels.iter_mut().zip(values) {
            *v = m;
        }
        let mut hosted: Vec<f32> = self.agents[1..]
            .iter()
            .flat_map(|a| {
                [
                    a.sampler.returns.iter().sum(),
                    a.sampler.returns.len() as f32,
                ]
            })
            .collect();
        self.comm.sum_f32(&mut hosted);
        let hosted_returns = hosted
            .chunks_exact(2)
            .map(|c| if c[1] > 0.0 { c[0] / c[1] } else { 0.0 })
            .collect();
        self.job_figures = Some(JobFigures {
            levels,
            hosted_returns,
        });
    }

    /// One collection by the runner's own code under its agents' current policies into
    /// `storages` (one per agent), outside an iteration.
    #[cfg(test)]
    pub(super) fn collect_into(
        &mut self,
        storages: &mut [&mut RolloutStorage],
    ) -> Result<(), PolicyError> {
        let infer: Vec<ActorCritic> = self
            .agents
            .iter()
            .map(|a| a.algo.inference_model())
            .collect();
        let settings = self
            .agents
            .iter()
            .map(|a| a.algo.rollout_settings())
            .collect();
        let mut collector = Collector {
            venv: &mut self.venv,
            obs_norm: &mut self.obs_norm,
            samplers: self.agents.iter_mut().map(|a| &mut a.sampler).collect(),
            settings,
            returns: &mut self.returns,
            lengths: &mut self.lengths,
            reward_scale: self.config.reward_scale,
            comm: self.collect_comm.clone(),
        };
        collector.collect(&infer, storages).map(|_| ())
    }

    /// Mean per-step value of each named reward term over the last iteration's collection
    /// (e.g. locomotion's `tracking_lin_vel`); empty for tasks without named terms.
    pub fn reward_terms(&self) -> &[(&'static str, f32)] {
        &self.reward_terms
    }

    /// Mean over the envs of each named curriculum level (e.g. locomotion's `terrain_level`,
    /// legged_gym's `terrain_level` log); empty for tasks without a curriculum. Under MPI,
    /// the job's mean as of the last iteration.
    pub fn curriculum_levels(&self) -> Vec<(&'static str, f32)> {
        match &self.job_figures {
            Some(job) if self.comm.is_distributed() => job.levels.clone(),
            _ => self.local_curriculum_levels(),
        }
    }

    /// [`Self::curriculum_levels`] of this process's envs.
    fn local_curriculum_levels(&self) -> Vec<(&'static str, f32)> {
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
    use crate::tensor_util::matrix;
    use rand::SeedableRng;
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
        r.collect_into(&mut [storage])
    }

    fn collect(r: &mut OnPolicyRunner<Clock>) -> RolloutStorage {
        let mut storage = RolloutStorage::new(
            r.policy().rollout_settings().num_steps_per_env,
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
            let stats = r.policy_mut().update(&storage, 0.5, &mut shuffle);
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
        let critic = r.policy().model().valid();
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
