"""Answering a tool's prompts through our model adapters, with a resumable answers file.

Each finished answer is appended (and flushed) to `<work>/answers.jsonl` keyed by the request's
digest before the next is awaited, so a crash loses no finished answer and a rerun into the same
folder (`--use-cache <run dir>`, or `--no-timestamp`) asks only for the missing ones.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from evalscope.core.model import Model
from evalscope.core.models.spec import ModelSpec, open_model, provider_for
from evalscope.core.serialization import ConfigError
from evalscope.core.types import ModelOutput, ModelRequest

if TYPE_CHECKING:
    from evalscope.core.suites import SuiteRequest


@attrs.define
class ModelTarget:
    """Which model answers: a SuiteRequest's model settings (a checkpoint, a service, an alias)."""

    model: str
    eval_type: str = "checkpoint"
    api_url: str | None = None
    api_key: str | None = attrs.field(default=None, repr=False)
    concurrency: int = 1
    timeout: float | None = None


def base_url(url: str) -> str:
    """EvalScope's tools take the full `/chat/completions` URL; our service adapter the base URL."""
    url = url.rstrip("/")
    for suffix in ("/chat/completions", "/completions"):
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url


def target_spec(target: ModelTarget, task: SuiteRequest) -> ModelSpec:
    """The target as a `ModelSpec`: the task's model_args when it is the task's model, the task's
    seed and retries, the target's timeout else the task's."""
    if target.eval_type == "service" and not target.api_url:
        raise ConfigError("api_url: required when eval_type is 'service'")
    return ModelSpec(
        provider=provider_for(target.eval_type), model=target.model, api_url=target.api_url, api_key=target.api_key,
        model_args=dict(task.model_args) if target.model == task.model else {}, concurrency=target.concurrency,
        timeout=target.timeout or task.timeout, retries=task.retries, seed=task.seed,
    )


def build_model(target: ModelTarget, task: SuiteRequest) -> Model:
    """A `Model` (concurrency, retries, timeout) over the adapter the target names."""
    return open_model(target_spec(target, task))


def load_answers(path: Path) -> dict[str, dict[str, Any]]:
    answers: dict[str, dict[str, Any]] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # a line cut by a crash: asked again
                continue
            answers[row["key"]] = row
    return answers


async def answer_all(
    model: Any,
    requests: Sequence[ModelRequest],
    answers_path: Path,
    *,
    on_done: Callable[[int, ModelOutput, bool], None] | None = None,
) -> list[ModelOutput]:
    """Outputs for `requests` in order: reused from `answers_path` where the same request was
    answered before, else asked (failed calls come back as outputs with `error` set)."""
    answers_path.parent.mkdir(parents=True, exist_ok=True)
    known = load_answers(answers_path)
    outputs: list[ModelOutput | None] = [None] * len(requests)
    from evalscope.core.serialization import structure, unstructure

    with open(answers_path, "a", encoding="utf-8") as sink:

        async def one(i: int, request: ModelRequest) -> None:
            key = request.cache_key()
            if key in known:
                stored = outputs[i] = structure(known[key]["output"], ModelOutput)
                if on_done:
                    on_done(i, stored, True)
                return
            try:
                output = await model.call(request)
            except Exception as exc:  # noqa: BLE001 - a failed sample is recorded, not fatal
                output = ModelOutput(error=f"{type(exc).__name__}: {exc}")
            outputs[i] = output
            if output.error is None:
                sink.write(json.dumps({"key": key, "output": unstructure(output)}, ensure_ascii=False) + "\n")
                sink.flush()
            if on_done:
                on_done(i, output, False)

        await asyncio.gather(*(one(i, r) for i, r in enumerate(requests)))
    return [o if o is not None else ModelOutput(error="not answered") for o in outputs]


def run_async(coro: Any) -> Any:
    """Run a coroutine from the suite's worker thread (run_task calls suites off the event loop)."""
    return asyncio.run(coro)
