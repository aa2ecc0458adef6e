//! Clips and characters on small hand-written files: sampling, looping, and every kind of bad
//! input the issue names (wrong frame width, NaN, unknown joint type, zero duration).

use super::*;
use crate::error::RobotError;
use nalgebra::{UnitQuaternion, Vector3};
use std::path::Path;

/// A root, a spherical "waist", a revolute "knee" and a fixed "toe".
fn character_json(knee_type: &str) -> String {
    let joint = |id: i32, name: &str, ty: &str, parent: i32, y: f64| {
        format!(
            r#"{{"ID": {id}, "Name": "{name}", "Type": "{ty}", "Parent": {parent},
               "AttachX": 0, "AttachY": {y}, "AttachZ": 0, "LimLow0": -3.0, "LimHigh0": 0.0,
               "TorqueLim": 100, "IsEndEffector": {ee}}}"#,
            ee = i32::from(name == "toe")
        )
    };
    let body = |id: i32, name: &str| {
        format!(
            r#"{{"ID": {id}, "Name": "{name}", "Shape": "capsule", "Mass": 2.0,
               "EnableFallContact": {fall}, "AttachX": 0, "AttachY": -0.1, "AttachZ": 0,
               "Param0": 0.1, "Param1": 0.2, "Param2": 0.1}}"#,
            fall = i32::from(name == "root")
        )
    };
    format!(
        r#"{{"Skeleton": {{"Joints": [{}, {}, {}, {}]}}, "BodyDefs": [{}, {}, {}, {}]}}"#,
        joint(0, "root", "none", -1, 0.0),
        joint(1, "waist", "spherical", 0, 0.2),
        joint(2, "knee", knee_type, 1, -0.4),
        joint(3, "toe", "fixed", 2, -0.3),
        body(0, "root"),
        body(1, "waist"),
        body(2, "knee"),
        body(3, "toe"),
    )
}

fn character() -> Character {
    Character::from_json_str(&character_json("revolute"), Path::new("tiny_char.txt")).unwrap()
}

/// Two frames 0.5 s apart: the root walks 1 m along DeepMimic's x and turns 90 degrees about its
/// up axis; the waist turns 90 degrees about DeepMimic's x; the knee bends by -1 rad.
fn clip_json() -> String {
    let h = std::f64::consts::FRAC_1_SQRT_2;
    format!(
        r#"{{"Loop": "wrap", "Frames": [
            [0.5, 0, 0.9, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0],
            [0.0, 1, 0.9, 0, {h}, 0, {h}, 0, {h}, {h}, 0, 0, -1]]}}"#
    )
}

fn clip() -> MotionClip {
    MotionClip::from_json_str(&clip_json(), Path::new("tiny_clip.txt"), &character()).unwrap()
}

fn message(error: RobotError) -> String {
    error.to_string()
}

#[test]
fn frames_are_converted_to_z_up() {
    let clip = clip();
    assert_eq!(character().frame_width(), 13);
    let f = &clip.frames[1];
    assert!(
        (f.root_pos - Vector3::new(1.0, 0.0, 0.9)).norm() < 1e-12,
        "{:?}",
        f.root_pos
    );
    // DeepMimic's up axis (y) is z: the root's 90 degree turn is a yaw.
    assert!((heading(&f.root_rot) - std::f64::consts::FRAC_PI_2).abs() < 1e-9);
    // The waist's turn about x stays a turn about x.
    let waist =
        UnitQuaternion::from_quaternion(nalgebra::Quaternion::new(f.q[0], f.q[1], f.q[2], f.q[3]));
    let expected = UnitQuaternion::from_axis_angle(&Vector3::x_axis(), std::f64::consts::FRAC_PI_2);
    assert!(waist.angle_to(&expected) < 1e-9);
    assert_eq!(f.q[4], -1.0, "revolute angles are kept");
}

#[test]
fn the_pose_halfway_is_the_slerp_and_the_lerp() {
    let clip = clip();
    let pose = clip.pose_at(0.25);
    assert!((pose.root_pos - Vector3::new(0.5, 0.0, 0.9)).norm() < 1e-12);
    assert!((heading(&pose.root_rot) - std::f64::consts::FRAC_PI_4).abs() < 1e-9);
    assert!((pose.q[4] + 0.5).abs() < 1e-12);
    let waist = UnitQuaternion::from_quaternion(nalgebra::Quaternion::new(
        pose.q[0], pose.q[1], pose.q[2], pose.q[3],
    ));
    assert!((waist.angle() - std::f64::consts::FRAC_PI_4).abs() < 1e-9);
}

