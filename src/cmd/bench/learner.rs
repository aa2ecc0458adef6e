//! PPO learner throughput and batch-1 inference latency, against PyTorch in the same run.

use super::median;
use anyhow::{Context, bail};
use burn::module::Module;
use clap::Args;
use policies::algo::{LrScheduleKind, Ppo, PpoConfig};
use policies::nets::{ActorCritic, ActorCriticConfig};
use policies::storage::RolloutStorage;
use policies::tensor_util::{matrix, to_vec};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::time::Instant;

/// Arguments of `embody bench learner`.
#[derive(Debug, Args)]
pub struct LearnerArgs {
    /// Samples per PPO minibatch update.
    #[arg(long, default_value_t = 24_576)]
    pub minibatch: usize,
    /// Observation length (48 = the quadruped's proprioception).
    #[arg(long, default_value_t = 48)]
    pub obs_dim: usize,
    /// Action length.
    #[arg(long, default_value_t = 12)]
    pub act_dim: usize,
    /// Timed updates per repeat.
    #[arg(long, default_value_t = 5)]
    pub updates: usize,
    /// Repeats; medians are reported.
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
    /// Batch-1 forward passes timed for latency.
    #[arg(long, default_value_t = 2000)]
    pub infer_calls: usize,
    /// Compute device: cpu (default) or wgpu.
    #[arg(long)]
    pub device: Option<String>,
    /// Python interpreter with `torch` for the peer (skip the peer with --no-peer).
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Do not run the PyTorch peer.
    #[arg(long)]
    pub no_peer: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct LearnerResult {
    device: String,
    minibatch: usize,
    samples_per_s: f64,
    torch_samples_per_s: Option<f64>,
    ratio: Option<f64>,
    infer_batch1_us: f64,
    infer_batch1_p99_us: f64,
    torch_infer_batch1_us: Option<f64>,
    threads: usize,
    torch: Option<serde_json::Value>,
}

/// Runs `embody bench learner`.
pub fn run(args: LearnerArgs) -> anyhow::Result<()> {
    if args.minibatch == 0 || args.updates == 0 || args.repeats == 0 || args.infer_calls == 0 {
        bail!("--minibatch, --updates, --repeats and --infer-calls must be at least 1");
    }
    let (n, od, ad) = (args.minibatch, args.obs_dim, args.act_dim);
    let device = policies::device::device_from_name(args.device.as_deref())?;
    let train = device.clone().autodiff();
    train.seed(0);
    let policy = ActorCriticConfig::default();
    let model = ActorCritic::new(od, ad, &policy, &train);
    let config = PpoConfig {
        num_learning_epochs: 1,
        num_mini_batches: 1,
        schedule: LrScheduleKind::Fixed,
        ..PpoConfig::default()
    };
    let mut ppo = Ppo::new(model, config, train)?;
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut storage = RolloutStorage::new(1, n, od, ad);
    let mut fill =
        |v: &mut Vec<f32>, s: f32| v.iter_mut().for_each(|x| *x = rng.random_range(-s..s));
    fill(&mut storage.obs, 1.0);
    fill(&mut storage.actions, 1.0);
    fill(&mut storage.means, 1.0);
    fill(&mut storage.values, 1.0);
    fill(&mut storage.log_probs, 1.0);
    fill(&mut storage.advantages, 1.0);
    fill(&mut storage.returns, 1.0);
    storage.stds.fill(1.0);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    ppo.update(&storage, 0.0, &mut rng); // warm-up
    let mut rates = Vec::new();
    for _ in 0..args.repeats {
        let start = Instant::now();
        for _ in 0..args.updates {
            ppo.update(&storage, 0.0, &mut rng);
        }
        rates.push((n * args.updates) as f64 / start.elapsed().as_secs_f64());
    }
    let samples_per_s = median(rates);

    // Batch-1 actor latency with upload and read-back, as a policy node would run it.
    let infer = ppo.model.valid();
    let dev = device.clone();
    let obs = vec![0.1f32; od];
    let mut lat = Vec::with_capacity(args.infer_calls);
    for k in 0..args.infer_calls + 100 {
        let start = Instant::now();
        let a = to_vec(infer.action_mean(matrix(&obs, 1, od, &dev)));
        let us = start.elapsed().as_secs_f64() * 1e6;
        std::hint::black_box(a);
        if k >= 100 {
            lat.push(us);
        }
    }
    lat.sort_by(f64::total_cmp);
    let p99 = lat[(lat.len() * 99 / 100).min(lat.len() - 1)];
    let infer_us = median(lat);

    let torch = if args.no_peer {
        None
    } else {
        let script = robots::assets_dir().join("../bench/torch_ppo_update.py");
        let out = std::process::Command::new(&args.python)
            .arg(&script)
            .args([
                "--minibatch",
                &n.to_string(),
                "--obs-dim",
                &od.to_string(),
                "--act-dim",
                &ad.to_string(),
            ])
            .args([
                "--updates",
                &args.updates.to_string(),
                "--repeats",
                &args.repeats.to_string(),
            ])
            .args(["--infer-calls", &args.infer_calls.to_string()])
            .output()
            .with_context(|| format!("running {} {}", args.python, script.display()))?;
        if !out.status.success() {
            bail!(
                "the PyTorch peer failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Some(
            serde_json::from_slice::<serde_json::Value>(&out.stdout)
                .context("parsing the PyTorch peer's JSON")?,
        )
    };
    let torch_rate = torch.as_ref().and_then(|t| t["samples_per_s"].as_f64());
    let result = LearnerResult {
        device: args.device.clone().unwrap_or_else(|| "cpu".into()),
        minibatch: n,
        samples_per_s,
        torch_samples_per_s: torch_rate,
        ratio: torch_rate.map(|t| samples_per_s / t),
        infer_batch1_us: infer_us,
        infer_batch1_p99_us: p99,
        torch_infer_batch1_us: torch.as_ref().and_then(|t| t["infer_batch1_us"].as_f64()),
        threads: rayon::current_num_threads(),
        torch,
    };
    if args.json {
        println!("{}", serde_json::to_string(&result)?);
    } else {
        println!(
            "PPO update, minibatch {n}: burn {:.0} samples/s{}; batch-1 inference {:.1} us (p99 {:.1})",
            result.samples_per_s,
            match (result.torch_samples_per_s, result.ratio) {
                (Some(t), Some(r)) => format!(", PyTorch {t:.0} samples/s, ratio {r:.2}x"),
                _ => String::new(),
            },
            result.infer_batch1_us,
            result.infer_batch1_p99_us
        );
    }
    Ok(())
}
