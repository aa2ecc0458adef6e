//! Pendulum swing-up in Rapier: a uniform rod on a hinge about world y, torque-limited.
//!
//! Facts follow the classic swing-up benchmark (Gym's Pendulum): rod 1 kg, 1 m, gravity 10 m/s²,
//! torque up to 2 N·m, control period 0.05 s, angular speed clipped to 8 rad/s, 200 steps per
//! episode, start angle uniform in [-pi, pi] and speed in [-1, 1]. Reward per step:
//! `-(theta^2 + 0.1 theta_dot^2 + 0.001 u^2)`, theta in [-pi, pi], 0 upright. The torque is too
//! weak to lift the rod directly: the policy has to swing it up.
//!
//! Observation `[3]`: cos theta, sin theta, theta_dot (rad/s). Action `[1]`: torque / 2 N·m,
//! clipped to [-1, 1].

use crate::env::{Env, StepOutcome};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapier3d::glamx::Quat;
use rapier3d::prelude::*;
use std::f32::consts::PI;

/// Settings of the pendulum task.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PendulumConfig {
    /// Steps per episode.
    pub max_steps: u32,
    /// Largest torque (N·m).
    pub torque_max: f32,
    /// Largest angular speed (rad/s).
    pub speed_max: f32,
    /// Control period (s).
    pub control_dt: f32,
    /// Solver substeps per control step.
    pub substeps: usize,
}

impl Default for PendulumConfig {
    fn default() -> Self {
        Self {
            max_steps: 200,
            torque_max: 2.0,
            speed_max: 8.0,
            control_dt: 0.05,
            substeps: 8,
        }
    }
}

/// One pendulum.
pub struct PendulumEnv {
    world: PhysicsWorld,
    rod: RigidBodyHandle,
    config: PendulumConfig,
    rng: ChaCha8Rng,
    steps: u32,
}

fn wrap_angle(a: f32) -> f32 {
    (a + PI).rem_euclid(2.0 * PI) - PI
}

impl PendulumEnv {
    /// A pendulum with RNG seed `seed` (use `seed ^ env_id`).
    pub fn new(config: PendulumConfig, seed: u64) -> Self {
        let mut world = PhysicsWorld::new();
        world.gravity = Vec3::new(0.0, 0.0, -10.0);
        world.integration_parameters.dt = config.control_dt;
        world.integration_parameters.num_solver_iterations = config.substeps.max(1);
        let pivot = world.bodies.insert(RigidBodyBuilder::fixed());
        // Uniform 1 kg, 1 m rod along its local z from the hinge: I_com = m L^2 / 12.
        let rod = world.bodies.insert(
            RigidBodyBuilder::dynamic()
                .additional_mass_properties(MassProperties::new(
                    Vec3::new(0.0, 0.0, 0.5),
                    1.0,
                    Vec3::new(1.0 / 12.0, 1.0 / 12.0, 1e-4),
                ))
                .can_sleep(false),
        );
        world
            .impulse_joints
            .insert(pivot, rod, RevoluteJointBuilder::new(Vec3::Y).build(), true);
        Self {
            world,
            rod,
            config,
            rng: ChaCha8Rng::seed_from_u64(seed),
            steps: 0,
        }
    }

    /// `(theta, theta_dot)`: angle from upright (positive towards +x) and its rate.
    pub fn state(&self) -> (f32, f32) {
        let rod = &self.world.bodies[self.rod];
        let up = rod.rotation() * Vec3::Z;
        (up.x.atan2(up.z), rod.angvel().y)
    }

    fn set_state(&mut self, theta: f32, theta_dot: f32) {
        let rod = &mut self.world.bodies[self.rod];
        rod.set_translation(Vec3::ZERO, true);
        rod.set_rotation(Quat::from_rotation_y(theta), true);
        rod.set_linvel(Vec3::ZERO, true);
        rod.set_angvel(Vec3::new(0.0, theta_dot, 0.0), true);
        rod.reset_torques(true);
    }

    fn observe(&self, obs: &mut [f32]) {
        let (th, thd) = self.state();
        obs[0] = th.cos();
        obs[1] = th.sin();
        obs[2] = thd;
    }
}

impl Env for PendulumEnv {
    type Snapshot = crate::snapshot::ClassicSnapshot;

    fn snapshot(&self) -> Self::Snapshot {
        crate::snapshot::ClassicSnapshot::capture(&self.world, &self.rng, self.steps)
    }

    fn restore(&mut self, s: &Self::Snapshot) {
        s.apply(&mut self.world, &mut self.rng, &mut self.steps);
    }

    fn obs_dim(&self) -> usize {
        3
    }

    fn action_dim(&self) -> usize {
        1
    }

    fn reseed(&mut self, seed: u64) {
        self.rng = ChaCha8Rng::seed_from_u64(seed);
    }

    fn reset(&mut self, obs: &mut [f32]) {
        let th = self.rng.random_range(-PI..=PI);
        let thd = self.rng.random_range(-1.0..=1.0);
        self.set_state(th, thd);
        self.steps = 0;
        self.observe(obs);
    }

    fn step(&mut self, action: &[f32], obs: &mut [f32]) -> StepOutcome {
        let a = if action[0].is_finite() {
            action[0].clamp(-1.0, 1.0)
        } else {
            0.0
        };
        let u = a * self.config.torque_max;
        let (th, thd) = self.state();
        let reward = -(wrap_angle(th).powi(2) + 0.1 * thd * thd + 0.001 * u * u);
        let rod = &mut self.world.bodies[self.rod];
        rod.reset_torques(true);
        rod.add_torque(Vec3::new(0.0, u, 0.0), true);
        self.world.step();
        let rod = &mut self.world.bodies[self.rod];
        let w = rod.angvel();
        let limit = self.config.speed_max;
        rod.set_angvel(Vec3::new(w.x, w.y.clamp(-limit, limit), w.z), true);
        self.steps += 1;
        self.observe(obs);
        StepOutcome {
            reward,
            terminated: obs.iter().any(|v| !v.is_finite()),
            truncated: self.steps >= self.config.max_steps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn released_from_horizontal_it_swings_through_the_bottom() {
        let mut env = PendulumEnv::new(PendulumConfig::default(), 0);
        env.set_state(PI / 2.0, 0.0);
        let mut obs = [0.0; 3];
        let mut max_speed = 0.0f32;
        for _ in 0..20 {
            env.step(&[0.0], &mut obs);
            max_speed = max_speed.max(obs[2].abs());
        }
        // Energy: from horizontal to hanging, omega = sqrt(3 g / L) = 5.48 rad/s for a rod.
        assert!((max_speed - 5.48).abs() < 0.3, "peak speed {max_speed}");
    }

    #[test]
    fn full_torque_cannot_hold_it_horizontal() {
        let mut env = PendulumEnv::new(PendulumConfig::default(), 0);
        env.set_state(PI / 2.0, 0.0);
        let mut obs = [0.0; 3];
        env.step(&[-1.0], &mut obs);
        // Gravity torque m g L/2 = 5 N m exceeds 2 N m: the rod keeps falling towards +x.
        assert!(obs[2] > 0.0);
    }
}
