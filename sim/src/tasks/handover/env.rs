//! The hand-over env (Bi-DexHands' ShadowHandOver on Rapier): two Shadow hands, palms up and
//! facing each other; the block starts on the right palm and must reach the goal over the left
//! palm, 25 cm away. The right hand's fingers end 14 cm short of the goal, so it has to throw.
//!
//! Action (`[40]`, clipped to [-1, 1]): per hand (right, then left) the 20 actuated joints'
//! targets, `a = -1 .. 1` spanning each actuator's range (Bi-DexHands' absolute control).
//! Observation (`[200]`), positions relative to the point between the hands:
//! - per hand: joint positions scaled to [-1, 1] over their limits `[24]`, joint velocities
//!   (x 0.2) `[24]`, fingertip positions `[15]`, palm position `[3]`, its last action `[20]`;
//! - the block: position `[3]`, orientation `w x y z [4]`, linear velocity `[3]`, angular
//!   velocity (x 0.2) `[3]`;
//! - the goal: position `[3]`, orientation `[4]`, block orientation times the goal's inverse
//!   `[4]`, goal minus block position `[3]`;
//! - the episode's elapsed fraction `[1]`.
//!
//! Reward per step: `exp(-0.2 (dist_reward_scale d + rot_reward_scale rot))` with `d` the
//! block's distance to the goal and `rot` the angle between their orientations, plus
//! `reach_goal_bonus` at the first step within `success_tolerance_m`. Success: that step
//! happened. The episode ends when the block falls `fall_drop_m` below its start.

use super::config::HandoverConfig;
use super::scene::{Hand, HandoverAssets, LEFT_PREFIX, MARKER, OBJECT, RIGHT_PREFIX};
use crate::env::{Env, ObsWriter, StepInfo, StepOutcome, clip_action, drain_term_sums};
use crate::error::SimError;
use crate::physics::PhysicsConfig;
use crate::scene::{ArticulationState, ObjectState, Scene, SceneOptions};
use crate::snapshot::WorldSnapshot;
use nalgebra::{Quaternion, UnitQuaternion, Vector3};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Names of the reward terms in metrics.csv.
pub const TERM_NAMES: [&str; 2] = ["goal", "bonus"];

/// The complete state of a [`HandoverEnv`].
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct HandoverSnapshot {
    world: WorldSnapshot,
    rng: ChaCha8Rng,
    steps: u32,
    goal_pos: [f32; 3],
    goal_rot: [f32; 4],
    start_z: f32,
    last_action: Vec<f32>,
    targets: Vec<Vec<f32>>,
    reached: bool,
    fell: bool,
    successes: u32,
    term_sums: Vec<f64>,
    term_steps: u32,
}

/// Two Shadow hands passing a block.
pub struct HandoverEnv {
    config: HandoverConfig,
    scene: Scene,
    hands: [Hand; 2],
    object: usize,
    marker: Option<usize>,
    /// Each hand as built, at its keyframe.
    keyframe: [ArticulationState; 2],
    /// The block's pose in the file: the nominal start.
    nominal: ObjectState,
    /// The point between the hands: the origin of observed positions.
    centre: [f32; 3],
    rng: ChaCha8Rng,
    steps: u32,
    goal_pos: [f32; 3],
    goal_rot: [f32; 4],
    start_z: f32,
    last_action: Vec<f32>,
    /// Each hand's joint targets (`[nq]`).
    targets: [Vec<f32>; 2],
    reached: bool,
    fell: bool,
    successes: u32,
    term_sums: Vec<f64>,
    term_steps: u32,
    action_dim: usize,
    obs_dim: usize,
}

