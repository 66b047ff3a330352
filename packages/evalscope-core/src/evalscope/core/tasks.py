"""Turn a benchmark spec plus the user's settings into a `Task` and its samples."""

from __future__ import annotations

import itertools
import logging
import math
import os
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from evalscope.core.benchmark import BenchmarkSpec, Task
from evalscope.core.datasets import DatasetFormatError, DatasetUnavailableError, LocalDirSource, describe_row
from evalscope.core.datasets.local import StreamedRecords
from evalscope.core.metrics import check_metric_list
from evalscope.core.ports import DatasetRef, ModelAPI
from evalscope.core.prompt_styles import get_prompt_style
from evalscope.core.registry import UnknownNameError, dataset_sources
from evalscope.core.types import GenerationConfig, RequestKind, Sample

log = logging.getLogger("evalscope.tasks")

KIND_OF_OUTPUT = {
    "generation": RequestKind.GENERATE,
    "multiple_choice": RequestKind.CHOICE_PROBS,
    "continuation": RequestKind.LOGLIKELIHOOD,
}


def choose_output_type(spec: BenchmarkSpec, requested: str | None, capabilities: frozenset[RequestKind]) -> str:
    """The user's choice if the spec supports it; else the spec's first mode the model can answer."""
    if requested:
        if requested not in spec.output_types:
            raise ValueError(
                f"dataset_args.{spec.name}.output_type: {requested!r} is not supported by {spec.name} "
                f"(supported: {', '.join(spec.output_types)})"
            )
        return requested
    for output_type in spec.output_types:
        if KIND_OF_OUTPUT[output_type] in capabilities:
            return output_type
    raise ValueError(
        f"{spec.name} needs {', '.join(spec.output_types)} outputs, which this model cannot give "
        f"(it supports {', '.join(sorted(k.value for k in capabilities))})"
    )


def build_task(
    spec: BenchmarkSpec,
    *,
    args: Any,
    capabilities: frozenset[RequestKind],
    generation_config: GenerationConfig | None,
    seed: int | None,
    prompt_style: str = "default",
) -> Task:
    """Bind a spec to `args` (a DatasetArgs) and the run's generation settings."""
    output_type = choose_output_type(spec, args.output_type, capabilities)
    few_shot = spec.prompt.few_shot_num if args.few_shot_num is None else args.few_shot_num
    if spec.prompt.max_few_shot is not None and few_shot > spec.prompt.max_few_shot:
        raise ValueError(f"dataset_args.{spec.name}.few_shot_num: at most {spec.prompt.max_few_shot} (got {few_shot})")
    gen = spec.prompt.generation_config.merged(generation_config).merged(args.generation_config)
    if gen.seed is None and seed is not None:
        gen = GenerationConfig(**{**_as_dict(gen), "seed": seed})
    metrics = tuple(args.metric_list) if args.metric_list else spec.scoring.metrics
    if args.metric_list:
        check_metric_list(args.metric_list, spec.scoring.metrics, where=f"dataset_args.{spec.name}.metric_list")
    params = {**spec.scoring.extra_params, **(args.extra_params or {})}
    style_name = args.prompt_style or prompt_style
    style = get_prompt_style(style_name, where=f"dataset_args.{spec.name}.prompt_style" if args.prompt_style else "prompt_style")
    unknown = set(args.extra_params or {}) - set(spec.scoring.extra_params)
    if unknown:
        raise ValueError(
            f"dataset_args.{spec.name}.extra_params: unknown key(s) {', '.join(sorted(unknown))}"
            f" (known: {', '.join(sorted(spec.scoring.extra_params)) or 'none'})"
        )
    return Task(
        spec=spec,
        output_type=output_type,
        few_shot_num=few_shot,
        generation_config=gen,
        prompt_template=args.prompt_template if args.prompt_template is not None else spec.prompt.prompt_template,
        system_prompt=args.system_prompt if args.system_prompt is not None else spec.prompt.system_prompt,
        filters=args.filters if args.filters is not None else list(spec.scoring.filters),
        metrics=metrics,
        few_shot_random=args.few_shot_random,
        seed=seed if seed is not None else 42,
        params=params,
        prompt_style=style_name,
        style=style.for_benchmark(spec.name),
    )


def _as_dict(gen: GenerationConfig) -> dict[str, Any]:
    import attrs

    return attrs.asdict(gen, recurse=False)


