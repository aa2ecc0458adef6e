# Source this file (bash): exports the environment that builds, tests and runs the r2r nodes
# against the ROS 2 wheels installed by setup.sh (run first if the venv is missing).
#
#   source ros2_ws/env.sh
#   cargo test -p embody_ros --features ros
#
# Keep these variables identical for build, test and clippy: any change makes r2r regenerate its
# bindings and rebuild (~4 minutes).
_embody_ros_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$_embody_ros_here/setup.sh" || return 1
_embody_ros_venv="${EMBODY_ROS_VENV:-$_embody_ros_here/.venv-ros}"
_embody_ros_venv="$(cd "$_embody_ros_venv" && pwd)"
export EMBODY_ROS_VENV="$_embody_ros_venv"
export EMBODY_ROS_PYTHON_BIN="$_embody_ros_venv/bin/python"
export ROS_DISTRO=jazzy
export RMW_IMPLEMENTATION=rmw_fastrtps_cpp
export AMENT_PREFIX_PATH="$_embody_ros_venv:$_embody_ros_venv/rmw_shim"
export IDL_PACKAGE_FILTER="std_msgs;sensor_msgs;geometry_msgs;trajectory_msgs;nav_msgs"
_embody_ros_ld="$_embody_ros_venv/lib"
for _d in "$_embody_ros_venv"/lib/python3*/site-packages/ros_*.libs; do
  [ -d "$_d" ] && _embody_ros_ld="$_embody_ros_ld:$_d"
done
export LD_LIBRARY_PATH="$_embody_ros_ld"
# Localhost-only discovery; tests pick their own ROS_DOMAIN_ID per run.
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
unset _embody_ros_here _embody_ros_venv _embody_ros_ld _d
