"""BFCL v3: the single-turn categories BFCL v3 and v4 share, under v3's name (same data and scoring
as `bfcl_v4`, read from the bfcl-eval 2026.3.23 wheel; see that module)."""

from __future__ import annotations

from evalscope.benchmarks.bfcl_v4 import make_spec

SPEC = make_spec("bfcl_v3", "BFCL-v3")
