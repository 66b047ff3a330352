"""Domain types shared by every layer: samples, requests, model outputs, per-sample results."""

from __future__ import annotations

import enum
from typing import Any

import attrs


class Feature(str, enum.Enum):
    """What a provider can do beyond a request kind; adapters declare theirs in `ModelAPI.features`
    and `evalscope.core.features.require_features` refuses a task that needs one its provider lacks."""

    TOOLS = "tools"  # requests with `tools`; answers with `tool_calls` (tool calling, agents)
    MULTI_TURN = "multi_turn"  # whole conversations, answered turn after turn (`Sample.turns`)
    N_CHOICES = "n_choices"  # several completions per request (`GenerationConfig.n`; repeats)
    REASONING = "reasoning"  # reasoning content returned apart from the answer (`ModelOutput.reasoning`)
    IMAGES = "images"  # `ContentImage` parts in messages


@attrs.frozen
class ContentText:
    """A text part of a message's content (stored as `{"type": "text", "text": ...}`)."""

    text: str


@attrs.frozen
class ContentImage:
    """An image part: a URL or a `data:` URI (stored as `{"type": "image", ...}`). Declared for
    vision benchmarks to come; no adapter sends one yet (they need `Feature.IMAGES`)."""

    image: str
    detail: str = "auto"


#: one part of a message's content; a new kind of part is a new attrs type here plus its `type`
#: tag in `evalscope.core.serialization` (the stored form is OpenAI-like, tagged by `type`)
ContentPart = ContentText | ContentImage


@attrs.frozen
class ToolCall:
    """A call of a tool written by the model. `arguments` is the parsed JSON object; the model's
    own text is kept in `raw_arguments`, and when it is not a JSON object `parse_error` says why
    (`arguments` is then empty: a bad call is flagged, never dropped or repaired)."""

    id: str
    name: str
    arguments: dict[str, Any] = attrs.field(factory=dict)
    raw_arguments: str | None = None
    parse_error: str | None = None

    @classmethod
    def parse(cls, id: str, name: str, raw_arguments: str) -> ToolCall:
        """A call from the text a model wrote for its arguments."""
        import json

        try:
            value = json.loads(raw_arguments) if raw_arguments.strip() else {}
        except ValueError as exc:
            return cls(id, name, {}, raw_arguments, f"not valid JSON: {exc}")
        if not isinstance(value, dict):
            return cls(id, name, {}, raw_arguments, f"not a JSON object: {type(value).__name__}")
        return cls(id, name, value, raw_arguments)


