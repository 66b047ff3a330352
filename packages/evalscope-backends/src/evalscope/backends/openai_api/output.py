"""Fill a `ModelOutput` from an OpenAI-compatible answer, parsed JSON (plain dicts).

One implementation for both transports (the lean client and the OpenAI SDK fallback): a whole
answer goes through :func:`whole_output`, a stream's chunks through :class:`StreamFold`.

``n > 1``: the server's choices are placed by their ``index`` (also when streamed, where chunks
of different choices interleave); a server that answers with other indices than 0..n-1 gives an
output with an ``error``. Reasoning: ``reasoning_content`` (or ``reasoning``) is kept apart from
the answer; ``usage.completion_tokens_details.reasoning_tokens`` in ``usage.reasoning_tokens``.
"""

from __future__ import annotations

from typing import Any

import attrs

from evalscope.backends.openai_api.errors import ServiceError
from evalscope.backends.openai_api.tools import PartialCall, add_deltas, finished_calls, message_calls
from evalscope.core.types import ModelChoice, ModelOutput, TokenLogprob, ToolCall, Usage


@attrs.define
class _Completion:
    """One choice of a response as it is read (pieces of text when streamed)."""

    texts: list[str] = attrs.field(factory=list)
    reasoning: list[str] = attrs.field(factory=list)
    logprobs: list[TokenLogprob] = attrs.field(factory=list)
    finish_reason: str | None = None
    #: tool calls of a whole answer, or a stream's calls as their deltas arrive (by index)
    tool_calls: list[ToolCall] | None = None
    partial_calls: dict[int, PartialCall] = attrs.field(factory=dict)

    def calls(self) -> list[ToolCall] | None:
        return self.tool_calls if self.tool_calls is not None else finished_calls(self.partial_calls)


def _no_choices(what: str) -> ServiceError:
    # nothing to score: never an empty answer scored as wrong
    return ServiceError(what, status=None, retryable=True, retry_after=None)


def whole_output(data: dict[str, Any], *, chat: bool, n: int, latency: float) -> ModelOutput:
    """The output of a whole (non-streamed) answer."""
    if not isinstance(data, dict):
        raise _no_choices(f"the server answered with a JSON {type(data).__name__}, not an object")
    out = ModelOutput(latency=latency, model=data.get("model"))
    out.usage = usage_of(data.get("usage"))
    completions: dict[int, _Completion] = {}
    for position, choice in enumerate(data.get("choices") or []):
        index = choice.get("index")
        index = index if isinstance(index, int) else position
        if index in completions:
            out.error = f"the server answered with choice index {index} twice"
            return out
        done = completions.setdefault(index, _Completion())
        done.finish_reason = choice.get("finish_reason")
        if chat:
            message = choice.get("message") or {}
            done.texts.append(message.get("content") or "")
            done.tool_calls = message_calls(message)
            thought = reasoning_of(message)
            if thought:
                done.reasoning.append(thought)
            done.logprobs.extend(chat_logprobs(choice.get("logprobs")) or [])
        else:
            done.texts.append(choice.get("text") or "")
            done.logprobs.extend(completion_logprobs(choice.get("logprobs")) or [])
    if not completions:
        raise _no_choices("the server answered with an empty `choices` list")
    return fill(out, completions, n)


