//! Standing: hold the base at its nominal height, level, under a zero velocity command.
//!
//! The action is a joint-position offset: `target = default + action_scale * action`. The reward
//! is `exp(-(h - h0)^2 / 0.01) + exp(-tilt^2 / 0.1)` per step (tilt in radians), both in (0, 1];
//! an episode terminates when a termination body touches the ground or the state turns
//! non-finite, and is truncated after `episode_s` seconds.

use crate::env::{Env, StepOutcome};
use crate::error::SimError;
use crate::physics::PhysicsConfig;
use crate::robot_world::RobotWorld;
use crate::terrain::Terrain;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapier3d::glamx::Quat;
use rapier3d::prelude::{ColliderHandle, Vec3};
use robots::contract::{ObsLayout, ObsSources};
use robots::{ObservationScales, RobotSpec};
use std::sync::Arc;

/// Settings of the stand task.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StandConfig {
    /// Episode length in seconds.
    pub episode_s: f32,
    /// Uniform noise (rad) added to the default joint positions at reset.
    pub reset_joint_noise: f32,
    /// Height above nominal the robot is dropped from at reset (m).
    pub drop_height: f32,
    /// Physics settings.
    pub physics: PhysicsConfig,
}

impl Default for StandConfig {
    fn default() -> Self {
        Self {
            episode_s: 20.0,
            reset_joint_noise: 0.05,
            drop_height: 0.02,
            physics: PhysicsConfig::default(),
        }
    }
}

/// One robot asked to stand.
pub struct StandEnv {
    world: RobotWorld,
    terminate_colliders: Vec<ColliderHandle>,
    config: StandConfig,
    rng: ChaCha8Rng,
    nominal_height: f32,
    max_steps: u32,
    steps: u32,
    q: Vec<f32>,
    qd: Vec<f32>,
    last_action: Vec<f32>,
    /// The proprioceptive observation layout (no command: it stays zero).
    layout: ObsLayout,
}

impl StandEnv {
    /// A stand env for `spec` on `terrain`, with RNG seed `seed` (use `seed ^ env_id`).
    pub fn new(
        spec: Arc<RobotSpec>,
        terrain: &Terrain,
        config: StandConfig,
        seed: u64,
    ) -> Result<Self, SimError> {
        if !(config.episode_s.is_finite() && config.episode_s > 0.0) {
            return Err(SimError::Config {
                key: "episode_s".into(),
                message: "must be a positive number of seconds".into(),
            });
        }
        let nominal_height = robots::nominal_base_height(&spec).unwrap_or(0.5) as f32;
        let n = spec.num_joints();
        let terminate = spec.terminate_contacts.clone();
        let names: Vec<String> = spec.joints.iter().map(|j| j.name.clone()).collect();
        let world = RobotWorld::new(spec, terrain, config.physics)?;
        let layout = robots::proprio_layout(
            &names,
            world.default_positions(),
            &ObservationScales::default(),
        )
        .map_err(|e| SimError::Config {
            key: "robot".into(),
            message: e.to_string(),
        })?;
        let max_steps = (config.episode_s / config.physics.control_dt)
            .round()
            .max(1.0) as u32;
        Ok(Self {
            terminate_colliders: world.colliders_of_links(&terminate),
            world,
            config,
            rng: ChaCha8Rng::seed_from_u64(seed),
            nominal_height,
            max_steps,
            steps: 0,
            q: vec![0.0; n],
            qd: vec![0.0; n],
            last_action: vec![0.0; n],
            layout,
        })
    }

    /// The simulated world.
    pub fn world(&self) -> &RobotWorld {
        &self.world
    }

    /// Mutable access to the simulated world (external forces, snapshots).
    pub fn world_mut(&mut self) -> &mut RobotWorld {
        &mut self.world
    }

    /// Base height of the default pose with the feet on the ground (m).
    pub fn nominal_height(&self) -> f32 {
        self.nominal_height
    }

    fn observe(&mut self, obs: &mut [f32]) {
        self.world.joint_positions(&mut self.q);
        self.world.joint_velocities(&mut self.qd);
        let base = self.world.base_state();
        let src = ObsSources {
            lin_vel_b: base.lin_vel_b.to_array(),
            ang_vel_b: base.ang_vel_b.to_array(),
            gravity_b: base.gravity_b.to_array(),
            joint_pos: &self.q,
            joint_vel: &self.qd,
            last_action: &self.last_action,
            ..Default::default()
        };
        let written = self.layout.write(&src, obs);
        debug_assert!(written.is_ok(), "observation: {written:?}");
    }
}

/// The complete state of a [`StandEnv`].
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct StandSnapshot {
    world: crate::snapshot::WorldSnapshot,
    rng: ChaCha8Rng,
    steps: u32,
    q: Vec<f32>,
    qd: Vec<f32>,
    last_action: Vec<f32>,
}

impl Env for StandEnv {
    type Snapshot = StandSnapshot;

    fn snapshot(&self) -> StandSnapshot {
        StandSnapshot {
            world: self.world.snapshot(),
            rng: self.rng.clone(),
            steps: self.steps,
            q: self.q.clone(),
            qd: self.qd.clone(),
            last_action: self.last_action.clone(),
        }
    }

    fn restore(&mut self, s: &StandSnapshot) {
        self.world.restore(&s.world);
        self.rng = s.rng.clone();
        self.steps = s.steps;
        self.q.clone_from(&s.q);
        self.qd.clone_from(&s.qd);
        self.last_action.clone_from(&s.last_action);
    }

    fn obs_dim(&self) -> usize {
        self.layout.dim()
    }

    fn action_dim(&self) -> usize {
        self.q.len()
    }

    fn reseed(&mut self, seed: u64) {
        self.rng = ChaCha8Rng::seed_from_u64(seed);
    }

    fn reset(&mut self, obs: &mut [f32]) {
        let noise = self.config.reset_joint_noise;
        let q0: Vec<f32> = self
            .world
            .default_positions()
            .iter()
            .map(|&d| {
                if noise > 0.0 {
                    d + self.rng.random_range(-noise..=noise)
                } else {
                    d
                }
            })
            .collect();
        let h = self.nominal_height + self.config.drop_height;
        // Lengths always match: q0 comes from the world's own default positions.
        let _ = self
            .world
            .reset_pose(Vec3::new(0.0, 0.0, h), Quat::IDENTITY, &q0);
        self.last_action.fill(0.0);
        self.steps = 0;
        self.observe(obs);
    }

    fn step(&mut self, action: &[f32], obs: &mut [f32]) -> StepOutcome {
        // The action length always matches: VecEnv checks it.
        let _ = self.world.apply_action(action);
        self.last_action.copy_from_slice(action);
        self.world.step();
        self.steps += 1;
        self.observe(obs);
        let base = self.world.base_state();
        let dh = base.pos_w.z - self.nominal_height;
        let tilt = base.tilt_deg().to_radians();
        let reward = (-dh * dh / 0.01).exp() + (-tilt * tilt / 0.1).exp();
        let fell = self.world.any_touches_ground(&self.terminate_colliders);
        let terminated =
            fell || self.world.has_non_finite_state() || obs.iter().any(|v| !v.is_finite());
        StepOutcome {
            reward: if reward.is_finite() { reward } else { 0.0 },
            terminated,
            truncated: self.steps >= self.max_steps,
        }
    }
}
