//! `embody play bimanual`: a trained bimanual policy on episodes of its first task from seed
//! `--seed`; with `--rrd`/`--spawn`/`--connect` (the `rerun` feature) Rerun shows every body as
//! the physics collides with it (arms, fingers, objects, table), the contact level and the
//! reward terms.

use super::play::PlayArgs;
use anyhow::{Context, bail};
use policies::checkpoint;
use policies::config::TrainConfig;
use policies::deploy::DeployPolicy;
use serde::Serialize;
use sim::env::Env;
use sim::tasks::bimanual::{BimanualAssets, BimanualConfig, BimanualEnv};
use std::path::PathBuf;

/// What `embody play bimanual` measured.
#[derive(Debug, Serialize)]
struct BimanualPlaySummary {
    task: &'static str,
    checkpoint: PathBuf,
    bimanual_task: &'static str,
    seconds: f32,
    steps: u64,
    /// Episodes finished (an episode cut by the end of play is not counted).
    episodes: u32,
    /// Finished episodes that held the success level.
    successes: u32,
    /// The highest contact level of any step.
    max_level: u8,
    mean_reward: f32,
    recording: Option<String>,
}

/// Runs `embody play bimanual`.
pub fn run_bimanual_play(args: PlayArgs) -> anyhow::Result<()> {
    let Some(path) = args.checkpoint.first() else {
        bail!("--checkpoint is required");
    };
    let dir = checkpoint::resolve(path)?;
    let mut policy = DeployPolicy::load(&dir)?;
    let config = TrainConfig::load(&dir.join("config.toml"), &[])?;
    if config.task != super::bimanual::TASK {
        bail!(
            "{} was trained on '{}', not 'bimanual'",
            dir.display(),
            config.task
        );
    }
    let trained: BimanualConfig = config
        .env_config()
        .with_context(|| format!("{}: config.toml [env]", dir.display()))?;
    let task = BimanualConfig {
        tasks: trained.tasks[..1].to_vec(),
        ..trained
    };
    let assets = BimanualAssets::load(&task).context("reading the ALOHA scene files")?;
    let mut env = BimanualEnv::new(&assets, task.clone(), args.seed)?;
    let mut obs = vec![0.0; env.obs_dim()];
    let mut action = vec![0.0; env.action_dim()];
    env.reset(&mut obs);
    let mut viz = SceneViz::open(&args, &env)?;
    let dt = 0.02f32;
    let seconds = args.seconds.unwrap_or(task.episode_steps as f32 * dt);
    let steps = (seconds / dt).round() as u64;
    let (mut episodes, mut successes, mut max_level, mut reward) = (0u32, 0u32, 0u8, 0.0f64);
    let start = std::time::Instant::now();
    for step in 0..steps {
        policy.act(&obs, &mut action)?;
        let out = env.step(&action, &mut obs);
        reward += out.reward as f64;
        max_level = max_level.max(env.max_level());
        viz.log(step, (step + 1) as f32 * dt, &mut env)?;
        if out.terminated || out.truncated {
            episodes += 1;
            successes += u32::from(env.outcome().held);
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
    let summary = BimanualPlaySummary {
        task: super::bimanual::TASK,
        checkpoint: dir,
        bimanual_task: task.tasks[0].name(),
        seconds,
        steps,
        episodes,
        successes,
        max_level,
        mean_reward: (reward / steps.max(1) as f64) as f32,
        recording: viz.describe(),
    };
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!(
            "bimanual {}: {:.1} s, {} episodes, {} held the success level, highest level {}, \
             mean reward {:.3}{}",
            summary.bimanual_task,
            seconds,
            episodes,
            successes,
            max_level,
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
struct SceneViz {
    #[cfg(feature = "rerun")]
    rec: Option<(
        sim::viz::recorder::Recorder,
        String,
        Vec<sim::viz::SceneBodyMesh>,
    )>,
}

impl SceneViz {
    #[cfg(feature = "rerun")]
    fn open(args: &PlayArgs, env: &BimanualEnv) -> anyhow::Result<Self> {
        use sim::viz::recorder::Recorder;
        let Some((sink, describe)) = super::play::rerun_sink(args) else {
            return Ok(Self { rec: None });
        };
        let rec = Recorder::new("embody_play_bimanual", &sink)?;
        let bodies = sim::viz::scene_body_meshes(env.aloha().scene());
        rec.add_scene(&bodies)?;
        Ok(Self {
            rec: Some((rec, describe, bodies)),
        })
    }

    #[cfg(not(feature = "rerun"))]
    fn open(args: &PlayArgs, _: &BimanualEnv) -> anyhow::Result<Self> {
        if args.rrd.is_some() || args.spawn || args.connect.is_some() {
            bail!(
                "this embody was built without the `rerun` feature: rebuild with `cargo build --features rerun` to use --rrd, --spawn or --connect"
            );
        }
        Ok(Self {})
    }

    #[cfg(feature = "rerun")]
    fn log(&mut self, step: u64, t: f32, env: &mut BimanualEnv) -> anyhow::Result<()> {
        let Some((rec, _, bodies)) = &mut self.rec else {
            return Ok(());
        };
        rec.set_step(step as i64, t as f64);
        let poses = sim::viz::scene_body_poses(env.aloha().scene(), bodies);
        rec.log_scene_poses(bodies, &poses)?;
        rec.log_scalar("plots/level", env.aloha().level() as f64)?;
        let (terms, n) = env.drain_reward_terms();
        for (name, sum) in terms {
            rec.log_scalar(
                &format!("plots/reward/{name}"),
                (sum / n.max(1) as f32) as f64,
            )?;
        }
        Ok(())
    }

    #[cfg(not(feature = "rerun"))]
    fn log(&mut self, _: u64, _: f32, _: &mut BimanualEnv) -> anyhow::Result<()> {
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
