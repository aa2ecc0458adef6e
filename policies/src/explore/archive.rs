//! The Go-Explore archive: for each cell, the best way found to reach it (score, then shorter
//! trajectory), a snapshot to return there, and the visit counts that weigh its selection.
//!
//! Rules from the authors' code (uber-research/go-explore):
//! - **Update**: a cell's entry is replaced when a new trajectory reaches it with a higher
//!   score, or the same score in fewer steps.
//! - **Selection weight**: for each count `c` (times seen, chosen, chosen since it last led to a
//!   new or better cell) `w_c / sqrt(c + 1)`, summed, plus a small constant; cells are drawn
//!   with probability proportional to the weight. Terminal cells (a fall, the goal) are never
//!   chosen: nothing can be explored from them.
//! - **Memory**: snapshots are gzip-compressed CBOR. Above the byte cap the snapshots of the
//!   cells least likely to be chosen are dropped; such a cell is returned to by replaying its
//!   trajectory from the start snapshot (the simulator is deterministic), so no cell is lost.

use crate::PolicyError;
use crate::atomic_file::write_atomic;
use rand::RngExt;
use serde::{Deserialize, Serialize};
use sim::env::CellKey;
use std::collections::BTreeMap;
use std::path::Path;

/// Selection weights and the memory cap (`[explore.archive]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArchiveConfig {
    /// Weight of the times-seen count (the authors' 0.3).
    pub weight_seen: f64,
    /// Weight of the times-chosen count (the authors' 0.1).
    pub weight_chosen: f64,
    /// Weight of the times-chosen-since-new count (the authors' 0).
    pub weight_chosen_since_new: f64,
    /// Added to every weight so no cell is starved (the authors' 1e-5 order).
    pub epsilon: f64,
    /// Cap on the archive's bytes (snapshots and trajectories).
    pub max_bytes: usize,
}

impl Default for ArchiveConfig {
    fn default() -> Self {
        Self {
            weight_seen: 0.3,
            weight_chosen: 0.1,
            weight_chosen_since_new: 0.0,
            epsilon: 1e-5,
            max_bytes: 256 << 20,
        }
    }
}

impl ArchiveConfig {
    /// Checks values; errors name the key under `prefix`.
    pub fn validate(&self, prefix: &str) -> Result<(), PolicyError> {
        for (k, v) in [
            ("weight_seen", self.weight_seen),
            ("weight_chosen", self.weight_chosen),
            ("weight_chosen_since_new", self.weight_chosen_since_new),
            ("epsilon", self.epsilon),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(PolicyError::Config {
                    key: format!("{prefix}.{k}"),
                    message: format!("must be a number >= 0, got {v}"),
                });
            }
        }
        if self.weight_seen + self.weight_chosen + self.weight_chosen_since_new + self.epsilon
            <= 0.0
        {
            return Err(PolicyError::Config {
                key: format!("{prefix}.epsilon"),
                message: "every weight is 0: no cell could be chosen".into(),
            });
        }
        Ok(())
    }
}

/// One cell of the archive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellEntry {
    /// Return of the best trajectory that reached the cell.
    pub score: f64,
    /// Its length in env steps.
    pub traj_len: u32,
    /// Its actions from the episode's start. `[traj_len * act_dim]`
    pub actions: Vec<f32>,
    /// The env's state on arrival (gzip CBOR); `None` once dropped for the memory cap.
    pub snapshot: Option<Vec<u8>>,
    /// The episode ended here (a fall or the goal): never chosen.
    pub terminal: bool,
    /// Times an exploration passed through the cell.
    pub seen: u64,
    /// Times it was chosen to explore from.
    pub chosen: u64,
    /// Times chosen since exploring from it last found a new or better cell.
    pub chosen_since_new: u64,
    /// Env steps spent by the whole search when the cell was first found.
    pub found_at_step: u64,
}

impl CellEntry {
    /// Bytes this entry holds (snapshot, actions and a fixed overhead).
    pub fn bytes(&self) -> usize {
        self.snapshot.as_ref().map_or(0, Vec::len) + 4 * self.actions.len() + 96
    }
}

/// A candidate for the archive: a cell reached, how, and (lazily) the state there.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrival {
    /// The cell.
    pub key: CellKey,
    /// Return from the episode's start.
    pub score: f64,
    /// Actions from the episode's start. `[len * act_dim]`
    pub actions: Vec<f32>,
    /// The env's state (gzip CBOR).
    pub snapshot: Vec<u8>,
    /// The episode ended on arrival.
    pub terminal: bool,
}

