"""Prompt sources for `evalscope perf` (``--dataset NAME``)."""

from __future__ import annotations

from evalscope.perf.datasets.base import DATASETS, DatasetContext, get_dataset

__all__ = ["DATASETS", "DatasetContext", "get_dataset"]
