//! The ALOHA rig in a [`Scene`]: two ViperX 300s arms (`vx300s_left`, `vx300s_right`) with
//! parallel grippers, addressed the way gym-aloha does. An action is
//! `[left arm 6 joint positions, left gripper 0 closed..1 open, right arm 6, right gripper]`
//! and the joint state `qpos` has the same layout, the gripper as the normalised position of
//! its left finger.

use crate::error::SimError;
use crate::physics::PhysicsConfig;
use crate::scene::{Scene, SceneOptions};
use nalgebra::{Isometry3, Point3, Vector3};
use rapier3d::prelude::ColliderHandle;

/// Arm joints in gym-aloha's order (names after the articulation's `vx300s_<side>/` prefix).
pub const ARM_JOINTS: [&str; 6] = [
    "waist",
    "shoulder",
    "elbow",
    "forearm_roll",
    "wrist_angle",
    "wrist_rotate",
];
/// Values per arm in an action or `qpos`: six joints and the gripper.
pub const PER_ARM: usize = 7;
/// Length of an action or `qpos` vector (both arms).
pub const ACTION_DIM: usize = 2 * PER_ARM;
/// Finger position (m) that gym-aloha calls fully open (normalised 1).
pub const GRIPPER_OPEN: f32 = 0.058;
/// Finger position (m) that gym-aloha calls closed (normalised 0); the finger's control range
/// stops at 0.021, so a closed command squeezes whatever is between the fingers.
pub const GRIPPER_CLOSED: f32 = 0.01844;
/// The point each gripper holds an object at, in its `gripper_link` frame (m): on the centre
/// line, 2.4 cm behind the finger tips (the fingers reach x = 0.064..0.154).
pub const GRASP_POINT: [f64; 3] = [0.13, 0.0, 0.0];
/// Finger geoms (name fragment) that collide as sliced boxes, and the number of slabs: the
/// finger's 6 cm wide mounting block stays apart from its 2 cm wide pad, so two grippers can
/// hold one cube ([`crate::scene::MeshCollider::SlicedBoxes`]; docs/BENCHMARKS.md, "Grasping").
pub const FINGER_MESHES: &str = "gripper_finger";
/// Slabs per finger collider.
pub const FINGER_SLABS: u8 = 4;

/// PGS iterations for ALOHA scenes: with four-slab fingers, 8 let a handed-over cube slip out
/// of the left gripper in about half the episodes and 12 hold it (docs/BENCHMARKS.md,
/// "Grasping").
pub const ALOHA_PGS_ITERATIONS: usize = 12;

/// The physics ALOHA scenes run with: [`PhysicsConfig::manipulation`] with
/// [`ALOHA_PGS_ITERATIONS`].
pub fn aloha_physics() -> PhysicsConfig {
    PhysicsConfig {
        pgs_iterations: ALOHA_PGS_ITERATIONS,
        ..PhysicsConfig::manipulation()
    }
}

/// The scene options ALOHA scenes are built with (finger colliders).
pub fn aloha_scene_options() -> SceneOptions {
    SceneOptions {
        box_meshes: vec![FINGER_MESHES.into()],
        box_slices: FINGER_SLABS,
    }
}

/// Which arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `vx300s_left` (base at x = -0.469).
    Left = 0,
    /// `vx300s_right` (base at x = +0.469).
    Right = 1,
}

impl Side {
    /// Both sides, in action order.
    pub const BOTH: [Side; 2] = [Side::Left, Side::Right];

    /// The articulation name.
    pub fn articulation(self) -> &'static str {
        match self {
            Side::Left => "vx300s_left",
            Side::Right => "vx300s_right",
        }
    }
}

/// One arm's indices in the scene.
#[derive(Debug, Clone)]
pub struct Arm {
    /// Articulation index in the scene.
    pub articulation: usize,
    /// Indices of [`ARM_JOINTS`] in the articulation's joint (and `q`) order.
    pub joints: [usize; 6],
    /// Indices of the left and right finger joints.
    pub fingers: [usize; 2],
    /// Index of `gripper_link` among the articulation's bodies.
    pub gripper_body: usize,
    /// Colliders of the left and right finger (`10_left_gripper_finger`,
    /// `10_right_gripper_finger`).
    pub finger_colliders: [ColliderHandle; 2],
    /// Base pose in the world.
    pub base: Isometry3<f64>,
}

/// Both arms of an ALOHA scene.
#[derive(Debug, Clone)]
pub struct AlohaRig {
    /// Left and right arm, indexed by [`Side`].
    pub arms: [Arm; 2],
}

