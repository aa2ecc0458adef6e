#!/usr/bin/env bash
# Installs ROS 2 Jazzy (rclpy, Fast DDS, the message packages embody_ros uses) from the Python
# package index into a local venv, and writes the one-line linker shim r2r needs. Idempotent: a
# second run only checks. No system ROS is needed (facts: ../shared/docs/ROS2_WHEELS.md).
#
#   ros2_ws/setup.sh            # install (first use, ~20-40 s)
#   source ros2_ws/env.sh       # export the build/run environment (calls setup.sh if needed)
#
# EMBODY_ROS_VENV picks another venv folder (default ros2_ws/.venv-ros); EMBODY_ROS_PYTHON the
# Python 3.11 to build it with (default python3).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${EMBODY_ROS_VENV:-$here/.venv-ros}"
python="${EMBODY_ROS_PYTHON:-python3}"
# Top-level wheels, pinned (pip resolves their dependencies: rcl, rmw, Fast DDS, builtin msgs).
wheels=(
  "ros-jazzy-rclpy==7.1.6"
  "ros-jazzy-rmw-fastrtps-cpp==8.4.3"
  "ros-jazzy-std-msgs==5.3.6"
  "ros-jazzy-sensor-msgs==5.3.6"
  "ros-jazzy-geometry-msgs==5.3.6"
  "ros-jazzy-trajectory-msgs==5.3.6"
  "ros-jazzy-nav-msgs==5.3.6"
)
if ! "$venv/bin/python" -c "import rclpy, sensor_msgs.msg, nav_msgs.msg, trajectory_msgs.msg" 2>/dev/null; then
  echo "installing ROS 2 Jazzy wheels into $venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${wheels[@]}"
fi
# The wheels link rmw_fastrtps_cpp directly; r2r links -lrmw_implementation. A linker script of
# that name in an extra ament prefix forwards the link.
shim="$venv/rmw_shim"
mkdir -p "$shim/lib"
echo 'INPUT(-lrmw_fastrtps_cpp)' > "$shim/lib/librmw_implementation.so"
