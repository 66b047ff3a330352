"""pass@k of code benchmarks: one problem's sample outcomes as `Pass@k` scores, by the unbiased
estimator of `evalscope.core.repeats.pass_at_k` (Chen et al., 2021; one estimator for both)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from evalscope.core.repeats import pass_at_k

__all__ = ["pass_at_k", "pass_at_k_metrics"]


def pass_at_k_metrics(outcomes: Sequence[bool], ks: Iterable[int] = (1,)) -> dict[str, float]:
    """{'Pass@k': estimate} for every k <= len(outcomes), from one problem's sample outcomes."""
    n, c = len(outcomes), sum(bool(o) for o in outcomes)
    return {f"Pass@{k}": pass_at_k(n, c, k) for k in sorted(set(ks)) if 1 <= k <= n}