/// What [`Archive::offer`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// A cell not seen before.
    New,
    /// A better way to a known cell (higher score, or equal and shorter).
    Improved,
    /// Not better: the entry stays.
    Kept,
}

/// The archive of cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Archive {
    config: ArchiveConfig,
    act_dim: usize,
    /// The start state every trajectory begins from (gzip CBOR).
    start: Vec<u8>,
    /// The observation there. `[obs_dim]`
    start_obs: Vec<f32>,
    cells: BTreeMap<CellKey, CellEntry>,
    bytes: usize,
}

impl Archive {
    /// An archive holding only the start cell `key` (state `start`, observation `start_obs`)
    /// for an env with `act_dim` actions.
    pub fn new(
        config: ArchiveConfig,
        act_dim: usize,
        key: CellKey,
        start: Vec<u8>,
        start_obs: Vec<f32>,
    ) -> Self {
        let entry = CellEntry {
            score: 0.0,
            traj_len: 0,
            actions: Vec::new(),
            snapshot: Some(start.clone()),
            terminal: false,
            seen: 0,
            chosen: 0,
            chosen_since_new: 0,
            found_at_step: 0,
        };
        let bytes = entry.bytes() + start.len();
        Self {
            config,
            act_dim,
            start,
            start_obs,
            cells: BTreeMap::from([(key, entry)]),
            bytes,
        }
    }

    /// Whether a trajectory with `score` and `len` steps is better than what `key` holds
    /// (true for an unknown cell).
    pub fn would_improve(&self, key: &CellKey, score: f64, len: u32) -> bool {
        self.cells
            .get(key)
            .is_none_or(|e| better(score, len, e.score, e.traj_len))
    }

    /// Offers an arrival (the update rule). Counts carry over when an entry is replaced.
    pub fn offer(&mut self, arrival: Arrival, found_at_step: u64) -> Offer {
        let len = (arrival.actions.len() / self.act_dim.max(1)) as u32;
        let entry = CellEntry {
            score: arrival.score,
            traj_len: len,
            actions: arrival.actions,
            snapshot: Some(arrival.snapshot),
            terminal: arrival.terminal,
            seen: 0,
            chosen: 0,
            chosen_since_new: 0,
            found_at_step,
        };
        match self.cells.get_mut(&arrival.key) {
            None => {
                self.bytes += entry.bytes();
                self.cells.insert(arrival.key, entry);
                self.enforce_cap();
                Offer::New
            }
            Some(old) if better(entry.score, entry.traj_len, old.score, old.traj_len) => {
                self.bytes = self.bytes + entry.bytes() - old.bytes();
                let (seen, chosen, since) = (old.seen, old.chosen, old.chosen_since_new);
                let found = old.found_at_step;
                *old = CellEntry {
                    seen,
                    chosen,
                    chosen_since_new: since,
                    found_at_step: found,
                    ..entry
                };
                self.enforce_cap();
                Offer::Improved
            }
            Some(_) => Offer::Kept,
        }
    }

    /// Counts a pass of an exploration through `key` (no effect for an unknown cell).
    pub fn mark_seen(&mut self, key: &CellKey) {
        if let Some(e) = self.cells.get_mut(key) {
            e.seen += 1;
        }
    }

    /// Records that exploring from `key` found a new or better cell.
    pub fn mark_progress(&mut self, key: &CellKey) {
        if let Some(e) = self.cells.get_mut(key) {
            e.chosen_since_new = 0;
        }
    }

    /// The selection weight of an entry.
    pub fn weight(&self, e: &CellEntry) -> f64 {
        if e.terminal {
            return 0.0;
        }
        let c = &self.config;
        let term = |w: f64, n: u64| w / ((n as f64) + 1.0).sqrt();
        term(c.weight_seen, e.seen)
            + term(c.weight_chosen, e.chosen)
            + term(c.weight_chosen_since_new, e.chosen_since_new)
            + c.epsilon
    }

    /// Draws `n` cells to explore from (with replacement, probability proportional to the
    /// weight) and counts them as chosen. Empty when no cell can be chosen.
    pub fn select(&mut self, n: usize, rng: &mut rand_chacha::ChaCha8Rng) -> Vec<CellKey> {
        let weights: Vec<(CellKey, f64)> = self
            .cells
            .iter()
            .map(|(k, e)| (k.clone(), self.weight(e)))
            .filter(|(_, w)| *w > 0.0)
            .collect();
        let total: f64 = weights.iter().map(|(_, w)| w).sum();
        if weights.is_empty() || total <= 0.0 {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let mut u = rng.random::<f64>() * total;
            let mut pick = &weights[weights.len() - 1].0;
            for (k, w) in &weights {
                if u < *w {
                    pick = k;
                    break;
                }
                u -= w;
            }
            out.push(pick.clone());
        }
        for k in &out {
            if let Some(e) = self.cells.get_mut(k) {
                e.chosen += 1;
                e.chosen_since_new += 1;
            }
        }
        out
    }

