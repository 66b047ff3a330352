"""A repeated run (`repeats: k`, docs/repeats.md) as the front-ends show it: its answers grouped by
item ("solved j of k"), and how many items were solved j times.

Each (item, repeat) is its own stored record: repeat 0 under the item's id, repeat r under
`<id>@r<r>` (`evalscope.core.stats.item_key` reads the item and repeat back). An answer "solves" its
item when it is scored and its primary score is at least the threshold (the browser's pass).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from evalscope.core.ports import ResultFilter
from evalscope.core.report import Report
from evalscope.core.stats import item_key
from evalscope.core.types import REPEAT_MARK, SampleResult, SampleStatus
from evalscope.viz.data.catalog import Catalog
from evalscope.viz.data.samples import SampleView, browser_filter, primary_score, sample_view

ItemId = tuple[str, str]  # (subset, item id)


def run_repeats(report: Report | None) -> int:
    """Answers per item of a dataset's report (1: no repeats, or repeats ignored with a note)."""
    if report is None or report.repeats_note:
        return 1
    return max(1, int(report.repeats or 1))


def _solved(result: SampleResult, threshold: float) -> bool | None:
    """True/False for a scored answer at or above / below the threshold; None when not scored."""
    if result.status is not SampleStatus.SCORED:
        return None
    score = primary_score(result)
    return None if score is None else score >= threshold


@attrs.frozen
class ItemGroup:
    """One item's answers, by repeat."""

    subset: str
    item_id: str
    k: int
    #: (repeat, the answer as shown), lowest repeat first
    answers: tuple[tuple[int, SampleView], ...]

    @property
    def solved(self) -> int:
        return sum(1 for _, v in self.answers if v.passed)

    @property
    def scored(self) -> int:
        return sum(1 for _, v in self.answers if v.score is not None)

    @property
    def label(self) -> str:
        """`3/4`: answers that solved the item of the k asked."""
        return f"{self.solved}/{self.k}"

    @property
    def mean_score(self) -> float | None:
        scores = [v.score for _, v in self.answers if v.score is not None]
        return sum(scores) / len(scores) if scores else None

    @property
    def first(self) -> SampleView:
        return self.answers[0][1]


def group_items(results: Iterable[SampleResult], k: int, *, threshold: float = 1.0) -> list[ItemGroup]:
    """The answers grouped by (subset, item) in the order items first appear; repeats >= k (stored by
    a run with a larger k, then reused by a smaller one) are left out."""
    groups: dict[ItemId, list[tuple[int, SampleView]]] = {}
    for result in results:
        item, repeat = item_key(result)
        if repeat < k:
            groups.setdefault((result.subset, item), []).append((repeat, sample_view(result, threshold=threshold)))
    return [
        ItemGroup(subset, item, k, tuple(sorted(answers, key=lambda a: a[0])))
        for (subset, item), answers in groups.items()
    ]


def solved_histogram(results: Iterable[SampleResult], k: int, *, threshold: float = 1.0) -> list[int]:
    """How many items k answers solved j times, for j = 0..k (every item counted once)."""
    solved: dict[ItemId, int] = {}
    for result in results:
        item, repeat = item_key(result)
        if repeat < k:
            key = (result.subset, item)
            solved[key] = solved.get(key, 0) + bool(_solved(result, threshold))
    counts = [0] * (k + 1)
    for j in solved.values():
        counts[min(j, k)] += 1
    return counts


def dataset_histogram(
    catalog: Catalog, key: str, dataset: str, k: int, *, subset: str | None = None, threshold: float = 1.0
) -> list[int]:
    """`solved_histogram` of a run's dataset (or one subset), read through the store."""
    return solved_histogram(
        catalog.results(key, ResultFilter(dataset=dataset, subset=subset or None)), k, threshold=threshold
    )


def record_ids(item_id: str, k: int) -> list[str]:
    """The stored ids of an item's k answers: the item's id, then `<id>@r<r>`."""
    return [item_id] + [f"{item_id}{REPEAT_MARK}{r}" for r in range(1, k)]


def item_page(
    catalog: Catalog,
    key: str,
    *,
    dataset: str,
    k: int,
    subset: str | None = None,
    kind: str = "all",
    threshold: float = 1.0,
    search: str | None = None,
    page: int = 0,
    size: int = 10,
) -> tuple[list[ItemGroup], int]:
    """One page of items (`size` per page) and how many items the filter keeps. An item is kept when
    any of its answers matches the filter (All / Pass / Fail / Errors, search); a kept item shows
    all its k answers, so its j/k counts every answer."""
    where = browser_filter(dataset=dataset, subset=subset, kind=kind, threshold=threshold, search=search)
    matching: dict[ItemId, None] = {}
    for result in catalog.results(key, where):
        item, repeat = item_key(result)
        if repeat < k:
            matching[(result.subset, item)] = None
    items = list(matching)
    chosen = items[page * size : (page + 1) * size]
    if not chosen:
        return [], len(items)
    ids = [rid for _, item in chosen for rid in record_ids(item, k)]
    found = catalog.results(key, ResultFilter(dataset=dataset, subset=subset or None, sample_ids=ids))
    by_item = {(g.subset, g.item_id): g for g in group_items(found, k, threshold=threshold)}
    return [by_item[i] for i in chosen if i in by_item], len(items)