@attrs.frozen
class ToolSpec:
    """A tool offered to the model: its name, what it does, and its parameters as JSON Schema."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = attrs.field(factory=lambda: {"type": "object", "properties": {}})


@attrs.frozen
class ChatMessage:
    """One chat turn: role system, user, assistant or tool.

    `content` is a string or a list of parts (`ContentText`, `ContentImage`); read `text` for its
    text either way. An assistant message may carry `tool_calls`; a `tool` message answers the call
    whose id is `tool_call_id`.
    """

    role: str
    content: str | list[ContentPart] = ""
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None

    @property
    def text(self) -> str:
        """The content as text: the string itself, or the text parts joined by newlines."""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(p.text for p in self.content if isinstance(p, ContentText))

    @property
    def parts(self) -> list[ContentPart]:
        """The content as parts (a string is one text part)."""
        return [ContentText(self.content)] if isinstance(self.content, str) else list(self.content)

    @property
    def plain(self) -> bool:
        """Only a role and a string: the shape of every message before content parts and tools."""
        return isinstance(self.content, str) and self.tool_calls is None and self.tool_call_id is None


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
    #: later user turns of a multi-turn item: after the model answered `input`, each is sent in
    #: order with the whole conversation so far (the model's own earlier answers included) and
    #: answered in turn. Empty for a single-turn item; a provider needs `Feature.MULTI_TURN`.
    turns: list[ChatMessage] = attrs.field(factory=list)

    @property
    def n_turns(self) -> int:
        """How many answers the item asks of the model (1 + later turns)."""
        return 1 + len(self.turns)


#: separates an item's id from its repeat number in a record's id (`SampleKey.record_id`)
REPEAT_MARK = "@r"


@attrs.frozen(order=True)
class SampleKey:
    """Which answer of which item: the engine's key when an item is answered several times
    (repeats: k answers per item). Repeat 0 is stored under the item's own id, as every record was
    before repeats, so older runs resume unchanged; repeat k >= 1 under `<id>@r<k>` (`record_id`),
    the `sample_id` the stores key by (no schema change: one row or line per record)."""

    subset: str
    sample_id: str
    repeat: int = 0

    @property
    def record_id(self) -> str:
        return self.sample_id if self.repeat == 0 else f"{self.sample_id}{REPEAT_MARK}{self.repeat}"

    @staticmethod
    def repeat_of(record_id: str, item_id: Any) -> int:
        """The repeat a stored record id stands for, given its item's id (0 when they are equal or
        the record id is not `<item_id>@r<k>`)."""
        if item_id is None or record_id == str(item_id):
            return 0
        head, mark, tail = record_id.rpartition(REPEAT_MARK)
        if mark and head == str(item_id) and tail.isdigit() and int(tail) > 0:
            return int(tail)
        return 0


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
    #: thinking controls: keywords for the chat template (`{enable_thinking: false}`; local HF, vLLM,
    #: `evalscope serve`, and sent as `chat_template_kwargs` to services that take it) and a
    #: service's `reasoning_effort` (low, medium, high...); part of a request's key only when set
    chat_template_kwargs: dict[str, Any] | None = None
    reasoning_effort: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(str))
    )

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

    def cache_key(self) -> str:
        """A stable digest of everything that determines the answer."""
        import hashlib
        import json

        payload: dict[str, Any] = {
            "kind": self.kind.value,
            "messages": [_message_key(m) for m in self.messages] if self.messages else None,
            "prompt": self.prompt,
            "choices": self.choices,
            "config": _config_key(self.config),
        }
        if self.contexts is not None:  # absent otherwise: keys of earlier runs stay valid
            payload["contexts"] = self.contexts
        if self.letter_rule != "sum":  # likewise
            payload["letter_rule"] = self.letter_rule
        if self.tools is not None:  # likewise
            payload["tools"] = [attrs.asdict(t) for t in self.tools]
        if self.tool_choice is not None:
            payload["tool_choice"] = self.tool_choice
        if self.parallel_tool_calls is not None:
            payload["parallel_tool_calls"] = self.parallel_tool_calls
        raw = json.dumps(payload, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


#: GenerationConfig fields added after request keys existed: in a key only when set
_ADDED_CONFIG_KEYS = ("chat_template_kwargs", "reasoning_effort")


def _config_key(config: GenerationConfig) -> dict[str, Any]:
    """A config in a request's digest; fields added later are left out while unset (old keys hold)."""
    values = attrs.asdict(config)
    for name in _ADDED_CONFIG_KEYS:
        if values[name] is None:
            del values[name]
    return values


def _message_key(m: ChatMessage) -> Any:
    """A message in a request's digest: `[role, content]` as before parts and tools (so keys of
    earlier runs stay valid), its whole shape otherwise."""
    if m.plain:
        return [m.role, m.content]
    parts = None if isinstance(m.content, str) else [[type(p).__name__, attrs.asdict(p)] for p in m.content]
    calls = [attrs.asdict(c) for c in m.tool_calls] if m.tool_calls is not None else None
    return [m.role, m.content if parts is None else parts, calls, m.tool_call_id]


@attrs.frozen
class TokenLogprob:
    token: str
    logprob: float


@attrs.define
class Usage:
    """Tokens of one request: prompt (`input_tokens`) and completion (`output_tokens`, reasoning
    included, as OpenAI counts them), and of those the reasoning's (`reasoning_tokens`)."""

    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@attrs.define
class ModelChoice:
    """One completion of a request: its text, why it stopped, its tool calls and its reasoning."""

    text: str = ""
    finish_reason: str | None = None
    tool_calls: list[ToolCall] | None = None
    reasoning: str | None = None


