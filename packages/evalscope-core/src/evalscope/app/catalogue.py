"""The benchmark catalogue: what a user needs to know before running a benchmark.

`describe_benchmark` is the one description of a benchmark that `evalscope benchmarks` (list and
NAME views) and the report site's Benchmarks page both show: data source and local layout, subsets,
one rendered prompt (built through `build_task` + `Task.build_request`, the code path of a run),
extraction in words, metrics, output types, few-shot default and the command to run it.
Imports only the benchmark's spec module; never a model, a hub client or anything heavy.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

#: the model the README's quick start uses (a local GGUF checkpoint)
DEFAULT_MODEL = "smollm2-135m-instruct"

#: the built-in extractors, in words (keyed by `module.qualname` of the spec's `extract`/`predict`)
EXTRACTOR_WORDS: dict[str, str] = {
    "_math_common.extract": "the last \\boxed{} answer (else a Minerva or 'the answer is' cue, else the last number)",
    "gsm8k.extract": "the last number of the reply, before any new 'Question:' the model starts",
    "bbh.extract": "the text after the last 'the answer is' (an option letter for multiple-choice tasks)",
    "gpqa.extract": "the last \\boxed{} letter, else the option-letter extractor",
    "humaneval.extract": "the code of the reply (its fenced code block, else the text)",
    "mbpp.extract": "the code of the reply (its fenced code block, else the text)",
    "ifeval.extract": "the reply checked against each instruction (strict and loose)",
    "process_bench.extract": "the integer in the last \\boxed{} (the first wrong step, -1 for none)",
    "trivia_qa.extract": "the reply up to any new 'Question:', stripped",
    "truthful_qa.predict": "the option letter the reply picks (MC1)",
    "data_collection.predict": "each row by its own benchmark's extraction",
}

#: built-in scorers, in words (`module.qualname` of the spec's `score`)
SCORER_WORDS: dict[str, str] = {
    "benchmark.exact_match": "exact match with the gold answer",
    "_math_common.score": "math equivalence (string, numeric, structural, then sympy)",
    "gsm8k.score": "numeric equality with the gold number",
    "gpqa.score": "the letter equals the gold option (Pass@1)",
    "ifeval.score": "the share of instructions followed, per prompt and per instruction, strict and loose",
    "truthful_qa.score": "MC1 (the likeliest answer is the true one) and MC2 (probability mass on true answers)",
    "trivia_qa.score": "correct when any answer alias appears in the normalised reply",
    "process_bench.score": "the predicted first wrong step equals the gold one (error / correct accuracy, F1)",
    "general_qa.score": "BLEU-1..4 and ROUGE-1/2/L against the reference answer",
    "data_collection.score": "each row by its own benchmark's scorer",
}

#: what each request kind means, in words
KIND_WORDS = {
    "multiple_choice": "the option letter with the highest next-token probability (no text is generated)",
    "continuation": "the option whose continuation has the highest log-likelihood (no text is generated)",
}


@attrs.define
class LocalLayout:
    """Where `--dataset-dir` must hold the benchmark's files, and whether they are there."""

    folder: str | None
    patterns: list[str]
    #: the folder resolved under the dataset dir (None: no dataset dir given, or no local layout)
    path: str | None = None
    found: bool = False
    #: subsets whose evaluation file is there, out of those looked for
    subsets_found: int = 0
    subsets_checked: int = 0


@attrs.define
class Example:
    """One prompt as a run sends it, or the template where the data is not local."""

    rendered: bool
    output_type: str
    #: why the prompt is not rendered (data not local, records built by code, ...)
    note: str = ""
    subset: str = ""
    sample_id: str = ""
    #: chat messages of the request: [{"role": ..., "content": ...}]
    messages: list[dict[str, str]] = attrs.field(factory=list)
    #: raw prompt (continuation context, or a raw completion)
    prompt: str | None = None
    #: option letters (multiple_choice) or option continuations (continuation)
    choices: list[str] = attrs.field(factory=list)
    target: str = ""
    #: the user-message template and system prompt (shown when nothing is rendered)
    template: str = ""
    system_prompt: str | None = None
    #: the function writing {query} from a sample, in words (shown with the template)
    formatter: str = ""


@attrs.define
class BenchmarkCard:
    """Everything `evalscope benchmarks NAME` and the site's detail view show about one benchmark."""

    name: str
    pretty_name: str = ""
    description: str = ""
    tags: list[str] = attrs.field(factory=list)
    dataset_id: str | None = None
    hf_dataset_id: str | None = None
    eval_split: str = "test"
    fewshot_split: str | None = None
    few_shot_num: int = 0
    local: LocalLayout = attrs.field(factory=lambda: LocalLayout(None, []))
    subsets: list[str] = attrs.field(factory=list)
    metrics: list[str] = attrs.field(factory=list)
    output_types: list[str] = attrs.field(factory=list)
    #: the output type a local model (all request kinds) and a service (generation only) get
    local_model_output_type: str | None = None
    service_output_type: str | None = None
    #: how an answer is read and scored, in words, one line per step
    extraction: list[str] = attrs.field(factory=list)
    example: Example | None = None
    command: str = ""
    #: the spec failed to load (a broken plug-in): the other fields are empty
    error: str | None = None


