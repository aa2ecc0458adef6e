//! A robot's mirror-image twin: the robot reflected through the world's x-z plane (y -> -y), a
//! new robot whose bodies, shapes and joints are the reflections of the original's. A right
//! hand becomes a left hand: at the same joint positions the twin's pose is the reflection of
//! the original's (Bi-DexHands' two Shadow hands face each other this way).
//!
//! With `S = diag(1, -1, 1)`, a pose `(p, R)` becomes `(S p, S R S)`. A rotation by `q` about
//! axis `a` becomes a rotation by the same `q` about `-S a` (a reflection turns rotations the
//! other way), so revolute axes become `-S a` and keep their limits and gains; a slide along `a`
//! becomes a slide along `S a`. Primitive shapes are symmetric in their own y, so a shape at the
//! reflected pose is the reflected shape; a mesh gets its y scale negated. Spherical joints keep
//! their quaternion layout: `q` on the twin is the reflected rotation `(w, -x, y, -z)`.

use crate::spec::{JointKind, RobotSpec, Shape};
use nalgebra::{Isometry3, Matrix3, Quaternion, Translation3, UnitQuaternion, Vector3};

/// The reflection's matrix.
fn s() -> Matrix3<f64> {
    Matrix3::from_diagonal(&Vector3::new(1.0, -1.0, 1.0))
}

/// A vector reflected.
pub fn reflect_vector(v: &Vector3<f64>) -> Vector3<f64> {
    Vector3::new(v.x, -v.y, v.z)
}

/// A rotation `R` as `S R S` (quaternion `(w, x, y, z)` as `(w, -x, y, -z)`).
pub fn reflect_rotation(r: &UnitQuaternion<f64>) -> UnitQuaternion<f64> {
    let q = r.quaternion();
    UnitQuaternion::new_unchecked(Quaternion::new(q.w, -q.i, q.j, -q.k))
}

/// A pose `(p, R)` as `(S p, S R S)`.
pub fn reflect_pose(pose: &Isometry3<f64>) -> Isometry3<f64> {
    Isometry3::from_parts(
        Translation3::from(reflect_vector(&pose.translation.vector)),
        reflect_rotation(&pose.rotation),
    )
}

/// The mirror-image twin of `spec`, every body, joint, link, foot and contact-rule name passed
/// through `rename` (e.g. a `right/` prefix becoming `left/`), and the robot called `name`.
pub fn reflect_spec(spec: &RobotSpec, name: &str, rename: impl Fn(&str) -> String) -> RobotSpec {
    let m = s();
    let mut out = spec.clone();
    out.name = name.to_string();
    for body in &mut out.bodies {
        body.name = rename(&body.name);
        body.com_b = reflect_vector(&body.com_b);
        body.inertia_b = m * body.inertia_b * m;
        for (link, pose) in &mut body.links {
            *link = rename(link);
            *pose = reflect_pose(pose);
        }
        for c in &mut body.collisions {
            c.origin_b = reflect_pose(&c.origin_b);
            c.link = rename(&c.link);
            if !c.name.is_empty() {
                c.name = rename(&c.name);
            }
            if let Shape::Mesh { scale, .. } = &mut c.shape {
                scale.y = -scale.y;
            }
        }
    }
    for j in &mut out.joints {
        j.name = rename(&j.name);
        j.origin_p = reflect_pose(&j.origin_p);
        j.axis = match j.kind {
            JointKind::Prismatic => reflect_vector(&j.axis),
            _ => -reflect_vector(&j.axis),
        };
        let [w, x, y, z] = j.default_rotation;
        j.default_rotation = [w, -x, y, -z];
    }
    for f in &mut out.feet {
        f.name = rename(&f.name);
        f.offset_b = reflect_vector(&f.offset_b);
    }
    for l in out
        .terminate_contacts
        .iter_mut()
        .chain(out.penalise_contacts.iter_mut())
    {
        *l = rename(l);
    }
    out.fixed_base = spec.fixed_base.as_ref().map(reflect_pose);
    out
}
