//! A scripted transfer-cube policy: the right gripper picks the cube top-down and carries it
//! to a meeting point; the left gripper, rolled so its fingers close vertically, slides in from
//! the left, closes on the cube's top and bottom faces; the right lets go and moves away. Each
//! arm follows key poses solved by IK ([`robots::solve_ik`], full gripper orientation) and
//! interpolated linearly in joint space, and acts through the same gym-aloha action as a
//! learned policy. It tests the scene's contact physics (two grippers on one 4 cm cube) and
//! can supply demonstrations; no learned result depends on it.

use super::aloha_scene::AlohaScene;
use super::rig::{AlohaRig, GRASP_POINT, PER_ARM, Side};
use crate::error::SimError;
use crate::scene::Scene;
use nalgebra::Vector3;
use robots::IkTarget;
use serde::Serialize;

/// Control steps of one scripted episode (8 s at 50 Hz, ACT's episode length).
pub const SCRIPT_STEPS: u32 = 400;
/// Where the cube is handed over (world frame, m): above the table's centre line.
const MEET: [f32; 3] = super::aloha_task::HANDOVER_POINT;
/// Height of the right grasp point above the cube's centre when it grasps (m): the finger tips
/// stay 1.1 cm above the table.
const RIGHT_GRASP_DZ: f64 = 0.015;
/// How far short of the cube's centre the left grasp point stops (m): the left finger tips
/// cover 3.4 of the cube's 4 cm and the left fingers' wide mounting blocks stay clear of the
/// right fingers.
const LEFT_SHORT: f64 = 0.015;
/// The cube's centre height at rest (m).
const CUBE_REST_Z: f64 = 0.02;

/// One key pose of one arm: at control step `step`, the six arm joints and the gripper opening.
#[derive(Debug, Clone, PartialEq)]
struct Key {
    step: u32,
    q: [f64; 6],
    gripper: f32,
}

/// The planned motion of both arms for one cube position.
#[derive(Debug, Clone)]
pub struct ScriptedTransfer {
    keys: [Vec<Key>; 2],
    /// Largest IK position error over the key poses (m).
    pub ik_error_m: f64,
    /// Largest IK orientation error over the key poses (rad).
    pub ik_axis_error_rad: f64,
}

/// A gripper orientation: its x axis (pointing) and y axis (finger travel) in the world.
type Orientation = (Vector3<f64>, Vector3<f64>);

impl ScriptedTransfer {
    /// Plans the hand-over of the cube resting at `(cube_xy, 0.02)` in `scene`.
    pub fn plan(scene: &Scene, rig: &AlohaRig, cube_xy: [f32; 2]) -> Result<Self, SimError> {
        let cube = Vector3::new(cube_xy[0] as f64, cube_xy[1] as f64, CUBE_REST_Z);
        let meet = Vector3::from(MEET.map(f64::from));
        // The right gripper points down with its fingers travelling along y; the left points
        // along +x with its fingers travelling vertically.
        let down: Orientation = (-Vector3::z(), -Vector3::y());
        let across: Orientation = (Vector3::x(), Vector3::z());
        let mut planner = Planner {
            scene,
            rig,
            ik_error: 0.0,
            axis_error: 0.0,
        };
        let up = Vector3::new(0.0, 0.0, RIGHT_GRASP_DZ);
        let r_start = planner.start(Side::Right);
        let r_above = planner.solve(Side::Right, &r_start, cube + up + 0.1 * Vector3::z(), down)?;
        let r_at = planner.solve(Side::Right, &r_above, cube + up, down)?;
        let r_meet = planner.solve(Side::Right, &r_at, meet + up, down)?;
        let r_away = planner.solve(
            Side::Right,
            &r_meet,
            meet + up + Vector3::new(0.05, 0.0, 0.08),
            down,
        )?;
        let l_start = planner.start(Side::Left);
        let l_grasp = meet - LEFT_SHORT * Vector3::x();
        let l_pre = planner.solve(Side::Left, &l_start, l_grasp - 0.09 * Vector3::x(), across)?;
        let l_in = planner.solve(Side::Left, &l_pre, l_grasp, across)?;
        let l_back = planner.solve(Side::Left, &l_in, l_grasp - 0.05 * Vector3::x(), across)?;
        let key = |step: u32, q: &[f64; 6], gripper: f32| Key {
            step,
            q: *q,
            gripper,
        };
        let (open, closed) = (1.0, 0.0);
        let right = vec![
            key(0, &r_start, planner.gripper(Side::Right)),
            key(90, &r_above, open),
            key(130, &r_at, open),
            key(160, &r_at, closed),
            key(210, &r_meet, closed),
            key(300, &r_meet, closed),
            key(330, &r_meet, open),
            key(370, &r_away, open),
        ];
        let left = vec![
            key(0, &l_start, planner.gripper(Side::Left)),
            key(100, &l_pre, open),
            key(210, &l_pre, open),
            key(250, &l_in, open),
            key(280, &l_in, closed),
            key(330, &l_in, closed),
            key(370, &l_back, closed),
        ];
        Ok(Self {
            keys: [left, right],
            ik_error_m: planner.ik_error,
            ik_axis_error_rad: planner.axis_error,
        })
    }

