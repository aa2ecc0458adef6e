//! Collision shapes of a robot description as Rapier shapes.

use crate::error::SimError;
use nalgebra::Isometry3;
use rapier3d::glamx::Quat;
use rapier3d::prelude::*;
use robots::Shape;
use std::path::Path;

/// A Rapier pose from an `f64` isometry.
pub(crate) fn to_pose(iso: &Isometry3<f64>) -> Pose {
    let t = iso.translation.vector;
    let q = iso.rotation.quaternion();
    Pose::from_parts(
        Vec3::new(t.x as f32, t.y as f32, t.z as f32),
        Quat::from_xyzw(q.i as f32, q.j as f32, q.k as f32, q.w as f32).normalize(),
    )
}

/// A glam vector from an `f64` nalgebra vector.
pub(crate) fn to_vec3(v: &nalgebra::Vector3<f64>) -> Vec3 {
    Vec3::new(v.x as f32, v.y as f32, v.z as f32)
}

/// What became of a description shape.
pub(crate) enum Built {
    /// A shape and its extra pose in the shape frame.
    Shape(SharedShape, Pose),
    /// A mesh whose file does not exist (URDF meshes that third-party files name but do not
    /// ship): skipped and counted.
    MissingMesh,
}

/// How a mesh becomes a collider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeshCollider {
    /// Its convex hull, as MuJoCo collides with every mesh.
    ConvexHull,
    /// The bounding box of its vertices in the mesh's own frame. Parry's contact manifolds use
    /// polygonal features of at most four vertices, so a hull face with more (a finger pad)
    /// touches at a single point; a box touches at up to four (docs/BENCHMARKS.md, "Grasping").
    BoundingBox,
    /// Bounding boxes of `n` equal slabs across the mesh's longest extent, as one compound: a
    /// finger whose wide mounting block tapers into a narrow pad keeps the pad's width (one
    /// bounding box would make the whole finger as wide as its block) and still touches with
    /// flat faces.
    SlicedBoxes(u8),
}

/// Builds the Rapier shape of `shape`; meshes as `mesh` says. A mesh that exists but cannot be
/// read is an error naming the file.
pub(crate) fn build_shape(shape: &Shape, mesh: MeshCollider) -> Result<Built, SimError> {
    Ok(match shape {
        Shape::Box { size } => Built::Shape(
            SharedShape::cuboid(
                0.5 * size.x as f32,
                0.5 * size.y as f32,
                0.5 * size.z as f32,
            ),
            Pose::IDENTITY,
        ),
        Shape::Sphere { radius } => Built::Shape(SharedShape::ball(*radius as f32), Pose::IDENTITY),
        Shape::Capsule { radius, length } => Built::Shape(
            SharedShape::capsule_z(0.5 * *length as f32, *radius as f32),
            Pose::IDENTITY,
        ),
        // Rapier cylinders run along y; description cylinders along z.
        Shape::Cylinder { radius, length } => Built::Shape(
            SharedShape::cylinder(0.5 * *length as f32, *radius as f32),
            Pose::from_rotation(Quat::from_rotation_x(std::f32::consts::FRAC_PI_2)),
        ),
        Shape::Ellipsoid { radii } => Built::Shape(ellipsoid(radii)?, Pose::IDENTITY),
        Shape::Plane => Built::Shape(SharedShape::halfspace(Vector::Z), Pose::IDENTITY),
        Shape::Mesh { filename, scale } => {
            let path = Path::new(filename);
            if !path.exists() {
                return Ok(Built::MissingMesh);
            }
            let loaded = rapier3d_meshloader::load_from_path(
                path,
                &match mesh {
                    MeshCollider::ConvexHull => MeshConverter::ConvexHull,
                    MeshCollider::BoundingBox => MeshConverter::Aabb,
                    MeshCollider::SlicedBoxes(_) => MeshConverter::TriMesh,
                },
                to_vec3(scale),
            )
            .map_err(|e| SimError::File {
                path: path.to_path_buf(),
                message: format!("cannot load mesh: {e}"),
            })?;
            let mut parts = Vec::new();
            for part in loaded {
                let part = part.map_err(|e| SimError::File {
                    path: path.to_path_buf(),
                    message: format!("cannot build the mesh's convex hull: {e}"),
                })?;
                match (mesh, part.shape.as_trimesh()) {
                    (MeshCollider::SlicedBoxes(n), Some(tri)) => {
                        parts.extend(sliced_boxes(tri.vertices(), tri.indices(), n.max(1)));
                    }
                    _ => parts.push((part.pose, part.shape)),
                }
            }
            match parts.len() {
                0 => {
                    return Err(SimError::File {
                        path: path.to_path_buf(),
                        message: "the mesh has no triangles".into(),
                    });
                }
                1 => {
                    let (pose, shape) = parts.remove(0);
                    Built::Shape(shape, pose)
                }
                _ => Built::Shape(SharedShape::compound(parts), Pose::IDENTITY),
            }
        }
    })
}

