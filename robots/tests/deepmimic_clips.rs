//! DeepMimic's real characters and clips from `../shared/thirdparty/deepmimic` load and play
//! kinematically with the bone lengths of their character files.
//!
//! Joint positions come two ways: the robot built from the character through
//! `robots::body_poses` (Z-up, quaternions), and a second forward-kinematics path written here
//! straight from DeepMimic's definition (`cKinTree`: 4x4 matrices in Y-up, parent times
//! `Trans(attach) * rotation`, read from the raw JSON) and turned into Z-up at the end.

use nalgebra::{Matrix4, Quaternion, UnitQuaternion, Vector3, Vector4};
use robots::motion::{Character, MotionClip, PdController, character_robot};
use robots::{RobotSpec, body_poses};
use std::path::PathBuf;

fn deepmimic(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/thirdparty/deepmimic")
        .join(rel)
}

const HUMANOID_CLIPS: [&str; 5] = ["walk", "run", "jump", "spinkick", "backflip"];
const DOG_CLIPS: [&str; 2] = ["trot", "pace"];

fn load(character: &str, clip: &str) -> (Character, RobotSpec, MotionClip) {
    let c = Character::from_file(&deepmimic(&format!("characters/{character}.txt"))).unwrap();
    let ctrl = PdController::from_file(
        &deepmimic(&format!("controllers/{character}_phase_rot_ctrl.txt")),
        &c,
    )
    .unwrap();
    let spec = character_robot(&c, &ctrl).unwrap();
    let clip =
        MotionClip::from_file(&deepmimic(&format!("motions/{character}_{clip}.txt")), &c).unwrap();
    (c, spec, clip)
}

/// Every joint's world position (Z-up) from the robot's forward kinematics.
fn joint_positions(
    c: &Character,
    spec: &RobotSpec,
    root: nalgebra::Isometry3<f64>,
    q: &[f64],
) -> Vec<Vector3<f64>> {
    let poses = body_poses(spec, root, q).expect("q fits the robot");
    c.joints
        .iter()
        .map(|j| {
            let (body, link) = spec.find_link(&j.name).expect("every joint is a link");
            (poses[body] * link).translation.vector
        })
        .collect()
}

/// The second path: DeepMimic's kinematic tree on the raw Y-up numbers of one frame.
fn deepmimic_fk(raw_joints: &[serde_json::Value], frame: &[f64]) -> Vec<Vector3<f64>> {
    let num = |j: &serde_json::Value, k: &str| j[k].as_f64().unwrap_or(0.0);
    let translate = |x: f64, y: f64, z: f64| {
        let mut m = Matrix4::identity();
        m[(0, 3)] = x;
        m[(1, 3)] = y;
        m[(2, 3)] = z;
        m
    };
    let rotate = |w: f64, x: f64, y: f64, z: f64| {
        UnitQuaternion::from_quaternion(Quaternion::new(w, x, y, z)).to_homogeneous()
    };
    let mut world: Vec<Matrix4<f64>> = Vec::new();
    let mut at = 8;
    for j in raw_joints {
        let parent = j["Parent"].as_i64().unwrap();
        let attach = translate(num(j, "AttachX"), num(j, "AttachY"), num(j, "AttachZ"));
        let m = if parent < 0 {
            // The clip's root is in world coordinates (the root's attach offset is not applied).
            translate(frame[1], frame[2], frame[3]) * rotate(frame[4], frame[5], frame[6], frame[7])
        } else {
            let local = match j["Type"].as_str().unwrap() {
                "spherical" => {
                    at += 4;
                    rotate(frame[at - 4], frame[at - 3], frame[at - 2], frame[at - 1])
                }
                "revolute" => {
                    at += 1;
                    let (s, c) = (0.5 * frame[at - 1]).sin_cos();
                    rotate(c, 0.0, 0.0, s) // about DeepMimic's z
                }
                _ => Matrix4::identity(),
            };
            world[parent as usize] * attach * local
        };
        world.push(m);
    }
    world
        .iter()
        .map(|m| {
            let p: Vector4<f64> = m.column(3).into();
            Vector3::new(p.x, -p.z, p.y) // Y-up to Z-up
        })
        .collect()
}

#[test]
fn every_clip_loads_with_its_keyframes_and_length() {
    // (clip, keyframes, cycle length in s), counted from the files.
    let expected = [
        ("humanoid3d", "walk", 39, 1.266616),
        ("humanoid3d", "run", 25, 0.799968),
        ("humanoid3d", "jump", 107, 1.766596),
        ("humanoid3d", "spinkick", 78, 1.283282),
        ("humanoid3d", "backflip", 29, 1.75),
        ("dog3d", "trot", 32, 0.516668),
        ("dog3d", "pace", 39, 0.633335),
    ];
    for (character, name, frames, seconds) in expected {
        let (_, spec, clip) = load(character, name);
        assert_eq!(clip.frames.len(), frames, "{name}");
        assert!(
            (clip.duration() - seconds).abs() < 1e-5,
            "{name}: {}",
            clip.duration()
        );
        assert!(clip.frames.iter().all(|f| f.q.len() == spec.nq()), "{name}");
    }
}

