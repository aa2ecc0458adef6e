//! The environment API: one environment ([`Env`]) and the batched [`VecEnv`] over flat `f32`
//! buffers, stepped in parallel with rayon.

pub mod cells;
mod count_bonus;
mod obs_writer;
mod term_sums;
mod vec_env;

pub use cells::{CellConfig, CellFeatures, CellFunction, CellKey};
pub use count_bonus::{CountBonus, CountBonusSnapshot};
pub use obs_writer::{ObsWriter, clip_action};
pub use term_sums::drain_term_sums;
pub use vec_env::{EpisodeStats, SlotSnapshot, VecEnv};

use crate::error::SimError;
use crate::scene::ArticulationState;
use serde::{Serialize, de::DeserializeOwned};

/// What one environment step produced.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StepOutcome {
    /// Reward of this step.
    pub reward: f32,
    /// The episode ended in a terminal state (fall, success): no bootstrapping.
    pub terminated: bool,
    /// The episode hit its time limit: bootstrap from the terminal observation.
    pub truncated: bool,
}

/// Named flags of one step, beside the reward (legged_gym's and Isaac Lab's per-step `extras`).
/// `None`: the task does not report that flag; eval reports a rate only for flags a task sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct StepInfo {
    /// The step ended the episode in a fall (a body that must not touch the ground did, or the
    /// state blew up).
    pub fall: Option<bool>,
    /// The task's goal holds after this step (a grasp lifted, a goal reached).
    pub success: Option<bool>,
}

pub use robots::constraint::{ConstraintSample, ConstraintSpec};

/// One environment. Each owns its simulation and its own seeded RNG, so a batch of them can be
/// stepped on any number of threads with bit-identical results.
pub trait Env: Send {
    /// The env's complete state: physics, RNG, command, counters, episode clock, curriculum and
    /// disturbance state. Restoring it into any env of the same task and configuration continues
    /// bit-exactly; it serialises (checkpoints, Go-Explore archives).
    type Snapshot: Clone + Send + Sync + Serialize + DeserializeOwned + 'static;
    /// Length of an observation vector.
    fn obs_dim(&self) -> usize;
    /// Length of an action vector.
    fn action_dim(&self) -> usize;
    /// Replaces the env's RNG with one seeded by `seed` (the next [`Env::reset`] draws from it).
    fn reseed(&mut self, seed: u64);
    /// Starts a new episode (drawn from the env's RNG) and writes its first observation.
    ///
    /// # Shapes
    /// `obs: [obs_dim]`
    fn reset(&mut self, obs: &mut [f32]);
    /// Applies `action`, advances one control step and writes the next observation.
    ///
    /// # Shapes
    /// `action: [action_dim]`, `obs: [obs_dim]`
    fn step(&mut self, action: &[f32], obs: &mut [f32]) -> StepOutcome;
    /// Captures the env's complete state.
    fn snapshot(&self) -> Self::Snapshot;
    /// Restores a state captured from this env or another built the same way (another slot,
    /// another process); the next step continues exactly as the captured env would have.
    fn restore(&mut self, snapshot: &Self::Snapshot);
    /// Starts a new episode with the robot in `state` (reference-state initialisation, e.g. a
    /// motion-capture frame) and writes its first observation. Tasks without a robot
    /// articulation refuse.
    ///
    /// # Shapes
    /// `obs: [obs_dim]`
    fn reset_to_state(
        &mut self,
        state: &ArticulationState,
        obs: &mut [f32],
    ) -> Result<(), SimError> {
        let _ = (state, obs);
        Err(SimError::Config {
            key: "reset_to_state".into(),
            message: "this task has no robot state to start from".into(),
        })
    }
    /// Length of the privileged observation an asymmetric critic sees after the actor's
    /// observation (noise-free or simulator-only state: Isaac Lab's and legged_gym's privileged
    /// observations); 0 for tasks without one.
    fn privileged_dim(&self) -> usize {
        0
    }
    /// Writes the privileged observation of the current state.
    ///
    /// # Shapes
    /// `out: [privileged_dim]`
    fn write_privileged(&self, out: &mut [f32]) {
        let _ = out;
    }
    /// The named flags of the last [`Env::step`] (read before the env resets). Tasks without
    /// flags report none.
    fn step_info(&self) -> StepInfo {
        StepInfo::default()
    }
    /// Sums of the task's named reward terms since the last call, and the number of steps they
    /// cover; then starts new sums. Tasks without named terms report `(vec![], 0)`.
    fn drain_reward_terms(&mut self) -> (Vec<(&'static str, f32)>, u32) {
        (Vec::new(), 0)
    }
    /// The env's current curriculum levels by name (locomotion: `terrain_level`,
    /// `command_level`), the same names on every call; empty for tasks without a curriculum.
    fn curriculum_levels(&self) -> Vec<(&'static str, f32)> {
        Vec::new()
    }
    /// The task's left-right mirror symmetry, for tasks that have one (PPO's mirror loss);
    /// the error says why there is none.
    fn mirror(&self) -> Result<Mirror, String> {
        Err("this task defines no mirror symmetry".into())
    }
    /// What a deployed policy of this task observes and commands (named observation slices,
    /// the action map, the period): written into every checkpoint's manifest and read by the
    /// deploy runtime. `None` for tasks without a robot-side deployment (classic control).
    fn contract(&self) -> Option<robots::contract::DeployContract> {
        None
    }
    /// The constraint this task puts on its policy (`None`: unconstrained). A constrained
    /// task reports a [`ConstraintSample`] for each step under the constraint.
    fn constraint(&self) -> Option<ConstraintSpec> {
        None
    }
    /// The constraint sample of the last [`Env::step`] (read before the env resets); `None`
    /// for a step not under the constraint (e.g. an undisturbed episode).
    fn constraint_sample(&self) -> Option<ConstraintSample> {
        None
    }
    /// The learning agents this task hosts beside its policy, in order (e.g. the H-infinity
    /// disturber). Each acts on the policy's observation (its critic on the policy critic's
    /// inputs), sends its action through [`Env::set_hosted_action`] before each step and earns
    /// [`Env::hosted_reward`]. Empty for single-agent tasks.
    fn hosted_agents(&self) -> Vec<HostedAgent> {
        Vec::new()
    }
    /// Sets the action hosted agent `agent` takes in the next [`Env::step`].
    ///
    /// # Shapes
    /// `action: [hosted_agents()[agent].action_dim]`
    fn set_hosted_action(&mut self, agent: usize, action: &[f32]) {
        let _ = (agent, action);
    }
    /// The reward hosted agent `agent` earned in the last [`Env::step`] (read before the env
    /// resets).
    fn hosted_reward(&self, agent: usize) -> f32 {
        let _ = agent;
        0.0
    }
}

/// A learning agent hosted by a task beside its policy (see [`Env::hosted_agents`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedAgent {
    /// The agent's name: its config section (`[agents.<name>]`), checkpoint module and metrics
    /// prefix.
    pub name: String,
    /// Length of its action vector.
    pub action_dim: usize,
}

/// How an observation and an action map onto those of the mirror-image robot in the
/// mirror-image situation (reflection through the base's x-z plane).
#[derive(Debug, Clone, PartialEq)]
pub struct Mirror {
    /// Observation map (`[obs_dim]`).
    pub obs: robots::SignedPermutation,
    /// Action map (`[action_dim]`).
    pub action: robots::SignedPermutation,
}
