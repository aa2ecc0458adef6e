//! Hand-written MJCF: each test pins one MuJoCo rule (defaults, angles, joint anchors, fromto,
//! inertia from geoms, keyframes, the ways a body tree becomes articulations and objects).

use nalgebra::{Isometry3, Point3, Vector3};
use robots::{JointKind, SceneSpec, Shape, body_poses, parse_mjcf_str};
use std::path::Path;

fn parse(text: &str) -> SceneSpec {
    match parse_mjcf_str(text, Path::new("/nonexistent/model.xml")) {
        Ok(s) => s,
        Err(e) => panic!("does not import: {e}\n{text}"),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn close_v(a: Vector3<f64>, b: [f64; 3]) -> bool {
    (a - Vector3::from(b)).norm() < 1e-9
}

#[test]
fn default_classes_nest_and_childclass_applies_to_the_subtree() {
    let s = parse(
        r#"<mujoco>
        <default>
          <joint damping="1" range="-1 1"/>
          <geom contype="2" conaffinity="4" friction="0.3" size="0.1"/>
          <default class="arm">
            <joint damping="2"/>
            <default class="finger"><joint damping="3" armature="0.1"/><geom contype="8"/></default>
          </default>
        </default>
        <worldbody>
          <body name="base">
            <body name="a" childclass="arm">
              <joint name="ja"/><geom name="ga"/>
              <body name="b"><joint name="jb"/><geom name="gb" class="finger"/>
                <body name="c"><joint name="jc" class="finger" damping="5"/><geom name="gc"/></body>
              </body>
            </body>
            <body name="d"><joint name="jd"/><geom name="gd"/></body>
          </body>
        </worldbody></mujoco>"#,
    );
    let arm = &s.articulations[0];
    let damping = |n: &str| arm.joints[arm.joint_index(n).expect(n)].damping;
    assert!(close(damping("ja"), 2.0));
    assert!(
        close(damping("jb"), 2.0),
        "childclass reaches grandchildren"
    );
    assert!(close(damping("jc"), 5.0), "own attribute beats the class");
    assert!(close(damping("jd"), 1.0), "outside the subtree: main");
    assert_eq!(
        arm.joints[0].kind,
        JointKind::Revolute,
        "range from main + autolimits"
    );
    let geom = |n: &str| {
        arm.bodies
            .iter()
            .flat_map(|b| &b.collisions)
            .find(|c| c.name == n)
            .expect(n)
            .clone()
    };
    assert_eq!(geom("ga").mask.contype, 2);
    assert_eq!(geom("gb").mask.contype, 8);
    assert_eq!(
        geom("gb").mask.conaffinity,
        4,
        "inherited from main through arm"
    );
    assert_eq!(geom("gb").friction, Some(0.3));
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("armature") && n.contains("1 joint"))
    );
}

#[test]
fn euler_angles_follow_the_compiler_angle_unit() {
    let deg = parse(
        r#"<mujoco><worldbody><geom name="g" type="box" size="1 2 3" euler="0 0 90"/></worldbody></mujoco>"#,
    );
    let rad = parse(
        r#"<mujoco><compiler angle="radian"/><worldbody>
        <geom name="g" type="box" size="1 2 3" euler="0 0 1.5707963267948966"/></worldbody></mujoco>"#,
    );
    let rot = |s: &SceneSpec| s.statics[0].collision.origin_b.rotation;
    assert!(rot(&deg).angle_to(&rot(&rad)) < 1e-12);
    assert!(close_v(rot(&deg) * Vector3::x(), [0.0, 1.0, 0.0]));
    // Half-sizes become full sizes.
    assert_eq!(
        deg.statics[0].collision.shape,
        Shape::Box {
            size: Vector3::new(2.0, 4.0, 6.0)
        }
    );
    // Moving axes (xyz) versus fixed axes (XYZ): x then z about the rotated frame equals z then
    // x about the fixed frame.
    let moving = parse(
        r#"<mujoco><compiler eulerseq="xyz"/><worldbody><geom size="1" euler="90 0 90"/></worldbody></mujoco>"#,
    );
    let fixed = parse(
        r#"<mujoco><compiler eulerseq="ZYX"/><worldbody><geom size="1" euler="90 0 90"/></worldbody></mujoco>"#,
    );
    assert!(rot(&moving).angle_to(&rot(&fixed)) < 1e-12);
}

