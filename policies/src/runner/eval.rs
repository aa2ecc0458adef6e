//! Deterministic evaluation: the mean action of the policy, on fresh, seeded environments.

use crate::algo::RunningMeanStd;
use crate::error::PolicyError;
use crate::nets::ActorCritic;
use crate::tensor_util::{matrix, to_vec};
use serde::Serialize;
use sim::env::{Env, VecEnv};

/// Evaluation figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EvalStats {
    /// Completed episodes.
    pub episodes: usize,
    /// Mean undiscounted return.
    pub mean_return: f32,
    /// Mean episode length (steps).
    pub mean_episode_length: f32,
}

/// Runs the policy's mean action in `venv` until `episodes` episodes have finished (each env
/// contributes its first `ceil(episodes / num_envs)` episodes; surplus ones are dropped in env
/// order, so the result does not depend on timing).
pub fn evaluate<E: Env>(
    model: &ActorCritic,
    obs_norm: Option<&RunningMeanStd>,
    venv: &mut VecEnv<E>,
    episodes: usize,
    max_steps: usize,
) -> Result<EvalStats, PolicyError> {
    let (n, od) = (venv.num_envs(), venv.obs_dim());
    let device = model.log_std.val().device();
    let per_env = episodes.div_ceil(n.max(1));
    let mut done: Vec<Vec<(f32, u32)>> = vec![Vec::new(); n];
    for _ in 0..max_steps {
        let mut obs = venv.obs.clone();
        if let Some(norm) = obs_norm {
            norm.normalize(&mut obs, 5.0);
        }
        let actions = to_vec(model.action_mean(matrix(&obs, n, od, &device)));
        venv.step(&actions)?;
        for ep in &venv.finished {
            if done[ep.env].len() < per_env {
                done[ep.env].push((ep.ret, ep.len));
            }
        }
        if done.iter().all(|d| d.len() >= per_env) {
            break;
        }
    }
    let all: Vec<(f32, u32)> = (0..per_env)
        .flat_map(|k| done.iter().filter_map(move |d| d.get(k).copied()))
        .take(episodes)
        .collect();
    let count = all.len().max(1) as f32;
    Ok(EvalStats {
        episodes: all.len(),
        mean_return: all.iter().map(|e| e.0).sum::<f32>() / count,
        mean_episode_length: all.iter().map(|e| e.1 as f32).sum::<f32>() / count,
    })
}
