//! `embody eval confined-nav`: a policy crossing held-out confined worlds, one episode per
//! world, scored by how often it reaches the goal in time without a fall.

use crate::deploy::MeanActor;
use crate::error::PolicyError;
use rayon::prelude::*;
use serde::Serialize;
use sim::confined::GeneratedWorld;
use sim::env::Env;
use sim::tasks::confined_nav::{ConfinedNavConfig, ConfinedNavEnv, NavEpisode};
use std::sync::Arc;

/// Figures of one policy over the worlds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConfinedNavEvalStats {
    /// Worlds evaluated (one episode each).
    pub worlds: usize,
    /// Share of worlds whose goal was reached within the time limit without a fall.
    pub success_rate: f32,
    /// Mean time to the goal over the successful episodes (s); `None` (JSON null) when none
    /// succeeded.
    pub time_to_goal_s: Option<f32>,
    /// Contacts of a body part other than a foot with a wall or the ceiling (each counted
    /// when it begins) per metre the base travelled, over all episodes.
    pub collisions_per_m: f32,
    /// Share of worlds that ended in a fall.
    pub fall_rate: f32,
    /// Mean share of the start's distance to the goal covered (1 at the goal).
    pub mean_progress: f32,
    /// Mean number of replans per episode (hierarchical).
    pub mean_replans: f32,
}

/// Runs one episode per world with the actor's mean actions, `batch` worlds at a time in
/// lockstep (envs stepped in parallel). The actor reads the first `obs_used` entries of each
/// observation (the velocity-skill baseline reads the locomotion part only).
pub fn evaluate_confined_nav(
    actor: &mut impl MeanActor,
    obs_used: usize,
    robot: Arc<robots::RobotSpec>,
    config: &ConfinedNavConfig,
    worlds: &[GeneratedWorld],
    batch: usize,
) -> Result<ConfinedNavEvalStats, PolicyError> {
    let config = ConfinedNavConfig {
        locomotion: sim::tasks::locomotion::LocomotionConfig {
            random_episode_start: false,
            push_interval_s: 0.0,
            ..config.locomotion.clone()
        },
        ..config.clone()
    };
    let mut episodes: Vec<NavEpisode> = Vec::with_capacity(worlds.len());
    for chunk in worlds.chunks(batch.max(1)) {
        let mut envs = chunk
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let mut env =
                    ConfinedNavEnv::new(robot.clone(), config.clone(), w.seed ^ i as u64)?;
                env.set_world(Some(w));
                Ok(env)
            })
            .collect::<Result<Vec<_>, sim::SimError>>()?;
        let n = envs.len();
        let (od, ad) = (envs[0].obs_dim(), envs[0].action_dim());
        if obs_used > od {
            return Err(PolicyError::Length {
                what: "the policy's observation against the task's".into(),
                expected: od,
                got: obs_used,
            });
        }
        let mut obs = vec![0.0f32; n * od];
        envs.par_iter_mut()
            .zip(obs.par_chunks_mut(od))
            .for_each(|(env, row)| env.reset(row));
        let mut alive = vec![true; n];
        let mut done: Vec<Option<NavEpisode>> = vec![None; n];
        let mut input = vec![0.0f32; n * obs_used];
        let mut actions = vec![0.0f32; n * ad];
        while alive.iter().any(|a| *a) {
            for (row, full) in input.chunks_mut(obs_used).zip(obs.chunks(od)) {
                row.copy_from_slice(&full[..obs_used]);
            }
            actor.act_batch(&input, n, &mut actions)?;
            envs.par_iter_mut()
                .zip(obs.par_chunks_mut(od))
                .zip(actions.par_chunks(ad))
                .zip(alive.par_iter_mut())
                .zip(done.par_iter_mut())
                .for_each(|((((env, row), action), alive), done)| {
                    if !*alive {
                        return;
                    }
                    let out = env.step(action, row);
                    if out.terminated || out.truncated {
                        *alive = false;
                        *done = Some(env.episode());
                    }
                });
        }
        episodes.extend(done.into_iter().flatten());
    }
    let dt = config.locomotion.physics.control_dt;
    let n = episodes.len().max(1) as f32;
    let success: Vec<&NavEpisode> = episodes
        .iter()
        .filter(|e| e.reached_goal && !e.fell)
        .collect();
    let travelled: f32 = episodes.iter().map(|e| e.travelled_m).sum();
    let collisions: u32 = episodes.iter().map(|e| e.collisions).sum();
    Ok(ConfinedNavEvalStats {
        worlds: episodes.len(),
        success_rate: success.len() as f32 / n,
        time_to_goal_s: (!success.is_empty()).then(|| {
            success.iter().map(|e| e.steps as f32 * dt).sum::<f32>() / success.len() as f32
        }),
        collisions_per_m: collisions as f32 / travelled.max(1e-6),
        fall_rate: episodes.iter().filter(|e| e.fell).count() as f32 / n,
        mean_progress: episodes
            .iter()
            .map(|e| {
                if e.reached_goal {
                    1.0
                } else if e.start_distance_m > 0.0 {
                    (1.0 - e.distance_m / e.start_distance_m).clamp(0.0, 1.0)
                } else {
                    0.0
                }
            })
            .sum::<f32>()
            / n,
        mean_replans: episodes.iter().map(|e| e.replans as f32).sum::<f32>() / n,
    })
}
