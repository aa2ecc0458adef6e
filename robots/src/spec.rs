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
    /// An ellipsoid with semi-axes `radii` along the local x, y and z axes (MJCF `ellipsoid`).
    Ellipsoid {
        /// Semi-axis lengths.
        radii: Vector3<f64>,
    },
    /// An infinite plane through the origin with normal +z (MJCF `plane`; static geometry only).
    Plane,
    /// A mesh file reference. The simulator collides with the mesh's convex hull (as MuJoCo does);
    /// a URDF mesh whose file is missing is skipped and the skip reported, while the MJCF importer
    /// refuses a missing mesh.
    Mesh {
        /// The file name: as written in a URDF; resolved to a path by the MJCF importer.
        filename: String,
        /// Per-axis scale.
        scale: Vector3<f64>,
    },
}

/// Which colliders a collider may touch, as MuJoCo's bit masks: two shapes collide when
/// `(a.contype & b.conaffinity) != 0 || (b.contype & a.conaffinity) != 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactMask {
    /// MuJoCo `contype`.
    pub contype: u32,
    /// MuJoCo `conaffinity`.
    pub conaffinity: u32,
}

impl Default for ContactMask {
    /// MuJoCo's default: `contype = conaffinity = 1`, so everything collides.
    fn default() -> Self {
        Self {
            contype: 1,
            conaffinity: 1,
        }
    }
}

impl ContactMask {
    /// Whether the shape takes part in collisions at all.
    pub fn collides(&self) -> bool {
        self.contype != 0 || self.conaffinity != 0
    }

    /// MuJoCo's rule for a pair.
    pub fn allows(&self, other: &ContactMask) -> bool {
        (self.contype & other.conaffinity) != 0 || (other.contype & self.conaffinity) != 0
    }
}

/// One collision shape attached to a body.
#[derive(Debug, Clone, PartialEq)]
pub struct CollisionShape {
    /// The shape.
    pub shape: Shape,
    /// Pose of the shape in the body frame.
    pub origin_b: Isometry3<f64>,
    /// The URDF link (or MJCF body) the shape was declared in (bodies merge links joined by fixed
    /// joints).
    pub link: String,
    /// The shape's own name (MJCF geom name; empty when unnamed or from a URDF).
    pub name: String,
    /// Contact filtering bits (URDF shapes get MuJoCo's default).
    pub mask: ContactMask,
    /// Sliding friction coefficient from the file (`None`: the simulator's setting).
    pub friction: Option<f64>,
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
    /// A ball joint: free rotation about a point (3 degrees of freedom). Its position is a unit
    /// quaternion (4 values `w, x, y, z` in position vectors), its velocity the angular velocity of
    /// the child relative to the parent in the child frame (3 values), its action a rotation vector
    /// (3 values); the PD target is a quaternion tracked on all three axes.
    Spherical,
}

impl JointKind {
    /// Entries of this joint in a position vector (`nq`): 4 for a ball joint, else 1.
    pub fn nq(self) -> usize {
        if self == Self::Spherical { 4 } else { 1 }
    }

