//! Checkpoints: a folder with the model (burnpack), the optimiser state, the runner state (JSON)
//! and the resolved configuration. Every file is written to a temporary name and renamed, so a
//! crash never leaves a half-written checkpoint.

use crate::algo::RunningMeanStd;
use crate::config::TrainConfig;
use crate::error::PolicyError;
use crate::nets::ActorCritic;
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use burn::store::{ModuleSnapshot, SafetensorsStore};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Runner state saved beside the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunnerState {
    /// Observation length of the task.
    pub obs_dim: usize,
    /// Inputs of the critic: `obs_dim`, plus the privileged state of an asymmetric critic
    /// (0 in checkpoints written before privileged critics: the critic sees the observation).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub critic_obs_dim: usize,
    /// Action length of the task.
    pub act_dim: usize,
    /// Iterations completed.
    pub iteration: usize,
    /// Environment steps so far.
    pub total_steps: u64,
    /// Current learning rate.
    pub learning_rate: f64,
    /// Observation statistics, when empirical normalisation is on.
    pub obs_norm: Option<RunningMeanStd>,
    /// Returns of the last (up to 100) finished episodes.
    pub recent_returns: Vec<f32>,
    /// Lengths of the last (up to 100) finished episodes.
    pub recent_lengths: Vec<f32>,
    /// The hosted agents (e.g. the H-infinity disturber), in the task's order; none for
    /// single-agent runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<HostedAgentState>,
    /// Value heads of the policy's critic: 1, or 2 for a constrained policy (task, cost).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub value_heads: usize,
    /// A constrained policy's Lagrange multiplier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiplier: Option<f32>,
    /// Processes of the MPI job that wrote it (1 without MPI); a resume needs as many.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub ranks: usize,
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

/// What a checkpoint keeps of a hosted agent beside its weights (`<name>.bpk`) and optimiser
/// (`<name>.optim.bpk`). It observes what the policy observes (`obs_dim`, `critic_obs_dim`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostedAgentState {
    /// The agent's name (its `[agents.<name>]` section).
    pub name: String,
    /// Its action length.
    pub act_dim: usize,
    /// Its current learning rate.
    pub learning_rate: f64,
    /// Its returns over its last (up to 100) finished episodes.
    pub recent_returns: Vec<f32>,
}

fn is_zero(v: &usize) -> bool {
    *v == 0
}

impl RunnerState {
    /// Inputs of the critic (the observation's length where the state predates privileged
    /// critics).
    pub fn critic_obs_dim(&self) -> usize {
        if self.critic_obs_dim == 0 {
            self.obs_dim
        } else {
            self.critic_obs_dim
        }
    }
}

