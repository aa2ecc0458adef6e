//! Retargeting a legged character's clip onto a legged robot by foot positions.
//!
//! Per keyframe: forward kinematics of the character gives its hips and feet; its trunk frame is
//! the line from the mean of the rear hips to the mean of the front hips (x), levelled by the
//! left-right hip line (y). The robot's base takes the trunk's orientation and the trunk's
//! position scaled by `scale` (the robot's leg length over the character's). Each robot foot is
//! aimed at its own hip plus the character's hip-to-foot vector (scaled), expressed in the trunk
//! frame, and damped-least-squares IK ([`crate::solve_ik`]) moves the leg's joints to reach it.
//! Finally the whole clip is lifted so its lowest collision point touches z = 0.

use super::character::Character;
use super::clip::{ClipFrame, MotionClip};
use crate::error::RobotError;
use crate::ik::{IkTarget, solve_ik};
use crate::kinematics::{body_poses, lowest_point_z_at};
use crate::spec::RobotSpec;
use nalgebra::{Isometry3, Matrix3, Rotation3, Translation3, UnitQuaternion, Vector3};

/// One leg: which character joints it copies and which robot joints reproduce it.
#[derive(Debug, Clone, PartialEq)]
pub struct LegMapping {
    /// The character's joint at the top of the leg (shoulder or hip).
    pub character_hip: String,
    /// The character's foot end effector.
    pub character_foot: String,
    /// The robot's leg joints, top to bottom (abduction, hip, knee); the first joint's child
    /// body origin at zero angles is the robot's hip point.
    pub robot_joints: Vec<String>,
    /// The robot's foot link.
    pub robot_foot: String,
    /// Whether this is a front leg (the trunk's x axis points from the rear hips to the front).
    pub front: bool,
}

/// How one character maps onto one robot.
#[derive(Debug, Clone, PartialEq)]
pub struct Retargeting {
    /// The four legs.
    pub legs: Vec<LegMapping>,
    /// Robot length per character length; `None`: 0.9 x the mean robot leg length over the
    /// mean character leg length (both straight), so a character leg at full stretch leaves
    /// the robot's knee a little bent (a straight knee is a singularity for the IK).
    pub scale: Option<f64>,
}

impl Retargeting {
    /// DeepMimic's dog3d onto a robot with legged_gym's leg names (`FL_hip_joint`,
    /// `FL_thigh_joint`, `FL_calf_joint`, `FL_foot`, ...): the dog's shoulders drive the front
    /// legs, its upper legs the rear ones, its fingers and toes are the feet.
    pub fn dog3d_to_legged_gym() -> Self {
        let leg = |dog_hip: &str, dog_foot: &str, robot: &str, front: bool| LegMapping {
            character_hip: dog_hip.into(),
            character_foot: dog_foot.into(),
            robot_joints: ["hip", "thigh", "calf"]
                .iter()
                .map(|j| format!("{robot}_{j}_joint"))
                .collect(),
            robot_foot: format!("{robot}_foot"),
            front,
        };
        Self {
            legs: vec![
                leg("left_shoulder", "left_finger", "FL", true),
                leg("right_shoulder", "right_finger", "FR", true),
                leg("left_upper_leg", "left_toe", "RL", false),
                leg("right_upper_leg", "right_toe", "RR", false),
            ],
            scale: None,
        }
    }
}

/// How well the retargeted clip reproduces the character's feet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetargetReport {
    /// The scale used.
    pub scale: f64,
    /// Largest distance between a robot foot and its target over all keyframes (m).
    pub max_foot_error_m: f64,
    /// Mean of the same (m).
    pub mean_foot_error_m: f64,
    /// Height the clip was lifted by so its lowest point touches the ground (m).
    pub lift_m: f64,
}

