//! The robot description the simulator and the deploy runtime consume.

use nalgebra::{Isometry3, Matrix3, Vector3};
use std::path::PathBuf;

/// A collision or visual primitive, in metres.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A box with full side lengths `size` (x, y, z).
    Box {
        /// Full side lengths.
        size: Vector3<f64>,
    },
    /// A cylinder along the local z axis.
    Cylinder {
        /// Radius.
        radius: f64,
        /// Full length along z.
        length: f64,
    },
    /// A capsule along the local z axis (`length` is the cylindrical part).
    Capsule {
        /// Radius.
        radius: f64,
        /// Length of the cylindrical part along z.
        length: f64,
    },
    /// A sphere.
    Sphere {
        /// Radius.
        radius: f64,
    },
    /// A mesh file reference. The simulator cannot collide with a mesh it cannot load; it skips it
    /// and reports the skip.
    Mesh {
        /// The file name as written in the URDF.
        filename: String,
        /// Per-axis scale.
        scale: Vector3<f64>,
    },
}

/// One collision shape attached to a body.
#[derive(Debug, Clone, PartialEq)]
pub struct CollisionShape {
    /// The shape.
    pub shape: Shape,
    /// Pose of the shape in the body frame.
    pub origin_b: Isometry3<f64>,
    /// The URDF link the shape was declared in (bodies merge links joined by fixed joints).
    pub link: String,
}

/// A rigid body: one URDF link plus every link attached to it through fixed joints.
#[derive(Debug, Clone, PartialEq)]
pub struct BodySpec {
    /// The name of the body's own URDF link.
    pub name: String,
    /// Index into [`RobotSpec::joints`] of the joint that moves this body; `None` for the base.
    pub parent_joint: Option<usize>,
    /// Mass in kg (including merged links).
    pub mass: f64,
    /// Centre of mass in the body frame.
    pub com_b: Vector3<f64>,
    /// Rotational inertia about the centre of mass, body-frame axes, kg·m².
    pub inertia_b: Matrix3<f64>,
    /// Collision shapes in the body frame.
    pub collisions: Vec<CollisionShape>,
    /// Every URDF link that makes up this body, with its pose in the body frame (the body's own
    /// link first, at identity).
    pub links: Vec<(String, Isometry3<f64>)>,
}

/// The kind of an actuated joint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JointKind {
    /// Rotation about an axis, with position limits.
    Revolute,
    /// Rotation about an axis without limits.
    Continuous,
    /// Translation along an axis, with position limits.
    Prismatic,
}

/// An actuated joint, with its limits and control facts.
#[derive(Debug, Clone, PartialEq)]
pub struct JointSpec {
    /// The joint name; the order of [`RobotSpec::joints`] is the order of every joint vector.
    pub name: String,
    /// The kind of joint.
    pub kind: JointKind,
    /// Index of the parent body.
    pub parent: usize,
    /// Index of the child body.
    pub child: usize,
    /// Pose of the child body frame in the parent body frame at joint position zero.
    pub origin_p: Isometry3<f64>,
    /// Unit joint axis in the child (= joint) frame.
    pub axis: Vector3<f64>,
    /// Lower position limit (rad or m); `-inf` for continuous joints.
    pub lower: f64,
    /// Upper position limit (rad or m); `+inf` for continuous joints.
    pub upper: f64,
    /// Effort limit (N·m or N); `+inf` when the URDF gives none.
    pub effort_limit: f64,
    /// Velocity limit (rad/s or m/s); `+inf` when the URDF gives none.
    pub velocity_limit: f64,
    /// Default (standing) position, the PD target for a zero action.
    pub default_position: f64,
    /// PD stiffness Kp (N·m/rad).
    pub stiffness: f64,
    /// PD damping Kd (N·m·s/rad).
    pub damping: f64,
}

/// A foot: a point on a body that touches the ground.
#[derive(Debug, Clone, PartialEq)]
pub struct FootSpec {
    /// The URDF link name of the foot.
    pub name: String,
    /// The body the foot link was merged into.
    pub body: usize,
    /// Position of the foot link's origin in the body frame.
    pub offset_b: Vector3<f64>,
}

/// A complete robot: bodies, actuated joints in a fixed order, and control facts.
#[derive(Debug, Clone, PartialEq)]
pub struct RobotSpec {
    /// Robot name.
    pub name: String,
    /// Where the description came from (URDF path).
    pub source: PathBuf,
    /// Bodies in topological order: the base is body 0 and every parent comes before its children.
    pub bodies: Vec<BodySpec>,
    /// Actuated joints in their fixed order.
    pub joints: Vec<JointSpec>,
    /// Feet, in the order the configuration lists them.
    pub feet: Vec<FootSpec>,
    /// URDF links whose contact with anything but the robot ends an episode.
    pub terminate_contacts: Vec<String>,
    /// URDF links whose contact is penalised (e.g. thighs, calves; feet are their own links).
    pub penalise_contacts: Vec<String>,
    /// Scale from a policy action to a joint-position offset: `target = default + scale * action`.
    pub action_scale: f64,
}

impl RobotSpec {
    /// Number of actuated joints.
    pub fn num_joints(&self) -> usize {
        self.joints.len()
    }

    /// Total mass in kg.
    pub fn total_mass(&self) -> f64 {
        self.bodies.iter().map(|b| b.mass).sum()
    }

    /// Names of the actuated joints in order.
    pub fn joint_names(&self) -> Vec<&str> {
        self.joints.iter().map(|j| j.name.as_str()).collect()
    }

    /// Index of the actuated joint called `name`.
    pub fn joint_index(&self, name: &str) -> Option<usize> {
        self.joints.iter().position(|j| j.name == name)
    }

    /// Index of the body that contains URDF link `link` (its own or merged), with the link's pose
    /// in that body's frame.
    pub fn find_link(&self, link: &str) -> Option<(usize, Isometry3<f64>)> {
        self.bodies.iter().enumerate().find_map(|(i, b)| {
            b.links
                .iter()
                .find(|(name, _)| name == link)
                .map(|(_, pose)| (i, *pose))
        })
    }

    /// Default joint positions in joint order.
    pub fn default_positions(&self) -> Vec<f64> {
        self.joints.iter().map(|j| j.default_position).collect()
    }
}
