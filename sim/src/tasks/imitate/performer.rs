//! Who performs a clip: a DeepMimic character, or a robot from its own description (a clip
//! retargeted onto it). Either way the task needs the same facts: which points to compare, how
//! they form a skeleton, which are end effectors, and how much each joint weighs.

use robots::RobotSpec;
use robots::motion::{Character, CharacterJointKind};

/// The comparison points and weights of a performer.
#[derive(Debug, Clone, PartialEq)]
pub struct Performer {
    /// Links whose world positions the reward and metrics compare, the root first (a
    /// character's joints; a robot's bodies, then its feet).
    pub sites: Vec<String>,
    /// Each site's parent site (`None` for the root): the skeleton drawn in Rerun.
    pub parents: Vec<Option<usize>>,
    /// Indices into `sites` of the end effectors (a character's `IsEndEffector` joints; a
    /// robot's feet).
    pub end_effectors: Vec<usize>,
    /// Weight of each moving joint (`q` order) in the pose and velocity errors, before
    /// normalisation (a character's `DiffWeight`s; 1 per robot joint).
    pub joint_weights: Vec<f64>,
    /// Weight of the root's rotation and angular velocity.
    pub root_weight: f64,
    /// What the code preset divides the weights by (a character's sum over all its joints,
    /// fixed ones included, as DeepMimic's `CalcJointWeights`).
    pub weight_total: f64,
}

impl Performer {
    /// A DeepMimic character (its robot's joints are its moving joints in file order).
    pub fn from_character(character: &Character) -> Self {
        let moving = character.joints.iter().filter(|j| {
            matches!(
                j.kind,
                CharacterJointKind::Spherical | CharacterJointKind::Revolute
            )
        });
        Self {
            sites: character.joints.iter().map(|j| j.name.clone()).collect(),
            parents: character.joints.iter().map(|j| j.parent).collect(),
            end_effectors: character
                .joints
                .iter()
                .enumerate()
                .filter(|(_, j)| j.end_effector)
                .map(|(i, _)| i)
                .collect(),
            joint_weights: moving.map(|j| j.diff_weight).collect(),
            root_weight: character.joints[0].diff_weight,
            weight_total: character.joints.iter().map(|j| j.diff_weight).sum(),
        }
    }

    /// A robot: its bodies (each body's own link) and its feet; every joint and the root weigh
    /// the same.
    pub fn from_robot(spec: &RobotSpec) -> Self {
        let mut sites: Vec<String> = spec.bodies.iter().map(|b| b.name.clone()).collect();
        let mut parents: Vec<Option<usize>> = spec
            .bodies
            .iter()
            .map(|b| b.parent_joint.map(|j| spec.joints[j].parent))
            .collect();
        let mut end_effectors = Vec::new();
        for foot in &spec.feet {
            end_effectors.push(sites.len());
            sites.push(foot.name.clone());
            parents.push(Some(foot.body));
        }
        let n = spec.joints.len();
        Self {
            sites,
            parents,
            end_effectors,
            joint_weights: vec![1.0; n],
            root_weight: 1.0,
            weight_total: (n + 1) as f64,
        }
    }
}