/// A two-link pendulum whose joints are not at the body origins; expected world positions are
/// MuJoCo 4.0.0's `geom_xpos` for qpos = [1.0, 0.7].
#[test]
fn joint_anchors_away_from_the_body_origin_match_mujoco() {
    let s = parse(
        r#"<mujoco><compiler angle="radian"/><worldbody>
        <body name="arm" pos="0 0 2"><joint name="j1" pos="0 0 1" axis="0 1 0" ref="0.5"/>
          <geom name="g1" size="0.1" pos="0 0 -1"/>
          <body name="tip" pos="0 0 -1" euler="0 0 0.3"><joint name="j2" pos="0.2 0 0" axis="1 0 0"/>
            <geom name="g2" type="capsule" fromto="0 0 0 0 0 -0.5" size="0.05"/></body>
        </body></worldbody></mujoco>"#,
    );
    let arm = &s.articulations[0];
    assert_eq!(arm.bodies[0].name, "arm/anchor");
    assert_eq!(
        arm.joints[0].default_position, 0.5,
        "ref is the initial value"
    );
    let world_of = |q: &[f64], name: &str| -> (Point3<f64>, Isometry3<f64>) {
        let poses = body_poses(arm, s.base_poses_w[0], q).expect("q fits");
        for (b, p) in arm.bodies.iter().zip(&poses) {
            if let Some(c) = b.collisions.iter().find(|c| c.name == name) {
                let frame = p * c.origin_b;
                return (Point3::from(frame.translation.vector), frame);
            }
        }
        panic!("no geom {name}");
    };
    // At the default (ref) the geom is where the file puts it.
    let (g1, _) = world_of(&[0.5, 0.0], "g1");
    assert!(close_v(g1.coords, [0.0, 0.0, 1.0]), "{g1}");
    let (g1, _) = world_of(&[1.0, 0.7], "g1");
    assert!(
        close_v(g1.coords, [-0.958851077208, 0.0, 1.244834876219]),
        "{g1}"
    );
    let (g2, frame) = world_of(&[1.0, 0.7], "g2");
    assert!(
        (g2.coords - Vector3::new(-1.092290694729, 0.15386116589, 1.099850014572)).norm() < 1e-9,
        "{g2}"
    );
    // MuJoCo's geom_xmat for g2, row-major.
    let m = [
        0.838386643594,
        0.110497653625,
        0.533758470084,
        0.295520206661,
        0.730681649936,
        -0.615444663558,
        -0.458012710847,
        0.673716999185,
        0.57993944659,
    ];
    let r = frame.rotation.to_rotation_matrix();
    for (k, v) in m.iter().enumerate() {
        assert!((r[(k / 3, k % 3)] - v).abs() < 1e-9);
    }
    // The re-anchored body lists its own MJCF frame at minus the anchor.
    let (_, pose) = arm.find_link("tip").expect("tip");
    assert!(close_v(pose.translation.vector, [-0.2, 0.0, 0.0]));
}

#[test]
fn fromto_sets_pose_and_length() {
    let s = parse(
        r#"<mujoco><worldbody>
        <geom name="c" type="capsule" fromto="0 0 0 0 0.3 0.4" size="0.05"/>
        <geom name="y" type="cylinder" fromto="1 0 0 1 0 -2" size="0.1"/>
        <geom name="b" type="box" fromto="0 0 0 2 0 0" size="0.1 0.2"/>
        </worldbody></mujoco>"#,
    );
    let c = &s.statics[0].collision;
    assert_eq!(
        c.shape,
        Shape::Capsule {
            radius: 0.05,
            length: 0.5
        }
    );
    assert!(close_v(c.origin_b.translation.vector, [0.0, 0.15, 0.2]));
    // MuJoCo's z axis runs from the second point to the first.
    assert!(close_v(
        c.origin_b.rotation * Vector3::z(),
        [0.0, -0.6, -0.8]
    ));
    let y = &s.statics[1].collision;
    assert!(matches!(y.shape, Shape::Cylinder { length, .. } if close(length, 2.0)));
    assert!(close_v(y.origin_b.rotation * Vector3::z(), [0.0, 0.0, 1.0]));
    let b = &s.statics[2].collision;
    assert_eq!(
        b.shape,
        Shape::Box {
            size: Vector3::new(0.2, 0.4, 2.0)
        }
    );
}

