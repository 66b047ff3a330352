"""Statistics of scores: bootstrap intervals of a mean, and paired comparisons of two runs.

- `bootstrap_ci`: percentile interval of the mean, optionally resampling whole clusters (subsets).
- `mcnemar_exact`: exact two-sided McNemar test for paired binary scores.
- `paired_bootstrap`: interval and p-value of the mean paired difference (continuous scores).
- `min_detectable_difference`: the smallest difference the pairs detect (80% power, alpha 0.05).
- `compare_runs`: both tests on two runs' scored samples, aligned by (dataset, subset, item id),
  read through the stores' read side (`evalscope.core.stores.runs.resolve_run`). A run with repeats
  (k answers per item, records `<id>@r<k>`) is paired by item on its per-item means over the repeats;
  means are not 0/1 scores, so such a pair is tested by the paired bootstrap, never McNemar.

Bootstraps are seeded. numpy is used when importable (multinomial draws over the distinct values);
without it, scores with few distinct values (0/1, -1/0/1 differences) are resampled through
binomial inverse-CDF tables in O(log n) per draw, and other scores with `random.choices`. A given
seed gives the same numbers in a given environment (with or without numpy), not across the two.
"""

from __future__ import annotations

import bisect
import math
import random
from collections import defaultdict
from collections.abc import Hashable, Sequence
from pathlib import Path
from statistics import NormalDist
from typing import Any

import attrs

from evalscope.core.metrics import mean
from evalscope.core.numeric import format_p_value, percentile
from evalscope.core.repeats import ONEX_NAMES
from evalscope.core.report import standard_error
from evalscope.core.stores.runs import RunRef, resolve_run

__all__ = [
    "Comparison",
    "ItemScores",
    "RunRef",
    "add_bootstrap_ci",
    "bootstrap_ci",
    "bootstrap_means",
    "compare_runs",
    "compare_scores",
    "comparison_cells",
    "item_key",
    "load_item_scores",
    "load_run_scores",
    "mcnemar_exact",
    "min_detectable_difference",
    "paired_bootstrap",
    "resolve_run",
    "standard_error",
]

_MAX_DISCRETE = 16  # distinct values up to which resampling draws counts, not items


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:  # pragma: no cover - numpy is optional
        return None
    return numpy