#[test]
fn the_robot_joints_match_deepmimics_kinematic_tree_in_every_frame() {
    for (character, clips) in [
        ("humanoid3d", &HUMANOID_CLIPS[..]),
        ("dog3d", &DOG_CLIPS[..]),
    ] {
        let raw: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(deepmimic(&format!("characters/{character}.txt"))).unwrap(),
        )
        .unwrap();
        let raw_joints = raw["Skeleton"]["Joints"].as_array().unwrap();
        for name in clips {
            let (c, spec, clip) = load(character, name);
            let raw_clip: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(deepmimic(&format!("motions/{character}_{name}.txt")))
                    .unwrap(),
            )
            .unwrap();
            let mut worst = 0.0f64;
            for (f, frame) in clip.frames.iter().enumerate() {
                let numbers: Vec<f64> = raw_clip["Frames"][f]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect();
                let root = nalgebra::Isometry3::from_parts(frame.root_pos.into(), frame.root_rot);
                let ours = joint_positions(&c, &spec, root, &frame.q);
                let theirs = deepmimic_fk(raw_joints, &numbers);
                for (a, b) in ours.iter().zip(&theirs) {
                    worst = worst.max((a - b).norm());
                }
            }
            // The files' quaternions are written to 6 decimals and renormalised on our side
            // only, so the two paths differ by that rounding.
            assert!(
                worst < 1e-5,
                "{character} {name}: joints differ by {worst} m"
            );
        }
    }
}

#[test]
fn bone_lengths_stay_the_character_files_in_every_frame_and_between_frames() {
    for (character, clips) in [
        ("humanoid3d", &HUMANOID_CLIPS[..]),
        ("dog3d", &DOG_CLIPS[..]),
    ] {
        for name in clips {
            let (c, spec, clip) = load(character, name);
            // Keyframes and blended poses between them (and across cycle boundaries).
            let times = (0..400).map(|k| k as f64 * clip.duration() * 3.0 / 400.0);
            for t in times {
                let pose = clip.pose_at(t);
                let p = joint_positions(&c, &spec, pose.root_pose(), &pose.q);
                for (j, joint) in c.joints.iter().enumerate().skip(1) {
                    let parent = joint.parent.unwrap();
                    let bone = (p[j] - p[parent]).norm();
                    let file = joint.attach.translation.vector.norm();
                    assert!(
                        (bone - file).abs() < 1e-9,
                        "{name} t={t}: {} is {bone} m, file {file} m",
                        joint.name
                    );
                }
            }
        }
    }
}

#[test]
fn the_t_pose_puts_the_end_effectors_where_the_file_offsets_add_up() {
    let (c, spec, _) = load("humanoid3d", "walk");
    let p = joint_positions(
        &c,
        &spec,
        nalgebra::Isometry3::identity(),
        &spec.default_q(),
    );
    let at = |name: &str| p[c.joint_index(name).unwrap()];
    // Hand sums of the Y-up attach offsets, written in Z-up as (x, -z, y).
    let ankle_y = -0.421546 - 0.409870;
    assert!((at("right_ankle") - Vector3::new(0.0, -0.084887, ankle_y)).norm() < 1e-12);
    assert!((at("left_ankle") - Vector3::new(0.0, 0.084887, ankle_y)).norm() < 1e-12);
    let wrist_up = 0.236151 + 0.24350 - 0.274788 - 0.258947;
    assert!((at("right_wrist") - Vector3::new(-0.02405, -0.18311, wrist_up)).norm() < 1e-12);
    assert!((at("neck") - Vector3::new(0.0, 0.0, 0.236151 + 0.223894)).norm() < 1e-12);
    assert_eq!(
        c.joints.iter().filter(|j| j.end_effector).count(),
        4,
        "ankles and wrists"
    );
}

#[test]
fn the_walk_plays_forward_for_fifteen_cycles_carrying_the_root_over() {
    let (c, spec, clip) = load("humanoid3d", "walk");
    let period = clip.duration();
    let (first, last) = (&clip.frames[0], clip.frames.last().unwrap());
    let shift = clip.cycle_shift();
    assert!(
        (shift - Vector3::new(1.23859, 0.0, 0.0)).norm() < 1e-9,
        "{shift:?}"
    );
    let at = |root: Vector3<f64>, rot, q: &[f64]| {
        joint_positions(
            &c,
            &spec,
            nalgebra::Isometry3::from_parts(root.into(), rot),
            q,
        )
    };
    for cycle in 1..=15 {
        let t = cycle as f64 * period;
        let k = cycle as f64;
        // Just before the boundary: the last keyframe, shifted k - 1 times; just after: the
        // first, shifted k times.
        for (pose, frame, shifts) in [
            (clip.pose_at(t - 1e-9), last, k - 1.0),
            (clip.pose_at(t + 1e-9), first, k),
        ] {
            let ours = joint_positions(&c, &spec, pose.root_pose(), &pose.q);
            let expected = at(frame.root_pos + shift * shifts, frame.root_rot, &frame.q);
            let worst = ours
                .iter()
                .zip(&expected)
                .map(|(a, b)| (a - b).norm())
                .fold(0.0, f64::max);
            assert!(worst < 1e-6, "cycle {cycle}: {worst} m");
        }
    }
    // The walk heads along +x at its height.
    let pose = clip.pose_at(15.0 * period + 0.1);
    assert!(
        pose.root_pos.x > 15.0 * 1.2 && pose.root_pos.y.abs() < 0.05,
        "{:?}",
        pose.root_pos
    );
    assert!((pose.root_pos.z - 0.85).abs() < 0.05);
}

