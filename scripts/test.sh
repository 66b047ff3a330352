#!/usr/bin/env bash
# The project's test command (README quick start, and exactly what `.ci/run` runs): install
# everything the tests need, start a throwaway PostgreSQL server on 127.0.0.1, run pytest, stop it.
#
#   bash scripts/test.sh                 # the whole suite
#   bash scripts/test.sh tests/core -x   # arguments go to pytest
#
# The PostgreSQL store tests never skip here: a server that fails to start fails this script, and
# EVALSCOPE_REQUIRE_PG=1 makes a missing server a test failure. vLLM's CPU build (.venv-vllm) is
# optional: when it cannot be installed the real-engine test skips and says so in the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
# absolute: tests run commands from other working directories
EVALSCOPE_DATASET_DIR=$(cd "${EVALSCOPE_DATASET_DIR:-../shared/datasets}" && pwd)
export EVALSCOPE_DATASET_DIR

bash scripts/install_dev.sh
bash scripts/install_vllm.sh \
  || echo "vllm: install failed; tests/backends/test_vllm_adapter.py's real-engine test will skip (rerun: bash scripts/install_vllm.sh)" >&2

# `eval "$(...)"` would swallow a failed start: take the exports first, and stop on failure.
pg_exports=$(bash scripts/pg_test_server.sh start) || { echo "test.sh: the PostgreSQL test server did not start" >&2; exit 1; }
eval "$pg_exports"
[ -n "${EVALSCOPE_TEST_PG_URL:-}" ] || { echo "test.sh: pg_test_server.sh gave no EVALSCOPE_TEST_PG_URL" >&2; exit 1; }
trap 'bash scripts/pg_test_server.sh stop "$EVALSCOPE_PG_DIR"' EXIT
export EVALSCOPE_REQUIRE_PG=1

.venv/bin/ruff check packages tests bench scripts  # lint (pyproject.toml [tool.ruff])
.venv/bin/python -m mypy  # types: strict on the core, configured in pyproject.toml (docs/ARCHITECTURE.md)
.venv/bin/python -m pytest -q "$@"
