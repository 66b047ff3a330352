"""Attach a report-level aggregation to a spec once core's `BenchmarkSpec.aggregate` exists.

Some metrics are not means of per-sample scores (IFEval's instruction-level accuracy, ProcessBench's
F1). A spec module defines `aggregate(results) -> {metric: value}`; core's report calls it for each
subset, category and the whole run. Until core has the field, the spec keeps per-sample means.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from evalscope.core.benchmark import BenchmarkSpec
from evalscope.core.types import SampleResult

Aggregate = Callable[[Sequence[SampleResult]], dict[str, float]]


def core_supports_aggregate() -> bool:
    return "aggregate" in attrs.fields_dict(BenchmarkSpec)


def with_aggregate(spec: BenchmarkSpec, aggregate: Aggregate) -> BenchmarkSpec:
    return attrs.evolve(spec, aggregate=aggregate) if core_supports_aggregate() else spec  # type: ignore[misc]
