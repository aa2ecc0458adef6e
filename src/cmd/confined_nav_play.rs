//! `embody play confined-nav`: one policy crosses one confined world (a held-out test world
//! chosen by `--seed`, or a world file with `--world`) until it reaches the goal, falls or runs
//! out of time; with `--rrd`/`--spawn`/`--connect` (the `rerun` feature) Rerun shows the floor
//! and ceiling heightfields, the robot, the plan and its waypoints, and the navigation figures.
//!
//! The checkpoint is a confined-nav policy (hierarchical or end to end, as it was trained), or
//! a walking policy (`locomotion`), which then plays the velocity-skill baseline: the pursuit
//! of the plan in its command slot.

use super::play::PlayArgs;
use anyhow::{Context, bail};
use policies::checkpoint;
use policies::config::TrainConfig;
use policies::deploy::DeployPolicy;
use serde::Serialize;
use sim::confined::{GeneratedWorld, RobotSize, TEST_SEED_BASE, WorldRanges, WorldSpec, generate};
use sim::env::Env;
use sim::tasks::confined_nav::{ConfinedNavConfig, ConfinedNavEnv, NavEpisode, Strategy};
use sim::tasks::locomotion::LocomotionConfig;
use std::path::PathBuf;
use std::sync::Arc;

/// What `embody play confined-nav` measured.
#[derive(Debug, Serialize)]
struct NavPlaySummary {
    task: &'static str,
    checkpoint: PathBuf,
    /// hierarchical, end_to_end or velocity_skill.
    strategy: &'static str,
    /// The world file, or `test world N (seed S)`.
    world: String,
    reached_goal: bool,
    fell: bool,
    seconds: f32,
    collisions: u32,
    replans: u32,
    travelled_m: f32,
    distance_left_m: f32,
    recording: Option<String>,
}

