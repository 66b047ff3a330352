"""The 95% interval a report carries beside each score, and which method gave it (`ci_method`).

- `wilson`: every value is 0 or 1 (accuracy): the Wilson score interval of k successes in n, which
  stays inside [0, 1] and is never a point at 0 or n (0 of 5 gives [0, 0.4345]).
- `clustered`: the items share clusters (a RACE passage, a MuSR story, a collection's source
  benchmark: `Sample.metadata["cluster"]`) and the row holds at least two clusters, one of them with
  several items: the clustered standard error of Miller (2024, "Adding Error Bars to Evals", eq. 4),
  SE = sqrt(sum over clusters c of (sum over i in c of (x_i - mean))^2) / n, without a small-sample
  factor (statsmodels' cluster-robust OLS with `use_correction=False`; its default multiplies the
  variance by G / (G - 1)), and the normal interval mean +- z * SE.
- `bootstrap`: any other scores: the percentile bootstrap of the mean over items
  (`evalscope.core.stats.bootstrap_ci`, 1000 replicates, seed 0: the same run gives the same interval).

Intervals of 0/1 means (Wilson, clustered) are clipped to [0, 1]. Stdlib only: the report builder
calls this for every row of every run.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Sequence
from statistics import NormalDist

import attrs

__all__ = [
    "BOOTSTRAP_REPLICATES",
    "BOOTSTRAP_SEED",
    "CONFIDENCE",
    "Interval",
    "clustered_standard_error",
    "score_interval",
    "wilson_interval",
    "z_value",
]

CONFIDENCE = 0.95
BOOTSTRAP_REPLICATES = 1000
BOOTSTRAP_SEED = 0


def z_value(confidence: float = CONFIDENCE) -> float:
    """The two-sided standard normal quantile: 1.959964 for 95%."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


@attrs.frozen
class Interval:
    low: float
    high: float
    method: str  # wilson | bootstrap | clustered


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval of a proportion `successes / n` (n >= 1)."""
    if n < 1 or not 0 <= successes <= n:
        raise ValueError(f"wilson interval of {successes} in {n}")
    z = z_value(confidence)
    p = successes / n
    z2n = z * z / n
    center = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(p * (1 - p) / n + z2n / (4 * n))
    low = 0.0 if successes == 0 else max(0.0, center - half)
    high = 1.0 if successes == n else min(1.0, center + half)
    return low, high


def clustered_standard_error(values: Sequence[float], clusters: Sequence[Hashable]) -> float:
    """Miller's clustered standard error of the mean: sqrt(sum_c (sum_{i in c} (x_i - mean))^2) / n."""
    n = len(values)
    if n != len(clusters):
        raise ValueError(f"{len(clusters)} cluster labels for {n} values")
    if n == 0:
        raise ValueError("clustered standard error of no values")
    mu = math.fsum(values) / n
    residuals: dict[Hashable, float] = defaultdict(float)
    for v, c in zip(values, clusters, strict=True):
        residuals[c] += v - mu
    return math.sqrt(math.fsum(r * r for r in residuals.values())) / n


def _clustered(clusters: Sequence[Hashable] | None) -> bool:
    """Whether clustering changes anything: two clusters or more, and one with several items."""
    if clusters is None:
        return False
    sizes: dict[Hashable, int] = defaultdict(int)
    for c in clusters:
        sizes[c] += 1
    return len(sizes) >= 2 and max(sizes.values()) > 1


def score_interval(
    values: Sequence[float],
    clusters: Sequence[Hashable] | None = None,
    *,
    confidence: float = CONFIDENCE,
    replicates: int = BOOTSTRAP_REPLICATES,
    seed: int = BOOTSTRAP_SEED,
) -> Interval | None:
    """The interval of the mean of `values` (None for no values), by the first method that fits:
    clustered (see the module), Wilson for 0/1 values, else the bootstrap over items."""
    n = len(values)
    if n == 0:
        return None
    binary = all(v == 0.0 or v == 1.0 for v in values)
    unit = binary or all(0.0 <= v <= 1.0 for v in values)
    if _clustered(clusters):
        mu = math.fsum(values) / n
        half = z_value(confidence) * clustered_standard_error(values, clusters)  # type: ignore[arg-type]  # _clustered() is true only for a clusters list
        low, high = mu - half, mu + half
        if unit:
            low, high = max(0.0, low), min(1.0, high)
        return Interval(low, high, "clustered")
    if binary:
        return Interval(*wilson_interval(int(round(math.fsum(values))), n, confidence), "wilson")
    from evalscope.core.stats import bootstrap_ci  # the one bootstrap in core (lazy: stats reads reports)

    low, high = bootstrap_ci(values, replicates, seed, confidence)
    return Interval(low, high, "bootstrap")