fn file_err(path: &Path, message: impl std::fmt::Display) -> PolicyError {
    PolicyError::File {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

pub use crate::atomic_file::write_atomic;

/// The checkpoint folder of a run folder.
pub fn checkpoint_dir(run_dir: &Path) -> PathBuf {
    run_dir.join("checkpoint")
}

/// The files of module `name` in a checkpoint folder: weights for deployment (safetensors),
/// weights for training (burnpack) and the optimiser state. The policy's keep their historic
/// names (`policy.safetensors`, `model.bpk`, `optim.bpk`); a hosted agent's are
/// `<name>.safetensors`, `<name>.bpk` and `<name>.optim.bpk`.
pub fn module_files(name: &str) -> [String; 3] {
    if name == POLICY_MODULE {
        ["policy.safetensors", "model.bpk", "optim.bpk"].map(String::from)
    } else {
        [
            format!("{name}.safetensors"),
            format!("{name}.bpk"),
            format!("{name}.optim.bpk"),
        ]
    }
}

/// Name of the task's policy among a checkpoint's modules.
pub const POLICY_MODULE: &str = "policy";

/// Writes module `name` (weights and optimiser state) into `dir`, each file atomically.
pub fn save_module(
    dir: &Path,
    name: &str,
    model: &ActorCritic,
    optimizer: &ModuleOptimizer,
) -> Result<(), PolicyError> {
    std::fs::create_dir_all(dir).map_err(|e| file_err(dir, e))?;
    let [safetensors, burnpack, optim] = module_files(name);
    let optim_path = dir.join(optim);
    optimizer
        .save(&optim_path)
        .map_err(|e| file_err(&optim_path, e))?;
    // burnpack writes to a scratch file and renames.
    let model_path = dir.join(burnpack);
    model
        .clone()
        .save_file(&model_path)
        .map_err(|e| file_err(&model_path, e))?;
    let st = dir.join(format!("{safetensors}.tmp"));
    let mut store = SafetensorsStore::from_file(&st).overwrite(true);
    model.save_into(&mut store).map_err(|e| file_err(&st, e))?;
    std::fs::rename(&st, dir.join(&safetensors)).map_err(|e| file_err(&st, e))
}

/// Saves the policy's model and optimiser, the runner state and the config into `dir` (created
/// if needed), and writes the manifest with the task's deploy `contract`. Hosted agents' modules
/// ([`save_module`]) go in first: `state.json`, written here, names what the folder holds.
pub fn save(
    dir: &Path,
    model: &ActorCritic,
    optimizer: &ModuleOptimizer,
    state: &RunnerState,
    config: &TrainConfig,
    contract: Option<&robots::contract::DeployContract>,
) -> Result<(), PolicyError> {
    save_module(dir, POLICY_MODULE, model, optimizer)?;
    let json = serde_json::to_vec_pretty(state).map_err(|e| file_err(dir, e))?;
    write_atomic(&dir.join("state.json"), &json)?;
    write_atomic(&dir.join("config.toml"), config.to_toml().as_bytes())?;
    manifest(state, config, contract).write(dir)
}

/// The manifest of a checkpoint in `state` trained by `config` (module `policy`).
pub fn manifest(
    state: &RunnerState,
    config: &TrainConfig,
    contract: Option<&robots::contract::DeployContract>,
) -> crate::manifest::Manifest {
    use crate::manifest::{MANIFEST_VERSION, Manifest, ModuleEntry};
    Manifest {
        version: MANIFEST_VERSION,
        task: config.task.clone(),
        iteration: state.iteration,
        modules: std::iter::once(ModuleEntry {
            name: POLICY_MODULE.into(),
            kind: "actor_critic_mlp".into(),
            files: module_files(POLICY_MODULE)
                .into_iter()
                .chain(["state.json".to_string()])
                .collect(),
            obs_dim: state.obs_dim,
            critic_obs_dim: state.critic_obs_dim,
            act_dim: state.act_dim,
            actor_hidden: config.policy.actor_hidden.clone(),
            critic_hidden: config.policy.critic_hidden.clone(),
        })
        .chain(state.agents.iter().map(|agent| {
            let settings = config.agent(&agent.name);
            ModuleEntry {
                name: agent.name.clone(),
                kind: "actor_critic_mlp".into(),
                files: module_files(&agent.name).to_vec(),
                obs_dim: state.obs_dim,
                critic_obs_dim: state.critic_obs_dim,
                act_dim: agent.act_dim,
                actor_hidden: settings.policy.actor_hidden,
                critic_hidden: settings.policy.critic_hidden,
            }
        }))
        .collect(),
        contract: contract.cloned(),
    }
}

/// The rollout side of a run at a checkpoint: every env slot's complete state and the runner's
/// random streams. With it a resumed run continues exactly where the saved one was, and the
/// envs never need resetting at checkpoint boundaries.
#[derive(Clone, Serialize, Deserialize)]
pub struct RolloutState<S> {
    /// Iterations completed when it was taken (must match `state.json`).
    pub iteration: usize,
    /// Every env slot, in slot order.
    pub envs: Vec<sim::env::SlotSnapshot<S>>,
    /// The action-sampling stream.
    pub rng: rand_chacha::ChaCha8Rng,
    /// The minibatch-shuffling stream.
    pub shuffle_rng: rand_chacha::ChaCha8Rng,
    /// Exploration noise carried between steps (`[envs * act]`; used when
    /// `ppo.noise_correlation > 0`).
    pub noise: Vec<f32>,
    /// The hosted agents' streams, in the task's order (none for single-agent runs).
    #[serde(default)]
    pub agents: Vec<HostedRolloutState>,
    /// This rank's windows of recent episodes (returns, lengths) under MPI, where each rank
    /// keeps its own (`state.json` holds rank 0's); `None` on one process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recent_episodes: Option<(Vec<f32>, Vec<f32>)>,
}

/// A hosted agent's side of [`RolloutState`].
#[derive(Clone, Serialize, Deserialize)]
pub struct HostedRolloutState {
    /// The agent's name.
    pub name: String,
    /// Its action-sampling stream.
    pub rng: rand_chacha::ChaCha8Rng,
    /// Its minibatch-shuffling stream.
    pub shuffle_rng: rand_chacha::ChaCha8Rng,
    /// Its exploration noise carried between steps. `[envs * act]`
    pub noise: Vec<f32>,
    /// Its return so far in each env's running episode. `[envs]`
    pub running_return: Vec<f32>,
    /// This rank's window of the agent's recent returns under MPI (`None` on one process).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recent_returns: Option<Vec<f32>>,
}

/// File of the env snapshots in a checkpoint folder: gzip-compressed CBOR.
pub const ROLLOUT_FILE: &str = "envs.cbor.gz";

/// File of rank `rank`'s env snapshots in the checkpoint of an MPI job ([`ROLLOUT_FILE`] for
/// rank 0, `envs.rank<R>.cbor.gz` for the others).
pub fn rollout_file(rank: usize) -> String {
    match rank {
        0 => ROLLOUT_FILE.to_string(),
        r => format!("envs.rank{r}.cbor.gz"),
    }
}

/// Writes already-encoded rollout states ([`cbor_gz`] of a [`RolloutState`]), one per rank in
/// rank order, into checkpoint folder `dir` (each file atomically). Call before [`save`].
pub fn save_rank_rollouts(dir: &Path, encoded: &[Vec<u8>]) -> Result<(), PolicyError> {
    std::fs::create_dir_all(dir).map_err(|e| file_err(dir, e))?;
    for (rank, bytes) in encoded.iter().enumerate() {
        write_atomic(&dir.join(rollout_file(rank)), bytes)?;
    }
    Ok(())
}

/// Writes the rollout state into checkpoint folder `dir` (atomically). Call before [`save`]:
/// `state.json`, written last, says which iteration the folder holds.
pub fn save_rollout<S: Serialize>(
    dir: &Path,
    rollout: &RolloutState<S>,
) -> Result<(), PolicyError> {
    std::fs::create_dir_all(dir).map_err(|e| file_err(dir, e))?;
    let path = dir.join(ROLLOUT_FILE);
    let bytes = cbor_gz(rollout).map_err(|e| file_err(&path, e))?;
    write_atomic(&path, &bytes)
}

/// gzip-compressed CBOR of `value`. CBOR is written to memory first and compressed in one go:
/// flate2's writer clears its 32 KiB output buffer on every write, and CBOR writes each number
/// of a heightfield or weight array apart, so streaming costs a buffer clear per number.
pub fn cbor_gz<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let mut cbor = Vec::new();
    ciborium::into_writer(value, &mut cbor).map_err(|e| e.to_string())?;
    let mut gz = flate2::write::GzEncoder::new(
        Vec::with_capacity(cbor.len() / 4),
        flate2::Compression::fast(),
    );
    gz.write_all(&cbor).map_err(|e| e.to_string())?;
    gz.finish().map_err(|e| e.to_string())
}

/// Reads the rollout state of checkpoint folder `dir`; `Ok(None)` when the checkpoint has none
/// (written before env snapshots existed: resuming it reseeds the envs instead).
pub fn load_rollout<S: serde::de::DeserializeOwned>(
    dir: &Path,
) -> Result<Option<RolloutState<S>>, PolicyError> {
    load_rank_rollout(dir, 0)
}

/// Reads rank `rank`'s rollout state of checkpoint folder `dir` ([`rollout_file`]); `Ok(None)`
/// when there is none.
pub fn load_rank_rollout<S: serde::de::DeserializeOwned>(
    dir: &Path,
    rank: usize,
) -> Result<Option<RolloutState<S>>, PolicyError> {
    let path = dir.join(rollout_file(rank));
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(file_err(&path, e)),
    };
    let gz = flate2::read::GzDecoder::new(std::io::BufReader::new(file));
    ciborium::from_reader(gz)
        .map(Some)
        .map_err(|e| file_err(&path, format!("corrupt or truncated env snapshots: {e}")))
}

