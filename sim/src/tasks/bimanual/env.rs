//! The bimanual env: one ALOHA scene per configured task; each reset draws a task and places
//! its objects as gym-aloha does, and the policy moves both arms by joint position targets.
//!
//! Action (`[14]`, clipped to [-1, 1]), per arm six joints and the gripper in gym-aloha's order
//! ([`super::rig`]): `delta` (default) moves the joint targets by `delta_scale * a` per step,
//! `absolute` sets them to `keyframe + action_scale * a`, `cartesian` moves each grasp point
//! and gripper in the world frame through an IK step ([`super::cartesian`]). Observation
//! (`[OBS_DIM]`), table-centred world frame:
//! - joints: `qpos [14]`, `qvel [14]` (x 0.1), the joint targets `[14]` (gym-aloha's layout;
//!   `absolute`: the last clipped action);
//! - per arm: grasp point `[3]`, gripper x and y axes `[6]`;
//! - per object slot (two; zeros where a task has one object): position `[3]`, orientation
//!   `w x y z [4]`, linear velocity `[3]`, angular velocity `[3]` (x 0.1);
//! - per arm and object slot: grasp point minus object position `[3]`, fingers touching it
//!   (0, 0.5, 1);
//! - per object slot: touching the table (0/1);
//! - the goal minus the stage-2 object's position `[3]`;
//! - the contact level / 4, the stage (0/1), the episode's elapsed fraction;
//! - the task id, one-hot over [`AlohaTask::ALL`] `[2]`.

use super::aloha_scene::{AlohaScene, read_aloha_scene};
use super::aloha_task::{AlohaTask, SUCCESS_LEVEL};
use super::cartesian::cartesian_targets;
use super::config::{ActionMode, BimanualConfig};
use super::reward::{RewardInputs, StageReward, TERM_NAMES};
use super::rig::{ACTION_DIM, PER_ARM, Side, gripper_normalise};
use super::sensing::{ObjectPose, ObjectSensor};
use crate::env::{Env, ObsWriter, StepInfo, StepOutcome, clip_action, drain_term_sums};
use crate::error::SimError;
use crate::snapshot::WorldSnapshot;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use robots::SceneSpec;
use std::path::Path;
use std::sync::Arc;

/// Length of the observation.
pub const OBS_DIM: usize = 3 * ACTION_DIM + 2 * 9 + 2 * 13 + 4 * 4 + 2 + 3 + 3 + 2;
/// Object slots in the observation.
const OBJECT_SLOTS: usize = 2;
/// The table's centre, the origin of observed positions (m).
const TABLE_CENTRE: [f32; 3] = [0.0, 0.5, 0.0];
/// An object this far below the table top has fallen off (m).
const FELL_Z: f32 = -0.05;

/// The scene files of a config, read once and shared by every env of a run.
#[derive(Debug, Clone)]
pub struct BimanualAssets {
    /// One scene description per configured task, in config order.
    pub scenes: Vec<(AlohaTask, Arc<SceneSpec>)>,
}

impl BimanualAssets {
    /// Reads the scene of each task in `config` from its ALOHA folder.
    pub fn load(config: &BimanualConfig) -> Result<Self, SimError> {
        config.validate()?;
        let dir = crate::tasks::imitate::resolve_data_path(Path::new(&config.aloha_dir));
        let scenes = config
            .tasks
            .iter()
            .map(|&t| Ok((t, read_aloha_scene(&dir, t)?)))
            .collect::<Result<Vec<_>, SimError>>()?;
        Ok(Self { scenes })
    }
}

/// The complete state of a [`BimanualEnv`].
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct BimanualSnapshot {
    active: usize,
    world: WorldSnapshot,
    rng: ChaCha8Rng,
    steps: u32,
    last_action: Vec<f32>,
    #[serde(default)]
    targets: Vec<f32>,
    level: u8,
    max_level: u8,
    #[serde(default)]
    streak: u32,
    #[serde(default)]
    held: bool,
    term_sums: Vec<f64>,
    term_steps: u32,
    successes: u32,
    #[serde(default)]
    fell: bool,
    #[serde(default)]
    sensor: Option<ObjectSensor>,
}