#[test]
fn inertia_from_a_box_geom_matches_the_hand_computation() {
    // Half-sizes 0.1 x 0.2 x 0.3 at density 1000: full sides 0.2, 0.4, 0.6, mass 48 kg,
    // Ixx = m (0.4² + 0.6²) / 12 = 2.08, Iyy = m (0.2² + 0.6²) / 12 = 1.6,
    // Izz = m (0.2² + 0.4²) / 12 = 0.8 (MuJoCo 4.0.0 gives the same).
    let s = parse(
        r#"<mujoco><worldbody><body name="b" pos="0 0 1"><freejoint/>
        <geom type="box" size="0.1 0.2 0.3" pos="0 0 0.5"/>
        <geom type="sphere" size="0.1" group="3" contype="0" conaffinity="0"/>
        </body></worldbody></mujoco>"#,
    );
    let body = &s.objects[0].body;
    let sphere = 1000.0 * 4.0 / 3.0 * std::f64::consts::PI * 0.001;
    assert!(close(body.mass, 48.0 + sphere), "visual geoms still weigh");
    assert!(body.collisions.len() == 1);

    let s = parse(
        r#"<mujoco><compiler inertiagrouprange="0 2"/><worldbody><body name="b"><freejoint/>
        <geom type="box" size="0.1 0.2 0.3" pos="0 0 0.5"/>
        <geom type="sphere" size="0.1" group="3"/>
        </body></worldbody></mujoco>"#,
    );
    let body = &s.objects[0].body;
    assert!(
        close(body.mass, 48.0),
        "group 3 is outside inertiagrouprange"
    );
    assert!(close_v(body.com_b, [0.0, 0.0, 0.5]));
    let d = body.inertia_b.diagonal();
    assert!(close_v(d, [2.08, 1.6, 0.8]), "{d}");

    // An explicit geom mass overrides the density.
    let s = parse(
        r#"<mujoco><worldbody><body name="b"><freejoint/>
        <geom type="box" size="0.1 0.2 0.3" mass="2"/></body></worldbody></mujoco>"#,
    );
    assert!(close(s.objects[0].body.mass, 2.0));
    assert!(close(
        s.objects[0].body.inertia_b[(0, 0)],
        2.0 * 0.52 / 12.0
    ));
}

#[test]
fn keyframe_sets_objects_floating_bases_and_joints_in_document_order() {
    let s = parse(
        r#"<mujoco><worldbody>
        <body name="cube" pos="5 5 5"><freejoint/><geom size="0.1"/></body>
        <body name="torso" pos="0 0 1"><freejoint name="root"/><geom size="0.1"/>
          <body name="head"><joint name="neck" type="ball"/><geom size="0.05"/></body>
          <body name="leg"><joint name="hip" axis="1 0 0"/><geom size="0.05"/></body>
        </body>
        </worldbody>
        <keyframe><key qpos="1 2 3 0 0 0 1   0 0 0.9 1 0 0 0   0 1 0 0   0.25"/>
                  <key qpos="not used"/></keyframe></mujoco>"#,
    );
    let cube = &s.objects[0];
    assert!(close_v(cube.pose_w.translation.vector, [1.0, 2.0, 3.0]));
    assert!(close_v(
        cube.pose_w.rotation * Vector3::x(),
        [-1.0, 0.0, 0.0]
    ));
    let (a, torso) = s.articulation("torso").expect("floating articulation");
    assert_eq!(torso.fixed_base, None);
    assert!(close_v(
        s.base_poses_w[a].translation.vector,
        [0.0, 0.0, 0.9]
    ));
    let neck = &torso.joints[0];
    assert_eq!(neck.kind, JointKind::Spherical);
    assert_eq!(neck.default_rotation, [0.0, 1.0, 0.0, 0.0]);
    assert_eq!(torso.joints[1].default_position, 0.25);
    assert_eq!(torso.joints[1].kind, JointKind::Continuous);
}

#[test]
fn a_root_body_with_its_own_hinge_hangs_from_a_world_anchor() {
    let s = parse(
        r#"<mujoco><worldbody>
        <body name="door" pos="1 0 0"><joint name="hinge" axis="0 0 1" range="0 90"/>
          <geom type="box" size="0.5 0.02 1" pos="0.5 0 0"/></body>
        <body name="slider" pos="0 2 0"><joint name="rail" type="slide" axis="1 0 0"/>
          <geom size="0.1"/></body>
        </worldbody></mujoco>"#,
    );
    let (a, door) = s.articulation("door").expect("door");
    assert_eq!(door.bodies.len(), 2);
    assert_eq!(door.bodies[0].name, "door/anchor");
    assert_eq!(door.bodies[0].mass, 0.0);
    assert_eq!(door.find_link("door/anchor").map(|(b, _)| b), Some(0));
    assert_eq!(door.fixed_base, Some(Isometry3::identity()));
    assert_eq!(s.base_poses_w[a], Isometry3::identity());
    let hinge = &door.joints[0];
    assert_eq!((hinge.parent, hinge.child), (0, 1));
    assert!(close_v(hinge.origin_p.translation.vector, [1.0, 0.0, 0.0]));
    assert!(
        close(hinge.upper, std::f64::consts::FRAC_PI_2),
        "degrees by default"
    );
    let (_, slider) = s.articulation("slider").expect("slider");
    let rail = &slider.joints[0];
    assert_eq!(rail.kind, JointKind::Prismatic);
    assert_eq!((rail.lower, rail.upper), (f64::NEG_INFINITY, f64::INFINITY));
}

