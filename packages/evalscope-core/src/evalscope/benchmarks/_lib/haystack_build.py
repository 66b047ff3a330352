"""Cutting a haystack to an exact prompt length and hiding a needle at a depth in it.

The filler is split into sentences (`sentence_units`: each piece ends just after `.`, `!`, `?` or
`。`, and the whitespace that follows leads the next piece, so the pieces join back into the text).
For a requested length N and depth d:

- the haystack is the longest run of whole sentences from the start, plus the longest prefix (in
  characters) of the next sentence, such that the WHOLE prompt, as `measure` counts it (the model's
  tokenizer over the rendered request: system prompt, template, question, chat template), is at
  most N tokens; with a tokenizer whose count grows by at most one token per character (the usual
  case) it is exactly N;
- the needle starts at the last sentence boundary at or before d% of the haystack's whole
  sentences' tokens (each sentence counted alone, `count`), so it sits at most one sentence before
  that offset; depth 0 puts it first, depth 100 after the whole haystack (the cut sentence too).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence

import attrs

_SENTENCE_END = re.compile(r"(?<=[.!?。！？])(?=\s)")


def sentence_units(text: str) -> list[str]:
    """`text` in pieces that each end after a sentence's final punctuation; `"".join` gives it back."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.start() > start:
            pieces.append(text[start : match.start()])
        start = match.start()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


@attrs.frozen
class Filler:
    """Sentences of filler with each one's token count (`cum[i]`: tokens of the first i)."""

    units: tuple[str, ...]
    cum: tuple[int, ...]


def prepare_filler(
    texts: Sequence[str], count: Callable[[list[str]], list[int]], need: int, *, chunk: int = 256
) -> Filler:
    """Sentences of `texts` (joined by blank lines, repeated when short) counted until they hold at
    least `need` tokens."""
    corpus = sentence_units("\n\n".join(t.strip() for t in texts if t.strip()))
    if not corpus:
        raise ValueError("needle_haystack: the haystack has no text")
    units: list[str] = []
    cum = [0]
    while cum[-1] < need:
        start = len(units)
        # the corpus starts over after its end, a blank line apart
        batch = [
            corpus[n % len(corpus)] if n % len(corpus) or not n else "\n\n" + corpus[0]
            for n in range(start, start + chunk)
        ]
        for unit, tokens in zip(batch, count(batch)):
            units.append(unit)
            cum.append(cum[-1] + tokens)
    return Filler(tuple(units), tuple(cum))


@attrs.frozen
class Haystack:
    """One cut haystack with its needle, and where the needle went."""

    context: str
    prompt_tokens: int
    #: tokens of the haystack's whole sentences (the depth's 100%), each sentence counted alone
    haystack_tokens: int
    #: tokens of the whole sentences before the needle (at depth 100 the cut sentence comes between)
    needle_offset: int
    #: d% of `haystack_tokens`: where the needle was asked to go
    target_offset: float


def _needle_index(cum: Sequence[int], whole: int, depth: float) -> int:
    """How many of the first `whole` sentences come before the needle."""
    if depth >= 100:
        return whole
    target = depth / 100 * cum[whole]
    return max(0, bisect.bisect_right(cum, target, 0, whole + 1) - 1)


def _assemble(filler: Filler, whole: int, tail: str, needle: str, depth: float) -> str:
    units = filler.units
    if depth >= 100:
        return "".join(units[:whole]) + tail + needle
    j = _needle_index(filler.cum, whole, depth)
    return "".join(units[:j]) + needle + "".join(units[j:whole]) + tail


def cut_haystack(
    filler: Filler, length: int, depth: float, needle: str, measure: Callable[[str], int]
) -> Haystack:
    """The haystack whose whole prompt (`measure(context)`) is `length` tokens, the needle at `depth`
    (see the module's rules). Raises ValueError when even an empty haystack does not fit."""
    empty = measure(_assemble(filler, 0, "", needle, depth))
    if empty > length:
        raise ValueError(f"the prompt without any haystack is already {empty} tokens, more than {length}")
    lo, hi = 0, len(filler.units) - 1  # the last sentence is kept back for the partial tail
    while lo < hi:  # the most whole sentences that fit
        mid = (lo + hi + 1) // 2
        if measure(_assemble(filler, mid, "", needle, depth)) <= length:
            lo = mid
        else:
            hi = mid - 1
    whole = lo
    following = filler.units[whole]
    lo, hi = 0, len(following) - 1
    while lo < hi:  # the longest prefix of the next sentence that still fits
        mid = (lo + hi + 1) // 2
        if measure(_assemble(filler, whole, following[:mid], needle, depth)) <= length:
            lo = mid
        else:
            hi = mid - 1
    context = _assemble(filler, whole, following[:lo], needle, depth)
    return Haystack(
        context=context,
        prompt_tokens=measure(context),
        haystack_tokens=filler.cum[whole],
        needle_offset=filler.cum[_needle_index(filler.cum, whole, depth)],
        target_offset=min(depth, 100) / 100 * filler.cum[whole],
    )
