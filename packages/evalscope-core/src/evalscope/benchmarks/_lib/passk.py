"""Unbiased pass@k (Chen et al., 2021): 1 - C(n-c, k) / C(n, k), computed as a stable product."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples drawn from n (c of them correct) is correct.

    Uses 1 - prod_{i=n-c+1..n} (1 - k/i), which never forms huge binomials.
    """
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n (got n={n}, c={c})")
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n (got n={n}, k={k})")
    if n - c < k:
        return 1.0
    prod = 1.0
    for i in range(n - c + 1, n + 1):
        prod *= 1.0 - k / i
    return 1.0 - prod


def pass_at_k_metrics(outcomes: Sequence[bool], ks: Iterable[int] = (1,)) -> dict[str, float]:
    """{'Pass@k': estimate} for every k <= len(outcomes), from one problem's sample outcomes."""
    n, c = len(outcomes), sum(bool(o) for o in outcomes)
    return {f"Pass@{k}": pass_at_k(n, c, k) for k in sorted(set(ks)) if 1 <= k <= n}
