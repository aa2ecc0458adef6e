//! Bi-DexHands' ShadowHandOver on Rapier: two Shadow hands (gymnasium-robotics' hand and its
//! mirror image) pass a block from the right palm to a goal over the left one.

mod config;
mod env;
mod scene;

pub use config::{DEFAULT_HAND_SCENE, HandoverConfig};
pub use env::{HandoverEnv, HandoverSnapshot, TERM_NAMES, rotation_distance};
pub use scene::{FINGERTIPS, Hand, HandoverAssets, LEFT_PREFIX, MARKER, OBJECT, RIGHT_PREFIX};

#[cfg(test)]
mod tests;
