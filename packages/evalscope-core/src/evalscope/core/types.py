"""Domain types shared by every layer: samples, requests, model outputs, per-sample results."""

from __future__ import annotations

import enum
from typing import Any

import attrs


@attrs.frozen
class ChatMessage:
    """One chat turn."""

    role: str
    content: str


@attrs.define
class Sample:
    """One benchmark item after `record_to_sample`.

    `input` is either a plain question string or chat messages; `choices` are option texts for
    multiple-choice items; `target` is the gold answer (a letter, a number, a list of aliases...).
    """

    id: str
    input: str | list[ChatMessage]
    target: Any = None
    choices: list[str] | None = None
    subset: str = "default"
    metadata: dict[str, Any] = attrs.field(factory=dict)


class RequestKind(str, enum.Enum):
    """What the engine asks of a model; each kind maps to a capability."""

    GENERATE = "generate"
    CHOICE_PROBS = "choice_probs"  # next-token probability of each option letter
    LOGLIKELIHOOD = "loglikelihood"  # summed log-probability of each continuation


class SettingValueError(ValueError):
    """A setting's value out of its range: `field: must be >= 1, got -5`. The structuring step
    (`evalscope.core.serialization`) puts `field` at the end of the path it reports."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def _bounds(*, ge: float | None = None, gt: float | None = None, le: float | None = None) -> Any:
    """An attrs validator: None passes; a number must be finite and within the bounds, else a
    SettingValueError `field: must be >= 1, got -5`."""
    rules = [
        f">= {ge!r}" if ge is not None else "",
        f"> {gt!r}" if gt is not None else "",
        f"<= {le!r}" if le is not None else "",
    ]
    wanted = " and ".join(r for r in rules if r)

    def check(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{attribute.name}: expected a number, got {type(value).__name__} {value!r:.40}")
        if not (
            value == value
            and value not in (float("inf"), float("-inf"))
            and (ge is None or value >= ge)
            and (gt is None or value > gt)
            and (le is None or value <= le)
        ):
            raise SettingValueError(attribute.name, f"must be {wanted}, got {value!r}")

    return check


#: the largest seed every provider takes (torch, numpy's 64-bit generators, OpenAI's int64)
MAX_SEED = 2**63 - 1


@attrs.define
class GenerationConfig:
    """Generation settings understood by every model adapter.

    Adapters translate these to their own vocabulary; keys outside this set are rejected when the
    config is structured, never passed through raw. Values are checked when the config is built
    (`max_tokens` >= 1, `temperature` >= 0, 0 < `top_p` <= 1, `top_k` >= -1 where -1 and 0 mean
    no top-k as in vLLM, 0 <= `seed`, `n` >= 1, `repetition_penalty` > 0, presence and frequency
    penalties in [-2, 2] as in OpenAI's API, `top_logprobs` >= 0, `timeout` > 0), so a bad value
    is one error before any model loads, never a failure of every sample.
    """

    max_tokens: int | None = attrs.field(default=None, validator=_bounds(ge=1))
    temperature: float | None = attrs.field(default=None, validator=_bounds(ge=0))
    top_p: float | None = attrs.field(default=None, validator=_bounds(gt=0, le=1))
    top_k: int | None = attrs.field(default=None, validator=_bounds(ge=-1))
    do_sample: bool | None = None
    seed: int | None = attrs.field(default=None, validator=_bounds(ge=0, le=MAX_SEED))
    stop: list[str] | None = None
    n: int = attrs.field(default=1, validator=_bounds(ge=1))
    repetition_penalty: float | None = attrs.field(default=None, validator=_bounds(gt=0))
    presence_penalty: float | None = attrs.field(default=None, validator=_bounds(ge=-2, le=2))
    frequency_penalty: float | None = attrs.field(default=None, validator=_bounds(ge=-2, le=2))
    logprobs: bool = False
    top_logprobs: int | None = attrs.field(default=None, validator=_bounds(ge=0))
    stream: bool | None = None
    timeout: float | None = attrs.field(default=None, validator=_bounds(gt=0))

    def merged(self, other: GenerationConfig | None) -> GenerationConfig:
        """Values set in `other` win over ours."""
        if other is None:
            return self
        mine = attrs.asdict(self, recurse=False)
        defaults = attrs.asdict(GenerationConfig(), recurse=False)
        for key, value in attrs.asdict(other, recurse=False).items():
            if value != defaults[key]:
                mine[key] = value
        return GenerationConfig(**mine)


@attrs.define
class ModelRequest:
    """One call to a model.

    GENERATE uses `messages` (or `prompt` for a raw completion); CHOICE_PROBS uses `prompt` plus
    `choices` (option letters); LOGLIKELIHOOD uses `prompt` as the context and `choices` as the
    continuations, and with `contexts` scores `choices[i]` after `prompt + contexts[i]` (partial
    scoring: each option changes the context and the shared rest is what is scored).
    `letter_rule` says which tokens stand for an option letter in CHOICE_PROBS: "sum" adds the
    bare letter and the space-prefixed one ("A" + " A"); "bare" reads only the bare letter's token
    (EvalScope 0.12).
    """

    kind: RequestKind
    messages: list[ChatMessage] | None = None
    prompt: str | None = None
    choices: list[str] | None = None
    config: GenerationConfig = attrs.field(factory=GenerationConfig)
    contexts: list[str] | None = None
    letter_rule: str = "sum"

    def cache_key(self) -> str:
        """A stable digest of everything that determines the answer."""
        import hashlib
        import json

        payload = {
            "kind": self.kind.value,
            "messages": [[m.role, m.content] for m in self.messages] if self.messages else None,
            "prompt": self.prompt,
            "choices": self.choices,
            "config": attrs.asdict(self.config),
        }
        if self.contexts is not None:  # absent otherwise: keys of earlier runs stay valid
            payload["contexts"] = self.contexts
        if self.letter_rule != "sum":  # likewise
            payload["letter_rule"] = self.letter_rule
        raw = json.dumps(payload, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


@attrs.frozen
class TokenLogprob:
    token: str
    logprob: float


@attrs.define
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@attrs.define
class ModelOutput:
    """What a model returned for one request.

    `text` for generation; `scores` for CHOICE_PROBS (probabilities) and LOGLIKELIHOOD (summed
    log-probabilities, `token_counts` beside them); `latency`/`ttft` in seconds.
    """

    text: str = ""
    #: every completion when n > 1 (`text` is the first)
    texts: list[str] | None = None
    scores: list[float] | None = None
    token_counts: list[int] | None = None
    logprobs: list[TokenLogprob] | None = None
    usage: Usage = attrs.field(factory=Usage)
    finish_reason: str | None = None
    latency: float | None = None
    ttft: float | None = None
    model: str | None = None
    error: str | None = None
    reasoning: str | None = None
    #: the prompt was longer than the context and was cut (only when the user allowed truncation)
    prompt_truncated: bool = False


class SampleStatus(str, enum.Enum):
    """Where a sample stands. Only SCORED samples count in a score; the others are counted apart."""

    PREDICTED = "predicted"  # the model answered; not reviewed yet (stage infer)
    SCORED = "scored"
    ERROR = "error"  # the model call failed: not scored, not cached as done, retried on resume
    INVALID = "invalid"  # a judge's verdict did not parse: excluded from the score
    SKIPPED = "skipped"  # could not be evaluated (e.g. no usable sandbox); the reason is in `error`


@attrs.define
class SampleResult:
    """Everything recorded for one sample: request, raw output, filtered text, prediction, scores.

    `status` says whether the scores count (see `SampleStatus`); `error` holds the reason of an
    ERROR, INVALID or SKIPPED sample; `details` holds review extras (a judge's prompt, raw reply and
    verdict, a sandbox's report...).
    """

    sample_id: str
    subset: str
    request_key: str
    output: ModelOutput
    sample: Sample | None = None
    filtered: str | None = None
    prediction: Any = None
    gold: Any = None
    scores: dict[str, float] = attrs.field(factory=dict)
    category: tuple[str, ...] = ()
    error: str | None = None
    status: SampleStatus = SampleStatus.SCORED
    details: dict[str, Any] = attrs.field(factory=dict)
    #: tools offered to the model (a provider needs `Feature.TOOLS`)
    tools: list[ToolSpec] | None = None
    #: "auto", "none", "required", or the name of the one tool to call; None: the provider's default
    tool_choice: str | None = attrs.field(default=None)
    #: whether the model may call several tools in one answer; None: the provider's default
    parallel_tool_calls: bool | None = None

    @tool_choice.validator
    def _check_tool_choice(self, _attribute: attrs.Attribute[Any], value: str | None) -> None:
        if value is None or value in ("auto", "none", "required"):
            return
        names = [t.name for t in self.tools or []]
        if value not in names:
            raise ValueError(f"tool_choice: {value!r} is neither auto, none, required nor an offered tool {names}")