/// How an episode went, read at its last step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct EpisodeOutcome {
    /// The highest contact level reached (gym-aloha's success: 4 at any step).
    pub max_level: u8,
    /// The success level held for `success_hold_steps` consecutive steps (embody's success).
    pub held: bool,
    /// An object left the table (or the state blew up).
    pub dropped: bool,
}

/// Two ALOHA arms on one of the configured tasks.
pub struct BimanualEnv {
    config: BimanualConfig,
    scenes: Vec<AlohaScene>,
    active: usize,
    rng: ChaCha8Rng,
    steps: u32,
    /// The keyframe's joint targets in action layout (`[14]`, grippers normalised).
    keyframe: [f32; ACTION_DIM],
    /// Each target's allowed range (the joints' control ranges; grippers 0-1).
    ranges: [(f32, f32); ACTION_DIM],
    last_action: [f32; ACTION_DIM],
    /// The current joint targets (gym-aloha's layout).
    targets: [f32; ACTION_DIM],
    level: u8,
    max_level: u8,
    /// Consecutive steps at the success level.
    streak: u32,
    /// The success level has held long enough this episode.
    held: bool,
    reward: StageReward,
    term_sums: Vec<f64>,
    term_steps: u32,
    /// Episodes that reached the success level since the env was built.
    successes: u32,
    fell: bool,
    /// What the policy perceives of the objects.
    sensor: ObjectSensor,
}

impl BimanualEnv {
    /// An env over `assets` with RNG seed `seed` (use `seed ^ env_id`).
    pub fn new(
        assets: &BimanualAssets,
        config: BimanualConfig,
        seed: u64,
    ) -> Result<Self, SimError> {
        config.validate()?;
        let scenes = assets
            .scenes
            .iter()
            .map(|(task, spec)| AlohaScene::new(spec, *task))
            .collect::<Result<Vec<_>, _>>()?;
        let first = &scenes[0];
        let mut keyframe = [0.0; ACTION_DIM];
        let mut ranges = [(0.0, 1.0); ACTION_DIM];
        for side in Side::BOTH {
            let arm = first.rig().arm(side);
            let art = &first.scene().articulations()[arm.articulation];
            let q = art.default_q();
            let at = side as usize * PER_ARM;
            for (i, &j) in arm.joints.iter().enumerate() {
                keyframe[at + i] = q[j];
                let joint = &art.spec().joints[j];
                let (lo, hi) = (joint.lower.min(joint.upper), joint.lower.max(joint.upper));
                ranges[at + i] = (lo as f32, hi as f32);
            }
            keyframe[at + 6] = gripper_normalise(q[arm.fingers[0]]);
        }
        Ok(Self {
            reward: StageReward::new(&config),
            sensor: ObjectSensor::new(config.observation.clone(), seed),
            config,
            scenes,
            active: 0,
            rng: ChaCha8Rng::seed_from_u64(seed),
            steps: 0,
            keyframe,
            ranges,
            last_action: [0.0; ACTION_DIM],
            targets: keyframe,
            level: 0,
            max_level: 0,
            streak: 0,
            held: false,
            term_sums: vec![0.0; TERM_NAMES.len()],
            term_steps: 0,
            successes: 0,
            fell: false,
        })
    }

    /// The task of the current episode.
    pub fn task(&self) -> AlohaTask {
        self.scenes[self.active].task()
    }

    /// The scene of the current episode.
    pub fn aloha(&self) -> &AlohaScene {
        &self.scenes[self.active]
    }

    /// The highest contact level of the current episode.
    pub fn max_level(&self) -> u8 {
        self.max_level
    }

    /// How the current episode has gone so far (after its last step: how it went).
    pub fn outcome(&self) -> EpisodeOutcome {
        EpisodeOutcome {
            max_level: self.max_level,
            held: self.held,
            dropped: self.fell,
        }
    }

