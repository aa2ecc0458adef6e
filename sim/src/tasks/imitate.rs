//! Imitation (DeepMimic): a physics character tracks a motion clip. Reference state
//! initialisation, early termination, the phase as input, and DeepMimic's imitation reward in the
//! paper's and the code's definitions; optionally combined with a task objective (a heading to
//! walk in, `[env.objective]`).

mod config;
mod env;
mod features;
mod objective;
mod performer;
mod reward;

pub use config::{
    ActionMode, ImitationConfig, ObservationVariant, RewardConfig, RewardPreset, RewardTerms,
    resolve_data_path,
};
pub use env::{ImitationAssets, ImitationEnv, ImitationSnapshot};
pub use features::{JointSites, PoseFeatures, heading_rot};
pub use objective::{HEADING_OBS, HeadingObjective, HeadingTarget};
pub use performer::Performer;
pub use reward::{ImitationReward, RewardBreakdown, TERM_NAMES, TrackingErrors, quat_angle};

#[cfg(test)]
mod tests;
