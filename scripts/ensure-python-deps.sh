#!/usr/bin/env bash
# Installs the Python packages that the tests use (safetensors and numpy for the safetensors
# interoperability tests, tensorboard for reading back the event files of `nabla train --tensorboard`,
# onnx and onnxruntime for checking and running the models `nabla export` writes)
# into the `python3` on PATH (or $PYTHON), unless they are already importable. Safe to run again.
set -euo pipefail

PYTHON="${PYTHON:-python3}"
say() { echo "ensure-python-deps: $*" >&2; }

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    say "'$PYTHON' not found. Install Python 3 (Debian: apt-get install python3 python3-pip)."
    exit 1
fi

if "$PYTHON" -c "import safetensors, numpy, tensorboard, onnx, onnxruntime" >/dev/null 2>&1; then
    exit 0
fi

if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    say "pip is missing for $PYTHON. Install it (Debian: apt-get install python3-pip) and run this again."
    exit 1
fi

args=(install --quiet --disable-pip-version-check)
# PEP 668: a distribution's Python (Debian's /usr/bin/python3) marks itself "externally managed"
# and refuses pip installs outside a virtual environment unless told otherwise.
if "$PYTHON" - <<'PY'
import os, sys, sysconfig
in_venv = sys.prefix != sys.base_prefix
marker = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
sys.exit(0 if not in_venv and os.path.exists(marker) else 1)
PY
then
    args+=(--break-system-packages)
fi

say "installing safetensors, numpy, tensorboard, onnx and onnxruntime for $("$PYTHON" -c 'import sys; print(sys.executable)') (pip ${args[*]})"
"$PYTHON" -m pip "${args[@]}" safetensors numpy tensorboard onnx onnxruntime

if ! "$PYTHON" -c "import safetensors, numpy, tensorboard, onnx, onnxruntime" >/dev/null 2>&1; then
    say "safetensors, numpy, tensorboard, onnx or onnxruntime still cannot be imported by $PYTHON after pip install."
    exit 1
fi
