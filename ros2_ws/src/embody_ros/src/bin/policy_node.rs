//! `policy_node`: runs a trained checkpoint as a ROS 2 node (see `embody_ros::ros`).
//!
//! ```sh
//! source ros2_ws/env.sh
//! cargo run -p embody_ros --features ros --bin policy_node -- --checkpoint assets/policies/locomotion_flat
//! ```

use anyhow::Context;
use clap::Parser;
use embody_ros::config::{NodeConfig, config_dir};
use embody_ros::core::PolicyCore;
use embody_ros::ros::{RunLimits, run_policy_node};
use policies::deploy::DeployPolicy;
use std::path::PathBuf;
use std::time::Duration;

/// Runs a policy checkpoint as a ROS 2 node: JointState + Odometry/Imu + Twist in, joint
/// targets (Float64MultiArray or JointTrajectory) out, behind the safety layer.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Checkpoint: a run folder, a checkpoint folder, or its policy.safetensors.
    #[arg(long)]
    checkpoint: PathBuf,
    /// Node parameters (YAML).
    #[arg(long, default_value_os_t = config_dir().join("quadruped.yaml"))]
    config: PathBuf,
    /// Override a parameter, e.g. `--set output=joint_trajectory` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// Stop after this many seconds (default: run until killed).
    #[arg(long)]
    duration: Option<f64>,
}

/// Loads the config, the checkpoint and (when it resolves) the robot description, and checks
/// they agree.
fn build_core(args: &Args) -> anyhow::Result<PolicyCore> {
    let cfg = NodeConfig::load(&args.config, &args.overrides)?;
    match robots::load_builtin_or_path(&cfg.robot) {
        Ok(spec) => cfg.check_against_robot(&spec)?,
        Err(e) => eprintln!(
            "note: robot '{}' not checked against its description: {e}",
            cfg.robot
        ),
    }
    let policy = DeployPolicy::load(&args.checkpoint)
        .with_context(|| format!("loading checkpoint {}", args.checkpoint.display()))?;
    if let Some(r) = &policy.info().robot
        && *r != cfg.robot
    {
        anyhow::bail!(
            "checkpoint {} was trained on robot '{r}', the config is for '{}'",
            policy.info().dir.display(),
            cfg.robot
        );
    }
    Ok(PolicyCore::new(cfg, policy)?)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let core = build_core(&args)?;
    let limits = RunLimits {
        duration: args.duration.map(Duration::from_secs_f64),
        inferences: None,
    };
    run_policy_node(core, limits, None)?;
    Ok(())
}
