//! `embody bench grpo`: GRPO steps per second of embody's learner against TRL's GRPOTrainer
//! (bench/trl_grpo.py) in one run, at one shape: a GPT-2 model (4 layers, width 128, 4 heads,
//! context 64) over a character vocabulary, G completions for each of P prompts per step, every
//! completion exactly L tokens, a seeded random reward, one optimiser step per batch, the same
//! thread count on both sides. Generation (sampling and scoring) and the update are timed
//! apart; the figures are medians over the measured steps.

use anyhow::Context;
use clap::Args;
use policies::algo::{Grpo, GrpoConfig, RewardTerm};
use policies::lm::tasks::Countdown;
use policies::lm::{BatchBuilder, CharTokenizer, Gpt, GptConfig, SamplingConfig};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::time::Instant;

/// Arguments of `embody bench grpo`.
#[derive(Debug, Args)]
pub struct BenchGrpoArgs {
    /// Measured steps per side (after the warm-up steps).
    #[arg(long, default_value_t = 6)]
    pub steps: usize,
    /// Unmeasured steps first.
    #[arg(long, default_value_t = 1)]
    pub warmup: usize,
    /// Prompts per step.
    #[arg(long, default_value_t = 32)]
    pub prompts: usize,
    /// Completions per prompt (G).
    #[arg(long, default_value_t = 8)]
    pub generations: usize,
    /// Tokens in every completion.
    #[arg(long, default_value_t = 32)]
    pub completion_len: usize,
    /// The Python with trl, transformers and torch (e.g. .venv-bench/bin/python).
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Measure embody only.
    #[arg(long)]
    pub no_peer: bool,
    /// Print JSON lines (one per side, then the comparison).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct Side {
    side: &'static str,
    threads: usize,
    completions_per_step: usize,
    completion_len: usize,
    steps: usize,
    generate_s: f64,
    update_s: f64,
    step_s: f64,
    completions_per_s: f64,
    tokens_per_s: f64,
}

#[derive(Debug, Serialize)]
struct Comparison {
    embody_tokens_per_s: f64,
    trl_tokens_per_s: Option<f64>,
    ratio: Option<f64>,
    embody_completions_per_s: f64,
    trl_completions_per_s: Option<f64>,
    embody_generate_s: f64,
    trl_generate_s: Option<f64>,
    embody_update_s: f64,
    trl_update_s: Option<f64>,
    threads: usize,
}

fn embody_side(args: &BenchGrpoArgs) -> anyhow::Result<Side> {
    let task = Countdown {
        numbers: 3,
        max_number: 10,
    };
    let tokenizer = CharTokenizer::new(policies::lm::tasks::Task::alphabet(&task));
    let shape = GptConfig {
        vocab_size: tokenizer.vocab_size(),
        n_positions: 64,
        n_embd: 128,
        n_layer: 4,
        n_head: 4,
        layer_norm_epsilon: 1e-5,
    };
    let device = burn::prelude::Device::flex();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let model = Gpt::new(&shape, &device.clone().autodiff(), &mut rng);
    let config = GrpoConfig {
        num_generations: args.generations,
        prompts_per_step: args.prompts,
        learning_rate: 1e-5,
        rewards: vec![RewardTerm {
            kind: "random".into(),
            weight: 1.0,
        }],
        sampling: SamplingConfig {
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
            max_new_tokens: args.completion_len,
            min_new_tokens: args.completion_len,
        },
        ..GrpoConfig::default()
    };
    let mut grpo = Grpo::new(model, config, device, 0).map_err(anyhow::Error::msg)?;
    let builder = BatchBuilder {
        task: &task,
        tokenizer: &tokenizer,
    };
    let (mut gen_s, mut upd_s, mut tokens) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..args.warmup + args.steps {
        let t0 = Instant::now();
        let (batch, stats) = builder.build(&grpo, &mut rng)?;
        let g = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        grpo.update(&batch);
        let u = t1.elapsed().as_secs_f64();
        if i >= args.warmup {
            gen_s.push(g);
            upd_s.push(u);
            tokens.push(stats.sampled_tokens as f64);
        }
    }
    let steps: Vec<f64> = gen_s.iter().zip(&upd_s).map(|(g, u)| g + u).collect();
    let step_s = super::median(steps);
    let completions = args.prompts * args.generations;
    Ok(Side {
        side: "embody",
        threads: rayon::current_num_threads(),
        completions_per_step: completions,
        completion_len: args.completion_len,
        steps: args.steps,
        generate_s: super::median(gen_s),
        update_s: super::median(upd_s),
        step_s,
        completions_per_s: completions as f64 / step_s,
        tokens_per_s: super::median(tokens) / step_s,
    })
}

fn trl_side(args: &BenchGrpoArgs, threads: usize) -> anyhow::Result<serde_json::Value> {
    let script = robots::assets_dir().join("../bench/trl_grpo.py");
    let out = std::process::Command::new(&args.python)
        .arg(&script)
        .env("HF_HUB_OFFLINE", "1")
        .args(["--steps", &args.steps.to_string()])
        .args(["--warmup", &args.warmup.to_string()])
        .args(["--threads", &threads.to_string()])
        .args(["--prompts", &args.prompts.to_string()])
        .args(["--generations", &args.generations.to_string()])
        .args(["--completion-len", &args.completion_len.to_string()])
        .output()
        .with_context(|| format!("running {} {}", args.python, script.display()))?;
    if !out.status.success() {
        anyhow::bail!(
            "the TRL peer failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with("{\"peer\""))
        .context("the TRL peer printed no summary line")?;
    serde_json::from_str(last).context("parsing the TRL peer's summary")
}

/// Runs the benchmark.
pub fn run(args: BenchGrpoArgs) -> anyhow::Result<()> {
    let ours = embody_side(&args)?;
    let peer = if args.no_peer {
        None
    } else {
        Some(trl_side(&args, ours.threads)?)
    };
    let get = |k: &str| {
        peer.as_ref()
            .and_then(|p| p.get(k))
            .and_then(serde_json::Value::as_f64)
    };
    let cmp = Comparison {
        embody_tokens_per_s: ours.tokens_per_s,
        trl_tokens_per_s: get("tokens_per_s"),
        ratio: get("tokens_per_s").map(|t| ours.tokens_per_s / t),
        embody_completions_per_s: ours.completions_per_s,
        trl_completions_per_s: get("completions_per_s"),
        embody_generate_s: ours.generate_s,
        trl_generate_s: get("generate_s"),
        embody_update_s: ours.update_s,
        trl_update_s: get("update_s"),
        threads: ours.threads,
    };
    if args.json {
        println!("{}", serde_json::to_string(&ours)?);
        if let Some(p) = &peer {
            println!("{p}");
        }
        println!("{}", serde_json::to_string(&cmp)?);
    } else {
        println!("{}", serde_json::to_string_pretty(&cmp)?);
    }
    Ok(())
}
