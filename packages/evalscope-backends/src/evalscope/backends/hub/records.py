"""Turn what the hub libraries return (MsDataset, datasets.Dataset, DatasetDict) into plain records."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any


def has_datasets_package() -> bool:
    """Whether `datasets` (needed by both MsDataset and the HF loader) can be imported."""
    try:
        return importlib.util.find_spec("datasets") is not None
    except (ImportError, ValueError):
        return False


def to_records(data: Any, split: str) -> list[dict[str, Any]]:
    if hasattr(data, "to_hf_dataset"):  # MsDataset wraps a datasets.Dataset
        data = data.to_hf_dataset()
    if isinstance(data, Mapping):  # DatasetDict: one entry per split
        if split not in data:
            raise KeyError(f"split {split!r} not found; available: {', '.join(map(str, data))}")
        data = data[split]
        if hasattr(data, "to_hf_dataset"):
            data = data.to_hf_dataset()
    if hasattr(data, "to_list"):
        return list(data.to_list())
    return [dict(row) for row in data]