@attrs.define
class ModelOutput:
    """What a model returned for one request.

    `text` for generation; `scores` for CHOICE_PROBS (probabilities) and LOGLIKELIHOOD (summed
    log-probabilities, `token_counts` beside them); `latency`/`ttft` in seconds. `tool_calls` and
    `reasoning` belong to the first completion; with n > 1 an adapter may give each completion's
    own in `choices` (`completions()` reads either shape).
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
    #: tool calls of the (first) completion, in the order written
    tool_calls: list[ToolCall] | None = None
    #: every completion with its finish reason, tool calls and reasoning (n > 1), when the adapter
    #: gives them; `texts` holds the same texts
    choices: list[ModelChoice] | None = None
    #: a multi-turn item's answers, one output per user turn in order (`Sample.turns`); this
    #: output's own fields are then the last turn's, with `usage` and `latency` summed over turns
    turns: list[ModelOutput] | None = None
    #: an agent loop's steps (`evalscope.core.agent`): each model answer and its tools' results;
    #: this output's own fields are then the last answer's, with `usage` and `latency` summed
    trajectory: Trajectory | None = None

    def completions(self) -> list[ModelChoice]:
        """Every completion: `choices` when given, else built from `texts` (or `text`), the first
        with this output's finish reason, tool calls and reasoning."""
        if self.choices is not None:
            return list(self.choices)
        texts = self.texts if self.texts else [self.text]
        first = ModelChoice(texts[0], self.finish_reason, self.tool_calls, self.reasoning)
        return [first, *(ModelChoice(t) for t in texts[1:])]

    @property
    def message(self) -> ChatMessage:
        """The (first) completion as the assistant's turn of a conversation."""
        return ChatMessage("assistant", self.text, tool_calls=self.tool_calls)


@attrs.define
class ToolResult:
    """What one tool call returned, as the model was shown it (a role "tool" message's content).
    `error`: the call failed (unknown tool, arguments against the spec, the tool raised, the sandbox
    refused); `metadata` holds what the tool reports beside it (e.g. the sandbox's isolation)."""

    call_id: str
    name: str
    content: str
    error: bool = False
    seconds: float = 0.0
    metadata: dict[str, Any] = attrs.field(factory=dict)

    @property
    def message(self) -> ChatMessage:
        """The result as the conversation's role "tool" message."""
        return ChatMessage("tool", self.content, tool_call_id=self.call_id)


@attrs.define
class AgentStep:
    """One turn of an agent loop: the model's answer (text and tool calls), its tokens and time,
    and the results of the tools it called (in the order called)."""

    text: str = ""
    tool_calls: list[ToolCall] = attrs.field(factory=list)
    results: list[ToolResult] = attrs.field(factory=list)
    usage: Usage = attrs.field(factory=Usage)
    #: the model call's seconds; the tools' are each result's `seconds`
    seconds: float = 0.0
    finish_reason: str | None = None
    reasoning: str | None = None

    @property
    def message(self) -> ChatMessage:
        """The answer as the conversation's assistant message (with its tool calls, if any)."""
        return ChatMessage("assistant", self.text, tool_calls=list(self.tool_calls) or None)


#: how an agent loop ended (`Trajectory.status`)
AGENT_ANSWERED, AGENT_BUDGET_EXHAUSTED = "answered", "budget_exhausted"


@attrs.define
class Trajectory:
    """An agent loop's steps after the request's own messages. `status` is "answered" (the model
    answered without tool calls) or "budget_exhausted" (`budget` says which: `max_turns=3`)."""

    steps: list[AgentStep] = attrs.field(factory=list)
    status: str = AGENT_ANSWERED
    budget: str | None = None
    seconds: float = 0.0

    def messages(self) -> list[ChatMessage]:
        """The conversation the loop added: each answer, then its tools' results."""
        out: list[ChatMessage] = []
        for step in self.steps:
            out.append(step.message)
            out += [r.message for r in step.results]
        return out


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
    verdict, a sandbox's report...). `sample_id` is the record's id: the item's id, or for a later
    repeat `SampleKey.record_id` (`key` gives the item's id and the repeat back).
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
    #: which answer of the item this is (repeats); `sample_id` is then `key.record_id`
    repeat: int = 0

    @property
    def key(self) -> SampleKey:
        """The engine's key: subset, the item's id and the repeat."""
        item = self.sample_id
        suffix = f"{REPEAT_MARK}{self.repeat}"
        if self.repeat and item.endswith(suffix):
            item = item[: -len(suffix)]
        return SampleKey(self.subset, item, self.repeat)
