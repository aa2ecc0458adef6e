//! Frames: `pos` plus one of MuJoCo's orientation attributes (`quat`, `axisangle`, `euler`,
//! `xyaxes`, `zaxis`) on bodies, geoms, inertials and frames.

use super::attrs::{Attrs, ORIENTATION_KEYS};
use super::compiler::Compiler;
use crate::error::RobotError;
use nalgebra::{
    Isometry3, Matrix3, Quaternion, Rotation3, Translation3, Unit, UnitQuaternion, Vector3,
};

/// The minimal rotation taking +z onto `v` (MuJoCo's rule: a rotation by pi about x when `v`
/// points along -z). `None` for a zero vector.
pub(crate) fn z_to(v: &Vector3<f64>) -> Option<UnitQuaternion<f64>> {
    let n = v.norm();
    if n < 1e-12 || !n.is_finite() {
        return None;
    }
    let dir = v / n;
    let cross = Vector3::z().cross(&dir);
    let s = cross.norm();
    let angle = s.atan2(dir.z);
    let axis = if s < 1e-12 {
        Vector3::x_axis()
    } else {
        Unit::new_normalize(cross)
    };
    Some(UnitQuaternion::from_axis_angle(&axis, angle))
}

/// Whether a norm can be divided by.
fn usable(norm: f64) -> bool {
    norm.is_finite() && norm > 1e-12
}

/// The orientation the element's attributes give (identity when none does).
pub(crate) fn orientation(a: &Attrs, c: &Compiler) -> Result<UnitQuaternion<f64>, RobotError> {
    let given: Vec<&str> = ORIENTATION_KEYS
        .iter()
        .copied()
        .filter(|k| a.has(k))
        .collect();
    if given.len() > 1 {
        return Err(a.err(format!(
            "has several orientations ({}): give only one",
            given.join(", ")
        )));
    }
    if let Some(q) = a.numbers_n("quat", 4)? {
        let quat = Quaternion::new(q[0], q[1], q[2], q[3]);
        if !usable(quat.norm()) {
            return Err(a.attr_err("quat", "must have a finite, non-zero norm"));
        }
        return Ok(UnitQuaternion::from_quaternion(quat));
    }
    if let Some(v) = a.numbers_n("axisangle", 4)? {
        let axis = Vector3::new(v[0], v[1], v[2]);
        if !usable(axis.norm()) {
            return Err(a.attr_err("axisangle", "the axis must have a finite, non-zero length"));
        }
        return Ok(UnitQuaternion::from_axis_angle(
            &Unit::new_normalize(axis),
            c.angle(v[3]),
        ));
    }
    if let Some(v) = a.numbers_n("euler", 3)? {
        let mut q = UnitQuaternion::identity();
        for (ch, angle) in c.eulerseq.iter().zip(v) {
            let axis = match ch.to_ascii_lowercase() {
                'x' => Vector3::x_axis(),
                'y' => Vector3::y_axis(),
                _ => Vector3::z_axis(),
            };
            let r = UnitQuaternion::from_axis_angle(&axis, c.angle(angle));
            // Lower case: about the rotated (moving) axes; upper case: about the fixed axes.
            q = if ch.is_ascii_lowercase() {
                q * r
            } else {
                r * q
            };
        }
        return Ok(q);
    }
    if let Some(v) = a.numbers_n("xyaxes", 6)? {
        let x = Vector3::new(v[0], v[1], v[2]);
        let y = Vector3::new(v[3], v[4], v[5]);
        let xn = x.norm();
        if !usable(xn) || !usable(y.norm()) {
            return Err(a.attr_err("xyaxes", "the axes must have finite, non-zero lengths"));
        }
        let x = x / xn;
        let y = y - x * x.dot(&y);
        let yn = y.norm();
        if yn < 1e-12 {
            return Err(a.attr_err("xyaxes", "the y axis is zero or parallel to the x axis"));
        }
        let y = y / yn;
        let z = x.cross(&y);
        let m = Matrix3::from_columns(&[x, y, z]);
        return Ok(UnitQuaternion::from_rotation_matrix(
            &Rotation3::from_matrix_unchecked(m),
        ));
    }
    if let Some(z) = a.vec3("zaxis")? {
        return z_to(&z).ok_or_else(|| a.attr_err("zaxis", "is the zero vector"));
    }
    Ok(UnitQuaternion::identity())
}

