//! `embody play imitate`: a trained imitation policy performs its clip from the clip's start;
//! with `--rrd`/`--spawn`/`--connect` (the `rerun` feature) Rerun shows the simulated character
//! and, 1 m to its left, the reference skeleton, with the reward terms and tracking errors.

use super::play::PlayArgs;
use anyhow::{Context, bail};
use policies::checkpoint;
use policies::config::TrainConfig;
use policies::deploy::DeployPolicy;
use serde::Serialize;
use sim::env::Env;
use sim::tasks::imitate::{ImitationAssets, ImitationConfig, ImitationEnv};
use std::path::PathBuf;
use std::sync::Arc;

#[cfg_attr(not(feature = "rerun"), allow(dead_code))]
/// Where the reference skeleton is drawn, relative to the simulated character (m, world).
const REFERENCE_OFFSET: [f32; 3] = [0.0, 1.0, 0.0];

/// What `embody play imitate` measured.
#[derive(Debug, Serialize)]
struct ImitationPlaySummary {
    task: &'static str,
    checkpoint: PathBuf,
    clip: String,
    seconds: f32,
    steps: u64,
    falls: u32,
    mean_pose_error_rad: f32,
    mean_body_pos_error_m: f32,
    mean_reward: f32,
    recording: Option<String>,
}

