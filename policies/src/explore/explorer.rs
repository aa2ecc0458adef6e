//! Go-Explore phase 1: choose cells from the archive, return to each by restoring its snapshot,
//! explore from there with repeated random actions, and add the cells reached (or better ways
//! to known ones). Generic over any env that snapshots, restores and reports cell features.
//!
//! A round explores from `workers` cells at once, one env each, on rayon's threads. Each
//! worker's random stream is drawn from the explorer's stream before the round and the
//! results are merged in worker order, so a run (and a resumed run) is the same on any number
//! of threads.

use super::archive::{Archive, ArchiveConfig, Arrival, Offer, decode, encode};
use crate::PolicyError;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sim::env::{CellConfig, CellFeatures, CellFunction, CellKey};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// Phase-1 settings (`[explore]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExploreConfig {
    /// Explorations per round (one env each).
    pub workers: usize,
    /// Steps of one exploration from a returned-to cell (the authors' 100; 30 on Fetch).
    pub explore_steps: u32,
    /// Mean number of steps a random action is repeated (geometric; the authors' 20, 10 on
    /// Fetch).
    pub repeat_mean: f32,
    /// Env-step budget (exploration and replays).
    pub max_env_steps: u64,
    /// A score at least this reaches the goal (the maze pays 1 at the exit).
    pub goal_score: f64,
    /// Stop once the goal is reached.
    pub stop_at_goal: bool,
    /// Save the archive every this many rounds (and at the end).
    pub save_every: u64,
    /// The cell function: bin width per feature.
    pub cells: CellConfig,
    /// Selection weights and the memory cap.
    pub archive: ArchiveConfig,
}

impl Default for ExploreConfig {
    fn default() -> Self {
        Self {
            workers: 16,
            explore_steps: 50,
            repeat_mean: 10.0,
            max_env_steps: 200_000,
            goal_score: 1.0,
            stop_at_goal: false,
            save_every: 10,
            cells: CellConfig(
                [
                    ("x", 0.25),
                    ("y", 0.25),
                    ("heading", std::f32::consts::FRAC_PI_2),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            ),
            archive: ArchiveConfig::default(),
        }
    }
}

impl ExploreConfig {
    /// Checks values; errors name the key (under `explore.`).
    pub fn validate(&self) -> Result<(), PolicyError> {
        let bad = |key: &str, message: String| {
            Err(PolicyError::Config {
                key: format!("explore.{key}"),
                message,
            })
        };
        if self.workers == 0 || self.workers > 4096 {
            return bad(
                "workers",
                format!("must lie in 1..=4096, got {}", self.workers),
            );
        }
        if self.explore_steps == 0 {
            return bad("explore_steps", "must be at least 1".into());
        }
        if !(self.repeat_mean.is_finite() && self.repeat_mean >= 1.0) {
            return bad(
                "repeat_mean",
                format!("must be a number >= 1, got {}", self.repeat_mean),
            );
        }
        if self.save_every == 0 {
            return bad("save_every", "must be at least 1".into());
        }
        self.archive.validate("explore.archive")
    }
}

/// The explorer's own state, saved with the archive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExploreState {
    /// Rounds done.
    pub round: u64,
    /// Env steps spent (exploration and replays).
    pub env_steps: u64,
    /// Env steps spent when the goal was first reached.
    pub goal_found_at: Option<u64>,
    /// The stream worker seeds and selections are drawn from.
    pub rng: ChaCha8Rng,
}

/// One round's figures (a row of `explore.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ExploreRound {
    /// Rounds done.
    pub round: u64,
    /// Env steps spent.
    pub env_steps: u64,
    /// Cells in the archive.
    pub cells: usize,
    /// Highest score in the archive.
    pub best_score: f64,
    /// Whether a trajectory reached the goal.
    pub goal_reached: bool,
    /// Bytes the archive holds.
    pub archive_bytes: usize,
    /// Cells found or improved this round.
    pub updates: usize,
}

/// What one exploration brought back.
struct Run {
    source: CellKey,
    seen: Vec<CellKey>,
    arrivals: BTreeMap<CellKey, Arrival>,
    env_steps: u64,
}

/// Go-Explore's phase 1 over envs of type `E`.
pub struct Explorer<E: CellFeatures> {
    envs: Vec<E>,
    config: ExploreConfig,
    cells: CellFunction,
    archive: Archive,
    state: ExploreState,
}

