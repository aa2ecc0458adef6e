//! One robot following velocity commands.

use super::config::LocomotionConfig;
use super::curriculum::TerrainType;
use super::disturber::{Disturber, DisturberConfig, DisturberKind, DisturberState};
use super::rewards::{RewardInputs, RewardTerms};
use crate::env::{ConstraintSample, ConstraintSpec, Env, HostedAgent, StepOutcome};
use crate::error::SimError;
use crate::robot_world::RobotWorld;
use crate::terrain::Terrain;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapier3d::glamx::Quat;
use rapier3d::prelude::{ColliderHandle, Vec3};
use robots::contract::{ActionMap, DeployContract, ObsLayout, ObsSources, ObsTerm};
use robots::{ObservationScales, RobotSpec};
use std::sync::Arc;

/// A legged robot asked to follow `[vx, vy, yaw rate]` commands.
pub struct LocomotionEnv {
    world: RobotWorld,
    /// Colliders of each foot link.
    feet: Vec<Vec<ColliderHandle>>,
    /// Colliders of each penalised link.
    penalised: Vec<Vec<ColliderHandle>>,
    /// Colliders whose ground contact ends the episode.
    terminating: Vec<ColliderHandle>,
    terrain: Terrain,
    config: LocomotionConfig,
    rng: ChaCha8Rng,
    nominal_height: f32,
    dt: f32,
    max_steps: u32,
    resample_steps: u32,
    push_steps: u32,
    steps: u32,
    /// Set by `reseed`: the next reset starts at a random point of the episode.
    spread_next_reset: bool,
    command: [f32; 3],
    q: Vec<f32>,
    qd: Vec<f32>,
    prev_qd: Vec<f32>,
    last_action: Vec<f32>,
    prev_action: Vec<f32>,
    torques: Vec<f32>,
    soft_limits: Vec<(f32, f32)>,
    air_time: Vec<f32>,
    touchdown: Vec<f32>,
    term_sums: RewardTerms,
    term_steps: u32,
    scales: ObservationScales,
    /// This env's place in the terrain curriculum, when it is on.
    level: Option<CurriculumSlot>,
    /// Steps since the last reset (`steps` may start mid-episode).
    episode_steps: u32,
    /// Where following the commands exactly would have taken the base since the last reset:
    /// world-frame planar offset (m) and heading (rad) from the spawn pose.
    commanded_offset: [f32; 2],
    commanded_heading: f32,
    /// The last step ended the episode in a fall.
    ended_in_fall: bool,
    /// Level in the command curriculum (0 when it is off).
    command_level: u32,
    /// Sum of the linear tracking kernel since the last reset.
    tracking_sum: f32,
    /// The trot generator (`[env.gait]`), its offsets this step and the action plus offsets.
    gait: Option<robots::TrotGenerator>,
    gait_offsets: Vec<f32>,
    shifted_action: Vec<f32>,
    /// What the policy observes and commands (the deploy contract); the observation is written
    /// through its layout.
    contract: DeployContract,
    /// Where the noisy quantities sit in the observation.
    noise_at: NoiseOffsets,
    /// Ground height below each height-scan point this step (with noise). `[scan points]`
    ground_z: Vec<f32>,
    /// The `[disturber]` (pushes, random forces or the learned H-infinity disturber); when set,
    /// `[env]`'s own pushes are off.
    disturber: Option<Disturber>,
    /// Where resets place the base: `[x, y, yaw]` (the origin, facing +x, unless a task that
    /// builds on this one moves it).
    spawn: [f32; 3],
}

/// Name of the H-infinity disturber among the runner's agents.
pub const DISTURBER_AGENT: &str = "disturber";

/// Offsets of the observation slices that get sensor noise.
#[derive(Debug, Clone, Copy)]
struct NoiseOffsets {
    lin_vel: usize,
    ang_vel: usize,
    gravity: usize,
    dof_pos: usize,
    dof_vel: usize,
}

