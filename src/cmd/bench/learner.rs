//! PPO learner throughput and batch-1 inference latency, against PyTorch in the same run, with
//! the `gemm` crate's rate at the same products as the machine's ceiling.

use super::gemm_ceiling::{self, Ceiling};
use super::median;
use anyhow::{Context, bail};
use burn::module::Module;
use clap::{Args, ValueEnum};
use policies::algo::{LrScheduleKind, Ppo, PpoConfig};
use policies::nets::{ActorCritic, ActorCriticConfig};
use policies::storage::RolloutStorage;
use policies::tensor_util::{matrix, to_vec};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::time::Instant;

/// A network size of the benchmark: observation, hidden layers and action of both actor and
/// critic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// rsl_rl's default: 48 observations, [512, 256, 128], 12 actions.
    Rsl,
    /// embody's locomotion config: 50 observations, [128, 128], 12 actions.
    Loco,
    /// DeepMimic's humanoid scale: 197 observations, [1024, 512], 36 actions.
    Mimic,
}

impl Shape {
    /// `(observations, hidden, actions)`.
    fn dims(self) -> (usize, Vec<usize>, usize) {
        match self {
            Self::Rsl => (48, vec![512, 256, 128], 12),
            Self::Loco => (50, vec![128, 128], 12),
            Self::Mimic => (197, vec![1024, 512], 36),
        }
    }
}

/// Arguments of `embody bench learner`.
#[derive(Debug, Args)]
pub struct LearnerArgs {
    /// Network sizes to measure (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Shape::Rsl, Shape::Loco, Shape::Mimic])]
    pub shape: Vec<Shape>,
    /// Samples per PPO minibatch update (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [1_536, 6_144, 24_576, 98_304])]
    pub minibatch: Vec<usize>,
    /// Samples timed per repeat (at least one update); each side runs the same count.
    #[arg(long, default_value_t = 98_304)]
    pub samples: usize,
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
    /// Do not time the `gemm` ceiling.
    #[arg(long)]
    pub no_ceiling: bool,
    /// Print one JSON object per shape and minibatch (one line each).
    #[arg(long)]
    pub json: bool,
}

/// One row of the benchmark.
#[derive(Debug, Serialize)]
struct LearnerResult {
    device: String,
    adapter: String,
    shape: Shape,
    obs_dim: usize,
    hidden: Vec<usize>,
    act_dim: usize,
    minibatch: usize,
    samples_per_s: f64,
    torch_samples_per_s: Option<f64>,
    ratio: Option<f64>,
    /// Matrix-product FLOP/s the update reaches (its products' FLOPs over its time), GFLOP/s.
    gflops: f64,
    /// The `gemm` crate's rate on the same products alone, GFLOP/s.
    gemm_gflops: Option<f64>,
    /// `gflops / gemm_gflops`.
    fraction_of_ceiling: Option<f64>,
    infer_batch1_us: f64,
    infer_batch1_p99_us: f64,
    torch_infer_batch1_us: Option<f64>,
    threads: usize,
    torch: Option<serde_json::Value>,
}

/// The update's matrix products: actor and critic MLPs.
fn update_products(
    od: usize,
    hidden: &[usize],
    ad: usize,
    rows: usize,
) -> Vec<gemm_ceiling::Product> {
    let widths = |out: usize| {
        let mut w = vec![od];
        w.extend_from_slice(hidden);
        w.push(out);
        w
    };
    let mut products = gemm_ceiling::mlp_update_products(&widths(ad), rows);
    products.extend(gemm_ceiling::mlp_update_products(&widths(1), rows));
    products
}

/// Samples per second of PPO minibatch updates of `n` samples, and the learner's batch-1
/// inference latency (median, p99) in µs.
fn measure_burn(
    device: &burn::tensor::Device,
    shape: Shape,
    n: usize,
    args: &LearnerArgs,
) -> anyhow::Result<(f64, f64, f64)> {
    let (od, hidden, ad) = shape.dims();
    let train = device.clone().autodiff();
    train.seed(0);
    let policy = ActorCriticConfig {
        actor_hidden: hidden.clone(),
        critic_hidden: hidden,
        init_noise_std: 1.0,
    };
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
    let updates = args.samples.div_ceil(n).max(1);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    ppo.update(&storage, 0.0, &mut rng); // warm-up
    let mut rates = Vec::new();
    for _ in 0..args.repeats {
        let start = Instant::now();
        for _ in 0..updates {
            ppo.update(&storage, 0.0, &mut rng);
        }
        rates.push((n * updates) as f64 / start.elapsed().as_secs_f64());
    }

    // Batch-1 actor latency with upload and read-back, as a policy node would run it.
    let infer = ppo.model.valid();
    let obs = vec![0.1f32; od];
    let mut lat = Vec::with_capacity(args.infer_calls);
    for k in 0..args.infer_calls + 100 {
        let start = Instant::now();
        let a = to_vec(infer.action_mean(matrix(&obs, 1, od, device)));
        let us = start.elapsed().as_secs_f64() * 1e6;
        std::hint::black_box(a);
        if k >= 100 {
            lat.push(us);
        }
    }
    lat.sort_by(f64::total_cmp);
    let p99 = lat[(lat.len() * 99 / 100).min(lat.len() - 1)];
    Ok((median(rates), median(lat), p99))
}