impl HandoverEnv {
    /// An env over `assets` with RNG seed `seed` (use `seed ^ env_id`).
    pub fn new(
        assets: &HandoverAssets,
        config: HandoverConfig,
        seed: u64,
    ) -> Result<Self, SimError> {
        config.validate()?;
        let physics = PhysicsConfig {
            control_dt: config.control_dt,
            ..PhysicsConfig::manipulation()
        };
        let scene = Scene::from_spec_with(&assets.spec, physics, SceneOptions::default())?;
        let hands = [
            Hand::new(&scene, 0, RIGHT_PREFIX)?,
            Hand::new(&scene, 1, LEFT_PREFIX)?,
        ];
        let object = scene.object_index(OBJECT).ok_or_else(|| SimError::Config {
            key: format!("body '{OBJECT}'"),
            message: "the scene has no free body of that name".into(),
        })?;
        let marker = scene.object_index(MARKER);
        let keyframe = [scene.articulation_state(0)?, scene.articulation_state(1)?];
        let nominal = scene.object_state(object)?;
        let centre = [nominal.pos_w[0], config.mirror_plane_y, nominal.pos_w[2]];
        let action_dim = hands.iter().map(|h| h.actuated.len()).sum();
        let obs_dim = hands
            .iter()
            .map(|h| 2 * h.limits.len() + 15 + 3 + h.actuated.len())
            .sum::<usize>()
            + 13
            + 14
            + 1;
        let targets = [keyframe[0].q.clone(), keyframe[1].q.clone()];
        Ok(Self {
            config,
            scene,
            hands,
            object,
            marker,
            keyframe,
            nominal,
            centre,
            rng: ChaCha8Rng::seed_from_u64(seed),
            steps: 0,
            goal_pos: nominal.pos_w,
            goal_rot: [1.0, 0.0, 0.0, 0.0],
            start_z: nominal.pos_w[2],
            last_action: vec![0.0; action_dim],
            targets,
            reached: false,
            fell: false,
            successes: 0,
            term_sums: vec![0.0; TERM_NAMES.len()],
            term_steps: 0,
            action_dim,
            obs_dim,
        })
    }

    /// The Rapier scene (viewers, tests).
    pub fn scene(&self) -> &Scene {
        &self.scene
    }

    /// The two hands (right, left).
    pub fn hands(&self) -> &[Hand; 2] {
        &self.hands
    }

    /// The goal pose: position (m) and orientation `w x y z`.
    pub fn goal(&self) -> ([f32; 3], [f32; 4]) {
        (self.goal_pos, self.goal_rot)
    }

    /// The block's state now.
    pub fn object_state(&self) -> Result<ObjectState, SimError> {
        self.scene.object_state(self.object)
    }

    /// Puts the block at `state` (tests, scripted starts).
    pub fn set_object_state(&mut self, state: &ObjectState) -> Result<(), SimError> {
        self.scene.set_object_state(self.object, state)
    }

    /// The action (`[40]`) that keeps every actuated joint's current target: the hands hold
    /// still.
    pub fn hold_action(&self) -> Vec<f32> {
        let mut action = Vec::with_capacity(self.action_dim);
        for (hand, targets) in self.hands.iter().zip(&self.targets) {
            for (&j, &(lo, hi)) in hand.actuated.iter().zip(&hand.ranges) {
                let a = if hi > lo {
                    2.0 * (targets[j] - lo) / (hi - lo) - 1.0
                } else {
                    0.0
                };
                action.push(a.clamp(-1.0, 1.0));
            }
        }
        action
    }

    /// Whether the block has come within the tolerance of its goal this episode.
    pub fn reached(&self) -> bool {
        self.reached
    }

    /// The block's distance to the goal (m) and the angle between their orientations (rad).
    pub fn goal_distance(&self) -> Result<(f32, f32), SimError> {
        let s = self.object_state()?;
        let d = Vector3::from(s.pos_w) - Vector3::from(self.goal_pos);
        Ok((d.norm(), rotation_distance(s.rot_w, self.goal_rot)))
    }

    /// A random orientation as Bi-DexHands draws one (about world x, then y, up to pi each), or
    /// upright.
    fn draw_rotation(&mut self) -> [f32; 4] {
        if !self.config.random_rotations {
            return [1.0, 0.0, 0.0, 0.0];
        }
        let a = self.rng.random_range(-1.0f32..1.0) * std::f32::consts::PI;
        let b = self.rng.random_range(-1.0f32..1.0) * std::f32::consts::PI;
        let q = UnitQuaternion::from_axis_angle(&Vector3::x_axis(), a)
            * UnitQuaternion::from_axis_angle(&Vector3::y_axis(), b);
        [q.w, q.i, q.j, q.k]
    }

    /// Keeps the goal marker at the goal, at rest.
    fn park_marker(&mut self) {
        if let Some(m) = self.marker {
            let state = ObjectState {
                pos_w: self.goal_pos,
                rot_w: self.goal_rot,
                lin_vel_w: [0.0; 3],
                ang_vel_w: [0.0; 3],
            };
            // The marker exists (index from the scene): setting its state cannot fail.
            let _ = self.scene.set_object_state(m, &state);
        }
    }

