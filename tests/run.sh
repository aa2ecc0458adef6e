#!/usr/bin/env bash
# Runs every test of the workspace. Sets up the Python peers the tests compare against (MuJoCo)
# in a local venv on first use; later runs reuse it.
#
# EMBODY_TEST_WGPU=1 also builds burn's wgpu backend (a second, heavy build: ~390 crates) and runs
# the flex-vs-wgpu PPO parity test; without a GPU it needs Mesa's Vulkan driver (Debian:
# mesa-vulkan-drivers). CI sets it.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${EMBODY_VENV:-.venv-peers}"
if ! "$VENV/bin/python" -c "import mujoco" 2>/dev/null; then
  echo "setting up Python peers in $VENV (mujoco)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "mujoco==4.0.0" "numpy<3"
fi
export EMBODY_PYTHON="$PWD/$VENV/bin/python"
# Pin burn's default device to the CPU backend (its optimiser-state loader uses the default).
export BURN_DEVICE="${BURN_DEVICE:-flex}"
cargo test --workspace --all-targets --no-fail-fast "$@"
if [ "${EMBODY_TEST_WGPU:-0}" = "1" ]; then
  cargo test -p policies --features wgpu --test wgpu_parity
fi