/// The bounding boxes of `n` slabs of a triangle mesh across its longest extent: each slab's box
/// spans the mesh vertices inside it and the points where triangle edges cross its two planes,
/// which is exactly the bounding box of the surface within the slab.
fn sliced_boxes(vertices: &[Vec3], triangles: &[[u32; 3]], n: u8) -> Vec<(Pose, SharedShape)> {
    let (lo, hi) = vertices.iter().fold(
        (Vec3::splat(f32::INFINITY), Vec3::splat(f32::NEG_INFINITY)),
        |(lo, hi), v| (lo.min(*v), hi.max(*v)),
    );
    let extent = hi - lo;
    let axis = if extent.x >= extent.y && extent.x >= extent.z {
        0
    } else if extent.y >= extent.z {
        1
    } else {
        2
    };
    let width = extent[axis] / n as f32;
    let plane = |k: usize| lo[axis] + width * k as f32;
    let slab_of = |v: &Vec3| (((v[axis] - lo[axis]) / width) as usize).min(n as usize - 1);
    let mut boxes = vec![(Vec3::splat(f32::INFINITY), Vec3::splat(f32::NEG_INFINITY)); n as usize];
    let mut grow = |slab: usize, p: Vec3| {
        let b = &mut boxes[slab];
        *b = (b.0.min(p), b.1.max(p));
    };
    for v in vertices {
        grow(slab_of(v), *v);
    }
    for t in triangles {
        for (a, b) in [(t[0], t[1]), (t[1], t[2]), (t[2], t[0])] {
            let (a, b) = (vertices[a as usize], vertices[b as usize]);
            for k in 1..n as usize {
                let c = plane(k);
                if (a[axis] - c) * (b[axis] - c) < 0.0 {
                    let p = a + (b - a) * ((c - a[axis]) / (b[axis] - a[axis]));
                    grow(k - 1, p);
                    grow(k, p);
                }
            }
        }
    }
    boxes
        .into_iter()
        .filter(|(lo, hi)| lo.x <= hi.x)
        .map(|(lo, hi)| {
            let half = ((hi - lo) * 0.5).max(Vec3::splat(1e-4));
            (
                Pose::from_translation((lo + hi) * 0.5),
                SharedShape::cuboid(half.x, half.y, half.z),
            )
        })
        .collect()
}

/// Rapier has no ellipsoid: the convex hull of 13 x 24 latitude-longitude points of the
/// ellipsoid's surface (within about 1% of it).
fn ellipsoid(radii: &nalgebra::Vector3<f64>) -> Result<SharedShape, SimError> {
    let mut points = Vec::new();
    let (n_lat, n_lon) = (12, 24);
    for i in 0..=n_lat {
        let theta = std::f32::consts::PI * i as f32 / n_lat as f32;
        for j in 0..n_lon {
            let phi = std::f32::consts::TAU * j as f32 / n_lon as f32;
            points.push(Vec3::new(
                radii.x as f32 * theta.sin() * phi.cos(),
                radii.y as f32 * theta.sin() * phi.sin(),
                radii.z as f32 * theta.cos(),
            ));
        }
    }
    SharedShape::convex_hull(&points).ok_or_else(|| SimError::Config {
        key: "ellipsoid".into(),
        message: format!("no convex hull for semi-axes {radii:?}"),
    })
}