    /// The joint targets `action` would set from the current ones, in gym-aloha's action
    /// layout (`[14]` in, `[14]` out).
    pub fn targets_of(&self, action: &[f32]) -> [f32; ACTION_DIM] {
        let a: [f32; ACTION_DIM] =
            std::array::from_fn(|k| clip_action(action.get(k).copied().unwrap_or(0.0)));
        let unclamped = match self.config.action {
            ActionMode::Cartesian => {
                let aloha = &self.scenes[self.active];
                cartesian_targets(
                    aloha.scene(),
                    aloha.rig(),
                    &self.targets,
                    &a,
                    &self.config.cartesian_scale,
                )
            }
            ActionMode::Absolute => std::array::from_fn(|k| {
                self.keyframe[k] + self.config.action_scale[k % PER_ARM] * a[k]
            }),
            ActionMode::Delta => std::array::from_fn(|k| {
                self.targets[k] + self.config.delta_scale[k % PER_ARM] * a[k]
            }),
        };
        std::array::from_fn(|k| unclamped[k].clamp(self.ranges[k].0, self.ranges[k].1))
    }

    /// The current joint targets (gym-aloha's layout, `[14]`).
    pub fn targets(&self) -> &[f32; ACTION_DIM] {
        &self.targets
    }

    fn inputs(&self) -> Result<RewardInputs, SimError> {
        let aloha = &self.scenes[self.active];
        let scene = aloha.scene();
        let rig = aloha.rig();
        let task = aloha.task();
        let mut positions = Vec::new();
        let mut rotations = Vec::new();
        for &o in aloha.objects() {
            let s = scene.object_state(o)?;
            positions.push(s.pos_w);
            rotations.push(s.rot_w);
        }
        let table = aloha.contacts().table();
        let mut fingers = [[0u8; OBJECT_SLOTS]; 2];
        let mut on_table = [false; OBJECT_SLOTS];
        for (slot, &o) in aloha.objects().iter().enumerate() {
            let colliders = &scene.objects()[o].colliders;
            for side in Side::BOTH {
                fingers[side as usize][slot] = rig
                    .arm(side)
                    .finger_colliders
                    .iter()
                    .filter(|&&f| colliders.iter().any(|&c| scene.touching(f, c)))
                    .count() as u8;
            }
            on_table[slot] = colliders.iter().any(|&c| scene.touching(c, table));
        }
        let grasp_points = Side::BOTH.map(|side| {
            let p = rig.grasp_point(scene, side);
            [p.x, p.y, p.z]
        });
        Ok(RewardInputs {
            task,
            level: self.level,
            goal: task.goal(&positions, &rotations),
            positions,
            rotations,
            grasp_points,
            fingers,
            on_table,
        })
    }

    /// Writes the observation: the student's (`student`: sensed object poses, no velocities,
    /// contact flags, level or stage) or the teacher's (the simulator's state).
    fn write_obs(
        &self,
        inputs: &RewardInputs,
        obs: &mut [f32],
        student: bool,
    ) -> Result<(), SimError> {
        let aloha = &self.scenes[self.active];
        let scene = aloha.scene();
        let rig = aloha.rig();
        let mut w = ObsWriter::new(obs);
        let (qpos, qvel) = rig.joint_state(scene)?;
        w.put(&qpos);
        w.put(&qvel.map(|v| 0.1 * v));
        w.put(match self.config.action {
            ActionMode::Absolute => &self.last_action,
            ActionMode::Delta | ActionMode::Cartesian => &self.targets,
        });
        for side in Side::BOTH {
            let pose = rig.gripper_pose(scene, side);
            w.put(&rel(inputs.grasp_points[side as usize]));
            let x = pose.rotation * nalgebra::Vector3::x();
            let y = pose.rotation * nalgebra::Vector3::y();
            w.put(&[x.x, x.y, x.z, y.x, y.y, y.z]);
        }
        // The objects as perceived: the truth for a teacher, old noisy poses for a student.
        let truth;
        let sensed: &[ObjectPose] = if student {
            self.sensor.sensed()
        } else {
            truth = self.object_poses();
            &truth
        };
        let seen_positions: Vec<[f32; 3]> = sensed.iter().map(|(p, _)| *p).collect();
        for slot in 0..OBJECT_SLOTS {
            match (aloha.objects().get(slot), sensed.get(slot)) {
                (Some(&o), Some((p, q))) => {
                    w.put(&rel(*p));
                    w.put(q);
                    if student {
                        w.put(&[0.0; 6]);
                    } else {
                        let s = scene.object_state(o)?;
                        w.put(&s.lin_vel_w);
                        w.put(&s.ang_vel_w.map(|v| 0.1 * v));
                    }
                }
                _ => w.put(&[0.0; 13]),
            }
        }
        for side in Side::BOTH {
            for slot in 0..OBJECT_SLOTS {
                match seen_positions.get(slot) {
                    Some(p) => {
                        let g = inputs.grasp_points[side as usize];
                        w.put(&[g[0] - p[0], g[1] - p[1], g[2] - p[2]]);
                    }
                    None => w.put(&[0.0; 3]),
                }
                let touching = 0.5 * inputs.fingers[side as usize][slot] as f32;
                w.put(&[if student { 0.0 } else { touching }]);
            }
        }
        w.put(
            &inputs
                .on_table
                .map(|t| if student { 0.0 } else { t as u8 as f32 }),
        );
        let goal_object = inputs.task.stages().goal_object;
        let (p, goal) = if student {
            let rotations: Vec<[f32; 4]> = sensed.iter().map(|(_, q)| *q).collect();
            let goal = inputs.task.goal(&seen_positions, &rotations);
            (seen_positions[goal_object], goal)
        } else {
            (inputs.positions[goal_object], inputs.goal)
        };
        w.put(&[goal[0] - p[0], goal[1] - p[1], goal[2] - p[2]]);
        let (level, stage) = if student {
            (0.0, 0.0)
        } else {
            (
                self.level as f32 / SUCCESS_LEVEL as f32,
                self.reward.stage2(inputs) as u8 as f32,
            )
        };
        w.put(&[
            level,
            stage,
            self.steps as f32 / self.config.episode_steps as f32,
        ]);
        let mut id = [0.0; AlohaTask::ALL.len()];
        id[inputs.task.id()] = 1.0;
        w.put(&id);
        debug_assert_eq!(w.written(), OBS_DIM);
        Ok(())
    }