    /// Drops snapshots, least likely chosen first (never the start's), until the archive fits
    /// its cap or no snapshot is left to drop.
    fn enforce_cap(&mut self) {
        if self.bytes <= self.config.max_bytes {
            return;
        }
        let mut order: Vec<(f64, CellKey)> = self
            .cells
            .iter()
            .filter(|(_, e)| e.snapshot.is_some() && e.traj_len > 0)
            .map(|(k, e)| (self.weight(e), k.clone()))
            .collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        for (_, k) in order {
            if self.bytes <= self.config.max_bytes {
                break;
            }
            if let Some(e) = self.cells.get_mut(&k)
                && let Some(s) = e.snapshot.take()
            {
                self.bytes -= s.len();
            }
        }
    }

    /// The entry of `key`.
    pub fn get(&self, key: &CellKey) -> Option<&CellEntry> {
        self.cells.get(key)
    }

    /// Every cell, in key order.
    pub fn cells(&self) -> impl Iterator<Item = (&CellKey, &CellEntry)> {
        self.cells.iter()
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether the archive has no cell (never: it starts with the start cell).
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Bytes held (snapshots, trajectories, the start state).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The configured cap.
    pub fn max_bytes(&self) -> usize {
        self.config.max_bytes
    }

    /// Actions per step.
    pub fn act_dim(&self) -> usize {
        self.act_dim
    }

    /// The start state (gzip CBOR).
    pub fn start(&self) -> &[u8] {
        &self.start
    }

    /// The observation at the start state.
    pub fn start_obs(&self) -> &[f32] {
        &self.start_obs
    }

    /// The highest score, and the shortest trajectory among the cells that have it.
    pub fn best(&self) -> Option<(&CellKey, &CellEntry)> {
        self.cells.iter().max_by(|a, b| {
            a.1.score
                .total_cmp(&b.1.score)
                .then_with(|| b.1.traj_len.cmp(&a.1.traj_len))
                .then_with(|| b.0.cmp(a.0))
        })
    }

    /// Writes the archive and `extra` (the explorer's own state) to `path` atomically.
    pub fn save<T: Serialize>(&self, path: &Path, extra: &T) -> Result<(), PolicyError> {
        let file = ArchiveFileRef {
            version: ARCHIVE_VERSION,
            archive: self,
            extra,
        };
        let bytes = encode(&file).map_err(|e| file_err(path, e))?;
        write_atomic(path, &bytes)
    }

    /// Reads an archive written by [`Self::save`], with its `extra`.
    pub fn load<T: serde::de::DeserializeOwned>(path: &Path) -> Result<(Self, T), PolicyError> {
        let bytes = std::fs::read(path).map_err(|e| file_err(path, e))?;
        let file: ArchiveFile<T> =
            decode(&bytes).map_err(|e| file_err(path, format!("not a readable archive: {e}")))?;
        if file.version != ARCHIVE_VERSION {
            return Err(file_err(
                path,
                format!(
                    "archive format {} (this build reads {ARCHIVE_VERSION})",
                    file.version
                ),
            ));
        }
        Ok((file.archive, file.extra))
    }
}

const ARCHIVE_VERSION: u32 = 1;

#[derive(Serialize)]
struct ArchiveFileRef<'a, T> {
    version: u32,
    archive: &'a Archive,
    extra: &'a T,
}

#[derive(Deserialize)]
struct ArchiveFile<T> {
    version: u32,
    archive: Archive,
    extra: T,
}

fn better(score: f64, len: u32, old_score: f64, old_len: u32) -> bool {
    score > old_score || (score == old_score && len < old_len)
}

fn file_err(path: &Path, message: impl std::fmt::Display) -> PolicyError {
    PolicyError::File {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// gzip-compressed CBOR of `value` (snapshots in the archive, the archive file).
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, String> {
    crate::checkpoint::cbor_gz(value).map_err(|e| e.to_string())
}

/// Reads what [`encode`] wrote.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    use std::io::Read;
    let mut cbor = Vec::with_capacity(bytes.len() * 4);
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut cbor)
        .map_err(|e| e.to_string())?;
    ciborium::from_reader(cbor.as_slice()).map_err(|e| e.to_string())
}
