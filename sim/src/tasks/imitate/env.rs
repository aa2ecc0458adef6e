//! The imitation env: a DeepMimic character in Rapier tracks a motion clip.
//!
//! Each episode starts from the clip's state at a random time (reference state initialisation)
//! and ends when a fall body touches the ground (early termination) or after `episode_s`. The
//! policy acts at the controller file's rate (30 Hz for the humanoid); an action becomes PD
//! targets around the reference pose of the next step (or, in DeepMimic's absolute mode, the
//! targets themselves). The reward is DeepMimic's imitation reward (`reward.rs`).

use super::config::{ActionMode, ImitationConfig, ObservationVariant, resolve_data_path};
use super::features::{JointSites, PoseFeatures, heading_rot};
use super::objective::{HEADING_OBS, HeadingTarget};
use super::performer::Performer;
use super::reward::{ImitationReward, RewardBreakdown, TERM_NAMES, TrackingErrors};
use crate::env::{Env, StepInfo, StepOutcome};
use crate::error::SimError;
use crate::physics::PhysicsConfig;
use crate::robot_world::RobotWorld;
use crate::scene::ArticulationState;
use crate::terrain::Terrain;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapier3d::glamx::Quat;
use rapier3d::prelude::{ColliderHandle, Vec3};
use robots::RobotSpec;
use robots::motion::{Character, MotionClip, PdController, character_robot};
use std::sync::Arc;

/// What every env of one run shares: the performer's robot and the clip, read once.
#[derive(Debug)]
pub struct ImitationAssets {
    /// The DeepMimic character, when one performs (else a robot from its description).
    pub character: Option<Character>,
    /// The robot that performs (built from the character, or the robot's own).
    pub spec: Arc<RobotSpec>,
    /// The comparison points and joint weights.
    pub performer: Performer,
    /// The clip, in the robot's joint layout.
    pub clip: MotionClip,
    /// Policy rate (Hz).
    pub update_rate_hz: f64,
}

impl ImitationAssets {
    /// Reads the files `config` names.
    pub fn load(config: &ImitationConfig) -> Result<Self, SimError> {
        let clip_path = resolve_data_path(&config.clip);
        if let Some(robot) = &config.robot {
            let spec = robots::load_builtin_or_path(robot)?;
            let clip = MotionClip::from_robot_clip_file(&clip_path, &spec)?;
            return Ok(Self {
                character: None,
                performer: Performer::from_robot(&spec),
                spec: Arc::new(spec),
                clip,
                update_rate_hz: config.control_hz,
            });
        }
        let character = Character::from_file(&resolve_data_path(&config.character))?;
        let controller =
            PdController::from_file(&resolve_data_path(&config.controller), &character)?;
        let spec = Arc::new(character_robot(&character, &controller)?);
        let clip = MotionClip::from_file(&clip_path, &character)?;
        Ok(Self {
            performer: Performer::from_character(&character),
            character: Some(character),
            spec,
            clip,
            update_rate_hz: controller.update_rate_hz,
        })
    }

    /// Observation length for `variant`: gravity and angular velocity in the root frame (6),
    /// joint positions `[nq]` and velocities `[nv]`, the clip's phase as sin and cos (2), the
    /// reference joint positions of the next step `[nq]` and the reference root's gravity
    /// direction (3); `Full` adds the root height (1), the root's linear velocity in its frame
    /// (3), the reference root's position in the root's heading frame (3) and the heading
    /// difference as sin and cos (2).
    pub fn obs_dim(&self, variant: ObservationVariant) -> usize {
        let common = 6 + 2 * self.spec.nq() + self.spec.nv() + 2 + 3;
        match variant {
            ObservationVariant::Deployable => common,
            ObservationVariant::Full => common + 9,
        }
    }
}

/// One character imitating one clip.
pub struct ImitationEnv {
    world: RobotWorld,
    terrain: Terrain,
    assets: Arc<ImitationAssets>,
    config: ImitationConfig,
    sites: JointSites,
    reward: ImitationReward,
    fall_colliders: Vec<ColliderHandle>,
    rng: ChaCha8Rng,
    /// Control period (s).
    dt: f64,
    /// Clip time of the current state (s).
    time: f64,
    steps: u32,
    max_steps: u32,
    fell: bool,
    sim: PoseFeatures,
    reference: PoseFeatures,
    targets: Vec<f32>,
    last_reward: RewardBreakdown,
    term_sums: [f64; 5],
    term_steps: u32,
    /// The heading objective's current target (when `[env.objective]` is set).
    target: HeadingTarget,
    /// Sum of the heading objective's kernel since the last drain.
    objective_sum: f64,
}

