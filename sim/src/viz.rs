//! What the visual debugger shows, as plain data: robot geometry per body, the terrain as a
//! triangle mesh, and one [`RobotFrame`] per step (link poses, joints, contacts, forces, pushes,
//! command vs. actual velocity). Built without any viewer dependency and unit-tested; the Rerun
//! adapter (`viz::recorder`, behind the `rerun` feature) only logs it.

#[cfg(feature = "rerun")]
pub mod recorder;
mod scene_mesh;
mod world_mesh;

pub use scene_mesh::{SceneBodyMesh, scene_body_meshes, scene_body_poses};
pub use world_mesh::confined_world_meshes;

use crate::robot_world::{BaseState, GroundContact, RobotWorld};
use crate::terrain::Terrain;
use robots::{RobotSpec, Shape};

/// A primitive shape, in its own frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShapeKind {
    /// A box with these half side lengths.
    Box {
        /// Half sizes (m).
        half_size: [f32; 3],
    },
    /// A sphere.
    Sphere {
        /// Radius (m).
        radius: f32,
    },
    /// A capsule along local z, centred on the origin.
    Capsule {
        /// Radius (m).
        radius: f32,
        /// Length of the cylindrical part (m).
        length: f32,
    },
    /// A cylinder along local z, centred on the origin.
    Cylinder {
        /// Radius (m).
        radius: f32,
        /// Length (m).
        length: f32,
    },
}

/// One collision shape of a body, posed in the body frame.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyShape {
    /// The URDF link that declared it.
    pub link: String,
    /// The shape.
    pub kind: ShapeKind,
    /// Position in the body frame (m).
    pub translation_b: [f32; 3],
    /// Orientation in the body frame, quaternion `[x, y, z, w]`.
    pub rotation_b: [f32; 4],
}

/// The collision shapes of every body of `spec` (body order); meshes are left out.
pub fn body_shapes(spec: &RobotSpec) -> Vec<Vec<BodyShape>> {
    spec.bodies
        .iter()
        .map(|body| {
            body.collisions
                .iter()
                .filter_map(|c| {
                    let kind = match c.shape {
                        Shape::Box { size } => ShapeKind::Box {
                            half_size: [
                                0.5 * size.x as f32,
                                0.5 * size.y as f32,
                                0.5 * size.z as f32,
                            ],
                        },
                        Shape::Sphere { radius } => ShapeKind::Sphere {
                            radius: radius as f32,
                        },
                        Shape::Capsule { radius, length } => ShapeKind::Capsule {
                            radius: radius as f32,
                            length: length as f32,
                        },
                        Shape::Cylinder { radius, length } => ShapeKind::Cylinder {
                            radius: radius as f32,
                            length: length as f32,
                        },
                        // An ellipsoid shows as a box around it; meshes and planes are left out.
                        Shape::Ellipsoid { radii } => ShapeKind::Box {
                            half_size: [radii.x as f32, radii.y as f32, radii.z as f32],
                        },
                        Shape::Mesh { .. } | Shape::Plane => return None,
                    };
                    let t = c.origin_b.translation.vector;
                    let q = c.origin_b.rotation.quaternion();
                    Some(BodyShape {
                        link: c.link.clone(),
                        kind,
                        translation_b: [t.x as f32, t.y as f32, t.z as f32],
                        rotation_b: [q.i as f32, q.j as f32, q.k as f32, q.w as f32],
                    })
                })
                .collect()
        })
        .collect()
}

/// A triangle mesh, world frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TriangleMesh {
    /// Vertex positions (m).
    pub positions: Vec<[f32; 3]>,
    /// Vertex indices of each triangle, counter-clockwise seen from above.
    pub triangles: Vec<[u32; 3]>,
}