def load_spec(name: str) -> Any:
    """The spec registered as `name`, or read from a YAML benchmark file (its errors are ConfigErrors)."""
    from evalscope.app.benchmark_files import is_benchmark_file, load_benchmark_file
    from evalscope.benchmarks import get_benchmark

    return load_benchmark_file(name) if is_benchmark_file(name) else get_benchmark(name)


def describe_benchmark(name: str, dataset_dir: str | None = None, *, example: bool = True) -> BenchmarkCard:
    """The catalogue entry of `name` (a registered name or a YAML benchmark file).

    With `example`, the first sample of the local data is built into a request with the default
    settings (as `evalscope eval` would for a local model); without, nothing is read but file names.
    A spec that fails to import gives a card with `error`; a YAML file's mistakes raise ConfigError.
    """
    from evalscope.core.serialization import ConfigError

    try:
        spec = load_spec(name)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken or missing spec module is listed, not fatal
        return BenchmarkCard(name=name, error=f"{type(exc).__name__}: {exc}")
    card = BenchmarkCard(
        name=spec.name,
        pretty_name=spec.pretty_name or spec.name,
        description=spec.description,
        tags=list(spec.tags),
        dataset_id=spec.data.dataset_id,
        hf_dataset_id=spec.data.hf_dataset_id,
        eval_split=spec.data.eval_split,
        fewshot_split=spec.data.fewshot_split,
        few_shot_num=spec.prompt.few_shot_num,
        local=local_layout(spec, dataset_dir),
        subsets=list(spec.data.subsets),
        metrics=list(spec.scoring.metrics),
        output_types=list(spec.output_types),
        local_model_output_type=_output_type_for(spec, local=True),
        service_output_type=_output_type_for(spec, local=False),
        command=run_command(name, dataset_dir),
    )
    card.extraction = extraction_words(spec, card.local_model_output_type)
    if example:
        card.example = render_example(spec, dataset_dir)
    return card


def local_layout(spec: Any, dataset_dir: str | None) -> LocalLayout:
    """The folder and file patterns a run looks for, checked for each subset's evaluation file."""
    layout = LocalLayout(spec.data.local_dir, list(spec.data.local_patterns))
    if not spec.data.local_dir:
        return layout
    if os.path.isabs(spec.data.local_dir):  # a YAML benchmark's own folder
        layout.path = spec.data.local_dir
    elif dataset_dir:
        layout.path = str(Path(dataset_dir) / spec.data.local_dir)
    else:
        return layout
    layout.found = os.path.isdir(layout.path)
    if layout.found and spec.data.local_patterns:
        subsets = (
            ("default",)
            if spec.data.group_records is not None or spec.data.discover_subsets is not None
            else spec.data.subsets
        )
        root = Path(layout.path)
        layout.subsets_checked = len(subsets)
        layout.subsets_found = sum(
            any((root / p.format(subset=s, split=spec.data.eval_split)).is_file() for p in spec.data.local_patterns)
            for s in subsets
        )
    return layout


def _output_type_for(spec: Any, *, local: bool) -> str | None:
    from evalscope.core.tasks import choose_output_type
    from evalscope.core.types import RequestKind

    kinds = frozenset(RequestKind) if local else frozenset({RequestKind.GENERATE})
    try:
        return choose_output_type(spec, None, kinds)
    except ValueError:
        return None


def run_command(name: str, dataset_dir: str | None) -> str:
    """The command that runs five samples of the benchmark with the quick start's local model."""
    parts = ["evalscope eval", f"--model {DEFAULT_MODEL}", f"--datasets {name}", "--limit 5"]
    if dataset_dir and not os.environ.get("EVALSCOPE_DATASET_DIR"):
        parts.insert(3, f"--dataset-dir {dataset_dir}")
    return " ".join(parts)


def _qualname(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__.rsplit('.', 1)[-1]}.{getattr(fn, '__qualname__', repr(fn))}"


def _words(fn: Callable[..., Any], table: dict[str, str]) -> str:
    """A function in words: the table's words, else its docstring's first line, else its name."""
    key = _qualname(fn)
    doc = inspect.getdoc(fn)
    return table.get(key) or (doc.splitlines()[0].rstrip(".") if doc else f"{key}()")


