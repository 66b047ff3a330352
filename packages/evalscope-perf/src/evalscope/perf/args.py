"""`evalscope perf` arguments (attrs) and their JSON form (cattrs, API key redacted)."""

from __future__ import annotations

import json
from typing import Any

import attrs
import cattrs

REDACTED = "***"


@attrs.define
class PerfArgs:
    """All options of one `evalscope perf` invocation (a sweep may hold several runs)."""

    model: str
    api: str = "openai"  # openai(=chat) | completions | embeddings | local
    api_url: str | None = None
    api_key: str | None = None
    headers: dict[str, str] = attrs.field(factory=dict)
    query_template: dict[str, Any] | None = None
    parallel: list[int] = attrs.field(factory=lambda: [1])
    number: list[int] = attrs.field(factory=lambda: [100])
    rate: list[float] = attrs.field(factory=list)  # empty: closed loop
    arrival: str = "poisson"  # poisson | constant
    max_concurrency: int | None = None  # cap in flight under --rate
    duration: float | None = None
    warmup_num: int = 0
    sleep_interval: float = 5.0
    timeout: float | None = 600.0
    connect_timeout: float | None = 30.0
    num_workers: int = 0  # 0: automatic
    stream: bool = True
    max_tokens: int | None = 2048
    min_tokens: int | None = None
    temperature: float | None = 0.0
    top_p: float | None = None
    seed: int | None = 0
    extra_args: dict[str, Any] = attrs.field(factory=dict)
    tools: list[dict[str, Any]] | None = None  # --tools FILE: OpenAI function tools (chat)
    tool_choice: str | None = None  # auto | none | required | a tool's name
    dataset: str = "openqa"
    dataset_path: str | None = None
    prompt: str | None = None
    min_prompt_length: int = 0
    max_prompt_length: int = 131072
    prefix_length: int = 0
    multi_turn: bool = False
    max_turns: int = 3
    tokenizer_path: str | None = None
    slo: str | None = None
    outputs_dir: str = "outputs"
    name: str | None = None
    no_timestamp: bool = False
    visualizer: str | None = None  # wandb | swanlab
    port: int | None = None  # --api local: server port (free one when None)
    uvloop: bool = True
    keep_text: bool = True

    @property
    def api_kind(self) -> str:
        from evalscope.perf.apis import API_ALIASES

        if self.dataset.startswith("speed_benchmark"):
            return "completions"
        return API_ALIASES.get(self.api, "chat")


_conv = cattrs.Converter()


def args_to_dict(args: PerfArgs) -> dict[str, Any]:
    """Serialisable dict with secrets removed (API key, auth-like headers)."""
    data = _conv.unstructure(args)
    if data.get("api_key"):
        data["api_key"] = REDACTED
    data["headers"] = {
        k: (REDACTED if k.lower() in ("authorization", "api-key", "x-api-key", "cookie") else v)
        for k, v in data.get("headers", {}).items()
    }
    return data


def args_from_dict(data: dict[str, Any]) -> PerfArgs:
    return _conv.structure(data, PerfArgs)


def args_to_json(args: PerfArgs) -> str:
    return json.dumps(args_to_dict(args), indent=2, ensure_ascii=False)
