"""Prompt styles: strategies chosen when a task is built (`prompt_style`, `build_task(prompt_style=)`).

A style is a set of per-benchmark overrides of how a request is written and read: how a record
becomes a sample, the query text, the request itself, the prediction. A benchmark the style does not
name keeps its own. `default` overrides nothing; `evalscope-0.12` (EvalScope 0.12's prompts,
`benchmarks/_evalscope012.py`) and `evalscope-0.12-verbatim` (the same with 0.12's prompt bugs,
`benchmarks/_evalscope012_verbatim.py`) register their overrides themselves, so benchmark specs
never know which styles exist. Plug-ins add styles through the `evalscope.prompt_styles`
entry-point group (the entry point names a `PromptStyle`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from evalscope.core.registry import UnknownNameError, prompt_styles

if TYPE_CHECKING:
    from evalscope.core.benchmark import PromptContext, Task
    from evalscope.core.types import ModelOutput, ModelRequest, Sample

DEFAULT = "default"


@attrs.frozen(kw_only=True)
class StyleOverride:
    """What a style changes for one benchmark; None keeps the benchmark's own."""

    #: replaces the spec's `record_to_sample` (evaluated samples and few-shot examples alike), for a
    #: style that reads the data differently (e.g. keeps a gold label the spec normalises)
    record_to_sample: Callable[[dict[str, Any], int, str], Sample] | None = None
    format_query: Callable[[Sample, PromptContext], str] | None = None
    build_request: Callable[[Task, Sample], ModelRequest] | None = None
    predict: Callable[[Task, Sample, ModelOutput], tuple[str | None, Any]] | None = None


@attrs.frozen(kw_only=True)
class PromptStyle:
    """A named prompt style: benchmark name -> its override."""

    name: str
    description: str = ""
    overrides: Mapping[str, StyleOverride] = attrs.field(factory=dict)

    def for_benchmark(self, benchmark: str) -> StyleOverride | None:
        return self.overrides.get(benchmark)


prompt_styles.register(DEFAULT, PromptStyle(name=DEFAULT, description="our prompts"))
# EvalScope 0.12's prompts live beside the benchmarks they restyle; imported when first named
prompt_styles.register_lazy("evalscope-0.12", "evalscope.benchmarks._evalscope012:PROMPT_STYLE")
prompt_styles.register_lazy(
    "evalscope-0.12-verbatim", "evalscope.benchmarks._evalscope012_verbatim:PROMPT_STYLE"
)


def get_prompt_style(name: str, *, where: str = "prompt_style") -> PromptStyle:
    """The registered style `name`; an unknown name is a ValueError naming `where` and close names."""
    try:
        style = prompt_styles.get(name)
    except UnknownNameError as exc:
        raise ValueError(f"{where}: {exc}") from None
    if not isinstance(style, PromptStyle):
        raise ValueError(f"{where}: {name!r} is registered as {type(style).__name__}, not a PromptStyle")
    return style


def prompt_style_names() -> list[str]:
    return prompt_styles.names()


def check_prompt_style(_inst: Any, attribute: Any, value: Any) -> None:
    """attrs validator of a `prompt_style` setting: a registered style (None: not set)."""
    if value is not None and value not in prompt_styles:
        from evalscope.core.registry import did_you_mean

        names = prompt_style_names()
        raise ValueError(
            f"{attribute.name}: unknown prompt style {value!r}.{did_you_mean(str(value), names)} Known: {', '.join(names)}"
        )


__all__ = [
    "DEFAULT",
    "PromptStyle",
    "StyleOverride",
    "check_prompt_style",
    "get_prompt_style",
    "prompt_style_names",
]
