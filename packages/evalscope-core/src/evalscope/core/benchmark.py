"""Declarative benchmark specs and the task a spec becomes once configured.

A benchmark is a `BenchmarkSpec`: where its data lies, how a record becomes a `Sample`, how the
query text is written, and (only where the defaults do not fit) one small extraction or scoring
function. Multiple-choice specs run in three modes:

- ``multiple_choice``: next-token probability of each option letter (local models);
- ``continuation``: summed log-likelihood of each option text (local models);
- ``generation``: free text, then a robust option-letter extractor (any model, services too).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from evalscope.core.extractors import extract_choice
from evalscope.core.filters import apply_filters
from evalscope.core.metrics import ACCURACY, get_metric
from evalscope.core.prompt_styles import StyleOverride
from evalscope.core.types import (
    ChatMessage,
    GenerationConfig,
    ModelOutput,
    ModelRequest,
    RequestKind,
    Sample,
)

if TYPE_CHECKING:
    from evalscope.core.agent import Agent

OutputType = Literal["generation", "multiple_choice", "continuation"]
OUTPUT_TYPES: tuple[str, ...] = ("generation", "multiple_choice", "continuation")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class SampleNotEvaluated(Exception):
    """Raised by a scorer when it cannot judge a sample (not a wrong answer: no verdict at all).

    The sample is stored as SKIPPED with `reason`. With `stop_run`, the run stops scheduling new
    samples (every one would fail the same way) and ends with `reason` and `hint` (what to change).
    """

    def __init__(self, reason: str, *, hint: str = "", stop_run: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint
        self.stop_run = stop_run


@attrs.define
class PromptContext:
    """What a query formatter may use besides the sample itself."""

    subset: str
    few_shot: list[Sample]
    output_type: str
    params: dict[str, Any] = attrs.field(factory=dict)
    #: "default" or "evalscope-0.12" (EvalScope 0.12's prompt text; see docs/evalscope-0.12-compat.md)
    prompt_style: str = "default"


def default_query(sample: Sample, ctx: PromptContext) -> str:
    return sample.input if isinstance(sample.input, str) else sample.input[-1].text


def exact_match(prediction: Any, sample: Sample, output: ModelOutput) -> dict[str, float]:
    return {ACCURACY: float(prediction is not None and prediction != "" and prediction == sample.target)}


@attrs.define(kw_only=True)
class DataSpec:
    """Where a benchmark's records come from and how one becomes a `Sample`."""

    record_to_sample: Callable[[dict[str, Any], int, str], Sample]
    #: hub ids (ModelScope first, HF as an alternative)
    dataset_id: str | None = None
    hf_dataset_id: str | None = None
    #: our subset name -> the hub's subset name
    hub_subset: Callable[[str], str] | None = None
    subsets: tuple[str, ...] = ("default",)
    eval_split: str = "test"
    fewshot_split: str | None = None
    #: the few-shot split may be missing (then zero-shot)
    fewshot_optional: bool = False
    #: folder under the dataset dir, and file names inside it ({subset}, {split} placeholders)
    local_dir: str | None = None
    local_patterns: tuple[str, ...] = ()
    #: the hub publishes each subset as a split of one configuration (process_bench, musr)
    split_as_subset: bool = False
    #: user data (general_mcq): subsets found in the local directory when none are named
    discover_subsets: Callable[[str], list[str]] | None = None
    #: when the source holds one bucket, spread records into subsets by a field (e.g. level)
    group_records: Callable[[Sequence[dict[str, Any]]], dict[str, list[dict[str, Any]]]] | None = None
    #: records made by code rather than read from files: the task's params -> {subset: records}
    #: (general_arena builds its battles from earlier runs' predictions)
    build_records: Callable[..., dict[str, list[dict[str, Any]]]] | None = None
    #: `build_records` also takes `task=` (the bound Task) and `model=` (the evaluated `ModelAPI`, or
    #: None when no model is open): needle_haystack measures its prompts in the model's tokens
    records_use_model: bool = False


