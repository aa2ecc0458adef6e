//! Disturbances on the walking robot (`[disturber]`): legged_gym's random pushes, HIMLoco's random
//! base forces, or a learned H-infinity disturber (Long et al. 2024, "Learning H-Infinity
//! Locomotion Control") that the runner trains as a hosted agent.
//!
//! The H-infinity disturber outputs a base-frame force each step, `f = cap * clamp(a, -1, 1)` per
//! axis, and is paid the **cost**: how far the task reward falls short of its **oracle**.
//!
//! - The oracle is the task reward the same policy earns *without* disturbance. A share
//!   `oracle_fraction` of the episodes is left undisturbed (a control group drawn per episode from
//!   the env's RNG); each env keeps an exponential moving average `r_oracle` of the per-step task
//!   reward over its undisturbed steps. Disturbed and undisturbed episodes are statistically alike
//!   but for the force, so `r_oracle` estimates what the policy achieves undisturbed, and the cost
//!   goes to zero with the force. (A per-state oracle would need a twin simulation per env, or a
//!   critic trained on undisturbed data only; the control group costs neither.)
//! - The cost of a disturbed step is `c = max(0, r_oracle - r)`; a step that ends in a fall
//!   also costs the reward the fall forgoes, `fall_cost_steps * r_oracle` (the episode ends, so
//!   the robot loses the oracle's reward from then on: `1 / (1 - gamma)` steps of it).
//! - The H-infinity constraint bounds the cost by the force's intensity:
//!   `E[c] <= eta * E[|f| / (m g)]` (`m g`: the robot's weight). Each disturbed step reports
//!   `(cost, bound = eta * |f| / (m g))`; the runner's dual ascent on the policy's Lagrange
//!   multiplier enforces the constraint in expectation.
//! - The disturber earns the cost (the paper: it maximises the cost). `force_price` > 0 makes it
//!   pay `force_price * eta * |f| / (m g)` for its force (the H-infinity game where the
//!   disturbance pays for its energy); on the validation push test that disturber stayed too
//!   weak to make the policy more robust, so the default is 0 (docs/BENCHMARKS.md,
//!   "H-infinity").
//!
//! The force cap grows by a curriculum: zero for `warmup_iterations`, then linear up to
//! `force_cap_n` over `ramp_iterations`.

use crate::env::{ConstraintSample, ConstraintSpec};
use crate::error::SimError;
use crate::robot_world::RobotWorld;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rapier3d::prelude::Vec3;
use serde::{Deserialize, Serialize};

/// Standard gravity (m/s^2): forces are reported in units of the robot's weight `m g`.
pub const GRAVITY: f32 = 9.81;

/// Which disturbance acts on the robot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisturberKind {
    /// No disturbance (and none of `[env]`'s pushes either).
    #[default]
    None,
    /// legged_gym's pushes: every `push_interval_s`, the base's horizontal velocity changes by
    /// `U(-max_push_vel_xy, max_push_vel_xy)` per axis.
    Push,
    /// HIMLoco's forces: a base-frame force `U(-force_cap_n, force_cap_n)` per axis, redrawn
    /// every `resample_steps` policy steps.
    RandomForce,
    /// A learned disturber (hosted agent `disturber`, 3 actions) trained to maximise the cost
    /// under the H-infinity constraint.
    Hinf,
}

/// The `[disturber]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DisturberConfig {
    /// The disturbance.
    pub kind: DisturberKind,
    /// Largest force per base-frame axis (N), for `random_force` and `hinf` (HIMLoco: 30).
    pub force_cap_n: f32,
    /// `random_force`: policy steps between force draws (HIMLoco: 8).
    pub resample_steps: u32,
    /// `push`: seconds between pushes (legged_gym: 15).
    pub push_interval_s: f32,
    /// `push`: largest velocity change per horizontal axis (m/s; legged_gym: 1.0).
    pub max_push_vel_xy: f32,
    /// `hinf`: iterations without force at the start of training.
    pub warmup_iterations: u32,
    /// `hinf`: iterations over which the cap then grows linearly to `force_cap_n` (0: at once).
    pub ramp_iterations: u32,
    /// `hinf`: the constraint's gain `eta` (cost per unit of `|f| / (m g)`).
    pub eta: f32,
    /// `hinf`: share of episodes left undisturbed (the oracle's control group). 0 leaves every
    /// episode disturbed and measures no cost (the disturber then earns only `fall_reward` and
    /// `force_reward`): for evaluating a trained adversary, not for training one.
    pub oracle_fraction: f32,
    /// `hinf`: weight of each undisturbed step in the oracle's moving average.
    pub oracle_rate: f32,
    /// `hinf`: the Lagrange multiplier's initial value.
    pub multiplier_init: f32,
    /// `hinf`: step size of the multiplier's dual ascent.
    pub multiplier_lr: f32,
    /// `hinf`: largest multiplier.
    pub multiplier_max: f32,
    /// `hinf`: a fall costs the oracle's reward for this many more steps (it ends the episode,
    /// and with it the reward the robot would have earned: `1 / (1 - gamma)` steps of it in
    /// discounted terms, 100 at PPO's gamma 0.99).
    pub fall_cost_steps: f32,
    /// `hinf`: the disturber's reward for a step that ends in a fall (0 in training, where the
    /// disturber seeks unstable but recoverable states; `embody attack` sets it to seek falls).
    pub fall_reward: f32,
    /// `hinf`: the price the disturber pays for its force, in units of the constraint's bound:
    /// its reward is `cost - force_price * eta * |f| / (m g)` (plus `fall_reward` on a fall).
    /// At 1 it earns the constraint's slack and pushes only where the cost it causes per unit
    /// of force exceeds `eta`; at 0 (the default, and `embody attack`'s adversary) force is
    /// free.
    pub force_price: f32,
}