def extraction_words(spec: Any, output_type: str | None) -> list[str]:
    """How a reply becomes a prediction and a score, one line per step."""
    from evalscope.core.benchmark import exact_match

    lines: list[str] = []
    if output_type in KIND_WORDS:
        lines.append(f"{output_type}: {KIND_WORDS[output_type]}")
    if "generation" in spec.output_types:
        steps: list[str] = []
        if spec.scoring.filters:
            steps.append(f"filters {', '.join(spec.scoring.filters)} (e.g. <think> blocks removed)")
        if spec.predict is not None:
            steps.append(_words(spec.predict, EXTRACTOR_WORDS))
        elif spec.scoring.extract is not None:
            steps.append(_words(spec.scoring.extract, EXTRACTOR_WORDS))
        elif spec.mcq:
            steps.append(
                "the option letter the reply picks (answer cues in English and Chinese, then a lone letter)"
            )
        else:
            steps.append("the whole reply, stripped")
        lines.append("generation: " + "; then ".join(steps))
    if spec.scoring.score is exact_match and spec.mcq:
        lines.append("score: the letter equals the gold option")
    else:
        lines.append(f"score: {_words(spec.scoring.score, SCORER_WORDS)}")
    return lines


def _formatter_words(spec: Any) -> str:
    from evalscope.core.benchmark import default_query

    if spec.prompt.format_query is default_query:
        return "the question as it is (default_query)"
    doc = inspect.getdoc(spec.prompt.format_query)
    return _qualname(spec.prompt.format_query) + (f": {doc.splitlines()[0]}" if doc else "")


def render_example(spec: Any, dataset_dir: str | None) -> Example:
    """The first local sample built into a request, as a run with the default settings and a local
    model builds it; the template (with a note why) when the data is not there."""
    from evalscope.app.plan import DEFAULT_GENERATION
    from evalscope.core.dataset_args import DatasetArgs
    from evalscope.core.datasets import DatasetUnavailableError
    from evalscope.core.tasks import DatasetLoader, build_task, load_samples
    from evalscope.core.types import RequestKind

    output_type = _output_type_for(spec, local=True) or spec.output_types[0]
    bare = Example(
        rendered=False,
        output_type=output_type,
        template=spec.prompt.prompt_template,
        system_prompt=spec.prompt.system_prompt,
        formatter=_formatter_words(spec),
    )
    if spec.data.build_records is not None:
        bare.note = (
            "its samples are built with the evaluated model's tokenizer when a run starts"
            if spec.data.records_use_model
            else "its records are built from earlier runs, not read from files"
        )
        return bare
    args = DatasetArgs()
    if spec.data.discover_subsets is None and spec.data.group_records is None and spec.data.subsets:
        args = DatasetArgs(subset_list=[spec.data.subsets[0]])
    try:
        task = build_task(
            spec,
            args=args,
            capabilities=frozenset(RequestKind),
            generation_config=DEFAULT_GENERATION["checkpoint"],
            seed=None,
        )
        samples = load_samples(task, DatasetLoader(dataset_dir, "local"), args, 1)
        sample = next(iter(samples), None)
        if sample is None:
            bare.note = "the local data holds no samples"
            return bare
        request = task.build_request(sample)
    except DatasetUnavailableError:
        where = f"under {dataset_dir}" if dataset_dir else "(no --dataset-dir given)"
        bare.note = f"the data is not local {where}: the template is shown instead"
        return bare
    except Exception as exc:  # noqa: BLE001 - a description never fails on one odd record
        bare.note = f"could not render a sample: {type(exc).__name__}: {exc}"
        return bare
    return Example(
        rendered=True,
        output_type=task.output_type,
        subset=sample.subset,
        sample_id=str(sample.id),
        messages=[{"role": m.role, "content": m.text} for m in request.messages or []],
        prompt=request.prompt,
        choices=list(request.choices or []),
        target=str(sample.target),
        template=task.prompt_template,
        system_prompt=task.system_prompt,
    )


def summary(card: BenchmarkCard, max_subsets: int = 4) -> dict[str, Any]:
    """The list view's dict of a card (the keys `evalscope benchmarks --format json` has always had)."""
    if card.error is not None:
        return {"name": card.name, "error": card.error}
    return {
        "name": card.name,
        "pretty_name": card.pretty_name,
        "description": card.description,
        "tags": card.tags,
        "num_subsets": len(card.subsets),
        "subsets": card.subsets,
        "first_subsets": card.subsets[:max_subsets],
        "metrics": card.metrics,
        "output_types": card.output_types,
        "few_shot_num": card.few_shot_num,
        "eval_split": card.eval_split,
        "dataset_id": card.dataset_id,
        "hf_dataset_id": card.hf_dataset_id,
        "local_dir": card.local.folder,
        "local_path": card.local.path,
        "local_found": card.local.found,
    }


def to_json(card: BenchmarkCard) -> dict[str, Any]:
    """The card as plain JSON data (cattrs)."""
    import cattrs

    return dict(cattrs.Converter().unstructure(card))


__all__ = [
    "BenchmarkCard",
    "Example",
    "LocalLayout",
    "describe_benchmark",
    "extraction_words",
    "local_layout",
    "render_example",
    "run_command",
    "summary",
    "to_json",
]