# -- bootstrap of a mean -----------------------------------------------------------------------------
def bootstrap_means(
    values: Sequence[float],
    n: int = 1000,
    seed: int = 0,
    clusters: Sequence[Hashable] | None = None,
    *,
    use_numpy: bool | None = None,
) -> list[float]:
    """`n` bootstrap replicates of the mean of `values` (resampling clusters when given)."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError("bootstrap of no values")
    np = _numpy() if use_numpy in (None, True) else None
    if use_numpy and np is None:
        raise RuntimeError("numpy is not installed")
    if clusters is not None:
        if len(clusters) != len(values):
            raise ValueError(f"{len(clusters)} cluster labels for {len(values)} values")
        return _cluster_means(values, clusters, n, seed, np)
    distinct: dict[float, int] = defaultdict(int)
    for v in values:
        distinct[v] += 1
    if np is not None:
        return _numpy_means(np, values, distinct, n, seed)
    rng = random.Random(seed)
    m = len(values)
    if len(distinct) <= _MAX_DISCRETE:
        levels = list(distinct.items())
        draw = _MultinomialDraw([c for _, c in levels])
        return [math.fsum(lv * k for (lv, _), k in zip(levels, draw(rng), strict=True)) / m for _ in range(n)]
    return [math.fsum(rng.choices(values, k=m)) / m for _ in range(n)]


def _numpy_means(np: Any, values: list[float], distinct: dict[float, int], n: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    m = len(values)
    if len(distinct) <= _MAX_DISCRETE:
        levels = np.array(list(distinct), dtype=float)
        probs = np.array(list(distinct.values()), dtype=float) / m
        counts = rng.multinomial(m, probs, size=n)
        means: list[float] = ((counts @ levels) / m).tolist()
        return means
    arr = np.asarray(values)
    out: list[float] = []
    chunk = max(1, 2_000_000 // m)  # bound memory: at most ~2M indices at once
    for start in range(0, n, chunk):
        idx = rng.integers(0, m, size=(min(chunk, n - start), m))
        out.extend(arr[idx].mean(axis=1).tolist())
    return out


def _cluster_means(values: list[float], clusters: Sequence[Hashable], n: int, seed: int, np: Any) -> list[float]:
    sums: dict[Hashable, float] = defaultdict(float)
    counts: dict[Hashable, int] = defaultdict(int)
    for v, cluster in zip(values, clusters, strict=True):
        sums[cluster] += v
        counts[cluster] += 1
    keys = list(sums)
    s = [sums[k] for k in keys]
    c = [counts[k] for k in keys]
    g = len(keys)
    if np is not None:
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, g, size=(n, g))
        ratios: list[float] = (np.asarray(s)[idx].sum(axis=1) / np.asarray(c)[idx].sum(axis=1)).tolist()
        return ratios
    rng_py = random.Random(seed)
    out = []
    for _ in range(n):
        picks = rng_py.choices(range(g), k=g)
        out.append(math.fsum(s[i] for i in picks) / sum(c[i] for i in picks))
    return out


class _MultinomialDraw:
    """Multinomial(m, counts/m) draws as a chain of binomials, each by inverse CDF over a cached table."""

    def __init__(self, counts: list[int]) -> None:
        self.counts = counts
        self.tail = [sum(counts[j:]) for j in range(len(counts))]
        self._tables: dict[tuple[int, int], tuple[int, list[float]]] = {}

    def __call__(self, rng: random.Random) -> list[int]:
        remaining = self.tail[0]
        out = []
        for j in range(len(self.counts) - 1):
            if remaining == 0 or self.counts[j] == 0:
                out.append(0)
                continue
            lo, cdf = self._table(remaining, j)
            k = lo + bisect.bisect_left(cdf, rng.random() * cdf[-1])
            k = min(k, remaining)
            out.append(k)
            remaining -= k
        out.append(remaining)
        return out

    def _table(self, trials: int, j: int) -> tuple[int, list[float]]:
        key = (trials, j)
        if key not in self._tables:
            p = self.counts[j] / self.tail[j]
            self._tables[key] = _binomial_cdf(trials, p)
        return self._tables[key]


def _binomial_cdf(trials: int, p: float) -> tuple[int, list[float]]:
    """(first k, cumulative probabilities) of Binomial(trials, p) over the range holding its mass."""
    if p >= 1.0:
        return trials, [1.0]
    spread = 12.0 * math.sqrt(trials * p * (1 - p)) + 12
    lo = max(0, int(trials * p - spread))
    hi = min(trials, int(trials * p + spread) + 1)
    base = math.lgamma(trials + 1)
    lp, lq = math.log(p), math.log1p(-p)
    cdf, acc = [], 0.0
    for k in range(lo, hi + 1):
        acc += math.exp(base - math.lgamma(k + 1) - math.lgamma(trials - k + 1) + k * lp + (trials - k) * lq)
        cdf.append(acc)
    return lo, cdf


def bootstrap_ci(
    values: Sequence[float],
    n: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    clusters: Sequence[Hashable] | None = None,
    *,
    use_numpy: bool | None = None,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of `values`."""
    reps = sorted(bootstrap_means(values, n, seed, clusters, use_numpy=use_numpy))
    alpha = (1 - confidence) / 2
    return percentile(reps, alpha), percentile(reps, 1 - alpha)


