//! DeepMimic's Y-up frame to embody's Z-up frame.
//!
//! DeepMimic's characters face +x with y up (so z points to the character's right). embody's
//! robots face +x with z up (y to the left). The rotation `R` of +90 degrees about x takes one to
//! the other: `(x, y, z) -> (x, -z, y)`. Every frame of a character turns by `R`, so a point or
//! offset maps to `R p` and a rotation (world or local) to `R q R^-1`.

use nalgebra::{Isometry3, Translation3, UnitQuaternion, Vector3};

/// `R`: +90 degrees about x.
pub(crate) fn y_up_to_z_up() -> UnitQuaternion<f64> {
    UnitQuaternion::from_axis_angle(&Vector3::x_axis(), std::f64::consts::FRAC_PI_2)
}

/// A Y-up point or offset in Z-up coordinates: `(x, -z, y)`.
pub(crate) fn point(p: Vector3<f64>) -> Vector3<f64> {
    Vector3::new(p.x, -p.z, p.y)
}

/// A Y-up rotation (world or local) in Z-up coordinates: `R q R^-1`.
pub(crate) fn rotation(q: UnitQuaternion<f64>) -> UnitQuaternion<f64> {
    let r = y_up_to_z_up();
    r * q * r.inverse()
}

/// A Y-up rigid transform in Z-up coordinates.
pub(crate) fn isometry(pose: Isometry3<f64>) -> Isometry3<f64> {
    Isometry3::from_parts(
        Translation3::from(point(pose.translation.vector)),
        rotation(pose.rotation),
    )
}

/// DeepMimic's Euler convention (`cMathUtil::RotateMat`): `Rz(z) * Ry(y) * Rx(x)`, Y-up.
pub(crate) fn euler_zyx(x: f64, y: f64, z: f64) -> UnitQuaternion<f64> {
    UnitQuaternion::from_axis_angle(&Vector3::z_axis(), z)
        * UnitQuaternion::from_axis_angle(&Vector3::y_axis(), y)
        * UnitQuaternion::from_axis_angle(&Vector3::x_axis(), x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_conversion_turns_y_up_into_z_up_and_keeps_forward() {
        let r = y_up_to_z_up();
        for v in [
            Vector3::x(),
            Vector3::y(),
            Vector3::z(),
            Vector3::new(0.3, -1.2, 2.0),
        ] {
            assert!((r * v - point(v)).norm() < 1e-12, "{v:?}");
        }
        assert_eq!(point(Vector3::y()), Vector3::z(), "up stays up");
        assert_eq!(point(Vector3::x()), Vector3::x(), "forward stays forward");
        assert_eq!(
            point(Vector3::z()),
            -Vector3::y(),
            "DeepMimic's right is embody's -y"
        );
    }

    #[test]
    fn a_converted_rotation_acts_on_converted_vectors() {
        let q = euler_zyx(0.3, -0.7, 1.1);
        let v = Vector3::new(0.2, 0.5, -0.9);
        assert!((rotation(q) * point(v) - point(q * v)).norm() < 1e-12);
    }
}
