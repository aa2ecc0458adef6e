//! The worst-case robustness score of `embody attack`: a policy's fall rate against an adversary
//! trained to topple it.

use crate::algo::RunningMeanStd;
use crate::error::PolicyError;
use crate::nets::ActorCritic;
use crate::tensor_util::{matrix, to_vec};
use serde::Serialize;
use sim::env::{Env, VecEnv};

/// How a policy fared against an adversary.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AttackEval {
    /// Episodes played (one per env).
    pub episodes: usize,
    /// Share of them that ended in a fall.
    pub fall_rate: f32,
    /// Mean episode duration (steps).
    pub mean_episode_length: f32,
}

/// Plays one episode per env of `venv` (at most `max_steps` steps; the envs must host exactly one
/// agent, the adversary) with the mean actions of `policy` and of `adversary`, both acting on
/// the observation normalised by `obs_norm`, and counts the episodes that end in a fall (the
/// task's `fall` flag, else a termination).
pub fn evaluate_against<E: Env>(
    policy: &ActorCritic,
    adversary: &ActorCritic,
    obs_norm: Option<&RunningMeanStd>,
    venv: &mut VecEnv<E>,
    max_steps: usize,
) -> Result<AttackEval, PolicyError> {
    if venv.hosted_agents().len() != 1 {
        return Err(PolicyError::config(
            "agents",
            format!(
                "an attack needs envs hosting one adversary, these host {}",
                venv.hosted_agents().len()
            ),
        ));
    }
    let (n, od) = (venv.num_envs(), venv.obs_dim());
    let device = policy.log_std.val().device();
    let mut running = vec![true; n];
    let mut fell = vec![false; n];
    let mut length = vec![0u32; n];
    for _ in 0..max_steps {
        if !running.iter().any(|r| *r) {
            break;
        }
        let mut obs = venv.obs.clone();
        if let Some(norm) = obs_norm {
            norm.normalize(&mut obs, crate::deploy::OBS_NORM_CLIP);
        }
        let obs_t = matrix(&obs, n, od, &device);
        let actions = to_vec(policy.action_mean(obs_t.clone()));
        let pushes = to_vec(adversary.action_mean(obs_t));
        venv.step_hosted(&actions, &[&pushes])?;
        for i in 0..n {
            if !running[i] {
                continue;
            }
            length[i] += 1;
            if venv.terminated[i] || venv.truncated[i] {
                running[i] = false;
                fell[i] = venv.info[i].fall.unwrap_or(venv.terminated[i]);
            }
        }
    }
    Ok(AttackEval {
        episodes: n,
        fall_rate: fell.iter().filter(|f| **f).count() as f32 / n.max(1) as f32,
        mean_episode_length: length.iter().sum::<u32>() as f32 / n.max(1) as f32,
    })
}
