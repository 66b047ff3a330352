"""Draw a mixed dataset from a collection schema.

Every sampler decides how many rows each leaf gets, then draws them without replacement with a
seeded RNG (one stream per leaf, so adding a leaf does not change the others' draws). Leaf counts
are floors; the last leaf takes the remainder. A leaf asked for more rows than it has gives all it
has, and `notes` says so.

Each row carries the request rendered by the benchmark's own `Task` (prompt, few-shot examples,
system prompt, generation settings), so a later evaluation asks exactly what the benchmark asks.
"""

from __future__ import annotations

import json
import logging
import os
import random
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from evalscope.core.benchmark import BenchmarkSpec, Task
from evalscope.core.collections.schema import CollectionSchema, FlatDataset
from evalscope.core.serialization import structure, structure_strict, unstructure
from evalscope.core.types import GenerationConfig, ModelRequest, RequestKind, Sample

log = logging.getLogger("evalscope.collections")

_EPS = 1e-9


@attrs.define
class CollectionRow:
    """One line of a mixed-dataset JSONL."""

    index: int
    prompt: dict[str, Any]
    sample: dict[str, Any]
    dataset_name: str
    subset_name: str
    task_type: str = ""
    tags: list[str] = attrs.field(factory=list)
    categories: list[str] = attrs.field(factory=list)
    weight: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = unstructure(self)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, where: str = "row") -> CollectionRow:
        return structure_strict(data, cls, where=where)


def render_prompt(task: Task, sample: Sample) -> dict[str, Any]:
    """The request `task` would send for `sample`, as JSON (settings left at their defaults omitted)."""
    request = task.build_request(sample)
    config = {k: v for k, v in unstructure(request.config).items() if v != _DEFAULT_CONFIG[k]}
    return {
        "kind": request.kind.value,
        "output_type": task.output_type,
        "messages": unstructure(request.messages) if request.messages is not None else None,
        "prompt": request.prompt,
        "choices": request.choices,
        **({"contexts": request.contexts} if request.contexts is not None else {}),
        **({"letter_rule": request.letter_rule} if request.letter_rule != "sum" else {}),
        "config": config,
        "filters": task.filters,
    }


def request_from_prompt(prompt: dict[str, Any], overrides: GenerationConfig | None = None) -> ModelRequest:
    """Rebuild the stored request; `overrides` (the run's generation settings) win over stored ones."""
    from evalscope.core.types import ChatMessage

    config = structure(prompt.get("config") or {}, GenerationConfig).merged(overrides)
    messages = prompt.get("messages")
    return ModelRequest(
        kind=RequestKind(prompt["kind"]),
        messages=[ChatMessage(m["role"], m["content"]) for m in messages] if messages is not None else None,
        prompt=prompt.get("prompt"),
        choices=prompt.get("choices"),
        config=config,
        contexts=prompt.get("contexts"),
        letter_rule=prompt.get("letter_rule", "sum"),
    )


_DEFAULT_CONFIG = unstructure(GenerationConfig())


@attrs.define
class LeafPool:
    """A leaf's bound task and every sample it offers."""

    leaf: FlatDataset
    task: Task
    samples: list[Sample]


