//! gym-aloha's two tasks on the rig: which scene, how objects are placed at reset, and the
//! reward levels 1-4 read from contacts (success = 4).
//!
//! Levels as gym-aloha defines them (facts in `../shared/thirdparty/README.md`):
//! - transfer cube: 1 the right gripper touches the box, 2 it is lifted off the table, 3 the left
//!   gripper touches it, 4 the left gripper holds it off the table;
//! - insertion: 1 both grippers touch their object (left the socket, right the peg), 2 both are
//!   lifted, 3 the peg touches the socket in the air, 4 the peg touches the pin.

use super::rig::{AlohaRig, Side};
use crate::error::SimError;
use crate::scene::Scene;
use rand::RngExt;
use rapier3d::prelude::ColliderHandle;
use serde::{Deserialize, Serialize};

/// One of gym-aloha's tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlohaTask {
    /// The right arm picks up the cube and hands it to the left.
    TransferCube,
    /// The arms pick up a peg and a socket and insert the peg into the socket in the air.
    Insertion,
}

/// The reward level that counts as success.
pub const SUCCESS_LEVEL: u8 = 4;

/// Where the transfer cube is handed over (world frame, m): above the table's centre line.
pub const HANDOVER_POINT: [f32; 3] = [0.0, 0.5, 0.25];
/// Where the peg's centre is when its end touches the pin, in the socket's frame (m): the pin
/// ends 4 cm from the socket's centre and the peg is 12 cm long.
pub const PEG_AT_PIN: [f32; 3] = [0.10, 0.0, 0.0];

/// Who grasps what in a task's two reward stages (object indices in [`AlohaTask::objects`]
/// order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stages {
    /// Stage 1: the arms that must grasp and lift an object, with the object.
    pub grasp: &'static [(Side, usize)],
    /// Stage 2: arms that join once stage 1 holds, with the object they reach for.
    pub join: &'static [(Side, usize)],
    /// The object stage 2 moves to its goal.
    pub goal_object: usize,
}

impl AlohaTask {
    /// Every task, in the order of the task id in observations.
    pub const ALL: [AlohaTask; 2] = [AlohaTask::TransferCube, AlohaTask::Insertion];

    /// Position in [`AlohaTask::ALL`] (the task id).
    pub fn id(self) -> usize {
        self as usize
    }

    /// The task's reward stages.
    pub fn stages(self) -> Stages {
        match self {
            AlohaTask::TransferCube => Stages {
                grasp: &[(Side::Right, 0)],
                join: &[(Side::Left, 0)],
                goal_object: 0,
            },
            AlohaTask::Insertion => Stages {
                grasp: &[(Side::Left, 1), (Side::Right, 0)],
                join: &[],
                goal_object: 0,
            },
        }
    }

    /// The goal position of the stage-2 object (world frame) given the objects' poses
    /// (`[x, y, z]` and `[w, x, y, z]` each): the hand-over point for the cube, the pin for the
    /// peg.
    pub fn goal(self, positions: &[[f32; 3]], rotations: &[[f32; 4]]) -> [f32; 3] {
        match self {
            AlohaTask::TransferCube => HANDOVER_POINT,
            AlohaTask::Insertion => {
                let [w, x, y, z] = rotations[1];
                let r = nalgebra::UnitQuaternion::from_quaternion(nalgebra::Quaternion::new(
                    w, x, y, z,
                ));
                let p =
                    nalgebra::Vector3::from(positions[1]) + r * nalgebra::Vector3::from(PEG_AT_PIN);
                [p.x, p.y, p.z]
            }
        }
    }
    /// The task's name in configs and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            AlohaTask::TransferCube => "transfer_cube",
            AlohaTask::Insertion => "insertion",
        }
    }

    /// The scene file's name in the ALOHA folder (joint position control).
    pub fn scene_file(self) -> &'static str {
        match self {
            AlohaTask::TransferCube => "bimanual_viperx_transfer_cube.xml",
            AlohaTask::Insertion => "bimanual_viperx_insertion.xml",
        }
    }

    /// The task's objects, in the order [`AlohaTask::sample_positions`] places them.
    pub fn objects(self) -> &'static [&'static str] {
        match self {
            AlohaTask::TransferCube => &["box"],
            AlohaTask::Insertion => &["peg", "socket"],
        }
    }

    /// The objects' centre heights when resting upright on the table (m): the 4 cm cube, the
    /// 2 cm thick peg, the socket whose lower wall reaches 2.2 cm below its centre.
    pub fn rest_heights(self) -> &'static [f32] {
        match self {
            AlohaTask::TransferCube => &[0.02],
            AlohaTask::Insertion => &[0.01, 0.022],
        }
    }

    /// Start positions of the objects (world frame, m), drawn as gym-aloha draws them: the cube
    /// at x in [0, 0.2], y in [0.4, 0.6]; the peg at x in [0.1, 0.2] and the socket at x in
    /// [-0.2, -0.1], both at y in [0.4, 0.6]; all at z = 0.05, upright.
    pub fn sample_positions(self, rng: &mut impl rand::Rng) -> Vec<[f32; 3]> {
        let mut at = |x: (f32, f32)| {
            [
                rng.random_range(x.0..x.1),
                rng.random_range(0.4f32..0.6),
                0.05,
            ]
        };
        match self {
            AlohaTask::TransferCube => vec![at((0.0, 0.2))],
            AlohaTask::Insertion => {
                let peg = at((0.1, 0.2));
                vec![peg, at((-0.2, -0.1))]
            }
        }
    }
}