impl Default for DisturberConfig {
    fn default() -> Self {
        Self {
            kind: DisturberKind::None,
            force_cap_n: 30.0,
            resample_steps: 8,
            push_interval_s: 15.0,
            max_push_vel_xy: 1.0,
            warmup_iterations: 0,
            ramp_iterations: 50,
            eta: 0.01,
            oracle_fraction: 0.25,
            oracle_rate: 0.002,
            multiplier_init: 0.0,
            multiplier_lr: 20.0,
            multiplier_max: 10.0,
            fall_cost_steps: 100.0,
            fall_reward: 0.0,
            force_price: 0.0,
        }
    }
}

impl DisturberConfig {
    /// Checks ranges; errors name the key (under `disturber.`).
    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |key: &str, message: String| {
            Err(SimError::Config {
                key: format!("disturber.{key}"),
                message,
            })
        };
        for (key, v) in [
            ("force_cap_n", self.force_cap_n),
            ("push_interval_s", self.push_interval_s),
            ("max_push_vel_xy", self.max_push_vel_xy),
            ("eta", self.eta),
            ("multiplier_init", self.multiplier_init),
            ("multiplier_lr", self.multiplier_lr),
            ("multiplier_max", self.multiplier_max),
            ("fall_reward", self.fall_reward),
            ("force_price", self.force_price),
            ("fall_cost_steps", self.fall_cost_steps),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(key, format!("must be a non-negative number, got {v}"));
            }
        }
        if self.resample_steps == 0 {
            return bad("resample_steps", "must be at least 1".into());
        }
        if !(0.0..1.0).contains(&self.oracle_fraction) {
            return bad(
                "oracle_fraction",
                format!("must be in [0, 1), got {}", self.oracle_fraction),
            );
        }
        if !(self.oracle_rate > 0.0 && self.oracle_rate <= 1.0) {
            return bad(
                "oracle_rate",
                format!("must be in (0, 1], got {}", self.oracle_rate),
            );
        }
        if self.multiplier_init > self.multiplier_max {
            return bad(
                "multiplier_init",
                format!(
                    "{} is above multiplier_max {}",
                    self.multiplier_init, self.multiplier_max
                ),
            );
        }
        Ok(())
    }

    /// The constraint a `hinf` disturber puts on the policy (`None` for the other kinds).
    pub fn constraint(&self) -> Option<ConstraintSpec> {
        (self.kind == DisturberKind::Hinf).then_some(ConstraintSpec {
            multiplier_init: self.multiplier_init,
            multiplier_lr: self.multiplier_lr,
            multiplier_max: self.multiplier_max,
        })
    }
}

/// The cost of a step: how far the task reward `reward` falls short of the oracle's.
pub fn cost(oracle_reward: f32, reward: f32) -> f32 {
    (oracle_reward - reward).max(0.0)
}

/// What the H-infinity constraint allows the cost to be under a force of `force_n` newtons on a
/// robot of `weight_n` newtons: `eta * |f| / (m g)`.
pub fn cost_bound(eta: f32, force_n: f32, weight_n: f32) -> f32 {
    eta * force_n / weight_n
}

/// The force cap (N per axis) after `clock` control steps of training: 0 during the warm-up,
/// then a linear ramp to `cap`.
pub fn force_cap(cap: f32, clock: u64, warmup_steps: u64, ramp_steps: u64) -> f32 {
    if clock < warmup_steps {
        return 0.0;
    }
    if ramp_steps == 0 {
        return cap;
    }
    let t = (clock - warmup_steps) as f64 / ramp_steps as f64;
    cap * t.min(1.0) as f32
}