/// The locomotion task's deploy contract: the legged proprioceptive slices, the trot phase and
/// the height scan when configured; joint targets `default + action_scale * action` plus the
/// trot offsets.
fn locomotion_contract(
    world: &RobotWorld,
    config: &LocomotionConfig,
    scales: &ObservationScales,
) -> Result<DeployContract, SimError> {
    let spec = world.spec();
    let names: Vec<String> = spec.joints.iter().map(|j| j.name.clone()).collect();
    let err = |e: robots::contract::ContractError| SimError::Config {
        key: "env".into(),
        message: e.to_string(),
    };
    let mut observation =
        robots::proprio_layout(&names, world.default_positions(), scales).map_err(err)?;
    if let Some(g) = &config.gait {
        observation
            .push(ObsTerm::GaitPhase { gait: g.clone() }, None)
            .map_err(err)?;
    }
    if let Some(scan) = &config.height_scan {
        observation.push(scan.term(), None).map_err(err)?;
    }
    Ok(DeployContract {
        observation,
        action: ActionMap {
            default: world.default_positions().to_vec(),
            scale: (0..names.len())
                .map(|k| spec.joint_action_scale(k) as f32)
                .collect(),
            joints: names,
            gait: config.gait.clone(),
        },
        control_dt: config.physics.control_dt,
    })
}

impl NoiseOffsets {
    fn of(layout: &ObsLayout) -> Result<Self, SimError> {
        let at = |name: &str| {
            layout
                .find(name)
                .map(|s| s.offset)
                .ok_or_else(|| SimError::Config {
                    key: "env".into(),
                    message: format!("the observation has no '{name}' slice"),
                })
        };
        Ok(Self {
            lin_vel: at("base_lin_vel")?,
            ang_vel: at("base_ang_vel")?,
            gravity: at("projected_gravity")?,
            dof_pos: at("joint_pos")?,
            dof_vel: at("joint_vel")?,
        })
    }
}

fn joint_names(spec: &RobotSpec) -> Vec<&str> {
    spec.joints.iter().map(|j| j.name.as_str()).collect()
}

/// Terrain type and level of one env in the curriculum.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct CurriculumSlot {
    ty: TerrainType,
    level: u32,
    downhill: bool,
}

impl LocomotionEnv {
    /// A locomotion env for `spec` on `terrain`, with RNG seed `seed` (use `seed ^ env_id`).
    pub fn new(
        spec: Arc<RobotSpec>,
        terrain: Terrain,
        config: LocomotionConfig,
        seed: u64,
    ) -> Result<Self, SimError> {
        config.validate()?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (terrain, level) = match &config.curriculum {
            Some(c) => {
                let slot = CurriculumSlot {
                    ty: c.type_for(rng.random_range(0.0..1.0)),
                    level: rng.random_range(0..=c.max_initial_level),
                    downhill: rng.random_range(0..2) == 0,
                };
                let kind = c.terrain_kind(slot.ty, slot.level, slot.downhill);
                (Terrain::new(kind, rng.random()), Some(slot))
            }
            None => (terrain, None),
        };
        let n = spec.num_joints();
        let nominal_height = robots::nominal_base_height(&spec).unwrap_or(0.5) as f32;
        let soft = config.soft_dof_pos_limit;
        let soft_limits = spec
            .joints
            .iter()
            .map(|j| {
                let (lo, hi) = (j.lower as f32, j.upper as f32);
                if lo.is_finite() && hi.is_finite() {
                    let (mid, half) = (0.5 * (lo + hi), 0.5 * (hi - lo) * soft);
                    (mid - half, mid + half)
                } else {
                    (f32::NEG_INFINITY, f32::INFINITY)
                }
            })
            .collect();
        let num_feet = spec.feet.len();
        let world = RobotWorld::new(spec.clone(), &terrain, config.physics)?;
        let feet = spec
            .feet
            .iter()
            .map(|f| world.colliders_of_links(std::slice::from_ref(&f.name)))
            .collect();
        let penalised = spec
            .penalise_contacts
            .iter()
            .map(|l| world.colliders_of_links(std::slice::from_ref(l)))
            .collect();
        let terminating = world.colliders_of_links(&spec.terminate_contacts);
        let gait = match &config.gait {
            Some(g) => Some(robots::TrotGenerator::new(g, &joint_names(&spec)).map_err(
                |(key, message)| SimError::Config {
                    key: format!("env.{key}"),
                    message,
                },
            )?),
            None => None,
        };
        let dt = config.physics.control_dt;
        let steps_of = |s: f32| (s / dt).round().max(1.0) as u32;
        let scales = ObservationScales::default();
        let contract = locomotion_contract(&world, &config, &scales)?;
        let noise_at = NoiseOffsets::of(&contract.observation)?;
        let ground_z = vec![0.0; config.height_scan.as_ref().map_or(0, |h| h.dim())];
        Ok(Self {
            world,
            feet,
            penalised,
            terminating,
            terrain,
            rng,
            nominal_height,
            dt,
            max_steps: steps_of(config.episode_s),
            resample_steps: steps_of(config.resampling_s),
            push_steps: if config.push_interval_s > 0.0 {
                steps_of(config.push_interval_s)
            } else {
                u32::MAX
            },
            steps: 0,
            spread_next_reset: false,
            command: [0.0; 3],
            q: vec![0.0; n],
            qd: vec![0.0; n],
            prev_qd: vec![0.0; n],
            last_action: vec![0.0; n],
            prev_action: vec![0.0; n],
            torques: vec![0.0; n],
            soft_limits,
            air_time: vec![0.0; num_feet],
            touchdown: vec![0.0; num_feet],
            term_sums: RewardTerms::default(),
            term_steps: 0,
            scales,
            level,
            episode_steps: 0,
            commanded_offset: [0.0; 2],
            commanded_heading: 0.0,
            ended_in_fall: false,
            command_level: 0,
            tracking_sum: 0.0,
            gait,
            gait_offsets: vec![0.0; n],
            shifted_action: vec![0.0; n],
            contract,
            noise_at,
            ground_z,
            config,
            disturber: None,
            spawn: [0.0; 3],
        })
    }