/// The terrain as a mesh: a heightfield's grid, or for flat ground a square of side
/// `flat_size` metres at z = 0.
pub fn terrain_mesh(terrain: &Terrain, flat_size: f32) -> TriangleMesh {
    match terrain.cell() {
        None => {
            let h = 0.5 * flat_size;
            TriangleMesh {
                positions: vec![[-h, -h, 0.0], [h, -h, 0.0], [h, h, 0.0], [-h, h, 0.0]],
                triangles: vec![[0, 1, 2], [0, 2, 3]],
            }
        }
        Some(cell) => {
            let n = terrain.n;
            let half = (n - 1) as f32 * cell * 0.5;
            let mut positions = Vec::with_capacity(n * n);
            for j in 0..n {
                for i in 0..n {
                    positions.push([
                        -half + i as f32 * cell,
                        -half + j as f32 * cell,
                        terrain.heights[j * n + i],
                    ]);
                }
            }
            let mut triangles = Vec::with_capacity(2 * (n - 1) * (n - 1));
            let idx = |i: usize, j: usize| (j * n + i) as u32;
            for j in 0..n - 1 {
                for i in 0..n - 1 {
                    triangles.push([idx(i, j), idx(i + 1, j), idx(i + 1, j + 1)]);
                    triangles.push([idx(i, j), idx(i + 1, j + 1), idx(i, j + 1)]);
                }
            }
            TriangleMesh {
                positions,
                triangles,
            }
        }
    }
}

/// Everything shown of one robot at one step.
#[derive(Debug, Clone, PartialEq)]
pub struct RobotFrame {
    /// World pose of every body (body order): translation (m) and quaternion `[x, y, z, w]`.
    pub body_poses_w: Vec<([f32; 3], [f32; 4])>,
    /// Base state.
    pub base: BaseState,
    /// The velocity command `[vx, vy, yaw rate]` (body frame), when the task has one.
    pub command: Option<[f32; 3]>,
    /// Joint positions (rad or m; `[nq]`, `w, x, y, z` per ball joint).
    pub joint_pos: Vec<f32>,
    /// Joint velocities (`[nv]`).
    pub joint_vel: Vec<f32>,
    /// PD targets (`[nq]`).
    pub joint_target: Vec<f32>,
    /// Estimated PD torques (N·m; `[nv]`).
    pub joint_torque: Vec<f32>,
    /// Ground contacts.
    pub contacts: Vec<GroundContact>,
    /// External force per body (N, world), body order.
    pub external_forces_w: Vec<[f32; 3]>,
    /// Pushes so far and the velocity change of the last one (m/s, world).
    pub push: (u64, [f32; 3]),
}

impl RobotFrame {
    /// Reads the frame from a world after a step.
    pub fn capture(world: &RobotWorld, command: Option<[f32; 3]>) -> Self {
        let (nq, nv) = (world.spec().nq(), world.spec().nv());
        let (mut q, mut qd, mut tau) = (vec![0.0; nq], vec![0.0; nv], vec![0.0; nv]);
        world.joint_positions(&mut q);
        world.joint_velocities(&mut qd);
        world.pd_torques(&q, &qd, &mut tau);
        let body_poses_w = (0..world.spec().bodies.len())
            .filter_map(|i| world.body_pose(i).ok())
            .map(|p| (p.translation.to_array(), p.rotation.to_array()))
            .collect();
        let (count, dv) = world.last_push();
        Self {
            body_poses_w,
            base: world.base_state(),
            command,
            joint_pos: q,
            joint_vel: qd,
            joint_target: world.joint_targets().to_vec(),
            joint_torque: tau,
            contacts: world.ground_contacts(),
            external_forces_w: world
                .external_forces_w()
                .iter()
                .map(|f| f.to_array())
                .collect(),
            push: (count, dv.to_array()),
        }
    }

