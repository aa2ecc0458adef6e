//! Go-Explore phase 2: the backward algorithm (Salimans and Chen, "Learning Montezuma's Revenge
//! from a Single Demonstration", 2018). The best trajectory of the archive is replayed once
//! into a list of states; PPO then trains on episodes that start from those states, at first
//! near the end of the demonstration and, each time the policy succeeds often enough from the
//! current starting point, from a point further back, until episodes start where the task
//! starts: a policy that needs no restores, trained with the simulator's noise on.
//!
//! [`DemoStarts`] wraps the task's env: on reset it draws a start from the window at the
//! current starting point (shared by all envs, [`Backward`]) and counts how the episodes that
//! began there end. The training loop moves the point between iterations ([`Backward::advance`]),
//! so the run does not depend on thread timing.

use super::archive::{Archive, decode};
use crate::PolicyError;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sim::env::{CellFeatures, Env, HostedAgent, StepInfo, StepOutcome};
use sim::scene::ArticulationState;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

/// Settings of the backward algorithm (`[robustify]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RobustifyConfig {
    /// Demonstration steps the starting point moves back each time.
    pub step_back: usize,
    /// Episodes start uniformly within this many steps after the starting point.
    pub window: usize,
    /// Success rate from the starting point that moves it back.
    pub success_threshold: f32,
    /// Episodes from the starting point before it may move.
    pub min_episodes: u32,
    /// Once the starting point reaches the task's start: the share of episodes that still
    /// start along the demonstration (the rest start fresh, with the simulator's noise).
    pub demo_share_at_start: f32,
}

impl Default for RobustifyConfig {
    fn default() -> Self {
        Self {
            step_back: 5,
            window: 5,
            success_threshold: 0.5,
            min_episodes: 32,
            demo_share_at_start: 0.2,
        }
    }
}

impl RobustifyConfig {
    /// Checks values; errors name the key (under `robustify.`).
    pub fn validate(&self) -> Result<(), PolicyError> {
        let bad = |key: &str, message: String| {
            Err(PolicyError::Config {
                key: format!("robustify.{key}"),
                message,
            })
        };
        if self.step_back == 0 {
            return bad("step_back", "must be at least 1".into());
        }
        if !(0.0..=1.0).contains(&self.success_threshold) {
            return bad(
                "success_threshold",
                format!("must lie in [0, 1], got {}", self.success_threshold),
            );
        }
        if !(0.0..=1.0).contains(&self.demo_share_at_start) {
            return bad(
                "demo_share_at_start",
                format!("must lie in [0, 1], got {}", self.demo_share_at_start),
            );
        }
        Ok(())
    }
}

/// The demonstration: the env's state and observation after each step of the best
/// trajectory, index 0 being the task's start.
pub struct Demo<S> {
    /// `(snapshot, observation)` per step; `[len]`.
    pub states: Vec<(S, Vec<f32>)>,
    /// The return at the end.
    pub score: f64,
}

impl<S> Demo<S> {
    /// Steps in the demonstration (states less one).
    pub fn len(&self) -> usize {
        self.states.len().saturating_sub(1)
    }