    /// Puts the `[disturber]` on this env (replacing `[env]`'s pushes); `steps_per_iteration`
    /// control steps make one training iteration (the force curriculum's unit).
    pub fn set_disturber(
        &mut self,
        config: DisturberConfig,
        steps_per_iteration: u32,
    ) -> Result<(), SimError> {
        let mass = self.world.spec().total_mass() as f32;
        self.disturber = Some(Disturber::new(config, mass, self.dt, steps_per_iteration)?);
        self.push_steps = u32::MAX;
        Ok(())
    }

    /// The disturber, when `[disturber]` is set.
    pub fn disturber(&self) -> Option<&Disturber> {
        self.disturber.as_ref()
    }

    /// Sets an external force (N, world frame) through the base's centre of mass that acts on
    /// every following step until changed (zero removes it); `embody eval --push-test`'s pulses.
    pub fn set_base_force_w(&mut self, force_w: Vec3) {
        self.world.clear_external_wrenches();
        if force_w != Vec3::ZERO {
            let _ = self.world.apply_external_wrench(0, force_w, Vec3::ZERO);
        }
    }

    /// The simulated world.
    pub fn world(&self) -> &RobotWorld {
        &self.world
    }

    /// The simulated world, for tasks built on this one (a confined world replaces the ground).
    pub(crate) fn world_mut(&mut self) -> &mut RobotWorld {
        &mut self.world
    }

    /// Where the following resets place the base: `(x, y)` on the ground there, facing `yaw`.
    pub fn set_spawn(&mut self, x: f32, y: f32, yaw: f32) {
        self.spawn = [x, y, yaw];
    }

    /// Writes the observation again (after [`Self::set_command`] at a reset), drawing fresh
    /// noise.
    pub(crate) fn reobserve(&mut self, obs: &mut [f32]) {
        self.observe(obs);
    }

    /// The terrain this env walks on.
    pub fn terrain(&self) -> &Terrain {
        &self.terrain
    }

    /// Terrain type and level of this env in the curriculum (`None` when it is off).
    pub fn terrain_level(&self) -> Option<(TerrainType, u32)> {
        self.level.map(|s| (s.ty, s.level))
    }

