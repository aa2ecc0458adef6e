//! ROS 2 stand-ins around embody's deployed policy node (embody_ros): the Rapier simulator as a
//! robot ([`sim_robot`]: joint states, IMU, odometry, and a `sensor_msgs/PointCloud2` of the
//! terrain ray-cast around the base) and the gamepad/script [`teleop`] bridge. Plain Rust cores
//! with unit tests; the `ros` cargo feature adds the r2r nodes ([`ros`]), the `sim_node` and
//! `teleop_node` binaries and the closed-loop tests with the policy node.
//!
//! This crate may link Rapier; the policy node's crate (embody_ros) may not, which is why the
//! two are separate.

mod error;
#[cfg(feature = "ros")]
pub mod ros;
pub mod sim_robot;
pub mod teleop;
/// embody_ros's test checkpoint writer (tests only).
#[cfg(test)]
#[path = "../../embody_ros/src/test_checkpoint.rs"]
mod test_checkpoint;

pub use error::SimNodeError;