class Sampler:
    """Base sampler: subclasses decide the per-leaf counts (`allocate`)."""

    name = "base"

    def __init__(
        self,
        schema: CollectionSchema,
        *,
        resolve: Callable[[str], BenchmarkSpec],
        dataset_dir: str | None = None,
        hub: str = "modelscope",
        seed: int = 42,
        capabilities: Iterable[RequestKind] | None = None,
        shuffle: bool = True,
    ) -> None:
        from evalscope.core.tasks import DatasetLoader

        self.schema = schema
        self.resolve = resolve  # benchmark name -> spec (the caller's registry, e.g. evalscope.benchmarks.get_benchmark)
        self.leaves = schema.flatten()
        self.loader = DatasetLoader(dataset_dir or os.environ.get("EVALSCOPE_DATASET_DIR"), hub)
        self.seed = seed
        self.capabilities = frozenset(capabilities) if capabilities is not None else frozenset(RequestKind)
        self.shuffle = shuffle
        self.notes: list[str] = []
        self._pools: dict[int, LeafPool] = {}

    # -- loading ----------------------------------------------------------------------------------
    def pool(self, i: int) -> LeafPool:
        """Leaf `i`'s task and samples, loaded once."""
        if i not in self._pools:
            from evalscope.core.dataset_args import DatasetArgs
            from evalscope.core.tasks import build_task, load_samples

            leaf = self.leaves[i]
            where = f"{'.'.join(leaf.hierarchy)}.{leaf.name}.args"
            spec = self.resolve(leaf.name)
            args = structure_strict(leaf.info.args, DatasetArgs, where=where)
            task = build_task(spec, args=args, capabilities=self.capabilities, generation_config=None, seed=self.seed)
            self._pools[i] = LeafPool(leaf, task, list(load_samples(task, self.loader, args, None)))
        return self._pools[i]

    # -- counts -----------------------------------------------------------------------------------
    def allocate(self, count: int) -> list[int]:
        raise NotImplementedError

    @staticmethod
    def _by_share(count: int, shares: Sequence[float]) -> list[int]:
        """Floor of count x share per leaf; the last leaf takes the remainder."""
        total = sum(shares)
        counts = [int(count * s / total + _EPS) for s in shares[:-1]] if total > 0 else [0] * (len(shares) - 1)
        return [*counts, count - sum(counts)]

    # -- drawing ----------------------------------------------------------------------------------
    def sample(self, count: int) -> list[CollectionRow]:
        """`count` rows (fewer where leaves are too small; see `notes`)."""
        if count <= 0:
            raise ValueError(f"count must be positive, not {count}")
        self.notes = []
        counts = self.allocate(count)
        rows: list[CollectionRow] = []
        for i, (leaf, k) in enumerate(zip(self.leaves, counts, strict=True)):
            if k <= 0:
                continue
            pool = self.pool(i)
            if k > len(pool.samples):
                self.notes.append(
                    f"{'/'.join(leaf.hierarchy)}/{leaf.name}: asked for {k} samples, it has only {len(pool.samples)}; took all"
                )
                log.warning(self.notes[-1])
                k = len(pool.samples)
            rng = random.Random(f"{self.seed}:{i}:{leaf.name}")
            for sample in rng.sample(pool.samples, k):
                rows.append(_row(pool, sample))
        if self.shuffle:
            random.Random(f"{self.seed}:shuffle").shuffle(rows)
        for index, row in enumerate(rows):
            row.index = index
        if len(rows) < count:
            self.notes.append(f"collection has {len(rows)} rows, {count - len(rows)} fewer than asked")
        return rows


def _row(pool: LeafPool, sample: Sample) -> CollectionRow:
    leaf, spec = pool.leaf, pool.task.spec
    return CollectionRow(
        index=-1,
        prompt=render_prompt(pool.task, sample),
        sample=unstructure(sample),
        dataset_name=leaf.name,
        subset_name=sample.subset,
        task_type=leaf.info.task_type or (spec.tags[0] if spec.tags else ""),
        tags=list(leaf.info.tags),
        categories=list(leaf.hierarchy),
        weight=leaf.weight,
    )


class WeightedSampler(Sampler):
    """count x (normalised weight) rows per leaf."""

    name = "weighted"

    def allocate(self, count: int) -> list[int]:
        return self._by_share(count, [leaf.weight for leaf in self.leaves])


class UniformSampler(Sampler):
    """The same number of rows from every leaf."""

    name = "uniform"

    def allocate(self, count: int) -> list[int]:
        return self._by_share(count, [1.0] * len(self.leaves))


class StratifiedSampler(Sampler):
    """Rows in proportion to each leaf's number of samples (every selected subset counted)."""

    name = "stratified"

    def allocate(self, count: int) -> list[int]:
        return self._by_share(count, [float(len(self.pool(i).samples)) for i in range(len(self.leaves))])


SAMPLERS: dict[str, type[Sampler]] = {s.name: s for s in (WeightedSampler, UniformSampler, StratifiedSampler)}


def dump_jsonl(rows: Iterable[CollectionRow], path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row.to_dict(), ensure_ascii=False, default=str) + "\n")
    tmp.replace(path)
    return path


def load_jsonl(path: str | os.PathLike[str]) -> list[CollectionRow]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                rows.append(CollectionRow.from_dict(json.loads(line), where=f"{path}:{lineno}"))
    return rows
