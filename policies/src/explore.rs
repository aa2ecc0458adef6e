//! Go-Explore ("Go-Explore: a New Approach for Hard-Exploration Problems", Ecoffet et al. 2019;
//! "First return, then explore", Nature 2021): remember the states reached in an archive of
//! cells, return to one by restoring the simulator, explore from there, and turn the best
//! trajectory into a robust policy.
//!
//! - [`Archive`]: cells with their best trajectory, snapshot and visit counts; the authors'
//!   update and selection rules; a byte cap; saved to disk and resumed.
//! - [`Explorer`]: phase 1 over any env with snapshots and cell features
//!   ([`sim::env::CellFeatures`]).
//! - [`robustify`]: phase 2, the backward algorithm (Salimans and Chen 2018): PPO from states
//!   ever earlier along the best trajectory until it starts where the task starts.
//! - [`DeploySkill`]: a trained policy as the walking skill of a higher-level env.

mod archive;
mod explorer;
pub mod robustify;
mod skill;
#[cfg(test)]
mod tests;

pub use archive::{Archive, ArchiveConfig, Arrival, CellEntry, Offer, decode, encode};
pub use explorer::{ExploreConfig, ExploreRound, ExploreState, Explorer, replay, return_to};
pub use skill::DeploySkill;
