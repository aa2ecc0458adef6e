//! `embody motion ...`: motion clips (retargeting a character's clip onto a robot).

use anyhow::Context;
use clap::{Args, Subcommand};
use robots::motion::{
    Character, MotionClip, PdController, Retargeting, character_robot, retarget_clip,
};
use serde::Serialize;
use std::path::PathBuf;

/// `embody motion` subcommands.
#[derive(Debug, Subcommand)]
pub enum MotionCommand {
    /// Retarget a DeepMimic quadruped clip (dog3d) onto a robot with legged_gym's leg names by
    /// foot positions and IK; writes an embody robot clip (JSON, Z-up) and prints the fit.
    Retarget(RetargetArgs),
}

/// Arguments of `embody motion retarget`.
#[derive(Debug, Args)]
pub struct RetargetArgs {
    /// The character's clip (DeepMimic format).
    #[arg(long)]
    pub clip: PathBuf,
    /// The character file (default: DeepMimic's dog3d in ../shared/thirdparty/deepmimic).
    #[arg(
        long,
        default_value = "../shared/thirdparty/deepmimic/characters/dog3d.txt"
    )]
    pub character: PathBuf,
    /// The character's PD controller file (its joints' gains; needed to build it).
    #[arg(
        long,
        default_value = "../shared/thirdparty/deepmimic/controllers/dog3d_phase_rot_ctrl.txt"
    )]
    pub controller: PathBuf,
    /// The robot: built-in name, robot TOML or URDF.
    #[arg(long, default_value = "quadruped")]
    pub robot: String,
    /// Robot length per character length (default: 0.9 x the ratio of leg lengths).
    #[arg(long)]
    pub scale: Option<f64>,
    /// Where to write the robot clip.
    #[arg(long)]
    pub out: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct RetargetSummary {
    clip: PathBuf,
    robot: String,
    out: PathBuf,
    keyframes: usize,
    scale: f64,
    max_foot_error_m: f64,
    mean_foot_error_m: f64,
    lift_m: f64,
}

/// Runs an `embody motion` subcommand.
pub fn run(cmd: MotionCommand) -> anyhow::Result<()> {
    match cmd {
        MotionCommand::Retarget(args) => retarget(args),
    }
}

fn retarget(args: RetargetArgs) -> anyhow::Result<()> {
    use sim::tasks::imitate::resolve_data_path;
    let character = Character::from_file(&resolve_data_path(&args.character))?;
    let controller = PdController::from_file(&resolve_data_path(&args.controller), &character)?;
    let character_spec = character_robot(&character, &controller)?;
    let clip = MotionClip::from_file(&resolve_data_path(&args.clip), &character)?;
    let robot = robots::load_builtin_or_path(&args.robot)
        .with_context(|| format!("--robot: loading '{}'", args.robot))?;
    let mapping = Retargeting {
        scale: args.scale,
        ..Retargeting::dog3d_to_legged_gym()
    };
    let (out, report) = retarget_clip(&character, &character_spec, &clip, &robot, &mapping)?;
    policies::checkpoint::write_atomic(&args.out, out.to_robot_clip_json(&robot.name).as_bytes())
        .with_context(|| format!("writing {}", args.out.display()))?;
    let summary = RetargetSummary {
        clip: args.clip,
        robot: robot.name.clone(),
        out: args.out,
        keyframes: out.frames.len(),
        scale: report.scale,
        max_foot_error_m: report.max_foot_error_m,
        mean_foot_error_m: report.mean_foot_error_m,
        lift_m: report.lift_m,
    };
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!(
            "retargeted {} onto {} ({} keyframes, scale {:.3}): feet within {:.4} m (mean {:.4} m); wrote {}",
            summary.clip.display(),
            summary.robot,
            summary.keyframes,
            summary.scale,
            summary.max_foot_error_m,
            summary.mean_foot_error_m,
            summary.out.display()
        );
    }
    Ok(())
}
