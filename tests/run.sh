#!/usr/bin/env bash
# Runs every test of the workspace. Sets up the Python peers the tests compare against (MuJoCo)
# in a local venv on first use; later runs reuse it.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${EMBODY_VENV:-.venv-peers}"
if ! "$VENV/bin/python" -c "import mujoco" 2>/dev/null; then
  echo "setting up Python peers in $VENV (mujoco)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "mujoco==4.0.0" "numpy<3"
fi
export EMBODY_PYTHON="$PWD/$VENV/bin/python"
cargo test --workspace --all-targets "$@"
