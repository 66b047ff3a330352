"""Reasoning kept apart from the answer, and answers cut at `max_tokens`.

A local model writes its reasoning inline (`<think>…</think>answer`); `split_think` moves it out of
the answer so extraction reads only the answer (`ModelOutput.reasoning` / `ModelChoice.reasoning`
hold it). An unclosed `<think>` (generation stopped inside it) leaves no answer. `ThinkSplitter`
does the same to text as it streams. `cut_at_max_tokens` says whether an output's scored answer
stopped at the token limit (`finish_reason == "length"`).
"""

from __future__ import annotations

import attrs

from evalscope.core.types import ModelOutput

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"
#: the finish reason of an answer that stopped at `max_tokens` (OpenAI's, vLLM's, ours)
LENGTH = "length"


def split_think(text: str) -> tuple[str, str | None]:
    """(answer, reasoning): `<think>…</think>` blocks moved out of the answer.

    An unclosed `<think>` makes everything after it reasoning (no answer); a `</think>` without an
    opening tag (templates that open the block in the prompt) makes what precedes it reasoning.
    Text without tags is returned unchanged, reasoning None.
    """
    if OPEN_TAG not in text and CLOSE_TAG not in text:
        return text, None
    answer: list[str] = []
    thoughts: list[str] = []
    rest = text
    if CLOSE_TAG in rest and (OPEN_TAG not in rest or rest.index(CLOSE_TAG) < rest.index(OPEN_TAG)):
        before, rest = rest.split(CLOSE_TAG, 1)
        thoughts.append(before)
    while OPEN_TAG in rest:
        before, inside = rest.split(OPEN_TAG, 1)
        answer.append(before)
        if CLOSE_TAG not in inside:
            thoughts.append(inside)
            rest = ""
            break
        thought, rest = inside.split(CLOSE_TAG, 1)
        thoughts.append(thought)
    answer.append(rest)
    reasoning = "\n".join(t.strip() for t in thoughts if t.strip())
    return "".join(answer).strip(), reasoning


def with_reasoning_apart(out: ModelOutput) -> ModelOutput:
    """`out` with `<think>` text moved into `reasoning` (its text, `texts` and `choices`), in place.
    Reasoning the adapter already has (a service's `reasoning_content`) is kept first."""
    if out.error is not None:
        return out
    out.text, thought = split_think(out.text)
    out.reasoning = _joined(out.reasoning, thought)
    if out.texts:
        out.texts = [out.text, *(split_think(t)[0] for t in out.texts[1:])]
    if out.choices:
        for choice in out.choices:
            choice.text, thought = split_think(choice.text)
            choice.reasoning = _joined(choice.reasoning, thought)
    return out


def _joined(first: str | None, second: str | None) -> str | None:
    parts = [p for p in (first, second) if p]
    return "\n".join(parts) if parts else None


def cut_at_max_tokens(out: ModelOutput) -> bool:
    """Whether the answer that is scored (the first completion) stopped at `max_tokens`."""
    if out.error is not None:
        return False
    choices = out.choices
    reason = choices[0].finish_reason if choices else out.finish_reason
    return reason == LENGTH


@attrs.define
class ThinkSplitter:
    """Splits streamed text into (reasoning, answer) pieces as it arrives, holding back a piece
    that may be the start of a tag: `feed` and `end` return `[(is_reasoning, text), ...]`. Only
    blocks the output opens itself are seen (a `</think>` alone is split once the text is whole)."""

    inside: bool = False
    _held: str = ""

    def feed(self, piece: str) -> list[tuple[bool, str]]:
        text = self._held + piece
        self._held = ""
        out: list[tuple[bool, str]] = []
        while text:
            tag = CLOSE_TAG if self.inside else OPEN_TAG
            at = text.find(tag)
            if at >= 0:
                out.append((self.inside, text[:at]))
                text = text[at + len(tag) :]
                self.inside = not self.inside
                continue
            keep = _partial_tag(text, tag)
            if keep:
                self._held, text = text[-keep:], text[:-keep]
            out.append((self.inside, text))
            break
        return [(r, t) for r, t in out if t]

    def end(self) -> list[tuple[bool, str]]:
        held, self._held = self._held, ""
        return [(self.inside, held)] if held else []


def _partial_tag(text: str, tag: str) -> int:
    """How many trailing characters of `text` could begin `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0
