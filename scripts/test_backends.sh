#!/usr/bin/env bash
# Third-party backends for real, including the multi-GB ones CI leaves out (VLMEvalKit and CLIP need
# the CUDA torch 2.14.1 build, ~6-7 GB each): creates each managed env (kept when ready), shows
# install time and size, then runs the backend tests with those envs present -- local models and
# data only, nothing from a hub. Paste its output (the score tables) into the closing note.
#
#   bash scripts/test_backends.sh                 # every env: opencompass rag vlmeval clip
#   bash scripts/test_backends.sh vlmeval clip    # only these envs (the tests of the others skip or use theirs)
set -euo pipefail
cd "$(dirname "$0")/.."
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(opencompass rag vlmeval clip)
for name in "${names[@]}"; do
  start=$(date +%s)
  .venv/bin/evalscope backend install "$name"
  echo "$name: this call took $(( $(date +%s) - start )) s"
done
.venv/bin/evalscope backend list
# -s: the score table of every real run is printed; -rs: every skip says why
EVALSCOPE_DATASET_DIR=${EVALSCOPE_DATASET_DIR:-../shared/datasets} \
  .venv/bin/python -m pytest -q -s -rs tests/suites
