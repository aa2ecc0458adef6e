//! A language-model run folder: `config.toml` (resolved), `metrics.csv`, and `checkpoint/`
//! with the model in Hugging Face's GPT-2 form (`model.safetensors`, `config.json`), the
//! tokenizer (`tokenizer.json`), the model and Adam state for resuming (`model.bpk`,
//! `optimizer.bin`) and `state.json` (phase, step, RNG). Every file is written atomically and
//! `state.json` last, so a checkpoint that has one is complete.

use super::gpt2;
use super::model::{Gpt, GptConfig};
use super::tokenizer::CharTokenizer;
use crate::PolicyError;
use crate::atomic_file::write_atomic;
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

fn file_err(path: &Path, message: impl std::fmt::Display) -> PolicyError {
    PolicyError::File {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// Where a run's training is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LmState {
    /// `pretrain` or `grpo`.
    pub phase: String,
    /// Steps done.
    pub step: usize,
    /// The training RNG after those steps.
    pub rng: ChaCha8Rng,
    /// Wall seconds of training so far (resumes add to it).
    pub elapsed_s: f64,
    /// The run this one started from (`--init-from`), if any.
    pub init_from: Option<PathBuf>,
}

/// The checkpoint folder of a run folder, or the folder itself if it is one.
pub fn checkpoint_dir(path: &Path) -> PathBuf {
    if path.join("state.json").is_file() || path.join(gpt2::WEIGHTS_FILE).is_file() {
        path.to_path_buf()
    } else {
        path.join("checkpoint")
    }
}

/// Writes a checkpoint of `model` (any device) into `dir`.
pub fn save(
    dir: &Path,
    model: &Gpt,
    config: &GptConfig,
    tokenizer: &CharTokenizer,
    optim: &ModuleOptimizer,
    state: &LmState,
) -> Result<(), PolicyError> {
    std::fs::create_dir_all(dir).map_err(|e| file_err(dir, e))?;
    gpt2::save(model, config, dir)?;
    let tok = serde_json::to_vec_pretty(tokenizer).map_err(|e| file_err(dir, e))?;
    write_atomic(&dir.join("tokenizer.json"), &tok)?;
    let bpk = dir.join("model.bpk");
    // burnpack writes to a scratch file and renames; it keeps parameter ids, which Adam's state
    // is keyed by.
    model
        .clone()
        .save_file(&bpk)
        .map_err(|e| file_err(&bpk, e))?;
    let optim_path = dir.join("optimizer.bin");
    let bytes = optim.into_bytes().map_err(|e| file_err(&optim_path, e))?;
    write_atomic(&optim_path, &bytes)?;
    let json = serde_json::to_vec_pretty(state).map_err(|e| file_err(dir, e))?;
    write_atomic(&dir.join("state.json"), &json)
}

/// A trained model for evaluation: the model (from `model.safetensors`), its shape and its
/// tokenizer. `path` is a run folder or a checkpoint folder.
pub fn load_policy(
    path: &Path,
    device: &Device,
) -> Result<(Gpt, GptConfig, CharTokenizer), PolicyError> {
    let dir = checkpoint_dir(path);
    let (model, config) = gpt2::load(&dir, device)?;
    let tokenizer = read_tokenizer(&dir, &config)?;
    Ok((model, config, tokenizer))
}

/// The tokenizer of checkpoint folder `dir`, checked against the model's vocabulary.
fn read_tokenizer(dir: &Path, config: &GptConfig) -> Result<CharTokenizer, PolicyError> {
    let tok_path = dir.join("tokenizer.json");
    let text = std::fs::read_to_string(&tok_path).map_err(|e| file_err(&tok_path, e))?;
    let tokenizer: CharTokenizer = serde_json::from_str(&text)
        .map_err(|e| file_err(&tok_path, format!("corrupt tokenizer: {e}")))?;
    if tokenizer.vocab_size() != config.vocab_size {
        return Err(file_err(
            &tok_path,
            format!(
                "the tokenizer has {} ids but the model {}",
                tokenizer.vocab_size(),
                config.vocab_size
            ),
        ));
    }
    Ok(tokenizer)
}

/// Everything a resumed (or continued) run needs: the model with its parameter ids, Adam's
/// state and the training state.
pub struct Resumable {
    /// The model, on the device it was loaded to.
    pub model: Gpt,
    /// Its shape.
    pub config: GptConfig,
    /// Its tokenizer.
    pub tokenizer: CharTokenizer,
    /// Adam's state.
    pub optim: ModuleOptimizer,
    /// Where training was.
    pub state: LmState,
}

/// Loads a checkpoint for training onto `device` (an autodiff device).
pub fn load_resumable(path: &Path, device: &Device) -> Result<Resumable, PolicyError> {
    let dir = checkpoint_dir(path);
    let config = gpt2::read_config(&dir.join(gpt2::CONFIG_FILE))?;
    let tokenizer = read_tokenizer(&dir, &config)?;
    let bpk = dir.join("model.bpk");
    let model = Gpt::new(&config, device, &mut rand::SeedableRng::seed_from_u64(0))
        .try_load_file(&bpk)
        .map_err(|e| file_err(&bpk, format!("corrupt or truncated model: {e}")))?;
    let optim_path = dir.join("optimizer.bin");
    let bytes = std::fs::read(&optim_path).map_err(|e| file_err(&optim_path, e))?;
    let optim = crate::algo::new_adam()
        .from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes))
        .map_err(|e| {
            file_err(
                &optim_path,
                format!("corrupt or truncated optimiser state: {e}"),
            )
        })?;
    let state_path = dir.join("state.json");
    let text = std::fs::read_to_string(&state_path).map_err(|e| file_err(&state_path, e))?;
    let state: LmState = serde_json::from_str(&text)
        .map_err(|e| file_err(&state_path, format!("corrupt state: {e}")))?;
    Ok(Resumable {
        model,
        config,
        tokenizer,
        optim,
        state,
    })
}

