//! `embody bench physics-vs-mujoco --robot SCENE.xml`: one MJCF scene held at its initial pose
//! in Rapier and in MuJoCo (bench/mujoco_mjcf.py) in the same run, compared joint by joint.

use super::median;
use super::physics::VsMujocoArgs;
use anyhow::{Context, bail};
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Serialize)]
struct MjcfVsMujocoResult {
    robot: String,
    rapier_control_steps_per_s: f64,
    mujoco_control_steps_per_s: f64,
    ratio: f64,
    rapier_joint_error_mm: f32,
    rapier_max_joint_error_mm: f32,
    rapier_base_height_mean: Option<f32>,
    mujoco_base_height_mean: Option<f64>,
    base_height_nominal: Option<f32>,
    rapier_substep_ms: f32,
    /// The largest settled hinge-angle difference from MuJoCo (degrees).
    joint_angle_diff_deg_max: f64,
    /// The joint where it occurs.
    joint_angle_diff_worst: String,
    /// The largest settled slide-position difference from MuJoCo (m).
    slide_diff_m_max: f64,
    /// Rapier's joint error (largest deviation from the initial pose, degrees).
    joint_error_deg_max: f32,
    /// Largest final position difference of a free object from MuJoCo's (m).
    object_pos_diff_m_max: f64,
    /// Rapier's object drift after settling (m).
    object_drift_m: f32,
    rapier: sim::SceneHoldSummary,
    mujoco: serde_json::Value,
}

/// Runs the comparison on an MJCF scene.
pub fn run_vs_mujoco_mjcf(args: &VsMujocoArgs) -> anyhow::Result<()> {
    let path = Path::new(&args.robot);
    let spec = robots::read_mjcf_file(path)?;
    let physics = args.physics.over(sim::PhysicsConfig::manipulation());
    let targets = crate::cmd::sim_cmd::parse_ctrl(&args.ctrl)?;
    let mut rates = Vec::new();
    let mut last = None;
    for _ in 0..args.repeats.max(1) {
        let s = sim::run_scene_hold_with_targets(&spec, args.seconds, physics, &targets)?;
        rates.push(s.control_steps_per_s);
        last = Some(s);
    }
    let rapier = last.context("no Rapier run")?;
    let mut peer_args: Vec<std::ffi::OsString> = vec!["--mjcf".into(), path.into()];
    for a in ["--seconds", &args.seconds.to_string(), "--json"] {
        peer_args.push(a.into());
    }
    for c in &args.ctrl {
        peer_args.extend(["--ctrl".into(), c.into()]);
    }
    let mujoco = super::run_mujoco_peer(&args.python, "mujoco_mjcf.py", &peer_args)?;
    let timestep = mujoco["timestep"]
        .as_f64()
        .context("MuJoCo JSON lacks timestep")?;
    let steps_per_s = mujoco["steps_per_s"]
        .as_f64()
        .context("MuJoCo JSON lacks steps_per_s")?;
    let mujoco_rate = steps_per_s * timestep / physics.control_dt as f64;
    let (mut hinge, mut worst, mut slide) = (0.0f64, String::new(), 0.0f64);
    for (name, q) in &rapier.joints {
        let j = &mujoco["joints"][name];
        let Some(theirs) = j["final"].as_f64() else {
            bail!("MuJoCo reports no final position for joint '{name}'");
        };
        let d = (*q as f64 - theirs).abs();
        match j["type"].as_str() {
            Some("hinge") => {
                if d.to_degrees() > hinge {
                    hinge = d.to_degrees();
                    worst = name.clone();
                }
            }
            _ => slide = slide.max(d),
        }
    }
    let mut object_diff = 0.0f64;
    for (name, p) in &rapier.objects {
        let Some(theirs) = mujoco["bodies"][name]["final_pos"].as_array() else {
            bail!("MuJoCo reports no final position for object '{name}'");
        };
        let d: f64 = p
            .iter()
            .zip(theirs)
            .map(|(a, b)| (*a as f64 - b.as_f64().unwrap_or(f64::NAN)).powi(2))
            .sum::<f64>()
            .sqrt();
        object_diff = object_diff.max(d);
    }
    let rapier_rate = median(rates);
    let result = MjcfVsMujocoResult {
        robot: args.robot.clone(),
        rapier_control_steps_per_s: rapier_rate,
        mujoco_control_steps_per_s: mujoco_rate,
        ratio: rapier_rate / mujoco_rate,
        rapier_joint_error_mm: rapier.max_joint_error_mm,
        rapier_max_joint_error_mm: rapier.max_joint_error_mm,
        rapier_base_height_mean: None,
        mujoco_base_height_mean: None,
        base_height_nominal: None,
        rapier_substep_ms: physics.substep_dt() * 1000.0,
        joint_angle_diff_deg_max: hinge,
        joint_angle_diff_worst: worst,
        slide_diff_m_max: slide,
        joint_error_deg_max: rapier.joint_error_deg_max,
        object_pos_diff_m_max: object_diff,
        object_drift_m: rapier.object_drift_m,
        rapier,
        mujoco,
    };
    if args.json {
        println!("{}", serde_json::to_string(&result)?);
    } else {
        println!(
            "{}: Rapier {:.0} vs MuJoCo {:.0} control steps/s: ratio {:.2}x; settled joints differ by at most {:.3} deg ({}), slides {:.2} mm; objects {:.2} mm",
            result.robot,
            result.rapier_control_steps_per_s,
            result.mujoco_control_steps_per_s,
            result.ratio,
            result.joint_angle_diff_deg_max,
            result.joint_angle_diff_worst,
            result.slide_diff_m_max * 1000.0,
            result.object_pos_diff_m_max * 1000.0
        );
    }
    Ok(())
}
