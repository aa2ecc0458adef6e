//! Inverse kinematics by damped least squares over [`crate::body_poses`]: joint positions that
//! put a point of one body at a world position, optionally with one of the body's axes pointing
//! along a world direction. Scripted policies (a grasp, a hand-over) and tests use it.

use crate::kinematics::body_poses;
use crate::spec::{JointKind, RobotSpec};
use nalgebra::{DMatrix, DVector, Isometry3, Vector3};

/// What the IK should reach.
#[derive(Debug, Clone, PartialEq)]
pub struct IkTarget {
    /// Index of the body that should reach.
    pub body: usize,
    /// The point on that body, in its frame.
    pub point_b: Vector3<f64>,
    /// Where the point should be, world frame.
    pub pos_w: Vector3<f64>,
    /// Unit axes of the body (body frame), each with the world direction it should point along:
    /// none (position only), one (a pointing direction), or two (a full orientation).
    pub axes: Vec<(Vector3<f64>, Vector3<f64>)>,
    /// Weight of each axis error (per radian) against the position error (per metre).
    pub axis_weight: f64,
}

/// The result of [`solve_ik`].
#[derive(Debug, Clone, PartialEq)]
pub struct IkSolution {
    /// Joint positions (`[nq]`).
    pub q: Vec<f64>,
    /// Remaining position error (m).
    pub position_error: f64,
    /// Largest remaining angle between a body axis and its target direction (rad; 0 without
    /// axes).
    pub axis_error: f64,
}

fn residual(
    spec: &RobotSpec,
    base_w: &Isometry3<f64>,
    q: &[f64],
    t: &IkTarget,
) -> Option<DVector<f64>> {
    let poses = body_poses(spec, *base_w, q)?;
    let pose = poses.get(t.body)?;
    let p = pose * nalgebra::Point3::from(t.point_b);
    let mut r = vec![t.pos_w.x - p.x, t.pos_w.y - p.y, t.pos_w.z - p.z];
    for (axis_b, dir_w) in &t.axes {
        // The difference of unit vectors: zero only when aligned, and growing with the angle
        // all the way to 180 degrees (a cross product would shrink again past 90).
        let a = pose.rotation * axis_b.normalize();
        let e = (dir_w.normalize() - a) * t.axis_weight;
        r.extend_from_slice(&[e.x, e.y, e.z]);
    }
    Some(DVector::from_vec(r))
}

/// Solves for joint positions from `q0` (`[nq]`), moving only the 1-dof joints in `moving`
/// (indices into `spec.joints`) within their limits. `None` when `q0` has the wrong length or a
/// joint index is out of range.
pub fn solve_ik(
    spec: &RobotSpec,
    base_w: &Isometry3<f64>,
    q0: &[f64],
    moving: &[usize],
    target: &IkTarget,
    iterations: usize,
) -> Option<IkSolution> {
    let mut offsets = Vec::with_capacity(spec.joints.len());
    let mut at = 0;
    for j in &spec.joints {
        offsets.push(at);
        at += j.kind.nq();
    }
    if q0.len() != at || target.body >= spec.bodies.len() {
        return None;
    }
    for &k in moving {
        if spec.joints.get(k)?.kind == JointKind::Spherical {
            return None;
        }
    }
    let mut q = q0.to_vec();
    let eps = 1e-6;
    let damping = 1e-3;
    for _ in 0..iterations {
        let r = residual(spec, base_w, &q, target)?;
        if r.norm() < 1e-7 {
            break;
        }
        let mut jac = DMatrix::zeros(r.len(), moving.len());
        for (c, &k) in moving.iter().enumerate() {
            let mut qp = q.clone();
            qp[offsets[k]] += eps;
            let rp = residual(spec, base_w, &qp, target)?;
            jac.set_column(c, &((&r - rp) / eps));
        }
        // dq = J^T (J J^T + lambda I)^-1 r
        let jjt = &jac * jac.transpose() + DMatrix::identity(r.len(), r.len()) * damping;
        let Some(inv) = jjt.try_inverse() else { break };
        let dq = jac.transpose() * inv * &r;
        for (c, &k) in moving.iter().enumerate() {
            let j = &spec.joints[k];
            let v = q[offsets[k]] + dq[c].clamp(-0.2, 0.2);
            q[offsets[k]] = if j.lower <= j.upper {
                v.clamp(j.lower, j.upper)
            } else {
                v
            };
        }
    }
    let r = residual(spec, base_w, &q, target)?;
    let position_error = r.rows(0, 3).norm();
    let pose = body_poses(spec, *base_w, &q).and_then(|p| p.get(target.body).copied());
    let axis_error = target
        .axes
        .iter()
        .map(|(axis_b, dir_w)| {
            pose.map_or(f64::NAN, |pose| {
                (pose.rotation * axis_b.normalize()).angle(&dir_w.normalize())
            })
        })
        .fold(0.0, f64::max);
    Some(IkSolution {
        q,
        position_error,
        axis_error,
    })
}