/// `pos` (default zero) plus the orientation.
pub(crate) fn pose(a: &Attrs, c: &Compiler) -> Result<Isometry3<f64>, RobotError> {
    let pos = a.vec3("pos")?.unwrap_or_else(Vector3::zeros);
    Ok(Isometry3::from_parts(
        Translation3::from(pos),
        orientation(a, c)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mjcf::compiler::read_compiler;
    use crate::mjcf::xml::load;
    use std::path::Path;

    /// The orientation of the first geom of `<worldbody>` under `compiler`.
    fn geom_quat(compiler: &str, geom: &str) -> [f64; 4] {
        let text = format!("<mujoco>{compiler}<worldbody>{geom}</worldbody></mujoco>");
        let doc = load(&text, Path::new("o.xml")).expect("parses");
        let c = read_compiler(&doc).expect("compiler");
        let world = doc.root.children_named("worldbody").next().expect("world");
        let g = world.children.first().expect("geom");
        let q = orientation(&Attrs::new(g, None, &doc), &c).expect("orientation");
        [q.w, q.i, q.j, q.k]
    }

    fn same(a: [f64; 4], b: [f64; 4]) -> bool {
        let d = |s: f64| {
            a.iter()
                .zip(&b)
                .map(|(x, y)| (x - s * y).abs())
                .fold(0.0, f64::max)
        };
        d(1.0) < 1e-7 || d(-1.0) < 1e-7
    }

    /// Expected quaternions are MuJoCo 4.0.0's `geom_quat` for the same elements.
    #[test]
    fn orientations_match_mujoco() {
        let cases = [
            (
                "xyz",
                [
                    0.943714364147489,
                    0.12767944069578063,
                    0.14487812541736914,
                    0.2685358227515692,
                ],
            ),
            (
                "zyx",
                [
                    0.9515485246437885,
                    0.2392983377447303,
                    0.18930785741199999,
                    0.03813457647485015,
                ],
            ),
            (
                "XYZ",
                [
                    0.9515485246437885,
                    0.03813457647485015,
                    0.18930785741199999,
                    0.2392983377447303,
                ],
            ),
            (
                "zXy",
                [
                    0.9515485246437885,
                    0.14487812541736914,
                    0.2392983377447303,
                    0.12767944069578063,
                ],
            ),
        ];
        for (seq, want) in cases {
            let got = geom_quat(
                &format!("<compiler eulerseq='{seq}'/>"),
                "<geom size='1' euler='10 20 30'/>",
            );
            assert!(same(got, want), "{seq}: {got:?}");
        }
        let xy = geom_quat("", "<geom size='1' xyaxes='1 1 0 0 1 1'/>");
        assert!(
            same(xy, [0.82047324, 0.4247082, 0.1759199, 0.33985114]),
            "{xy:?}"
        );
        let z = geom_quat("", "<geom size='1' zaxis='1 2 3'/>");
        assert!(same(z, [0.94915323, -0.2815786, 0.1407893, 0.0]), "{z:?}");
        let aa = geom_quat("", "<geom size='1' axisangle='1 2 3 40'/>");
        assert!(
            same(aa, [0.93969262, 0.09140873, 0.18281746, 0.27422618]),
            "{aa:?}"
        );
        let rad = geom_quat(
            "<compiler angle='radian'/>",
            "<geom size='1' axisangle='1 2 3 0.6981317007977318'/>",
        );
        assert!(same(rad, aa));
    }

    #[test]
    fn z_to_handles_both_poles() {
        let down = z_to(&Vector3::new(0.0, 0.0, -2.0)).expect("non-zero");
        assert!(((down * Vector3::z()) + Vector3::z()).norm() < 1e-12);
        let x = z_to(&Vector3::new(3.0, 0.0, 0.0)).expect("non-zero");
        assert!(((x * Vector3::z()) - Vector3::x()).norm() < 1e-12);
        assert!(z_to(&Vector3::zeros()).is_none());
    }
}
