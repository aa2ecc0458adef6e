//! Deterministic evaluation: the mean action of the policy, on fresh, seeded environments.

use crate::algo::RunningMeanStd;
use crate::deploy::MeanActor;
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
    /// Share of episodes that ended in a fall (tasks that report `fall`, see
    /// `sim::env::StepInfo`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fall_rate: Option<f32>,
    /// Share of episodes whose last step reported success (tasks that report `success`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_rate: Option<f32>,
}

/// burn's actor in memory with its observation normaliser, as a [`MeanActor`] (a policy just
/// trained; a checkpoint is evaluated through the deploy runtime instead).
pub struct BurnActor<'a> {
    /// The actor-critic.
    pub model: &'a ActorCritic,
    /// Its observation normaliser, if it trained with one.
    pub obs_norm: Option<&'a RunningMeanStd>,
}

impl MeanActor for BurnActor<'_> {
    fn act_batch(&mut self, obs: &[f32], n: usize, actions: &mut [f32]) -> Result<(), PolicyError> {
        let od = obs.len() / n.max(1);
        let mut obs = obs.to_vec();
        if let Some(norm) = self.obs_norm {
            norm.normalize(&mut obs, crate::deploy::OBS_NORM_CLIP);
        }
        let device = self.model.log_std.val().device();
        let mean = to_vec(self.model.action_mean(matrix(&obs, n, od, &device)));
        if mean.len() != actions.len() {
            return Err(PolicyError::Length {
                what: "actions".into(),
                expected: actions.len(),
                got: mean.len(),
            });
        }
        actions.copy_from_slice(&mean);
        Ok(())
    }
}

/// Runs the policy's mean action in `venv` until `episodes` episodes have finished (each env
/// contributes its first `ceil(episodes / num_envs)` episodes; surplus ones are dropped in env
/// order, so the result does not depend on timing).
pub fn evaluate<E: Env>(
    actor: &mut impl MeanActor,
    venv: &mut VecEnv<E>,
    episodes: usize,
    max_steps: usize,
) -> Result<EvalStats, PolicyError> {
    let (n, ad) = (venv.num_envs(), venv.action_dim());
    let mut actions = vec![0.0; n * ad];
    let per_env = episodes.div_ceil(n.max(1));
    let mut done: Vec<Vec<(f32, u32, sim::env::StepInfo)>> = vec![Vec::new(); n];
    for _ in 0..max_steps {
        actor.act_batch(&venv.obs, n, &mut actions)?;
        venv.step(&actions)?;
        for ep in &venv.finished {
            if done[ep.env].len() < per_env {
                done[ep.env].push((ep.ret, ep.len, ep.info));
            }
        }
        if done.iter().all(|d| d.len() >= per_env) {
            break;
        }
    }
    let all: Vec<(f32, u32, sim::env::StepInfo)> = (0..per_env)
        .flat_map(|k| done.iter().filter_map(move |d| d.get(k).copied()))
        .take(episodes)
        .collect();
    let count = all.len().max(1) as f32;
    // A flag's rate over the episodes whose task reports it (None when none does).
    let rate = |flag: fn(&sim::env::StepInfo) -> Option<bool>| {
        let reported: Vec<bool> = all.iter().filter_map(|e| flag(&e.2)).collect();
        (!reported.is_empty())
            .then(|| reported.iter().filter(|f| **f).count() as f32 / reported.len() as f32)
    };
    Ok(EvalStats {
        episodes: all.len(),
        mean_return: all.iter().map(|e| e.0).sum::<f32>() / count,
        mean_episode_length: all.iter().map(|e| e.1 as f32).sum::<f32>() / count,
        fall_rate: rate(|i| i.fall),
        success_rate: rate(|i| i.success),
    })
}