# -- paired tests -------------------------------------------------------------------------------------
def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts (A right/B wrong = b, the reverse = c)."""
    n, k = b + c, min(b, c)
    if n == 0:
        return 1.0
    if n <= 2000:  # exact integers
        term, total = 1, 0
        for i in range(k + 1):
            total += term
            term = term * (n - i) // (i + 1)
        p: float = min(1.0, 2 * total / 2**n)
        return p
    logs = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) - n * math.log(2) for i in range(k + 1)]
    top = max(logs)
    return min(1.0, 2 * math.exp(top) * math.fsum(math.exp(x - top) for x in logs))


def paired_bootstrap(
    a: Sequence[float],
    b: Sequence[float],
    n: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    *,
    use_numpy: bool | None = None,
) -> tuple[float, float, float]:
    """(ci_low, ci_high, p_value) of mean(b - a), resampling the pairs.

    The p-value is that of the shifted bootstrap: the share of replicates whose difference lies at
    least as far from the observed one as the observed one lies from zero, (1 + count) / (n + 1).
    """
    if len(a) != len(b):
        raise ValueError(f"paired samples differ in length ({len(a)} vs {len(b)})")
    diffs = [float(y) - float(x) for x, y in zip(a, b, strict=True)]
    observed = mean(diffs)
    reps = sorted(bootstrap_means(diffs, n, seed, use_numpy=use_numpy))
    alpha = (1 - confidence) / 2
    far = sum(1 for r in reps if abs(r - observed) >= abs(observed) - 1e-12)
    return percentile(reps, alpha), percentile(reps, 1 - alpha), min(1.0, (1 + far) / (n + 1))


@attrs.define
class Comparison:
    """Run B against run A on the samples both scored."""

    dataset: str
    subset: str | None
    metric: str
    n: int
    mean_a: float
    mean_b: float
    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    test: str  # "mcnemar" (binary scores) or "paired_bootstrap" (other scores, per-item means of repeats)
    b_only_a_right: int | None = None  # McNemar's discordant counts
    c_only_b_right: int | None = None
    only_in_a: int = 0
    only_in_b: int = 0
    #: smallest |B - A| this many pairs detect with 80% power at alpha 0.05 (`min_detectable_difference`)
    min_detectable_diff: float | None = None
    #: most answers per item in A and in B (repeats); above 1 the scores paired are per-item means
    repeats_a: int = 1
    repeats_b: int = 1

    @property
    def per_item_means(self) -> bool:
        """Whether the pairs are per-item means over repeats (not single answers)."""
        return max(self.repeats_a, self.repeats_b) > 1


def min_detectable_difference(
    a: Sequence[float],
    b: Sequence[float],
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    binary: bool | None = None,
) -> float | None:
    """The smallest mean paired difference a two-sided test at `alpha` detects with `power` on
    these n pairs: (z_{1-alpha/2} + z_{power}) * sd_d / sqrt(n) (2.8016 * sd_d / sqrt(n) at the
    defaults), where sd_d is the spread of the paired differences d = b - a: for 0/1 scores
    sqrt(p_disc), p_disc = (discordant pairs) / n, the variance of d when the two runs are equally
    good (McNemar's setting); otherwise the sample standard deviation of d (n - 1 denominator).
    None when that spread is 0 (no pair differs, or fewer than two pairs of other scores): these
    pairs say nothing about the variance. `binary` False treats 0/1 values as any other scores
    (per-item means over repeats that happen to be 0 or 1); None decides from the values.
    """
    if len(a) != len(b):
        raise ValueError(f"paired samples differ in length ({len(a)} vs {len(b)})")
    n = len(a)
    if n == 0:
        return None
    if binary is None:
        binary = all(v in (0.0, 1.0) for v in (*a, *b))
    if binary:
        sd = math.sqrt(sum(1 for x, y in zip(a, b, strict=True) if x != y) / n)
    elif n < 2:
        return None
    else:
        diffs = [float(y) - float(x) for x, y in zip(a, b, strict=True)]
        mu = mean(diffs)
        sd = math.sqrt(math.fsum((d - mu) ** 2 for d in diffs) / (n - 1))
    if sd == 0.0:
        return None
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    return z * sd / math.sqrt(n)


def comparison_cells(c: Comparison) -> list[str]:
    """A, B, B-A, its 95% interval and p of a comparison, as `evalscope compare` and the site show them."""
    return [
        f"{c.mean_a:.4f}",
        f"{c.mean_b:.4f}",
        f"{c.diff:+.4f}",
        f"[{c.ci_low:+.4f}, {c.ci_high:+.4f}]",
        format_p_value(c.p_value),
    ]


def compare_scores(
    a: Sequence[float],
    b: Sequence[float],
    *,
    dataset: str,
    metric: str,
    subset: str | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
    use_numpy: bool | None = None,
    binary: bool | None = None,
) -> Comparison:
    """Compare paired scores: McNemar when every score is 0 or 1, else the paired bootstrap.
    `binary` False forces the paired bootstrap (per-item means of repeats, even when 0 or 1)."""
    if not a:
        raise ValueError(f"{dataset}: no samples scored by both runs")
    low, high, p_boot = paired_bootstrap(a, b, n_bootstrap, seed, use_numpy=use_numpy)
    if binary is None:
        binary = all(v in (0.0, 1.0) for v in (*a, *b))
    disc_b = sum(1 for x, y in zip(a, b, strict=True) if x == 1.0 and y == 0.0) if binary else None
    disc_c = sum(1 for x, y in zip(a, b, strict=True) if x == 0.0 and y == 1.0) if binary else None
    mean_a, mean_b = mean(a), mean(b)
    return Comparison(
        dataset=dataset,
        subset=subset,
        metric=metric,
        n=len(a),
        mean_a=mean_a,
        mean_b=mean_b,
        diff=mean_b - mean_a,
        ci_low=low,
        ci_high=high,
        p_value=mcnemar_exact(disc_b, disc_c) if binary else p_boot,  # type: ignore[arg-type]  # p_boot is set when not binary
        test="mcnemar" if binary else "paired_bootstrap",
        b_only_a_right=disc_b,
        c_only_b_right=disc_c,
        min_detectable_diff=min_detectable_difference(a, b, binary=binary),
    )


# -- runs in stores ---------------------------------------------------------------------------------
SampleKey = tuple[str, str, str]  # (dataset, subset, sample_id)


def load_run_scores(
    run: RunRef | str | Path, dataset: str | None = None, model_id: str | None = None
) -> dict[SampleKey, dict[str, float]]:
    """Per-sample scores of a run's SCORED samples, read through the store's read side (work-dir
    files, ours or EvalScope's, or a database)."""
    from evalscope.core.ports import ResultFilter
    from evalscope.core.types import SampleStatus

    store, info = resolve_run(RunRef.of(run, model_id))
    datasets = [dataset] if dataset is not None else info.datasets
    out: dict[SampleKey, dict[str, float]] = {}
    for name in datasets:
        for result in store.iter_results(info.run_id, ResultFilter(dataset=name, status=SampleStatus.SCORED)):
            if result.scores:
                out[(name, result.subset, str(result.sample_id))] = {k: float(v) for k, v in result.scores.items()}
    return out


def item_key(result: Any) -> tuple[str, int]:
    """(item id, repeat) of a stored record: `SampleResult.key` where the store set the repeat, else
    read from the record id (`<id>@r<k>` of the item's `Sample.id`)."""
    from evalscope.core.types import REPEAT_MARK, SampleKey

    if getattr(result, "repeat", 0):
        key = result.key
        return key.sample_id, key.repeat
    record_id = str(result.sample_id)
    sample = getattr(result, "sample", None)
    item = getattr(sample, "id", None)
    repeat = SampleKey.repeat_of(record_id, item)
    if repeat:
        return record_id[: -len(f"{REPEAT_MARK}{repeat}")], repeat
    return record_id, 0


@attrs.frozen
class ItemScores:
    """A run's per-item scores: each metric's mean over the item's scored answers (one answer
    without repeats), and how many answers each item has."""

    means: dict[SampleKey, dict[str, float]]
    answers: dict[SampleKey, int]

    @property
    def repeats(self) -> int:
        """The most answers any item has (1 without repeats)."""
        return max(self.answers.values(), default=1)


def load_item_scores(run: RunRef | str | Path, dataset: str | None = None, model_id: str | None = None) -> ItemScores:
    """Per-item scores of a run's SCORED answers, keyed by (dataset, subset, item id): the mean over
    the item's repeats (`<id>@r<k>` records grouped under `<id>`)."""
    from evalscope.core.ports import ResultFilter
    from evalscope.core.types import SampleStatus

    store, info = resolve_run(RunRef.of(run, model_id))
    datasets = [dataset] if dataset is not None else info.datasets
    sums: dict[SampleKey, dict[str, list[float]]] = {}
    for name in datasets:
        for result in store.iter_results(info.run_id, ResultFilter(dataset=name, status=SampleStatus.SCORED)):
            if result.scores:
                values = sums.setdefault((name, result.subset, item_key(result)[0]), {})
                for metric, v in result.scores.items():
                    values.setdefault(metric, []).append(float(v))
    means = {key: {m: math.fsum(v) / len(v) for m, v in values.items()} for key, values in sums.items()}
    answers = {key: max(len(v) for v in values.values()) for key, values in sums.items()}
    return ItemScores(means, answers)


def compare_runs(
    run_a: RunRef | str | Path,
    run_b: RunRef | str | Path,
    dataset: str | None = None,
    *,
    n_bootstrap: int = 1000,
    seed: int = 0,
    by_subset: bool = False,
    model_a: str | None = None,
    model_b: str | None = None,
) -> list[Comparison]:
    """One Comparison per (dataset[, subset], metric) that both runs scored on shared items.

    A run is a location (run dir, outputs dir, database file or URL) or a `RunRef` naming a run
    inside it. Only SCORED answers count; errored, invalid and skipped ones are left out. Items are
    paired by (dataset, subset, item id); with repeats in either run each item's score is its mean
    over its answers, the metric is named `mean_<metric>` and the test is the paired bootstrap.
    """
    items_a = load_item_scores(run_a, dataset, model_a)
    items_b = load_item_scores(run_b, dataset, model_b)
    scores_a, scores_b = items_a.means, items_b.means
    groups: dict[tuple[str, str | None, str], tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    unpaired: dict[tuple[str, str | None], list[int]] = defaultdict(lambda: [0, 0])
    sub: str | None  # a subset below, None in the groups when not by_subset
    for key in sorted(set(scores_a) | set(scores_b)):
        ds, sub, _ = key
        group = (ds, sub if by_subset else None)
        if key not in scores_b:
            unpaired[group][0] += 1
            continue
        if key not in scores_a:
            unpaired[group][1] += 1
            continue
        for metric, va in scores_a[key].items():
            if metric in scores_b[key]:
                pair = groups[(*group, metric)]
                pair[0].append(va)
                pair[1].append(scores_b[key][metric])
    repeats = {ds: (_repeats(items_a, ds), _repeats(items_b, ds)) for ds, _, _ in groups}
    out = []
    for (ds, sub, metric), (a, b) in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2])):
        k_a, k_b = repeats[ds]
        means = max(k_a, k_b) > 1
        name = f"mean_{ONEX_NAMES.get(metric, metric)}" if means else metric
        comp = compare_scores(
            a, b, dataset=ds, subset=sub, metric=name, n_bootstrap=n_bootstrap, seed=seed, binary=False if means else None
        )
        comp.only_in_a, comp.only_in_b = unpaired.get((ds, sub), [0, 0])
        comp.repeats_a, comp.repeats_b = k_a, k_b
        out.append(comp)
    return out


