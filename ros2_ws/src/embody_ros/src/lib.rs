//! The ROS 2 policy node of embody: what runs on the robot.
//!
//! Pure cores, thin adapters: the [`config`] (YAML node parameters), the [`safety`] layer, the
//! [`height_cloud`] (terrain heights from a `sensor_msgs/PointCloud2`) and the policy node's
//! [`core`] (state in, observation through the checkpoint's deploy contract, deploy runtime,
//! safety, targets out) are plain Rust with unit tests and need no ROS. The `ros` cargo feature
//! adds the r2r node ([`ros`]), the `policy_node` and `latency_bench` binaries and the
//! integration tests against rclpy; build them in the environment of `ros2_ws/env.sh`.
//!
//! This crate links neither Rapier nor burn (a test checks `cargo tree`); the simulated robot
//! and the teleop node live in embody_ros_sim.

pub mod config;
pub mod core;
mod error;
pub mod height_cloud;
#[cfg(feature = "ros")]
pub mod ros;
pub mod safety;
#[cfg(test)]
mod test_checkpoint;

pub use error::RosError;
