//! The push test (`embody eval locomotion --push-test`): a fixed, seeded suite of 0.2 s force
//! pulses on the base of a robot walking on commands, in 8 horizontal directions at 4 magnitude
//! bands (in units of the robot's weight `m g`). It reports the fall rate per band and the
//! velocity tracking error while pushed.

use crate::deploy::MeanActor;
use crate::error::PolicyError;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use robots::RobotSpec;
use serde::Serialize;
use sim::env::VecEnv;
use sim::tasks::locomotion::{GRAVITY, LocomotionConfig, LocomotionEnv};
use sim::{Terrain, Vec3};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The magnitude bands (multiples of `m g`): chosen so that the policy trained with legged_gym's
/// pushes falls about 10% of the time in the weakest and about 90% in the strongest
/// (docs/BENCHMARKS.md, "H-infinity").
pub const PUSH_BANDS_MG: [f32; 4] = [0.5, 0.75, 1.0, 1.5];

/// Horizontal directions of the pulses, evenly spaced from the robot's heading.
pub const PUSH_DIRECTIONS: usize = 8;

/// Length of a pulse (s).
pub const PULSE_S: f32 = 0.2;

/// When the pulse starts (s after the episode's start): the robot has been walking for 2 s.
pub const PULSE_AT_S: f32 = 2.0;

/// How long an episode lasts (s): 2 s walking, the pulse, then time to recover or fall.
pub const PUSH_EPISODE_S: f32 = 5.0;

/// How long after the pulse's start the tracking error is measured (s).
pub const TRACKING_WINDOW_S: f32 = 2.0;

/// What the push test measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PushTestStats {
    /// Fall rate in each magnitude band, keyed by the band (`"1.5mg"`).
    pub fall_rate_by_band: BTreeMap<String, f32>,
    /// Fall rate over all episodes.
    pub fall_rate: f32,
    /// Mean |command_xy - v_xy| from the pulse's start to 2 s later, over the steps before any
    /// fall (m/s).
    pub lin_vel_error_under_push: f32,
    /// Largest force applied (N).
    pub max_applied_force_n: f32,
    /// Episodes run (`bands x 8 directions x repeats`).
    pub episodes: usize,
    /// The bands (multiples of `m g`), in order.
    pub bands_mg: Vec<f32>,
    /// The robot's weight `m g` (N).
    pub weight_n: f32,
    /// Episodes per band and direction.
    pub repeats: usize,
    /// The suite's seed.
    pub seed: u64,
}