    /// Moves this env along the curriculum after an episode and rebuilds its terrain if its
    /// level changed.
    fn update_curriculum(&mut self) {
        let (Some(c), Some(mut slot)) = (self.config.curriculum, self.level) else {
            return;
        };
        if self.episode_steps == 0 {
            return;
        }
        let distance = self.world.base_state().pos_w.truncate().length();
        let [ox, oy] = self.commanded_offset;
        let level = c.next_level(
            slot.level,
            distance,
            ox.hypot(oy),
            self.ended_in_fall,
            &mut self.rng,
        );
        if level != slot.level {
            slot.level = level;
            self.level = Some(slot);
            let kind = c.terrain_kind(slot.ty, level, slot.downhill);
            self.terrain = Terrain::new(kind, self.rng.random());
            self.world.set_terrain(&self.terrain);
        }
    }

    /// The current command `[vx, vy, yaw rate]`.
    pub fn command(&self) -> [f32; 3] {
        self.command
    }

    /// Sets the command (e.g. from a gamepad or an evaluation script); it holds until the next
    /// resampling time.
    pub fn set_command(&mut self, command: [f32; 3]) {
        self.command = command;
    }

    /// Mechanical power of the joints in the last step, `sum |tau_i * qd_i|` (W).
    pub fn mechanical_power(&self) -> f32 {
        self.torques
            .iter()
            .zip(&self.qd)
            .map(|(t, v)| (t * v).abs())
            .sum()
    }

    /// Sums of the reward terms since the last call, and the number of steps they cover.
    pub fn take_reward_terms(&mut self) -> (RewardTerms, u32) {
        let out = (self.term_sums, self.term_steps);
        self.term_sums = RewardTerms::default();
        self.term_steps = 0;
        out
    }

    /// Level of this env in the command curriculum (`None` when it is off).
    pub fn command_level(&self) -> Option<u32> {
        self.config.command_curriculum.map(|_| self.command_level)
    }

    fn resample_command(&mut self) {
        let mut r = self.config.commands;
        if let Some(c) = self.config.command_curriculum {
            let share = c.share(self.command_level);
            // Level 0 asks for forward walking only; backward, lateral and yaw open up together.
            r.lin_vel_x[0] = r.lin_vel_x[0].max(r.lin_vel_x[0] * share);
            r.lin_vel_y = r.lin_vel_y.map(|v| v * share);
            r.ang_vel_yaw = r.ang_vel_yaw.map(|v| v * share);
        }
        let mut draw = |[lo, hi]: [f32; 2]| {
            if hi > lo {
                self.rng.random_range(lo..=hi)
            } else {
                lo
            }
        };
        let mut c = [draw(r.lin_vel_x), draw(r.lin_vel_y), draw(r.ang_vel_yaw)];
        // legged_gym zeroes small planar commands so "stand still" is part of the task.
        if (c[0] * c[0] + c[1] * c[1]).sqrt() < 0.2 {
            c[0] = 0.0;
            c[1] = 0.0;
        }
        self.command = c;
    }

    fn noise(&mut self, amplitude: f32) -> f32 {
        let a = amplitude * self.config.noise.level;
        if a > 0.0 {
            self.rng.random_range(-a..=a)
        } else {
            0.0
        }
    }