class DatasetLoader:
    """Finds a benchmark's records: local files first, then the configured hub."""

    def __init__(self, dataset_dir: str | None, hub: str = "modelscope") -> None:
        self.dataset_dir = dataset_dir
        self.hub = hub
        self.local = LocalDirSource()
        if hub != "local" and hub not in dataset_sources:
            from evalscope.core.registry import did_you_mean

            known = ["local", *dataset_sources.names()]
            raise ValueError(f"dataset_hub: unknown dataset source {hub!r}.{did_you_mean(hub, known)} Known: {', '.join(known)}")

    def ref(self, spec: BenchmarkSpec, subset: str, split: str, args: Any) -> DatasetRef:
        roots: list[str] = []
        local_path = args.local_path or (args.dataset_id if args.dataset_id and os.path.exists(args.dataset_id) else None)
        if local_path:
            roots.append(local_path)
        if spec.data.local_dir and os.path.isabs(spec.data.local_dir):  # a YAML benchmark's own folder
            roots.append(spec.data.local_dir)
        elif self.dataset_dir and spec.data.local_dir:
            roots.append(os.path.join(self.dataset_dir, spec.data.local_dir))
        dataset_id = args.dataset_id if args.dataset_id and not os.path.exists(args.dataset_id) else spec.data.dataset_id
        if self.hub == "huggingface" and not args.dataset_id:
            dataset_id = spec.data.hf_dataset_id or spec.data.dataset_id
        hub_subset = spec.data.hub_subset(subset) if spec.data.hub_subset else subset
        hub_split = split
        if spec.data.split_as_subset:
            hub_subset, hub_split = "default", subset
        return DatasetRef(
            benchmark=spec.name,
            subset=subset,
            split=split,
            hub_split=hub_split,
            dataset_id=dataset_id,
            hub_subset=hub_subset,
            local_roots=tuple(roots),
            local_patterns=spec.data.local_patterns,
        )

    def records(self, spec: BenchmarkSpec, subset: str, split: str, args: Any) -> Sequence[dict[str, Any]]:
        ref = self.ref(spec, subset, split, args)
        found: Sequence[dict[str, Any]] | None = self.local.load(ref)
        if found is not None:
            return found
        tried = [str(p) for p in self.local.candidates(ref)]
        if self.hub != "local" and ref.dataset_id:
            try:
                source = dataset_sources.get(self.hub)()
            except UnknownNameError:
                source = None
            if source is not None:
                try:
                    found = source.load(ref)
                except DatasetUnavailableError:
                    raise
                except Exception as exc:  # noqa: BLE001 - hub errors become one clear message
                    raise DatasetUnavailableError(_offline_message(spec, ref, tried, f"{self.hub} hub failed: {type(exc).__name__}: {exc}")) from None
                if found is not None:
                    return found
        raise DatasetUnavailableError(_offline_message(spec, ref, tried, None))


def _offline_message(spec: BenchmarkSpec, ref: DatasetRef, tried: list[str], hub_error: str | None) -> str:
    where = "; ".join(tried) if tried else "no local directory configured"
    msg = f"{spec.name}: subset {ref.subset!r} split {ref.split!r} not found locally (looked for: {where})."
    if hub_error:
        msg += f" {hub_error}."
    msg += (
        " To run offline, point --dataset-dir (or EVALSCOPE_DATASET_DIR) at a directory holding"
        f" {spec.data.local_dir or spec.name}/ with the files {', '.join(spec.data.local_patterns) or '(see the benchmark docs)'},"
        f" or set dataset_args.{spec.name}.local_path."
    )
    return msg


def load_samples(
    task: Task,
    loader: DatasetLoader,
    args: Any,
    limit: int | float | None,
    *,
    model: ModelAPI | None = None,
) -> SampleStream:
    """Samples of every selected subset (first `limit` per subset), with their few-shot pools.

    Records streamed from disk (JSONL files) stay there: each is converted once now, in the pass that
    reads the file (`_checked_stream`), so a record the benchmark cannot use is an error before any
    sample runs, and again on each pass over the samples; the rest are held in memory. A prompt style that reads records its own way
    (`StyleOverride.record_to_sample`) converts both the samples and the few-shot pool."""
    spec = task.spec
    if task.style is not None and task.style.record_to_sample is not None:
        spec = attrs.evolve(spec, data=attrs.evolve(spec.data, record_to_sample=task.style.record_to_sample))
    subsets: Sequence[str] = args.subset_list or spec.data.subsets
    if not args.subset_list and spec.data.discover_subsets is not None:
        roots = [r for r in loader.ref(spec, "default", spec.data.eval_split, args).local_roots if os.path.isdir(r)]
        if roots:
            subsets = spec.data.discover_subsets(roots[0]) or subsets
    unknown = (
        [s for s in subsets if s not in spec.data.subsets]
        if spec.data.group_records is None and spec.data.subsets != ("default",) and spec.data.discover_subsets is None
        else []
    )
    if unknown:
        from evalscope.core.registry import did_you_mean

        raise ValueError(
            f"dataset_args.{spec.name}.subset_list: unknown subset {unknown[0]!r}.{did_you_mean(unknown[0], spec.data.subsets)}"
        )
    chunks: list[list[Sample] | ConvertedRecords] = []
    for subset, records in _subset_records(spec, loader, args, subsets, spec.data.eval_split, task=task, model=model):
        if isinstance(records, StreamedRecords):
            chunks.append(_checked_stream(spec, records, subset, limit))
        else:
            chunks.append(_to_samples(spec, records[: _limit_count(limit, len(records))], subset))
    samples = SampleStream(chunks)
    if task.few_shot_num > 0 and spec.data.fewshot_split:
        # one pass when every subset has its few-shot file; subset by subset when some may lack it
        groups = [list(subsets)] if not spec.data.fewshot_optional else [[s] for s in subsets]
        for group in groups:
            try:
                for name, records in _subset_records(spec, loader, args, group, spec.data.fewshot_split):
                    task.few_shot_pool[name] = _to_samples(spec, records, name)
            except DatasetUnavailableError:
                if not spec.data.fewshot_optional:
                    raise
                log.info("%s/%s: no %s split; zero-shot", spec.name, group[0], spec.data.fewshot_split)
    return samples


