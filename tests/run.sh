#!/usr/bin/env bash
# Runs every test of the workspace. Sets up the Python peers the tests compare against (MuJoCo)
# in a local venv on first use; later runs reuse it.
#
# EMBODY_TEST_WGPU=1 also builds burn's wgpu backend (~390 more crates) and runs the flex-vs-wgpu
# PPO parity test; without a GPU it needs Mesa's Vulkan driver (Debian: mesa-vulkan-drivers). CI
# sets it.
#
# The Rerun and gamepad features (rerun ~410 crates, gilrs needs libudev-dev) and the ROS 2 nodes
# (r2r against the ROS 2 wheels) build in the same invocation as the rest; recordings are checked
# by the rerun tool from rerun-sdk (same venv). EMBODY_TEST_RERUN=0 / EMBODY_TEST_ROS=0 skip them.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${EMBODY_VENV:-.venv-peers}"
if ! "$VENV/bin/python" -c "import mujoco" 2>/dev/null; then
  echo "setting up Python peers in $VENV (mujoco)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "mujoco==4.0.0" "numpy<3"
fi
if [ "${EMBODY_TEST_RERUN:-1}" = "1" ] && ! "$VENV/bin/python" -c "import rerun, sys; sys.exit(rerun.__version__ != '0.36.3')" 2>/dev/null; then
  echo "setting up rerun-sdk in $VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "rerun-sdk==0.36.3"
fi
export EMBODY_PYTHON="$PWD/$VENV/bin/python"
# Pin burn's default device to the CPU backend (its optimiser-state loader uses the default).
export BURN_DEVICE="${BURN_DEVICE:-flex}"
# One cargo invocation for the workspace with every optional part CI tests (Rerun, gamepad, ROS
# 2), so shared dependencies (burn, rapier, ...) resolve their features once and build once: a
# separate `-p` invocation per feature set rebuilt them each time.
features=()
if [ "${EMBODY_TEST_RERUN:-1}" = "1" ]; then
  if ! pkg-config --exists libudev 2>/dev/null; then
    echo "the gamepad feature needs libudev-dev (apt-get install libudev-dev pkg-config)" >&2
    exit 1
  fi
  features+=(sim/rerun sim/gamepad embody/rerun embody/gamepad)
fi
# ROS 2 (embody_ros, r2r): installs the ROS 2 Jazzy wheels into ros2_ws/.venv-ros on first use
# and exports the environment r2r builds and runs in (needs libclang: apt-get install
# libclang-dev clang); the nodes are tested against rclpy peers. EMBODY_TEST_ROS=0 skips them.
if [ "${EMBODY_TEST_ROS:-1}" = "1" ]; then
  # shellcheck source=/dev/null
  source ros2_ws/env.sh
  features+=(embody_ros/ros embody_ros_sim/ros)
  [ "${EMBODY_TEST_RERUN:-1}" = "1" ] && features+=(embody_ros_sim/gamepad)
fi
# MPI (embody's `mpi` feature, rsmpi over Open MPI): data-parallel training, tested by driving
# `mpirun -n 2 embody train ...` (needs libopenmpi-dev openmpi-bin). EMBODY_TEST_MPI=0 leaves
# it out.
if [ "${EMBODY_TEST_MPI:-1}" = "1" ]; then
  if ! command -v mpirun >/dev/null || ! pkg-config --exists ompi 2>/dev/null; then
    echo "the mpi feature needs Open MPI (apt-get install libopenmpi-dev openmpi-bin)" >&2
    exit 1
  fi
  features+=(embody/mpi)
fi
# The wgpu backend joins the same invocation: in a second one its change to burn's features
# (fusion, autotune) rebuilt burn and everything above it (docs/BENCHMARKS.md, "CI cost").
# CPU runs still pick burn's flex device (BURN_DEVICE above).
[ "${EMBODY_TEST_WGPU:-0}" = "1" ] && features+=(policies/wgpu)
# `--tests`: libraries, integration tests and the binaries they run (bins with `test = false` are
# not linked a second time as test harnesses, as `--all-targets` would).
cargo test --workspace --tests --no-fail-fast --features "${features[*]}" "$@"
