"""Metrics of repeated answers (`repeats: k`, docs/repeats.md): every item answered k times.

A report of k > 1 answers per item names its metrics as EvalScope 1.x does:

- `mean_<metric>`: the mean over every answer (= the mean of the per-item means, each item having
  k answers), its 95% interval clustered by item (`ScoreTally(cluster_items=True)`), and
  `repeat_std`: the standard deviation (n - 1) of the k per-repeat scores (repeat r's answers only);
- `pass@k'` for k' in 1, 2, 4, ... and k (each <= k), of the first metric: per item the unbiased
  estimator 1 - C(n - c, k') / C(n, k') (Chen et al. 2021) with n the item's scored answers and c
  those scoring 1, averaged over the items with at least k' scored answers;
- `vote@k`: per item the first metric's value of the majority answer: the most frequent extracted
  answer (`prediction`; empty ones vote only when no answer was extracted), ties broken by the
  answer given first (lowest repeat), averaged over items.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from evalscope.core.types import SampleResult

if TYPE_CHECKING:
    from evalscope.core.report import MetricReport, Report, ScoreTally, SubsetReport


#: EvalScope 1.x's names of our (0.12-named) mean metrics: a repeated run's `mean_acc`
ONEX_NAMES = {"AverageAccuracy": "acc", "AveragePass@1": "acc"}


@attrs.frozen
class Answer:
    """What the repeat metrics need of one scored answer: its repeat, its metric values and its
    extracted answer as a comparable key (None: nothing was extracted)."""

    repeat: int
    scores: dict[str, float]
    vote: str | None


def answer_of(result: SampleResult) -> Answer:
    scores = {k: float(v) for k, v in result.scores.items() if not k.startswith("_")}
    return Answer(result.repeat, scores, _vote_key(result.prediction))


def _vote_key(prediction: Any) -> str | None:
    if prediction is None or (isinstance(prediction, str) and not prediction.strip()):
        return None
    if isinstance(prediction, str):
        return prediction.strip()
    return json.dumps(prediction, sort_keys=True, ensure_ascii=False, default=str)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): 1 - C(n-c, k) / C(n, k), the chance that one of k answers
    drawn from n (c of them correct) is correct, as the stable product 1 - prod_{i=n-c+1..n} (1 - k/i)
    (no huge binomials). The one estimator: repeats' `pass@k'` and code benchmarks' `Pass@k`."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n (got n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    prod = 1.0
    for i in range(n - c + 1, n + 1):
        prod *= 1.0 - k / i
    return 1.0 - prod


def pass_ks(k: int) -> list[int]:
    """The k' of the `pass@k'` metrics: 1, 2, 4, ... below k, and k."""
    out, p = [], 1
    while p < k:
        out.append(p)
        p *= 2
    return [*out, k]


def vote(answers: Sequence[Answer], metric: str) -> float | None:
    """The `metric` value of the item's majority answer (see the module); None without a value."""
    ordered = sorted((a for a in answers if metric in a.scores), key=lambda a: a.repeat)
    if not ordered:
        return None
    voting = [a for a in ordered if a.vote is not None] or ordered
    counts: dict[str | None, int] = {}
    for a in voting:
        counts[a.vote] = counts.get(a.vote, 0) + 1
    top = max(counts.values())
    winner = next(a for a in voting if counts[a.vote] == top)  # the first given among the tied
    return winner.scores[metric]


def item_values(answers: Sequence[Answer], metric: str, k: int) -> dict[str, float]:
    """{pass@k': ..., vote@k: ...} of one item (pass@k' only where it has k' scored answers)."""
    values = [a.scores[metric] for a in answers if metric in a.scores]
    n, c = len(values), sum(1 for v in values if v >= 1.0)
    out = {f"pass@{kk}": pass_at_k(n, c, kk) for kk in pass_ks(k) if kk <= n}
    voted = vote(answers, metric)
    if voted is not None:
        out[f"vote@{k}"] = voted
    return out


def repeat_std(groups: Sequence[dict[str, list[Answer]]], metric: str) -> float | None:
    """Standard deviation (n - 1) of the per-repeat scores of `metric` over the items of `groups`."""
    by_repeat: dict[int, list[float]] = {}
    for items in groups:
        for answers in items.values():
            for a in answers:
                if metric in a.scores:
                    by_repeat.setdefault(a.repeat, []).append(a.scores[metric])
    means = [math.fsum(v) / len(v) for v in by_repeat.values() if v]
    if len(means) < 2:
        return None
    mu = math.fsum(means) / len(means)
    return math.sqrt(math.fsum((m - mu) ** 2 for m in means) / (len(means) - 1))


def with_repeat_metrics(
    tally: ScoreTally, metrics: list[MetricReport], metric_names: Sequence[str] | None, subset_order: Sequence[str]
) -> list[MetricReport]:
    """`metrics` of a repeated run as `mean_<metric>` rows with their `repeat_std`, the first one
    followed by its `pass@k'` and `vote@k` rows (built over items, with their own intervals)."""
    from evalscope.core.report import ScoreTally
    from evalscope.core.types import ModelOutput, SampleStatus

    k = tally.repeats
    primary = metrics[0].name
    for metric in metrics:
        for row in metric.categories:
            for sub in row.subsets:
                sub.repeat_std = _r(repeat_std([tally.answers.get((row.name, sub.name), {})], metric.name))
        metric.repeat_std = _r(repeat_std(list(tally.answers.values()), metric.name))
    per_item = ScoreTally()
    for (cat, subset), items in tally.answers.items():
        for item, answers in items.items():
            values = item_values(answers, primary, k)
            if values:
                per_item.add(SampleResult(item, subset, "", ModelOutput(), scores=values, category=cat, status=SampleStatus.SCORED))
    names = [f"pass@{kk}" for kk in pass_ks(k)] + [f"vote@{k}"]
    extra = per_item.report(dataset="", model="", metric_names=names, subset_order=subset_order).metrics
    for metric in extra:  # the rows count what the answers' subsets counted (errors, cut answers...)
        for row in metric.categories:
            for sub in row.subsets:
                _own_counts(sub, tally, row.name)
    for metric in metrics:
        metric.name = f"mean_{ONEX_NAMES.get(metric.name, metric.name)}"
    return [metrics[0], *extra, *metrics[1:]]