    /// Writes the observation through the contract's layout, with uniform noise added
    /// (amplitudes in raw units, scaled like the quantity they perturb; the height-scan noise is
    /// drawn first, then the proprioceptive noise).
    fn observe(&mut self, obs: &mut [f32]) {
        let base = self.world.base_state();
        let gait_phase = self
            .gait
            .as_ref()
            .map(|g| g.observation(g.phase(self.episode_steps as f64 * self.dt as f64)));
        if let Some(scan) = &self.config.height_scan {
            let heading = base.rot_w * Vec3::X;
            let yaw = heading.y.atan2(heading.x);
            let amplitude = scan.noise * self.config.noise.level;
            let rng = &mut self.rng;
            scan.ground_heights(
                &self.world,
                base.pos_w.to_array(),
                yaw,
                || {
                    if amplitude > 0.0 {
                        rng.random_range(-amplitude..=amplitude)
                    } else {
                        0.0
                    }
                },
                &mut self.ground_z,
            );
        }
        let src = ObsSources {
            lin_vel_b: base.lin_vel_b.to_array(),
            ang_vel_b: base.ang_vel_b.to_array(),
            gravity_b: base.gravity_b.to_array(),
            command: self.command,
            joint_pos: &self.q,
            joint_vel: &self.qd,
            last_action: &self.last_action,
            gait_phase,
            base_z: base.pos_w.z,
            ground_z: self
                .config
                .height_scan
                .as_ref()
                .map(|_| self.ground_z.as_slice()),
            raw: &[],
        };
        let written = self.contract.observation.write(&src, obs);
        debug_assert!(written.is_ok(), "observation: {written:?}");
        let (n, s, nj, at) = (self.config.noise, self.scales, self.q.len(), self.noise_at);
        for i in 0..3 {
            obs[at.lin_vel + i] += self.noise(n.lin_vel) * s.lin_vel;
            obs[at.ang_vel + i] += self.noise(n.ang_vel) * s.ang_vel;
            obs[at.gravity + i] += self.noise(n.gravity);
        }
        for j in 0..nj {
            obs[at.dof_pos + j] += self.noise(n.dof_pos) * s.dof_pos;
            obs[at.dof_vel + j] += self.noise(n.dof_vel) * s.dof_vel;
        }
    }
}

/// The complete state of a [`LocomotionEnv`]: physics (with the terrain's collider), terrain,
/// RNG, command, episode clock and counters, curriculum place, gait phase inputs and the reward
/// sums not yet drained. Restores into any env of the same robot and configuration.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct LocomotionSnapshot {
    world: crate::snapshot::WorldSnapshot,
    terrain: Terrain,
    rng: ChaCha8Rng,
    steps: u32,
    spread_next_reset: bool,
    command: [f32; 3],
    q: Vec<f32>,
    qd: Vec<f32>,
    prev_qd: Vec<f32>,
    last_action: Vec<f32>,
    prev_action: Vec<f32>,
    torques: Vec<f32>,
    air_time: Vec<f32>,
    touchdown: Vec<f32>,
    term_sums: RewardTerms,
    term_steps: u32,
    level: Option<CurriculumSlot>,
    episode_steps: u32,
    commanded_offset: [f32; 2],
    commanded_heading: f32,
    ended_in_fall: bool,
    command_level: u32,
    tracking_sum: f32,
    /// The disturber's state (snapshots taken before disturbers existed have none).
    #[serde(default)]
    disturber: Option<DisturberState>,
}

impl LocomotionEnv {
    /// Resets the episode bookkeeping (curriculum, counters, friction, command) as a new episode
    /// begins; where the robot starts is the caller's.
    fn begin_episode(&mut self) {
        self.update_curriculum();
        if let Some(c) = self.config.command_curriculum
            && self.episode_steps > 0
        {
            let mut tracking = self.tracking_sum / self.episode_steps as f32;
            // Only an episode that lasted half its length may promote (a quick fall with a
            // zero command tracks "perfectly").
            if 2 * self.episode_steps < self.max_steps {
                tracking = tracking.min(c.promote_tracking);
            }
            self.command_level = c.next_level(self.command_level, tracking);
        }
        self.tracking_sum = 0.0;
        self.episode_steps = 0;
        self.commanded_offset = [0.0; 2];
        self.commanded_heading = 0.0;
        self.ended_in_fall = false;
        let [flo, fhi] = self.config.friction_range;
        let friction = if fhi > flo {
            self.rng.random_range(flo..=fhi)
        } else {
            flo
        };
        self.world.set_friction(friction);
        if let Some(d) = &mut self.disturber {
            d.begin_episode(&mut self.rng);
        }
    }
}

impl Env for LocomotionEnv {
    type Snapshot = LocomotionSnapshot;