#[test]
fn velocities_are_the_keyframe_differences() {
    let v = clip().velocity_at(0.1);
    assert!((v.root_lin_vel - Vector3::new(2.0, 0.0, 0.0)).norm() < 1e-9);
    assert!((v.root_ang_vel - Vector3::new(0.0, 0.0, std::f64::consts::PI)).norm() < 1e-9);
    assert!(
        (v.qd[0] - std::f64::consts::PI).abs() < 1e-9,
        "waist about its own x"
    );
    assert!((v.qd[3] + 2.0).abs() < 1e-12, "knee");
}

#[test]
fn a_looping_clip_carries_the_root_over_to_the_next_cycle() {
    let clip = clip();
    assert_eq!(clip.cycle_shift(), Vector3::new(1.0, 0.0, 0.0));
    // The second cycle starts from the first keyframe shifted by the drift (heading is not
    // carried, as in DeepMimic).
    let start = clip.pose_at(0.5 + 1e-9);
    assert!(
        (start.root_pos - Vector3::new(1.0, 0.0, 0.9)).norm() < 1e-6,
        "{:?}",
        start.root_pos
    );
    assert!(heading(&start.root_rot).abs() < 1e-6);
    let mid = clip.pose_at(2.0 + 0.25);
    assert!(
        (mid.root_pos - Vector3::new(4.5, 0.0, 0.9)).norm() < 1e-9,
        "{:?}",
        mid.root_pos
    );
    assert!((clip.phase(0.75) - 0.5).abs() < 1e-12);
    assert_eq!(clip.velocity_at(0.6), clip.velocity_at(0.1));
}

#[test]
fn a_held_clip_stops_at_its_last_frame() {
    let text = clip_json().replace("\"wrap\"", "\"none\"");
    let clip = MotionClip::from_json_str(&text, Path::new("c.txt"), &character()).unwrap();
    assert_eq!(clip.pose_at(7.0), clip.pose_at(0.5));
    assert!(clip.velocity_at(7.0).qd.iter().all(|&x| x == 0.0));
}

