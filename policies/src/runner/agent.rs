//! One learning agent of the on-policy runner: the task's policy, or an agent the task hosts
//! (`sim::env::Env::hosted_agents`, e.g. the H-infinity disturber).

use crate::algo::{Algorithm, UpdateStats};
use crate::collective::EnvShard;
use crate::error::PolicyError;
use crate::storage::RolloutStorage;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// Name of the task's own policy among the runner's agents (and its checkpoint module).
pub const POLICY_AGENT: &str = "policy";

/// Names a hosted agent may not take: the policy's, and the stems of a checkpoint's own files.
const RESERVED_NAMES: [&str; 6] = [
    POLICY_AGENT,
    "model",
    "optim",
    "state",
    "config",
    "manifest",
];

/// Salt of the sampling stream of agent `index` (0 for the policy, whose stream predates
/// hosted agents and stays as it was).
const AGENT_STREAM_SALT: u64 = 0xA076_1D64_78BD_642F;

/// Salt of the minibatch-shuffle stream (used when collection overlaps learning).
pub(super) const SHUFFLE_SALT: u64 = 0x054a_ff1e;

/// Salt of the action-sampling stream.
pub(super) const SAMPLING_SALT: u64 = 0x5eed;

/// A learning agent: its learner, the rollout it learns from and its sampling state.
pub struct Agent {
    /// `policy` for the task's own policy, else the hosted agent's name.
    pub name: String,
    /// The learner: network, optimiser, learning-rate state and hyper-parameters.
    pub algo: Box<dyn Algorithm>,
    /// The last rollout.
    pub(super) storage: RolloutStorage,
    /// Shuffles minibatches when collection overlaps learning (the two run on separate
    /// threads, so the sampling stream cannot).
    pub(super) shuffle_rng: ChaCha8Rng,
    /// What collection keeps for this agent.
    pub(super) sampler: Sampler,
    /// Statistics of the agent's last update.
    pub(super) last_update: UpdateStats,
    /// A frozen agent acts but never updates (`embody attack` freezes the policy).
    pub(super) frozen: bool,
}

/// What collection keeps per agent: its sampling stream, the noise it carries between steps
/// and (for a hosted agent) its episode returns.
pub(super) struct Sampler {
    /// Length of the agent's action.
    pub action_dim: usize,
    /// Samples actions (and shuffles minibatches when collection does not overlap learning).
    pub rng: ChaCha8Rng,
    /// Exploration noise of the last step, carried over steps when the agent's
    /// `noise_correlation > 0`. `[envs * action_dim]`
    pub noise: Vec<f32>,
    /// Undiscounted return of each env's running episode (hosted agents; the policy's are the
    /// `VecEnv`'s). `[envs]`
    pub running_return: Vec<f32>,
    /// Returns of the last (up to 100) finished episodes (hosted agents).
    pub returns: VecDeque<f32>,
    /// Which of the job's envs this process steps: the sampling stream draws noise for every
    /// env of the job (so the streams stay equal on every rank) and keeps this share's.
    pub shard: EnvShard,
}

impl Agent {
    /// Agent `index` of a runner seeded with `seed` (0: the policy).
    pub(super) fn new(
        name: &str,
        index: usize,
        algo: Box<dyn Algorithm>,
        storage: RolloutStorage,
        num_envs: usize,
        seed: u64,
    ) -> Self {
        let action_dim = storage.act_dim;
        let mut agent = Self {
            name: name.to_string(),
            algo,
            storage,
            shuffle_rng: ChaCha8Rng::seed_from_u64(0),
            sampler: Sampler {
                action_dim,
                rng: ChaCha8Rng::seed_from_u64(0),
                noise: vec![0.0; num_envs * action_dim],
                running_return: vec![0.0; num_envs],
                returns: VecDeque::new(),
                shard: EnvShard::whole(num_envs),
            },
            last_update: UpdateStats::default(),
            frozen: false,
        };
        agent.seed_streams(index, seed);
        agent
    }

    /// Seeds the agent's sampling and shuffling streams from the run's `seed`.
    pub(super) fn seed_streams(&mut self, index: usize, seed: u64) {
        let s = seed ^ (index as u64).wrapping_mul(AGENT_STREAM_SALT);
        self.sampler.rng = ChaCha8Rng::seed_from_u64(s ^ SAMPLING_SALT);
        self.shuffle_rng = ChaCha8Rng::seed_from_u64(s ^ SHUFFLE_SALT);
    }

    /// The agent's last rollout.
    pub fn storage(&self) -> &RolloutStorage {
        &self.storage
    }

    /// Statistics of the agent's last update.
    pub fn last_update(&self) -> UpdateStats {
        self.last_update
    }

    /// Mean return of the agent's last (up to 100) finished episodes (hosted agents; the
    /// policy's is in the runner's iteration statistics).
    pub fn mean_return(&self) -> f32 {
        let r = &self.sampler.returns;
        if r.is_empty() {
            0.0
        } else {
            r.iter().sum::<f32>() / r.len() as f32
        }
    }
}

/// Checks a hosted agent's name: a lower-case identifier that is neither the policy's nor a
/// checkpoint file's stem (it names the agent's config section and checkpoint files).
pub(super) fn check_hosted_name(name: &str) -> Result<(), PolicyError> {
    let identifier = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !identifier || RESERVED_NAMES.contains(&name) {
        return Err(PolicyError::config(
            format!("agents.{name}"),
            format!(
                "a hosted agent needs a lower-case identifier for a name, not one of {}",
                RESERVED_NAMES.join(", ")
            ),
        ));
    }
    Ok(())
}
