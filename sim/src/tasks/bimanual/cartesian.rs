//! The end-effector action space: each arm's action moves its grasp point and turns its
//! gripper in the world frame, and a few damped least-squares steps ([`robots::damped_step`] on
//! [`robots::point_jacobian`], from the current joint targets) turn that into joint targets. Robot-learning suites call it a delta end-effector (or OSC-position) controller;
//! the PD loop, the deploy side and the observation stay in joint space, and the joint targets
//! stay the only state, so snapshots need nothing more.

use super::rig::{ACTION_DIM, AlohaRig, GRASP_POINT, PER_ARM, Side};
use crate::scene::Scene;
use nalgebra::{UnitQuaternion, Vector3, Vector6};

/// Damping of the least-squares step (m^2): small against the 1-2 cm steps, large enough to
/// keep joint steps bounded when the arm is stretched out.
const DAMPING: f64 = 1e-4;
/// The largest joint step one action may ask for (rad).
const MAX_JOINT_STEP: f64 = 0.25;
/// Gauss-Newton iterations per action.
const IK_ITERATIONS: usize = 3;

/// The joint targets after the end-effector action `action` (`[14]`, each in [-1, 1]; per arm
/// grasp-point translation `[3]`, gripper rotation `[3]` as a world-frame rotation vector, and
/// the gripper opening), from the current `targets` (`[14]`, gym-aloha's layout). `scale`
/// (`[7]`) holds metres, radians and normalised opening per unit action. Joint ranges are not
/// applied here.
pub fn cartesian_targets(
    scene: &Scene,
    rig: &AlohaRig,
    targets: &[f32; ACTION_DIM],
    action: &[f32; ACTION_DIM],
    scale: &[f32; PER_ARM],
) -> [f32; ACTION_DIM] {
    let mut out = *targets;
    for side in Side::BOTH {
        let at = side as usize * PER_ARM;
        let a = &action[at..at + PER_ARM];
        out[at + 6] = targets[at + 6] + scale[6] * a[6];
        let twist = Vector6::from_fn(|r, _| (scale[r] * a[r]) as f64);
        if twist.iter().all(|v| *v == 0.0) {
            continue;
        }
        let arm = rig.arm(side);
        let art = &scene.articulations()[arm.articulation];
        let mut q: Vec<f64> = art.default_q().iter().map(|&v| v as f64).collect();
        for (k, &j) in arm.joints.iter().enumerate() {
            q[j] = targets[at + k] as f64;
        }
        let point = Vector3::from(GRASP_POINT);
        let spec = art.spec();
        let jacobian_at = |q: &[f64]| {
            robots::point_jacobian(spec, &arm.base, q, arm.gripper_body, &point, &arm.joints)
        };
        let Some(start) = jacobian_at(&q) else {
            continue;
        };
        // The goal pose; a few Gauss-Newton steps reach it, so second-order error does not
        // pile up over an episode of steps.
        let goal_pos = start.pos_w + twist.fixed_rows::<3>(0);
        let goal_rot = UnitQuaternion::from_scaled_axis(twist.fixed_rows::<3>(3).into_owned())
            * start.body_w.rotation;
        let mut pj = start;
        for iteration in 0..IK_ITERATIONS {
            let dp = goal_pos - pj.pos_w;
            let dr = (goal_rot * pj.body_w.rotation.inverse()).scaled_axis();
            let error = Vector6::new(dp.x, dp.y, dp.z, dr.x, dr.y, dr.z);
            let Some(dq) = robots::damped_step(&pj.jacobian, &error, DAMPING) else {
                break;
            };
            // Scale a long step down as a whole, so its direction holds.
            let largest = dq.amax();
            let shrink = if largest > MAX_JOINT_STEP {
                MAX_JOINT_STEP / largest
            } else {
                1.0
            };
            for (k, &j) in arm.joints.iter().enumerate() {
                q[j] += dq[k] * shrink;
            }
            if iteration + 1 == IK_ITERATIONS {
                break;
            }
            match jacobian_at(&q) {
                Some(next) => pj = next,
                None => break,
            }
        }
        for (k, &j) in arm.joints.iter().enumerate() {
            out[at + k] = q[j] as f32;
        }
    }
    out
}