    /// The gym-aloha action at control step `step` (`[14]`): each arm between its surrounding
    /// key poses, holding the last one after it.
    pub fn action(&self, step: u32) -> [f32; 14] {
        let mut out = [0.0; 14];
        for side in Side::BOTH {
            let keys = &self.keys[side as usize];
            let next = keys.iter().position(|k| k.step > step);
            let (q, g) = match next {
                None | Some(0) => {
                    let k = if next.is_none() {
                        &keys[keys.len() - 1]
                    } else {
                        &keys[0]
                    };
                    (k.q, k.gripper)
                }
                Some(n) => {
                    let (a, b) = (&keys[n - 1], &keys[n]);
                    let s = (step - a.step) as f64 / (b.step - a.step) as f64;
                    let q: [f64; 6] = std::array::from_fn(|j| a.q[j] + (b.q[j] - a.q[j]) * s);
                    (q, a.gripper + (b.gripper - a.gripper) * s as f32)
                }
            };
            let o = &mut out[side as usize * PER_ARM..][..PER_ARM];
            for j in 0..6 {
                o[j] = q[j] as f32;
            }
            o[6] = g;
        }
        out
    }
}

/// IK for key poses, keeping the largest errors.
struct Planner<'a> {
    scene: &'a Scene,
    rig: &'a AlohaRig,
    ik_error: f64,
    axis_error: f64,
}

impl Planner<'_> {
    /// The arm's keyframe joint positions.
    fn start(&self, side: Side) -> [f64; 6] {
        let arm = self.rig.arm(side);
        let q = self.scene.articulations()[arm.articulation].default_q();
        arm.joints.map(|j| q[j] as f64)
    }

    /// The arm's keyframe gripper opening (normalised).
    fn gripper(&self, side: Side) -> f32 {
        let arm = self.rig.arm(side);
        let q = self.scene.articulations()[arm.articulation].default_q();
        super::rig::gripper_normalise(q[arm.fingers[0]])
    }

    /// Arm joints that put `side`'s grasp point at `pos` with orientation `axes`, from `from`.
    fn solve(
        &mut self,
        side: Side,
        from: &[f64; 6],
        pos: Vector3<f64>,
        axes: Orientation,
    ) -> Result<[f64; 6], SimError> {
        let arm = self.rig.arm(side);
        let art = &self.scene.articulations()[arm.articulation];
        let spec = art.spec();
        let mut q0: Vec<f64> = art.default_q().iter().map(|&v| v as f64).collect();
        for (k, &j) in arm.joints.iter().enumerate() {
            q0[j] = from[k];
        }
        let target = IkTarget {
            body: arm.gripper_body,
            point_b: Vector3::from(GRASP_POINT),
            pos_w: pos,
            axes: vec![(Vector3::x(), axes.0), (Vector3::y(), axes.1)],
            axis_weight: 0.3,
        };
        let sol =
            robots::solve_ik(spec, &arm.base, &q0, &arm.joints, &target, 300).ok_or_else(|| {
                SimError::Config {
                    key: "ik".into(),
                    message: format!(
                        "{}: joint vector or target out of range",
                        side.articulation()
                    ),
                }
            })?;
        self.ik_error = self.ik_error.max(sol.position_error);
        self.axis_error = self.axis_error.max(sol.axis_error);
        Ok(arm.joints.map(|j| sol.q[j]))
    }
}