#[test]
fn static_subtrees_and_visual_geoms() {
    let s = parse(
        r#"<mujoco><worldbody>
        <geom name="floor" type="plane" size="0 0 1"/>
        <body name="shelf" pos="0 0 1" euler="0 0 90">
          <geom name="board" type="box" size="1 0.2 0.02" pos="1 0 0"/>
          <geom name="label" type="box" size="0.1 0.1 0.1" contype="0" conaffinity="0"/>
          <geom name="ghost" type="box" size="0.1 0.1 0.1" contype="0" conaffinity="0"/>
        </body>
        <body name="ball" pos="0 0 3"><freejoint/><geom name="b" size="0.1"/></body>
        </worldbody>
        <contact><pair geom1="ghost" geom2="b"/><exclude body1="shelf" body2="ball"/></contact>
        </mujoco>"#,
    );
    let names: Vec<&str> = s
        .statics
        .iter()
        .map(|g| g.collision.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["floor", "board", "ghost"],
        "label is visual; ghost is in a pair"
    );
    assert_eq!(s.statics[0].collision.link, "world");
    let board = &s.statics[1].collision;
    assert_eq!(board.link, "shelf");
    assert!(close_v(board.origin_b.translation.vector, [0.0, 1.0, 1.0]));
    assert_eq!(s.excludes.len(), 1);
    assert_eq!(s.pairs[0].geom1, "ghost");
    assert!(s.articulations.is_empty());
}

#[test]
fn general_position_servos_and_gear() {
    let s = parse(
        r#"<mujoco><compiler angle="radian"/><worldbody><body name="base">
          <body name="l1"><joint name="a" range="-1 1"/><geom size="0.1"/></body>
          <body name="l2"><joint name="b" damping="0.5"/><geom size="0.1"/></body>
          <body name="l3"><joint name="c"/><geom size="0.1"/></body>
        </body></worldbody>
        <actuator>
          <general joint="a" gainprm="40" biastype="affine" biasprm="0 -40 -2" ctrlrange="-0.5 0.5" forcerange="-7 3"/>
          <position joint="b" kp="10" kv="1" gear="2" ctrlrange="-1 1" ctrllimited="true"/>
          <motor joint="c" name="m"/>
          <position joint="a" kp="3" inheritrange="0.5" name="second"/>
        </actuator></mujoco>"#,
    );
    let arm = &s.articulations[0];
    let a = &arm.joints[0];
    assert!(close(a.stiffness, 3.0), "the last actuator's gains");
    assert!(close(a.damping, 2.0), "kv of the general servo");
    assert_eq!(a.effort_limit, 7.0);
    assert_eq!(
        a.target_range,
        Some((-0.5, 0.5)),
        "inheritrange 0.5 of [-1, 1]"
    );
    let b = &arm.joints[1];
    assert!(close(b.stiffness, 40.0), "gear² kp");
    assert!(close(b.damping, 0.5 + 4.0));
    assert_eq!(b.target_range, Some((-0.5, 0.5)), "ctrlrange / gear");
    assert_eq!(arm.joints[2].stiffness, 0.0);
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("motor actuators") && n.contains("m")),
        "{:?}",
        s.notes
    );
}

#[test]
fn frames_compose_with_their_contents() {
    let s = parse(
        r#"<mujoco><compiler angle="radian"/><worldbody>
        <frame pos="1 0 0" euler="0 0 1.5707963267948966">
          <geom name="g" size="0.1" pos="1 0 0"/>
        </frame></worldbody></mujoco>"#,
    );
    assert!(close_v(
        s.statics[0].collision.origin_b.translation.vector,
        [1.0, 1.0, 0.0]
    ));
}
