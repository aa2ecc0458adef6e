//! A scripted top-down grasp with one ALOHA arm (gym-aloha's transfer-cube scene): open the
//! gripper above the cube, descend, close, lift, hold. It tests the scene's contact physics
//! (friction, finger colliders, solver settings) with the real robot files, and is the first
//! stage of a scripted transfer-cube policy.
//!
//! Geometry of the ViperX 300s gripper (from its MJCF and finger meshes): the fingers slide
//! along the gripper link's y axis and reach from x = 0.064 m to x = 0.154 m along its x axis;
//! their inner faces are `q - 0.0224` m from the centre line, so a 4 cm cube is touched at
//! `q = 0.0424` and a target of 0.021 (the closed end of the control range) squeezes it.
//! The arm is posed by damped-least-squares IK ([`robots::solve_ik`]) with the gripper's x axis
//! pointing down and the waist, shoulder, elbow and wrist-angle joints moving.

use crate::error::SimError;
use crate::physics::PhysicsConfig;
use crate::scene::{Scene, SceneOptions};
use nalgebra::{Isometry3, Vector3};
use robots::{IkTarget, SceneSpec};
use serde::Serialize;

/// Where along the gripper's x axis the cube's centre is held (m): 2.4 cm behind the finger
/// tips.
const GRASP_POINT_X: f64 = 0.13;
/// Finger target when closed and when open (m; the left finger, the right one mirrors it).
const FINGER_CLOSED: f32 = 0.021;
const FINGER_OPEN: f32 = 0.057;

/// What the scripted grasp measured (m).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GraspReport {
    /// The cube's rest height before the grasp.
    pub cube_rest_z: f32,
    /// How far the cube was lifted above its rest height at the start of the hold.
    pub lift_m: f32,
    /// How far the cube moved relative to the gripper during the hold.
    pub slip_m: f32,
    /// The cube's height above its rest height at the end of the hold.
    pub final_lift_m: f32,
    /// Seconds held.
    pub hold_s: f32,
    /// Largest IK position error over the waypoints.
    pub ik_error_m: f64,
}

/// The script's phases, in seconds.
struct Phases {
    settle: f32,
    approach: f32,
    descend: f32,
    close: f32,
    lift: f32,
    hold: f32,
}

const PHASES: Phases = Phases {
    settle: 1.0,
    approach: 2.0,
    descend: 1.5,
    close: 1.0,
    lift: 2.0,
    hold: 5.0,
};

