//! Mass properties of rigid bodies made of several parts (URDF links merged through fixed joints,
//! MJCF bodies without joints merged into their parent, MJCF geoms).

use crate::spec::Shape;
use nalgebra::{Isometry3, Matrix3, Vector3};
use std::f64::consts::PI;

/// Accumulates the mass properties of several parts expressed in one body frame.
#[derive(Debug, Clone, Default)]
pub(crate) struct MassSum {
    parts: Vec<(f64, Vector3<f64>, Matrix3<f64>)>,
}

impl MassSum {
    /// Adds a part of `mass` whose centre of mass is `com` and whose inertia about that centre
    /// is `inertia`, both in a frame whose pose in the body frame is `pose`.
    pub(crate) fn add(
        &mut self,
        pose: &Isometry3<f64>,
        mass: f64,
        com: Vector3<f64>,
        inertia: Matrix3<f64>,
    ) {
        let r = pose.rotation.to_rotation_matrix();
        let com_b = pose.transform_point(&com.into()).coords;
        let inertia_b = r.matrix() * inertia * r.matrix().transpose();
        self.parts.push((mass, com_b, inertia_b));
    }

    /// Total mass, centre of mass and inertia about it (parallel-axis theorem). A massless sum
    /// has its centre at the origin and zero inertia.
    pub(crate) fn total(&self) -> (f64, Vector3<f64>, Matrix3<f64>) {
        let mass: f64 = self.parts.iter().map(|p| p.0).sum();
        if mass <= 0.0 {
            return (0.0, Vector3::zeros(), Matrix3::zeros());
        }
        let com = self.parts.iter().map(|p| p.1 * p.0).sum::<Vector3<f64>>() / mass;
        let mut inertia = Matrix3::zeros();
        for (m, c, i) in &self.parts {
            let d = c - com;
            inertia += i + (Matrix3::identity() * d.dot(&d) - d * d.transpose()) * *m;
        }
        (mass, com, inertia)
    }
}

/// Volume and inertia per unit mass (principal moments about the centre, shape axes) of a solid
/// primitive, as MuJoCo computes them; `None` for meshes and planes, which need more than the
/// shape to say.
pub(crate) fn solid_primitive(shape: &Shape) -> Option<(f64, Vector3<f64>)> {
    Some(match shape {
        Shape::Sphere { radius: r } => (4.0 / 3.0 * PI * r.powi(3), Vector3::repeat(0.4 * r * r)),
        Shape::Box { size } => (size.x * size.y * size.z, box_unit_inertia(size)),
        Shape::Ellipsoid { radii: r } => (
            4.0 / 3.0 * PI * r.x * r.y * r.z,
            Vector3::new(
                (r.y * r.y + r.z * r.z) / 5.0,
                (r.x * r.x + r.z * r.z) / 5.0,
                (r.x * r.x + r.y * r.y) / 5.0,
            ),
        ),
        Shape::Cylinder {
            radius: r,
            length: h,
        } => {
            let side = r * r / 4.0 + h * h / 12.0;
            (PI * r * r * h, Vector3::new(side, side, r * r / 2.0))
        }
        Shape::Capsule {
            radius: r,
            length: h,
        } => {
            // A cylinder plus two hemispheres; each hemisphere's inertia is shifted from its own
            // centre of mass (3r/8 from its flat face) to the capsule's centre.
            let v_cyl = PI * r * r * h;
            let v_sph = 4.0 / 3.0 * PI * r.powi(3);
            let v = v_cyl + v_sph;
            let side = (v_cyl * (r * r / 4.0 + h * h / 12.0)
                + v_sph * (0.4 * r * r + h * h / 4.0 + 3.0 * h * r / 8.0))
                / v;
            let axial = (v_cyl * r * r / 2.0 + v_sph * 0.4 * r * r) / v;
            (v, Vector3::new(side, side, axial))
        }
        Shape::Mesh { .. } | Shape::Plane => return None,
    })
}

/// Principal moments per unit mass of a solid box with full side lengths `size`.
pub(crate) fn box_unit_inertia(size: &Vector3<f64>) -> Vector3<f64> {
    let (x, y, z) = (size.x * size.x, size.y * size.y, size.z * size.z);
    Vector3::new((y + z) / 12.0, (x + z) / 12.0, (x + y) / 12.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_point_masses_give_the_parallel_axis_inertia() {
        let mut sum = MassSum::default();
        let at = |x: f64| Isometry3::translation(x, 0.0, 0.0);
        sum.add(&at(1.0), 2.0, Vector3::zeros(), Matrix3::zeros());
        sum.add(&at(-1.0), 2.0, Vector3::zeros(), Matrix3::zeros());
        let (m, c, i) = sum.total();
        assert_eq!(m, 4.0);
        assert!(c.norm() < 1e-12);
        assert!((i[(1, 1)] - 4.0).abs() < 1e-12 && (i[(2, 2)] - 4.0).abs() < 1e-12);
        assert!(i[(0, 0)].abs() < 1e-12);
    }
}