def _repeats(items: ItemScores, dataset: str) -> int:
    return max((n for key, n in items.answers.items() if key[0] == dataset), default=1)


# -- reports -----------------------------------------------------------------------------------------
def _counts(result: Any) -> bool:
    """Whether a result's scores count: SCORED (results without a status: no error)."""
    status = getattr(result, "status", None)
    if status is not None:
        return bool(getattr(status, "value", status) == "scored")
    return getattr(result, "error", None) is None


def add_bootstrap_ci(
    report: Any, results: Sequence[Any], n: int = 1000, seed: int = 0, *, cluster_by_subset: bool = False, confidence: float = 0.95
) -> dict[str, tuple[float, float]]:
    """Bootstrap interval of each metric's micro score (optionally resampling whole subsets); set on
    `MetricReport.ci_low/ci_high` (and `ci_method` "bootstrap") where the report has those fields,
    replacing the interval the run computed (`evalscope.core.intervals`). Returns {metric: (low, high)}."""
    intervals: dict[str, tuple[float, float]] = {}
    for metric in report.metrics:
        scored = [r for r in results if metric.name in r.scores and _counts(r)]
        if not scored:
            continue
        values = [float(r.scores[metric.name]) for r in scored]
        clusters = [r.subset for r in scored] if cluster_by_subset else None
        low, high = bootstrap_ci(values, n, seed, confidence, clusters)
        intervals[metric.name] = (round(low, 4), round(high, 4))
        fields = attrs.fields_dict(type(metric)) if attrs.has(type(metric)) else {}
        if "ci_low" in fields and "ci_high" in fields:
            metric.ci_low, metric.ci_high = intervals[metric.name]
            if "ci_method" in fields:
                metric.ci_method = "bootstrap"
    return intervals