    /// Whether it has no step.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Replays the archive's best trajectory in `env` from the archive's start, recording every
/// state. Errors when the archive has no trajectory with a positive score, or the replay does
/// not repeat it (the env is not deterministic, or not the archive's task).
pub fn demo_from_archive<E: CellFeatures>(
    env: &mut E,
    archive: &Archive,
) -> Result<Demo<E::Snapshot>, PolicyError> {
    let (key, best) = archive
        .best()
        .ok_or_else(|| no_demo("the archive is empty"))?;
    if best.score <= 0.0 {
        return Err(no_demo(
            "no trajectory in the archive scored above 0 (phase 1 never reached the goal)",
        ));
    }
    let start: E::Snapshot = decode(archive.start()).map_err(|e| no_demo(&e))?;
    let mut obs = vec![0.0; env.obs_dim()];
    // A reset first installs the task (its world); the snapshot then sets the exact state.
    env.reset(&mut obs);
    env.restore(&start);
    let mut states = Vec::with_capacity(best.traj_len as usize + 1);
    states.push((env.snapshot(), archive.start_obs().to_vec()));
    let mut score = 0.0;
    let ad = archive.act_dim();
    for (i, a) in best.actions.chunks_exact(ad).enumerate() {
        let out = env.step(a, &mut obs);
        score += out.reward as f64;
        states.push((env.snapshot(), obs.clone()));
        if (out.terminated || out.truncated) && i + 1 < best.traj_len as usize {
            return Err(no_demo(&format!(
                "the replay ended at step {} of {}: the env does not repeat the archive's \
                 trajectory",
                i + 1,
                best.traj_len
            )));
        }
    }
    if (score - best.score).abs() > 1e-6 {
        return Err(no_demo(&format!(
            "the replay scored {score}, the archive says {} (cell {:?})",
            best.score, key.0
        )));
    }
    Ok(Demo { states, score })
}

fn no_demo(message: &str) -> PolicyError {
    PolicyError::Config {
        key: "robustify.archive".into(),
        message: message.into(),
    }
}

/// The starting point shared by every env of a run, and how episodes from it ended.
#[derive(Debug)]
pub struct Backward {
    config: RobustifyConfig,
    /// The current starting point (a demonstration index; 0 is the task's start).
    point: AtomicUsize,
    tries: AtomicU32,
    successes: AtomicU32,
    demo_len: usize,
}

/// Where the backward algorithm stands (saved beside the run's checkpoint).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BackwardState {
    /// The starting point.
    pub point: usize,
    /// Episodes from it so far, and their successes.
    pub tries: u32,
    /// Successes among them.
    pub successes: u32,
}

impl Backward {
    /// Starts `window` steps before the end of a demonstration of `demo_len` steps.
    pub fn new(config: RobustifyConfig, demo_len: usize) -> Self {
        let first = demo_len.saturating_sub(config.step_back);
        Self {
            config,
            point: AtomicUsize::new(first),
            tries: AtomicU32::new(0),
            successes: AtomicU32::new(0),
            demo_len,
        }
    }

    /// The state now.
    pub fn state(&self) -> BackwardState {
        BackwardState {
            point: self.point.load(Ordering::SeqCst),
            tries: self.tries.load(Ordering::SeqCst),
            successes: self.successes.load(Ordering::SeqCst),
        }
    }

    /// Puts a saved state back (resume).
    pub fn set_state(&self, s: BackwardState) {
        self.point
            .store(s.point.min(self.demo_len), Ordering::SeqCst);
        self.tries.store(s.tries, Ordering::SeqCst);
        self.successes.store(s.successes, Ordering::SeqCst);
    }

    /// Moves the starting point back when enough episodes from it succeeded; call between
    /// iterations. Returns whether it moved.
    pub fn advance(&self) -> bool {
        let s = self.state();
        if s.point == 0 || s.tries < self.config.min_episodes {
            return false;
        }
        let rate = s.successes as f32 / s.tries as f32;
        if rate < self.config.success_threshold {
            return false;
        }
        self.point.store(
            s.point.saturating_sub(self.config.step_back),
            Ordering::SeqCst,
        );
        self.tries.store(0, Ordering::SeqCst);
        self.successes.store(0, Ordering::SeqCst);
        true
    }

    /// The success rate of the episodes from the current point (`None` before any ended).
    pub fn success_rate(&self) -> Option<f32> {
        let s = self.state();
        (s.tries > 0).then(|| s.successes as f32 / s.tries as f32)
    }