    /// The objects' true poses now.
    fn object_poses(&self) -> Vec<ObjectPose> {
        let aloha = &self.scenes[self.active];
        aloha
            .objects()
            .iter()
            .map(|&o| {
                aloha
                    .scene()
                    .object_state(o)
                    .map_or(([0.0; 3], [1.0, 0.0, 0.0, 0.0]), |s| (s.pos_w, s.rot_w))
            })
            .collect()
    }

    fn observe(&self, obs: &mut [f32], student: bool) {
        match self.inputs() {
            Ok(inputs) => {
                if self.write_obs(&inputs, obs, student).is_err() {
                    obs.fill(0.0);
                }
            }
            Err(_) => obs.fill(0.0),
        }
    }
}

/// A world position relative to the table's centre.
fn rel(p: [f32; 3]) -> [f32; 3] {
    [
        p[0] - TABLE_CENTRE[0],
        p[1] - TABLE_CENTRE[1],
        p[2] - TABLE_CENTRE[2],
    ]
}

impl Env for BimanualEnv {
    type Snapshot = BimanualSnapshot;

    fn obs_dim(&self) -> usize {
        OBS_DIM
    }

    fn action_dim(&self) -> usize {
        ACTION_DIM
    }

    fn reseed(&mut self, seed: u64) {
        self.rng = ChaCha8Rng::seed_from_u64(seed);
    }

    fn reset(&mut self, obs: &mut [f32]) {
        self.active = if self.scenes.len() > 1 {
            self.rng.random_range(0..self.scenes.len())
        } else {
            0
        };
        let task = self.scenes[self.active].task();
        let positions = task.sample_positions(&mut self.rng);
        // The objects drop from 5 cm onto the table as in gym-aloha; their rest heights are
        // those of the scene file's resting pose.
        if self.scenes[self.active].reset(&positions).is_err() {
            obs.fill(0.0);
        }
        self.steps = 0;
        self.last_action = [0.0; ACTION_DIM];
        self.targets = self.keyframe;
        self.level = 0;
        self.max_level = 0;
        self.streak = 0;
        self.held = false;
        self.fell = false;
        let truth = self.object_poses();
        self.sensor.reset(truth);
        self.observe(obs, self.sensor.is_student());
    }

