//! The runner with a hosted agent: a tug of war on a line, where the task's policy and a
//! hosted "pusher" both move one point.

use super::*;
use crate::checkpoint;
use crate::config::TrainConfig;
use crate::manifest::Manifest;
use crate::storage::RolloutStorage;
use burn::prelude::*;
use sim::env::{Env, HostedAgent, StepOutcome, VecEnv};

/// What the pusher is rewarded for.
#[derive(Clone, Copy)]
enum PusherReward {
    /// The opposite of the policy's reward (`x^2`): an adversary.
    ZeroSum,
    /// `-(d - target)^2` for its own action `d`, whatever the point does.
    Target(f32),
}

/// A point at `x` moved by `STEP * (clamp(a) + clamp(d))` each step, `a` the policy's action and
/// `d` the pusher's (both clamped to [-1, 1]). The policy earns `-x^2`; the episode times out
/// after `len` steps. Observes `[x, t / len]`.
struct Tug {
    x: f32,
    t: u32,
    len: u32,
    push: f32,
    pusher: PusherReward,
}

/// How far one unit of action moves the point.
const STEP: f32 = 0.1;

impl Env for Tug {
    type Snapshot = (f32, u32, f32);
    fn obs_dim(&self) -> usize {
        2
    }
    fn action_dim(&self) -> usize {
        1
    }
    fn reseed(&mut self, _seed: u64) {}
    fn reset(&mut self, obs: &mut [f32]) {
        self.x = 0.0;
        self.t = 0;
        obs.copy_from_slice(&[0.0, 0.0]);
    }
    fn step(&mut self, action: &[f32], obs: &mut [f32]) -> StepOutcome {
        self.x += STEP * (action[0].clamp(-1.0, 1.0) + self.push.clamp(-1.0, 1.0));
        self.t += 1;
        obs.copy_from_slice(&[self.x, self.t as f32 / self.len as f32]);
        StepOutcome {
            reward: -self.x * self.x,
            terminated: false,
            truncated: self.t >= self.len,
        }
    }
    fn snapshot(&self) -> Self::Snapshot {
        (self.x, self.t, self.push)
    }
    fn restore(&mut self, s: &Self::Snapshot) {
        (self.x, self.t, self.push) = *s;
    }
    fn hosted_agents(&self) -> Vec<HostedAgent> {
        vec![HostedAgent {
            name: "pusher".into(),
            action_dim: 1,
        }]
    }
    fn set_hosted_action(&mut self, _agent: usize, action: &[f32]) {
        self.push = action[0];
    }
    fn hosted_reward(&self, _agent: usize) -> f32 {
        match self.pusher {
            PusherReward::ZeroSum => self.x * self.x,
            PusherReward::Target(c) => -(self.push - c) * (self.push - c),
        }
    }
}

fn tug_venv(envs: usize, pusher: PusherReward) -> VecEnv<Tug> {
    VecEnv::new(envs, |i| Tug {
        x: 0.0,
        t: 0,
        len: 6 + i as u32 % 3,
        push: 0.0,
        pusher,
    })
}

/// A training config for the tug (small networks), with `overrides`.
fn tug_config(overrides: &[&str]) -> TrainConfig {
    let text = "task = \"tug\"\nseed = 5\n[runner]\nnum_envs = 16\nsave_interval = 2\n\
                [ppo]\nnum_steps_per_env = 8\nnum_mini_batches = 2\n\
                [policy]\nactor_hidden = [16]\ncritic_hidden = [16]\ninit_noise_std = 0.5\n";
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    TrainConfig::from_toml_str(text, &overrides).expect("tug config")
}

fn tug_runner(config: &TrainConfig, pusher: PusherReward) -> OnPolicyRunner<Tug> {
    let venv = tug_venv(config.runner.num_envs, pusher);
    OnPolicyRunner::from_config(venv, config, &Device::flex()).expect("runner")
}

fn storages(r: &OnPolicyRunner<Tug>) -> [RolloutStorage; 2] {
    let steps = r.policy().rollout_settings().num_steps_per_env;
    [0, 1].map(|_| RolloutStorage::new(steps, r.venv.num_envs(), 2, 1))
}

#[test]
fn each_agent_acts_on_the_env_and_learns_from_its_own_reward() {
    let config = tug_config(&[]);
    let mut r = tug_runner(&config, PusherReward::ZeroSum);
    assert_eq!(
        r.agents()
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>(),
        ["policy", "pusher"]
    );
    let [mut policy, mut pusher] = storages(&r);
    r.collect_into(&mut [&mut policy, &mut pusher])
        .expect("collection");
    let (n, steps) = (policy.envs, policy.steps);
    for t in 0..steps - 1 {
        for e in 0..n {
            let i = t * n + e;
            if policy.dones[i] > 0.0 {
                // The reward of a time-out carries each agent's own bootstrap value.
                continue;
            }
            // Both actions moved the point, as each agent's storage recorded them.
            let (x, next_x) = (policy.obs[i * 2], policy.obs[(i + n) * 2]);
            let moved =
                STEP * (policy.actions[i].clamp(-1.0, 1.0) + pusher.actions[i].clamp(-1.0, 1.0));
            assert_eq!(next_x, x + moved, "step {t}, env {e}");
            // Zero-sum rewards: each agent's storage has its own.
            assert_eq!(policy.rewards[i], -next_x * next_x);
            assert_eq!(pusher.rewards[i], next_x * next_x);
        }
    }
    // The two agents sample from their own streams: their actions differ.
    assert_ne!(policy.actions, pusher.actions);
    assert_eq!(policy.obs, pusher.obs, "both act on the same observation");
}

