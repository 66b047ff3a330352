"""Output filters applied before extraction (the raw text is always kept beside the result)."""

from __future__ import annotations

import re

from evalscope.core.registry import filters


class FilterError(ValueError):
    """The output cannot be scored (an unclosed reasoning block, say)."""


_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)


def strip_think(text: str, open_tag: str = "<think>", close_tag: str = "</think>") -> str:
    """Remove reasoning blocks; an opened but unclosed block fails the sample."""
    if open_tag == "<think>" and close_tag == "</think>":
        cleaned = _THINK.sub("", text)
    else:
        cleaned = re.sub(re.escape(open_tag) + ".*?" + re.escape(close_tag), "", text, flags=re.DOTALL)
    if open_tag in cleaned:
        raise FilterError(f"unclosed {open_tag} block")
    if close_tag in cleaned:  # some models omit the opening tag: keep what follows the last close
        cleaned = cleaned.rsplit(close_tag, 1)[1]
    return cleaned.strip()


def remove_until(text: str, marker: str) -> str:
    """Keep what follows the last `marker` (EvalScope's `remove_until`)."""
    return text.rsplit(marker, 1)[1] if marker in text else text


filters.register("strip_think", strip_think)
filters.register("remove_until", remove_until)


def apply_filters(text: str, spec: list[str] | dict[str, object] | None) -> str:
    """Apply named filters in order. `spec` is a list of names or a mapping name -> argument."""
    if not spec:
        return text
    items = spec.items() if isinstance(spec, dict) else ((name, None) for name in spec)
    for name, arg in items:
        fn = filters.get(name)
        if arg is None or arg is True:
            text = fn(text)
        elif isinstance(arg, dict):
            text = fn(text, **arg)
        elif isinstance(arg, (list, tuple)):
            text = fn(text, *arg)
        else:
            text = fn(text, arg)
    return text
