//! Physics throughput, alone and against MuJoCo.

use super::median;
use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;
use sim::env::VecEnv;
use sim::tasks::stand::{StandConfig, StandEnv};
use sim::{PhysicsConfig, Terrain};
use std::sync::Arc;
use std::time::Instant;

/// Solver settings shared by the physics commands.
#[derive(Debug, Clone, Args)]
pub struct PhysicsFlags {
    /// Rapier steps per 20 ms control step.
    #[arg(long, default_value_t = PhysicsConfig::default().decimation)]
    pub decimation: usize,
    /// Solver substeps per Rapier step (PD is solved at every substep).
    #[arg(long, default_value_t = PhysicsConfig::default().solver_substeps)]
    pub substeps: usize,
    /// Internal PGS iterations per substep [default: 3 for a robot, 8 for an MJCF scene].
    #[arg(long)]
    pub pgs: Option<usize>,
}

impl PhysicsFlags {
    /// The physics configuration these flags describe (for a robot on the ground).
    pub fn config(&self) -> PhysicsConfig {
        self.over(PhysicsConfig::default())
    }

    /// These flags over `base`.
    pub fn over(&self, base: PhysicsConfig) -> PhysicsConfig {
        PhysicsConfig {
            decimation: self.decimation,
            solver_substeps: self.substeps,
            pgs_iterations: self.pgs.unwrap_or(base.pgs_iterations),
            ..base
        }
    }
}