/// The colliders a task's reward reads, found once per scene.
#[derive(Debug, Clone)]
pub struct TaskContacts {
    task: AlohaTask,
    table: ColliderHandle,
    /// Transfer cube: the box. Insertion: the peg.
    object: ColliderHandle,
    /// Insertion: the socket's four walls.
    socket: Vec<ColliderHandle>,
    /// Insertion: the pin inside the socket.
    pin: Option<ColliderHandle>,
}

impl TaskContacts {
    /// Finds the task's colliders in `scene` by their MJCF geom names.
    pub fn new(scene: &Scene, task: AlohaTask) -> Result<Self, SimError> {
        let geom = |name: &str| {
            scene.collider_named(name).ok_or_else(|| SimError::Config {
                key: format!("scene: geom '{name}'"),
                message: format!("the {} scene has no geom of that name", task.name()),
            })
        };
        Ok(match task {
            AlohaTask::TransferCube => Self {
                task,
                table: geom("table")?,
                object: geom("red_box")?,
                socket: Vec::new(),
                pin: None,
            },
            AlohaTask::Insertion => Self {
                task,
                table: geom("table")?,
                object: geom("red_peg")?,
                socket: (1..=4)
                    .map(|k| geom(&format!("socket-{k}")))
                    .collect::<Result<_, _>>()?,
                pin: Some(geom("pin")?),
            },
        })
    }

    /// The table's collider.
    pub fn table(&self) -> ColliderHandle {
        self.table
    }

    /// The collider of the object the right gripper picks (the box or the peg).
    pub fn object(&self) -> ColliderHandle {
        self.object
    }

    /// The reward level (0-4) of the scene's current contacts, as gym-aloha computes it: the
    /// transfer cube reads the left arm's left finger and the right arm's right finger.
    pub fn level(&self, scene: &Scene, rig: &AlohaRig) -> u8 {
        let finger = |side: Side, k: usize| rig.arm(side).finger_colliders[k];
        let touch = |a: ColliderHandle, b: ColliderHandle| scene.touching(a, b);
        match self.task {
            AlohaTask::TransferCube => {
                let right = touch(self.object, finger(Side::Right, 1));
                let left = touch(self.object, finger(Side::Left, 0));
                let table = touch(self.object, self.table);
                if left && !table {
                    4
                } else if left {
                    3
                } else if right && !table {
                    2
                } else if right {
                    1
                } else {
                    0
                }
            }
            AlohaTask::Insertion => {
                let left = self.socket.iter().any(|&s| touch(s, finger(Side::Left, 0)));
                let right = touch(self.object, finger(Side::Right, 1));
                let peg_table = touch(self.object, self.table);
                let socket_table = self.socket.iter().any(|&s| touch(s, self.table));
                let peg_socket = self.socket.iter().any(|&s| touch(self.object, s));
                let pin = self.pin.is_some_and(|p| touch(self.object, p));
                let airborne = !peg_table && !socket_table;
                if pin {
                    4
                } else if peg_socket && airborne {
                    3
                } else if left && right && airborne {
                    2
                } else if left && right {
                    1
                } else {
                    0
                }
            }
        }
    }
}