/// The disturber's base-frame force for action `action` under `cap`: `cap * clamp(a, -1, 1)` per
/// axis (a non-finite entry gives no force on that axis).
pub fn hinf_force(action: &[f32], cap: f32) -> Vec3 {
    let axis = |i: usize| {
        let a = action.get(i).copied().unwrap_or(0.0);
        if a.is_finite() {
            cap * a.clamp(-1.0, 1.0)
        } else {
            0.0
        }
    };
    Vec3::new(axis(0), axis(1), axis(2))
}

/// The disturbance state of one env (part of its snapshot).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DisturberState {
    /// Control steps this env has taken in training (drives the curriculum).
    pub clock: u64,
    /// The running episode is in the undisturbed control group.
    pub control: bool,
    /// The base-frame force acting now (N).
    pub force_b: [f32; 3],
    /// The hosted disturber's last action.
    pub action: [f32; 3],
    /// Moving average of the per-step task reward over undisturbed steps (the oracle).
    pub oracle_reward: f32,
    /// Undisturbed steps averaged so far.
    pub oracle_steps: u64,
    /// The last step's constraint sample (`None` when it was not under the constraint).
    pub sample: Option<ConstraintSample>,
    /// The disturber's reward for the last step.
    pub reward: f32,
}

/// A disturber: its settings and the robot's weight.
#[derive(Debug, Clone)]
pub struct Disturber {
    /// Settings.
    pub config: DisturberConfig,
    /// Control steps of warm-up (`warmup_iterations * steps per iteration`).
    warmup_steps: u64,
    /// Control steps of the ramp.
    ramp_steps: u64,
    /// Control steps between pushes.
    push_steps: u32,
    /// The robot's weight `m g` (N).
    pub weight_n: f32,
    /// State.
    pub state: DisturberState,
}

impl Disturber {
    /// A disturber for a robot of `mass_kg`, stepping every `control_dt` seconds, with
    /// `steps_per_iteration` control steps per training iteration (the curriculum's unit).
    pub fn new(
        config: DisturberConfig,
        mass_kg: f32,
        control_dt: f32,
        steps_per_iteration: u32,
    ) -> Result<Self, SimError> {
        config.validate()?;
        let per = steps_per_iteration as u64;
        Ok(Self {
            warmup_steps: config.warmup_iterations as u64 * per,
            ramp_steps: config.ramp_iterations as u64 * per,
            push_steps: (config.push_interval_s / control_dt).round().max(1.0) as u32,
            weight_n: mass_kg * GRAVITY,
            state: DisturberState::default(),
            config,
        })
    }

    /// The force cap (N per axis) now.
    pub fn cap(&self) -> f32 {
        match self.config.kind {
            DisturberKind::Hinf => force_cap(
                self.config.force_cap_n,
                self.state.clock,
                self.warmup_steps,
                self.ramp_steps,
            ),
            DisturberKind::RandomForce => self.config.force_cap_n,
            DisturberKind::None | DisturberKind::Push => 0.0,
        }
    }

    /// Starts an episode: draws whether it belongs to the undisturbed control group (`hinf`
    /// only) and clears the force.
    pub fn begin_episode(&mut self, rng: &mut ChaCha8Rng) {
        self.state.control = self.config.kind == DisturberKind::Hinf
            && rng.random_range(0.0..1.0) < self.config.oracle_fraction;
        self.state.force_b = [0.0; 3];
        self.state.sample = None;
        self.state.reward = 0.0;
    }

    /// Sets the force of the coming step on `world`'s base (clearing the last one);
    /// `episode_steps` counts the steps of the running episode before this one.
    pub fn before_step(
        &mut self,
        world: &mut RobotWorld,
        rng: &mut ChaCha8Rng,
        episode_steps: u32,
    ) {
        let cfg = &self.config;
        let force_b = match cfg.kind {
            DisturberKind::None | DisturberKind::Push => Vec3::ZERO,
            DisturberKind::RandomForce => {
                if episode_steps % cfg.resample_steps == 0 {
                    let c = cfg.force_cap_n;
                    Vec3::new(
                        rng.random_range(-c..=c),
                        rng.random_range(-c..=c),
                        rng.random_range(-c..=c),
                    )
                } else {
                    Vec3::from_array(self.state.force_b)
                }
            }
            DisturberKind::Hinf if self.state.control => Vec3::ZERO,
            DisturberKind::Hinf => hinf_force(&self.state.action, self.cap()),
        };
        self.state.force_b = force_b.to_array();
        world.clear_external_wrenches();
        if force_b != Vec3::ZERO {
            let force_w = world.base_state().rot_w * force_b;
            // Body 0 is the base; it always exists.
            let _ = world.apply_external_wrench(0, force_w, Vec3::ZERO);
        }
    }