/// Arguments of `embody bench physics`.
#[derive(Debug, Args)]
pub struct PhysicsArgs {
    /// A built-in robot, a robot .toml or a .urdf.
    #[arg(long, default_value = "quadruped")]
    pub robot: String,
    /// Number of environments.
    #[arg(long, default_value_t = 64)]
    pub envs: usize,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Control steps per environment per repeat.
    #[arg(long, default_value_t = 500)]
    pub steps: usize,
    /// Timed repeats; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
    #[command(flatten)]
    pub physics: PhysicsFlags,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct PhysicsResult {
    robot: String,
    envs: usize,
    threads: usize,
    control_steps_per_s: f64,
    physics_steps_per_s: f64,
    solver_substeps: usize,
    decimation: usize,
    pgs_iterations: usize,
    repeats: usize,
}

/// Median control steps/s of `envs` standing robots (zero actions) on `threads` threads.
fn measure(
    robot: &str,
    envs: usize,
    threads: usize,
    steps: usize,
    repeats: usize,
    physics: PhysicsConfig,
) -> anyhow::Result<(f64, usize)> {
    if envs == 0 || steps == 0 || repeats == 0 {
        bail!("--envs, --steps and --repeats must be at least 1");
    }
    let spec = Arc::new(
        robots::load_builtin_or_path(robot).with_context(|| format!("loading robot '{robot}'"))?,
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let threads = pool.current_num_threads();
    let config = StandConfig {
        physics,
        reset_joint_noise: 0.0,
        episode_s: 1e6,
        ..StandConfig::default()
    };
    let terrain = Terrain::flat();
    let mut venv = pool.install(|| {
        VecEnv::try_new(envs, |i| {
            StandEnv::new(spec.clone(), &terrain, config, i as u64)
        })
    })?;
    let actions = vec![0.0f32; envs * venv.action_dim()];
    let mut rates = Vec::new();
    for _ in 0..repeats {
        let start = Instant::now();
        pool.install(|| -> anyhow::Result<()> {
            for _ in 0..steps {
                venv.step(&actions)?;
            }
            Ok(())
        })?;
        rates.push((envs * steps) as f64 / start.elapsed().as_secs_f64());
    }
    Ok((median(rates), threads))
}

/// Runs `embody bench physics`.
pub fn run(args: PhysicsArgs) -> anyhow::Result<()> {
    let physics = args.physics.config();
    let (rate, threads) = measure(
        &args.robot,
        args.envs,
        args.threads,
        args.steps,
        args.repeats,
        physics,
    )?;
    let result = PhysicsResult {
        robot: args.robot.clone(),
        envs: args.envs,
        threads,
        control_steps_per_s: rate,
        physics_steps_per_s: rate * physics.decimation as f64,
        solver_substeps: physics.solver_substeps,
        decimation: physics.decimation,
        pgs_iterations: physics.pgs_iterations,
        repeats: args.repeats,
    };
    if args.json {
        println!("{}", serde_json::to_string(&result)?);
    } else {
        println!(
            "{}: {} envs on {} threads: {:.0} control steps/s ({:.0} Rapier steps/s, {} substeps each)",
            result.robot,
            result.envs,
            result.threads,
            result.control_steps_per_s,
            result.physics_steps_per_s,
            result.solver_substeps
        );
    }
    Ok(())
}

/// Arguments of `embody bench physics-vs-mujoco`.
#[derive(Debug, Args)]
pub struct VsMujocoArgs {
    /// A built-in robot or a robot .toml (its URDF is given to MuJoCo), or an MJCF scene file
    /// (the same file is given to MuJoCo).
    #[arg(long, default_value = "quadruped")]
    pub robot: String,
    /// Simulated seconds per timed run.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f32,
    /// Timed repeats per engine; medians are compared.
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
    /// Python interpreter with the `mujoco` package.
    #[arg(long, default_value = "python3")]
    pub python: String,
    #[command(flatten)]
    pub physics: PhysicsFlags,
    /// MJCF scenes: set one joint's target in both engines, `JOINT=VALUE` (repeatable).
    #[arg(long, value_name = "JOINT=VALUE")]
    pub ctrl: Vec<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct VsMujocoResult {
    robot: String,
    rapier_control_steps_per_s: f64,
    mujoco_control_steps_per_s: f64,
    ratio: f64,
    rapier_joint_error_mm: f32,
    rapier_max_joint_error_mm: f32,
    rapier_base_height_mean: f32,
    mujoco_base_height_mean: f64,
    base_height_nominal: f32,
    rapier_substep_ms: f32,
    mujoco: serde_json::Value,
}

/// Runs `embody bench physics-vs-mujoco`.
pub fn run_vs_mujoco(args: VsMujocoArgs) -> anyhow::Result<()> {
    if robots::is_mjcf_file(std::path::Path::new(&args.robot)) {
        return super::physics_mjcf::run_vs_mujoco_mjcf(&args);
    }
    let physics = args.physics.config();
    let steps = (args.seconds / physics.control_dt).round() as usize;
    let (rapier_rate, _) = measure(&args.robot, 1, 1, steps, args.repeats, physics)?;
    let spec = Arc::new(robots::load_builtin_or_path(&args.robot)?);
    let stand = sim::run_stand(spec.clone(), args.seconds, 0.02, physics)?;
    let mut peer_args: Vec<std::ffi::OsString> = vec!["--urdf".into(), spec.source.clone().into()];
    if let Some(toml) = robot_toml_path(&args.robot) {
        peer_args.extend(["--robot-toml".into(), toml.into()]);
    }
    for a in [
        "--seconds",
        &args.seconds.to_string(),
        "--repeats",
        &args.repeats.to_string(),
        "--json",
    ] {
        peer_args.push(a.into());
    }
    let mujoco = super::run_mujoco_peer(&args.python, "mujoco_physics.py", &peer_args)?;
    let mujoco_rate = mujoco["control_steps_per_s"]
        .as_f64()
        .context("MuJoCo JSON lacks control_steps_per_s")?;
    let result = VsMujocoResult {
        robot: args.robot.clone(),
        rapier_control_steps_per_s: rapier_rate,
        mujoco_control_steps_per_s: mujoco_rate,
        ratio: rapier_rate / mujoco_rate,
        rapier_joint_error_mm: stand.mean_joint_error_mm,
        rapier_max_joint_error_mm: stand.max_joint_error_mm,
        rapier_base_height_mean: stand.base_height_mean,
        mujoco_base_height_mean: mujoco["base_height_mean"].as_f64().unwrap_or(f64::NAN),
        base_height_nominal: stand.base_height_nominal,
        rapier_substep_ms: physics.substep_dt() * 1000.0,
        mujoco,
    };
    if args.json {
        println!("{}", serde_json::to_string(&result)?);
    } else {
        println!(
            "{}: Rapier {:.0} vs MuJoCo {:.0} control steps/s on one core: ratio {:.2}x; Rapier joint error mean {:.2} mm (max {:.2})",
            result.robot,
            result.rapier_control_steps_per_s,
            result.mujoco_control_steps_per_s,
            result.ratio,
            result.rapier_joint_error_mm,
            result.rapier_max_joint_error_mm
        );
    }
    Ok(())
}

fn robot_toml_path(robot: &str) -> Option<std::path::PathBuf> {
    if robot.ends_with(".toml") {
        return Some(robot.into());
    }
    let robots_dir = robots::assets_dir().join("robots");
    [
        robots_dir.join(robot).join("robot.toml"),
        robots_dir.join(format!("{robot}.toml")),
    ]
    .into_iter()
    .find(|p| p.exists())
}
