//! The one error type of `embody_ros_sim`.

/// Errors from building the simulated robot or running its nodes.
#[derive(Debug, thiserror::Error)]
pub enum SimNodeError {
    /// The node configuration, a checkpoint or a ROS call failed (embody_ros's error).
    #[error(transparent)]
    Node(#[from] embody_ros::RosError),
    /// The simulator failed.
    #[error(transparent)]
    Sim(#[from] sim::SimError),
    /// A ROS 2 (rcl) call failed.
    #[cfg(feature = "ros")]
    #[error("ros: {0}")]
    Ros(#[from] r2r::Error),
}
