//! ROS 2 deployment of embody policies.
//!
//! Pure cores, thin adapters: the [`config`] (YAML node parameters), the [`safety`] layer, the
//! policy node's [`core`] (state in, observation through the shared builder, deploy runtime,
//! safety, targets out), the sim node's [`sim_robot`] and the [`teleop`] bridge are plain Rust with unit tests and need
//! no ROS. The `ros` cargo feature adds the r2r nodes ([`ros`]), their binaries (`policy_node`,
//! `sim_node`, `teleop_node`, `latency_bench`) and the integration tests against rclpy; build them in the
//! environment of `ros2_ws/env.sh`.

pub mod config;
pub mod core;
mod error;
#[cfg(feature = "ros")]
pub mod ros;
pub mod safety;
pub mod sim_robot;
pub mod teleop;
#[cfg(test)]
mod test_checkpoint;

pub use error::RosError;