/// The complete state of an [`ImitationEnv`].
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct ImitationSnapshot {
    world: crate::snapshot::WorldSnapshot,
    rng: ChaCha8Rng,
    time: f64,
    steps: u32,
    fell: bool,
    term_sums: [f64; 5],
    term_steps: u32,
    /// The heading objective's target (snapshots from before objectives have none).
    #[serde(default)]
    target: HeadingTarget,
    #[serde(default)]
    objective_sum: f64,
}

impl ImitationEnv {
    /// An env over `assets` with RNG seed `seed` (use `seed ^ env_id`).
    pub fn new(
        assets: Arc<ImitationAssets>,
        config: ImitationConfig,
        seed: u64,
    ) -> Result<Self, SimError> {
        config.validate()?;
        let dt = 1.0 / assets.update_rate_hz;
        let physics = PhysicsConfig {
            control_dt: dt as f32,
            decimation: config.sim_steps_per_control,
            solver_substeps: config.solver_substeps,
            friction: config.friction,
            ..PhysicsConfig::default()
        };
        let terrain = Terrain::flat();
        let world = RobotWorld::new(assets.spec.clone(), &terrain, physics)?;
        let sites = JointSites::new(&assets.performer.sites, &assets.spec).map_err(|link| {
            SimError::Config {
                key: "env".into(),
                message: format!("the robot has no link '{link}' to compare"),
            }
        })?;
        let reward =
            ImitationReward::new(&config.reward, &assets.performer, &assets.clip.spherical);
        let fall_colliders = world.colliders_of_links(&assets.spec.terminate_contacts);
        let max_steps = (config.episode_s as f64 / dt).round().max(1.0) as u32;
        Ok(Self {
            world,
            terrain,
            sites,
            reward,
            fall_colliders,
            rng: ChaCha8Rng::seed_from_u64(seed),
            dt,
            time: 0.0,
            steps: 0,
            max_steps,
            fell: false,
            sim: PoseFeatures::default(),
            reference: PoseFeatures::default(),
            targets: vec![0.0; assets.spec.nq()],
            last_reward: RewardBreakdown::default(),
            term_sums: [0.0; 5],
            term_steps: 0,
            target: HeadingTarget::default(),
            objective_sum: 0.0,
            assets,
            config,
        })
    }

    /// The simulated world.
    pub fn world(&self) -> &RobotWorld {
        &self.world
    }

    /// The ground (flat).
    pub fn terrain(&self) -> &Terrain {
        &self.terrain
    }

    /// Mutable access to the simulated world (external forces, setting a state); call
    /// [`ImitationEnv::observe_current`] after changing it.
    pub fn world_mut(&mut self) -> &mut RobotWorld {
        &mut self.world
    }

    /// Re-reads the world (after [`ImitationEnv::world_mut`]) and writes the observation.
    pub fn observe_current(&mut self, obs: &mut [f32]) {
        self.refresh_features();
        self.observe(obs);
    }

    /// The shared character, robot and clip.
    pub fn assets(&self) -> &Arc<ImitationAssets> {
        &self.assets
    }

    /// Clip time of the current state (s).
    pub fn clip_time(&self) -> f64 {
        self.time
    }

    /// Steps in the current episode.
    pub fn episode_steps(&self) -> u32 {
        self.steps
    }

    /// The simulated character's features after the last reset or step.
    pub fn simulated(&self) -> &PoseFeatures {
        &self.sim
    }

    /// The reference's features at the current clip time.
    pub fn reference(&self) -> &PoseFeatures {
        &self.reference
    }

    /// The last step's reward terms.
    pub fn last_reward(&self) -> RewardBreakdown {
        self.last_reward
    }

    /// How far the current pose is from the reference.
    pub fn tracking_errors(&self) -> TrackingErrors {
        self.reward.tracking_errors(&self.sim, &self.reference)
    }