/// Runs `embody play imitate`.
pub fn run_imitation_play(args: PlayArgs) -> anyhow::Result<()> {
    let Some(path) = args.checkpoint.first() else {
        bail!("--checkpoint is required");
    };
    let dir = checkpoint::resolve(path)?;
    let mut policy = DeployPolicy::load(&dir)?;
    let config = TrainConfig::load(&dir.join("config.toml"), &[])?;
    if config.task != "imitate" {
        bail!(
            "{} was trained on '{}', not 'imitate'",
            dir.display(),
            config.task
        );
    }
    let task = ImitationConfig {
        random_start: false,
        ..config
            .env_config()
            .with_context(|| format!("{}: config.toml [env]", dir.display()))?
    };
    let assets = Arc::new(ImitationAssets::load(&task)?);
    let mut env = ImitationEnv::new(assets.clone(), task, args.seed)?;
    let mut viz = ReferenceViz::open(&args, &env)?;
    let seconds = args.seconds.unwrap_or(10.0);
    let dt = 1.0 / assets.update_rate_hz as f32;
    let steps = (seconds / dt).round() as u64;
    let mut obs = vec![0.0; env.obs_dim()];
    let mut action = vec![0.0; env.action_dim()];
    env.reset(&mut obs);
    let (mut falls, mut pose, mut body, mut reward) = (0u32, 0.0f64, 0.0f64, 0.0f64);
    let start = std::time::Instant::now();
    for step in 0..steps {
        policy.act(&obs, &mut action)?;
        let out = env.step(&action, &mut obs);
        let errors = env.tracking_errors();
        pose += errors.pose_rad as f64;
        body += errors.body_pos_m as f64;
        reward += out.reward as f64;
        viz.log(step, (step + 1) as f32 * dt, &env)?;
        if out.terminated || out.truncated {
            falls += u32::from(out.terminated);
            env.reset(&mut obs);
        }
        if args.realtime {
            let due = std::time::Duration::from_secs_f32((step + 1) as f32 * dt);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
    viz.finish()?;
    let n = steps.max(1) as f64;
    let summary = ImitationPlaySummary {
        task: "imitate",
        checkpoint: dir,
        clip: assets.clip.path.display().to_string(),
        seconds,
        steps,
        falls,
        mean_pose_error_rad: (pose / n) as f32,
        mean_body_pos_error_m: (body / n) as f32,
        mean_reward: (reward / n) as f32,
        recording: viz.describe(),
    };
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!(
            "imitate {}: {:.1} s, {} falls, pose error {:.3} rad, body position error {:.3} m, \
             mean reward {:.3}{}",
            summary.clip,
            seconds,
            falls,
            summary.mean_pose_error_rad,
            summary.mean_body_pos_error_m,
            summary.mean_reward,
            summary
                .recording
                .as_ref()
                .map_or(String::new(), |r| format!("; recording: {r}"))
        );
    }
    Ok(())
}

/// The Rerun side (a no-op without the `rerun` feature).
struct ReferenceViz {
    #[cfg(feature = "rerun")]
    rec: Option<(sim::viz::recorder::Recorder, String, Vec<(usize, usize)>)>,
}

impl ReferenceViz {
    #[cfg(feature = "rerun")]
    fn open(args: &PlayArgs, env: &ImitationEnv) -> anyhow::Result<Self> {
        use sim::viz::recorder::Recorder;
        let Some((sink, describe)) = super::play::rerun_sink(args) else {
            return Ok(Self { rec: None });
        };
        let mut rec = Recorder::new("embody_play_imitate", &sink)?;
        rec.add_env("env0", &env.assets().spec, &sim::Terrain::flat(), [0.0; 3])?;
        rec.send_blueprint(false)?;
        // The reference skeleton's bones: every site to its parent.
        let bones = env
            .assets()
            .performer
            .parents
            .iter()
            .enumerate()
            .filter_map(|(j, parent)| parent.map(|p| (p, j)))
            .collect();
        Ok(Self {
            rec: Some((rec, describe, bones)),
        })
    }

    #[cfg(not(feature = "rerun"))]
    fn open(args: &PlayArgs, _: &ImitationEnv) -> anyhow::Result<Self> {
        if args.rrd.is_some() || args.spawn || args.connect.is_some() {
            bail!(
                "this embody was built without the `rerun` feature: rebuild with `cargo build --features rerun` to use --rrd, --spawn or --connect"
            );
        }
        Ok(Self {})
    }

    #[cfg(feature = "rerun")]
    fn log(&mut self, step: u64, t: f32, env: &ImitationEnv) -> anyhow::Result<()> {
        let Some((rec, _, bones)) = &mut self.rec else {
            return Ok(());
        };
        rec.set_step(step as i64, t as f64);
        rec.log_frame(0, &sim::viz::RobotFrame::capture(env.world(), None))?;
        let [dx, dy, dz] = REFERENCE_OFFSET;
        let joints: Vec<[f32; 3]> = env
            .reference()
            .joint_pos
            .iter()
            .map(|p| [p.x + dx, p.y + dy, p.z + dz])
            .collect();
        rec.log_skeleton(0, "reference", &joints, bones)?;
        let breakdown = env.last_reward();
        let terms: Vec<(&str, f32)> = sim::tasks::imitate::TERM_NAMES
            .iter()
            .copied()
            .zip(breakdown.kernels)
            .chain([("total", breakdown.total)])
            .collect();
        rec.log_rewards(0, &terms)?;
        let e = env.tracking_errors();
        rec.log_scalar("plots/env0/tracking/pose_error_rad", e.pose_rad as f64)?;
        rec.log_scalar("plots/env0/tracking/body_pos_error_m", e.body_pos_m as f64)?;
        rec.log_scalar(
            "plots/env0/tracking/end_effector_error_m",
            e.end_effector_m as f64,
        )?;
        rec.log_scalar("plots/env0/tracking/root_drift_m", e.root_drift_m as f64)?;
        Ok(())
    }

    #[cfg(not(feature = "rerun"))]
    fn log(&mut self, _: u64, _: f32, _: &ImitationEnv) -> anyhow::Result<()> {
        Ok(())
    }

    fn describe(&self) -> Option<String> {
        #[cfg(feature = "rerun")]
        if let Some((_, d, _)) = &self.rec {
            return Some(d.clone());
        }
        None
    }

    fn finish(&self) -> anyhow::Result<()> {
        #[cfg(feature = "rerun")]
        if let Some((rec, _, _)) = &self.rec {
            rec.flush()?;
        }
        Ok(())
    }
}