    fn record(&self, start: usize, success: bool) {
        let point = self.point.load(Ordering::SeqCst);
        if start < point || start > point + self.config.window {
            return; // began at an earlier point: not evidence about this one
        }
        self.tries.fetch_add(1, Ordering::SeqCst);
        if success {
            self.successes.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// `inner`, with episodes that start along a demonstration (the backward algorithm).
pub struct DemoStarts<E: Env> {
    inner: E,
    demo: Arc<Demo<E::Snapshot>>,
    backward: Arc<Backward>,
    rng: ChaCha8Rng,
    /// Where the running episode started.
    start: usize,
}

/// The inner env's snapshot, the start stream and where the episode started.
#[derive(Clone, Serialize, Deserialize)]
pub struct DemoStartsSnapshot<S> {
    inner: S,
    rng: ChaCha8Rng,
    start: usize,
}

impl<E: Env> DemoStarts<E> {
    /// Wraps `inner`; `seed` drives which demonstration state each episode starts from.
    pub fn new(inner: E, demo: Arc<Demo<E::Snapshot>>, backward: Arc<Backward>, seed: u64) -> Self {
        Self {
            inner,
            demo,
            backward,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x6261_636b),
            start: 0,
        }
    }

    /// The wrapped env.
    pub fn inner(&self) -> &E {
        &self.inner
    }
}

impl<E: Env> Env for DemoStarts<E> {
    type Snapshot = DemoStartsSnapshot<E::Snapshot>;

    fn obs_dim(&self) -> usize {
        self.inner.obs_dim()
    }
    fn action_dim(&self) -> usize {
        self.inner.action_dim()
    }
    fn reseed(&mut self, seed: u64) {
        self.inner.reseed(seed);
        self.rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6261_636b);
    }
    fn reset(&mut self, obs: &mut [f32]) {
        // A fresh episode first: the simulator's noise (friction, observation noise) is drawn.
        self.inner.reset(obs);
        let config = self.backward.config;
        let point = self.backward.point.load(Ordering::SeqCst);
        let last = self.demo.len().saturating_sub(1);
        let from_demo = point > 0 || self.rng.random::<f32>() < config.demo_share_at_start;
        self.start = if from_demo {
            let hi = (point + config.window).min(last);
            if hi > point {
                self.rng.random_range(point..=hi)
            } else {
                point.min(last)
            }
        } else {
            0
        };
        if self.start > 0 {
            let (state, o) = &self.demo.states[self.start];
            self.inner.restore(state);
            // New noise from here on: the demonstration ran without it.
            self.inner.reseed(self.rng.random::<u64>());
            obs.copy_from_slice(o);
        }
    }
    fn step(&mut self, action: &[f32], obs: &mut [f32]) -> StepOutcome {
        let out = self.inner.step(action, obs);
        if out.terminated || out.truncated {
            let success = self.inner.step_info().success.unwrap_or(out.reward > 0.0);
            self.backward.record(self.start, success);
        }
        out
    }
    fn snapshot(&self) -> Self::Snapshot {
        DemoStartsSnapshot {
            inner: self.inner.snapshot(),
            rng: self.rng.clone(),
            start: self.start,
        }
    }
    fn restore(&mut self, s: &Self::Snapshot) {
        self.inner.restore(&s.inner);
        self.rng = s.rng.clone();
        self.start = s.start;
    }
    fn reset_to_state(
        &mut self,
        state: &ArticulationState,
        obs: &mut [f32],
    ) -> Result<(), sim::SimError> {
        self.start = 0;
        self.inner.reset_to_state(state, obs)
    }
    fn step_info(&self) -> StepInfo {
        self.inner.step_info()
    }
    fn drain_reward_terms(&mut self) -> (Vec<(&'static str, f32)>, u32) {
        self.inner.drain_reward_terms()
    }
    fn curriculum_levels(&self) -> Vec<(&'static str, f32)> {
        let mut levels = self.inner.curriculum_levels();
        levels.push((
            "demo_start_point",
            self.backward.point.load(Ordering::SeqCst) as f32,
        ));
        levels.push((
            "demo_success_rate",
            self.backward.success_rate().unwrap_or(0.0),
        ));
        levels
    }
    fn hosted_agents(&self) -> Vec<HostedAgent> {
        self.inner.hosted_agents()
    }
    fn set_hosted_action(&mut self, agent: usize, action: &[f32]) {
        self.inner.set_hosted_action(agent, action);
    }
    fn hosted_reward(&self, agent: usize) -> f32 {
        self.inner.hosted_reward(agent)
    }
}