#[test]
fn the_robots_are_the_character_files_masses_and_gains() {
    let (c, spec, _) = load("humanoid3d", "walk");
    assert!((spec.total_mass() - c.bodies.iter().map(|b| b.mass).sum::<f64>()).abs() < 1e-12);
    assert!(
        (spec.total_mass() - 45.0).abs() < 1e-9,
        "{}",
        spec.total_mass()
    );
    assert_eq!(spec.num_joints(), 12, "the wrists are welded");
    assert_eq!(spec.nq(), 36);
    assert_eq!(spec.nv(), 28);
    let gains = |name: &str| {
        let j = &spec.joints[spec.joint_index(name).unwrap()];
        (j.stiffness, j.damping)
    };
    // The table.
    assert_eq!(gains("chest"), (1000.0, 100.0));
    assert_eq!(gains("neck"), (100.0, 10.0));
    assert_eq!(gains("right_hip"), (500.0, 50.0));
    assert_eq!(gains("left_knee"), (500.0, 50.0));
    assert_eq!(gains("right_ankle"), (400.0, 40.0));
    assert_eq!(gains("left_shoulder"), (400.0, 40.0));
    assert_eq!(gains("right_elbow"), (300.0, 30.0));
    assert_eq!(spec.terminate_contacts, ["root", "chest", "neck"]);
    let (_, dog, _) = load("dog3d", "trot");
    assert_eq!(dog.num_joints(), 22);
}

/// Pearson correlation of two series.
fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

#[test]
fn the_dog_trot_retargeted_onto_the_quadruped_keeps_its_feet_and_its_gait() {
    use robots::motion::{Retargeting, retarget_clip};
    let (dog, dog_spec, trot) = load("dog3d", "trot");
    let robot = robots::load_builtin_or_path("quadruped").unwrap();
    let (clip, report) = retarget_clip(
        &dog,
        &dog_spec,
        &trot,
        &robot,
        &Retargeting::dog3d_to_legged_gym(),
    )
    .unwrap();
    assert!(report.max_foot_error_m < 0.01, "{report:?}");
    assert!(report.scale > 0.5 && report.scale < 1.0, "{report:?}");
    assert_eq!(clip.frames.len(), trot.frames.len());
    // Foot heights over the clip: the robot's against the dog's (scaled), and the gait.
    let dog_feet = ["left_finger", "right_finger", "left_toe", "right_toe"];
    let robot_feet = ["FL_foot", "FR_foot", "RL_foot", "RR_foot"];
    let mut dog_h = vec![Vec::new(); 4];
    let mut robot_h = vec![Vec::new(); 4];
    for (df, rf) in trot.frames.iter().zip(&clip.frames) {
        let dp = body_poses(
            &dog_spec,
            nalgebra::Isometry3::from_parts(df.root_pos.into(), df.root_rot),
            &df.q,
        )
        .unwrap();
        let rp = body_poses(
            &robot,
            nalgebra::Isometry3::from_parts(rf.root_pos.into(), rf.root_rot),
            &rf.q,
        )
        .unwrap();
        for k in 0..4 {
            let (b, p) = dog_spec.find_link(dog_feet[k]).unwrap();
            dog_h[k].push((dp[b] * p).translation.z);
            let (b, p) = robot.find_link(robot_feet[k]).unwrap();
            robot_h[k].push((rp[b] * p).translation.z);
        }
    }
    for k in 0..4 {
        let c = correlation(&dog_h[k], &robot_h[k]);
        assert!(
            c > 0.99,
            "{}: robot and dog foot heights correlate {c}",
            robot_feet[k]
        );
    }
    // A trot: diagonal feet swing together (FL with RR, FR with RL), neighbours do not.
    assert!(correlation(&robot_h[0], &robot_h[3]) > 0.5);
    assert!(correlation(&robot_h[1], &robot_h[2]) > 0.5);
    assert!(correlation(&robot_h[0], &robot_h[1]) < 0.0);
    // The clip round-trips through the robot-clip format.
    let text = clip.to_robot_clip_json("quadruped");
    let back = robots::motion::MotionClip::from_robot_clip_str(
        &text,
        std::path::Path::new("t.json"),
        &robot,
    )
    .unwrap();
    assert_eq!(back.frames.len(), clip.frames.len());
    for (a, b) in back.frames.iter().zip(&clip.frames) {
        assert!((a.root_pos - b.root_pos).norm() < 1e-5);
        assert!(a.q.iter().zip(&b.q).all(|(x, y)| (x - y).abs() < 1e-5));
    }
}
