//! The deploy runtime: a checkpoint folder in, actions out, in plain Rust `f32` (no burn, no
//! simulator, no trainer). This is what a robot-side process (the ROS 2 policy node) links.
//!
//! It reads three files a training run writes into every checkpoint folder:
//! - `policy.safetensors`: the actor-critic's weights; only the actor (`actor.layers.{k}.weight`
//!   `[d_in, d_out]` and `.bias` `[d_out]`) is used, ELU between layers, linear output = the action
//!   mean (what [`crate::nets::ActorCritic::action_mean`] computes with the `train` feature);
//! - `state.json`: observation/action sizes and the empirical observation normaliser, if any;
//! - `config.toml`: the resolved training config (network sizes, task, robot, control period).
//!
//! Inference allocates nothing: [`DeployPolicy::act`] works in buffers sized at load time.

use crate::error::PolicyError;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Clip applied after observation normalisation (the on-policy runner's value).
pub const OBS_NORM_CLIP: f32 = 5.0;

fn file_err(path: &Path, message: impl std::fmt::Display) -> PolicyError {
    PolicyError::File {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// One dense layer, burn's layout.
#[derive(Debug, Clone)]
struct Dense {
    /// Row-major `[d_in, d_out]`.
    weight: Vec<f32>,
    /// `[d_out]`
    bias: Vec<f32>,
    d_in: usize,
    d_out: usize,
}

impl Dense {
    /// `out = x W + b`.
    ///
    /// # Shapes
    /// `x: [d_in]`, `out: [d_out]`
    fn forward(&self, x: &[f32], out: &mut [f32]) {
        out.copy_from_slice(&self.bias);
        for (i, &xi) in x.iter().enumerate() {
            let row = &self.weight[i * self.d_out..(i + 1) * self.d_out];
            for (o, &w) in out.iter_mut().zip(row) {
                *o += xi * w;
            }
        }
    }
}

/// ELU with alpha 1, the same formula the trainer uses.
fn elu(x: f32) -> f32 {
    x.max(0.0) + (x.min(0.0).exp() - 1.0)
}

/// Observation normalisation with frozen running statistics: `(x - mean) / sqrt(var + 1e-8)`,
/// clipped to `[-clip, clip]` (computed in `f64`, as in training).
#[derive(Debug, Clone, PartialEq)]
pub struct ObsNormalizer {
    mean: Vec<f64>,
    std: Vec<f64>,
    clip: f32,
}

impl ObsNormalizer {
    /// From per-feature means and variances (`[dim]` each).
    pub fn new(mean: Vec<f64>, var: &[f64], clip: f32) -> Self {
        Self {
            std: var.iter().map(|v| (v + 1e-8).sqrt()).collect(),
            mean,
            clip,
        }
    }

    /// Feature count.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Normalises one observation in place. `obs: [dim]`
    pub fn normalize(&self, obs: &mut [f32]) {
        for ((v, m), s) in obs.iter_mut().zip(&self.mean).zip(&self.std) {
            let z = (*v as f64 - m) / s;
            *v = (z as f32).clamp(-self.clip, self.clip);
        }
    }
}

/// Something that gives the mean action for a batch of raw observations: the deploy runtime
/// ([`DeployPolicy`], what eval, play and the ROS 2 node run) or, with the `train` feature,
/// burn's actor in memory (`runner::BurnActor`, for a policy just trained).
pub trait MeanActor {
    /// Writes the mean action of each of the `n` observations (raw: the actor applies its own
    /// normaliser) into `actions`.
    ///
    /// # Shapes
    /// `obs: [n * obs_dim]`, `actions: [n * act_dim]`
    fn act_batch(&mut self, obs: &[f32], n: usize, actions: &mut [f32]) -> Result<(), PolicyError>;
}

impl MeanActor for DeployPolicy {
    fn act_batch(&mut self, obs: &[f32], n: usize, actions: &mut [f32]) -> Result<(), PolicyError> {
        let (od, ad) = (self.obs_dim, self.act_dim);
        if obs.len() != n * od || actions.len() != n * ad {
            return Err(PolicyError::Length {
                what: format!("batch of {n} observations / actions"),
                expected: n * od,
                got: obs.len(),
            });
        }
        for (o, a) in obs.chunks_exact(od).zip(actions.chunks_exact_mut(ad)) {
            self.act(o, a)?;
        }
        Ok(())
    }
}

/// What a checkpoint says about how it was trained (from `config.toml` and `state.json`).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointInfo {
    /// The checkpoint folder.
    pub dir: PathBuf,
    /// Task name (`task`), e.g. `locomotion`.
    pub task: Option<String>,
    /// Robot the task trained (`env.robot`).
    pub robot: Option<String>,
    /// Policy period in seconds (`env.physics.control_dt`; `None` when the config kept the
    /// default, 0.02 s).
    pub control_dt: Option<f32>,
    /// Training iterations completed.
    pub iteration: Option<usize>,
    /// Hidden widths of the actor.
    pub actor_hidden: Vec<usize>,
    /// The trot generator the policy trained with (`env.gait`): its phase is part of the
    /// observation and its offsets part of the joint targets.
    pub gait: Option<robots::TrotGait>,
    /// Whether the policy observes terrain heights around its base (`env.height_scan`).
    pub height_scan: bool,
    /// The deploy contract from `manifest.json` (observation slices, action map); `None` for a
    /// checkpoint without a manifest (`embody checkpoint upgrade` writes one) or a task without
    /// a robot-side deployment.
    pub contract: Option<robots::contract::DeployContract>,
}

#[derive(Deserialize)]
struct StateFile {
    obs_dim: usize,
    act_dim: usize,
    #[serde(default)]
    iteration: Option<usize>,
    #[serde(default)]
    obs_norm: Option<NormFile>,
}

#[derive(Deserialize)]
struct NormFile {
    mean: Vec<f64>,
    var: Vec<f64>,
}

/// A loaded policy: the actor's mean in plain Rust.
#[derive(Debug, Clone)]
pub struct DeployPolicy {
    layers: Vec<Dense>,
    norm: Option<ObsNormalizer>,
    obs_dim: usize,
    act_dim: usize,
    info: CheckpointInfo,
    /// Scratch: the normalised observation. `[obs]`
    obs_buf: Vec<f32>,
    /// Scratch: activations ping-pong. `[max width]` each
    h: [Vec<f32>; 2],
}

/// Resolves `path` (a run folder, a checkpoint folder, or its `policy.safetensors`) to the
/// checkpoint folder.
pub fn resolve_checkpoint(path: &Path) -> Result<PathBuf, PolicyError> {
    let candidates = [
        path.join("checkpoint"),
        path.to_path_buf(),
        path.parent().map(Path::to_path_buf).unwrap_or_default(),
    ];
    candidates
        .into_iter()
        .find(|d| d.join("policy.safetensors").is_file())
        .ok_or_else(|| {
            file_err(
                path,
                "no checkpoint here (expected a run folder, a checkpoint folder or its \
                 policy.safetensors)",
            )
        })
}

fn read_tensor(
    st: &safetensors::SafeTensors<'_>,
    path: &Path,
    name: &str,
) -> Result<Option<(Vec<usize>, Vec<f32>)>, PolicyError> {
    let view = match st.tensor(name) {
        Ok(v) => v,
        Err(safetensors::SafeTensorError::TensorNotFound(_)) => return Ok(None),
        Err(e) => return Err(file_err(path, format!("tensor {name}: {e}"))),
    };
    if view.dtype() != safetensors::Dtype::F32 {
        return Err(file_err(
            path,
            format!("tensor {name}: dtype {:?}, expected F32", view.dtype()),
        ));
    }
    let data = view
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Ok(Some((view.shape().to_vec(), data)))
}

/// What `read_config` takes from a checkpoint's `config.toml`.
struct ConfigFacts {
    task: Option<String>,
    robot: Option<String>,
    control_dt: Option<f32>,
    hidden: Vec<usize>,
    gait: Option<robots::TrotGait>,
    height_scan: bool,
}

fn read_config(path: &Path) -> Result<ConfigFacts, PolicyError> {
    let text = std::fs::read_to_string(path).map_err(|e| file_err(path, e))?;
    let table: toml::Table = toml::from_str(&text)
        .map_err(|e| file_err(path, format!("invalid TOML: {}", e.message())))?;
    let task = table.get("task").and_then(|v| v.as_str()).map(String::from);
    let env = table.get("env").and_then(|v| v.as_table());
    let robot = env
        .and_then(|e| e.get("robot"))
        .and_then(|v| v.as_str())
        .map(String::from);
    let control_dt = env
        .and_then(|e| e.get("physics"))
        .and_then(|p| p.get("control_dt"))
        .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
        .map(|v| v as f32);
    let mut hidden = Vec::new();
    if let Some(arr) = table
        .get("policy")
        .and_then(|p| p.get("actor_hidden"))
        .and_then(|v| v.as_array())
    {
        for (k, v) in arr.iter().enumerate() {
            let w = v.as_integer().filter(|w| *w > 0).ok_or_else(|| {
                file_err(
                    path,
                    format!("policy.actor_hidden[{k}]: not a positive integer"),
                )
            })?;
            hidden.push(w as usize);
        }
    }
    let gait = match env.and_then(|e| e.get("gait")) {
        Some(v) => Some(
            v.clone()
                .try_into::<robots::TrotGait>()
                .map_err(|e| file_err(path, format!("env.gait: {}", e.message())))?,
        ),
        None => None,
    };
    let height_scan = env.is_some_and(|e| e.contains_key("height_scan"));
    Ok(ConfigFacts {
        task,
        robot,
        control_dt,
        hidden,
        gait,
        height_scan,
    })
}

impl DeployPolicy {
    /// Loads the checkpoint at `path` (see [`resolve_checkpoint`]). Every inconsistency (missing
    /// file, wrong dtype, shapes that do not chain, sizes that disagree with `state.json` or the
    /// config's `policy.actor_hidden`) is an error naming the file and the tensor or key.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let dir = resolve_checkpoint(path)?;
        let state_path = dir.join("state.json");
        let text = std::fs::read_to_string(&state_path).map_err(|e| file_err(&state_path, e))?;
        let state: StateFile = serde_json::from_str(&text)
            .map_err(|e| file_err(&state_path, format!("corrupt state: {e}")))?;
        let config_path = dir.join("config.toml");
        let ConfigFacts {
            task,
            robot,
            control_dt,
            hidden: actor_hidden,
            gait,
            height_scan,
        } = read_config(&config_path)?;
        let st_path = dir.join("policy.safetensors");
        let bytes = std::fs::read(&st_path).map_err(|e| file_err(&st_path, e))?;
        let st = safetensors::SafeTensors::deserialize(&bytes)
            .map_err(|e| file_err(&st_path, format!("corrupt or truncated: {e}")))?;
        let mut layers = Vec::new();
        loop {
            let k = layers.len();
            let wname = format!("actor.layers.{k}.weight");
            let bname = format!("actor.layers.{k}.bias");
            let Some((wshape, weight)) = read_tensor(&st, &st_path, &wname)? else {
                break;
            };
            let (bshape, bias) = read_tensor(&st, &st_path, &bname)?
                .ok_or_else(|| file_err(&st_path, format!("tensor {bname} is missing")))?;
            let [d_in, d_out] = wshape[..] else {
                return Err(file_err(
                    &st_path,
                    format!("tensor {wname}: shape {wshape:?}, expected [d_in, d_out]"),
                ));
            };
            if bshape != [d_out] {
                return Err(file_err(
                    &st_path,
                    format!("tensor {bname}: shape {bshape:?}, expected [{d_out}]"),
                ));
            }
            let expected_in = layers.last().map_or(state.obs_dim, |l: &Dense| l.d_out);
            if d_in != expected_in {
                return Err(file_err(
                    &st_path,
                    format!("tensor {wname}: input width {d_in}, expected {expected_in}"),
                ));
            }
            layers.push(Dense {
                weight,
                bias,
                d_in,
                d_out,
            });
        }
        let Some(last) = layers.last() else {
            return Err(file_err(
                &st_path,
                "no actor layers (actor.layers.0.weight missing)",
            ));
        };
        if last.d_out != state.act_dim {
            return Err(file_err(
                &st_path,
                format!(
                    "actor output width {}, but state.json says act_dim = {}",
                    last.d_out, state.act_dim
                ),
            ));
        }
        let hidden: Vec<usize> = layers[..layers.len() - 1].iter().map(|l| l.d_out).collect();
        if !actor_hidden.is_empty() && actor_hidden != hidden {
            return Err(file_err(
                &config_path,
                format!(
                    "policy.actor_hidden = {actor_hidden:?}, but policy.safetensors has hidden widths {hidden:?}"
                ),
            ));
        }
        let norm = match state.obs_norm {
            None => None,
            Some(n) => {
                if n.mean.len() != state.obs_dim || n.var.len() != state.obs_dim {
                    return Err(file_err(
                        &state_path,
                        format!(
                            "obs_norm has {} means and {} variances, expected {}",
                            n.mean.len(),
                            n.var.len(),
                            state.obs_dim
                        ),
                    ));
                }
                if n.var.iter().chain(&n.mean).any(|v| !v.is_finite())
                    || n.var.iter().any(|v| *v < 0.0)
                {
                    return Err(file_err(
                        &state_path,
                        "obs_norm holds non-finite or negative values",
                    ));
                }
                Some(ObsNormalizer::new(n.mean, &n.var, OBS_NORM_CLIP))
            }
        };
        let manifest = crate::manifest::Manifest::read(&dir)?;
        if let Some(m) = manifest.as_ref().and_then(|m| m.module("policy"))
            && (m.obs_dim != state.obs_dim || m.act_dim != state.act_dim)
        {
            return Err(file_err(
                &dir.join(crate::manifest::MANIFEST_FILE),
                format!(
                    "module 'policy' has obs_dim {} / act_dim {}, but state.json says {} / {}",
                    m.obs_dim, m.act_dim, state.obs_dim, state.act_dim
                ),
            ));
        }
        let width = layers.iter().map(|l| l.d_out).max().unwrap_or(0);
        Ok(Self {
            obs_dim: state.obs_dim,
            act_dim: state.act_dim,
            obs_buf: vec![0.0; state.obs_dim],
            h: [vec![0.0; width], vec![0.0; width]],
            norm,
            layers,
            info: CheckpointInfo {
                dir,
                task,
                robot,
                control_dt,
                iteration: state.iteration,
                actor_hidden: hidden,
                gait,
                height_scan,
                contract: manifest.and_then(|m| m.contract),
            },
        })
    }

    /// Observation length.
    pub fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    /// Action length.
    pub fn act_dim(&self) -> usize {
        self.act_dim
    }

    /// What the checkpoint says about its training.
    pub fn info(&self) -> &CheckpointInfo {
        &self.info
    }

    /// The observation normaliser, if the run used one.
    pub fn normalizer(&self) -> Option<&ObsNormalizer> {
        self.norm.as_ref()
    }

    /// The action mean for one raw observation (normalised here if the run normalised).
    /// Allocates nothing.
    ///
    /// # Shapes
    /// `obs: [obs]`, `action: [act]`
    pub fn act(&mut self, obs: &[f32], action: &mut [f32]) -> Result<(), PolicyError> {
        if obs.len() != self.obs_dim {
            return Err(PolicyError::Length {
                what: "observation".into(),
                expected: self.obs_dim,
                got: obs.len(),
            });
        }
        if action.len() != self.act_dim {
            return Err(PolicyError::Length {
                what: "action".into(),
                expected: self.act_dim,
                got: action.len(),
            });
        }
        self.obs_buf.copy_from_slice(obs);
        if let Some(n) = &self.norm {
            n.normalize(&mut self.obs_buf);
        }
        let last = self.layers.len() - 1;
        let [a, b] = &mut self.h;
        let (mut cur, mut next) = (a, b);
        for (k, layer) in self.layers.iter().enumerate() {
            let input: &[f32] = if k == 0 {
                &self.obs_buf
            } else {
                &cur[..layer.d_in]
            };
            if k == last {
                layer.forward(input, action);
            } else {
                let out = &mut next[..layer.d_out];
                layer.forward(input, out);
                for v in out.iter_mut() {
                    *v = elu(*v);
                }
                std::mem::swap(&mut cur, &mut next);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_minimal(dir: &Path, hidden: &[usize], obs: usize, act: usize, norm: bool) {
        std::fs::create_dir_all(dir).expect("mkdir");
        let mut dims = vec![obs];
        dims.extend_from_slice(hidden);
        dims.push(act);
        let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
        for (k, w) in dims.windows(2).enumerate() {
            let weight: Vec<u8> = (0..w[0] * w[1])
                .flat_map(|i| (((i * 7 + k) % 13) as f32 * 0.05 - 0.3).to_le_bytes())
                .collect();
            let bias: Vec<u8> = (0..w[1])
                .flat_map(|i| ((i % 5) as f32 * 0.1 - 0.2).to_le_bytes())
                .collect();
            tensors.push((format!("actor.layers.{k}.weight"), vec![w[0], w[1]], weight));
            tensors.push((format!("actor.layers.{k}.bias"), vec![w[1]], bias));
        }
        let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = tensors
            .iter()
            .map(|(n, s, d)| {
                (
                    n.clone(),
                    safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), d)
                        .expect("view"),
                )
            })
            .collect();
        safetensors::serialize_to_file(views, None, &dir.join("policy.safetensors"))
            .expect("write safetensors");
        let obs_norm = if norm {
            format!(
                "{{\"mean\": {:?}, \"var\": {:?}, \"count\": 10.0}}",
                vec![0.5f64; obs],
                vec![4.0f64; obs]
            )
        } else {
            "null".into()
        };
        std::fs::write(
            dir.join("state.json"),
            format!("{{\"obs_dim\": {obs}, \"act_dim\": {act}, \"iteration\": 3, \"obs_norm\": {obs_norm}}}"),
        )
        .expect("state");
        std::fs::write(
            dir.join("config.toml"),
            format!(
                "task = \"locomotion\"\n[policy]\nactor_hidden = {hidden:?}\n[env]\nrobot = \"quadruped\"\n[env.physics]\ncontrol_dt = 0.02\n"
            ),
        )
        .expect("config");
    }

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("embody_deploy_{name}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn plain_forward_matches_a_hand_computation() {
        let dir = tmp("hand");
        write_minimal(&dir, &[3], 2, 1, false);
        let mut p = DeployPolicy::load(&dir).expect("load");
        assert_eq!((p.obs_dim(), p.act_dim()), (2, 1));
        assert_eq!(p.info().robot.as_deref(), Some("quadruped"));
        assert_eq!(p.info().control_dt, Some(0.02));
        assert_eq!(p.info().iteration, Some(3));
        let obs = [1.0f32, -2.0];
        // Same weights as write_minimal.
        let w0 = |i: usize| ((i * 7) % 13) as f32 * 0.05 - 0.3;
        let w1 = |i: usize| ((i * 7 + 1) % 13) as f32 * 0.05 - 0.3;
        let b = |i: usize| (i % 5) as f32 * 0.1 - 0.2;
        let mut expect = b(0);
        for j in 0..3 {
            let h = b(j) + obs[0] * w0(j) + obs[1] * w0(3 + j);
            expect += elu(h) * w1(j);
        }
        let mut a = [0.0f32];
        p.act(&obs, &mut a).expect("act");
        assert!((a[0] - expect).abs() < 1e-6, "{} vs {expect}", a[0]);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn normaliser_is_applied_and_clipped() {
        let n = ObsNormalizer::new(vec![1.0, 0.0], &[4.0, 1.0], 5.0);
        let mut x = [3.0f32, 100.0];
        n.normalize(&mut x);
        assert!((x[0] - 1.0).abs() < 1e-6);
        assert_eq!(x[1], 5.0);
        let dir = tmp("norm");
        write_minimal(&dir, &[4, 4], 3, 2, true);
        let p = DeployPolicy::load(&dir).expect("load");
        assert_eq!(p.normalizer().map(ObsNormalizer::dim), Some(3));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn wrong_lengths_and_bad_files_are_errors_naming_them() {
        let dir = tmp("bad");
        write_minimal(&dir, &[4], 3, 2, false);
        let mut p = DeployPolicy::load(&dir).expect("load");
        let e = p.act(&[0.0; 2], &mut [0.0; 2]).expect_err("short obs");
        assert!(e.to_string().contains("observation"), "{e}");
        // The config disagrees with the weights.
        std::fs::write(dir.join("config.toml"), "[policy]\nactor_hidden = [5]\n").expect("w");
        let e = DeployPolicy::load(&dir).expect_err("hidden mismatch");
        assert!(e.to_string().contains("policy.actor_hidden"), "{e}");
        // state.json disagrees with the weights.
        std::fs::write(dir.join("config.toml"), "").expect("w");
        std::fs::write(dir.join("state.json"), "{\"obs_dim\": 4, \"act_dim\": 2}").expect("w");
        let e = DeployPolicy::load(&dir).expect_err("obs mismatch");
        assert!(e.to_string().contains("actor.layers.0.weight"), "{e}");
        // Truncated weights.
        std::fs::write(dir.join("state.json"), "{\"obs_dim\": 3, \"act_dim\": 2}").expect("w");
        let st = dir.join("policy.safetensors");
        let bytes = std::fs::read(&st).expect("r");
        std::fs::write(&st, &bytes[..bytes.len() / 2]).expect("w");
        let e = DeployPolicy::load(&dir).expect_err("truncated");
        assert!(e.to_string().contains("policy.safetensors"), "{e}");
        let e = DeployPolicy::load(&tmp("nowhere").join("x")).expect_err("missing");
        assert!(e.to_string().contains("no checkpoint"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }

    /// The deploy runtime computes what burn's `ActorCritic::action_mean` computes on the same
    /// checkpoint (written by the trainer's own `checkpoint::save`), with the normaliser applied.
    #[cfg(feature = "train")]
    #[test]
    fn deploy_matches_burn_action_mean_on_a_saved_checkpoint() {
        use crate::algo::{Ppo, RunningMeanStd};
        use crate::checkpoint::{RunnerState, save};
        use crate::config::TrainConfig;
        use crate::nets::ActorCritic;
        use burn::prelude::*;
        use rand::{RngExt, SeedableRng};

        let (obs_dim, act_dim) = (48, 12);
        let config = TrainConfig::from_toml_str(
            "task = \"locomotion\"\n[policy]\nactor_hidden = [64, 32]\ncritic_hidden = [16]\n[env]\nrobot = \"quadruped\"\n",
            &[],
        )
        .expect("config");
        let device = Device::flex();
        let model = ActorCritic::new_seeded(obs_dim, act_dim, &config.policy, &device, 7);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut rms = RunningMeanStd::new(obs_dim);
        let batch: Vec<f32> = (0..obs_dim * 64)
            .map(|_| rng.random_range(-3.0..3.0))
            .collect();
        rms.update(&batch);
        let state = RunnerState {
            obs_dim,
            critic_obs_dim: 0,
            act_dim,
            iteration: 1,
            total_steps: 0,
            learning_rate: 1e-3,
            obs_norm: Some(rms.clone()),
            recent_returns: vec![],
            recent_lengths: vec![],
            agents: Vec::new(),
            value_heads: 1,
            multiplier: None,
            ranks: 1,
        };
        let dir = tmp("burn");
        save(&dir, &model, &Ppo::new_optimizer(), &state, &config, None).expect("save");
        let mut policy = DeployPolicy::load(&dir).expect("load");
        let mut worst = 0.0f32;
        for _ in 0..20 {
            let obs: Vec<f32> = (0..obs_dim).map(|_| rng.random_range(-4.0..4.0)).collect();
            let mut normed = obs.clone();
            rms.normalize(&mut normed, OBS_NORM_CLIP);
            let expect = crate::tensor_util::to_vec(
                model.action_mean(crate::tensor_util::matrix(&normed, 1, obs_dim, &device)),
            );
            let mut got = vec![0.0; act_dim];
            policy.act(&obs, &mut got).expect("act");
            for (g, e) in got.iter().zip(&expect) {
                worst = worst.max((g - e).abs() / (1.0 + e.abs()));
            }
        }
        assert!(worst < 1e-5, "largest relative difference {worst}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
