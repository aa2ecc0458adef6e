//! `embody eval bimanual`: a policy on seeded, held-out ALOHA episodes of one task, scored by
//! success (the success level held), gym-aloha's own success count and dropped objects.

use crate::deploy::MeanActor;
use crate::error::PolicyError;
use rayon::prelude::*;
use serde::Serialize;
use sim::env::Env;
use sim::tasks::bimanual::{BimanualAssets, BimanualConfig, BimanualEnv, SUCCESS_LEVEL};

/// Figures of one task's evaluation.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BimanualEvalStats {
    /// Episodes evaluated.
    pub episodes: usize,
    /// Seed of the test set (episode `i` draws its objects from `seed ^ i`).
    pub seed: u64,
    /// Share of episodes that held the success level for `success_hold_steps` steps.
    pub success_rate: f32,
    /// Share that reached the success level at any step (gym-aloha's and ACT's count).
    pub level4_rate: f32,
    /// Share whose objects left the table.
    pub drop_rate: f32,
    /// Mean of the episodes' highest contact level (0-4).
    pub mean_max_level: f32,
    /// Mean undiscounted return.
    pub mean_return: f32,
}

/// Runs `episodes` episodes of the task(s) in `config` in lockstep, one env each (seed
/// `seed ^ i`), with the actor's mean actions; envs step in parallel.
pub fn evaluate_bimanual(
    actor: &mut impl MeanActor,
    assets: &BimanualAssets,
    config: &BimanualConfig,
    episodes: usize,
    seed: u64,
) -> Result<BimanualEvalStats, PolicyError> {
    let mut envs = (0..episodes)
        .map(|i| BimanualEnv::new(assets, config.clone(), seed ^ i as u64))
        .collect::<Result<Vec<_>, _>>()?;
    let (od, ad) = match envs.first() {
        Some(e) => (e.obs_dim(), e.action_dim()),
        None => (1, 1),
    };
    let mut obs = vec![0.0; episodes * od];
    envs.par_iter_mut()
        .zip(obs.par_chunks_mut(od))
        .for_each(|(env, row)| env.reset(row));
    let mut alive = vec![true; episodes];
    let mut returns = vec![0.0f64; episodes];
    let mut actions = vec![0.0; episodes * ad];
    while alive.iter().any(|a| *a) {
        actor.act_batch(&obs, episodes, &mut actions)?;
        envs.par_iter_mut()
            .zip(obs.par_chunks_mut(od))
            .zip(actions.par_chunks(ad))
            .zip(alive.par_iter_mut().zip(returns.par_iter_mut()))
            .for_each(|(((env, row), action), (alive, ret))| {
                if *alive {
                    let out = env.step(action, row);
                    *ret += out.reward as f64;
                    *alive = !(out.terminated || out.truncated);
                }
            });
    }
    let n = episodes.max(1) as f32;
    let outcomes: Vec<_> = envs.iter().map(|e| e.outcome()).collect();
    let share = |f: &dyn Fn(&sim::tasks::bimanual::EpisodeOutcome) -> bool| {
        outcomes.iter().filter(|o| f(o)).count() as f32 / n
    };
    Ok(BimanualEvalStats {
        episodes,
        seed,
        success_rate: share(&|o| o.held),
        level4_rate: share(&|o| o.max_level >= SUCCESS_LEVEL),
        drop_rate: share(&|o| o.dropped),
        mean_max_level: outcomes.iter().map(|o| o.max_level as f32).sum::<f32>() / n,
        mean_return: (returns.iter().sum::<f64>() / n as f64) as f32,
    })
}