impl<E: CellFeatures> Explorer<E> {
    /// Starts a search: resets the first env (its state is every trajectory's start) and
    /// seeds the explorer's stream with `seed`. `envs` must all be the same task; one runs per
    /// worker (at least one).
    pub fn new(mut envs: Vec<E>, config: ExploreConfig, seed: u64) -> Result<Self, PolicyError> {
        let cells = checked_cells(&envs, &config)?;
        let first = &mut envs[0];
        let mut obs = vec![0.0; first.obs_dim()];
        first.reset(&mut obs);
        let start = encode(&first.snapshot()).map_err(snapshot_err)?;
        let key = cells.cell_of(&*first);
        let archive = Archive::new(config.archive, first.action_dim(), key, start, obs);
        Ok(Self {
            envs,
            config,
            cells,
            archive,
            state: ExploreState {
                round: 0,
                env_steps: 0,
                goal_found_at: None,
                rng: ChaCha8Rng::seed_from_u64(seed ^ 0x676f_6578),
            },
        })
    }

    /// Continues the search saved at `path` with `config` (the cells must bin as before).
    pub fn resume(envs: Vec<E>, config: ExploreConfig, path: &Path) -> Result<Self, PolicyError> {
        let cells = checked_cells(&envs, &config)?;
        let (archive, state): (Archive, ExploreState) = Archive::load(path)?;
        if let Some((k, _)) = archive.cells().next()
            && k.0.len() != cells.names().len()
        {
            return Err(PolicyError::Config {
                key: "explore.cells".into(),
                message: format!(
                    "{}: the archive's cells have {} features, the config bins {}",
                    path.display(),
                    k.0.len(),
                    cells.names().len()
                ),
            });
        }
        Ok(Self {
            envs,
            config,
            cells,
            archive,
            state,
        })
    }

    /// The archive.
    pub fn archive(&self) -> &Archive {
        &self.archive
    }

    /// The explorer's state.
    pub fn state(&self) -> &ExploreState {
        &self.state
    }

    /// The envs (one per worker).
    pub fn envs(&self) -> &[E] {
        &self.envs
    }

    /// The cell function.
    pub fn cell_function(&self) -> &CellFunction {
        &self.cells
    }

    /// Whether the budget is spent (or the goal reached, with `stop_at_goal`).
    pub fn done(&self) -> bool {
        self.state.env_steps >= self.config.max_env_steps
            || (self.config.stop_at_goal && self.state.goal_found_at.is_some())
    }

    /// Saves the archive and the explorer's state to `path` (atomically).
    pub fn save(&self, path: &Path) -> Result<(), PolicyError> {
        self.archive.save(path, &self.state)
    }

    /// Whether to save after the round just done.
    pub fn save_due(&self) -> bool {
        self.state.round.is_multiple_of(self.config.save_every)
    }

    /// The figures now.
    pub fn figures(&self, updates: usize) -> ExploreRound {
        let best = self.archive.best().map_or(0.0, |(_, e)| e.score);
        ExploreRound {
            round: self.state.round,
            env_steps: self.state.env_steps,
            cells: self.archive.len(),
            best_score: best,
            goal_reached: self.state.goal_found_at.is_some(),
            archive_bytes: self.archive.bytes(),
            updates,
        }
    }

    /// One round: select, return, explore, merge.
    pub fn round(&mut self) -> Result<ExploreRound, PolicyError> {
        let n = self.config.workers.min(self.envs.len());
        let sources = self.archive.select(n, &mut self.state.rng);
        let seeds: Vec<u64> = (0..sources.len())
            .map(|_| self.state.rng.random::<u64>())
            .collect();
        let (archive, cells, config) = (&self.archive, &self.cells, &self.config);
        let runs: Vec<Result<Run, PolicyError>> = self
            .envs
            .par_iter_mut()
            .zip(sources.par_iter())
            .zip(seeds.par_iter())
            .map(|((env, source), &seed)| explore_from(env, archive, cells, config, source, seed))
            .collect();
        let mut updates = 0;
        for run in runs {
            let run = run?;
            self.state.env_steps += run.env_steps;
            for k in &run.seen {
                self.archive.mark_seen(k);
            }
            let mut progress = false;
            for (_, arrival) in run.arrivals {
                let goal = arrival.score >= self.config.goal_score;
                if self.archive.offer(arrival, self.state.env_steps) != Offer::Kept {
                    progress = true;
                    updates += 1;
                    if goal && self.state.goal_found_at.is_none() {
                        self.state.goal_found_at = Some(self.state.env_steps);
                    }
                }
            }
            if progress {
                self.archive.mark_progress(&run.source);
            }
        }
        self.state.round += 1;
        Ok(self.figures(updates))
    }
}

/// Checks `config` and binds its cells to the envs' features (at least one env needed).
fn checked_cells<E: CellFeatures>(
    envs: &[E],
    config: &ExploreConfig,
) -> Result<CellFunction, PolicyError> {
    config.validate()?;
    let Some(first) = envs.first() else {
        return Err(PolicyError::Config {
            key: "explore.workers".into(),
            message: "no env to explore with".into(),
        });
    };
    Ok(config
        .cells
        .bind(first.cell_feature_names(), "explore.cells")?)
}