/// What one scripted episode reached.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScriptedEpisode {
    /// Where the cube started (x, y; m).
    pub cube_xy: [f32; 2],
    /// The highest reward level of the episode (success = 4, as ACT's evaluation counts it).
    pub max_level: u8,
    /// The level at the last step.
    pub final_level: u8,
    /// The cube's height at the end (m).
    pub final_cube_z: f32,
    /// Whether the right gripper's fingers were off the cube at the end.
    pub right_released: bool,
    /// Largest IK position error of the plan (m).
    pub ik_error_m: f64,
}

/// Runs the scripted transfer from the cube resting at `cube_xy` (the scene must be a
/// transfer-cube scene).
pub fn run_scripted_transfer(
    aloha: &mut AlohaScene,
    cube_xy: [f32; 2],
) -> Result<ScriptedEpisode, SimError> {
    aloha.reset(&[[cube_xy[0], cube_xy[1], 0.05]])?;
    let plan = ScriptedTransfer::plan(aloha.scene(), aloha.rig(), cube_xy)?;
    let mut max_level = 0;
    let mut level = 0;
    for step in 0..SCRIPT_STEPS {
        level = aloha.step(&plan.action(step))?;
        max_level = max_level.max(level);
    }
    Ok(ScriptedEpisode {
        cube_xy,
        max_level,
        final_level: level,
        final_cube_z: aloha.object_position(0)?[2],
        right_released: !aloha.rig().fingers_touch(
            aloha.scene(),
            Side::Right,
            aloha.contacts().object(),
        ),
        ik_error_m: plan.ik_error_m,
    })
}

/// The scripted transfer over many randomised episodes.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScriptedReport {
    /// Episodes run.
    pub episodes: usize,
    /// The RNG seed of the cube positions.
    pub seed: u64,
    /// Fraction of episodes that reached level 4 (gym-aloha's success, as ACT counts it).
    pub success_rate: f32,
    /// Fraction that ended with the cube held off the table by the left gripper after the
    /// right let go (a completed hand-over).
    pub handed_over_rate: f32,
    /// Each episode.
    pub results: Vec<ScriptedEpisode>,
}

/// Runs `episodes` scripted transfers from cube positions drawn as gym-aloha draws them, from
/// `seed`.
pub fn evaluate_scripted_transfer(
    spec: &robots::SceneSpec,
    episodes: usize,
    seed: u64,
) -> Result<ScriptedReport, SimError> {
    let mut aloha = AlohaScene::new(spec, super::AlohaTask::TransferCube)?;
    evaluate_scripted_transfer_in(&mut aloha, episodes, seed)
}

/// [`evaluate_scripted_transfer`] in a scene built by the caller (other physics settings).
pub fn evaluate_scripted_transfer_in(
    aloha: &mut AlohaScene,
    episodes: usize,
    seed: u64,
) -> Result<ScriptedReport, SimError> {
    use rand::SeedableRng;
    let task = super::AlohaTask::TransferCube;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut results = Vec::with_capacity(episodes);
    for _ in 0..episodes {
        let p = task.sample_positions(&mut rng)[0];
        results.push(run_scripted_transfer(aloha, [p[0], p[1]])?);
    }
    let rate = |f: &dyn Fn(&ScriptedEpisode) -> bool| {
        results.iter().filter(|e| f(e)).count() as f32 / episodes.max(1) as f32
    };
    Ok(ScriptedReport {
        episodes,
        seed,
        success_rate: rate(&|e| e.max_level >= super::SUCCESS_LEVEL),
        handed_over_rate: rate(&|e| e.final_level >= super::SUCCESS_LEVEL && e.right_released),
        results,
    })
}
