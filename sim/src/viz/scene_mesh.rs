//! A [`Scene`] as the viewer draws it: every rigid body's colliders as one triangle mesh in the
//! body's frame (what the physics collides with: convex hulls, sliced finger boxes, capsules),
//! static geometry in the world frame, and each body's pose per step.

use super::TriangleMesh;
use crate::scene::Scene;
use rapier3d::prelude::*;

/// One body of a scene, drawn.
#[derive(Debug, Clone)]
pub struct SceneBodyMesh {
    /// Entity path under `world/`: `<articulation>/<body>`, `objects/<name>` or
    /// `static/<name>`.
    pub path: String,
    /// The rigid body (`None`: static geometry, its mesh in the world frame).
    pub body: Option<RigidBodyHandle>,
    /// The body's colliders in its frame.
    pub mesh: TriangleMesh,
}

/// Triangles of `shape` at `pose`, appended to `out`; shapes without a closed surface (planes,
/// heightfields) add nothing.
fn append_shape(shape: &dyn Shape, pose: &Pose, out: &mut TriangleMesh) {
    let (vertices, triangles): (Vec<Vec3>, Vec<[u32; 3]>) = if let Some(c) = shape.as_compound() {
        for (child_pose, child) in c.shapes() {
            append_shape(child.as_ref(), &(*pose * *child_pose), out);
        }
        return;
    } else if let Some(s) = shape.as_cuboid() {
        s.to_trimesh()
    } else if let Some(s) = shape.as_ball() {
        s.to_trimesh(8, 12)
    } else if let Some(s) = shape.as_capsule() {
        s.to_trimesh(6, 12)
    } else if let Some(s) = shape.as_cylinder() {
        s.to_trimesh(16)
    } else if let Some(s) = shape.as_convex_polyhedron() {
        s.to_trimesh()
    } else if let Some(s) = shape.as_trimesh() {
        (s.vertices().to_vec(), s.indices().to_vec())
    } else {
        return;
    };
    let base = out.positions.len() as u32;
    out.positions
        .extend(vertices.iter().map(|v| (*pose * *v).to_array()));
    out.triangles.extend(
        triangles
            .iter()
            .map(|t| [t[0] + base, t[1] + base, t[2] + base]),
    );
}

/// Every body of `scene` with colliders, and its static geometry.
pub fn scene_body_meshes(scene: &Scene) -> Vec<SceneBodyMesh> {
    let world = scene.physics();
    let body_mesh = |handle: RigidBodyHandle| {
        let mut mesh = TriangleMesh {
            positions: Vec::new(),
            triangles: Vec::new(),
        };
        for &c in world.bodies[handle].colliders() {
            let co = &world.colliders[c];
            let pose = co.position_wrt_parent().copied().unwrap_or(Pose::IDENTITY);
            append_shape(co.shape(), &pose, &mut mesh);
        }
        mesh
    };
    let mut out = Vec::new();
    for a in scene.articulations() {
        for (body, &handle) in a.spec().bodies.iter().zip(a.body_handles()) {
            let name = body.name.replace(['/', ':'], "_");
            out.push(SceneBodyMesh {
                path: format!("{}/{name}", a.spec().name),
                body: Some(handle),
                mesh: body_mesh(handle),
            });
        }
    }
    for o in scene.objects() {
        out.push(SceneBodyMesh {
            path: format!("objects/{}", o.name),
            body: Some(o.body),
            mesh: body_mesh(o.body),
        });
    }
    for (k, s) in scene.statics().iter().enumerate() {
        let co = &world.colliders[s.collider];
        let mut mesh = TriangleMesh {
            positions: Vec::new(),
            triangles: Vec::new(),
        };
        append_shape(co.shape(), co.position(), &mut mesh);
        let name = if s.name.is_empty() {
            format!("geom{k}")
        } else {
            s.name.replace(['/', ':'], "_")
        };
        out.push(SceneBodyMesh {
            path: format!("static/{name}"),
            body: None,
            mesh,
        });
    }
    out.retain(|b| !b.mesh.triangles.is_empty());
    out
}

/// The world pose of each body in `bodies` (static geometry: identity), as a translation and a
/// quaternion `[x, y, z, w]`.
pub fn scene_body_poses(scene: &Scene, bodies: &[SceneBodyMesh]) -> Vec<([f32; 3], [f32; 4])> {
    bodies
        .iter()
        .map(|b| match b.body {
            Some(h) => {
                let p = scene.physics().bodies[h].position();
                let r = p.rotation;
                (p.translation.to_array(), [r.x, r.y, r.z, r.w])
            }
            None => ([0.0; 3], [0.0, 0.0, 0.0, 1.0]),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::bimanual::{AlohaScene, AlohaTask, aloha_dir, read_aloha_scene};

    #[test]
    fn every_aloha_body_and_the_table_are_drawn_from_their_colliders() {
        let spec = read_aloha_scene(&aloha_dir(), AlohaTask::TransferCube).expect("scene");
        let aloha = AlohaScene::new(&spec, AlohaTask::TransferCube).expect("builds");
        let meshes = scene_body_meshes(aloha.scene());
        let paths: Vec<&str> = meshes.iter().map(|m| m.path.as_str()).collect();
        for p in [
            "vx300s_left/vx300s_left_gripper_link",
            "vx300s_right/vx300s_right_left_finger_link",
            "objects/box",
            "static/table",
        ] {
            assert!(paths.contains(&p), "{p} not in {paths:?}");
        }
        // The cube is drawn as its 4 cm box: 8 corners within 2 cm of its centre.
        let cube = meshes
            .iter()
            .find(|m| m.path == "objects/box")
            .expect("cube");
        assert!(
            cube.mesh
                .positions
                .iter()
                .all(|v| v.iter().all(|c| c.abs() <= 0.0201))
        );
        let poses = scene_body_poses(aloha.scene(), &meshes);
        assert_eq!(poses.len(), meshes.len());
    }
}
