//! `embody sim`: a headless standing run with a summary.

use anyhow::Context;
use clap::Args;
use sim::PhysicsConfig;
use std::sync::Arc;

/// Arguments of `embody sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// A built-in robot (quadruped, a1, anymal_c), a robot .toml, or a .urdf file.
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
    /// Internal PGS iterations per substep.
    #[arg(long, default_value_t = PhysicsConfig::default().pgs_iterations)]
    pub pgs: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

impl SimArgs {
    fn physics(&self) -> PhysicsConfig {
        PhysicsConfig {
            friction: self.friction,
            decimation: self.decimation,
            solver_substeps: self.substeps,
            pgs_iterations: self.pgs,
            ..PhysicsConfig::default()
        }
    }
}

/// Runs `embody sim`.
pub fn run(args: SimArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.seconds.is_finite() && args.seconds > 0.0,
        "--seconds must be a positive number"
    );
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
