//! DeepMimic character files (`humanoid3d.txt`, `dog3d.txt`): a joint tree with offsets, limits
//! and torque limits, and one collision body per joint, read into Z-up.
//!
//! Facts of the format (DeepMimic's `cKinTree`): joint `i` moves body `i`; a joint's frame is
//! its parent's frame times `Trans(Attach) * RotZYX(AttachTheta)` times the joint's own motion
//! (spherical: a quaternion; revolute: an angle about the joint's z axis; fixed: none); the root
//! joint's motion is the clip's root position and rotation. A body sits in its joint's frame at
//! `Trans(Attach) * RotZYX(AttachTheta)`; its shape `Param0..2` are a sphere's diameter, a
//! capsule's or cylinder's diameter and cylinder length along the body's y axis, or a box's
//! full side lengths.

use super::axes;
use super::json::{Fields, read_json};
use crate::error::RobotError;
use crate::spec::Shape;
use nalgebra::{Isometry3, Translation3, UnitQuaternion, Vector3};
use std::path::{Path, PathBuf};

/// How a character joint moves its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharacterJointKind {
    /// The root: six free degrees of freedom, set by the clip's root position and rotation.
    Root,
    /// A ball joint: a quaternion `w, x, y, z` in a clip frame.
    Spherical,
    /// A hinge about the joint frame's DeepMimic z axis (embody's -y after conversion): one angle.
    Revolute,
    /// Welded to its parent: nothing in a clip frame.
    Fixed,
}

impl CharacterJointKind {
    /// Entries of this joint in a clip frame (the root's 7 are not counted here).
    pub fn frame_width(self) -> usize {
        match self {
            Self::Spherical => 4,
            Self::Revolute => 1,
            Self::Root | Self::Fixed => 0,
        }
    }
}

/// One joint of a character, in Z-up.
#[derive(Debug, Clone, PartialEq)]
pub struct CharacterJoint {
    /// Joint name, e.g. `right_knee`.
    pub name: String,
    /// How it moves.
    pub kind: CharacterJointKind,
    /// Index of the parent joint; `None` for the root.
    pub parent: Option<usize>,
    /// The joint frame in the parent joint's frame at zero motion (Z-up).
    pub attach: Isometry3<f64>,
    /// Limits per degree of freedom as written (`LimLow0/LimHigh0`, ...; a revolute joint has
    /// one, a spherical one three Euler-angle ranges).
    pub limits: Vec<(f64, f64)>,
    /// Torque limit (N·m).
    pub torque_limit: f64,
    /// Whether DeepMimic scores this joint in the end-effector reward term.
    pub end_effector: bool,
    /// The joint's weight in DeepMimic's pose difference (`DiffWeight`).
    pub diff_weight: f64,
}

/// The rigid body a joint moves.
#[derive(Debug, Clone, PartialEq)]
pub struct CharacterBody {
    /// Body name (DeepMimic names each body after its joint).
    pub name: String,
    /// Mass (kg).
    pub mass: f64,
    /// Collision shape (embody's axis conventions: capsules and cylinders along local z).
    pub shape: Shape,
    /// Pose of the shape (and the body's centre of mass) in the joint frame (Z-up).
    pub origin_j: Isometry3<f64>,
    /// Whether touching the ground with this body counts as a fall (`EnableFallContact`).
    pub fall_contact: bool,
}

/// A DeepMimic character: joints in file order (root first) and one body per joint.
#[derive(Debug, Clone, PartialEq)]
pub struct Character {
    /// The file it was read from.
    pub path: PathBuf,
    /// Joints in file order; `joints[i].parent < i`.
    pub joints: Vec<CharacterJoint>,
    /// `bodies[i]` is moved by `joints[i]`.
    pub bodies: Vec<CharacterBody>,
}

impl Character {
    /// Reads a character file.
    pub fn from_file(path: &Path) -> Result<Self, RobotError> {
        Self::from_json(&read_json(path)?, path)
    }

    /// Reads a character from JSON text; `path` names it in errors.
    pub fn from_json_str(text: &str, path: &Path) -> Result<Self, RobotError> {
        Self::from_json(&super::json::parse_json(text, path)?, path)
    }