    fn step(&mut self, action: &[f32], obs: &mut [f32]) -> StepOutcome {
        let targets = self.targets_of(action);
        self.targets = targets;
        let clipped: [f32; ACTION_DIM] =
            std::array::from_fn(|k| clip_action(action.get(k).copied().unwrap_or(0.0)));
        let aloha = &mut self.scenes[self.active];
        let level = aloha.step(&targets).unwrap_or(0);
        let blew_up = aloha.scene().has_non_finite_state();
        let truth = self.object_poses();
        self.sensor.update(truth);
        self.level = level;
        self.max_level = self.max_level.max(level);
        self.streak = if level >= SUCCESS_LEVEL {
            self.streak + 1
        } else {
            0
        };
        self.held |= self.streak >= self.config.success_hold_steps;
        self.steps += 1;
        let reward = match self.inputs() {
            Ok(inputs) => {
                self.fell = blew_up || inputs.positions.iter().any(|p| p[2] < FELL_Z);
                let terms = self.reward.terms(&inputs, &clipped, &self.last_action);
                for (s, t) in self.term_sums.iter_mut().zip(terms.values()) {
                    *s += t as f64;
                }
                self.term_steps += 1;
                self.last_action = clipped;
                if self
                    .write_obs(&inputs, obs, self.sensor.is_student())
                    .is_err()
                {
                    obs.fill(0.0);
                }
                terms.total()
            }
            Err(_) => {
                self.fell = true;
                obs.fill(0.0);
                0.0
            }
        };
        let truncated = self.steps >= self.config.episode_steps;
        if (self.fell || truncated) && self.held {
            self.successes += 1;
        }
        StepOutcome {
            reward,
            terminated: self.fell,
            truncated: truncated && !self.fell,
        }
    }

    fn snapshot(&self) -> BimanualSnapshot {
        BimanualSnapshot {
            active: self.active,
            world: self.scenes[self.active].scene().snapshot(),
            rng: self.rng.clone(),
            steps: self.steps,
            last_action: self.last_action.to_vec(),
            targets: self.targets.to_vec(),
            level: self.level,
            max_level: self.max_level,
            streak: self.streak,
            held: self.held,
            term_sums: self.term_sums.clone(),
            term_steps: self.term_steps,
            successes: self.successes,
            fell: self.fell,
            sensor: Some(self.sensor.clone()),
        }
    }

    fn restore(&mut self, s: &BimanualSnapshot) {
        self.active = s.active.min(self.scenes.len() - 1);
        self.scenes[self.active].scene_mut().restore(&s.world);
        self.rng = s.rng.clone();
        self.steps = s.steps;
        for (a, b) in self.last_action.iter_mut().zip(&s.last_action) {
            *a = *b;
        }
        for (a, b) in self.targets.iter_mut().zip(&s.targets) {
            *a = *b;
        }
        self.level = s.level;
        self.max_level = s.max_level;
        self.streak = s.streak;
        self.held = s.held;
        self.term_sums.clone_from(&s.term_sums);
        self.term_steps = s.term_steps;
        self.successes = s.successes;
        self.fell = s.fell;
        if let Some(sensor) = &s.sensor {
            self.sensor = sensor.clone();
        }
    }

    /// A student env's privileged observation is the teacher's: what a teacher labels the
    /// student's states from (distillation), or what an asymmetric critic reads.
    fn privileged_dim(&self) -> usize {
        if self.sensor.is_student() { OBS_DIM } else { 0 }
    }

    fn write_privileged(&self, out: &mut [f32]) {
        if self.sensor.is_student() && out.len() >= OBS_DIM {
            self.observe(&mut out[..OBS_DIM], false);
        }
    }

    fn step_info(&self) -> StepInfo {
        StepInfo {
            fall: Some(self.fell),
            success: Some(self.held),
        }
    }

    fn drain_reward_terms(&mut self) -> (Vec<(&'static str, f32)>, u32) {
        drain_term_sums(&TERM_NAMES, &mut self.term_sums, &mut self.term_steps)
    }

    fn curriculum_levels(&self) -> Vec<(&'static str, f32)> {
        // Not a curriculum: the episode's highest contact level so far and the successes (level
        // 4 held) since the env was built, so a run's metrics.csv shows how far the policy
        // gets.
        vec![
            ("max_level", self.max_level as f32),
            ("successes", self.successes as f32),
        ]
    }
}
