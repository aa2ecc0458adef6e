//! Forward kinematics over a [`RobotSpec`]: body poses, the nominal standing height and the
//! robot's extents (support function of its collision primitives).

use crate::spec::{JointKind, RobotSpec, Shape};
use nalgebra::{Isometry3, Translation3, Unit, UnitQuaternion, Vector3};

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
    extent_along(spec, base_w, q, -Vector3::z()).map(|s| -s)
}

/// The support function of the robot's collision primitives (meshes and planes ignored): the
/// largest `dir . p` over every point `p` of every primitive, with the base at `base_w` and
/// joints at `q` (`[nq]`). `dir` is a unit vector in the world frame. `None` when there is no
/// primitive or `q` has the wrong length.
pub fn extent_along(
    spec: &RobotSpec,
    base_w: Isometry3<f64>,
    q: &[f64],
    dir: Vector3<f64>,
) -> Option<f64> {
    let poses = body_poses(spec, base_w, q)?;
    let mut most: Option<f64> = None;
    for (body, pose) in spec.bodies.iter().zip(&poses) {
        for c in &body.collisions {
            let frame = pose * c.origin_b;
            let centre = frame.translation.vector.dot(&dir);
            // `dir` in the shape's own frame.
            let d = frame.rotation.inverse() * dir;
            let s = match &c.shape {
                Shape::Sphere { radius } => centre + radius,
                Shape::Capsule { radius, length } => centre + 0.5 * length * d.z.abs() + radius,
                Shape::Cylinder { radius, length } => {
                    centre + 0.5 * length * d.z.abs() + radius * (1.0 - d.z * d.z).max(0.0).sqrt()
                }
                Shape::Box { size } => {
                    centre + 0.5 * (size.x * d.x.abs() + size.y * d.y.abs() + size.z * d.z.abs())
                }
                Shape::Ellipsoid { radii } => {
                    centre
                        + ((d.x * radii[0]).powi(2)
                            + (d.y * radii[1]).powi(2)
                            + (d.z * radii[2]).powi(2))
                        .sqrt()
                }
                Shape::Mesh { .. } | Shape::Plane => continue,
            };
            most = Some(most.map_or(s, |m: f64| m.max(s)));
        }
    }
    most
}

/// The robot's size in its default pose, standing on flat ground: what a confined-space
/// planner needs for clearance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BodyExtents {
    /// Base height above the ground (m): [`nominal_base_height`].
    pub base_height: f64,
    /// Highest point above the ground (m): the standing height.
    pub height: f64,
    /// Lateral extent, left to right (m): the body width.
    pub width: f64,
    /// Extent along the heading, back to front (m): the body length.
    pub length: f64,
    /// How far the highest point lies above the base (m).
    pub top_above_base: f64,
}

/// The extents of `spec`'s collision primitives in its default pose with the lowest point on
/// the ground. `None` when it has no primitive.
pub fn body_extents(spec: &RobotSpec) -> Option<BodyExtents> {
    let q = spec.default_q();
    let base_height = nominal_base_height(spec)?;
    let base = Isometry3::translation(0.0, 0.0, base_height);
    let along = |d: Vector3<f64>| extent_along(spec, base, &q, d);
    let height = along(Vector3::z())?;
    Some(BodyExtents {
        base_height,
        height,
        width: along(Vector3::y())? + along(-Vector3::y())?,
        length: along(Vector3::x())? + along(-Vector3::x())?,
        top_above_base: height - base_height,
    })
}

/// Base height (m) of the default pose with the lowest collision point on the ground (z = 0).
pub fn nominal_base_height(spec: &RobotSpec) -> Option<f64> {
    lowest_point_z(spec, &spec.default_q()).map(|z| -z)
}