@attrs.define(kw_only=True)
class PromptSpec:
    """How a sample becomes the model's input: query text, template, few-shot, generation settings."""

    format_query: Callable[[Sample, PromptContext], str] = default_query
    #: user-message template; {query} and {subset_name} are filled in
    prompt_template: str = "{query}"
    system_prompt: str | None = None
    few_shot_num: int = 0
    max_few_shot: int | None = None
    generation_config: GenerationConfig = attrs.field(factory=GenerationConfig)
    #: continuation mode: the context (raw text); defaults to the formatted query
    format_context: Callable[[Sample, PromptContext], str] | None = None
    #: continuation mode: the option continuations; defaults to " " + each choice
    continuations: Callable[[Sample], list[str]] | None = None
    #: continuation mode, partial scoring: text each option adds to the context; `continuations`
    #: are then scored after `context + choice_contexts[i]` (WinoGrande)
    choice_contexts: Callable[[Sample], list[str]] | None = None


@attrs.define(kw_only=True)
class ScoringSpec:
    """How a model output becomes a prediction and the prediction a score."""

    metrics: tuple[str, ...] = (ACCURACY,)
    filters: tuple[str, ...] = ()
    #: generation: text -> prediction; MCQ default is the option-letter extractor
    extract: Callable[[str, Sample], Any] | None = None
    #: prediction -> {metric: value}; default exact match on AverageAccuracy. Specs that declare
    #: `extra_params` get the run's values as a `params=` keyword (see `Task.score`).
    score: Callable[..., dict[str, float]] = exact_match
    #: scoring blocks (runs code, heavy sympy): run it off the event loop
    blocking_score: bool = False
    #: continuation mode: divide each option's log-likelihood by its length in characters
    length_normalize: bool = False
    #: metrics that are not means of per-sample values: results -> {metric: value} (see report.py)
    aggregate: Callable[[Sequence[Any]], dict[str, float]] | None = None
    #: benchmark-specific parameters users may set through dataset_args.extra_params
    extra_params: dict[str, Any] = attrs.field(factory=dict)


#: the three parts by attribute name (the compatibility properties below read them)
PARTS: dict[str, type] = {"data": DataSpec, "prompt": PromptSpec, "scoring": ScoringSpec}


def _forward(part: str, name: str) -> Any:
    """A read-only property `spec.<name>` -> `spec.<part>.<name>` (compatibility, one release)."""

    def get(self: BenchmarkSpec) -> Any:
        return getattr(getattr(self, part), name)

    return property(get, doc=f"Deprecated: read `{part}.{name}`.")


@attrs.define(kw_only=True)
class BenchmarkSpec:
    """Everything that defines a benchmark: identity and hooks here, the rest in three parts.

    ``BenchmarkSpec(name=..., data=DataSpec(...), prompt=PromptSpec(...), scoring=ScoringSpec(...))``;
    only `name` and `data.record_to_sample` are required.

    ========  ===================================================================================
    part      fields
    ========  ===================================================================================
    (top)     name, pretty_name, description, tags, category, output_types, mcq, and the hooks
              that replace whole steps: build_request, predict, on_report, agent
    data      record_to_sample, dataset_id, hf_dataset_id, hub_subset, subsets, eval_split,
              fewshot_split, fewshot_optional, local_dir, local_patterns, split_as_subset,
              discover_subsets, group_records, build_records, records_use_model
    prompt    format_query, prompt_template, system_prompt, few_shot_num, max_few_shot,
              generation_config, format_context, continuations, choice_contexts
    scoring   metrics, filters, extract, score, blocking_score, length_normalize, aggregate,
              extra_params
    ========  ===================================================================================

    For one release every part field stays readable as ``spec.<field>`` (a read-only property);
    new code reads ``spec.data.<field>`` etc. The constructor takes only the parts.
    """

    name: str
    data: DataSpec
    prompt: PromptSpec = attrs.field(factory=PromptSpec)
    scoring: ScoringSpec = attrs.field(factory=ScoringSpec)
    pretty_name: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    #: subset -> its categories in the report
    category: Callable[[str], tuple[str, ...]] | None = None
    #: modes this spec supports; the first is the default for models that can compute it
    output_types: tuple[str, ...] = ("generation",)
    #: a multiple-choice benchmark: generation mode extracts an option letter by default
    mcq: bool = False
    #: per-sample request and prediction (mixed collections), replacing Task.build_request / Task.predict
    build_request: Callable[[Task, Sample], ModelRequest] | None = None
    predict: Callable[[Task, Sample, ModelOutput], tuple[str | None, Any]] | None = None
    #: called after the task's report is saved: (report, run_dir, model_id, print_tables)
    on_report: Callable[..., Any] | None = None
    #: the agent loop (`evalscope.core.agent`): the sample's tools and budgets, or None to answer it
    #: in one call; called with the bound Task (its `params` hold the budgets) and the sample
    agent: Callable[[Task, Sample], Agent | None] | None = None

    def category_of(self, subset: str) -> tuple[str, ...]:
        return self.category(subset) if self.category else ("default",)