/// Runs the push test: for each band in `bands_mg`, each of the 8 directions and `repeats`
/// repeats, one episode on flat ground with a command drawn from `config.commands` (seeded by
/// `seed`, held for the episode) and a pulse of `band * m g` newtons, horizontal, at
/// `45° * direction` from the robot's heading at the pulse's start, lasting [`PULSE_S`]. The
/// policy acts with its mean action. Terrain and command curricula, pushes and any disturber
/// are off.
pub fn push_test(
    actor: &mut impl MeanActor,
    spec: Arc<RobotSpec>,
    config: &LocomotionConfig,
    bands_mg: &[f32],
    repeats: usize,
    seed: u64,
) -> Result<PushTestStats, PolicyError> {
    if bands_mg.is_empty() || repeats == 0 {
        return Err(PolicyError::config(
            "push_test",
            "needs at least one band and one repeat",
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let weight_n = spec.total_mass() as f32 * GRAVITY;
    let per_band = PUSH_DIRECTIONS * repeats;
    let episodes = bands_mg.len() * per_band;
    let r = config.commands;
    let mut draw = |[lo, hi]: [f32; 2]| {
        if hi > lo {
            rng.random_range(lo..=hi)
        } else {
            lo
        }
    };
    let envs = (0..episodes)
        .map(|i| {
            let c = [draw(r.lin_vel_x), draw(r.lin_vel_y), draw(r.ang_vel_yaw)];
            let mut cfg = config.clone();
            cfg.commands.lin_vel_x = [c[0]; 2];
            cfg.commands.lin_vel_y = [c[1]; 2];
            cfg.commands.ang_vel_yaw = [c[2]; 2];
            cfg.episode_s = PUSH_EPISODE_S;
            cfg.resampling_s = PUSH_EPISODE_S * 2.0;
            cfg.push_interval_s = 0.0;
            cfg.random_episode_start = false;
            cfg.curriculum = None;
            cfg.command_curriculum = None;
            LocomotionEnv::new(spec.clone(), Terrain::flat(), cfg, seed ^ (i as u64 + 1))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut venv = VecEnv::from_envs(envs);
    let (n, ad) = (venv.num_envs(), venv.action_dim());
    let mut actions = vec![0.0; n * ad];
    let dt = config.physics.control_dt;
    let steps_of = |s: f32| (s / dt).round() as u32;
    let (pulse_at, pulse_end) = (steps_of(PULSE_AT_S), steps_of(PULSE_AT_S + PULSE_S));
    let window_end = steps_of(PULSE_AT_S + TRACKING_WINDOW_S);
    let max_steps = steps_of(PUSH_EPISODE_S);
    let mut running = vec![true; n];
    let mut fell = vec![false; n];
    let (mut err_sum, mut err_steps) = (0.0f64, 0u64);
    let mut max_force = 0.0f32;
    for step in 0..max_steps {
        if !running.iter().any(|r| *r) {
            break;
        }
        // The pulse acts on the steps [pulse_at, pulse_end).
        if step == pulse_at || step == pulse_end {
            for (i, env) in venv.envs_mut().iter_mut().enumerate() {
                if !running[i] {
                    continue;
                }
                let force_w = if step == pulse_at {
                    let band = bands_mg[i / per_band];
                    let direction = (i / repeats) % PUSH_DIRECTIONS;
                    let heading = env.world().base_state().rot_w * Vec3::X;
                    let yaw = heading.y.atan2(heading.x)
                        + std::f32::consts::TAU * direction as f32 / PUSH_DIRECTIONS as f32;
                    let magnitude = band * weight_n;
                    max_force = max_force.max(magnitude);
                    Vec3::new(magnitude * yaw.cos(), magnitude * yaw.sin(), 0.0)
                } else {
                    Vec3::ZERO
                };
                env.set_base_force_w(force_w);
            }
        }
        actor.act_batch(&venv.obs, n, &mut actions)?;
        venv.step(&actions)?;
        for i in 0..n {
            if !running[i] {
                continue;
            }
            if venv.terminated[i] || venv.truncated[i] {
                running[i] = false;
                fell[i] = venv.info[i].fall.unwrap_or(venv.terminated[i]);
                continue;
            }
            if step >= pulse_at && step < window_end {
                let env = &venv.envs()[i];
                let base = env.world().base_state();
                let cmd = env.command();
                let (ex, ey) = (cmd[0] - base.lin_vel_b.x, cmd[1] - base.lin_vel_b.y);
                err_sum += (ex * ex + ey * ey).sqrt() as f64;
                err_steps += 1;
            }
        }
    }
    let rate = |eps: &[bool]| eps.iter().filter(|f| **f).count() as f32 / eps.len().max(1) as f32;
    let fall_rate_by_band = bands_mg
        .iter()
        .enumerate()
        .map(|(b, band)| {
            (
                format!("{band}mg"),
                rate(&fell[b * per_band..(b + 1) * per_band]),
            )
        })
        .collect();
    Ok(PushTestStats {
        fall_rate_by_band,
        fall_rate: rate(&fell),
        lin_vel_error_under_push: if err_steps > 0 {
            (err_sum / err_steps as f64) as f32
        } else {
            f32::NAN
        },
        max_applied_force_n: max_force,
        episodes,
        bands_mg: bands_mg.to_vec(),
        weight_n,
        repeats,
        seed,
    })
}
