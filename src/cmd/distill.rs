//! `embody distill`: a trained teacher distilled by DAgger into a student that acts on the
//! task's realistic observation (`policies::runner::Distiller`). The student's run folder holds
//! an ordinary checkpoint (eval, play and deploy load it) and `distill.csv`.

use super::bimanual::{TASK as BIMANUAL, bimanual_venv};
use anyhow::{Context, bail};
use clap::Args;
use policies::checkpoint::checkpoint_dir;
use policies::config::TrainConfig;
use policies::deploy::{DeployPolicy, resolve_checkpoint};
use policies::runner::{DistillStats, Distiller};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `embody distill`.
#[derive(Debug, Args)]
pub struct DistillArgs {
    /// Task: bimanual (the teacher reads the simulator's state, the student poses with noise
    /// and latency and no velocities or contact flags).
    pub task: String,
    /// The teacher: a run folder, a checkpoint folder or a shipped policy.
    #[arg(long)]
    pub teacher: PathBuf,
    /// Run folder of the student.
    #[arg(long)]
    pub out: PathBuf,
    /// Override a config value of the student's run (the teacher's config with
    /// `env.observation.variant = "student"`), e.g. `--set distill.iterations=100`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// Seed (overrides the config's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Continue the student in --out from its last checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Compute device of the student: cpu (default) or wgpu; else $BURN_DEVICE.
    #[arg(long)]
    pub device: Option<String>,
    /// Print one JSON object with the last iteration's figures.
    #[arg(long)]
    pub json: bool,
}

/// Runs `embody distill`.
pub fn run_distill(args: DistillArgs) -> anyhow::Result<()> {
    if args.task != BIMANUAL {
        bail!(
            "task '{}' has no student observation to distil into; distillable tasks: [\"{BIMANUAL}\"]",
            args.task
        );
    }
    let teacher_dir = resolve_checkpoint(&args.teacher)
        .with_context(|| format!("--teacher {}", args.teacher.display()))?;
    let teacher = DeployPolicy::load(&teacher_dir)
        .with_context(|| format!("loading the teacher from {}", teacher_dir.display()))?;
    let ckpt = checkpoint_dir(&args.out);
    if args.resume && !ckpt.join("state.json").is_file() {
        bail!(
            "--resume: no student checkpoint in {} (start without --resume)",
            ckpt.display()
        );
    }
    let config = if args.resume {
        TrainConfig::load(&ckpt.join("config.toml"), &args.overrides)?
    } else {
        let mut overrides = vec!["env.observation.variant=\"student\"".to_string()];
        overrides.extend(args.overrides.iter().cloned());
        if let Some(seed) = args.seed {
            overrides.push(format!("seed={seed}"));
        }
        TrainConfig::load(&teacher_dir.join("config.toml"), &overrides)
            .with_context(|| format!("the teacher's config in {}", teacher_dir.display()))?
    };
    if config.task != BIMANUAL {
        bail!(
            "--teacher {}: trained on task '{}', not '{BIMANUAL}'",
            args.teacher.display(),
            config.task
        );
    }
    let settings = config.distill_config()?;
    let device = policies::device::device_from_name(args.device.as_deref())?;
    let venv = bimanual_venv(&config, config.runner.num_envs, config.seed)?;
    let (tod, tad) = (teacher.obs_dim(), teacher.act_dim());
    let mut distiller = Distiller::new(
        venv,
        teacher,
        (tod, tad),
        &config.policy,
        settings.clone(),
        &device,
        config.seed,
    )?;
    if args.resume {
        distiller.resume_from(&ckpt)?;
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let csv_path = args.out.join("distill.csv");
    let mut csv = open_csv(&csv_path, args.resume)?;
    let mut last: Option<DistillStats> = None;
    while distiller.iteration() < settings.iterations {
        let s = distiller.iterate()?;
        writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{},{}",
            s.iteration,
            s.total_steps,
            s.teacher_share,
            s.action_mse,
            s.loss,
            s.dataset,
            s.mean_return,
            s.success_rate,
            s.collect_s,
            s.learn_s
        )
        .with_context(|| format!("writing {}", csv_path.display()))?;
        csv.flush().ok();
        if !args.json {
            println!(
                "distill {:>4}/{}: teacher share {:.3}, action mse {:.4}, loss {:.4}, \
                 return {:.1}, success {:.2}, {:.1} s",
                s.iteration,
                settings.iterations,
                s.teacher_share,
                s.action_mse,
                s.loss,
                s.mean_return,
                s.success_rate,
                s.collect_s + s.learn_s
            );
        }
        if s.iteration % settings.save_interval == 0 || s.iteration == settings.iterations {
            distiller.save_checkpoint(&ckpt, &config)?;
        }
        last = Some(s);
    }
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "task": args.task,
                "teacher": teacher_dir,
                "run_dir": args.out,
                "last": last,
            })
        );
    }
    Ok(())
}

/// `distill.csv` in the run folder: appended to on resume, else started with its header.
fn open_csv(path: &Path, resume: bool) -> anyhow::Result<std::fs::File> {
    let exists = path.is_file();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(resume)
        .write(true)
        .truncate(!resume)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    if !(resume && exists) {
        writeln!(
            f,
            "iteration,total_steps,teacher_share,action_mse,loss,dataset,mean_return,\
             success_rate,collect_s,learn_s"
        )?;
    }
    Ok(f)
}
