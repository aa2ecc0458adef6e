//! A scene description: several articulated robots, free objects and static geometry, as read
//! from one MJCF file. The simulator (`sim::Scene`) builds colliders and joints from it.

use crate::spec::{BodySpec, CollisionShape, RobotSpec};
use nalgebra::{Isometry3, Vector3};
use std::path::PathBuf;

/// A free rigid body (MJCF: a body whose only joint is `free` and that has no jointed
/// descendants), e.g. a cube on a table.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectSpec {
    /// Body name.
    pub name: String,
    /// Mass, inertia and collision shapes (in the body frame); `parent_joint` is `None`.
    pub body: BodySpec,
    /// Initial pose in the world frame.
    pub pose_w: Isometry3<f64>,
    /// Linear and angular velocity damping of the free joint (MJCF joint `damping`; N·s/m).
    pub damping: f64,
}

/// A collision shape welded to the world (MJCF: a geom of the world body or of a body without
/// joints anywhere above it; ground planes, tables, walls).
#[derive(Debug, Clone, PartialEq)]
pub struct StaticGeom {
    /// The shape; its `origin_b` is its pose in the world frame and `link` names the body it was
    /// declared in (`world` for the world body).
    pub collision: CollisionShape,
}

/// A fixed tendon: a length `sum(coef_i * q_i)` over joints of one articulation, and the range
/// it is held in (MJCF `<tendon><fixed>`). The Shadow hand couples each finger's two distal
/// joints with one.
#[derive(Debug, Clone, PartialEq)]
pub struct TendonSpec {
    /// Tendon name.
    pub name: String,
    /// Index into [`SceneSpec::articulations`].
    pub articulation: usize,
    /// `(joint index in that articulation, coefficient)`.
    pub joints: Vec<(usize, f64)>,
    /// The length range when the tendon is limited.
    pub range: Option<(f64, f64)>,
}

/// A pair of bodies whose contacts are ignored (MJCF `<contact><exclude>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactExclude {
    /// First body name.
    pub body1: String,
    /// Second body name.
    pub body2: String,
}

/// A pair of named collision shapes that always collide, whatever their masks say (MJCF
/// `<contact><pair>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactPair {
    /// First geom name.
    pub geom1: String,
    /// Second geom name.
    pub geom2: String,
}

/// A whole scene.
#[derive(Debug, Clone, PartialEq)]
pub struct SceneSpec {
    /// The file it was read from.
    pub source: PathBuf,
    /// Articulated robots: each has a fixed base ([`RobotSpec::fixed_base`]) or a floating one.
    /// Joint default positions hold the initial pose (the first keyframe when the file has one).
    pub articulations: Vec<RobotSpec>,
    /// Initial world pose of each articulation's base (parallel to `articulations`; equal to
    /// `fixed_base` for fixed bases).
    pub base_poses_w: Vec<Isometry3<f64>>,
    /// Free rigid objects.
    pub objects: Vec<ObjectSpec>,
    /// Static geometry.
    pub statics: Vec<StaticGeom>,
    /// Fixed tendons.
    pub tendons: Vec<TendonSpec>,
    /// Body pairs that never collide.
    pub excludes: Vec<ContactExclude>,
    /// Geom pairs that always collide.
    pub pairs: Vec<ContactPair>,
    /// Physics time step from the file (MJCF `option timestep`; MuJoCo's default 0.002 s).
    pub timestep: f64,
    /// Gravity, world frame (m/s²).
    pub gravity: Vector3<f64>,
    /// What the file says that the simulator does not reproduce (e.g. an actuator kind it does
    /// not model, joint armature), one line each, for commands to report.
    pub notes: Vec<String>,
}

impl SceneSpec {
    /// The articulation called `name`.
    pub fn articulation(&self, name: &str) -> Option<(usize, &RobotSpec)> {
        self.articulations
            .iter()
            .enumerate()
            .find(|(_, a)| a.name == name)
    }

    /// The object called `name`.
    pub fn object(&self, name: &str) -> Option<(usize, &ObjectSpec)> {
        self.objects
            .iter()
            .enumerate()
            .find(|(_, o)| o.name == name)
    }

    /// `(articulation, joint)` of the joint called `name` anywhere in the scene.
    pub fn find_joint(&self, name: &str) -> Option<(usize, usize)> {
        self.articulations
            .iter()
            .enumerate()
            .find_map(|(a, spec)| spec.joint_index(name).map(|j| (a, j)))
    }
}
