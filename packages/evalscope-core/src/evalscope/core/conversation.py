"""Multi-turn items (`Sample.turns`): the request of each turn and the record of the answers.

Turn t of an item is asked with the whole conversation so far: the first request's messages
(system prompt, few-shot, first user turn), then each earlier answer as the assistant's message and
the next user turn, ending with user turn t. The answers are one `ModelOutput` whose `turns` holds
each turn's output in order and whose own fields are the last turn's (usage and latency summed).

A conversation is stored as its turns are answered: after every turn but the last the engine saves
the answers so far as a partial prediction (`partial_key`), so a run killed in turn 2 resumes from
turn 2 with the stored turn-1 answer (`resumable_turns`), never asking turn 1 again.
"""

from __future__ import annotations

import hashlib
import json

import attrs

from evalscope.core.types import ChatMessage, ModelOutput, ModelRequest, RequestKind, Sample, Usage

#: separates a conversation's key from the number of turns a partial record holds
PARTIAL_MARK = "#turns="


def conversation_key(request_key: str, sample: Sample) -> str:
    """The key of a whole conversation: the first request's key plus the later user turns (equal to
    `request_key` for a single-turn item, so single-turn keys are what they were)."""
    if not sample.turns:
        return request_key
    later = [[m.role, m.text] for m in sample.turns]
    digest = hashlib.sha256(json.dumps(later, ensure_ascii=False).encode("utf-8")).hexdigest()[:12]
    return f"{request_key}+t{digest}"


def partial_key(key: str, answered: int) -> str:
    """The request key of a record holding the first `answered` turns of the conversation `key`
    (never equal to `key`, so a partial record is never taken for a finished prediction)."""
    return f"{key}{PARTIAL_MARK}{answered}"


def resumable_turns(stored_key: str, stored: ModelOutput, key: str, n_turns: int) -> list[ModelOutput]:
    """The stored answers of conversation `key` that a resumed run reuses: those of a partial record
    (or of one whose later turn failed) of the same conversation, only answers without an error."""
    base = stored_key.split(PARTIAL_MARK, 1)[0]
    if base != key or not stored.turns:
        return []
    kept: list[ModelOutput] = []
    for out in stored.turns[: n_turns - 1]:  # the last turn is never reused from a partial record
        if out.error is not None:
            break
        kept.append(out)
    return kept


def first_messages(request: ModelRequest) -> list[ChatMessage]:
    """The first turn's messages (a raw prompt becomes one user message)."""
    if request.messages:
        return list(request.messages)
    return [ChatMessage("user", request.prompt or "")]


def turn_request(first: ModelRequest, sample: Sample, answers: list[ModelOutput]) -> ModelRequest:
    """The request of turn `len(answers) + 1`: the conversation so far, ending with that user turn."""
    if not answers:
        return first
    messages = first_messages(first)
    for answer, user in zip(answers, sample.turns, strict=False):
        messages += [answer.message, user]
    return attrs.evolve(first, kind=RequestKind.GENERATE, messages=messages, prompt=None)


def combine(outputs: list[ModelOutput]) -> ModelOutput:
    """One output for a conversation: the last turn's fields, usage and latency summed, `turns` = all."""
    last = outputs[-1]
    usage = Usage(
        input_tokens=sum(o.usage.input_tokens for o in outputs),
        output_tokens=sum(o.usage.output_tokens for o in outputs),
        reasoning_tokens=sum(o.usage.reasoning_tokens for o in outputs),
    )
    latencies = [o.latency for o in outputs if o.latency is not None]
    turns = [attrs.evolve(o, turns=None) for o in outputs]
    return attrs.evolve(last, usage=usage, latency=sum(latencies) if latencies else None, turns=turns)


def transcript(sample: Sample | None, output: ModelOutput) -> list[tuple[str, str]]:
    """(role, text) of a stored conversation, for display: each user turn then its answer (the
    first turn's user text from the sample's input; a single-turn item gives its one exchange)."""
    if sample is None:
        first = ""
    elif isinstance(sample.input, str):
        first = sample.input
    else:
        users = [m.text for m in sample.input if m.role == "user"]
        first = users[-1] if users else ""
    users = [first, *(m.text for m in (sample.turns if sample is not None else []))]
    answers = output.turns if output.turns else [output]
    lines: list[tuple[str, str]] = []
    for i, user in enumerate(users):
        lines.append(("user", user))
        if i < len(answers):
            lines.append(("assistant", answers[i].text))
    return lines


__all__ = [
    "PARTIAL_MARK",
    "combine",
    "conversation_key",
    "first_messages",
    "partial_key",
    "resumable_turns",
    "transcript",
    "turn_request",
]