    /// Starts an episode at clip time `t` (s) with the clip's pose and velocity there, lifted
    /// clear of the ground if the pose would sink into it.
    pub fn reset_at(&mut self, t: f64, obs: &mut [f32]) {
        let clip = &self.assets.clip;
        let pose = clip.pose_at(t);
        let vel = clip.velocity_at(t);
        let root = pose.root_pose();
        let lowest = robots::lowest_point_z_at(&self.assets.spec, root, &pose.q).unwrap_or(0.0);
        let lift = (0.002 - lowest).max(0.0);
        let state = ArticulationState {
            base_pos_w: [
                root.translation.x as f32,
                root.translation.y as f32,
                (root.translation.z + lift) as f32,
            ],
            base_rot_w: [
                root.rotation.w as f32,
                root.rotation.i as f32,
                root.rotation.j as f32,
                root.rotation.k as f32,
            ],
            base_lin_vel_w: vel.root_lin_vel.map(|x| x as f32).into(),
            base_ang_vel_w: vel.root_ang_vel.map(|x| x as f32).into(),
            q: pose.q.iter().map(|&x| x as f32).collect(),
            qd: vel.qd.iter().map(|&x| x as f32).collect(),
        };
        // The state comes from the clip, which fits the robot built from the same character.
        let _ = self.world.set_state(&state);
        let _ = self.world.set_joint_targets(&state.q);
        self.time = t;
        self.steps = 0;
        self.fell = false;
        self.refresh_features();
        if let Some(o) = self.config.objective {
            // The first target turns away from the way the character faces.
            let heading = yaw_of(self.sim.root_rot);
            self.target = o.draw(heading, &mut self.rng);
        }
        self.observe(obs);
    }

    /// The heading objective's current target (`None` without `[env.objective]`).
    pub fn heading_target(&self) -> Option<HeadingTarget> {
        self.config.objective.map(|_| self.target)
    }

    /// Observation length: the assets' for the observation variant, plus the objective's.
    fn observation_len(&self) -> usize {
        self.assets.obs_dim(self.config.observation)
            + self.config.objective.map_or(0, |_| HEADING_OBS)
    }

    fn refresh_features(&mut self) {
        self.sites.simulated(&self.world, &mut self.sim);
        self.sites.reference(
            &self.assets.spec,
            &self.assets.clip,
            self.time,
            Vec3::ZERO,
            0.5 * self.dt,
            &mut self.reference,
        );
    }

    /// PD targets for `action` around the reference pose at clip time `t`.
    fn write_targets(&mut self, action: &[f32], t: f64) {
        let reference = self.assets.clip.pose_at(t);
        let scale = self.config.action_scale;
        let (mut qa, mut va) = (0, 0);
        for &spherical in &self.assets.clip.spherical {
            let a = |i: usize| {
                let x = action.get(va + i).copied().unwrap_or(0.0);
                if x.is_finite() { x * scale } else { 0.0 }
            };
            if spherical {
                let offset = Quat::from_scaled_axis(Vec3::new(a(0), a(1), a(2)));
                let target = match self.config.action {
                    ActionMode::Residual => {
                        let r = &reference.q[qa..qa + 4];
                        Quat::from_xyzw(r[1] as f32, r[2] as f32, r[3] as f32, r[0] as f32) * offset
                    }
                    ActionMode::Absolute => offset,
                };
                self.targets[qa..qa + 4].copy_from_slice(&[target.w, target.x, target.y, target.z]);
                qa += 4;
                va += 3;
            } else {
                self.targets[qa] = match self.config.action {
                    ActionMode::Residual => reference.q[qa] as f32 + a(0),
                    ActionMode::Absolute => a(0),
                };
                qa += 1;
                va += 1;
            }
        }
    }

    fn observe(&self, obs: &mut [f32]) {
        let s = &self.sim;
        let inv = s.root_rot.inverse();
        let mut w = ObsWriter { obs, at: 0 };
        w.vec(inv * Vec3::new(0.0, 0.0, -1.0));
        w.vec(inv * s.root_ang_vel);
        w.joint_positions(&s.q, &self.assets.clip.spherical);
        for &v in &s.qd {
            w.push(0.1 * v);
        }
        let phase = std::f64::consts::TAU * self.assets.clip.phase(self.time);
        w.push(phase.sin() as f32);
        w.push(phase.cos() as f32);
        let next = self.assets.clip.pose_at(self.time + self.dt);
        let next_q: Vec<f32> = next.q.iter().map(|&x| x as f32).collect();
        w.joint_positions(&next_q, &self.assets.clip.spherical);
        let r = &self.reference;
        w.vec(r.root_rot.inverse() * Vec3::new(0.0, 0.0, -1.0));
        if self.config.observation == ObservationVariant::Full {
            w.push(s.root_pos.z);
            w.vec(inv * s.root_lin_vel);
            let heading = heading_rot(s.root_rot);
            w.vec(heading.inverse() * (r.root_pos - s.root_pos));
            let rel = heading.inverse() * heading_rot(r.root_rot);
            let x = rel * Vec3::X;
            w.push(x.y);
            w.push(x.x);
        }
        if self.config.objective.is_some() {
            let relative = self.target.heading - yaw_of(s.root_rot);
            w.push(relative.cos());
            w.push(relative.sin());
            w.push(self.target.speed);
        }
        debug_assert_eq!(w.at, self.observation_len());
    }
}