#[test]
fn the_robot_has_the_moving_joints_and_welds_the_fixed_one() {
    let c = character();
    let gains = r#"{"UpdateRate": 30, "EnablePhaseInput": true, "PDControllers": [
        {"ID": 1, "Name": "waist", "Kp": 300, "Kd": 30},
        {"ID": 2, "Name": "knee", "Kp": 200, "Kd": 20}]}"#;
    let dir = std::env::temp_dir().join(format!("embody-motion-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ctrl_path = dir.join("ctrl.txt");
    std::fs::write(&ctrl_path, gains).unwrap();
    let ctrl = PdController::from_file(&ctrl_path, &c).unwrap();
    let spec = character_robot(&c, &ctrl).unwrap();
    assert_eq!(spec.joint_names(), ["waist", "knee"]);
    assert_eq!(spec.nq(), 5);
    assert_eq!(
        spec.bodies.len(),
        3,
        "the toe is welded into the knee's body"
    );
    assert!((spec.total_mass() - 8.0).abs() < 1e-12);
    assert_eq!(
        (spec.joints[1].stiffness, spec.joints[1].damping),
        (200.0, 20.0)
    );
    assert_eq!((spec.joints[1].lower, spec.joints[1].upper), (-3.0, 0.0));
    assert_eq!(spec.terminate_contacts, ["root"]);
    let (body, pose) = spec.find_link("toe").unwrap();
    assert_eq!(body, 2);
    assert!((pose.translation.vector - Vector3::new(0.0, 0.0, -0.3)).norm() < 1e-12);
    // A controller without the knee's gains is refused, naming the joint.
    std::fs::write(&ctrl_path, gains.replace("\"knee\"", "\"toe\"")).unwrap();
    let err = message(PdController::from_file(&ctrl_path, &c).unwrap_err());
    assert!(
        err.contains("joint 'knee'") && err.contains("ctrl.txt"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_frame_of_the_wrong_width_is_an_error_naming_the_file_and_frame() {
    let text = clip_json().replace(", -1]]", "]]");
    let err =
        message(MotionClip::from_json_str(&text, Path::new("walk.txt"), &character()).unwrap_err());
    assert!(
        err.contains("walk.txt") && err.contains("frame 1") && err.contains("12 values"),
        "{err}"
    );
    assert!(err.contains("needs 13"), "{err}");
}

#[test]
fn a_nan_is_an_error_naming_the_file_frame_and_value() {
    for nan in ["NaN", "nan", "-Infinity", "inf"] {
        let text = clip_json().replace("[0.5, 0, 0.9", &format!("[0.5, {nan}, 0.9"));
        let err = message(
            MotionClip::from_json_str(&text, Path::new("walk.txt"), &character()).unwrap_err(),
        );
        assert!(
            err.contains("walk.txt") && err.contains("frame 0") && err.contains("value 1"),
            "{nan}: {err}"
        );
    }
}

#[test]
fn an_unknown_joint_type_is_an_error_naming_the_joint() {
    let err = message(
        Character::from_json_str(&character_json("hinge"), Path::new("char.txt")).unwrap_err(),
    );
    assert!(
        err.contains("char.txt") && err.contains("joint 2 'knee'") && err.contains("'hinge'"),
        "{err}"
    );
}

#[test]
fn a_zero_duration_is_an_error_naming_the_frame() {
    let text = clip_json().replace("[0.5, 0, 0.9", "[0.0, 0, 0.9");
    let err =
        message(MotionClip::from_json_str(&text, Path::new("walk.txt"), &character()).unwrap_err());
    assert!(
        err.contains("frame 0") && err.contains("duration 0"),
        "{err}"
    );
}

#[test]
fn other_bad_files_are_errors_not_panics() {
    let c = character();
    let cases = [
        ("", "malformed JSON"),
        ("[1, 2]", "not a JSON object"),
        (r#"{"Frames": []}"#, "at least two"),
        (r#"{"Loop": "bounce", "Frames": []}"#, "'Loop'"),
        (r#"{"Loop": "wrap", "Frames": [[0.5], "x"]}"#, "frame 0"),
        (r#"{"Loop": "wrap", "Frames": [1, 2]}"#, "frame 0"),
    ];
    for (text, expected) in cases {
        let err = message(MotionClip::from_json_str(text, Path::new("m.txt"), &c).unwrap_err());
        assert!(err.contains(expected), "{text}: {err}");
    }
    let zero_quat =
        clip_json().replace("[0.5, 0, 0.9, 0, 1, 0, 0, 0", "[0.5, 0, 0.9, 0, 0, 0, 0, 0");
    let err = message(MotionClip::from_json_str(&zero_quat, Path::new("m.txt"), &c).unwrap_err());
    assert!(err.contains("root quaternion is zero"), "{err}");
    let bad_parent = character_json("revolute").replace("\"Parent\": 1", "\"Parent\": 5");
    let err = message(Character::from_json_str(&bad_parent, Path::new("c.txt")).unwrap_err());
    assert!(
        err.contains("joint 2 'knee'") && err.contains("Parent 5"),
        "{err}"
    );
    let bad_mass = character_json("revolute").replacen("\"Mass\": 2.0", "\"Mass\": 0", 1);
    let err = message(Character::from_json_str(&bad_mass, Path::new("c.txt")).unwrap_err());
    assert!(
        err.contains("body 0 'root'") && err.contains("Mass 0"),
        "{err}"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
    /// Mutated clip and character text never panics the readers.
    #[test]
    fn readers_never_panic_on_mutated_files(cut in 0usize..400, byte in 0u8..128, which in 0usize..2) {
        let mut text = if which == 0 { clip_json() } else { character_json("revolute") }.into_bytes();
        let at = cut % text.len();
        text[at] = byte;
        if let Ok(text) = String::from_utf8(text) {
            if which == 0 {
                let _ = MotionClip::from_json_str(&text, Path::new("m.txt"), &character());
            } else if let Ok(c) = Character::from_json_str(&text, Path::new("c.txt")) {
                let _ = c.frame_width();
            }
        }
    }
}
