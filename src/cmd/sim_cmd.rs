//! `embody sim`: a headless standing run with a summary.

use anyhow::Context;
use clap::Args;
use sim::PhysicsConfig;
use std::sync::Arc;

/// Arguments of `embody sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// A built-in robot (quadruped, a1, anymal_c), a robot .toml, a .urdf file, or an MJCF
    /// scene (.xml with a `<mujoco>` root: every articulation holds its initial pose).
    #[arg(long, default_value = "quadruped")]
    pub robot: String,
    /// Simulated seconds.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f32,
    /// Height above nominal to drop the robot from (m).
    #[arg(long, default_value_t = 0.02)]
    pub drop: f32,
    /// Ground and foot friction coefficient.
    #[arg(long, default_value_t = PhysicsConfig::default().friction)]
    pub friction: f32,
    /// Rapier steps per 20 ms control step.
    #[arg(long, default_value_t = PhysicsConfig::default().decimation)]
    pub decimation: usize,
    /// Solver substeps per Rapier step (PD is solved at every substep).
    #[arg(long, default_value_t = PhysicsConfig::default().solver_substeps)]
    pub substeps: usize,
    /// Internal PGS iterations per substep [default: 3 for a robot, 8 for an MJCF scene
    /// (`PhysicsConfig::manipulation`)].
    #[arg(long)]
    pub pgs: Option<usize>,
    /// MJCF scenes: set one joint's target, `JOINT=VALUE` (rad or m; repeatable), e.g.
    /// `--ctrl robot0:FFJ1=1.0` to watch the Shadow hand's tendon pull FFJ0 along.
    #[arg(long, value_name = "JOINT=VALUE")]
    pub ctrl: Vec<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Parses `--ctrl JOINT=VALUE` arguments.
pub fn parse_ctrl(args: &[String]) -> anyhow::Result<Vec<(String, f32)>> {
    args.iter()
        .map(|a| {
            let (name, value) = a
                .rsplit_once('=')
                .with_context(|| format!("--ctrl {a}: expected JOINT=VALUE"))?;
            let v: f32 = value
                .parse()
                .ok()
                .filter(|v: &f32| v.is_finite())
                .with_context(|| format!("--ctrl {a}: '{value}' is not a finite number"))?;
            Ok((name.to_string(), v))
        })
        .collect()
}

impl SimArgs {
    fn physics(&self) -> PhysicsConfig {
        let base = PhysicsConfig::default();
        PhysicsConfig {
            friction: self.friction,
            decimation: self.decimation,
            solver_substeps: self.substeps,
            pgs_iterations: self.pgs.unwrap_or(base.pgs_iterations),
            ..base
        }
    }

    /// Settings for an MJCF scene: [`PhysicsConfig::manipulation`] with the flags given.
    fn scene_physics(&self) -> PhysicsConfig {
        let base = PhysicsConfig::manipulation();
        PhysicsConfig {
            decimation: self.decimation,
            solver_substeps: self.substeps,
            pgs_iterations: self.pgs.unwrap_or(base.pgs_iterations),
            ..base
        }
    }
}

/// Runs `embody sim`.
pub fn run(args: SimArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.seconds.is_finite() && args.seconds > 0.0,
        "--seconds must be a positive number"
    );
    let path = std::path::Path::new(&args.robot);
    if robots::is_mjcf_file(path) {
        return run_scene(&args, path);
    }
    anyhow::ensure!(args.ctrl.is_empty(), "--ctrl applies to MJCF scenes only");
    let spec = robots::load_builtin_or_path(&args.robot)
        .with_context(|| format!("loading robot '{}'", args.robot))?;
    let summary = sim::run_stand(Arc::new(spec), args.seconds, args.drop, args.physics())?;
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        let s = &summary;
        let pct = 100.0 * (s.base_height_mean - s.base_height_nominal) / s.base_height_nominal;
        println!("robot            {}", s.robot);
        println!("simulated        {:.1} s", s.seconds);
        println!(
            "base height      mean {:.3} m (nominal {:.3} m, {pct:+.1}%), min {:.3} m",
            s.base_height_mean, s.base_height_nominal, s.base_height_min
        );
        println!("max tilt         {:.2} deg", s.max_tilt_deg);
        println!("max foot slip    {:.1} mm", s.max_foot_slip_m * 1000.0);
        println!(
            "joint error      mean {:.2} mm, max {:.2} mm",
            s.mean_joint_error_mm, s.max_joint_error_mm
        );
        println!("NaN              {}", if s.nan { "YES" } else { "none" });
        if s.skipped_meshes > 0 {
            println!(
                "skipped meshes   {} (mesh collisions are not simulated)",
                s.skipped_meshes
            );
        }
    }
    Ok(())
}

/// `embody sim` on an MJCF scene: hold every joint at its initial position.
fn run_scene(args: &SimArgs, path: &std::path::Path) -> anyhow::Result<()> {
    let spec = robots::read_mjcf_file(path)?;
    let targets = parse_ctrl(&args.ctrl)?;
    let s = sim::run_scene_hold_with_targets(&spec, args.seconds, args.scene_physics(), &targets)?;
    if args.json {
        println!("{}", serde_json::to_string(&s)?);
        return Ok(());
    }
    println!("scene            {}", s.robot);
    println!(
        "contents         {} articulations, {} objects, {} static shapes",
        s.articulations, s.object_count, s.statics
    );
    println!(
        "simulated        {:.1} s ({:.0} control steps/s)",
        s.seconds, s.control_steps_per_s
    );
    println!(
        "joint error      max {:.3} deg (hinges), {:.2} mm (slides)",
        s.joint_error_deg_max,
        s.slide_error_m_max * 1000.0
    );
    println!(
        "object drift     {:.2} mm after the first second",
        s.object_drift_m * 1000.0
    );
    println!("anchor error     max {:.2} mm", s.max_joint_error_mm);
    println!("NaN              {}", if s.nan { "YES" } else { "none" });
    for note in &s.notes {
        println!("not simulated    {note}");
    }
    Ok(())
}