/// Writes observation entries in order; non-finite values become 0 (the step then terminates).
struct ObsWriter<'a> {
    obs: &'a mut [f32],
    at: usize,
}

impl ObsWriter<'_> {
    fn push(&mut self, x: f32) {
        if let Some(slot) = self.obs.get_mut(self.at) {
            *slot = if x.is_finite() { x } else { 0.0 };
        }
        self.at += 1;
    }

    fn vec(&mut self, v: Vec3) {
        self.push(v.x);
        self.push(v.y);
        self.push(v.z);
    }

    /// Joint positions with each ball joint's quaternion on the `w >= 0` half (`q` and `-q` are
    /// one rotation; the network should see one of them).
    fn joint_positions(&mut self, q: &[f32], spherical: &[bool]) {
        let mut at = 0;
        for &ball in spherical {
            if ball {
                let sign = if q[at] < 0.0 { -1.0 } else { 1.0 };
                for k in 0..4 {
                    self.push(sign * q[at + k]);
                }
                at += 4;
            } else {
                self.push(q[at]);
                at += 1;
            }
        }
    }
}

impl Env for ImitationEnv {
    type Snapshot = ImitationSnapshot;

    fn obs_dim(&self) -> usize {
        self.observation_len()
    }

    fn action_dim(&self) -> usize {
        self.assets.spec.nv()
    }

    fn reseed(&mut self, seed: u64) {
        self.rng = ChaCha8Rng::seed_from_u64(seed);
    }

    fn reset(&mut self, obs: &mut [f32]) {
        let t = if self.config.random_start {
            self.rng.random_range(0.0..self.assets.clip.duration())
        } else {
            0.0
        };
        self.reset_at(t, obs);
    }

    fn step(&mut self, action: &[f32], obs: &mut [f32]) -> StepOutcome {
        let next = self.time + self.dt;
        self.write_targets(action, next);
        // The targets have the robot's length by construction.
        let _ = self.world.set_joint_targets(&self.targets);
        self.world.step();
        self.time = next;
        self.steps += 1;
        self.refresh_features();
        self.last_reward = self.reward.compute(&self.sim, &self.reference);
        for (sum, k) in self.term_sums.iter_mut().zip(&self.last_reward.kernels) {
            *sum += *k as f64;
        }
        self.term_steps += 1;
        let mut reward = self.last_reward.total;
        if let Some(o) = self.config.objective {
            let heading = o.reward(&self.target, self.sim.root_lin_vel);
            self.objective_sum += heading as f64;
            reward = o.combine(reward, heading);
            if o.changes(self.dt as f32, &mut self.rng) {
                self.target = o.draw(self.target.heading, &mut self.rng);
            }
        }
        self.fell = self.world.any_touches_ground(&self.fall_colliders);
        self.observe(obs);
        let broken = self.world.has_non_finite_state() || !reward.is_finite();
        StepOutcome {
            reward: if broken { 0.0 } else { reward },
            terminated: broken || (self.config.early_termination && self.fell),
            truncated: self.steps >= self.max_steps,
        }
    }

    fn step_info(&self) -> StepInfo {
        StepInfo {
            fall: Some(self.fell),
            success: None,
        }
    }

    fn drain_reward_terms(&mut self) -> (Vec<(&'static str, f32)>, u32) {
        let n = self.term_steps;
        let mut terms: Vec<(&'static str, f32)> = TERM_NAMES
            .iter()
            .zip(&self.term_sums)
            .map(|(name, sum)| (*name, *sum as f32))
            .collect();
        if self.config.objective.is_some() {
            terms.push(("heading", std::mem::take(&mut self.objective_sum) as f32));
        }
        self.term_sums = [0.0; 5];
        self.term_steps = 0;
        (terms, n)
    }

    fn snapshot(&self) -> ImitationSnapshot {
        ImitationSnapshot {
            world: self.world.snapshot(),
            rng: self.rng.clone(),
            time: self.time,
            steps: self.steps,
            fell: self.fell,
            term_sums: self.term_sums,
            term_steps: self.term_steps,
            target: self.target,
            objective_sum: self.objective_sum,
        }
    }

    fn restore(&mut self, s: &ImitationSnapshot) {
        self.world.restore(&s.world);
        self.rng = s.rng.clone();
        self.time = s.time;
        self.steps = s.steps;
        self.fell = s.fell;
        self.term_sums = s.term_sums;
        self.term_steps = s.term_steps;
        self.target = s.target;
        self.objective_sum = s.objective_sum;
        self.refresh_features();
    }
}

/// Heading (rad from +x) of a root rotation in the ground plane.
fn yaw_of(rot: Quat) -> f32 {
    let x = rot * Vec3::X;
    x.y.atan2(x.x)
}
