//! Motion clips and the characters that perform them (DeepMimic's formats), read into Z-up:
//! a clip's pose and velocity at any time, and the [`crate::RobotSpec`] of a character.

mod axes;
mod character;
mod character_robot;
mod clip;
mod controller;
mod json;
mod retarget;
mod robot_clip;
mod sample;

pub use character::{
    Character, CharacterBody, CharacterJoint, CharacterJointKind, revolute_rotation,
};
pub use character_robot::character_robot;
pub use clip::{ClipFrame, LoopMode, MotionClip};
pub use controller::{PdController, PdGains};
pub use retarget::{LegMapping, RetargetReport, Retargeting, retarget_clip};
pub use sample::{ClipPose, ClipVelocity, heading};

#[cfg(test)]
mod tests;