    fn rel(&self, p: [f32; 3]) -> [f32; 3] {
        std::array::from_fn(|k| p[k] - self.centre[k])
    }

    fn write_obs(&self, obs: &mut [f32]) -> Result<(), SimError> {
        let mut w = ObsWriter::new(obs);
        let mut at = 0;
        for hand in &self.hands {
            let state = self.scene.articulation_state(hand.articulation)?;
            for (q, (lo, hi)) in state.q.iter().zip(&hand.limits) {
                let scaled = if hi > lo && lo.is_finite() && hi.is_finite() {
                    (2.0 * (q - lo) / (hi - lo) - 1.0).clamp(-1.5, 1.5)
                } else {
                    *q
                };
                w.put(&[scaled]);
            }
            for qd in &state.qd {
                w.put(&[0.2 * qd]);
            }
            for &tip in &hand.fingertips {
                w.put(&self.rel(hand.body_position(&self.scene, tip)));
            }
            w.put(&self.rel(hand.body_position(&self.scene, hand.palm)));
            let n = hand.actuated.len();
            w.put(&self.last_action[at..at + n]);
            at += n;
        }
        let s = self.object_state()?;
        w.put(&self.rel(s.pos_w));
        w.put(&s.rot_w);
        w.put(&s.lin_vel_w);
        w.put(&s.ang_vel_w.map(|v| 0.2 * v));
        w.put(&self.rel(self.goal_pos));
        w.put(&self.goal_rot);
        let diff = quat(s.rot_w) * quat(self.goal_rot).inverse();
        w.put(&[diff.w, diff.i, diff.j, diff.k]);
        w.put(&std::array::from_fn::<f32, 3, _>(|k| {
            self.goal_pos[k] - s.pos_w[k]
        }));
        w.put(&[self.steps as f32 / self.config.episode_steps as f32]);
        debug_assert_eq!(w.written(), self.obs_dim);
        Ok(())
    }

    fn observe(&self, obs: &mut [f32]) {
        if self.write_obs(obs).is_err() {
            obs.fill(0.0);
        }
    }

    fn apply_action(&mut self, action: &[f32]) -> Result<(), SimError> {
        let mut at = 0;
        for (h, hand) in self.hands.iter().enumerate() {
            for (i, &j) in hand.actuated.iter().enumerate() {
                let (lo, hi) = hand.ranges[i];
                self.targets[h][j] = lo + 0.5 * (action[at + i] + 1.0) * (hi - lo);
            }
            at += hand.actuated.len();
            self.scene
                .set_targets(hand.articulation, &self.targets[h])?;
        }
        Ok(())
    }
}

/// The angle between two orientations `w x y z` (rad; Bi-DexHands' `rot_dist`).
pub fn rotation_distance(a: [f32; 4], b: [f32; 4]) -> f32 {
    let d = quat(a) * quat(b).inverse();
    2.0 * d.imag().norm().min(1.0).asin()
}

fn quat(q: [f32; 4]) -> UnitQuaternion<f32> {
    UnitQuaternion::from_quaternion(Quaternion::new(q[0], q[1], q[2], q[3]))
}

impl Env for HandoverEnv {
    type Snapshot = HandoverSnapshot;

    fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    fn action_dim(&self) -> usize {
        self.action_dim
    }

    fn reseed(&mut self, seed: u64) {
        self.rng = ChaCha8Rng::seed_from_u64(seed);
    }

    fn reset(&mut self, obs: &mut [f32]) {
        let noise = self.config.reset_joint_noise;
        for h in 0..2 {
            let mut state = self.keyframe[h].clone();
            for (q, (lo, hi)) in state.q.iter_mut().zip(&self.hands[h].limits) {
                if lo.is_finite() && hi.is_finite() && hi > lo {
                    let u = self.rng.random_range(-1.0f32..1.0);
                    *q = (*q + noise * 0.5 * (hi - lo) * u).clamp(*lo, *hi);
                }
            }
            state.qd.iter_mut().for_each(|v| *v = 0.0);
            self.targets[h].clone_from(&state.q);
            let art = self.hands[h].articulation;
            if self.scene.set_articulation_state(art, &state).is_err()
                || self.scene.set_targets(art, &self.targets[h]).is_err()
            {
                obs.fill(0.0);
            }
        }
        let n = self.config.reset_position_noise_m;
        let pos: [f32; 3] = std::array::from_fn(|k| {
            self.nominal.pos_w[k] + n * self.rng.random_range(-1.0f32..1.0)
        });
        let rot = self.draw_rotation();
        let start = ObjectState {
            pos_w: pos,
            rot_w: rot,
            lin_vel_w: [0.0; 3],
            ang_vel_w: [0.0; 3],
        };
        if self.scene.set_object_state(self.object, &start).is_err() {
            obs.fill(0.0);
        }
        // The goal: the mirror image of the block's nominal start, over the left palm.
        let p = self.nominal.pos_w;
        self.goal_pos = [p[0], 2.0 * self.config.mirror_plane_y - p[1], p[2]];
        self.goal_rot = self.draw_rotation();
        self.park_marker();
        self.start_z = pos[2];
        self.steps = 0;
        self.last_action.iter_mut().for_each(|a| *a = 0.0);
        self.reached = false;
        self.fell = false;
        self.observe(obs);
    }