for _part, _cls in PARTS.items():
    for _field in attrs.fields(_cls):
        setattr(BenchmarkSpec, _field.name, _forward(_part, _field.name))


def mcq_spec(**kwargs: Any) -> BenchmarkSpec:
    """A multiple-choice spec: generation mode extracts option letters unless told otherwise."""
    kwargs.setdefault("output_types", ("multiple_choice", "generation"))
    return BenchmarkSpec(mcq=True, **kwargs)


def format_choices(choices: Sequence[str], style: str = "{letter}. {text}") -> str:
    return "\n".join(style.format(letter=LETTERS[i], text=c) for i, c in enumerate(choices))


@attrs.define
class Task:
    """A spec bound to a run's settings: the output type, few-shot pool, prompts and filters."""

    spec: BenchmarkSpec
    output_type: str
    few_shot_num: int
    generation_config: GenerationConfig
    prompt_template: str
    system_prompt: str | None
    filters: list[str] | dict[str, Any] | None
    metrics: tuple[str, ...]
    few_shot_random: bool = False
    seed: int = 42
    params: dict[str, Any] = attrs.field(factory=dict)
    prompt_style: str = "default"
    #: what the prompt style changes for this benchmark (core/prompt_styles.py); None: nothing
    style: StyleOverride | None = None
    few_shot_pool: dict[str, list[Sample]] = attrs.field(factory=dict)
    #: metric -> judge strategy, for the metrics whose values are LLM-judge verdicts (core/judge/setup.py)
    judge_verdicts: dict[str, str] = attrs.field(factory=dict)
    #: how the model takes this task's tools (`ModelAPI.tool_mode`), set while planning; "" without tools
    tool_mode: str = ""
    #: answers per item (`repeats`; 1 for log-likelihood output types, which are deterministic),
    #: set while planning; each is its own record (`SampleKey`), the report adds mean/pass@k/vote@k
    repeats: int = 1
    #: why the run's `repeats` do not apply to this task (printed under the table); "" when they do
    repeats_note: str = ""

    @property
    def name(self) -> str:
        return self.spec.name

    def few_shot_for(self, sample: Sample) -> list[Sample]:
        pool = self.few_shot_pool.get(sample.subset, [])
        k = min(self.few_shot_num, len(pool))
        if k <= 0:
            return []
        if self.few_shot_random:
            return random.Random(f"{self.seed}:{sample.subset}:{sample.id}").sample(pool, k)
        return pool[:k]

    def context(self, sample: Sample) -> PromptContext:
        return PromptContext(
            subset=sample.subset,
            few_shot=self.few_shot_for(sample),
            output_type=self.output_type,
            params=self.params,
            prompt_style=self.prompt_style,
        )

    def messages(self, sample: Sample, ctx: PromptContext) -> list[ChatMessage]:
        if not isinstance(sample.input, str) and self.spec.prompt.format_query is default_query:
            history = list(sample.input)  # chat-native samples keep their messages
        else:
            format_query = (
                self.style.format_query
                if self.style and self.style.format_query
                else self.spec.prompt.format_query
            )
            query = format_query(sample, ctx)
            text = self.prompt_template.replace("{query}", query).replace("{subset_name}", sample.subset)
            history = [ChatMessage("user", text)]
        if self.system_prompt and history[0].role != "system":
            history.insert(0, ChatMessage("system", self.system_prompt))
        return history

    def build_request(self, sample: Sample) -> ModelRequest:
        if self.style is not None and self.style.build_request is not None:
            return self.style.build_request(self, sample)
        if self.spec.build_request is not None:
            return self.spec.build_request(self, sample)
        return self.default_build_request(sample)

    def default_build_request(self, sample: Sample) -> ModelRequest:
        """The request without the spec's own `build_request`: messages for generation and option
        letters, the raw context for continuations."""
        ctx = self.context(sample)
        if self.output_type == "continuation":
            context = (self.spec.prompt.format_context or self.spec.prompt.format_query)(sample, ctx)
            conts = (
                self.spec.prompt.continuations(sample)
                if self.spec.prompt.continuations
                else [" " + c for c in sample.choices or []]
            )
            contexts = self.spec.prompt.choice_contexts(sample) if self.spec.prompt.choice_contexts else None
            return ModelRequest(
                kind=RequestKind.LOGLIKELIHOOD,
                prompt=context,
                choices=conts,
                config=self.generation_config,
                contexts=contexts,
            )
        if self.output_type == "multiple_choice":
            letters = list(LETTERS[: len(sample.choices or [])])
            return ModelRequest(
                kind=RequestKind.CHOICE_PROBS,
                messages=self.messages(sample, ctx),
                choices=letters,
                config=self.generation_config,
            )
        return ModelRequest(
            kind=RequestKind.GENERATE, messages=self.messages(sample, ctx), config=self.generation_config
        )

    def agent_for(self, sample: Sample) -> Agent | None:
        """The agent that solves `sample` (`BenchmarkSpec.agent`), or None: one model call."""
        return None if self.spec.agent is None else self.spec.agent(self, sample)

    def filter_text(self, text: str) -> str:
        return apply_filters(text, self.filters)

    def score(self, prediction: Any, sample: Sample, output: ModelOutput) -> dict[str, float]:
        """{metric: value} for one prediction; scorers of specs with extra_params get this run's params.

        With a `metric_list` that differs from the spec's metrics, only the chosen metrics are kept,
        and chosen metrics the spec does not produce are scored by the metric itself (`Metric.score`).
        """
        if self.spec.scoring.extra_params:
            scores = self.spec.scoring.score(prediction, sample, output, params=self.params)
        else:
            scores = self.spec.scoring.score(prediction, sample, output)
        if self.metrics == self.spec.scoring.metrics:
            return scores
        chosen = {k: v for k, v in scores.items() if k in self.metrics or k.startswith("_")}
        for name in self.metrics:
            if name not in chosen:
                metric = get_metric(name)
                if metric.score is not None:
                    chosen[name] = metric.score(prediction, sample.target)
        return chosen

    def predict(self, sample: Sample, output: ModelOutput) -> tuple[str | None, Any]:
        """(filtered text, prediction) for a model output."""
        if self.style is not None and self.style.predict is not None:
            return self.style.predict(self, sample, output)
        if self.spec.predict is not None:
            return self.spec.predict(self, sample, output)
        return self.default_predict(sample, output)

    def default_predict(self, sample: Sample, output: ModelOutput) -> tuple[str | None, Any]:
        """The prediction without the spec's own `predict`: the best-scored option's letter, or the
        filtered text through `extract` (the option-letter extractor for MCQ)."""
        if self.output_type in ("multiple_choice", "continuation"):
            scores = list(output.scores or [])
            if self.output_type == "continuation" and self.spec.scoring.length_normalize:
                conts = (
                    self.spec.prompt.continuations(sample)
                    if self.spec.prompt.continuations
                    else [" " + c for c in sample.choices or []]
                )
                scores = [s / max(1, len(c.lstrip())) for s, c in zip(scores, conts)]
            if not scores:
                return None, None
            best = max(range(len(scores)), key=scores.__getitem__)
            return None, LETTERS[best]
        filtered = self.filter_text(output.text)
        if self.spec.scoring.extract is not None:
            return filtered, self.spec.scoring.extract(filtered, sample)
        if self.spec.mcq:
            return filtered, extract_choice(filtered, LETTERS[: len(sample.choices or "ABCD")])
        return filtered, filtered.strip()
