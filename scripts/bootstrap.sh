#!/usr/bin/env bash
# Create .venv and install Shetu with every extra the tests need. Idempotent: re-runs only
# when pyproject.toml changed. pip's own cache (~/.cache/pip) keeps the large torch wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
stamp=.venv/.installed
if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ]; then
  exit 0
fi
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: Python 3.11 or newer is needed (found $($PY --version))" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
start=$(date +%s)
echo "installing Python packages into .venv (first time: several minutes, torch is large)..."
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[scale,dev,onnx]'
touch "$stamp"
echo "packages ready in $(( $(date +%s) - start ))s"
