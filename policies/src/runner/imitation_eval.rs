//! `embody eval imitate`: a policy imitating its clip on a seeded, held-out set of episodes,
//! scored by how closely it tracks the reference and how often it falls.

use crate::deploy::MeanActor;
use crate::error::PolicyError;
use serde::Serialize;
use sim::env::Env;
use sim::tasks::imitate::{ImitationAssets, ImitationConfig, ImitationEnv};
use std::sync::Arc;

/// Figures of one evaluation (means over episodes; each episode's errors are means over the
/// steps it lived).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ImitationEvalStats {
    /// The clip file.
    pub clip: String,
    /// Episodes evaluated.
    pub episodes: usize,
    /// Episode length asked for (s).
    pub episode_s: f32,
    /// Seed of the test set (episode `i` starts at a clip time drawn from `seed ^ i`).
    pub seed: u64,
    /// Mean rotation error over the moving joints (rad).
    pub pose_error_rad: f32,
    /// Mean error of joint positions relative to the root, each in its heading frame (m).
    pub body_pos_error_m: f32,
    /// The same over the end effectors (m).
    pub end_effector_error_m: f32,
    /// Ground-plane distance between the root and the reference root at the episode's end (m).
    pub root_drift_m: f32,
    /// Share of episodes that ended in a fall.
    pub fall_rate: f32,
    /// Episodes that lasted the full length without a fall.
    pub episodes_without_fall: usize,
    /// Mean share of the episode length lived before a fall (1 when none fell).
    pub clip_fraction_tracked: f32,
    /// Mean undiscounted return.
    pub mean_return: f32,
}

/// Runs `episodes` episodes of `episode_s` seconds in lockstep, one env each (seed `seed ^ i`,
/// random start time as in training), with the actor's mean actions.
pub fn evaluate_imitation(
    actor: &mut impl MeanActor,
    assets: Arc<ImitationAssets>,
    config: &ImitationConfig,
    episodes: usize,
    seed: u64,
) -> Result<ImitationEvalStats, PolicyError> {
    let config = ImitationConfig {
        random_start: true,
        early_termination: true,
        ..config.clone()
    };
    let mut envs = (0..episodes)
        .map(|i| ImitationEnv::new(assets.clone(), config.clone(), seed ^ i as u64))
        .collect::<Result<Vec<_>, _>>()?;
    let (od, ad) = match envs.first() {
        Some(e) => (e.obs_dim(), e.action_dim()),
        None => (0, 0),
    };
    let mut obs = vec![0.0; episodes * od];
    for (env, row) in envs.iter_mut().zip(obs.chunks_mut(od.max(1))) {
        env.reset(row);
    }
    #[derive(Default, Clone)]
    struct Episode {
        alive: bool,
        steps: u32,
        ret: f64,
        pose: f64,
        body: f64,
        ee: f64,
        drift: f32,
        fell: bool,
    }
    let mut eps = vec![
        Episode {
            alive: true,
            ..Episode::default()
        };
        episodes
    ];
    let mut actions = vec![0.0; episodes * ad];
    let mut max_steps = 0;
    while eps.iter().any(|e| e.alive) {
        actor.act_batch(&obs, episodes, &mut actions)?;
        for (i, env) in envs.iter_mut().enumerate() {
            let e = &mut eps[i];
            if !e.alive {
                continue;
            }
            let out = env.step(
                &actions[i * ad..(i + 1) * ad],
                &mut obs[i * od..(i + 1) * od],
            );
            let t = env.tracking_errors();
            e.steps += 1;
            e.ret += out.reward as f64;
            e.pose += t.pose_rad as f64;
            e.body += t.body_pos_m as f64;
            e.ee += t.end_effector_m as f64;
            e.drift = t.root_drift_m;
            if out.terminated || out.truncated {
                e.alive = false;
                e.fell = out.terminated;
                max_steps = max_steps.max(if out.truncated { e.steps } else { 0 });
            }
        }
    }
    let max_steps = if max_steps == 0 {
        (config.episode_s as f64 * assets.update_rate_hz).round() as u32
    } else {
        max_steps
    };
    let n = episodes.max(1) as f64;
    let mean = |f: &dyn Fn(&Episode) -> f64| (eps.iter().map(f).sum::<f64>() / n) as f32;
    let per_step = |x: f64, e: &Episode| x / e.steps.max(1) as f64;
    Ok(ImitationEvalStats {
        clip: assets.clip.path.display().to_string(),
        episodes,
        episode_s: config.episode_s,
        seed,
        pose_error_rad: mean(&|e| per_step(e.pose, e)),
        body_pos_error_m: mean(&|e| per_step(e.body, e)),
        end_effector_error_m: mean(&|e| per_step(e.ee, e)),
        root_drift_m: mean(&|e| e.drift as f64),
        fall_rate: mean(&|e| f64::from(u8::from(e.fell))),
        episodes_without_fall: eps.iter().filter(|e| !e.fell).count(),
        clip_fraction_tracked: mean(&|e| {
            if e.fell {
                e.steps as f64 / max_steps.max(1) as f64
            } else {
                1.0
            }
        }),
        mean_return: mean(&|e| e.ret),
    })
}