/// The PyTorch peer (bench/torch_ppo_update.py) on the same shape and minibatch.
fn measure_torch(shape: Shape, n: usize, args: &LearnerArgs) -> anyhow::Result<serde_json::Value> {
    let (od, hidden, ad) = shape.dims();
    let script = robots::assets_dir().join("../bench/torch_ppo_update.py");
    let hidden: Vec<String> = hidden.iter().map(usize::to_string).collect();
    let updates = args.samples.div_ceil(n).max(1);
    let out = std::process::Command::new(&args.python)
        .arg(&script)
        .args(["--minibatch", &n.to_string()])
        .args(["--obs-dim", &od.to_string(), "--act-dim", &ad.to_string()])
        .args(["--hidden", &hidden.join(",")])
        .args(["--updates", &updates.to_string()])
        .args(["--repeats", &args.repeats.to_string()])
        .args(["--threads", &rayon::current_num_threads().to_string()])
        .args(["--infer-calls", &args.infer_calls.to_string()])
        .output()
        .with_context(|| format!("running {} {}", args.python, script.display()))?;
    if !out.status.success() {
        bail!(
            "the PyTorch peer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    serde_json::from_slice(&out.stdout).context("parsing the PyTorch peer's JSON")
}

/// Runs `embody bench learner`.
pub fn run(args: LearnerArgs) -> anyhow::Result<()> {
    if args.minibatch.contains(&0) || args.repeats == 0 || args.infer_calls == 0 {
        bail!("--minibatch, --repeats and --infer-calls must be at least 1");
    }
    let device = policies::device::device_from_name(args.device.as_deref())?;
    let device_name = args.device.clone().unwrap_or_else(|| "cpu".into());
    let threads = rayon::current_num_threads();
    let adapter = match device_name.as_str() {
        "cpu" | "flex" => format!("burn flex (gemm) on {threads} threads"),
        other => other.to_string(),
    };
    for &shape in &args.shape {
        for &n in &args.minibatch {
            let (od, hidden, ad) = shape.dims();
            let (samples_per_s, infer_us, p99) = measure_burn(&device, shape, n, &args)?;
            let products = update_products(od, &hidden, ad, n);
            let flops: f64 = products.iter().map(|p| p.flops()).sum();
            let gflops = samples_per_s / n as f64 * flops / 1e9;
            let ceiling: Option<Ceiling> =
                (!args.no_ceiling).then(|| gemm_ceiling::measure(&products, args.repeats));
            if std::env::var_os("EMBODY_BENCH_GEMM_DETAIL").is_some() {
                for (p, r) in ceiling.iter().flat_map(|c| &c.by_product) {
                    eprintln!("  gemm {:?}: {r:.1} GFLOP/s", p);
                }
            }
            let torch = if args.no_peer {
                None
            } else {
                Some(measure_torch(shape, n, &args)?)
            };
            let torch_rate = torch.as_ref().and_then(|t| t["samples_per_s"].as_f64());
            let result = LearnerResult {
                device: device_name.clone(),
                adapter: adapter.clone(),
                shape,
                obs_dim: od,
                hidden,
                act_dim: ad,
                minibatch: n,
                samples_per_s,
                torch_samples_per_s: torch_rate,
                ratio: torch_rate.map(|t| samples_per_s / t),
                gflops,
                gemm_gflops: ceiling.as_ref().map(|c| c.gflops),
                fraction_of_ceiling: ceiling.as_ref().map(|c| gflops / c.gflops),
                infer_batch1_us: infer_us,
                infer_batch1_p99_us: p99,
                torch_infer_batch1_us: torch.as_ref().and_then(|t| t["infer_batch1_us"].as_f64()),
                threads,
                torch,
            };
            if args.json {
                println!("{}", serde_json::to_string(&result)?);
            } else {
                println!(
                    "{:?} {:?}, minibatch {n}: burn {:.0} samples/s ({:.0} GFLOP/s{}){}; batch-1 inference {:.1} us (p99 {:.1})",
                    shape,
                    result.hidden,
                    result.samples_per_s,
                    result.gflops,
                    match (result.gemm_gflops, result.fraction_of_ceiling) {
                        (Some(c), Some(f)) => format!(", {:.0}% of gemm's {c:.0}", f * 100.0),
                        _ => String::new(),
                    },
                    match (result.torch_samples_per_s, result.ratio) {
                        (Some(t), Some(r)) => format!(", PyTorch {t:.0} samples/s, ratio {r:.2}x"),
                        _ => String::new(),
                    },
                    result.infer_batch1_us,
                    result.infer_batch1_p99_us
                );
            }
        }
    }
    Ok(())
}
