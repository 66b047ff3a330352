"""Benchmarks written in YAML: the same three pieces as a built-in spec (data, prompt, scoring).

A YAML benchmark is structured with the strict cattrs converter (unknown keys and wrong types are
errors naming the key path and the file) and checked before any model call: extractor and metric
names against their registries, the regex, the placeholders' syntax. A record missing a column the
YAML names is an error naming the data file and line when the samples load (still before any
model call). Layout and examples: docs/yaml-benchmarks.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from evalscope.benchmarks._mcq import letter_of, option_block
from evalscope.core.benchmark import (
    OUTPUT_TYPES,
    BenchmarkSpec,
    DataSpec,
    PromptContext,
    PromptSpec,
    ScoringSpec,
)
from evalscope.core.extractors import extract_choice, last_number
from evalscope.core.metrics import ACCURACY, get_metric
from evalscope.core.registry import did_you_mean, extractors, metrics
from evalscope.core.serialization import ConfigError, short_repr, structure_strict
from evalscope.core.types import GenerationConfig, ModelOutput, Sample

KINDS = ("generation", "multiple_choice")
#: `{name}` or `{a.b.0}` (a dotted path into nested fields); `{{` and `}}` are literal braces
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][\w.-]*)\}")


@attrs.define(kw_only=True)
class Columns:
    """Which record fields make the sample; a dotted path reaches into nested fields (`choices.text`)."""

    target: str
    #: multiple choice: one list field (`choices.text`) or one field per option (`[A, B, C, D]`)
    choices: str | list[str] | None = None
    #: the options' own labels when the target names one of them (ARC's `1`..`4`)
    choice_labels: str | None = None
    id: str | None = None


@attrs.define(kw_only=True)
class DataPart:
    """Where the records lie: a local file (relative to the YAML file) or a hub id."""

    #: file path relative to the YAML file; `{subset}` and `{split}` are filled in
    path: str | None = None
    dataset_id: str | None = None
    hf_dataset_id: str | None = None
    subsets: list[str] = attrs.field(factory=lambda: ["default"])
    split: str = "test"
    fewshot_split: str | None = None
    columns: Columns
    #: a registered extractor applied to the target field (`last_number` for `... #### 18`)
    target_extract: str | None = None


@attrs.define(kw_only=True)
class PromptPart:
    """The query text: `template` with `{field}` placeholders (`{choices}`: the lettered options)."""

    template: str
    system_prompt: str | None = None
    few_shot_num: int = 0
    #: a few-shot example's answer after its query (default: the target)
    few_shot_answer: str | None = None
    few_shot_separator: str = "\n\n"


@attrs.define(kw_only=True)
class ScoringPart:
    """How an answer is read and scored: an extractor (registered name or regex) and metric names."""

    extract: str | None = None
    #: a regex; its first group (or the whole match) is the prediction
    extract_regex: str | None = None
    metrics: list[str] = attrs.field(factory=lambda: [ACCURACY])
    filters: list[str] = attrs.field(factory=list)


@attrs.define(kw_only=True)
class YamlBenchmark:
    """One benchmark file: identity, then data, prompt and scoring."""

    name: str
    type: str = "generation"
    pretty_name: str = ""
    description: str = ""
    tags: list[str] = attrs.field(factory=list)
    #: modes offered (the first is the default); multiple choice defaults to multiple_choice, generation
    output_types: list[str] | None = None
    data: DataPart
    prompt: PromptPart
    scoring: ScoringPart = attrs.field(factory=ScoringPart)
    generation_config: GenerationConfig | None = None


# -- extractors ------------------------------------------------------------------------------------
def _last_number(text: str, sample: Sample | None) -> Any:
    return last_number(text)


def _choice(text: str, sample: Sample | None) -> Any:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[: len(sample.choices or "ABCD")] if sample is not None else "ABCD"
    return extract_choice(text, letters)


def _strip(text: str, sample: Sample | None) -> Any:
    return text.strip()


for _name, _fn in (("last_number", _last_number), ("choice", _choice), ("strip", _strip)):
    if _name not in extractors:
        extractors.register(_name, _fn)


# -- loading ---------------------------------------------------------------------------------------
def spec_from_yaml(data: Any, path: str | Path) -> BenchmarkSpec:
    """A BenchmarkSpec from a parsed YAML document; every problem is a ConfigError naming `path`
    and the key path."""
    path = Path(path)
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: expected a mapping (name:, data:, prompt:, scoring:), got {type(data).__name__}"
        )
    bench = structure_strict(data, YamlBenchmark, where=str(path))
    _check(bench, path)
    return _build(bench, path)


def _check(bench: YamlBenchmark, path: Path) -> None:
    def fail(key: str, problem: str) -> None:
        raise ConfigError(f"{path}: {key}: {problem}")

    if not re.fullmatch(r"[A-Za-z0-9_.-]+", bench.name):
        fail("name", f"{short_repr(bench.name)} must be letters, digits, '_', '-' or '.'")
    if bench.type not in KINDS:
        fail("type", f"must be one of {', '.join(KINDS)}, not {short_repr(bench.type)}")
    for i, output_type in enumerate(bench.output_types or []):
        allowed = OUTPUT_TYPES if bench.type == "multiple_choice" else ("generation",)
        if output_type not in allowed:
            fail(f"output_types[{i}]", f"must be one of {', '.join(allowed)}, not {short_repr(output_type)}")
    data = bench.data
    if not data.path and not data.dataset_id and not data.hf_dataset_id:
        fail("data", "name a local file (path:) or a hub dataset (dataset_id:, hf_dataset_id:)")
    if data.path and Path(data.path).is_absolute():
        fail("data.path", "write it relative to the YAML file")
    if not data.subsets:
        fail("data.subsets", "name at least one subset")
    if bench.type == "multiple_choice" and not data.columns.choices:
        fail(
            "data.columns.choices",
            "a multiple_choice benchmark needs its options (a list field, or one field per option)",
        )
    if bench.type == "generation" and data.columns.choices:
        fail(
            "data.columns.choices", "only multiple_choice benchmarks have options (set type: multiple_choice)"
        )
    if data.target_extract is not None and data.target_extract not in extractors:
        fail("data.target_extract", _unknown("extractor", data.target_extract, extractors.names()))
    prompt = bench.prompt
    if prompt.few_shot_num < 0:
        fail("prompt.few_shot_num", f"must be 0 or more, not {prompt.few_shot_num}")
    if prompt.few_shot_num and not data.fewshot_split:
        fail("prompt.few_shot_num", "few-shot examples need data.fewshot_split")
    for key, text in (
        ("prompt.template", prompt.template),
        ("prompt.few_shot_answer", prompt.few_shot_answer),
    ):
        if text is not None:
            _check_placeholders(text, f"{path}: {key}")
    scoring = bench.scoring
    if scoring.extract is not None and scoring.extract_regex is not None:
        fail("scoring", "give extract or extract_regex, not both")
    if scoring.extract is not None and scoring.extract not in extractors:
        fail("scoring.extract", _unknown("extractor", scoring.extract, extractors.names()))
    if scoring.extract_regex is not None:
        try:
            re.compile(scoring.extract_regex)
        except re.error as exc:
            fail("scoring.extract_regex", f"not a valid regular expression ({exc})")
    if not scoring.metrics:
        fail("scoring.metrics", "name at least one metric")
    for i, name in enumerate(scoring.metrics):
        if name not in metrics:
            fail(f"scoring.metrics[{i}]", _unknown("metric", name, metrics.names()))
        if get_metric(name).score is None:
            fail(
                f"scoring.metrics[{i}]",
                f"{name!r} cannot score a sample by itself (it is a benchmark's own metric)",
            )


def _unknown(kind: str, name: str, known: list[str]) -> str:
    return f"unknown {kind} {name!r}.{did_you_mean(name, known)} Known: {', '.join(known)}"


def _check_placeholders(text: str, where: str) -> None:
    rest = _PLACEHOLDER.sub("", text)
    if "{" in rest or "}" in rest:
        raise ConfigError(
            f"{where}: a brace that is not a {{field}} placeholder; write {{{{ or }}}} for a literal brace"
        )


# -- the spec --------------------------------------------------------------------------------------
def _field(record: dict[str, Any], dotted: str, where: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise ValueError(f"missing column {dotted!r} ({where})")
    return value


def _render(template: str, record: dict[str, Any], extra: dict[str, str], where: str) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)[0]
        if name in extra:
            return extra[name]
        return str(_field(record, name, where))

    return _PLACEHOLDER.sub(fill, template)


def _record_to_sample(bench: YamlBenchmark, path: Path) -> Callable[[dict[str, Any], int, str], Sample]:
    cols, prompt = bench.data.columns, bench.prompt
    target_extract = extractors.get(bench.data.target_extract) if bench.data.target_extract else None

    def where(key: str) -> str:
        return f"{key} in {path.name}"

    def convert(record: dict[str, Any], index: int, subset: str) -> Sample:
        choices = None
        if isinstance(cols.choices, str):
            raw = _field(record, cols.choices, where("data.columns.choices"))
            if not isinstance(raw, list):
                raise ValueError(
                    f"{cols.choices!r} is not a list of options ({where('data.columns.choices')})"
                )
            choices = [str(c) for c in raw]
        elif cols.choices:
            choices = [str(_field(record, c, where("data.columns.choices"))) for c in cols.choices]
        target: Any = _field(record, cols.target, where("data.columns.target"))
        if target_extract is not None:
            target = target_extract(str(target), None)
        if choices is not None:
            labels = (
                _field(record, cols.choice_labels, where("data.columns.choice_labels"))
                if cols.choice_labels
                else None
            )
            target = letter_of(target, [str(x) for x in labels] if labels else None)
        else:
            target = str(target).strip() if target is not None else target
        extra = (
            {"choices": option_block(Sample(id="", input="", choices=choices))} if choices is not None else {}
        )
        text = _render(prompt.template, record, extra, where("prompt.template"))
        answer = (
            _render(prompt.few_shot_answer, record, extra, where("prompt.few_shot_answer"))
            if prompt.few_shot_answer
            else str(target)
        )
        row_id = _field(record, cols.id, where("data.columns.id")) if cols.id else index
        return Sample(
            id=str(row_id), input=text, choices=choices, target=target, metadata={"few_shot_answer": answer}
        )

    return convert


def _format_query(bench: YamlBenchmark) -> Callable[[Sample, PromptContext], str]:
    separator = bench.prompt.few_shot_separator

    def format_query(sample: Sample, ctx: PromptContext) -> str:
        shots = [f"{s.input} {s.metadata.get('few_shot_answer', s.target)}" for s in ctx.few_shot]
        return separator.join([*shots, str(sample.input)])

    return format_query


def _extract(bench: YamlBenchmark) -> Callable[[str, Sample], Any] | None:
    scoring = bench.scoring
    if scoring.extract_regex is not None:
        pattern = re.compile(scoring.extract_regex)

        def by_regex(text: str, sample: Sample) -> Any:
            found = pattern.findall(text)
            if not found:
                return None
            last = found[-1]
            return (last[0] if isinstance(last, tuple) else last).strip()

        return by_regex
    if scoring.extract is not None:
        return extractors.get(scoring.extract)
    return None


def _score(names: tuple[str, ...]) -> Callable[..., dict[str, float]]:
    chosen = [(name, get_metric(name).score) for name in names]

    def score(prediction: Any, sample: Sample, output: ModelOutput) -> dict[str, float]:
        return {name: float(fn(prediction, sample.target)) for name, fn in chosen if fn is not None}

    return score


def _build(bench: YamlBenchmark, path: Path) -> BenchmarkSpec:
    data, mcq = bench.data, bench.type == "multiple_choice"
    default_types = ("multiple_choice", "generation") if mcq else ("generation",)
    names = tuple(bench.scoring.metrics)
    return BenchmarkSpec(
        name=bench.name,
        data=DataSpec(
            dataset_id=data.dataset_id,
            hf_dataset_id=data.hf_dataset_id,
            subsets=tuple(data.subsets),
            eval_split=data.split,
            fewshot_split=data.fewshot_split,
            local_dir=str(path.resolve().parent) if data.path else None,
            local_patterns=(data.path,) if data.path else (),
            record_to_sample=_record_to_sample(bench, path),
        ),
        prompt=PromptSpec(
            few_shot_num=bench.prompt.few_shot_num,
            format_query=_format_query(bench),
            system_prompt=bench.prompt.system_prompt,
            generation_config=bench.generation_config or GenerationConfig(),
        ),
        scoring=ScoringSpec(
            metrics=names, extract=_extract(bench), score=_score(names), filters=tuple(bench.scoring.filters)
        ),
        pretty_name=bench.pretty_name or bench.name,
        description=bench.description or f"YAML benchmark {path.name}",
        tags=tuple(bench.tags),
        output_types=tuple(bench.output_types or default_types),
        mcq=mcq,
    )


__all__ = ["YamlBenchmark", "spec_from_yaml"]