/// Retargets `clip` of `character` (whose robot is `character_spec`, from
/// [`super::character_robot`]) onto `robot`.
pub fn retarget_clip(
    character: &Character,
    character_spec: &RobotSpec,
    clip: &MotionClip,
    robot: &RobotSpec,
    mapping: &Retargeting,
) -> Result<(MotionClip, RetargetReport), RobotError> {
    let bad =
        |element: String, message: String| RobotError::invalid(&robot.source, element, message);
    let char_site = |name: &str| {
        character_spec.find_link(name).ok_or_else(|| {
            RobotError::invalid(
                &character.path,
                format!("joint '{name}'"),
                "is not a joint of the character",
            )
        })
    };
    // Robot leg facts.
    let zero_q = vec![0.0; robot.nq()];
    let robot_zero = body_poses(robot, Isometry3::identity(), &zero_q)
        .ok_or_else(|| bad("<robot>".into(), "cannot run its kinematics".into()))?;
    struct Leg {
        char_hip: (usize, Isometry3<f64>),
        char_foot: (usize, Isometry3<f64>),
        joints: Vec<usize>,
        hip_b: Vector3<f64>,
        foot: (usize, Vector3<f64>),
        robot_len: f64,
        char_len: f64,
        /// The robot's hip relative to its hips' centre, and the character's at its zero pose.
        robot_hip_rel: Vector3<f64>,
        char_hip_rel: Vector3<f64>,
    }
    let mut legs = Vec::new();
    for leg in &mapping.legs {
        let joints = leg
            .robot_joints
            .iter()
            .map(|n| {
                robot.joint_index(n).ok_or_else(|| {
                    bad(format!("joint '{n}'"), "is not a joint of the robot".into())
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let first = &robot.joints[joints[0]];
        let hip_b = robot_zero[first.child].translation.vector;
        let (foot_body, foot_pose) = robot.find_link(&leg.robot_foot).ok_or_else(|| {
            bad(
                format!("link '{}'", leg.robot_foot),
                "is not a link of the robot".into(),
            )
        })?;
        let foot_zero = (robot_zero[foot_body] * foot_pose).translation.vector;
        let char_hip = char_site(&leg.character_hip)?;
        let char_foot = char_site(&leg.character_foot)?;
        let char_zero = body_poses(
            character_spec,
            Isometry3::identity(),
            &character_spec.default_q(),
        )
        .ok_or_else(|| {
            RobotError::invalid(&character.path, "<character>", "cannot run its kinematics")
        })?;
        let at = |(b, p): (usize, Isometry3<f64>)| (char_zero[b] * p).translation.vector;
        legs.push(Leg {
            robot_len: (foot_zero - hip_b).norm(),
            char_len: (at(char_foot) - at(char_hip)).norm(),
            robot_hip_rel: hip_b,
            char_hip_rel: at(char_hip),
            char_hip,
            char_foot,
            joints,
            hip_b,
            foot: (foot_body, foot_pose.translation.vector),
        });
    }
    let scale = mapping.scale.unwrap_or_else(|| {
        0.9 * legs.iter().map(|l| l.robot_len).sum::<f64>()
            / legs.iter().map(|l| l.char_len).sum::<f64>()
    });
    let robot_hip_mid = legs.iter().map(|l| l.hip_b).sum::<Vector3<f64>>() / legs.len() as f64;
    let char_hip_mid =
        legs.iter().map(|l| l.char_hip_rel).sum::<Vector3<f64>>() / legs.len() as f64;
    // Where each robot foot goes relative to the scaled character foot: the difference of the
    // hips' horizontal places (the robot's stance is its own; heights are the character's).
    let foot_shift: Vec<Vector3<f64>> = legs
        .iter()
        .map(|l| {
            let d = (l.robot_hip_rel - robot_hip_mid) - (l.char_hip_rel - char_hip_mid) * scale;
            Vector3::new(d.x, d.y, 0.0)
        })
        .collect();
    let mut q = robot.default_q();
    let mut frames = Vec::with_capacity(clip.frames.len());
    let (mut max_err, mut sum_err, mut count) = (0.0f64, 0.0, 0usize);
    for (f, frame) in clip.frames.iter().enumerate() {
        let poses = body_poses(
            character_spec,
            Isometry3::from_parts(frame.root_pos.into(), frame.root_rot),
            &frame.q,
        )
        .ok_or_else(|| {
            RobotError::invalid(
                &clip.path,
                format!("frame {f}"),
                "does not fit the character",
            )
        })?;
        let at = |(b, p): (usize, Isometry3<f64>)| (poses[b] * p).translation.vector;
        let mean = |pick: &dyn Fn(&LegMapping) -> bool| {
            let chosen: Vec<Vector3<f64>> = mapping
                .legs
                .iter()
                .zip(&legs)
                .filter(|(m, _)| pick(m))
                .map(|(_, l)| at(l.char_hip))
                .collect();
            chosen.iter().sum::<Vector3<f64>>() / chosen.len().max(1) as f64
        };
        let (front, rear) = (mean(&|m| m.front), mean(&|m| !m.front));
        let x = (front - rear).normalize();
        // No roll: the character's shoulder blades move its shoulders up and down with each
        // step, which would rock a rigid robot trunk from side to side.
        let y = Vector3::new(-x.y, x.x, 0.0).normalize();
        let z = x.cross(&y);
        let trunk_rot = UnitQuaternion::from_rotation_matrix(&Rotation3::from_matrix_unchecked(
            Matrix3::from_columns(&[x, y, z]),
        ));
        let trunk_pos = 0.5 * (front + rear);
        let base_pos = trunk_pos * scale - trunk_rot * robot_hip_mid;
        let base = Isometry3::from_parts(Translation3::from(base_pos), trunk_rot);
        let yaw = UnitQuaternion::from_axis_angle(&Vector3::z_axis(), x.y.atan2(x.x));
        for (l, shift) in legs.iter().zip(&foot_shift) {
            let target = at(l.char_foot) * scale + yaw * shift;
            let ik = IkTarget {
                body: l.foot.0,
                point_b: l.foot.1,
                pos_w: target,
                axes: Vec::new(),
                axis_weight: 0.0,
            };
            let solution = solve_ik(robot, &base, &q, &l.joints, &ik, 60)
                .ok_or_else(|| bad("<robot>".into(), "IK could not run".into()))?;
            q = solution.q;
            max_err = max_err.max(solution.position_error);
            sum_err += solution.position_error;
            count += 1;
        }
        frames.push(ClipFrame {
            root_pos: base_pos,
            root_rot: trunk_rot,
            q: q.clone(),
        });
    }
    let lowest = frames
        .iter()
        .filter_map(|f| {
            lowest_point_z_at(
                robot,
                Isometry3::from_parts(f.root_pos.into(), f.root_rot),
                &f.q,
            )
        })
        .fold(f64::INFINITY, f64::min);
    let lift = if lowest.is_finite() { -lowest } else { 0.0 };
    for f in &mut frames {
        f.root_pos.z += lift;
    }
    let out = MotionClip {
        path: clip.path.with_file_name(format!(
            "{}_{}",
            robot.name,
            clip.path
                .file_name()
                .map_or("clip".into(), |n| n.to_string_lossy().into_owned())
        )),
        loop_mode: clip.loop_mode,
        frames,
        times: clip.times.clone(),
        joint_names: robot.joints.iter().map(|j| j.name.clone()).collect(),
        spherical: vec![false; robot.joints.len()],
    };
    Ok((
        out,
        RetargetReport {
            scale,
            max_foot_error_m: max_err,
            mean_foot_error_m: sum_err / count.max(1) as f64,
            lift_m: lift,
        },
    ))
}
