//! Bimanual manipulation on gym-aloha's ALOHA rig (two ViperX 300s arms with parallel grippers):
//! the rig addressed as gym-aloha addresses it, its two tasks (transfer cube, insertion) with
//! their contact reward levels, a scripted transfer-cube policy, and the RL env with the
//! two-stage reward shared by the tasks.

mod aloha_scene;
mod aloha_task;
mod cartesian;
mod config;
mod env;
mod reward;
mod rig;
mod scripted;
mod sensing;

pub use aloha_scene::{AlohaScene, DEFAULT_ALOHA_DIR, aloha_dir, read_aloha_scene};
pub use aloha_task::{AlohaTask, HANDOVER_POINT, PEG_AT_PIN, SUCCESS_LEVEL, Stages, TaskContacts};
pub use cartesian::cartesian_targets;
pub use config::{ActionMode, BimanualConfig, RewardConfig, TaskShaping};
pub use env::{BimanualAssets, BimanualEnv, BimanualSnapshot, EpisodeOutcome, OBS_DIM};
pub use reward::{RewardInputs, RewardTerms, StageReward, TERM_NAMES};
pub use rig::{
    ACTION_DIM, ALOHA_PGS_ITERATIONS, ARM_JOINTS, AlohaRig, Arm, FINGER_MESHES, FINGER_SLABS,
    GRASP_POINT, GRIPPER_CLOSED, GRIPPER_OPEN, PER_ARM, Side, aloha_physics, aloha_scene_options,
    gripper_normalise, gripper_unnormalise,
};
pub use scripted::{
    SCRIPT_STEPS, ScriptedEpisode, ScriptedReport, ScriptedTransfer, evaluate_scripted_transfer,
    evaluate_scripted_transfer_in, run_scripted_transfer,
};
pub use sensing::{ObjectPose, ObjectSensor, ObservationConfig, ObservationVariant};

#[cfg(test)]
mod tests;