def _own_counts(sub: SubsetReport, tally: ScoreTally, cat: tuple[str, ...]) -> None:
    from evalscope.core.report import SampleCounts, TokenUsage

    sub.counts = tally.counts.get((cat, sub.name), SampleCounts())
    sub.usage = tally.usage.get((cat, sub.name), TokenUsage())


def repeat_notes(report: Report) -> list[str]:
    """`aime24: 4 answers per item; mean_acc 0.2500 ± 0.1443 (std across repeats) ...` for a
    repeated run, or the note saying why its repeats were ignored."""
    if report.repeats_note:
        return [report.repeats_note]
    if report.repeats <= 1:
        return []
    parts = []
    for metric in report.metrics:
        if metric.repeat_std is None or not metric.name.startswith("mean_"):
            continue
        subsets = [s for c in metric.categories for s in c.subsets]
        text = f"{metric.name} {metric.score:.4f} ± {metric.repeat_std:.4f}"
        if len(subsets) > 1:
            text += " (" + ", ".join(
                f"{s.name} {s.score:.4f} ± {s.repeat_std:.4f}" for s in subsets if s.repeat_std is not None
            ) + ")"
        parts.append(text)
    std = f"; {'; '.join(parts)} (± std across repeats)" if parts else ""
    return [
        f"{report.dataset_name}: {report.repeats} answers per item (repeats){std}; pass@k unbiased "
        f"(Chen et al. 2021), vote@{report.repeats} the majority extracted answer (ties: the first given)"
    ]


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


__all__ = ["ONEX_NAMES", "Answer", "answer_of", "item_values", "pass_at_k", "pass_ks", "repeat_notes", "repeat_std", "vote", "with_repeat_metrics"]