    /// The command rotated into the world frame by the base yaw: `(planar velocity (m/s), yaw
    /// rate)`; zero without a command.
    pub fn command_w(&self) -> ([f32; 3], f32) {
        let Some([vx, vy, wz]) = self.command else {
            return ([0.0; 3], 0.0);
        };
        let (yaw, _, _) = self.base.rot_w.to_euler(rapier3d::glamx::EulerRot::ZYX);
        let (s, c) = yaw.sin_cos();
        ([c * vx - s * vy, s * vx + c * vy, 0.0], wz)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physics::PhysicsConfig;
    use crate::terrain::TerrainKind;
    use std::sync::Arc;

    fn quadruped() -> Arc<RobotSpec> {
        Arc::new(robots::load_builtin_or_path("quadruped").expect("built-in quadruped"))
    }

    #[test]
    fn every_body_gets_its_primitive_shapes() {
        let spec = quadruped();
        let shapes = body_shapes(&spec);
        assert_eq!(shapes.len(), spec.bodies.len());
        let total: usize = shapes.iter().map(Vec::len).sum();
        let prims = spec
            .bodies
            .iter()
            .flat_map(|b| &b.collisions)
            .filter(|c| !matches!(c.shape, Shape::Mesh { .. }))
            .count();
        assert_eq!(total, prims);
        assert!(total >= spec.bodies.len(), "the quadruped has shapes");
    }

    #[test]
    fn rough_terrain_mesh_follows_the_heightfield() {
        let t = Terrain::new(
            TerrainKind::Rough {
                amplitude: 0.05,
                cell: 0.25,
                size: 4.0,
            },
            3,
        );
        let m = terrain_mesh(&t, 20.0);
        assert_eq!(m.positions.len(), t.n * t.n);
        assert_eq!(m.triangles.len(), 2 * (t.n - 1) * (t.n - 1));
        // Interior vertices sit exactly on the collider's heights.
        for p in m
            .positions
            .iter()
            .step_by(7)
            .filter(|p| p[0].abs() < 1.9 && p[1].abs() < 1.9)
        {
            assert!((p[2] - t.height_at(p[0], p[1])).abs() < 1e-5, "{p:?}");
        }
        let flat = terrain_mesh(&Terrain::flat(), 10.0);
        assert_eq!((flat.positions.len(), flat.triangles.len()), (4, 2));
    }

    #[test]
    fn standing_robot_frame_carries_its_weight_on_the_feet() {
        let spec = quadruped();
        let mut w = RobotWorld::new(spec.clone(), &Terrain::flat(), PhysicsConfig::default())
            .expect("world");
        for _ in 0..100 {
            w.step();
        }
        let f = RobotFrame::capture(&w, Some([0.5, 0.0, 0.2]));
        assert_eq!(f.body_poses_w.len(), spec.bodies.len());
        assert_eq!(f.joint_pos.len(), spec.num_joints());
        let feet: Vec<&str> = spec.feet.iter().map(|f| f.name.as_str()).collect();
        assert!(!f.contacts.is_empty());
        for c in &f.contacts {
            assert!(
                feet.contains(&c.link.as_str()),
                "only feet touch: {}",
                c.link
            );
            assert!(
                c.point_w[2].abs() < 0.02,
                "contact on the ground: {:?}",
                c.point_w
            );
        }
        // The ground carries the robot: vertical contact forces sum to m g (within 10%).
        let fz: f32 = f.contacts.iter().map(|c| c.force_w[2]).sum();
        let mg = spec.total_mass() as f32 * 9.81;
        assert!((fz - mg).abs() < 0.1 * mg, "sum fz {fz} vs m g {mg}");
        let (v, wz) = f.command_w();
        assert!((v[0] - 0.5).abs() < 0.05 && wz == 0.2, "{v:?}");
        assert_eq!(f.push.0, 0);
    }

    #[test]
    fn pushes_and_external_forces_are_recorded() {
        let mut w = RobotWorld::new(quadruped(), &Terrain::flat(), PhysicsConfig::default())
            .expect("world");
        w.push(rapier3d::prelude::Vec3::new(0.3, -0.2, 0.0));
        w.apply_external_wrench(
            0,
            rapier3d::prelude::Vec3::new(0.0, 40.0, 0.0),
            rapier3d::prelude::Vec3::ZERO,
        )
        .expect("base exists");
        let f = RobotFrame::capture(&w, None);
        assert_eq!(f.push, (1, [0.3, -0.2, 0.0]));
        assert_eq!(f.external_forces_w[0], [0.0, 40.0, 0.0]);
        w.clear_external_wrenches();
        assert_eq!(w.external_forces_w()[0].to_array(), [0.0; 3]);
    }
}
