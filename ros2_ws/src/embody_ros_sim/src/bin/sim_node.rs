//! `sim_node`: the Rapier robot as a stand-in for hardware (see `embody_ros::ros`).
//!
//! ```sh
//! source ros2_ws/env.sh
//! cargo run -p embody_ros_sim --features ros --bin sim_node
//! ```

use clap::Parser;
use embody_ros::config::{NodeConfig, config_dir};
use embody_ros::ros::RunLimits;
use embody_ros_sim::ros::run_sim_node;
use embody_ros_sim::sim_robot::SimRobot;
use std::path::PathBuf;
use std::time::Duration;

/// Simulates the configured robot in real time (Rapier, flat ground or a test terrain):
/// publishes JointState, Imu, Odometry and a PointCloud2 of the terrain around the base, follows
/// the joint targets the policy node publishes.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Node parameters (YAML): robot, joints, rates, topics.
    #[arg(long, default_value_os_t = config_dir().join("quadruped.yaml"))]
    config: PathBuf,
    /// Override a parameter, e.g. `--set rates.sim_hz=100` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// Terrain under the robot: `flat`, or a locomotion test terrain by label (`rough`,
    /// `slope_up`, `slope_down`, `stairs_up`, `stairs_down`; the robot starts at its centre).
    #[arg(long, default_value = "flat")]
    terrain: String,
    /// Stop after this many seconds (default: run until killed).
    #[arg(long)]
    duration: Option<f64>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let cfg = NodeConfig::load(&args.config, &args.overrides)?;
    let spec = robots::load_builtin_or_path(&cfg.robot)?;
    cfg.check_against_robot(&spec)?;
    let terrain = sim::Terrain::new(
        sim::tasks::locomotion::eval_terrain_by_label(&args.terrain)?,
        0,
    );
    let robot = SimRobot::new(spec, cfg.rates.sim_hz, &terrain)?;
    let limits = RunLimits {
        duration: args.duration.map(Duration::from_secs_f64),
        inferences: None,
    };
    run_sim_node(robot, &cfg, limits)?;
    Ok(())
}
