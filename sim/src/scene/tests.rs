//! Scene tests that need no files: spherical joints under PD, ray casts against terrain, state
//! round trips, several articulations and objects in one world.

use super::*;
use crate::terrain::{Terrain, TerrainKind};
use nalgebra::{Matrix3, UnitQuaternion, Vector3};
use rapier3d::glamx::Quat;
use robots::{BodySpec, CollisionShape, JointKind, JointSpec, Shape};

fn body(name: &str, parent_joint: Option<usize>, mass: f64, com_z: f64) -> BodySpec {
    BodySpec {
        name: name.into(),
        parent_joint,
        mass,
        com_b: Vector3::new(0.0, 0.0, com_z),
        inertia_b: Matrix3::identity() * 0.01 * mass,
        collisions: vec![CollisionShape {
            shape: Shape::Capsule {
                radius: 0.03,
                length: 2.0 * com_z.abs().max(0.05),
            },
            origin_b: Isometry3::translation(0.0, 0.0, com_z),
            link: name.into(),
            name: String::new(),
            mask: robots::ContactMask::default(),
            friction: None,
        }],
        links: vec![(name.into(), Isometry3::identity())],
    }
}

/// A fixed post with one ball-jointed limb (1 kg, 0.5 m) standing up from its top.
fn ball_limb(stiffness: f64, damping: f64) -> RobotSpec {
    let mut joint = JointSpec::new(
        "shoulder",
        JointKind::Spherical,
        0,
        1,
        Isometry3::translation(0.0, 0.0, 1.0),
        Vector3::z(),
    );
    joint.stiffness = stiffness;
    joint.damping = damping;
    RobotSpec {
        name: "limb".into(),
        source: "test".into(),
        bodies: vec![
            body("post", None, 1.0, 0.5),
            body("arm", Some(0), 1.0, 0.25),
        ],
        joints: vec![joint],
        feet: vec![],
        terminate_contacts: vec![],
        penalise_contacts: vec![],
        action_scale: 1.0,
        fixed_base: Some(Isometry3::identity()),
    }
}

fn physics() -> PhysicsConfig {
    PhysicsConfig::default()
}

#[test]
fn a_ball_jointed_limb_tracks_a_quaternion_target_within_0_05_rad() {
    let mut scene = Scene::new(physics(), CollisionRules::mujoco()).expect("scene");
    let a = scene
        .add_articulation(Arc::new(ball_limb(300.0, 20.0)), Isometry3::identity())
        .expect("limb");
    for (axis, angle) in [
        (Vector3::new(1.0, 1.0, 0.0), 0.5),
        (Vector3::new(0.0, -1.0, 0.3), 0.8),
        (Vector3::new(1.0, 0.0, 0.0), -0.4),
    ] {
        let t = UnitQuaternion::from_axis_angle(&nalgebra::Unit::new_normalize(axis), angle);
        let target = [t.w as f32, t.i as f32, t.j as f32, t.k as f32];
        scene.set_targets(a, &target).expect("target");
        for _ in 0..150 {
            scene.step();
        }
        let state = scene.articulation_state(a).expect("state");
        let q = Quat::from_xyzw(state.q[1], state.q[2], state.q[3], state.q[0]);
        let goal = Quat::from_xyzw(target[1], target[2], target[3], target[0]);
        let err = q.angle_between(goal);
        assert!(err < 0.05, "axis {axis:?} angle {angle}: error {err} rad");
        assert!(
            state.qd.iter().all(|v| v.abs() < 0.05),
            "settled: {:?}",
            state.qd
        );
    }
}

#[test]
fn a_ball_joint_action_is_a_scaled_rotation_vector_about_the_default() {
    let mut scene = Scene::new(physics(), CollisionRules::mujoco()).expect("scene");
    let mut spec = ball_limb(300.0, 20.0);
    spec.joints[0].action_scale = Some(0.5);
    let a = scene
        .add_articulation(Arc::new(spec), Isometry3::identity())
        .expect("limb");
    scene.apply_action(a, &[0.0, 0.8, 0.0]).expect("action");
    let t = scene.articulations()[a].targets().to_vec();
    // exp(0.5 * 0.8 about y) = rotation of 0.4 rad about y.
    assert!(
        (t[0] - 0.2f32.cos()).abs() < 1e-6 && (t[2] - 0.2f32.sin()).abs() < 1e-6,
        "{t:?}"
    );
    assert!(
        scene.apply_action(a, &[0.0; 4]).is_err(),
        "nv = 3 for a ball joint"
    );
}

#[test]
fn state_round_trips_with_velocities_through_a_ball_joint() {
    let mut scene = Scene::new(physics(), CollisionRules::mujoco()).expect("scene");
    let a = scene
        .add_articulation(Arc::new(ball_limb(0.0, 0.0)), Isometry3::identity())
        .expect("limb");
    let t = UnitQuaternion::from_euler_angles(0.3, -0.2, 0.5);
    let state = ArticulationState {
        base_pos_w: [0.0; 3],
        base_rot_w: [1.0, 0.0, 0.0, 0.0],
        base_lin_vel_w: [0.0; 3],
        base_ang_vel_w: [0.0; 3],
        q: vec![t.w as f32, t.i as f32, t.j as f32, t.k as f32],
        qd: vec![0.4, -0.7, 1.1],
    };
    scene.set_articulation_state(a, &state).expect("set");
    let back = scene.articulation_state(a).expect("read");
    for (x, y) in back.q.iter().zip(&state.q) {
        assert!((x - y).abs() < 1e-5, "{:?} vs {:?}", back.q, state.q);
    }
    for (x, y) in back.qd.iter().zip(&state.qd) {
        assert!((x - y).abs() < 1e-4, "{:?} vs {:?}", back.qd, state.qd);
    }
}

