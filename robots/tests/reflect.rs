//! The mirror-image twin of a robot (`robots::reflect_spec`) on the Shadow hand: at the same
//! joint positions every body and collision shape of the twin is the reflection of the
//! original's, mass properties agree, and reflecting twice gives the robot back.

use nalgebra::{Isometry3, Translation3, UnitQuaternion, Vector3};
use robots::{
    RobotSpec, add_mirrored_twin, body_poses, read_mjcf_file, reflect_pose, reflect_pose_about,
    reflect_spec,
};
use std::path::PathBuf;

fn hand_scene() -> robots::SceneSpec {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/thirdparty/gymnasium_robotics/hand/manipulate_block.xml");
    assert!(path.exists(), "fixture missing: {}", path.display());
    read_mjcf_file(&path).expect("the hand imports")
}

fn shadow_hand() -> RobotSpec {
    hand_scene().articulations[0].clone()
}

fn left(name: &str) -> String {
    name.replacen("robot0:", "robot0_left:", 1)
}

/// Joint positions spread over each joint's range, so every joint is away from zero.
fn spread_q(spec: &RobotSpec) -> Vec<f64> {
    spec.joints
        .iter()
        .enumerate()
        .map(|(k, j)| {
            let (lo, hi) = (j.lower.max(-1.5), j.upper.min(1.5));
            lo + (hi - lo) * (0.2 + 0.6 * ((k * 7 % 11) as f64 / 10.0))
        })
        .collect()
}

fn assert_pose_close(a: &Isometry3<f64>, b: &Isometry3<f64>, what: &str) {
    let dp = (a.translation.vector - b.translation.vector).norm();
    let dr = a.rotation.angle_to(&b.rotation);
    assert!(dp < 1e-9 && dr < 1e-9, "{what}: {dp} m, {dr} rad");
}

#[test]
fn the_twin_hand_is_the_reflection_of_the_hand_at_the_same_joint_positions() {
    let right = shadow_hand();
    assert!(right.nq() >= 20, "{} joints", right.nq());
    let twin = reflect_spec(&right, "left_hand", left);
    let base = Isometry3::from_parts(
        Translation3::new(0.3, 0.2, 0.1),
        UnitQuaternion::from_euler_angles(0.3, -0.4, 1.1),
    );
    let q = spread_q(&right);
    let original = body_poses(&right, base, &q).expect("FK");
    let mirrored = body_poses(&twin, reflect_pose(&base), &q).expect("FK");
    for (k, (a, b)) in original.iter().zip(&mirrored).enumerate() {
        assert_pose_close(&reflect_pose(a), b, &right.bodies[k].name);
        // Every collision shape sits at the reflection of the original's place.
        for (c, d) in right.bodies[k]
            .collisions
            .iter()
            .zip(&twin.bodies[k].collisions)
        {
            assert_pose_close(&reflect_pose(&(a * c.origin_b)), &(b * d.origin_b), &c.name);
        }
    }
    assert!((twin.total_mass() - right.total_mass()).abs() < 1e-12);
    // A fingertip left of the palm on one hand is right of it on the other.
    let tip = right
        .bodies
        .iter()
        .position(|b| b.name.contains("ffdistal"))
        .expect("ffdistal");
    let y = |poses: &[Isometry3<f64>]| poses[tip].translation.vector.y;
    assert!((y(&original) + y(&mirrored)).abs() < 1e-9);
}

#[test]
fn reflecting_twice_gives_the_robot_back_with_the_names_renamed_once() {
    let right = shadow_hand();
    let twin = reflect_spec(&right, "left_hand", left);
    assert!(
        twin.joints
            .iter()
            .all(|j| j.name.starts_with("robot0_left:"))
    );
    assert!(twin.joint_index("robot0_left:FFJ3").is_some());
    let back = reflect_spec(&twin, &right.name, |n| {
        n.replacen("robot0_left:", "robot0:", 1)
    });
    for (a, b) in right.joints.iter().zip(&back.joints) {
        assert_eq!(a.name, b.name);
        assert!((a.axis - b.axis).norm() < 1e-12, "{}", a.name);
        assert_pose_close(&a.origin_p, &b.origin_p, &a.name);
    }
    for (a, b) in right.bodies.iter().zip(&back.bodies) {
        assert!((a.inertia_b - b.inertia_b).norm() < 1e-12, "{}", a.name);
        assert!((a.com_b - b.com_b).norm() < 1e-12);
    }
    // Revolute axes turn into -S a; the reflection of y is -y.
    let j = &right.joints[0];
    let s_a = Vector3::new(j.axis.x, -j.axis.y, j.axis.z);
    assert!((twin.joints[0].axis + s_a).norm() < 1e-12);
}

#[test]
fn a_mirrored_twin_joins_the_scene_across_the_plane_with_its_tendons_and_excludes() {
    let scene = hand_scene();
    let plane_y = 0.6;
    let pair = add_mirrored_twin(&scene, 0, plane_y, "left_hand", left).expect("twin");
    assert_eq!(pair.articulations.len(), 2);
    let (right, twin) = (&pair.articulations[0], &pair.articulations[1]);
    let base = right.fixed_base.expect("the hand is mounted");
    let twin_base = twin.fixed_base.expect("so is its twin");
    assert_pose_close(&reflect_pose_about(&base, plane_y), &twin_base, "base");
    assert_pose_close(&pair.base_poses_w[1], &twin_base, "base pose");
    // Both mounts are the same distance from the plane, on either side.
    let (y0, y1) = (base.translation.vector.y, twin_base.translation.vector.y);
    assert!(((y0 - plane_y) + (y1 - plane_y)).abs() < 1e-12, "{y0} {y1}");
    // Every tendon of the hand has a copy on the twin, over the same joints.
    let own: Vec<_> = pair
        .tendons
        .iter()
        .filter(|t| t.articulation == 0)
        .collect();
    let copies: Vec<_> = pair
        .tendons
        .iter()
        .filter(|t| t.articulation == 1)
        .collect();
    assert!(!own.is_empty());
    assert_eq!(own.len(), copies.len());
    for (a, b) in own.iter().zip(&copies) {
        assert_eq!(a.joints, b.joints);
        assert_eq!(b.name, left(&a.name));
    }
    let excludes = scene.excludes.len();
    assert_eq!(pair.excludes.len(), 2 * excludes, "{:?}", pair.excludes);
    // At the keyframe the twin's fingertip is the reflection of the hand's.
    let q: Vec<f64> = right.joints.iter().map(|j| j.default_position).collect();
    let tip = right
        .bodies
        .iter()
        .position(|b| b.name.contains("ffdistal"))
        .expect("tip");
    let a = body_poses(right, base, &q).expect("FK")[tip];
    let b = body_poses(twin, twin_base, &q).expect("FK")[tip];
    assert_pose_close(&reflect_pose_about(&a, plane_y), &b, "fingertip");
}
