"""Metric aggregation helpers registered by name (sample-level scores are produced by benchmarks)."""

from __future__ import annotations

from evalscope.core.registry import metrics
from evalscope.core.report import mean

ACCURACY = "AverageAccuracy"
PASS_AT_1 = "AveragePass@1"

metrics.register("mean", mean)
metrics.register(ACCURACY, mean)
metrics.register(PASS_AT_1, mean)
