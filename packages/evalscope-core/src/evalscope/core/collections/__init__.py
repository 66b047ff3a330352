"""Collections: weighted trees of benchmarks, sampled into one mixed JSONL and evaluated together."""

from evalscope.core.collections.sampler import (
    SAMPLERS,
    CollectionRow,
    Sampler,
    StratifiedSampler,
    UniformSampler,
    WeightedSampler,
    dump_jsonl,
    load_jsonl,
)
from evalscope.core.collections.schema import CollectionSchema, DatasetInfo, FlatDataset

__all__ = [
    "SAMPLERS",
    "CollectionRow",
    "CollectionSchema",
    "DatasetInfo",
    "FlatDataset",
    "Sampler",
    "StratifiedSampler",
    "UniformSampler",
    "WeightedSampler",
    "dump_jsonl",
    "load_jsonl",
]