fn terrain_scene(kind: TerrainKind) -> (Scene, Terrain) {
    let terrain = Terrain::new(kind, 7);
    let mut scene = Scene::new(physics(), CollisionRules::legged()).expect("scene");
    scene.add_static_collider("ground", terrain.collider(), StaticRole::Floor);
    (scene, terrain)
}

#[test]
fn floor_scans_agree_with_analytic_heights_to_1_mm() {
    let flat = terrain_scene(TerrainKind::Flat);
    let slope = terrain_scene(TerrainKind::Slope {
        grade: 0.4,
        length: 2.0,
        cell: 0.1,
        size: 8.0,
    });
    let stairs = terrain_scene(TerrainKind::Stairs {
        step_height: 0.12,
        step_width: 0.4,
        steps: 4,
        cell: 0.05,
        size: 8.0,
    });
    // Points away from the kinks (platform edge, risers, the slopes' diagonal ridges), where
    // the triangulated heightfield equals the analytic surface; several lie on grid lines.
    let points: &[(f32, f32)] = &[
        (0.0, 0.0),
        (0.33, -0.51),
        (1.52, 0.2),
        (-2.13, 0.4),
        (0.1, 2.67),
        (3.5, -3.2),
        (-1.23, -0.61),
        (2.71, 0.05),
    ];
    for (name, (scene, terrain)) in [("flat", flat), ("slope", slope), ("stairs", stairs)] {
        for &(x, y) in points {
            let analytic = terrain.height_at(x, y);
            let cast = scene.floor_z(x, y, analytic + 0.3);
            assert!(
                (cast - analytic).abs() < 1e-3,
                "{name} at ({x}, {y}): ray {cast} vs analytic {analytic}"
            );
        }
    }
}

#[test]
fn ceiling_scans_see_a_box_overhead_and_floor_scans_see_through_voids() {
    let mut scene = Scene::new(physics(), CollisionRules::legged()).expect("scene");
    // A floor slab with a 1 m gap in x in [1, 2], and a ceiling slab 0.6 m above the floor.
    let slab = |x0: f32, x1: f32, z0: f32, z1: f32| {
        ColliderBuilder::cuboid(0.5 * (x1 - x0), 2.0, 0.5 * (z1 - z0)).translation(Vec3::new(
            0.5 * (x0 + x1),
            0.0,
            0.5 * (z0 + z1),
        ))
    };
    scene.add_static_collider("floor_a", slab(-3.0, 1.0, -0.2, 0.0), StaticRole::Floor);
    scene.add_static_collider("floor_b", slab(2.0, 5.0, -0.2, 0.0), StaticRole::Floor);
    scene.add_static_collider("ceiling", slab(-3.0, 5.0, 0.6, 0.8), StaticRole::Ceiling);
    assert!(scene.floor_z(0.0, 0.0, 0.3).abs() < 1e-5);
    assert!((scene.ceiling_z(0.0, 0.0, 0.3) - 0.6).abs() < 1e-5);
    assert_eq!(
        scene.floor_z(1.5, 0.0, 0.3),
        no_floor_z(0.3),
        "a void reads as deep"
    );
    assert!(scene.floor_z(3.0, 0.0, 0.3).abs() < 1e-5);
    assert_eq!(
        scene.ceiling_z(0.0, 5.0, 0.3),
        f32::INFINITY,
        "no ceiling off the side"
    );
}

#[test]
fn two_robots_an_object_and_self_collision_follow_the_rules() {
    let mut scene = Scene::new(physics(), CollisionRules::legged()).expect("scene");
    scene.add_static_collider("ground", Terrain::flat().collider(), StaticRole::Floor);
    let a = scene
        .add_articulation(Arc::new(ball_limb(50.0, 5.0)), Isometry3::identity())
        .expect("a");
    let mut far = ball_limb(50.0, 5.0);
    far.fixed_base = Some(Isometry3::translation(3.0, 0.0, 0.0));
    let b = scene
        .add_articulation(Arc::new(far), Isometry3::identity())
        .expect("b");
    let cube = robots::ObjectSpec {
        name: "cube".into(),
        body: BodySpec {
            collisions: vec![CollisionShape {
                shape: Shape::Box {
                    size: Vector3::new(0.1, 0.1, 0.1),
                },
                origin_b: Isometry3::identity(),
                link: "cube".into(),
                name: "cube".into(),
                mask: robots::ContactMask::default(),
                friction: None,
            }],
            ..body("cube", None, 0.2, 0.0)
        },
        pose_w: Isometry3::translation(1.5, 0.0, 0.2),
        damping: 0.0,
    };
    let o = scene.add_object(&cube).expect("cube");
    assert_eq!((a, b, o), (0, 1, 0));
    for _ in 0..100 {
        scene.step();
    }
    let s = scene.object_state(o).expect("cube state");
    assert!(
        (s.pos_w[2] - 0.05).abs() < 2e-3,
        "the cube rests on the ground: {s:?}"
    );
    assert!(
        scene.articulation_state(1).expect("b").base_pos_w[0] == 3.0,
        "fixed base stays"
    );
    assert!(!scene.has_non_finite_state());
    // Snapshot and restore continue bit-exactly.
    let snap = scene.snapshot();
    for _ in 0..20 {
        scene.step();
    }
    let after = scene.object_state(o).expect("state");
    scene.restore(&snap);
    for _ in 0..20 {
        scene.step();
    }
    assert_eq!(scene.object_state(o).expect("state"), after);
}
