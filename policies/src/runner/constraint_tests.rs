//! The runner with a constrained policy (the H-infinity constraint's machinery): the two-head
//! critic's targets, the multiplier's dual ascent, and a checkpoint of both.

use super::*;
use crate::storage::RolloutStorage;
use burn::prelude::*;
use sim::env::{ConstraintSample, ConstraintSpec, Env, StepOutcome, VecEnv};

/// Cost of a step under the constraint.
const COST: f32 = 1.0;
/// What the constraint allows per step.
const BOUND: f32 = 0.25;

/// A clock that earns 1 per step and times out after `len` steps. Steps taken at even `t` are
/// under the constraint with cost [`COST`] and bound [`BOUND`]; odd ones are not.
struct Meter {
    t: u32,
    len: u32,
    last_t: u32,
}

impl Env for Meter {
    type Snapshot = (u32, u32);
    fn obs_dim(&self) -> usize {
        2
    }
    fn action_dim(&self) -> usize {
        1
    }
    fn reseed(&mut self, _seed: u64) {}
    fn reset(&mut self, obs: &mut [f32]) {
        self.t = 0;
        obs.copy_from_slice(&[0.0, 1.0]);
    }
    fn step(&mut self, _action: &[f32], obs: &mut [f32]) -> StepOutcome {
        self.last_t = self.t;
        self.t += 1;
        obs.copy_from_slice(&[self.t as f32 / self.len as f32, 1.0]);
        StepOutcome {
            reward: 1.0,
            terminated: false,
            truncated: self.t >= self.len,
        }
    }
    fn snapshot(&self) -> (u32, u32) {
        (self.t, self.last_t)
    }
    fn restore(&mut self, s: &(u32, u32)) {
        (self.t, self.last_t) = *s;
    }
    fn constraint(&self) -> Option<ConstraintSpec> {
        Some(ConstraintSpec {
            multiplier_init: 0.0,
            multiplier_lr: 2.0,
            multiplier_max: 10.0,
        })
    }
    fn constraint_sample(&self) -> Option<ConstraintSample> {
        self.last_t.is_multiple_of(2).then_some(ConstraintSample {
            cost: COST,
            bound: BOUND,
            force_n: 10.0,
            task_reward: 1.0,
        })
    }
}

fn meter_runner(envs: usize, steps: usize) -> OnPolicyRunner<Meter> {
    let venv = VecEnv::new(envs, |i| Meter {
        t: 0,
        len: 3 + i as u32,
        last_t: 0,
    });
    let policy = crate::nets::ActorCriticConfig {
        actor_hidden: vec![8],
        critic_hidden: vec![8],
        init_noise_std: 0.5,
    };
    let config = RunnerConfig {
        num_envs: envs,
        save_interval: 1,
        ..RunnerConfig::default()
    };
    let ppo = crate::algo::PpoConfig {
        num_steps_per_env: steps,
        num_mini_batches: 1,
        num_learning_epochs: 1,
        ..Default::default()
    };
    OnPolicyRunner::new(venv, config, ppo, &policy, &Device::flex(), 11).expect("runner")
}

#[test]
fn a_constrained_policy_has_a_two_head_critic_whose_cost_head_starts_at_zero() {
    let r = meter_runner(2, 4);
    let model = r.policy().inference_model();
    assert_eq!(model.value_heads(), 2);
    assert_eq!(r.policy().multiplier(), Some(0.0));
    let obs = crate::tensor_util::matrix(&[0.3, 1.0, 0.7, 1.0], 2, 2, &Device::flex());
    let values = crate::tensor_util::to_vec(model.values(obs.clone()));
    assert_eq!((values[1], values[3]), (0.0, 0.0), "cost head: {values:?}");
    // The task head is the first column.
    let task = crate::tensor_util::to_vec(model.value(obs));
    assert_eq!(task, vec![values[0], values[2]]);
}

#[test]
fn the_cost_heads_targets_are_the_gae_of_the_costs_by_hand() {
    let (envs, steps) = (2, 5);
    let mut r = meter_runner(envs, steps);
    let mut storage = RolloutStorage::new(steps, envs, 2, 1).with_cost_channel();
    r.collect_into(&mut [&mut storage]).expect("collection");
    let cost = storage.cost.as_ref().expect("cost channel");
    let (gamma, lam) = (0.99f32, 0.95f32);
    for e in 0..envs {
        // Env e: episodes of 3 + e steps, from t = 0; costs on even t. The cost head is zero
        // (fresh), so the targets are the discounted sums of GAE over each episode's remaining
        // costs in the rollout, and a time-out bootstraps 0.
        let len = 3 + e;
        let costs: Vec<f32> = (0..steps)
            .map(|k| if (k % len) % 2 == 0 { COST } else { 0.0 })
            .collect();
        let mut expected = vec![0.0f32; steps];
        let mut next = 0.0f32;
        for k in (0..steps).rev() {
            let episode_ends = (k + 1) % len == 0;
            if episode_ends {
                next = 0.0;
            }
            next = costs[k] + gamma * lam * next;
            expected[k] = next;
        }
        for k in 0..steps {
            let i = k * envs + e;
            assert_eq!(cost.values[i], 0.0);
            assert_eq!(cost.rewards[i], costs[k], "cost reward, env {e} step {k}");
            assert!(
                (cost.returns[i] - expected[k]).abs() < 1e-5,
                "env {e} step {k}: {} vs {}",
                cost.returns[i],
                expected[k]
            );
            assert_eq!(cost.samples[i].is_some(), costs[k] > 0.0);
        }
    }
}

#[test]
fn an_update_takes_the_dual_step_on_the_rollouts_constraint() {
    let mut r = meter_runner(2, 6);
    let s = r.iterate().expect("iteration");
    // Every sample costs 1 against a bound of 0.25: lambda = 0 + 2 * (1 - 0.25).
    assert_eq!(r.policy().multiplier(), Some(1.5));
    assert_eq!(s.update.multiplier, 1.5);
    let c = s.update.constraint.expect("constraint statistics");
    assert_eq!((c.cost, c.bound), (COST, BOUND));
    assert_eq!(c.violation(), 3.0);
    // Env 0 (3-step episodes) is under the constraint at t = 0, 2: 4 of 6 steps; env 1 (4-step
    // episodes) at t = 0, 2 and again 0: 3 of 6.
    assert!((c.share - 7.0 / 12.0).abs() < 1e-6, "{}", c.share);
    // A second rollout with the same violation: 1.5 + 1.5.
    r.iterate().expect("iteration");
    assert_eq!(r.policy().multiplier(), Some(3.0));
}

#[test]
fn a_checkpoint_keeps_the_cost_head_and_the_multiplier() {
    let dir = std::env::temp_dir().join(format!("embody-constraint-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut r = meter_runner(2, 6);
    r.iterate().expect("iteration");
    let config = crate::config::TrainConfig::from_toml_str(
        "task = \"meter\"\n[policy]\nactor_hidden = [8]\ncritic_hidden = [8]\n",
        &[],
    )
    .expect("config");
    r.save_checkpoint(&dir, &config).expect("save");
    let mut resumed = meter_runner(2, 6);
    resumed.resume(&dir).expect("resume");
    assert_eq!(resumed.policy().multiplier(), Some(1.5));
    let obs = crate::tensor_util::matrix(&[0.5, 1.0], 1, 2, &Device::flex());
    let a = crate::tensor_util::to_vec(r.policy().inference_model().values(obs.clone()));
    let b = crate::tensor_util::to_vec(resumed.policy().inference_model().values(obs));
    assert_eq!(a, b);
    let _ = std::fs::remove_dir_all(&dir);
}
