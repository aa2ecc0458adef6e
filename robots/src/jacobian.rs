//! The geometric Jacobian of a point on a body, and one damped-least-squares step along a
//! world-frame twist: what an end-effector (Cartesian) action space needs each control step.
//! The Jacobian is taken by finite differences over [`crate::body_poses`], so it holds for any
//! chain the spec describes (MJCF or URDF) without a second kinematics implementation.

use crate::kinematics::body_poses;
use crate::spec::{JointKind, RobotSpec};
use nalgebra::{DMatrix, DVector, Isometry3, Point3, Vector3, Vector6};

/// Where a point on a body is, and how it moves with the joints.
#[derive(Debug, Clone, PartialEq)]
pub struct PointJacobian {
    /// World position of the point (m).
    pub pos_w: Vector3<f64>,
    /// World pose of the body.
    pub body_w: Isometry3<f64>,
    /// `[6, moving.len()]`: rows 0-2 the point's linear velocity (m/rad), rows 3-5 the body's
    /// angular velocity (world frame), per unit velocity of each moving joint.
    pub jacobian: DMatrix<f64>,
}

/// The Jacobian of `point_b` (body frame) on body `body` at joint positions `q` (`[nq]`), over
/// the 1-dof joints `moving` (indices into `spec.joints`). `None` when `q` has the wrong length,
/// an index is out of range or a moving joint is spherical.
pub fn point_jacobian(
    spec: &RobotSpec,
    base_w: &Isometry3<f64>,
    q: &[f64],
    body: usize,
    point_b: &Vector3<f64>,
    moving: &[usize],
) -> Option<PointJacobian> {
    let mut offsets = Vec::with_capacity(spec.joints.len());
    let mut nq = 0;
    for j in &spec.joints {
        offsets.push(nq);
        nq += j.kind.nq();
    }
    if q.len() != nq {
        return None;
    }
    let pose = *body_poses(spec, *base_w, q)?.get(body)?;
    let pos_w = (pose * Point3::from(*point_b)).coords;
    let eps = 1e-6;
    let mut jacobian = DMatrix::zeros(6, moving.len());
    let mut qp = q.to_vec();
    for (c, &k) in moving.iter().enumerate() {
        if spec.joints.get(k)?.kind == JointKind::Spherical {
            return None;
        }
        qp[offsets[k]] += eps;
        let moved = *body_poses(spec, *base_w, &qp)?.get(body)?;
        qp[offsets[k]] = q[offsets[k]];
        let dp = ((moved * Point3::from(*point_b)).coords - pos_w) / eps;
        let dr = (moved.rotation * pose.rotation.inverse()).scaled_axis() / eps;
        jacobian
            .column_mut(c)
            .copy_from(&Vector6::new(dp.x, dp.y, dp.z, dr.x, dr.y, dr.z));
    }
    Some(PointJacobian {
        pos_w,
        body_w: pose,
        jacobian,
    })
}

/// The joint step `J^T (J J^T + damping I)^-1 twist` that moves along `twist` (`[6]`: linear
/// m, then angular rad, world frame) for the Jacobian `jacobian` (`[6, n]`); `[n]` out. The
/// damping keeps the step bounded near singular poses. `None` if the system is singular even
/// with damping (a non-positive damping on a degenerate Jacobian).
pub fn damped_step(
    jacobian: &DMatrix<f64>,
    twist: &Vector6<f64>,
    damping: f64,
) -> Option<DVector<f64>> {
    let jjt = jacobian * jacobian.transpose() + DMatrix::identity(6, 6) * damping;
    let x = jjt
        .cholesky()?
        .solve(&DVector::from_column_slice(twist.as_slice()));
    Some(jacobian.transpose() * x)
}