class StreamFold:
    """A stream's chunks folded into one output as they arrive (`add` each, then `finish`)."""

    __slots__ = ("chat", "start", "out", "completions")

    def __init__(self, *, chat: bool, start: float) -> None:
        self.chat = chat
        self.start = start
        self.out = ModelOutput()
        self.completions: dict[int, _Completion] = {}

    def add(self, chunk: dict[str, Any], t: float) -> None:
        """Fold one chunk that arrived at `t` (``perf_counter``)."""
        out = self.out
        error = chunk.get("error")
        if error:  # a server's error sent inside the stream
            message = error.get("message") if isinstance(error, dict) else error
            raise ServiceError(f"the server sent an error in the stream: {message}", status=None,
                               retryable=False, retry_after=None)  # fmt: skip
        if out.model is None:
            out.model = chunk.get("model")
        if chunk.get("usage") is not None:
            out.usage = usage_of(chunk["usage"])
        # each chunk's choices carry their own index: pieces of different completions interleave
        for choice in chunk.get("choices") or ():
            index = choice.get("index")
            index = index if isinstance(index, int) else 0
            done = self.completions.get(index)
            if done is None:
                done = self.completions[index] = _Completion()
            if self.chat:
                delta = choice.get("delta") or {}
                piece = delta.get("content") or ""
                thought = reasoning_of(delta)
                if delta.get("tool_calls"):
                    add_deltas(done.partial_calls, delta["tool_calls"])
                    if out.ttft is None:
                        out.ttft = t - self.start
                if choice.get("logprobs"):
                    done.logprobs.extend(chat_logprobs(choice["logprobs"]) or [])
            else:
                piece, thought = choice.get("text") or "", None
                if choice.get("logprobs"):
                    done.logprobs.extend(completion_logprobs(choice["logprobs"]) or [])
            if (piece or thought) and out.ttft is None:
                out.ttft = t - self.start
            if piece:
                done.texts.append(piece)
            if thought:
                done.reasoning.append(thought)
            if choice.get("finish_reason"):
                done.finish_reason = choice["finish_reason"]

    def finish(self, n: int, latency: float) -> ModelOutput:
        """The output once the stream ended; a stream without choices or unfinished is an error."""
        self.out.latency = latency
        if not self.completions:
            raise _no_choices("the server's stream held no choices")
        if all(done.finish_reason is None for done in self.completions.values()):
            # every OpenAI-compatible server ends a choice with its finish_reason: the stream was cut
            raise _no_choices("the stream ended before the answer was finished (no finish_reason)")
        return fill(self.out, self.completions, n)


def fill(out: ModelOutput, completions: dict[int, _Completion], n: int) -> ModelOutput:
    """Put the choices into `out` by their index: `text` etc. from choice 0, `texts` for n > 1.

    With n > 1 every index 0..n-1 must be there exactly (pass@k counts them); otherwise the output
    carries an `error` saying what came back.
    """
    if n > 1 and sorted(completions) != list(range(n)):
        out.error = (
            f"asked for n={n} completions, but the server answered with choice indices "
            f"{sorted(completions)} (does it support `n`?)"
        )
        return out
    first = completions.get(0)
    if first is None:
        if completions:  # one choice with an unexpected index: it is still the answer
            first = completions[min(completions)]
        else:
            return out
    out.text = "".join(first.texts)
    out.reasoning = "".join(first.reasoning) or None
    out.logprobs = first.logprobs or None
    out.finish_reason = first.finish_reason
    out.tool_calls = first.calls()
    if n > 1:
        out.texts = ["".join(completions[i].texts) for i in range(n)]
        out.choices = [
            ModelChoice("".join(c.texts), c.finish_reason, c.calls(), reasoning="".join(c.reasoning) or None)
            for c in (completions[i] for i in range(n))
        ]
    return out


def reasoning_of(message: dict[str, Any]) -> str | None:
    """vLLM/DeepSeek send ``reasoning_content``; some servers say ``reasoning``."""
    for name in ("reasoning_content", "reasoning"):
        value = message.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def usage_of(usage: dict[str, Any] | None) -> Usage:
    if not usage:
        return Usage()
    details = usage.get("completion_tokens_details") or {}
    return Usage(
        input_tokens=int(usage.get("prompt_tokens") or 0),
        output_tokens=int(usage.get("completion_tokens") or 0),
        reasoning_tokens=int(details.get("reasoning_tokens") or 0),
    )


def chat_logprobs(logprobs: dict[str, Any] | None) -> list[TokenLogprob] | None:
    content = (logprobs or {}).get("content")
    if not content:
        return None
    return [TokenLogprob(token=item["token"], logprob=float(item["logprob"])) for item in content]


def completion_logprobs(logprobs: dict[str, Any] | None) -> list[TokenLogprob] | None:
    tokens = (logprobs or {}).get("tokens")
    values = (logprobs or {}).get("token_logprobs")
    if not tokens or values is None:
        return None
    return [
        TokenLogprob(token=t, logprob=float(v)) for t, v in zip(tokens, values, strict=False) if v is not None
    ]
