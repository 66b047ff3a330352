"""Two runs side by side: the same samples' answers paired, filtered, and tested for significance."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from evalscope.core.ports import ResultFilter
from evalscope.core.stats import Comparison, RunRef, compare_runs
from evalscope.core.types import SampleResult, SampleStatus
from evalscope.viz.data.catalog import Catalog
from evalscope.viz.data.samples import primary_score

#: side-by-side filters: which model got the sample right (score >= threshold)
PAIR_FILTERS = ("all", "a_right_b_wrong", "a_wrong_b_right", "both_right", "both_wrong")


@attrs.frozen
class Pair:
    subset: str
    sample_id: str
    a: SampleResult
    b: SampleResult


def _right(result: SampleResult, threshold: float) -> bool | None:
    if result.status is not SampleStatus.SCORED:
        return None
    score = primary_score(result)
    return None if score is None else score >= threshold


def pair_results(catalog: Catalog, key_a: str, key_b: str, dataset: str) -> list[Pair]:
    """Samples of `dataset` both runs hold, in the store's order (subset, sample id)."""
    where = ResultFilter(dataset=dataset)
    b_by_id = {(r.subset, str(r.sample_id)): r for r in catalog.results(key_b, where)}
    pairs = []
    for a in catalog.results(key_a, where):
        b = b_by_id.get((a.subset, str(a.sample_id)))
        if b is not None:
            pairs.append(Pair(a.subset, str(a.sample_id), a, b))
    return pairs


def filter_pairs(pairs: Sequence[Pair], kind: str = "all", threshold: float = 1.0) -> list[Pair]:
    if kind not in PAIR_FILTERS:
        raise ValueError(f"filter {kind!r}: expected one of {', '.join(PAIR_FILTERS)}")
    if kind == "all":
        return list(pairs)
    want_a = kind in ("a_right_b_wrong", "both_right")
    want_b = kind in ("a_wrong_b_right", "both_right")
    return [p for p in pairs if _right(p.a, threshold) is want_a and _right(p.b, threshold) is want_b]


def significance(
    catalog: Catalog, key_a: str, key_b: str, dataset: str, *, n_bootstrap: int = 1000, seed: int = 0
) -> list[Comparison]:
    """`evalscope compare`'s statistics (McNemar for 0/1 scores, else paired bootstrap) of one dataset,
    computed by the same function over the samples both runs scored."""
    a, b = catalog.run(key_a), catalog.run(key_b)
    return compare_runs(
        RunRef(a.source.location, a.info.run_id),
        RunRef(b.source.location, b.info.run_id),
        dataset,
        n_bootstrap=n_bootstrap,
        seed=seed,
    )
