//! Forward kinematics over a [`RobotSpec`], used to find the nominal standing height.

use crate::spec::{JointKind, RobotSpec, Shape};
use nalgebra::{Isometry3, Translation3, Unit, UnitQuaternion};

/// World poses of every body with the base at `base_w` and joints at `q` (joint order).
///
/// Returns `None` if `q` has the wrong length.
pub fn body_poses(
    spec: &RobotSpec,
    base_w: Isometry3<f64>,
    q: &[f64],
) -> Option<Vec<Isometry3<f64>>> {
    if q.len() != spec.joints.len() {
        return None;
    }
    let mut poses = Vec::with_capacity(spec.bodies.len());
    for body in &spec.bodies {
        let pose = match body.parent_joint {
            None => base_w,
            Some(j) => {
                let joint = &spec.joints[j];
                let motion = match joint.kind {
                    JointKind::Prismatic => Isometry3::from_parts(
                        Translation3::from(joint.axis * q[j]),
                        UnitQuaternion::identity(),
                    ),
                    _ => Isometry3::from_parts(
                        Translation3::identity(),
                        UnitQuaternion::from_axis_angle(&Unit::new_normalize(joint.axis), q[j]),
                    ),
                };
                poses[joint.parent] * joint.origin_p * motion
            }
        };
        poses.push(pose);
    }
    Some(poses)
}

/// Lowest world z of any collision primitive (meshes ignored) with the base at the origin and
/// joints at `q`. `None` when there is no primitive or `q` has the wrong length.
pub fn lowest_point_z(spec: &RobotSpec, q: &[f64]) -> Option<f64> {
    let poses = body_poses(spec, Isometry3::identity(), q)?;
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
                Shape::Mesh { .. } => continue,
            };
            lowest = Some(lowest.map_or(z, |l: f64| l.min(z)));
        }
    }
    lowest
}

/// Base height (m) of the default pose with the lowest collision point on the ground (z = 0).
pub fn nominal_base_height(spec: &RobotSpec) -> Option<f64> {
    lowest_point_z(spec, &spec.default_positions()).map(|z| -z)
}
