//! Forward kinematics over a [`RobotSpec`], used to find the nominal standing height.

use crate::spec::{JointKind, RobotSpec, Shape};
use nalgebra::{Isometry3, Translation3, Unit, UnitQuaternion};

/// World poses of every body with the base at `base_w` and joints at `q` (position-vector
/// layout of [`RobotSpec::nq`]: one value per joint, four `w, x, y, z` per spherical joint).
///
/// Returns `None` if `q` has the wrong length.
pub fn body_poses(
    spec: &RobotSpec,
    base_w: Isometry3<f64>,
    q: &[f64],
) -> Option<Vec<Isometry3<f64>>> {
    if q.len() != spec.nq() {
        return None;
    }
    let mut offsets = Vec::with_capacity(spec.joints.len());
    let mut at = 0;
    for j in &spec.joints {
        offsets.push(at);
        at += j.kind.nq();
    }
    let mut poses = Vec::with_capacity(spec.bodies.len());
    for body in &spec.bodies {
        let pose = match body.parent_joint {
            None => base_w,
            Some(j) => {
                let joint = &spec.joints[j];
                let qj = &q[offsets[j]..];
                let motion = match joint.kind {
                    JointKind::Prismatic => Isometry3::from_parts(
                        Translation3::from(joint.axis * qj[0]),
                        UnitQuaternion::identity(),
                    ),
                    JointKind::Spherical => Isometry3::from_parts(
                        Translation3::identity(),
                        UnitQuaternion::from_quaternion(nalgebra::Quaternion::new(
                            qj[0], qj[1], qj[2], qj[3],
                        )),
                    ),
                    _ => Isometry3::from_parts(
                        Translation3::identity(),
                        UnitQuaternion::from_axis_angle(&Unit::new_normalize(joint.axis), qj[0]),
                    ),
                };
                poses[joint.parent] * joint.origin_p * motion
            }
        };
        poses.push(pose);
    }
    Some(poses)
}

/// Lowest world z of any collision primitive (meshes and planes ignored) with the base at the
/// origin and joints at `q` (`[nq]`). `None` when there is no primitive or `q` has the wrong
/// length.
pub fn lowest_point_z(spec: &RobotSpec, q: &[f64]) -> Option<f64> {
    lowest_point_z_at(spec, Isometry3::identity(), q)
}

/// Lowest world z of any collision primitive (meshes and planes ignored) with the base at
/// `base_w` and joints at `q` (`[nq]`). `None` when there is no primitive or `q` has the wrong
/// length.
pub fn lowest_point_z_at(spec: &RobotSpec, base_w: Isometry3<f64>, q: &[f64]) -> Option<f64> {
    let poses = body_poses(spec, base_w, q)?;
    let mut lowest: Option<f64> = None;
    for (body, pose) in spec.bodies.iter().zip(&poses) {
        for c in &body.collisions {
            let frame = pose * c.origin_b;
            let centre = frame.translation.vector.z;
            // z component of the shape's local z axis in world.
            let az = (frame.rotation * nalgebra::Vector3::z()).z.abs();
            let z = match &c.shape {
                Shape::Sphere { radius } => centre - radius,
                Shape::Capsule { radius, length } => centre - 0.5 * length * az - radius,
                Shape::Cylinder { radius, length } => {
                    centre - 0.5 * length * az - radius * (1.0 - az * az).max(0.0).sqrt()
                }
                Shape::Box { size } => {
                    let mut min = f64::INFINITY;
                    for corner in 0..8 {
                        let s =
                            |bit: usize, v: f64| if corner & bit == 0 { -0.5 * v } else { 0.5 * v };
                        let p =
                            frame * nalgebra::Point3::new(s(1, size.x), s(2, size.y), s(4, size.z));
                        min = min.min(p.z);
                    }
                    min
                }
                Shape::Ellipsoid { radii } => {
                    // Support of an ellipsoid along -z: |R^T z| scaled per semi-axis.
                    let r = frame.rotation.to_rotation_matrix();
                    let m = r.matrix();
                    let s = (0..3)
                        .map(|i| (m[(2, i)] * radii[i]).powi(2))
                        .sum::<f64>()
                        .sqrt();
                    centre - s
                }
                Shape::Mesh { .. } | Shape::Plane => continue,
            };
            lowest = Some(lowest.map_or(z, |l: f64| l.min(z)));
        }
    }
    lowest
}

/// Base height (m) of the default pose with the lowest collision point on the ground (z = 0).
pub fn nominal_base_height(spec: &RobotSpec) -> Option<f64> {
    lowest_point_z(spec, &spec.default_q()).map(|z| -z)
}