    fn snapshot(&self) -> LocomotionSnapshot {
        LocomotionSnapshot {
            world: self.world.snapshot(),
            terrain: self.terrain.clone(),
            rng: self.rng.clone(),
            steps: self.steps,
            spread_next_reset: self.spread_next_reset,
            command: self.command,
            q: self.q.clone(),
            qd: self.qd.clone(),
            prev_qd: self.prev_qd.clone(),
            last_action: self.last_action.clone(),
            prev_action: self.prev_action.clone(),
            torques: self.torques.clone(),
            air_time: self.air_time.clone(),
            touchdown: self.touchdown.clone(),
            term_sums: self.term_sums,
            term_steps: self.term_steps,
            level: self.level,
            episode_steps: self.episode_steps,
            commanded_offset: self.commanded_offset,
            commanded_heading: self.commanded_heading,
            ended_in_fall: self.ended_in_fall,
            command_level: self.command_level,
            tracking_sum: self.tracking_sum,
            disturber: self.disturber.as_ref().map(|d| d.state.clone()),
        }
    }

    fn restore(&mut self, s: &LocomotionSnapshot) {
        self.world.restore(&s.world);
        self.terrain.clone_from(&s.terrain);
        self.rng = s.rng.clone();
        self.steps = s.steps;
        self.spread_next_reset = s.spread_next_reset;
        self.command = s.command;
        self.q.clone_from(&s.q);
        self.qd.clone_from(&s.qd);
        self.prev_qd.clone_from(&s.prev_qd);
        self.last_action.clone_from(&s.last_action);
        self.prev_action.clone_from(&s.prev_action);
        self.torques.clone_from(&s.torques);
        self.air_time.clone_from(&s.air_time);
        self.touchdown.clone_from(&s.touchdown);
        self.term_sums = s.term_sums;
        self.term_steps = s.term_steps;
        self.level = s.level;
        self.episode_steps = s.episode_steps;
        self.commanded_offset = s.commanded_offset;
        self.commanded_heading = s.commanded_heading;
        self.ended_in_fall = s.ended_in_fall;
        self.command_level = s.command_level;
        self.tracking_sum = s.tracking_sum;
        if let (Some(d), Some(state)) = (&mut self.disturber, &s.disturber) {
            d.state = state.clone();
        }
    }

    fn reset_to_state(
        &mut self,
        state: &crate::scene::ArticulationState,
        obs: &mut [f32],
    ) -> Result<(), SimError> {
        self.begin_episode();
        self.world.set_state(state)?;
        self.world.set_joint_targets(&state.q)?;
        self.resample_command();
        self.last_action.fill(0.0);
        self.prev_action.fill(0.0);
        self.air_time.fill(0.0);
        self.steps = 0;
        self.spread_next_reset = false;
        self.world.joint_positions(&mut self.q);
        self.world.joint_velocities(&mut self.qd);
        self.prev_qd.copy_from_slice(&self.qd);
        self.observe(obs);
        Ok(())
    }

    fn obs_dim(&self) -> usize {
        self.contract.observation.dim()
    }

    fn action_dim(&self) -> usize {
        self.q.len()
    }

    fn reseed(&mut self, seed: u64) {
        self.rng = ChaCha8Rng::seed_from_u64(seed);
        self.spread_next_reset = self.config.random_episode_start;
    }

    fn reset(&mut self, obs: &mut [f32]) {
        self.begin_episode();
        // legged_gym: default pose scaled by U(0.5, 1.5), base velocities U(-0.5, 0.5).
        let q0: Vec<f32> = self
            .world
            .default_positions()
            .iter()
            .zip(&self.soft_limits)
            .map(|(d, (lo, hi))| (d * self.rng.random_range(0.5..=1.5)).clamp(*lo, *hi))
            .collect();
        let [x, y, yaw] = self.spawn;
        let ground = if self.spawn == [0.0; 3] {
            self.terrain.height_at(0.0, 0.0)
        } else {
            self.world.ground_z(x, y, self.nominal_height)
        };
        let h = self.nominal_height + ground + 0.02;
        let _ = self
            .world
            .reset_pose(Vec3::new(x, y, h), Quat::from_rotation_z(yaw), &q0);
        let v: [f32; 3] = std::array::from_fn(|_| self.rng.random_range(-0.5..=0.5));
        self.world.push(Vec3::from_array(v));
        self.resample_command();
        self.last_action.fill(0.0);
        self.prev_action.fill(0.0);
        self.air_time.fill(0.0);
        self.steps = 0;
        if std::mem::take(&mut self.spread_next_reset) {
            self.steps = self.rng.random_range(0..self.max_steps);
        }
        self.world.joint_positions(&mut self.q);
        self.world.joint_velocities(&mut self.qd);
        self.prev_qd.copy_from_slice(&self.qd);
        self.observe(obs);
    }