    fn step(&mut self, action: &[f32], obs: &mut [f32]) -> StepOutcome {
        let clipped: Vec<f32> = (0..self.action_dim)
            .map(|k| clip_action(action.get(k).copied().unwrap_or(0.0)))
            .collect();
        let applied = self.apply_action(&clipped);
        self.scene.step();
        self.park_marker();
        self.steps += 1;
        let blew_up = applied.is_err() || self.scene.has_non_finite_state();
        let mut terms = [0.0f32; 2];
        match (blew_up, self.object_state(), self.goal_distance()) {
            (false, Ok(s), Ok((d, rot))) => {
                self.fell = s.pos_w[2] < self.start_z - self.config.fall_drop_m;
                terms[0] = (-0.2
                    * (self.config.dist_reward_scale * d + self.config.rot_reward_scale * rot))
                    .exp();
                if d < self.config.success_tolerance_m && !self.reached {
                    self.reached = true;
                    terms[1] = self.config.reach_goal_bonus;
                }
            }
            _ => self.fell = true,
        }
        for (s, t) in self.term_sums.iter_mut().zip(terms) {
            *s += t as f64;
        }
        self.term_steps += 1;
        self.last_action = clipped;
        if self.fell {
            obs.fill(0.0);
            if !blew_up {
                self.observe(obs);
            }
        } else {
            self.observe(obs);
        }
        let truncated = self.steps >= self.config.episode_steps;
        if (self.fell || truncated) && self.reached {
            self.successes += 1;
        }
        StepOutcome {
            reward: terms.iter().sum(),
            terminated: self.fell,
            truncated: truncated && !self.fell,
        }
    }

    fn snapshot(&self) -> HandoverSnapshot {
        HandoverSnapshot {
            world: self.scene.snapshot(),
            rng: self.rng.clone(),
            steps: self.steps,
            goal_pos: self.goal_pos,
            goal_rot: self.goal_rot,
            start_z: self.start_z,
            last_action: self.last_action.clone(),
            targets: self.targets.to_vec(),
            reached: self.reached,
            fell: self.fell,
            successes: self.successes,
            term_sums: self.term_sums.clone(),
            term_steps: self.term_steps,
        }
    }

    fn restore(&mut self, s: &HandoverSnapshot) {
        self.scene.restore(&s.world);
        self.rng = s.rng.clone();
        self.steps = s.steps;
        self.goal_pos = s.goal_pos;
        self.goal_rot = s.goal_rot;
        self.start_z = s.start_z;
        for (a, b) in self.last_action.iter_mut().zip(&s.last_action) {
            *a = *b;
        }
        for (t, saved) in self.targets.iter_mut().zip(&s.targets) {
            for (a, b) in t.iter_mut().zip(saved) {
                *a = *b;
            }
        }
        self.reached = s.reached;
        self.fell = s.fell;
        self.successes = s.successes;
        self.term_sums.clone_from(&s.term_sums);
        self.term_steps = s.term_steps;
    }

    fn step_info(&self) -> StepInfo {
        StepInfo {
            fall: Some(self.fell),
            success: Some(self.reached),
        }
    }

    fn drain_reward_terms(&mut self) -> (Vec<(&'static str, f32)>, u32) {
        drain_term_sums(&TERM_NAMES, &mut self.term_sums, &mut self.term_steps)
    }

    fn curriculum_levels(&self) -> Vec<(&'static str, f32)> {
        // Not a curriculum: the episodes that reached the goal since the env was built.
        vec![("successes", self.successes as f32)]
    }
}
