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

/// A pose reflected through the plane `y = plane_y` (world frame).
pub fn reflect_pose_about(pose: &Isometry3<f64>, plane_y: f64) -> Isometry3<f64> {
    let shift = Isometry3::translation(0.0, plane_y, 0.0);
    shift * reflect_pose(&(shift.inverse() * pose))
}

/// `scene` with the mirror-image twin of articulation `index` added: reflected through the
/// plane `y = plane_y`, named `name`, its bodies, joints and geoms renamed by `rename`, with
/// copies of the original's tendons and contact excludes (renamed). Two Shadow hands facing each
/// other across the plane are built this way (Bi-DexHands' hand-over).
pub fn add_mirrored_twin(
    scene: &crate::SceneSpec,
    index: usize,
    plane_y: f64,
    name: &str,
    rename: impl Fn(&str) -> String,
) -> Option<crate::SceneSpec> {
    let original = scene.articulations.get(index)?;
    let mut twin = reflect_spec(original, name, &rename);
    // reflect_spec reflects through y = 0: move the base to the reflection about plane_y.
    twin.fixed_base = original
        .fixed_base
        .as_ref()
        .map(|p| reflect_pose_about(p, plane_y));
    let base_w = reflect_pose_about(scene.base_poses_w.get(index)?, plane_y);
    let mut out = scene.clone();
    let twin_index = out.articulations.len();
    out.articulations.push(twin);
    out.base_poses_w.push(base_w);
    for t in &scene.tendons {
        if t.articulation == index {
            let mut copy = t.clone();
            copy.name = rename(&t.name);
            copy.articulation = twin_index;
            out.tendons.push(copy);
        }
    }
    let bodies: Vec<&str> = original.bodies.iter().map(|b| b.name.as_str()).collect();
    for e in &scene.excludes {
        if bodies.contains(&e.body1.as_str()) && bodies.contains(&e.body2.as_str()) {
            out.excludes.push(crate::ContactExclude {
                body1: rename(&e.body1),
                body2: rename(&e.body2),
            });
        }
    }
    Some(out)
}
