//! The locomotion test set: seeded commands held for a whole episode each, pushes off, and the
//! figures robot-learning people report (tracking errors, falls, survival, cost of transport).

use crate::deploy::MeanActor;
use crate::error::PolicyError;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use robots::RobotSpec;
use serde::Serialize;
use sim::Terrain;
use sim::env::VecEnv;
use sim::tasks::locomotion::{LocomotionConfig, LocomotionEnv, eval_terrain_label, eval_terrains};
use std::sync::Arc;

/// Figures of one evaluation (means over episodes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocomotionEvalStats {
    /// Name of the terrain test set (`flat`, `rough`, `slope`, `stairs`, `rough_stairs`).
    pub terrain: String,
    /// Episodes in the test set.
    pub episodes: usize,
    /// Mean |command_xy - v_xy| over steps after the first second (m/s).
    pub lin_vel_error: f32,
    /// Mean |command_yaw - w_z| over steps after the first second (rad/s).
    pub yaw_rate_error: f32,
    /// Fraction of episodes that ended in a fall before the time limit.
    pub fall_rate: f32,
    /// Mean episode duration (s).
    pub survival_s: f32,
    /// Joint mechanical energy per weight and distance, `E / (m g d)` (dimensionless).
    pub cost_of_transport: f32,
    /// Largest planar command in the set (m/s).
    pub max_command: f32,
    /// The same figures for each terrain of the set, in its order.
    pub by_terrain: Vec<TerrainEvalStats>,
    /// One record per episode (`embody eval --episodes-out` writes them as JSON Lines).
    #[serde(skip)]
    pub per_episode: Vec<EpisodeRecord>,
}

/// Figures of the episodes of one terrain of a test set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TerrainEvalStats {
    /// The terrain's label (`sim::tasks::locomotion::eval_terrain_label`), e.g. `stairs_up`.
    pub terrain: String,
    /// Episodes on this terrain.
    pub episodes: usize,
    /// Mean linear-velocity tracking error (m/s).
    pub lin_vel_error: f32,
    /// Mean yaw-rate tracking error (rad/s).
    pub yaw_rate_error: f32,
    /// Fraction of its episodes that ended in a fall.
    pub fall_rate: f32,
    /// Mean episode duration (s).
    pub survival_s: f32,
}

/// How one test episode went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpisodeRecord {
    /// Index in the test set.
    pub episode: usize,
    /// Terrain label (`sim::tasks::locomotion::eval_terrain_label`).
    pub terrain: String,
    /// Command held for the episode: `[lin_vel_x (m/s), lin_vel_y (m/s), yaw rate (rad/s)]`.
    pub command: [f32; 3],
    /// Whether it ended in a fall.
    pub fell: bool,
    /// Duration (s).
    pub survival_s: f32,
    /// Mean linear-velocity tracking error after the first second (m/s); NaN (JSON null) if it
    /// ended first.
    pub lin_vel_error: f32,
    /// Mean yaw-rate tracking error after the first second (rad/s); NaN (JSON null) if it ended
    /// first.
    pub yaw_rate_error: f32,
    /// Base position at the end, relative to the tile centre (m).
    pub end_xy: [f32; 2],
    /// Base yaw at the end (rad).
    pub end_yaw: f32,
}

