//! The point Jacobian and the damped least-squares step (`robots::point_jacobian`,
//! `robots::damped_step`) on a real arm, the ALOHA rig's right ViperX 300s: the Jacobian
//! predicts how the grasp point and the gripper's orientation move for a small joint step, and
//! one damped step along a twist moves the gripper along it.

use nalgebra::{Isometry3, Point3, Vector3, Vector6};
use robots::{RobotSpec, body_poses, damped_step, point_jacobian, read_mjcf_file};
use std::path::PathBuf;

fn right_arm() -> RobotSpec {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/thirdparty/aloha/bimanual_viperx_transfer_cube.xml");
    assert!(path.exists(), "fixture missing: {}", path.display());
    let scene = read_mjcf_file(&path).expect("the ALOHA scene imports");
    scene
        .articulations
        .into_iter()
        .find(|a| a.name.contains("right"))
        .expect("a right arm")
}

/// The six arm joints (the 1-dof joints before the fingers) and the gripper body.
fn arm_parts(spec: &RobotSpec) -> (Vec<usize>, usize) {
    let moving: Vec<usize> = [
        "waist",
        "shoulder",
        "elbow",
        "forearm_roll",
        "wrist_angle",
        "wrist_rotate",
    ]
    .iter()
    .map(|n| {
        spec.joints
            .iter()
            .position(|j| j.name.ends_with(&format!("/{n}")))
            .unwrap_or_else(|| panic!("joint {n}"))
    })
    .collect();
    let gripper = spec
        .bodies
        .iter()
        .position(|b| b.name.ends_with("/gripper_link"))
        .expect("gripper_link");
    (moving, gripper)
}

fn bent_q(spec: &RobotSpec) -> Vec<f64> {
    let mut q = vec![0.0; spec.nq()];
    let (moving, _) = arm_parts(spec);
    for (k, &j) in moving.iter().enumerate() {
        q[j] = [0.2, -0.6, 0.7, 0.3, 0.5, -0.4][k];
    }
    q
}

/// The gripper pose and how far the point moved after adding `dq` (`[6]`) to the moving joints.
#[allow(clippy::too_many_arguments)]
fn after_step(
    spec: &RobotSpec,
    base: &Isometry3<f64>,
    q: &[f64],
    moving: &[usize],
    gripper: usize,
    point: &Vector3<f64>,
    pj: &robots::PointJacobian,
    dq: &[f64],
) -> (Isometry3<f64>, Vector3<f64>) {
    let mut q2 = q.to_vec();
    for (k, &j) in moving.iter().enumerate() {
        q2[j] += dq[k];
    }
    let pose = body_poses(spec, *base, &q2).expect("poses")[gripper];
    (pose, (pose * Point3::from(*point)).coords - pj.pos_w)
}

#[test]
fn jacobian_predicts_a_small_joint_step() {
    let spec = right_arm();
    let base = spec.fixed_base.unwrap_or_else(Isometry3::identity);
    let (moving, gripper) = arm_parts(&spec);
    let point = Vector3::new(0.13, 0.0, 0.0);
    let q = bent_q(&spec);
    let pj = point_jacobian(&spec, &base, &q, gripper, &point, &moving).expect("jacobian");
    assert_eq!(pj.jacobian.shape(), (6, 6));
    let dq = [0.01, -0.02, 0.015, 0.01, -0.01, 0.02];
    let (pose2, moved) = after_step(&spec, &base, &q, &moving, gripper, &point, &pj, &dq);
    let turned = (pose2.rotation * pj.body_w.rotation.inverse()).scaled_axis();
    let predicted = &pj.jacobian * nalgebra::DVector::from_column_slice(&dq);
    for r in 0..3 {
        assert!(
            (predicted[r] - moved[r]).abs() < 2e-4,
            "row {r}: {} vs {}",
            predicted[r],
            moved[r]
        );
        assert!(
            (predicted[3 + r] - turned[r]).abs() < 2e-4,
            "row {}: {} vs {}",
            3 + r,
            predicted[3 + r],
            turned[r]
        );
    }
    // The point moves about 1 cm for this step: the comparison is not trivially small.
    assert!(moved.norm() > 3e-3, "moved {}", moved.norm());
}

#[test]
fn damped_step_moves_along_the_twist() {
    let spec = right_arm();
    let base = spec.fixed_base.unwrap_or_else(Isometry3::identity);
    let (moving, gripper) = arm_parts(&spec);
    let point = Vector3::new(0.13, 0.0, 0.0);
    let q = bent_q(&spec);
    let pj = point_jacobian(&spec, &base, &q, gripper, &point, &moving).expect("jacobian");
    // 5 mm down, and hold the orientation.
    let twist = Vector6::new(0.0, 0.0, -0.005, 0.0, 0.0, 0.0);
    let dq = damped_step(&pj.jacobian, &twist, 1e-4).expect("step");
    let (pose2, moved) = after_step(
        &spec,
        &base,
        &q,
        &moving,
        gripper,
        &point,
        &pj,
        dq.as_slice(),
    );
    let turned = (pose2.rotation * pj.body_w.rotation.inverse()).angle();
    assert!((moved.z + 0.005).abs() < 3e-4, "moved {moved:?}");
    assert!(moved.xy().norm() < 3e-4, "moved {moved:?}");
    assert!(turned < 2e-3, "turned {turned}");
}
