//! The Rapier simulator of embody.
//!
//! - [`RobotWorld`]: one Rapier world holding one robot built from a [`robots::RobotSpec`], with PD
//!   position control (effort-limited joint motors solved at every solver substep), terrain,
//!   external forces on any body, and bit-exact snapshots.
//! - [`scene`]: a world of many bodies (articulations with fixed or floating bases, free
//!   objects, static geometry), built from robot descriptions or an MJCF scene; ray casts.
//! - [`confined`]: confined 3D worlds (tunnels, low ceilings, voids), their generator and the
//!   planner over position and body height.
//! - [`env`]: the single-environment trait and the batched [`env::VecEnv`] over flat `f32` buffers,
//!   stepped in parallel with rayon.
//! - [`tasks`]: what a robot is asked to do (standing, and more with later tasks).
//! - [`command`]: velocity commands and their sources (gamepad teleoperation with the `gamepad`
//!   feature, keyboard, scripted command files), as pure logic over this crate's own events.
//! - [`viz`]: what the visual debugger shows, as data; logged to Rerun with the `rerun` feature.
//!
//! Frames: Z up; `_w` world frame, `_b` body frame. Units: SI.

pub mod command;
pub mod confined;
pub mod env;
mod error;
mod physics;
mod robot_world;
pub mod scene;
mod scene_check;
mod snapshot;
mod stand_check;
pub mod tasks;
mod terrain;
pub mod viz;

pub use error::SimError;
pub use physics::PhysicsConfig;
/// The quaternion type of the simulator's API.
pub use rapier3d::glamx::Quat;
/// The 3-vector type of the simulator's API (glam, as used by Rapier).
pub use rapier3d::prelude::Vec3;
pub use robot_world::{BaseState, GroundContact, RobotWorld};
pub use scene::Scene;
pub use scene_check::{SceneHoldSummary, run_scene_hold, run_scene_hold_with_targets};
pub use snapshot::{ClassicSnapshot, PhysicsSnapshot, WorldSnapshot};
pub use stand_check::{StandSummary, run_stand};
pub use terrain::{Terrain, TerrainKind};