/// Runs `episodes` seeded episodes (one per env, in parallel) of `config` with the policy's mean
/// action on the named terrain test set (`sim::tasks::locomotion::eval_terrains`; episode `i`
/// runs on its terrain `i % len`). Commands are drawn from `config.commands` with `seed` and held
/// for the episode; pushes and the terrain curriculum are off.
pub fn evaluate_locomotion(
    actor: &mut impl MeanActor,
    spec: Arc<RobotSpec>,
    config: &LocomotionConfig,
    terrain_set: &str,
    episodes: usize,
    seed: u64,
) -> Result<LocomotionEvalStats, PolicyError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let kinds = eval_terrains(terrain_set)?;
    let terrains: Vec<Terrain> = kinds
        .iter()
        .enumerate()
        .map(|(k, kind)| Terrain::new(*kind, seed ^ (k as u64) << 32))
        .collect();
    let r = config.commands;
    let mut draw = |[lo, hi]: [f32; 2]| {
        if hi > lo {
            rng.random_range(lo..=hi)
        } else {
            lo
        }
    };
    let mut max_command = 0.0f32;
    let mut commands = Vec::with_capacity(episodes);
    let envs = (0..episodes)
        .map(|i| {
            let c = [draw(r.lin_vel_x), draw(r.lin_vel_y), draw(r.ang_vel_yaw)];
            commands.push(c);
            max_command = max_command.max((c[0] * c[0] + c[1] * c[1]).sqrt());
            let mut cfg = config.clone();
            cfg.commands.lin_vel_x = [c[0]; 2];
            cfg.commands.lin_vel_y = [c[1]; 2];
            cfg.commands.ang_vel_yaw = [c[2]; 2];
            cfg.resampling_s = cfg.episode_s * 2.0;
            cfg.push_interval_s = 0.0;
            cfg.random_episode_start = false;
            cfg.curriculum = None;
            cfg.command_curriculum = None;
            let terrain = terrains[i % terrains.len()].clone();
            LocomotionEnv::new(spec.clone(), terrain, cfg, seed ^ (i as u64 + 1))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut venv = VecEnv::from_envs(envs);
    let (n, ad) = (venv.num_envs(), venv.action_dim());
    let mut actions = vec![0.0; n * ad];
    let dt = config.physics.control_dt;
    let settle = (1.0 / dt).round() as u32;
    let max_steps = (config.episode_s / dt).round() as u32;
    let mass = spec.total_mass() as f32;
    let mut running = vec![true; n];
    let mut fell = vec![false; n];
    let mut steps = vec![0u32; n];
    let (mut lin_err, mut yaw_err, mut counted) = (vec![0.0f32; n], vec![0.0f32; n], vec![0u32; n]);
    let (mut energy, mut distance) = (vec![0.0f32; n], vec![0.0f32; n]);
    let mut last_xy: Vec<[f32; 2]> = venv
        .envs()
        .iter()
        .map(|e| e.world().base_state().pos_w.truncate().to_array())
        .collect();
    let mut end_yaw = vec![0.0f32; n];
    for _ in 0..max_steps {
        if !running.iter().any(|r| *r) {
            break;
        }
        actor.act_batch(&venv.obs, n, &mut actions)?;
        venv.step(&actions)?;
        for i in 0..n {
            if !running[i] {
                continue;
            }
            steps[i] += 1;
            // The env resets itself on the step that ends an episode: positions come from the
            // step before.
            if venv.terminated[i] || venv.truncated[i] {
                running[i] = false;
                // The task's own fall flag; a termination counts where a task sets none.
                fell[i] = venv.info[i].fall.unwrap_or(venv.terminated[i]);
                continue;
            }
            let env = &venv.envs()[i];
            let base = env.world().base_state();
            let cmd = env.command();
            if steps[i] > settle {
                let (ex, ey) = (cmd[0] - base.lin_vel_b.x, cmd[1] - base.lin_vel_b.y);
                lin_err[i] += (ex * ex + ey * ey).sqrt();
                yaw_err[i] += (cmd[2] - base.ang_vel_b.z).abs();
                counted[i] += 1;
            }
            energy[i] += env.mechanical_power() * dt;
            let xy = base.pos_w.truncate().to_array();
            let q = base.rot_w;
            end_yaw[i] = (2.0 * (q.w * q.z + q.x * q.y)).atan2(1.0 - 2.0 * (q.y * q.y + q.z * q.z));
            distance[i] +=
                ((xy[0] - last_xy[i][0]).powi(2) + (xy[1] - last_xy[i][1]).powi(2)).sqrt();
            last_xy[i] = xy;
        }
    }
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len().max(1) as f32;
    let per_step = |sum: &[f32]| -> Vec<f32> {
        sum.iter()
            .zip(&counted)
            .filter(|(_, c)| **c > 0)
            .map(|(s, c)| s / *c as f32)
            .collect()
    };
    let per_episode: Vec<EpisodeRecord> = (0..n)
        .map(|i| {
            let per = |sum: f32| {
                if counted[i] > 0 {
                    sum / counted[i] as f32
                } else {
                    f32::NAN
                }
            };
            EpisodeRecord {
                episode: i,
                terrain: eval_terrain_label(&kinds[i % kinds.len()]),
                command: commands[i],
                fell: fell[i],
                survival_s: steps[i] as f32 * dt,
                lin_vel_error: per(lin_err[i]),
                yaw_rate_error: per(yaw_err[i]),
                end_xy: last_xy[i],
                end_yaw: end_yaw[i],
            }
        })
        .collect();
    let by_terrain = (0..kinds.len())
        .map(|k| {
            let eps: Vec<&EpisodeRecord> = per_episode
                .iter()
                .filter(|e| e.episode % kinds.len() == k)
                .collect();
            let finite_mean = |f: &dyn Fn(&EpisodeRecord) -> f32| {
                let v: Vec<f32> = eps.iter().map(|e| f(e)).filter(|v| v.is_finite()).collect();
                mean(&v)
            };
            TerrainEvalStats {
                terrain: eval_terrain_label(&kinds[k]),
                episodes: eps.len(),
                lin_vel_error: finite_mean(&|e| e.lin_vel_error),
                yaw_rate_error: finite_mean(&|e| e.yaw_rate_error),
                fall_rate: eps.iter().filter(|e| e.fell).count() as f32 / eps.len().max(1) as f32,
                survival_s: finite_mean(&|e| e.survival_s),
            }
        })
        .collect();
    let total_distance: f32 = distance.iter().sum();
    let total_energy: f32 = energy.iter().sum();
    Ok(LocomotionEvalStats {
        terrain: terrain_set.to_string(),
        episodes: n,
        lin_vel_error: mean(&per_step(&lin_err)),
        yaw_rate_error: mean(&per_step(&yaw_err)),
        fall_rate: fell.iter().filter(|f| **f).count() as f32 / n.max(1) as f32,
        survival_s: mean(&steps.iter().map(|s| *s as f32 * dt).collect::<Vec<_>>()),
        cost_of_transport: if total_distance > 1e-3 {
            total_energy / (mass * 9.81 * total_distance)
        } else {
            f32::NAN
        },
        max_command,
        by_terrain,
        per_episode,
    })
}
