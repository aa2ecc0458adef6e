//! `sim_node`: the Rapier robot as a stand-in for hardware (see `embody_ros::ros`).
//!
//! ```sh
//! source ros2_ws/env.sh
//! cargo run -p embody_ros --features ros --bin sim_node
//! ```

use clap::Parser;
use embody_ros::config::{NodeConfig, config_dir};
use embody_ros::ros::{RunLimits, run_sim_node};
use embody_ros::sim_robot::SimRobot;
use std::path::PathBuf;
use std::time::Duration;

/// Simulates the configured robot in real time (Rapier, flat ground): publishes JointState,
/// Imu and Odometry, follows the joint targets the policy node publishes.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Node parameters (YAML): robot, joints, rates, topics.
    #[arg(long, default_value_os_t = config_dir().join("quadruped.yaml"))]
    config: PathBuf,
    /// Override a parameter, e.g. `--set rates.sim_hz=100` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// Stop after this many seconds (default: run until killed).
    #[arg(long)]
    duration: Option<f64>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let cfg = NodeConfig::load(&args.config, &args.overrides)?;
    let spec = robots::load_builtin_or_path(&cfg.robot)?;
    cfg.check_against_robot(&spec)?;
    let robot = SimRobot::new(spec, cfg.rates.sim_hz)?;
    let limits = RunLimits {
        duration: args.duration.map(Duration::from_secs_f64),
        inferences: None,
    };
    run_sim_node(robot, &cfg, limits)?;
    Ok(())
}