/// Runs `embody play confined-nav`.
pub fn run_confined_nav_play(args: PlayArgs) -> anyhow::Result<()> {
    let Some(path) = args.checkpoint.first() else {
        bail!("--checkpoint is required");
    };
    let dir = checkpoint::resolve(path)?;
    let mut policy = DeployPolicy::load(&dir)?;
    let config = TrainConfig::load(&dir.join("config.toml"), &[])?;
    let (mut task, strategy) = match config.task.as_str() {
        super::confined_nav::TASK => {
            let task: ConfinedNavConfig = config
                .env_config()
                .with_context(|| format!("{}: config.toml [env]", dir.display()))?;
            let name = match task.strategy {
                Strategy::Hierarchical => "hierarchical",
                Strategy::EndToEnd => "end_to_end",
                Strategy::Commanded => "commanded",
            };
            (task, name)
        }
        "locomotion" => {
            let walking: LocomotionConfig = config
                .env_config()
                .with_context(|| format!("{}: config.toml [env]", dir.display()))?;
            let task = ConfinedNavConfig {
                locomotion: walking,
                ..ConfinedNavConfig::default()
            };
            (task, "velocity_skill")
        }
        other => bail!(
            "{} was trained on '{other}': play confined-nav takes a confined-nav policy or a \
             locomotion policy (the velocity-skill baseline)",
            dir.display()
        ),
    };
    task.locomotion.random_episode_start = false;
    task.locomotion.push_interval_s = 0.0;
    let robot = &task.locomotion.robot;
    let spec = Arc::new(
        robots::load_builtin_or_path(robot)
            .with_context(|| format!("env.locomotion.robot: loading '{robot}'"))?,
    );
    let body = robots::body_extents(&spec).context("sizing the world by the robot")?;
    let (world, world_name) = match &args.world {
        Some(file) => {
            let spec = WorldSpec::from_file(file)?;
            let world = GeneratedWorld {
                spec,
                centre_line: Vec::new(),
                seed: args.seed,
            };
            (world, file.display().to_string())
        }
        None => {
            let seed = TEST_SEED_BASE + args.seed;
            let world = generate(seed, &WorldRanges::test(), RobotSize::from(&body));
            (world, format!("test world {} (seed {seed})", args.seed))
        }
    };
    if let Some(s) = args.seconds {
        task.episode_s = s;
    }
    let mut env = ConfinedNavEnv::new(spec.clone(), task.clone(), args.seed)?;
    env.set_world(Some(&world));
    let obs_used = policy.obs_dim();
    let wanted = if strategy == "velocity_skill" {
        env.locomotion_obs_dim()
    } else {
        env.obs_dim()
    };
    if obs_used != wanted {
        bail!(
            "{}: the policy observes {obs_used} values, the task gives it {wanted}",
            dir.display()
        );
    }
    let mut obs = vec![0.0; env.obs_dim()];
    let mut action = vec![0.0; env.action_dim()];
    env.reset(&mut obs);
    let mut viz = NavViz::open(&args, &spec, &env)?;
    let dt = task.locomotion.physics.control_dt;
    // Streaming to a viewer paces the simulation to wall-clock time, as `play locomotion`.
    let realtime = args.realtime || args.spawn || args.connect.is_some();
    let start = std::time::Instant::now();
    let mut last = NavEpisode::default();
    for step in 0u64.. {
        policy.act(&obs[..obs_used], &mut action)?;
        let out = env.step(&action, &mut obs);
        last = env.episode();
        viz.log(step, (step + 1) as f32 * dt, &env)?;
        if out.terminated || out.truncated {
            break;
        }
        if realtime {
            let due = std::time::Duration::from_secs_f32((step + 1) as f32 * dt);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
    viz.finish()?;
    let summary = NavPlaySummary {
        task: super::confined_nav::TASK,
        checkpoint: dir,
        strategy,
        world: world_name,
        reached_goal: last.reached_goal,
        fell: last.fell,
        seconds: last.steps as f32 * dt,
        collisions: last.collisions,
        replans: last.replans,
        travelled_m: last.travelled_m,
        distance_left_m: last.distance_m,
        recording: viz.describe(),
    };
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        let outcome = if summary.reached_goal {
            "reached the goal"
        } else if summary.fell {
            "fell"
        } else {
            "ran out of time"
        };
        println!(
            "confined-nav {} on {}: {outcome} after {:.1} s, {:.2} m walked, {:.2} m left, \
             {} collisions, {} replans{}",
            summary.strategy,
            summary.world,
            summary.seconds,
            summary.travelled_m,
            summary.distance_left_m,
            summary.collisions,
            summary.replans,
            summary
                .recording
                .as_ref()
                .map_or(String::new(), |r| format!("; recording: {r}"))
        );
    }
    Ok(())
}

/// The Rerun side (a no-op without the `rerun` feature).
struct NavViz {
    #[cfg(feature = "rerun")]
    rec: Option<(sim::viz::recorder::Recorder, String)>,
}

impl NavViz {
    #[cfg(feature = "rerun")]
    fn open(
        args: &PlayArgs,
        spec: &robots::RobotSpec,
        env: &ConfinedNavEnv,
    ) -> anyhow::Result<Self> {
        use sim::viz::recorder::Recorder;
        let Some((sink, describe)) = super::play::rerun_sink(args) else {
            return Ok(Self { rec: None });
        };
        let grid = env.grid().context("the env has no world after its reset")?;
        let mut rec = Recorder::new("embody_play_confined_nav", &sink)?;
        rec.add_confined_env("env0", spec, grid)?;
        rec.send_blueprint(false)?;
        Ok(Self {
            rec: Some((rec, describe)),
        })
    }

    #[cfg(not(feature = "rerun"))]
    fn open(args: &PlayArgs, _: &robots::RobotSpec, _: &ConfinedNavEnv) -> anyhow::Result<Self> {
        if args.rrd.is_some() || args.spawn || args.connect.is_some() {
            bail!(
                "this embody was built without the `rerun` feature: rebuild with `cargo build --features rerun` to use --rrd, --spawn or --connect"
            );
        }
        Ok(Self {})
    }

    #[cfg(feature = "rerun")]
    fn log(&mut self, step: u64, t: f32, env: &ConfinedNavEnv) -> anyhow::Result<()> {
        let Some((rec, _)) = &mut self.rec else {
            return Ok(());
        };
        rec.set_step(step as i64, t as f64);
        let walk = env.locomotion();
        rec.log_frame(
            0,
            &sim::viz::RobotFrame::capture(walk.world(), Some(walk.command())),
        )?;
        // The plan: the base's intended position over each waypoint (floor + base height).
        let (path, next) = env.path();
        let heights = env.waypoint_base_heights();
        let floor = |p: [f32; 2]| env.grid().map_or(0.0, |g| g.floor_at(p[0], p[1]).max(0.0));
        let points: Vec<[f32; 3]> = path
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let h = heights.get(i).copied().unwrap_or(0.0);
                [p[0], p[1], floor(*p) + h]
            })
            .collect();
        rec.log_plan(0, &points[next.min(points.len())..], &points)?;
        let e = env.episode();
        rec.log_scalar("plots/env0/nav/distance_to_goal_m", e.distance_m as f64)?;
        rec.log_scalar("plots/env0/nav/collisions", e.collisions as f64)?;
        rec.log_scalar("plots/env0/nav/replans", e.replans as f64)?;
        rec.log_scalar("plots/env0/nav/next_waypoint", next as f64)?;
        Ok(())
    }

    #[cfg(not(feature = "rerun"))]
    fn log(&mut self, _: u64, _: f32, _: &ConfinedNavEnv) -> anyhow::Result<()> {
        Ok(())
    }

    fn describe(&self) -> Option<String> {
        #[cfg(feature = "rerun")]
        if let Some((_, d)) = &self.rec {
            return Some(d.clone());
        }
        None
    }

    fn finish(&self) -> anyhow::Result<()> {
        #[cfg(feature = "rerun")]
        if let Some((rec, _)) = &self.rec {
            rec.flush()?;
        }
        Ok(())
    }
}