fn snapshot_err(e: String) -> PolicyError {
    PolicyError::Config {
        key: "explore".into(),
        message: format!("env snapshot could not be encoded: {e}"),
    }
}

/// Puts `env` into the state of cell `key`: its snapshot, or (when the memory cap dropped it)
/// its trajectory replayed from the start. Returns the env steps a replay took.
pub fn return_to<E: CellFeatures>(
    env: &mut E,
    archive: &Archive,
    key: &CellKey,
) -> Result<u64, PolicyError> {
    let entry = archive.get(key).ok_or_else(|| PolicyError::Config {
        key: "explore".into(),
        message: format!("cell {:?} is not in the archive", key.0),
    })?;
    let restore = |env: &mut E, bytes: &[u8]| -> Result<(), PolicyError> {
        let s: E::Snapshot = decode(bytes).map_err(|e| PolicyError::Config {
            key: "explore".into(),
            message: format!("the archive's snapshot is not this env's: {e}"),
        })?;
        env.restore(&s);
        Ok(())
    };
    if let Some(bytes) = &entry.snapshot {
        restore(env, bytes)?;
        return Ok(0);
    }
    restore(env, archive.start())?;
    replay(env, &entry.actions, archive.act_dim());
    Ok(entry.traj_len as u64)
}

/// Steps `env` through `actions` (`[len * act_dim]`), stopping if an episode ends; returns the
/// steps taken.
pub fn replay<E: CellFeatures>(env: &mut E, actions: &[f32], act_dim: usize) -> usize {
    let mut obs = vec![0.0; env.obs_dim()];
    let mut steps = 0;
    for a in actions.chunks_exact(act_dim.max(1)) {
        let out = env.step(a, &mut obs);
        steps += 1;
        if out.terminated || out.truncated {
            break;
        }
    }
    steps
}

/// Steps a random action is held: geometric with mean `mean` (at least 1).
fn repeat_count(rng: &mut ChaCha8Rng, mean: f32) -> u32 {
    if mean <= 1.0 {
        return 1;
    }
    let p = 1.0 / mean as f64;
    let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    1 + (u.ln() / (1.0 - p).ln()).floor().min(1e6) as u32
}

fn explore_from<E: CellFeatures>(
    env: &mut E,
    archive: &Archive,
    cells: &CellFunction,
    config: &ExploreConfig,
    source: &CellKey,
    seed: u64,
) -> Result<Run, PolicyError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut env_steps = return_to(env, archive, source)?;
    let entry = archive.get(source).expect("returned to a known cell");
    let act_dim = archive.act_dim();
    let mut actions = entry.actions.clone();
    let mut score = entry.score;
    let mut obs = vec![0.0; env.obs_dim()];
    let mut action = vec![0.0; act_dim];
    let mut hold = 0u32;
    let mut seen = Vec::new();
    let mut seen_set = HashSet::new();
    let mut arrivals: BTreeMap<CellKey, Arrival> = BTreeMap::new();
    for _ in 0..config.explore_steps {
        if hold == 0 {
            for a in action.iter_mut() {
                *a = rng.random_range(-1.0f32..=1.0);
            }
            hold = repeat_count(&mut rng, config.repeat_mean);
        }
        hold -= 1;
        let out = env.step(&action, &mut obs);
        env_steps += 1;
        actions.extend_from_slice(&action);
        score += out.reward as f64;
        let key = cells.cell_of(&*env);
        if seen_set.insert(key.clone()) {
            seen.push(key.clone());
        }
        let len = (actions.len() / act_dim) as u32;
        let better_here = arrivals.get(&key).is_none_or(|a| {
            let a_len = (a.actions.len() / act_dim) as u32;
            score > a.score || (score == a.score && len < a_len)
        });
        // An episode that ended without gaining (a fall, the time limit) adds nothing: its
        // cell could never be explored from, and would shadow a live way there.
        let ended = out.terminated || out.truncated;
        let worth = !ended || score > entry.score;
        if worth && better_here && archive.would_improve(&key, score, len) {
            let snapshot = encode(&env.snapshot()).map_err(snapshot_err)?;
            arrivals.insert(
                key.clone(),
                Arrival {
                    key,
                    score,
                    actions: actions.clone(),
                    snapshot,
                    terminal: ended,
                },
            );
        }
        if ended {
            break;
        }
    }
    Ok(Run {
        source: source.clone(),
        seen,
        arrivals,
        env_steps,
    })
}