def _subset_records(
    spec: BenchmarkSpec, loader: DatasetLoader, args: Any, subsets: Sequence[str], split: str,
    *, task: Task | None = None, model: ModelAPI | None = None,
) -> Iterator[tuple[str, Sequence[dict[str, Any]]]]:
    if spec.data.build_records is not None:  # records made by code (general_arena: battles from earlier runs)
        params = {**spec.scoring.extra_params, **(args.extra_params or {})}
        built = spec.data.build_records(params, task=task, model=model) if spec.data.records_use_model else spec.data.build_records(params)
        for subset in args.subset_list or list(built):
            yield subset, built.get(subset, [])
        return
    if spec.data.group_records is not None:
        grouped = spec.data.group_records(loader.records(spec, "default", split, args))
        for subset in subsets:
            yield subset, grouped.get(subset, [])
        return
    for subset in subsets:
        yield subset, loader.records(spec, subset, split, args)


def _checked_stream(
    spec: BenchmarkSpec, records: StreamedRecords, subset: str, limit: int | float | None
) -> ConvertedRecords:
    """The first `limit` records of a JSONL file as samples converted on each pass, after one pass
    that both checks every line (`StreamedRecords`) and converts the records the run takes, so the
    file is read once here, not once to check its lines and again to convert them. A count limit
    is known before the pass; a fraction's only after it, so then every record is converted and a
    problem past the limit is not one."""
    cap = limit if isinstance(limit, int) else None
    problem: tuple[int, dict[str, Any], Exception] | None = None
    for index, record in enumerate(records):
        if problem is None and (cap is None or index < cap):
            try:
                spec.data.record_to_sample(record, index, subset)
            except (KeyError, ValueError, TypeError, IndexError) as exc:  # a record the benchmark cannot use
                problem = (index, record, exc)
    chosen = records[: _limit_count(limit, len(records))]
    if problem is not None and problem[0] < len(chosen):
        bad_index, bad_record, error = problem
        raise DatasetFormatError(
            f"{spec.name}: {describe_row(records, bad_index, bad_record)}: {_record_problem(error)}"
        ) from error
    return ConvertedRecords(spec, chosen, subset)


def _to_samples(spec: BenchmarkSpec, records: Sequence[dict[str, Any]], subset: str) -> list[Sample]:
    return list(_iter_samples(spec, records, subset))


def _iter_samples(spec: BenchmarkSpec, records: Sequence[dict[str, Any]], subset: str) -> Iterator[Sample]:
    for index, record in enumerate(records):
        try:
            sample = spec.data.record_to_sample(record, index, subset)
        except (KeyError, ValueError, TypeError, IndexError) as exc:  # a record the benchmark cannot use
            raise DatasetFormatError(f"{spec.name}: {describe_row(records, index, record)}: {_record_problem(exc)}") from exc
        if sample.subset == "default":  # a record may name its own subset (mixed collections)
            sample.subset = subset
        yield sample


class ConvertedRecords:
    """The samples of streamed records, converted on each pass (nothing held but the records' line
    numbers). Conversion is deterministic, so every pass yields equal samples."""

    def __init__(self, spec: BenchmarkSpec, records: StreamedRecords, subset: str) -> None:
        self.spec, self.records, self.subset = spec, records, subset

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Sample]:
        return _iter_samples(self.spec, self.records, self.subset)


class SampleStream(Sequence[Sample]):
    """A task's samples in order, subset after subset: lists where the records were read whole,
    `ConvertedRecords` where they stream from disk. The engine takes one pass to find what a rerun
    can reuse and one to evaluate, so a large JSONL dataset is never all in memory. Indexing reads
    up to the sample asked for (for the odd lookup, not for a run)."""

    def __init__(self, chunks: Sequence[list[Sample] | ConvertedRecords]) -> None:
        self.chunks = list(chunks)
        self._len = sum(len(c) for c in self.chunks)

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Sample]:
        for chunk in self.chunks:
            yield from chunk

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return list(self)[index]
        position = index + self._len if index < 0 else index
        if not 0 <= position < self._len:
            raise IndexError("sample index out of range")
        return next(itertools.islice(self, position, None))


def _record_problem(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"missing column {exc.args[0]!r}" if exc.args else "missing column"
    text = str(exc)
    return text if isinstance(exc, ValueError) and text else f"{type(exc).__name__}: {text}"


def _limit_count(limit: int | float | None, total: int) -> int:
    """An int is a count; a float in (0, 1) a fraction (at least one sample). See config._limit."""
    if limit is None:
        return total
    if isinstance(limit, float) and 0 < limit < 1:
        return max(1, math.floor(total * limit))
    return min(total, int(limit))