/// Loads another run's checkpoint to start a new run from (`--init-from`): its shape and
/// tokenizer must be this run's.
pub fn load_init(
    from: &Path,
    config: &GptConfig,
    tokenizer: &CharTokenizer,
    device: &Device,
) -> Result<Resumable, PolicyError> {
    let r = load_resumable(from, device)?;
    if &r.config != config || &r.tokenizer != tokenizer {
        return Err(PolicyError::config(
            "model",
            format!(
                "{} has another shape or tokenizer than this config",
                from.display()
            ),
        ));
    }
    Ok(r)
}

/// Appends rows to a run's `metrics.csv`, writing the header when the file is new. On resume
/// the rows after the checkpoint's step are dropped first, so the file matches the state.
pub struct MetricsCsv {
    path: PathBuf,
    header: Vec<&'static str>,
}

impl MetricsCsv {
    /// The CSV in `run_dir` with `header`, truncated to rows with `step <= keep_up_to`.
    pub fn open(
        run_dir: &Path,
        header: Vec<&'static str>,
        keep_up_to: Option<usize>,
    ) -> Result<Self, PolicyError> {
        let path = run_dir.join("metrics.csv");
        let mut text = String::new();
        if let (Some(last), Ok(old)) = (keep_up_to, std::fs::read_to_string(&path)) {
            for (i, line) in old.lines().enumerate() {
                let step = line.split(',').next().and_then(|s| s.parse::<usize>().ok());
                if i == 0 || step.is_some_and(|s| s <= last) {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
        if text.is_empty() {
            text = header.join(",") + "\n";
        }
        write_atomic(&path, text.as_bytes())?;
        Ok(Self { path, header })
    }

    /// Appends one row (one value per header column).
    pub fn row(&self, values: &[f64]) -> Result<(), PolicyError> {
        use std::io::Write;
        debug_assert_eq!(values.len(), self.header.len());
        let line = values
            .iter()
            .map(|v| format!("{v}"))
            .collect::<Vec<_>>()
            .join(",")
            + "\n";
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(|e| file_err(&self.path, e))?;
        f.write_all(line.as_bytes())
            .map_err(|e| file_err(&self.path, e))
    }
}
