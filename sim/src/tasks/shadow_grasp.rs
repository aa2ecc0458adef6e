//! A scripted power grasp with the Shadow hand (gymnasium-robotics' `manipulate_block.xml`, the
//! hand of OpenAI's dexterity work and of Bi-DexHands): the 5 cm block rests on the upturned
//! palm, the four fingers curl over it and the thumb closes across, then gravity is turned
//! around, as if the hand were turned palm-down, and the block must stay in the hand. It tests
//! the hand's contact physics: finger capsules, the tendon-coupled distal joints, friction and
//! solver settings.

use crate::error::SimError;
use crate::physics::PhysicsConfig;
use crate::scene::{Scene, SceneOptions};
use nalgebra::Vector3;
use robots::SceneSpec;
use serde::Serialize;

/// Finger joint targets of the grasp (rad), by joint name after the `robot0:` prefix. Distal
/// joints (J0) follow their J1 through the hand's tendons.
pub const POWER_GRASP: [(&str, f32); 14] = [
    ("FFJ2", 1.3),
    ("FFJ1", 1.3),
    ("MFJ2", 1.3),
    ("MFJ1", 1.3),
    ("RFJ2", 1.3),
    ("RFJ1", 1.3),
    ("LFJ2", 1.3),
    ("LFJ1", 1.3),
    ("LFJ4", 0.2),
    ("THJ4", 1.0),
    ("THJ3", 1.1),
    ("THJ2", 0.2),
    ("THJ1", 0.4),
    ("THJ0", -0.6),
];

/// What the power grasp measured.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PowerGraspReport {
    /// How far the block moved relative to the palm during the hold (m).
    pub slip_m: f32,
    /// Seconds held with gravity pulling the block out of the palm.
    pub hold_s: f32,
    /// The block's distance from the palm at the end of the hold (m).
    pub palm_distance_m: f32,
    /// How far the block moved relative to the palm from resting on it (before the grasp)
    /// to the end of the hold (m): the closing fingers' push and the turn included.
    pub moved_since_rest_m: f32,
}

/// The phases, in seconds.
const SETTLE_S: f32 = 0.5;
const CLOSE_S: f32 = 1.5;
const TURN_S: f32 = 0.5;
const HOLD_S: f32 = 5.0;

/// Runs the grasp with finger targets `grasp` (normally [`POWER_GRASP`]) on the hand and the
/// object called `object` of `spec`.
pub fn run_shadow_power_grasp(
    spec: &SceneSpec,
    physics: PhysicsConfig,
    object: &str,
    grasp: &[(&str, f32)],
) -> Result<PowerGraspReport, SimError> {
    let missing = |what: &str, name: &str| SimError::Config {
        key: what.into(),
        message: format!("the scene has no {what} '{name}'"),
    };
    let mut scene = Scene::from_spec_with(spec, physics, SceneOptions::default())?;
    let hand = 0;
    let robot = scene.articulations()[hand].spec().clone();
    let o = scene
        .object_index(object)
        .ok_or_else(|| missing("object", object))?;
    let palm = robot
        .bodies
        .iter()
        .position(|b| b.name == "robot0:palm")
        .ok_or_else(|| missing("body", "robot0:palm"))?;
    let dt = physics.control_dt;
    let steps = |s: f32| (s / dt).round().max(1.0) as usize;
    let start = scene.articulations()[hand].default_q().to_vec();
    let mut goal = start.clone();
    for &(name, value) in grasp {
        let k = robot
            .joint_index(&format!("robot0:{name}"))
            .ok_or_else(|| missing("joint", name))?;
        goal[k] = value;
    }
    let in_palm = |scene: &Scene| -> Result<Vector3<f32>, SimError> {
        let p = scene.physics().bodies[scene.articulations()[hand].body_handles()[palm]].position();
        let b = scene.object_state(o)?.pos_w;
        let local = p.inverse() * rapier3d::prelude::Vec3::from_array(b);
        Ok(Vector3::new(local.x, local.y, local.z))
    };
    for _ in 0..steps(SETTLE_S) {
        scene.step();
    }
    let rest = in_palm(&scene)?;
    let n = steps(CLOSE_S);
    for k in 1..=n {
        let s = k as f32 / n as f32;
        let t: Vec<f32> = start
            .iter()
            .zip(&goal)
            .map(|(a, b)| a + (b - a) * s)
            .collect();
        scene.set_targets(hand, &t)?;
        scene.step();
    }
    // Turn gravity around over TURN_S: the hand is now palm-down.
    let n = steps(TURN_S);
    for k in 1..=n {
        let s = k as f32 / n as f32;
        scene.set_gravity([0.0, 0.0, -9.81 * (1.0 - 2.0 * s)]);
        scene.step();
    }
    let p0 = in_palm(&scene)?;
    for _ in 0..steps(HOLD_S) {
        scene.step();
    }
    let p1 = in_palm(&scene)?;
    Ok(PowerGraspReport {
        slip_m: (p1 - p0).norm(),
        hold_s: HOLD_S,
        palm_distance_m: p1.norm(),
        moved_since_rest_m: (p1 - rest).norm(),
    })
}