    /// The `push` kind's push after `episode_steps` steps of the episode (legged_gym pushes
    /// after the physics step, before the observation).
    pub fn push(&mut self, world: &mut RobotWorld, rng: &mut ChaCha8Rng, episode_steps: u32) {
        let cfg = &self.config;
        if cfg.kind == DisturberKind::Push && episode_steps % self.push_steps == 0 {
            let m = cfg.max_push_vel_xy;
            if m > 0.0 {
                let push = Vec3::new(rng.random_range(-m..=m), rng.random_range(-m..=m), 0.0);
                world.push(push);
            }
        }
    }

    /// After the step: the oracle's update, the constraint sample and the disturber's reward
    /// for a step that earned task reward `reward` (and ended in a fall when `fell`).
    pub fn after_step(&mut self, reward: f32, fell: bool) {
        let cfg = &self.config;
        self.state.sample = None;
        self.state.reward = 0.0;
        if cfg.kind != DisturberKind::Hinf {
            return;
        }
        // The cap that acted on this step.
        let cap = self.cap();
        self.state.clock += 1;
        let s = &mut self.state;
        // Undisturbed steps feed the oracle: the control group's, and every step while no
        // force is allowed (the warm-up).
        if s.control || cap == 0.0 {
            s.oracle_reward = if s.oracle_steps == 0 {
                reward
            } else {
                s.oracle_reward + cfg.oracle_rate * (reward - s.oracle_reward)
            };
            s.oracle_steps += 1;
            return;
        }
        if s.oracle_steps == 0 {
            // No oracle to measure a cost against yet: the step is not under the constraint.
            return;
        }
        let force_n = Vec3::from_array(s.force_b).length();
        let mut c = cost(s.oracle_reward, reward);
        if fell {
            c += s.oracle_reward.max(0.0) * cfg.fall_cost_steps;
        }
        let bound = cost_bound(cfg.eta, force_n, self.weight_n);
        s.sample = Some(ConstraintSample {
            cost: c,
            bound,
            force_n,
            task_reward: reward,
        });
        s.reward = c - cfg.force_price * bound + if fell { cfg.fall_reward } else { 0.0 };
    }

    /// Sets the hosted disturber's action for the next step (non-`hinf` kinds ignore it).
    ///
    /// # Shapes
    /// `action: [3]`
    pub fn set_action(&mut self, action: &[f32]) {
        for (slot, a) in self.state.action.iter_mut().zip(action) {
            *slot = *a;
        }
    }