    /// Entries of this joint in velocity and action vectors (`nv`): 3 for a ball joint, else 1.
    pub fn nv(self) -> usize {
        if self == Self::Spherical { 3 } else { 1 }
    }
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
    /// Pose of the child body frame in the parent body frame at joint position zero. For a
    /// spherical joint the rotation centre is the child frame's origin.
    pub origin_p: Isometry3<f64>,
    /// Unit joint axis in the child (= joint) frame (unused by spherical joints).
    pub axis: Vector3<f64>,
    /// Lower position limit (rad or m); `-inf` for continuous joints.
    pub lower: f64,
    /// Upper position limit (rad or m); `+inf` for continuous joints.
    pub upper: f64,
    /// Effort limit (N·m or N); `+inf` when the URDF gives none.
    pub effort_limit: f64,
    /// Velocity limit (rad/s or m/s); `+inf` when the URDF gives none.
    pub velocity_limit: f64,
    /// Default (standing) position, the PD target for a zero action (spherical joints: unused,
    /// see [`JointSpec::default_rotation`]).
    pub default_position: f64,
    /// Default rotation `[w, x, y, z]` of a spherical joint (identity for other kinds).
    pub default_rotation: [f64; 4],
    /// PD stiffness Kp (N·m/rad).
    pub stiffness: f64,
    /// PD damping Kd (N·m·s/rad); for an unactuated joint (zero stiffness), its passive
    /// damping.
    pub damping: f64,
    /// Dry friction (N·m or N; MJCF `frictionloss`). The simulator applies it to unactuated
    /// joints only (an actuated joint's motor is busy with PD).
    pub friction_loss: f64,
    /// This joint's action scale; `None` uses [`RobotSpec::action_scale`].
    pub action_scale: Option<f64>,
    /// The range the PD target is clamped into (MJCF actuator `ctrlrange`); `None` uses the
    /// joint limits.
    pub target_range: Option<(f64, f64)>,
}

impl JointSpec {
    /// A joint with no limits, zero gains and a zero default, for importers to fill in.
    pub fn new(
        name: impl Into<String>,
        kind: JointKind,
        parent: usize,
        child: usize,
        origin_p: Isometry3<f64>,
        axis: Vector3<f64>,
    ) -> Self {
        Self {
            name: name.into(),
            kind,
            parent,
            child,
            origin_p,
            axis,
            lower: f64::NEG_INFINITY,
            upper: f64::INFINITY,
            effort_limit: f64::INFINITY,
            velocity_limit: f64::INFINITY,
            default_position: 0.0,
            default_rotation: [1.0, 0.0, 0.0, 0.0],
            stiffness: 0.0,
            damping: 0.0,
            friction_loss: 0.0,
            action_scale: None,
            target_range: None,
        }
    }
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
    /// Scale from a policy action to a joint-position offset: `target = default + scale * action`
    /// (per joint where [`JointSpec::action_scale`] says so).
    pub action_scale: f64,
    /// `None`: a floating base (6 free degrees of freedom). `Some(pose)`: the base is welded to
    /// the world at `pose` (world frame), as for an arm on a table.
    pub fixed_base: Option<Isometry3<f64>>,
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

    /// Default joint positions in joint order (one value per joint; 0 for spherical joints).
    pub fn default_positions(&self) -> Vec<f64> {
        self.joints.iter().map(|j| j.default_position).collect()
    }

    /// Length of a position vector: 4 per spherical joint, 1 per other joint.
    pub fn nq(&self) -> usize {
        self.joints.iter().map(|j| j.kind.nq()).sum()
    }

    /// Length of velocity and action vectors: 3 per spherical joint, 1 per other joint.
    pub fn nv(&self) -> usize {
        self.joints.iter().map(|j| j.kind.nv()).sum()
    }

    /// Whether any joint is spherical (position, velocity and action vectors then differ in
    /// length from the joint count).
    pub fn has_spherical_joints(&self) -> bool {
        self.joints.iter().any(|j| j.kind == JointKind::Spherical)
    }

    /// The action scale of joint `k`.
    pub fn joint_action_scale(&self, k: usize) -> f64 {
        self.joints
            .get(k)
            .and_then(|j| j.action_scale)
            .unwrap_or(self.action_scale)
    }

    /// The default position vector (`[nq]`): default positions, and default rotations
    /// `w, x, y, z` for spherical joints.
    pub fn default_q(&self) -> Vec<f64> {
        let mut q = Vec::with_capacity(self.nq());
        for j in &self.joints {
            if j.kind == JointKind::Spherical {
                q.extend_from_slice(&j.default_rotation);
            } else {
                q.push(j.default_position);
            }
        }
        q
    }
}