#[test]
fn a_hosted_agent_learns_from_its_reward() {
    let config = tug_config(&["ppo.learning_rate=3e-3", "ppo.schedule=\"fixed\""]);
    let mut r = tug_runner(&config, PusherReward::Target(0.6));
    let mean_push = |r: &OnPolicyRunner<Tug>| {
        let s = r.agent("pusher").expect("pusher").storage();
        s.means.iter().sum::<f32>() / s.means.len() as f32
    };
    r.iterate().expect("iteration");
    let (first_push, first_return) = (mean_push(&r), r.hosted_stats()[0].mean_return);
    for _ in 0..40 {
        r.iterate().expect("iteration");
    }
    let (last_push, last_return) = (mean_push(&r), r.hosted_stats()[0].mean_return);
    assert!(first_push.abs() < 0.3, "starts near 0: {first_push}");
    assert!(
        (last_push - 0.6).abs() < 0.15,
        "learned to push near its target 0.6: {first_push} -> {last_push}"
    );
    assert!(
        last_return > first_return,
        "{first_return} -> {last_return}"
    );
}

#[test]
fn agent_sections_set_each_agents_settings() {
    let config = tug_config(&[
        "agents.pusher.ppo.learning_rate=3e-4",
        "agents.pusher.policy.actor_hidden=[8, 8]",
    ]);
    let r = tug_runner(&config, PusherReward::ZeroSum);
    let pusher = r.agent("pusher").expect("pusher");
    assert_eq!(pusher.algo.learning_rate(), 3e-4);
    assert_eq!(r.policy().learning_rate(), 1e-3);
    let params = |m: &crate::nets::ActorCritic| m.num_params();
    assert_ne!(params(pusher.algo.model()), params(r.policy().model()));

    let unknown = tug_config(&["agents.pushr.ppo.learning_rate=3e-4"]);
    let err = OnPolicyRunner::from_config(
        tug_venv(16, PusherReward::ZeroSum),
        &unknown,
        &Device::flex(),
    )
    .err()
    .expect("no such agent");
    assert_eq!(
        err.to_string(),
        "config agents.pushr: task 'tug' hosts no agent 'pushr' (it hosts: pusher)"
    );
}

/// Every figure of an iteration but its timing, for both agents.
fn figures(r: &mut OnPolicyRunner<Tug>) -> (IterationStats, Vec<HostedIterationStats>) {
    let mut s = r.iterate().expect("iteration");
    (s.steps_per_s, s.collect_s, s.learn_s) = (0.0, 0.0, 0.0);
    (s, r.hosted_stats())
}

#[test]
fn a_two_agent_run_resumes_exactly_from_its_checkpoint() {
    // Overlapped collection and correlated noise: every stream of both agents must carry over.
    let config = tug_config(&[
        "runner.overlap_collection=true",
        "runner.max_iterations=4",
        "ppo.noise_correlation=0.3",
        "agents.pusher.ppo.learning_rate=5e-4",
    ]);
    let mut straight = tug_runner(&config, PusherReward::ZeroSum);
    let whole: Vec<_> = (0..4).map(|_| figures(&mut straight)).collect();

    let dir = std::env::temp_dir().join(format!("embody-hosted-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut first = tug_runner(&config, PusherReward::ZeroSum);
    let head: Vec<_> = (0..2).map(|_| figures(&mut first)).collect();
    first.save_checkpoint(&dir, &config).expect("save");
    let saved_lr = first.agent("pusher").expect("pusher").algo.learning_rate();
    drop(first);
    let mut resumed = tug_runner(&config, PusherReward::ZeroSum);
    assert!(resumed.resume(&dir).expect("resume"), "envs restored");
    let tail: Vec<_> = (0..2).map(|_| figures(&mut resumed)).collect();
    assert_eq!(head, whole[..2]);
    assert_eq!(tail, whole[2..], "the resumed run is the uninterrupted one");
    assert!(tail[1].1[0].update.policy_loss != 0.0, "the pusher learned");

    // The manifest names both modules, and their files are there.
    let manifest = Manifest::read(&dir).expect("manifest").expect("written");
    let names: Vec<&str> = manifest.modules.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["policy", "pusher"]);
    for module in &manifest.modules {
        for file in &module.files {
            assert!(dir.join(file).is_file(), "{file} of {}", module.name);
        }
    }
    assert_eq!(manifest.modules[1].actor_hidden, vec![16]);
    let state = checkpoint::load(&dir, &Device::flex().autodiff())
        .expect("load")
        .state;
    assert_eq!(state.agents[0].name, "pusher");
    assert_eq!(state.agents[0].learning_rate, saved_lr);
    let _ = std::fs::remove_dir_all(&dir);
}
