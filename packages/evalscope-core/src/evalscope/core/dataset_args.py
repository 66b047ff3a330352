"""`DatasetArgs`: one benchmark's overrides in a run (`dataset_args: {gsm8k: {...}}`).

A domain value: `build_task` and the loaders read it, collections validate their leaves' `args`
with it. `evalscope.config` re-exports it as part of `TaskConfig`.
"""

from __future__ import annotations

from typing import Any

import attrs

from evalscope.core.judge.config import JUDGE_STRATEGIES
from evalscope.core.prompt_styles import check_prompt_style
from evalscope.core.serialization import short_repr
from evalscope.core.types import GenerationConfig

#: "default": our prompts; "evalscope-0.12": EvalScope 0.12's prompt text, byte for byte (docs/evalscope-0.12-compat.md)
PROMPT_STYLES = ("default", "evalscope-0.12")
OUTPUT_TYPES = ("generation", "multiple_choice", "continuation")


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value not in choices:
            raise ValueError(
                f"{attribute.name}: must be one of {', '.join(choices)}, not {short_repr(value)}"
            )

    return check


@attrs.define(kw_only=True)
class DatasetArgs:
    """Per-benchmark overrides (`dataset_args: {gsm8k: {...}}`)."""

    dataset_id: str | None = None
    local_path: str | None = None
    subset_list: list[str] | None = None
    few_shot_num: int | None = None
    few_shot_random: bool = False
    prompt_template: str | None = None
    system_prompt: str | None = None
    metric_list: list[str] | None = None
    filters: list[str] | dict[str, Any] | None = None
    output_type: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(_one_of(OUTPUT_TYPES))
    )
    prompt_style: str | None = attrs.field(default=None, validator=check_prompt_style)
    generation_config: GenerationConfig | None = None
    extra_params: dict[str, Any] = attrs.field(factory=dict)
    #: answers per item for this benchmark, overriding the run's `repeats` (docs/repeats.md)
    repeats: int | None = attrs.field(default=None, validator=attrs.validators.optional(attrs.validators.ge(1)))
    #: this benchmark's judge strategy (auto | rule | llm | llm_recall), overriding the run's `judge_strategy`
    judge_strategy: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(_one_of(JUDGE_STRATEGIES))
    )


__all__ = ["OUTPUT_TYPES", "PROMPT_STYLES", "DatasetArgs"]
