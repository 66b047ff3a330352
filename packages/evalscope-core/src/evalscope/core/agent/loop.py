"""The agent loop: model <-> tools until the model answers or a budget runs out.

Each turn sends the request's messages plus the conversation so far (every earlier answer as an
assistant message with its `tool_calls`, each call's result as a role "tool" message) with the
tools; the calls of an answer are executed in order (`Toolbox.execute`: a failing tool is an error
result the model reads). The loop ends when an answer calls no tool ("answered"), or when a budget
runs out ("budget_exhausted", naming it): `max_turns` model calls, `max_total_tokens` (prompt and
completion tokens of every call together), `max_seconds` of wall clock (a call still running then
is cancelled). The calls of an answer that used up the last turn or the tokens are kept, not run.

The returned output is the last answer (text, tool calls, finish reason) with `usage` and `latency`
summed over the turns and every step in `trajectory`; a model call that fails ends the loop with
that error (the sample is then an ERROR, retried from scratch by `--use-cache`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs

from evalscope.core.agent.tools import Toolbox
from evalscope.core.types import (
    AGENT_ANSWERED,
    AGENT_BUDGET_EXHAUSTED,
    AgentStep,
    ModelOutput,
    ModelRequest,
    SettingValueError,
    Trajectory,
    Usage,
)

#: the budget keys a benchmark's `extra_params` (or a spec) may set, with their defaults
BUDGET_DEFAULTS: dict[str, Any] = {"max_turns": 10, "max_total_tokens": None, "max_seconds": None}


def _positive(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise SettingValueError(attribute.name, f"must be a number > 0 (or null for no limit), got {value!r}")


@attrs.frozen
class AgentSettings:
    """The loop's budgets; None: no limit (turns always have one)."""

    max_turns: int = attrs.field(default=10, validator=_positive)
    max_total_tokens: int | None = attrs.field(default=None, validator=_positive)
    max_seconds: float | None = attrs.field(default=None, validator=_positive)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> AgentSettings:
        """The budgets among a task's params (`dataset_args.<name>.extra_params`)."""
        return cls(**{k: params.get(k, default) for k, default in BUDGET_DEFAULTS.items()})


@attrs.frozen
class Agent:
    """How one sample is solved by the loop: its tools and budgets."""

    toolbox: Toolbox
    settings: AgentSettings = AgentSettings()


ModelCall = Callable[[ModelRequest], Awaitable[ModelOutput]]


async def run_agent(agent: Agent, request: ModelRequest, call: ModelCall) -> ModelOutput:
    """Run the loop from `request` (its messages and tools; the toolbox's tools when it offers none);
    `call` answers one request (an exception inside it should come back as an output's `error`)."""
    settings = agent.settings
    first = request if request.tools else attrs.evolve(request, tools=agent.toolbox.specs or None)
    trajectory = Trajectory()
    started = time.perf_counter()
    used = Usage()
    last = ModelOutput()
    while True:
        if len(trajectory.steps) >= settings.max_turns:
            return _end(last, trajectory, used, started, f"max_turns={settings.max_turns}")
        asked = attrs.evolve(first, messages=[*(first.messages or []), *trajectory.messages()])
        remaining = (
            None if settings.max_seconds is None else settings.max_seconds - (time.perf_counter() - started)
        )
        began = time.perf_counter()
        try:
            if remaining is not None and remaining <= 0:
                raise asyncio.TimeoutError
            last = await asyncio.wait_for(call(asked), timeout=remaining)
        except asyncio.TimeoutError:  # TimeoutError itself from Python 3.11
            return _end(last, trajectory, used, started, f"max_seconds={settings.max_seconds:g}")
        step = AgentStep(
            text=last.text,
            tool_calls=list(last.tool_calls or []),
            usage=last.usage,
            seconds=round(time.perf_counter() - began, 6),
            finish_reason=last.finish_reason,
            reasoning=last.reasoning,
        )
        trajectory.steps.append(step)
        used = Usage(
            used.input_tokens + last.usage.input_tokens,
            used.output_tokens + last.usage.output_tokens,
            used.reasoning_tokens + last.usage.reasoning_tokens,
        )
        if last.error is not None:
            done = _end(last, trajectory, used, started, None)
            return attrs.evolve(done, error=f"agent turn {len(trajectory.steps)}: {last.error}")
        if not step.tool_calls:
            return _end(last, trajectory, used, started, None)
        if settings.max_total_tokens is not None and used.total_tokens >= settings.max_total_tokens:
            return _end(last, trajectory, used, started, f"max_total_tokens={settings.max_total_tokens}")
        if len(trajectory.steps) >= settings.max_turns:
            return _end(last, trajectory, used, started, f"max_turns={settings.max_turns}")
        step.results = await agent.toolbox.run_step(step.tool_calls)


def _end(
    last: ModelOutput, trajectory: Trajectory, used: Usage, started: float, budget: str | None
) -> ModelOutput:
    """The loop's output: the last answer, the summed usage and time, and the trajectory."""
    trajectory.status = AGENT_ANSWERED if budget is None else AGENT_BUDGET_EXHAUSTED
    trajectory.budget = budget
    trajectory.seconds = round(time.perf_counter() - started, 6)
    latency = sum(s.seconds for s in trajectory.steps)
    return attrs.evolve(last, usage=used, latency=round(latency, 6), trajectory=trajectory, turns=None)


def budget_exhausted(output: ModelOutput) -> bool:
    """The output of an agent loop that ran out of a budget before the model answered."""
    return output.trajectory is not None and output.trajectory.status == AGENT_BUDGET_EXHAUSTED
