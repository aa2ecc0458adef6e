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

/// Writes `bytes` to `path` atomically (temporary file in the same folder, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PolicyError> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(|e| file_err(&tmp, e))?;
    f.write_all(bytes).map_err(|e| file_err(&tmp, e))?;
    f.sync_all().map_err(|e| file_err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| file_err(path, e))
}

/// The checkpoint folder of a run folder.
pub fn checkpoint_dir(run_dir: &Path) -> PathBuf {
    run_dir.join("checkpoint")
}

/// Saves model, state and config into `dir` (created if needed), exports the weights as
/// `policy.safetensors` and writes the manifest with the task's deploy `contract`.
pub fn save(
    dir: &Path,
    model: &ActorCritic,
    optimizer: &ModuleOptimizer,
    state: &RunnerState,
    config: &TrainConfig,
    contract: Option<&robots::contract::DeployContract>,
) -> Result<(), PolicyError> {
    std::fs::create_dir_all(dir).map_err(|e| file_err(dir, e))?;
    let optim_path = dir.join("optim.bpk");
    optimizer
        .save(&optim_path)
        .map_err(|e| file_err(&optim_path, e))?;
    // burnpack writes to a scratch file and renames.
    let model_path = dir.join("model.bpk");
    model
        .clone()
        .save_file(&model_path)
        .map_err(|e| file_err(&model_path, e))?;
    let st = dir.join("policy.safetensors.tmp");
    let mut store = SafetensorsStore::from_file(&st).overwrite(true);
    model.save_into(&mut store).map_err(|e| file_err(&st, e))?;
    std::fs::rename(&st, dir.join("policy.safetensors")).map_err(|e| file_err(&st, e))?;
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
        modules: vec![ModuleEntry {
            name: "policy".into(),
            kind: "actor_critic_mlp".into(),
            files: ["policy.safetensors", "model.bpk", "optim.bpk", "state.json"]
                .map(String::from)
                .to_vec(),
            obs_dim: state.obs_dim,
            critic_obs_dim: state.critic_obs_dim,
            act_dim: state.act_dim,
            actor_hidden: config.policy.actor_hidden.clone(),
            critic_hidden: config.policy.critic_hidden.clone(),
        }],
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
}

/// File of the env snapshots in a checkpoint folder: gzip-compressed CBOR.
pub const ROLLOUT_FILE: &str = "envs.cbor.gz";

/// Writes the rollout state into checkpoint folder `dir` (atomically). Call before [`save`]:
/// `state.json`, written last, says which iteration the folder holds.
pub fn save_rollout<S: Serialize>(
    dir: &Path,
    rollout: &RolloutState<S>,
) -> Result<(), PolicyError> {
    std::fs::create_dir_all(dir).map_err(|e| file_err(dir, e))?;
    let path = dir.join(ROLLOUT_FILE);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    ciborium::into_writer(rollout, &mut gz).map_err(|e| file_err(&path, e))?;
    let bytes = gz.finish().map_err(|e| file_err(&path, e))?;
    write_atomic(&path, &bytes)
}

/// Reads the rollout state of checkpoint folder `dir`; `Ok(None)` when the checkpoint has none
/// (written before env snapshots existed: resuming it reseeds the envs instead).
pub fn load_rollout<S: serde::de::DeserializeOwned>(
    dir: &Path,
) -> Result<Option<RolloutState<S>>, PolicyError> {
    let path = dir.join(ROLLOUT_FILE);
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
}

/// Loads a checkpoint folder onto `device`. A missing, corrupt or truncated file gives an error
/// naming it.
pub fn load(dir: &Path, device: &Device) -> Result<Checkpoint, PolicyError> {
    let config = TrainConfig::load(&dir.join("config.toml"), &[])?;
    let state_path = dir.join("state.json");
    let text = std::fs::read_to_string(&state_path).map_err(|e| file_err(&state_path, e))?;
    let state: RunnerState = serde_json::from_str(&text)
        .map_err(|e| file_err(&state_path, format!("corrupt state: {e}")))?;
    let model_path = dir.join("model.bpk");
    let model = ActorCritic::new_asymmetric(
        state.obs_dim,
        state.critic_obs_dim(),
        state.act_dim,
        &config.policy,
        device,
    )
    .try_load_file(&model_path)
    .map_err(|e| file_err(&model_path, format!("corrupt or truncated model: {e}")))?;
    Ok(Checkpoint {
        config,
        state,
        model,
    })
}

/// Loads the optimiser state of a checkpoint folder (Adam moments and step counts).
pub fn load_optimizer(dir: &Path) -> Result<ModuleOptimizer, PolicyError> {
    let optim_path = dir.join("optim.bpk");
    crate::algo::Ppo::new_optimizer()
        .load(&optim_path)
        .map_err(|e| {
            file_err(
                &optim_path,
                format!("corrupt or truncated optimiser state: {e}"),
            )
        })
}
