"""Whether a prompt fits the model's context, and what to do when it does not.

A local model sees at most `context` tokens: for generation the prompt plus ``max_tokens`` new
tokens, for scoring (choice probabilities, log-likelihoods) the whole scored text. A prompt that
does not fit is never cut silently. With truncation ``"error"`` (the default) the request gets an
error output naming the numbers and the ways out; with ``"left"`` the prompt loses its oldest
tokens and the output says ``prompt_truncated`` (the engine counts those in the report).

A cut prompt keeps at least a quarter of the context (``MIN_KEPT_SHARE``), or all of itself when it
is shorter: if ``max_tokens`` (or, for log-likelihoods, the continuation being scored) leaves less
room than that, the request is an error even with ``"left"``. Cutting a prompt to a handful of
tokens gives answers that look like the model's failures, not like a setting's.

Every such error starts with ``CONTEXT_ERROR`` so that a server (``evalscope serve``) can answer it
with HTTP 400 rather than 500.
"""

from __future__ import annotations

import attrs

TRUNCATION_MODES = ("error", "left")
#: the first words of every context-length error
CONTEXT_ERROR = "context length exceeded"
#: a cut prompt keeps at least context // MIN_KEPT_SHARE tokens (or all of itself, when shorter)
MIN_KEPT_SHARE = 4
#: the advice given to an evaluation (a server passes its own)
EVAL_HINT = (
    "Lower max_tokens, or let evalscope cut prompts from the left with `truncation: left` "
    "(--truncation left); cut prompts are counted in the report."
)
SCORING_HINT = (
    "Let evalscope cut prompts from the left with `truncation: left` (--truncation left); cut prompts "
    "are counted in the report."
)


_FLOOR_RULE = (
    "`truncation: left` never cuts {what} below a quarter of the model's context ({quarter} tokens), "
    "nor a shorter one at all"
)


def check_mode(mode: str) -> str:
    if mode not in TRUNCATION_MODES:
        raise ValueError(f"truncation must be one of {', '.join(TRUNCATION_MODES)}, got {mode!r}")
    return mode


def is_context_error(error: str | None) -> bool:
    """Whether an output's `error` is a prompt that did not fit the context."""
    return bool(error) and error.startswith(CONTEXT_ERROR)  # type: ignore[union-attr]  # bool(error) excludes None


@attrs.frozen
class Fit:
    """The verdict on one prompt: keep its last `keep` tokens (None: all of them), or `error`."""

    keep: int | None = None
    error: str | None = None

    @property
    def truncated(self) -> bool:
        return self.keep is not None and self.error is None


def fit_generation(
    prompt_tokens: int,
    max_tokens: int,
    context: int,
    mode: str,
    *,
    hint: str | None = None,
    default_max_tokens: bool = False,
    at_least: bool = False,
) -> Fit:
    """Room for `prompt_tokens` + `max_tokens` new tokens in `context`?

    `at_least`: `prompt_tokens` is a lower bound (the text was too long to be worth tokenising).
    """
    if prompt_tokens + max_tokens <= context:
        return Fit()
    has = "has at least" if at_least else "has"
    said = f"max_tokens is {max_tokens}" + (" (the default)" if default_max_tokens else "")
    if mode == "left":
        floor = min(prompt_tokens, max(1, context // MIN_KEPT_SHARE))
        room = context - max_tokens
        if room >= floor:
            return Fit(keep=room)
        if room <= 0:
            why = f"{said}, which alone fills the model's context of {context} tokens"
        else:
            why = (
                f"{said}, which leaves room for only {room} of the prompt's {prompt_tokens} tokens in the "
                f"model's context of {context}; {_FLOOR_RULE.format(what='a prompt', quarter=context // MIN_KEPT_SHARE)}"
            )
        return Fit(error=f"{CONTEXT_ERROR}: {why}. Lower max_tokens.")
    return Fit(
        error=(
            f"{CONTEXT_ERROR}: the prompt {has} {prompt_tokens} tokens and {said}, {prompt_tokens + max_tokens} "
            f"in all, more than the model's context of {context} tokens. {hint or EVAL_HINT}"
        )
    )


def fit_scoring(
    prompt_tokens: int,
    context: int,
    mode: str,
    *,
    kind: str,
    scored_tokens: int = 0,
    hint: str | None = None,
    at_least: bool = False,
) -> Fit:
    """Room for a scored text of `prompt_tokens` context tokens + `scored_tokens` in `context`?

    `kind` names the request kind in the message; `scored_tokens` (a log-likelihood's continuation)
    can never be cut, only the context before it.
    """
    total = prompt_tokens + scored_tokens
    if total <= context:
        return Fit()
    if scored_tokens:
        what = (
            f"the context and continuation of a {kind} request have {total} tokens ({prompt_tokens} + "
            f"{scored_tokens})"
        )
    else:
        what = f"the prompt of a {kind} request has {'at least ' if at_least else ''}{prompt_tokens} tokens"
    if mode == "left":
        floor = min(prompt_tokens, max(1, context // MIN_KEPT_SHARE))
        room = context - scored_tokens
        if room >= floor:
            return Fit(keep=room)
        return Fit(
            error=(
                f"{CONTEXT_ERROR}: {what}; the continuation leaves room for only {max(room, 0)} context tokens "
                f"in the model's context of {context}; "
                f"{_FLOOR_RULE.format(what='the text before the continuation', quarter=context // MIN_KEPT_SHARE)}."
            )
        )
    return Fit(
        error=f"{CONTEXT_ERROR}: {what}, more than the model's context of {context} tokens. {hint or SCORING_HINT}"
    )
