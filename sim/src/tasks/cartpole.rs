//! Cart-pole balance in Rapier: a cart on a prismatic joint along world x, a pole on a revolute
//! joint about world y, a continuous force on the cart.
//!
//! Facts follow the classic control task (Barto, Sutton & Anderson 1983; Gym's CartPole): cart
//! 1 kg, pole 0.1 kg and 1 m long (centre of mass at 0.5 m), force up to 10 N, 50 Hz control,
//! failure at |angle| > 12 degrees or |x| > 2.4 m, +1 reward per step survived. Start state
//! uniform in ±0.05 on every coordinate.
//!
//! Observation `[4]`: cart x (m), cart velocity (m/s), pole angle (rad, 0 = upright, positive
//! towards +x), pole angular velocity (rad/s). Action `[1]`: force / 10 N, clipped to [-1, 1].

use crate::env::{Env, StepOutcome};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapier3d::glamx::Quat;
use rapier3d::prelude::*;

/// Settings of the cart-pole task.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CartPoleConfig {
    /// Steps per episode before truncation (the maximum return).
    pub max_steps: u32,
    /// Largest force on the cart (N).
    pub force_max: f32,
    /// Control period (s).
    pub control_dt: f32,
    /// Solver substeps per control step.
    pub substeps: usize,
}

impl Default for CartPoleConfig {
    fn default() -> Self {
        Self {
            max_steps: 200,
            force_max: 10.0,
            control_dt: 0.02,
            substeps: 4,
        }
    }
}

const POLE_HALF_LEN: f32 = 0.5;
const ANGLE_LIMIT: f32 = 12.0 * std::f32::consts::PI / 180.0;
const X_LIMIT: f32 = 2.4;

/// One cart-pole.
pub struct CartPoleEnv {
    world: PhysicsWorld,
    cart: RigidBodyHandle,
    pole: RigidBodyHandle,
    config: CartPoleConfig,
    rng: ChaCha8Rng,
    steps: u32,
}

impl CartPoleEnv {
    /// A cart-pole with RNG seed `seed` (use `seed ^ env_id`).
    pub fn new(config: CartPoleConfig, seed: u64) -> Self {
        let mut world = PhysicsWorld::new();
        world.gravity = Vec3::new(0.0, 0.0, -9.81);
        world.integration_parameters.dt = config.control_dt;
        world.integration_parameters.num_solver_iterations = config.substeps.max(1);
        let rail = world.bodies.insert(RigidBodyBuilder::fixed());
        let cart = world.bodies.insert(
            RigidBodyBuilder::dynamic()
                .additional_mass_properties(MassProperties::new(Vec3::ZERO, 1.0, Vec3::splat(0.01)))
                .can_sleep(false),
        );
        // Thin rod of 0.1 kg: I = m L^2 / 12 about its centre.
        let rod_inertia = 0.1 * (2.0 * POLE_HALF_LEN).powi(2) / 12.0;
        let pole = world.bodies.insert(
            RigidBodyBuilder::dynamic()
                .additional_mass_properties(MassProperties::new(
                    Vec3::new(0.0, 0.0, POLE_HALF_LEN),
                    0.1,
                    Vec3::new(rod_inertia, rod_inertia, 1e-5),
                ))
                .can_sleep(false),
        );
        let slider = PrismaticJointBuilder::new(Vec3::X).build();
        world.impulse_joints.insert(rail, cart, slider, true);
        let hinge = RevoluteJointBuilder::new(Vec3::Y).build();
        world.impulse_joints.insert(cart, pole, hinge, true);
        Self {
            world,
            cart,
            pole,
            config,
            rng: ChaCha8Rng::seed_from_u64(seed),
            steps: 0,
        }
    }

    /// `[x, x_dot, theta, theta_dot]`.
    pub fn state(&self) -> [f32; 4] {
        let cart = &self.world.bodies[self.cart];
        let pole = &self.world.bodies[self.pole];
        let up = pole.rotation() * Vec3::Z;
        [
            cart.translation().x,
            cart.linvel().x,
            up.x.atan2(up.z),
            pole.angvel().y,
        ]
    }

    fn set_state(&mut self, [x, xd, th, thd]: [f32; 4]) {
        let cart = &mut self.world.bodies[self.cart];
        cart.set_translation(Vec3::new(x, 0.0, 0.0), true);
        cart.set_rotation(Quat::IDENTITY, true);
        cart.set_linvel(Vec3::new(xd, 0.0, 0.0), true);
        cart.set_angvel(Vec3::ZERO, true);
        cart.reset_forces(true);
        let pole = &mut self.world.bodies[self.pole];
        pole.set_translation(Vec3::new(x, 0.0, 0.0), true);
        pole.set_rotation(Quat::from_rotation_y(th), true);
        // The body origin sits on the hinge, which moves with the cart.
        pole.set_linvel(Vec3::new(xd, 0.0, 0.0), true);
        pole.set_angvel(Vec3::new(0.0, thd, 0.0), true);
    }
}

impl Env for CartPoleEnv {
    type Snapshot = crate::snapshot::ClassicSnapshot;

    fn snapshot(&self) -> Self::Snapshot {
        crate::snapshot::ClassicSnapshot::capture(&self.world, &self.rng, self.steps)
    }

    fn restore(&mut self, s: &Self::Snapshot) {
        s.apply(&mut self.world, &mut self.rng, &mut self.steps);
    }

    fn obs_dim(&self) -> usize {
        4
    }

    fn action_dim(&self) -> usize {
        1
    }

    fn reseed(&mut self, seed: u64) {
        self.rng = ChaCha8Rng::seed_from_u64(seed);
    }

    fn reset(&mut self, obs: &mut [f32]) {
        let s: [f32; 4] = std::array::from_fn(|_| self.rng.random_range(-0.05..=0.05));
        self.set_state(s);
        self.steps = 0;
        obs.copy_from_slice(&self.state());
    }

    fn step(&mut self, action: &[f32], obs: &mut [f32]) -> StepOutcome {
        let a = if action[0].is_finite() {
            action[0].clamp(-1.0, 1.0)
        } else {
            0.0
        };
        let cart = &mut self.world.bodies[self.cart];
        cart.reset_forces(true);
        cart.add_force(Vec3::new(a * self.config.force_max, 0.0, 0.0), true);
        self.world.step();
        self.steps += 1;
        let s = self.state();
        obs.copy_from_slice(&s);
        let failed =
            s[0].abs() > X_LIMIT || s[2].abs() > ANGLE_LIMIT || s.iter().any(|v| !v.is_finite());
        StepOutcome {
            reward: 1.0,
            terminated: failed,
            truncated: self.steps >= self.config.max_steps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pole_falls_without_control_and_balances_longer_with_a_pd_controller() {
        let mut env = CartPoleEnv::new(CartPoleConfig::default(), 1);
        let mut obs = [0.0; 4];
        env.reset(&mut obs);
        let mut passive = 0;
        while !env.step(&[0.0], &mut obs).terminated && passive < 200 {
            passive += 1;
        }
        assert!(
            passive < 150,
            "an uncontrolled pole falls, survived {passive}"
        );
        env.reset(&mut obs);
        let mut controlled = 0;
        loop {
            let a = 2.0 * obs[2] + 0.5 * obs[3] + 0.05 * obs[0] + 0.1 * obs[1];
            let out = env.step(&[a * 5.0], &mut obs);
            controlled += 1;
            if out.terminated || out.truncated {
                assert!(
                    !out.terminated,
                    "PD controller failed after {controlled} steps"
                );
                break;
            }
        }
        assert_eq!(controlled, 200);
    }
}