/// Runs the grasp with the arm called `arm` on the object called `object`, lifting by `lift`
/// metres and holding for `PHASES.hold` seconds, in a scene built with `options` (the ALOHA
/// tasks use [`crate::tasks::bimanual::aloha_scene_options`]).
pub fn run_aloha_grasp(
    spec: &SceneSpec,
    physics: PhysicsConfig,
    options: SceneOptions,
    arm: &str,
    object: &str,
    lift: f64,
) -> Result<GraspReport, SimError> {
    let missing = |what: &str, name: &str| SimError::Config {
        key: what.into(),
        message: format!("the scene has no {what} '{name}'"),
    };
    let mut scene = Scene::from_spec_with(spec, physics, options)?;
    let a = scene
        .articulation_index(arm)
        .ok_or_else(|| missing("articulation", arm))?;
    let o = scene
        .object_index(object)
        .ok_or_else(|| missing("object", object))?;
    let robot = scene.articulations()[a].spec().clone();
    let prefix = format!("{arm}/");
    let joint = |name: &str| {
        robot
            .joint_index(&format!("{prefix}{name}"))
            .ok_or_else(|| missing("joint", name))
    };
    let gripper = robot
        .bodies
        .iter()
        .position(|b| b.name == format!("{prefix}gripper_link"))
        .ok_or_else(|| missing("body", "gripper_link"))?;
    let moving = [
        joint("waist")?,
        joint("shoulder")?,
        joint("elbow")?,
        joint("wrist_angle")?,
    ];
    let (left, right) = (joint("left_finger")?, joint("right_finger")?);
    let base = robot.fixed_base.unwrap_or_else(Isometry3::identity);
    let dt = physics.control_dt;
    let steps = |s: f32| (s / dt).round() as usize;

    // Let the cube settle onto the table.
    for _ in 0..steps(PHASES.settle) {
        scene.step();
    }
    let rest = scene.object_state(o)?.pos_w;
    let cube = Vector3::new(rest[0] as f64, rest[1] as f64, rest[2] as f64);
    let start: Vec<f64> = scene.articulations()[a]
        .default_q()
        .iter()
        .map(|&v| v as f64)
        .collect();
    let mut ik_error = 0.0f64;
    let mut solve = |from: &[f64], pos: Vector3<f64>| -> Result<Vec<f64>, SimError> {
        let target = IkTarget {
            body: gripper,
            point_b: Vector3::new(GRASP_POINT_X, 0.0, 0.0),
            pos_w: pos,
            axes: vec![(Vector3::x(), -Vector3::z())],
            axis_weight: 0.3,
        };
        let sol =
            robots::solve_ik(&robot, &base, from, &moving, &target, 200).ok_or_else(|| {
                SimError::Config {
                    key: "ik".into(),
                    message: "joint vector or target out of range".into(),
                }
            })?;
        ik_error = ik_error.max(sol.position_error);
        Ok(sol.q)
    };
    let grasp_z = cube.z + 0.015;
    let above = solve(
        &start,
        cube + Vector3::new(0.0, 0.0, grasp_z - cube.z + 0.1),
    )?;
    let at = solve(&above, Vector3::new(cube.x, cube.y, grasp_z))?;
    let lifted = solve(&at, Vector3::new(cube.x, cube.y, grasp_z + lift))?;

    let set_fingers = |targets: &mut Vec<f32>, opening: f32| {
        targets[left] = opening;
        targets[right] = -opening;
    };
    // Moves the arm linearly in joint space from `from` to `to` over `seconds`, fingers fixed.
    let go = |scene: &mut Scene,
              from: &[f64],
              to: &[f64],
              fingers: (f32, f32),
              seconds: f32|
     -> Result<(), SimError> {
        let n = steps(seconds).max(1);
        for k in 1..=n {
            let s = k as f64 / n as f64;
            let mut t: Vec<f32> = from
                .iter()
                .zip(to)
                .map(|(a, b)| (a + (b - a) * s) as f32)
                .collect();
            set_fingers(&mut t, fingers.0 + (fingers.1 - fingers.0) * s as f32);
            scene.set_targets(a, &t)?;
            scene.step();
        }
        Ok(())
    };
    let held = start[left] as f32;
    go(
        &mut scene,
        &start,
        &above,
        (held, FINGER_OPEN),
        PHASES.approach,
    )?;
    go(
        &mut scene,
        &above,
        &at,
        (FINGER_OPEN, FINGER_OPEN),
        PHASES.descend,
    )?;
    go(
        &mut scene,
        &at,
        &at,
        (FINGER_OPEN, FINGER_CLOSED),
        PHASES.close,
    )?;
    go(
        &mut scene,
        &at,
        &lifted,
        (FINGER_CLOSED, FINGER_CLOSED),
        PHASES.lift,
    )?;
    // Hold: measure the cube in the gripper's frame at the start and end.
    let in_gripper = |scene: &Scene| -> Result<(Vector3<f64>, f64), SimError> {
        let g = scene.physics().bodies[scene.articulations()[a].body_handles()[gripper]].position();
        let p = scene.object_state(o)?.pos_w;
        let local = g.inverse() * rapier3d::prelude::Vec3::from_array(p);
        Ok((
            Vector3::new(local.x as f64, local.y as f64, local.z as f64),
            p[2] as f64,
        ))
    };
    let (p0, z0) = in_gripper(&scene)?;
    go(
        &mut scene,
        &lifted,
        &lifted,
        (FINGER_CLOSED, FINGER_CLOSED),
        PHASES.hold,
    )?;
    let (p1, z1) = in_gripper(&scene)?;
    Ok(GraspReport {
        cube_rest_z: rest[2],
        lift_m: (z0 - rest[2] as f64) as f32,
        slip_m: (p1 - p0).norm() as f32,
        final_lift_m: (z1 - rest[2] as f64) as f32,
        hold_s: PHASES.hold,
        ik_error_m: ik_error,
    })
}