    fn step(&mut self, action: &[f32], obs: &mut [f32]) -> StepOutcome {
        // The action length always matches: VecEnv checks it.
        match &self.gait {
            Some(g) => {
                let phase = g.phase(self.episode_steps as f64 * self.dt as f64);
                g.offsets(phase, &mut self.gait_offsets);
                let scale = self.world.spec().action_scale as f32;
                for ((s, a), o) in self
                    .shifted_action
                    .iter_mut()
                    .zip(action)
                    .zip(&self.gait_offsets)
                {
                    *s = a + o / scale;
                }
                let _ = self.world.apply_action(&self.shifted_action);
            }
            None => {
                let _ = self.world.apply_action(action);
            }
        }
        self.prev_action.copy_from_slice(&self.last_action);
        self.last_action.copy_from_slice(action);
        if let Some(d) = &mut self.disturber {
            d.before_step(&mut self.world, &mut self.rng, self.episode_steps);
        }
        self.world.step();
        self.steps += 1;
        self.episode_steps += 1;
        // The commands are body-frame velocities: integrate them along the commanded heading.
        let (sin, cos) = self.commanded_heading.sin_cos();
        let [vx, vy, yaw_rate] = self.command;
        self.commanded_offset[0] += self.dt * (cos * vx - sin * vy);
        self.commanded_offset[1] += self.dt * (sin * vx + cos * vy);
        self.commanded_heading += self.dt * yaw_rate;
        self.prev_qd.copy_from_slice(&self.qd);
        self.world.joint_positions(&mut self.q);
        self.world.joint_velocities(&mut self.qd);
        self.world.pd_torques(&self.q, &self.qd, &mut self.torques);
        for k in 0..self.feet.len() {
            let contact = self.world.any_touches_ground(&self.feet[k]);
            self.air_time[k] += self.dt;
            self.touchdown[k] = 0.0;
            if contact {
                // First step on the ground after a flight: record the flight time.
                if self.air_time[k] > self.dt * 1.5 {
                    self.touchdown[k] = self.air_time[k];
                }
                self.air_time[k] = 0.0;
            }
        }
        let collisions = self
            .penalised
            .iter()
            .filter(|link| self.world.any_touches_ground(link))
            .count() as u32;
        let base = self.world.base_state();
        let terms = RewardTerms::compute(
            &RewardInputs {
                command: self.command,
                lin_vel_b: base.lin_vel_b.to_array(),
                ang_vel_b: base.ang_vel_b.to_array(),
                torques: &self.torques,
                joint_vel: &self.qd,
                prev_joint_vel: &self.prev_qd,
                joint_pos: &self.q,
                soft_limits: &self.soft_limits,
                action: &self.last_action,
                prev_action: &self.prev_action,
                touchdown_air_time: &self.touchdown,
                collisions,
                dt: self.dt,
                tracking_sigma: self.config.tracking_sigma,
                air_time_threshold: self.config.feet_air_time_threshold,
            },
            &self.config.rewards,
        );
        self.term_sums.accumulate(&terms);
        if self.config.rewards.tracking_lin_vel != 0.0 {
            self.tracking_sum +=
                terms.tracking_lin_vel / (self.config.rewards.tracking_lin_vel * self.dt);
        }
        self.term_steps += 1;
        let mut reward = terms.total();
        if self.config.only_positive_rewards {
            reward = reward.max(0.0);
        }
        if self.steps % self.resample_steps == 0 {
            self.resample_command();
        }
        if self.steps % self.push_steps == 0 {
            let m = self.config.max_push_vel_xy;
            if m > 0.0 {
                let push = Vec3::new(
                    self.rng.random_range(-m..=m),
                    self.rng.random_range(-m..=m),
                    0.0,
                );
                self.world.push(push);
            }
        }
        if let Some(d) = &mut self.disturber {
            d.push(&mut self.world, &mut self.rng, self.episode_steps);
        }
        self.observe(obs);
        let fell = self.config.base_contact_ends_episode
            && self.world.any_touches_ground(&self.terminating);
        // A robot about to walk off its terrain tile has done what the curriculum asks: end the
        // episode as a time-out (bootstrapped), not a failure.
        let p = base.pos_w;
        let off_tile = p.x.abs().max(p.y.abs()) > self.terrain.half_extent() - 1.0;
        let broken = self.world.has_non_finite_state() || obs.iter().any(|v| !v.is_finite());
        self.ended_in_fall = fell || broken;
        let reward = if reward.is_finite() { reward } else { 0.0 };
        if let Some(d) = &mut self.disturber {
            d.after_step(reward, fell || broken);
        }
        StepOutcome {
            reward,
            terminated: fell || broken,
            truncated: self.steps >= self.max_steps || off_tile,
        }
    }