/// Resolves `path` (a run folder, a checkpoint folder, or its `model.bpk`) to a checkpoint folder.
pub fn resolve(path: &Path) -> Result<PathBuf, PolicyError> {
    let candidates = [
        path.join("checkpoint"),
        path.to_path_buf(),
        path.parent().map(Path::to_path_buf).unwrap_or_default(),
    ];
    candidates
        .into_iter()
        .find(|d| d.join("model.bpk").is_file())
        .ok_or_else(|| {
            file_err(
                path,
                "no checkpoint here (expected a run folder, a checkpoint folder or model.bpk)",
            )
        })
}

/// A loaded checkpoint.
pub struct Checkpoint {
    /// The resolved training configuration.
    pub config: TrainConfig,
    /// Runner state.
    pub state: RunnerState,
    /// The actor-critic, on the device it was loaded to.
    pub model: ActorCritic,
    /// The hosted agents' actor-critics by name, in `state.agents` order.
    pub hosted: Vec<(String, ActorCritic)>,
}

/// Loads a checkpoint folder onto `device`. A missing, corrupt or truncated file gives an error
/// naming it.
pub fn load(dir: &Path, device: &Device) -> Result<Checkpoint, PolicyError> {
    let config = TrainConfig::load(&dir.join("config.toml"), &[])?;
    let state_path = dir.join("state.json");
    let text = std::fs::read_to_string(&state_path).map_err(|e| file_err(&state_path, e))?;
    let state: RunnerState = serde_json::from_str(&text)
        .map_err(|e| file_err(&state_path, format!("corrupt state: {e}")))?;
    let load_module =
        |name: &str, act_dim: usize, heads: usize, sizes: &crate::nets::ActorCriticConfig| {
            let [_, burnpack, _] = module_files(name);
            let path = dir.join(burnpack);
            ActorCritic::new_asymmetric(
                state.obs_dim,
                state.critic_obs_dim(),
                act_dim,
                sizes,
                device,
            )
            .with_value_heads(heads)
            .try_load_file(&path)
            .map_err(|e| file_err(&path, format!("corrupt or truncated model: {e}")))
        };
    let model = load_module(
        POLICY_MODULE,
        state.act_dim,
        state.value_heads,
        &config.policy,
    )?;
    let hosted = state
        .agents
        .iter()
        .map(|a| {
            let sizes = config.agent(&a.name).policy;
            Ok((a.name.clone(), load_module(&a.name, a.act_dim, 1, &sizes)?))
        })
        .collect::<Result<Vec<_>, PolicyError>>()?;
    Ok(Checkpoint {
        config,
        state,
        model,
        hosted,
    })
}

/// Loads the policy's optimiser state from a checkpoint folder (Adam moments and step counts).
pub fn load_optimizer(dir: &Path) -> Result<ModuleOptimizer, PolicyError> {
    load_module_optimizer(dir, POLICY_MODULE)
}

/// Loads the optimiser state of module `name` from a checkpoint folder.
pub fn load_module_optimizer(dir: &Path, name: &str) -> Result<ModuleOptimizer, PolicyError> {
    let [_, _, optim] = module_files(name);
    let optim_path = dir.join(optim);
    crate::algo::Ppo::new_optimizer()
        .load(&optim_path)
        .map_err(|e| {
            file_err(
                &optim_path,
                format!("corrupt or truncated optimiser state: {e}"),
            )
        })
}
