//! Real MJCF scenes from `../shared/thirdparty` import with the facts their files state. A
//! missing fixture fails the test.

use robots::{JointKind, SceneSpec, Shape, is_mjcf_file, read_mjcf_file};
use std::path::PathBuf;

fn thirdparty(rel: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/thirdparty")
        .join(rel);
    assert!(path.is_file(), "fixture missing: {}", path.display());
    path
}

fn load(rel: &str) -> SceneSpec {
    let path = thirdparty(rel);
    match read_mjcf_file(&path) {
        Ok(scene) => scene,
        Err(e) => panic!("{rel} does not import: {e}"),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn aloha_transfer_cube_has_two_arms_a_box_and_a_table() {
    let scene = load("aloha/bimanual_viperx_transfer_cube.xml");
    assert_eq!(scene.articulations.len(), 2);
    assert!(close(scene.timestep, 0.002));
    assert!(close(scene.gravity.z, -9.81));
    for side in ["left", "right"] {
        let name = format!("vx300s_{side}");
        let (a, arm) = scene.articulation(&name).expect("arm present");
        assert!(arm.fixed_base.is_some(), "{name} is welded to the table");
        assert_eq!(arm.fixed_base, Some(scene.base_poses_w[a]));
        assert_eq!(arm.num_joints(), 8);
        let kinds: Vec<JointKind> = arm.joints.iter().map(|j| j.kind).collect();
        assert_eq!(
            kinds.iter().filter(|k| **k == JointKind::Revolute).count(),
            6
        );
        assert_eq!(
            kinds.iter().filter(|k| **k == JointKind::Prismatic).count(),
            2
        );
        let names = arm.joint_names();
        assert_eq!(names[0], format!("{name}/waist"));
        assert_eq!(names[7], format!("{name}/right_finger"));
        let waist = &arm.joints[0];
        assert!(close(waist.stiffness, 800.0));
        assert!(close(waist.effort_limit, 150.0));
        assert!(
            close(arm.joints[1].effort_limit, 300.0),
            "shoulder force range"
        );
        assert_eq!(
            arm.joints[4].effort_limit,
            f64::INFINITY,
            "wrist not force-limited"
        );
        assert_eq!(waist.target_range, Some((-3.14158, 3.14158)));
        let q = arm.default_positions();
        let expected = [0.0, -0.96, 1.16, 0.0, -0.3, 0.0, 0.024, -0.024];
        assert!(q.iter().zip(expected).all(|(a, b)| close(*a, b)), "{q:?}");
        // Masses straight from the <inertial> elements; the jointless gripper_prop_link and
        // camera_focus merge into gripper_link.
        let body = |n: &str| {
            arm.bodies
                .iter()
                .find(|b| b.name == format!("{name}/{n}"))
                .unwrap_or_else(|| panic!("body {n}"))
        };
        assert!(close(body("shoulder_link").mass, 0.798614));
        assert!(close(body("upper_arm_link").mass, 0.792592));
        assert!(close(body("gripper_link").mass, 0.251652 + 0.008009));
        assert!(
            arm.find_link(&format!("{name}/gripper_prop_link"))
                .is_some()
        );
        // The base mesh has contype = conaffinity = 0: shown, never collided with.
        assert!(arm.bodies[0].collisions.is_empty());
        assert!(
            arm.bodies
                .iter()
                .flat_map(|b| &b.collisions)
                .all(|c| c.name != format!("{name}/1_base"))
        );
    }
    let (left, _) = scene.articulation("vx300s_left").expect("left");
    let base = scene.base_poses_w[left].translation.vector;
    assert!(close(base.x, -0.469) && close(base.y, 0.5) && close(base.z, 0.0));

    assert_eq!(scene.objects.len(), 1);
    let (_, cube) = scene.object("box").expect("box");
    assert!(close(cube.body.mass, 0.05));
    let p = cube.pose_w.translation.vector;
    assert!(close(p.x, 0.2) && close(p.y, 0.5) && close(p.z, 0.05));
    assert_eq!(cube.body.collisions.len(), 1);
    assert_eq!(cube.body.collisions[0].friction, Some(1.0));

    let table = scene
        .statics
        .iter()
        .find(|s| s.collision.name == "table")
        .expect("table mesh is static");
    match &table.collision.shape {
        Shape::Mesh { filename, scale } => {
            assert!(filename.ends_with("tabletop.stl"), "{filename}");
            assert!(std::path::Path::new(filename).is_file());
            assert!(close(scale.x, 0.001));
        }
        other => panic!("table is {other:?}"),
    }
    assert!(close(table.collision.origin_b.translation.vector.y, 0.6));
    assert!(
        scene
            .notes
            .iter()
            .any(|n| n.contains("frictionloss") && n.contains("17 joints")),
        "{:?}",
        scene.notes
    );
}

#[test]
fn aloha_insertion_loads_with_peg_and_socket() {
    let scene = load("aloha/bimanual_viperx_insertion.xml");
    assert_eq!(scene.articulations.len(), 2);
    assert!(scene.object("peg").is_some());
    assert!(scene.object("socket").is_some());
}

fn check_hand(scene: &SceneSpec) {
    assert_eq!(scene.articulations.len(), 1);
    let hand = &scene.articulations[0];
    assert_eq!(hand.name, "robot0:hand mount");
    assert!(hand.fixed_base.is_some());
    assert_eq!(hand.num_joints(), 24);
    let names = hand.joint_names();
    assert_eq!(
        &names[..6],
        &[
            "robot0:WRJ1",
            "robot0:WRJ0",
            "robot0:FFJ3",
            "robot0:FFJ2",
            "robot0:FFJ1",
            "robot0:FFJ0"
        ]
    );
    assert!(hand.joints.iter().all(|j| j.kind == JointKind::Revolute));
    // 20 position actuators; the distal joints (J0 of four fingers) are tendon-driven.
    let actuated = hand.joints.iter().filter(|j| j.stiffness > 0.0).count();
    assert_eq!(actuated, 20);
    let wrj1 = &hand.joints[0];
    assert!(close(wrj1.stiffness, 5.0));
    assert!(close(wrj1.effort_limit, 4.785));
    assert!(close(wrj1.damping, 0.5), "joint damping 0.5, kv 0");
    assert_eq!(wrj1.target_range, Some((-0.489, 0.14)));
    assert!(close(wrj1.lower, -0.489) && close(wrj1.upper, 0.14));
    let ffj3 = &hand.joints[2];
    assert!(close(ffj3.damping, 0.1), "class robot0:asset_class damping");

    let (t, tendon) = scene
        .tendons
        .iter()
        .enumerate()
        .find(|(_, t)| t.name == "robot0:T_FFJ1c")
        .expect("coupling tendon");
    assert_eq!(tendon.articulation, 0);
    let ffj0 = hand.joint_index("robot0:FFJ0").expect("FFJ0");
    let ffj1 = hand.joint_index("robot0:FFJ1").expect("FFJ1");
    assert_eq!(tendon.joints, vec![(ffj0, 0.00705), (ffj1, -0.00805)]);
    assert_eq!(tendon.range, Some((-0.001, 0.001)));
    assert!(t < scene.tendons.len());

    // Collision geoms of class robot0:DC_Hand: contype 1, conaffinity 0.
    let capsule = hand
        .bodies
        .iter()
        .flat_map(|b| &b.collisions)
        .find(|c| c.name == "robot0:C_ffdistal")
        .expect("fingertip capsule collides");
    assert_eq!((capsule.mask.contype, capsule.mask.conaffinity), (1, 0));
    assert!(matches!(capsule.shape, Shape::Capsule { .. }));
    assert!(
        hand.bodies
            .iter()
            .flat_map(|b| &b.collisions)
            .all(|c| !c.name.starts_with("robot0:V_")
                || c.name == "robot0:V_thbase"
                || c.name == "robot0:V_thhub"),
        "visual meshes do not collide"
    );
    assert_eq!(scene.pairs.len(), 19);
    assert!(
        scene
            .pairs
            .iter()
            .any(|p| p.geom1 == "robot0:C_ffdistal" && p.geom2 == "robot0:C_thdistal")
    );
    assert!(
        scene
            .statics
            .iter()
            .any(|s| s.collision.shape == Shape::Plane)
    );
    assert!(
        scene
            .notes
            .iter()
            .any(|n| n.contains("armature") && n.contains("24 joints")),
        "{:?}",
        scene.notes
    );
}

#[test]
fn shadow_hand_block_scene() {
    let scene = load("gymnasium_robotics/hand/manipulate_block.xml");
    check_hand(&scene);
    let (_, block) = scene.object("object").expect("block");
    assert!(close(block.body.mass, 567.0 * 0.05f64.powi(3)));
    assert!(close(block.damping, 0.01));
    assert_eq!(block.body.collisions.len(), 1, "object_hidden is visual");
}

#[test]
fn shadow_hand_reach_scene() {
    let scene = load("gymnasium_robotics/hand/reach.xml");
    check_hand(&scene);
    assert!(scene.objects.is_empty());
}

/// Fetch's base has three slide joints in one body, which the importer does not support yet:
/// the error says so, naming the file, the line and the body.
#[test]
fn fetch_pick_and_place_is_refused_clearly() {
    let path = thirdparty("gymnasium_robotics/fetch/pick_and_place.xml");
    let msg = read_mjcf_file(&path)
        .expect_err("several joints per body")
        .to_string();
    assert!(
        msg.contains("robot.xml")
            && msg.contains("robot0:base_link")
            && msg.contains("line")
            && msg.contains("more than one joint"),
        "{msg}"
    );
}

#[test]
fn mjcf_and_urdf_files_are_told_apart() {
    assert!(
        !is_mjcf_file(&thirdparty("aloha/scene.xml")),
        "a <mujocoinclude>"
    );
    assert!(is_mjcf_file(&thirdparty(
        "aloha/bimanual_viperx_transfer_cube.xml"
    )));
    assert!(!is_mjcf_file(&thirdparty("legged_gym/a1/a1.urdf")));
    assert!(!is_mjcf_file(std::path::Path::new("/no/such/file.xml")));
}