impl AlohaRig {
    /// Finds both arms in `scene`; the error names what is missing.
    pub fn new(scene: &Scene) -> Result<Self, SimError> {
        let arm = |side: Side| -> Result<Arm, SimError> {
            let name = side.articulation();
            let missing = |what: &str| SimError::Config {
                key: format!("scene: {name}"),
                message: format!("the ALOHA scene has no {what}"),
            };
            let articulation = scene
                .articulation_index(name)
                .ok_or_else(|| missing("articulation of that name"))?;
            let spec = scene.articulations()[articulation].spec();
            if spec.nq() != spec.joints.len() {
                return Err(missing("arm of 1-dof joints only"));
            }
            let joint = |j: &str| {
                spec.joint_index(&format!("{name}/{j}"))
                    .ok_or_else(|| missing(&format!("joint '{name}/{j}'")))
            };
            let mut joints = [0; 6];
            for (k, j) in ARM_JOINTS.iter().enumerate() {
                joints[k] = joint(j)?;
            }
            let fingers = [joint("left_finger")?, joint("right_finger")?];
            let gripper_body = spec
                .bodies
                .iter()
                .position(|b| b.name == format!("{name}/gripper_link"))
                .ok_or_else(|| missing("body 'gripper_link'"))?;
            let finger = |f: &str| {
                let geom = format!("{name}/10_{f}_gripper_finger");
                scene
                    .collider_named(&geom)
                    .ok_or_else(|| missing(&format!("geom '{geom}'")))
            };
            Ok(Arm {
                articulation,
                joints,
                fingers,
                gripper_body,
                finger_colliders: [finger("left")?, finger("right")?],
                base: spec.fixed_base.unwrap_or_else(Isometry3::identity),
            })
        };
        Ok(Self {
            arms: [arm(Side::Left)?, arm(Side::Right)?],
        })
    }

    /// The arm on `side`.
    pub fn arm(&self, side: Side) -> &Arm {
        &self.arms[side as usize]
    }

    /// Sets both arms' PD targets from a gym-aloha action (`[14]`): joint positions, and the
    /// grippers' normalised openings mapped onto the finger positions (the two fingers move
    /// opposite). Targets beyond a joint's control range are clamped by the articulation.
    pub fn apply_action(&self, scene: &mut Scene, action: &[f32]) -> Result<(), SimError> {
        if action.len() != ACTION_DIM {
            return Err(SimError::Length {
                what: "ALOHA action".into(),
                expected: ACTION_DIM,
                got: action.len(),
            });
        }
        for side in Side::BOTH {
            let arm = self.arm(side);
            let a = &action[side as usize * PER_ARM..][..PER_ARM];
            let mut targets = scene.articulations()[arm.articulation].targets().to_vec();
            for (k, &j) in arm.joints.iter().enumerate() {
                targets[j] = a[k];
            }
            let finger = gripper_unnormalise(a[6]);
            targets[arm.fingers[0]] = finger;
            targets[arm.fingers[1]] = -finger;
            scene.set_targets(arm.articulation, &targets)?;
        }
        Ok(())
    }

    /// Joint positions and velocities in gym-aloha's layout (`[14]` each): the grippers as the
    /// normalised position of their left finger, and its velocity in normalised units per s.
    pub fn joint_state(
        &self,
        scene: &Scene,
    ) -> Result<([f32; ACTION_DIM], [f32; ACTION_DIM]), SimError> {
        let (mut pos, mut vel) = ([0.0; ACTION_DIM], [0.0; ACTION_DIM]);
        for side in Side::BOTH {
            let arm = self.arm(side);
            let state = scene.articulation_state(arm.articulation)?;
            let at = side as usize * PER_ARM;
            for (k, &j) in arm.joints.iter().enumerate() {
                pos[at + k] = state.q[j];
                vel[at + k] = state.qd[j];
            }
            pos[at + 6] = gripper_normalise(state.q[arm.fingers[0]]);
            vel[at + 6] = state.qd[arm.fingers[0]] / (GRIPPER_OPEN - GRIPPER_CLOSED);
        }
        Ok((pos, vel))
    }

    /// Joint positions in gym-aloha's layout (`[14]`), the grippers normalised.
    pub fn qpos(&self, scene: &Scene) -> Result<[f32; ACTION_DIM], SimError> {
        Ok(self.joint_state(scene)?.0)
    }

    /// World pose of `side`'s `gripper_link`.
    pub fn gripper_pose(&self, scene: &Scene, side: Side) -> Isometry3<f32> {
        let arm = self.arm(side);
        let handle = scene.articulations()[arm.articulation].body_handles()[arm.gripper_body];
        let p = scene.physics().bodies[handle].position();
        let (t, r) = (p.translation, p.rotation);
        Isometry3::from_parts(
            nalgebra::Translation3::new(t.x, t.y, t.z),
            nalgebra::UnitQuaternion::from_quaternion(nalgebra::Quaternion::new(
                r.w, r.x, r.y, r.z,
            )),
        )
    }

    /// World position of `side`'s grasp point ([`GRASP_POINT`]).
    pub fn grasp_point(&self, scene: &Scene, side: Side) -> Vector3<f32> {
        let g = [
            GRASP_POINT[0] as f32,
            GRASP_POINT[1] as f32,
            GRASP_POINT[2] as f32,
        ];
        (self.gripper_pose(scene, side) * Point3::new(g[0], g[1], g[2])).coords
    }

    /// Whether either finger of `side` touches `collider`.
    pub fn fingers_touch(&self, scene: &Scene, side: Side, collider: ColliderHandle) -> bool {
        self.arm(side)
            .finger_colliders
            .iter()
            .any(|&f| scene.touching(f, collider))
    }
}

/// gym-aloha's normalised gripper opening (0 closed, 1 open) from a finger position (m).
pub fn gripper_normalise(finger: f32) -> f32 {
    (finger - GRIPPER_CLOSED) / (GRIPPER_OPEN - GRIPPER_CLOSED)
}

/// The finger position (m) of a normalised gripper opening.
pub fn gripper_unnormalise(opening: f32) -> f32 {
    GRIPPER_CLOSED + opening * (GRIPPER_OPEN - GRIPPER_CLOSED)
}