    fn from_json(root: &serde_json::Value, path: &Path) -> Result<Self, RobotError> {
        let top = Fields::new(root, path, "<file>")?;
        let skeleton = Fields::new(top.get("Skeleton")?, path, "Skeleton")?;
        let joint_values = skeleton.array("Joints")?;
        let body_values = top.array("BodyDefs")?;
        if joint_values.is_empty() {
            return Err(skeleton.error("'Joints' is empty"));
        }
        let mut joints = Vec::with_capacity(joint_values.len());
        for (i, value) in joint_values.iter().enumerate() {
            joints.push(read_joint(value, path, i, &joints)?);
        }
        if body_values.len() != joints.len() {
            return Err(top.error(format!(
                "{} BodyDefs for {} joints: DeepMimic gives every joint one body",
                body_values.len(),
                joints.len()
            )));
        }
        let bodies = body_values
            .iter()
            .enumerate()
            .map(|(i, v)| read_body(v, path, i, &joints[i].name))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            path: path.to_path_buf(),
            joints,
            bodies,
        })
    }

    /// Entries of one clip frame for this character: duration, root position (3), root
    /// quaternion (4), then each joint's entries.
    pub fn frame_width(&self) -> usize {
        1 + 7
            + self
                .joints
                .iter()
                .map(|j| j.kind.frame_width())
                .sum::<usize>()
    }

    /// Index of the joint called `name`.
    pub fn joint_index(&self, name: &str) -> Option<usize> {
        self.joints.iter().position(|j| j.name == name)
    }

    /// The joints that move (spherical and revolute), in file order: the joints of the
    /// [`crate::RobotSpec`] built from this character and of a clip pose's `q`.
    pub fn moving_joints(&self) -> impl Iterator<Item = (usize, &CharacterJoint)> {
        self.joints.iter().enumerate().filter(|(_, j)| {
            matches!(
                j.kind,
                CharacterJointKind::Spherical | CharacterJointKind::Revolute
            )
        })
    }
}

fn read_joint(
    value: &serde_json::Value,
    path: &Path,
    index: usize,
    earlier: &[CharacterJoint],
) -> Result<CharacterJoint, RobotError> {
    let mut f = Fields::new(value, path, format!("joint {index}"))?;
    let name = f.string("Name")?.to_string();
    f.element = format!("joint {index} '{name}'");
    let id = f.integer("ID")?;
    if id != index as i64 {
        return Err(f.error(format!(
            "has ID {id} at position {index}: joints must be listed in ID order"
        )));
    }
    if earlier.iter().any(|j| j.name == name) {
        return Err(f.error("the name is used by an earlier joint"));
    }
    let parent = f.integer("Parent")?;
    let parent = match parent {
        -1 if index == 0 => None,
        -1 => return Err(f.error("only the first joint may be the root (Parent -1)")),
        p if p >= 0 && (p as usize) < index => Some(p as usize),
        p => {
            return Err(f.error(format!(
                "Parent {p} is not an earlier joint (parents come before their children)"
            )));
        }
    };
    let type_name = f.string("Type")?;
    let kind = match (type_name, parent) {
        (_, None) => CharacterJointKind::Root,
        ("spherical", Some(_)) => CharacterJointKind::Spherical,
        ("revolute", Some(_)) => CharacterJointKind::Revolute,
        ("fixed", Some(_)) => CharacterJointKind::Fixed,
        (other, Some(_)) => {
            return Err(f.error(format!(
                "unknown joint type '{other}' (known: spherical, revolute, fixed; the root has \
                 type none)"
            )));
        }
    };
    let attach_y = read_attach(&f)?;
    let dofs = match kind {
        CharacterJointKind::Spherical => 3,
        CharacterJointKind::Revolute => 1,
        _ => 0,
    };
    let limits = (0..dofs)
        .map(|k| {
            Ok((
                f.number_or(&format!("LimLow{k}"), f64::NEG_INFINITY)?,
                f.number_or(&format!("LimHigh{k}"), f64::INFINITY)?,
            ))
        })
        .collect::<Result<Vec<_>, RobotError>>()?;
    let torque_limit = f.number_or("TorqueLim", f64::INFINITY)?;
    if torque_limit < 0.0 {
        return Err(f.error(format!("TorqueLim {torque_limit} is negative")));
    }
    Ok(CharacterJoint {
        name,
        kind,
        parent,
        // The root's attach offset is not part of the pose: the clip gives the root's world
        // position (dog3d.txt's root has AttachZ 50, which would float the dog 50 m away).
        attach: if parent.is_none() {
            Isometry3::identity()
        } else {
            axes::isometry(attach_y)
        },
        limits,
        torque_limit,
        end_effector: f.number_or("IsEndEffector", 0.0)? != 0.0,
        diff_weight: f.number_or("DiffWeight", 1.0)?,
    })
}