    /// The base-frame force (N) acting now.
    pub fn force_b(&self) -> Vec3 {
        Vec3::from_array(self.state.force_b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cost_is_the_shortfall_below_the_oracle_and_never_negative() {
        assert_eq!(cost(0.03, 0.01), 0.02);
        assert_eq!(cost(0.03, 0.05), 0.0);
        assert_eq!(cost(0.0, 0.0), 0.0);
    }

    #[test]
    fn the_bound_is_eta_times_the_force_in_body_weights() {
        // 30 N on a 12 kg robot (117.72 N) with eta 0.02: 0.02 * 30 / 117.72.
        let b = cost_bound(0.02, 30.0, 12.0 * GRAVITY);
        assert!((b - 0.005_096_84).abs() < 1e-7, "{b}");
        assert_eq!(cost_bound(0.02, 0.0, 117.72), 0.0);
    }

    #[test]
    fn the_cap_is_zero_in_warm_up_then_ramps_linearly() {
        assert_eq!(force_cap(30.0, 0, 100, 200), 0.0);
        assert_eq!(force_cap(30.0, 99, 100, 200), 0.0);
        assert_eq!(force_cap(30.0, 100, 100, 200), 0.0);
        assert_eq!(force_cap(30.0, 200, 100, 200), 15.0);
        assert_eq!(force_cap(30.0, 300, 100, 200), 30.0);
        assert_eq!(force_cap(30.0, 10_000, 100, 200), 30.0);
        assert_eq!(force_cap(30.0, 0, 0, 0), 30.0);
    }

    #[test]
    fn a_disturber_force_never_leaves_its_cap() {
        let cap = 30.0;
        for a in [
            [0.0, 0.0, 0.0],
            [1.0, -1.0, 0.5],
            [7.0, -300.0, 1e9],
            [f32::NAN, f32::INFINITY, -0.25],
        ] {
            let f = hinf_force(&a, cap);
            for v in f.to_array() {
                assert!(v.is_finite() && v.abs() <= cap, "{a:?} -> {f:?}");
            }
        }
        assert_eq!(
            hinf_force(&[0.5, -2.0, 0.0], 30.0),
            Vec3::new(15.0, -30.0, 0.0)
        );
        assert_eq!(
            hinf_force(&[f32::NAN, 1.0, 1.0], 10.0),
            Vec3::new(0.0, 10.0, 10.0)
        );
    }

    fn hinf(warmup_iterations: u32) -> Disturber {
        let config = DisturberConfig {
            kind: DisturberKind::Hinf,
            warmup_iterations,
            ramp_iterations: 0,
            eta: 0.02,
            oracle_rate: 0.5,
            fall_reward: 1.0,
            force_price: 0.5,
            ..Default::default()
        };
        // 12 kg, 24 steps per iteration.
        Disturber::new(config, 12.0, 0.02, 24).expect("disturber")
    }

    #[test]
    fn a_disturbed_step_reports_the_cost_and_bound_by_hand_and_pays_the_disturber() {
        let mut d = hinf(0);
        d.state.oracle_reward = 0.03;
        d.state.oracle_steps = 10;
        d.state.force_b = [30.0, 0.0, 40.0];
        d.after_step(0.01, false);
        let s = d
            .state
            .sample
            .expect("a disturbed step is under the constraint");
        let weight = 12.0 * GRAVITY;
        assert!((s.cost - 0.02).abs() < 1e-7);
        assert_eq!(s.force_n, 50.0);
        assert!((s.bound - 0.02 * 50.0 / weight).abs() < 1e-7, "{}", s.bound);
        assert_eq!(s.task_reward, 0.01);
        // cost - force price * bound; no fall.
        let expected = 0.02 - 0.5 * 0.02 * 50.0 / weight;
        assert!((d.state.reward - expected).abs() < 1e-7);
        // A fall costs 100 steps of the oracle's reward more, and pays the fall reward.
        d.after_step(0.01, true);
        let s = d.state.sample.expect("sample");
        assert!((s.cost - (0.02 + 100.0 * 0.03)).abs() < 1e-6, "{}", s.cost);
        assert!((d.state.reward - (expected + 3.0 + 1.0)).abs() < 1e-5);
        // A step above the oracle costs nothing.
        d.after_step(0.05, false);
        assert_eq!(d.state.sample.map(|s| s.cost), Some(0.0));
    }

    #[test]
    fn undisturbed_steps_move_the_oracle_and_are_not_under_the_constraint() {
        let mut d = hinf(0);
        d.state.control = true;
        d.after_step(0.02, false);
        // The first undisturbed step sets the oracle, later ones average at oracle_rate 0.5.
        assert_eq!(d.state.oracle_reward, 0.02);
        d.after_step(0.04, false);
        assert!((d.state.oracle_reward - 0.03).abs() < 1e-9);
        assert_eq!(d.state.oracle_steps, 2);
        assert!(d.state.sample.is_none());
        assert_eq!(d.state.reward, 0.0);
        // During the warm-up no force is allowed: every step is undisturbed.
        let mut w = hinf(1);
        assert_eq!(w.cap(), 0.0);
        w.after_step(0.02, false);
        assert!(w.state.sample.is_none());
        assert_eq!(w.state.oracle_steps, 1);
        // After 24 steps (one iteration) the cap is up and the steps are measured.
        for _ in 0..23 {
            w.after_step(0.02, false);
        }
        assert_eq!(w.cap(), 30.0);
        w.after_step(0.01, false);
        assert!(w.state.sample.is_some());
    }

    #[test]
    fn bad_settings_are_errors_naming_the_key() {
        let check = |c: DisturberConfig, key: &str| match c.validate() {
            Err(SimError::Config { key: k, .. }) => assert_eq!(k, key),
            other => panic!("{key}: {other:?}"),
        };
        check(
            DisturberConfig {
                force_cap_n: -1.0,
                ..Default::default()
            },
            "disturber.force_cap_n",
        );
        check(
            DisturberConfig {
                oracle_fraction: 1.0,
                ..Default::default()
            },
            "disturber.oracle_fraction",
        );
        check(
            DisturberConfig {
                resample_steps: 0,
                ..Default::default()
            },
            "disturber.resample_steps",
        );
        check(
            DisturberConfig {
                force_price: -0.5,
                ..Default::default()
            },
            "disturber.force_price",
        );
    }
}