    fn mirror(&self) -> Result<crate::env::Mirror, String> {
        super::locomotion_mirror(self.world.spec(), &self.contract.observation)
    }

    fn privileged_dim(&self) -> usize {
        if self.config.privileged_critic {
            super::PRIVILEGED_DIM
        } else {
            0
        }
    }

    /// Noise-free base linear velocity (x2) and angular velocity (x0.25) in the body frame,
    /// gravity in the body frame, and the base height above the ground below it (m).
    fn write_privileged(&self, out: &mut [f32]) {
        if !self.config.privileged_critic || out.len() < super::PRIVILEGED_DIM {
            return;
        }
        let base = self.world.base_state();
        let s = self.scales;
        for i in 0..3 {
            out[i] = base.lin_vel_b[i] * s.lin_vel;
            out[3 + i] = base.ang_vel_b[i] * s.ang_vel;
            out[6 + i] = base.gravity_b[i];
        }
        let p = base.pos_w;
        out[9] = p.z - self.world.ground_z(p.x, p.y, p.z);
    }

    fn step_info(&self) -> crate::env::StepInfo {
        crate::env::StepInfo {
            fall: Some(self.ended_in_fall),
            success: None,
        }
    }

    fn contract(&self) -> Option<DeployContract> {
        Some(self.contract.clone())
    }

    fn curriculum_levels(&self) -> Vec<(&'static str, f32)> {
        let mut levels = Vec::new();
        if let Some(slot) = self.level {
            levels.push(("terrain_level", slot.level as f32));
        }
        if self.config.command_curriculum.is_some() {
            levels.push(("command_level", self.command_level as f32));
        }
        levels
    }

    fn constraint(&self) -> Option<ConstraintSpec> {
        self.disturber.as_ref().and_then(|d| d.config.constraint())
    }

    fn constraint_sample(&self) -> Option<ConstraintSample> {
        self.disturber.as_ref().and_then(|d| d.state.sample)
    }

    fn hosted_agents(&self) -> Vec<HostedAgent> {
        match &self.disturber {
            Some(d) if d.config.kind == DisturberKind::Hinf => vec![HostedAgent {
                name: DISTURBER_AGENT.into(),
                action_dim: 3,
            }],
            _ => Vec::new(),
        }
    }

    fn set_hosted_action(&mut self, _agent: usize, action: &[f32]) {
        if let Some(d) = &mut self.disturber {
            d.set_action(action);
        }
    }

    fn hosted_reward(&self, _agent: usize) -> f32 {
        self.disturber.as_ref().map_or(0.0, |d| d.state.reward)
    }

    fn drain_reward_terms(&mut self) -> (Vec<(&'static str, f32)>, u32) {
        let (sums, steps) = self.take_reward_terms();
        (sums.named().to_vec(), steps)
    }
}