fn read_body(
    value: &serde_json::Value,
    path: &Path,
    index: usize,
    joint_name: &str,
) -> Result<CharacterBody, RobotError> {
    let mut f = Fields::new(value, path, format!("body {index}"))?;
    let name = f.string("Name")?.to_string();
    f.element = format!("body {index} '{name}'");
    if let Some(parent_joint) = value.get("ParentJoint") {
        if parent_joint.as_i64() != Some(index as i64) {
            return Err(f.error(format!(
                "ParentJoint {parent_joint}: body {index} must belong to joint {index} \
                 ('{joint_name}')"
            )));
        }
    }
    let mass = f.number("Mass")?;
    if mass <= 0.0 {
        return Err(f.error(format!("Mass {mass} is not positive")));
    }
    let p = [
        f.number("Param0")?,
        f.number("Param1")?,
        f.number("Param2")?,
    ];
    let shape_name = f.string("Shape")?;
    let needed = match shape_name {
        "sphere" => 1,
        "capsule" | "cylinder" => 2,
        "box" => 3,
        other => {
            return Err(f.error(format!(
                "unknown shape '{other}' (known: sphere, capsule, cylinder, box)"
            )));
        }
    };
    if let Some(k) = (0..needed).find(|&k| p[k] <= 0.0) {
        return Err(f.error(format!(
            "Param{k} {} of a {shape_name} is not positive",
            p[k]
        )));
    }
    // Capsules and cylinders run along DeepMimic's local y, which the conversion turns into z;
    // a box's side lengths along (x, y, z) become (x, z, y).
    let shape = match shape_name {
        "sphere" => Shape::Sphere { radius: 0.5 * p[0] },
        "capsule" => Shape::Capsule {
            radius: 0.5 * p[0],
            length: p[1],
        },
        "cylinder" => Shape::Cylinder {
            radius: 0.5 * p[0],
            length: p[1],
        },
        _ => Shape::Box {
            size: Vector3::new(p[0], p[2], p[1]),
        },
    };
    let origin_y = read_attach(&f)?;
    Ok(CharacterBody {
        name,
        mass,
        shape,
        origin_j: axes::isometry(origin_y),
        fall_contact: f.number_or("EnableFallContact", 1.0)? != 0.0,
    })
}

/// DeepMimic's `Attach*` keys of a joint or body: `Trans(AttachX, Y, Z) * RotZYX(AttachTheta*)`,
/// in Y-up.
fn read_attach(f: &Fields) -> Result<Isometry3<f64>, RobotError> {
    Ok(Isometry3::from_parts(
        Translation3::new(
            f.number("AttachX")?,
            f.number("AttachY")?,
            f.number("AttachZ")?,
        ),
        axes::euler_zyx(
            f.number_or("AttachThetaX", 0.0)?,
            f.number_or("AttachThetaY", 0.0)?,
            f.number_or("AttachThetaZ", 0.0)?,
        ),
    ))
}

/// The rotation of a revolute joint by `angle`, in Z-up (DeepMimic's z axis is embody's -y).
pub fn revolute_rotation(angle: f64) -> UnitQuaternion<f64> {
    UnitQuaternion::from_axis_angle(&-Vector3::y_axis(), angle)
}
