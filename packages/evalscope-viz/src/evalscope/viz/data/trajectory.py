"""An agent loop's trajectory (`ModelOutput.trajectory`) as a person reads it: role-labelled steps,
each tool call with its arguments, each result (long ones cut, the whole text kept for expanding)."""

from __future__ import annotations

import json

import attrs

from evalscope.core.types import ModelOutput, Trajectory

#: characters of a tool result shown before it is folded (the site expands it, the TUI says how long)
SHORT_RESULT = 300


@attrs.frozen
class TrajectoryEntry:
    """One line of a trajectory: `role` assistant | tool_call | tool, a `label` (turn, tokens and
    time; the tool's name), the `text` (the answer, the call's arguments, the result) and, for a
    result longer than `SHORT_RESULT`, its first characters in `short`."""

    role: str
    label: str
    text: str
    short: str = ""
    error: bool = False


def _arguments(call_arguments: dict[str, object], raw: str | None, parse_error: str | None) -> str:
    if parse_error is not None:
        return f"{raw}  ({parse_error})"
    return json.dumps(call_arguments, ensure_ascii=False)


def trajectory_entries(trajectory: Trajectory | None) -> tuple[TrajectoryEntry, ...]:
    """Every step of `trajectory` as entries in order: the answer, its calls, their results."""
    if trajectory is None:
        return ()
    out: list[TrajectoryEntry] = []
    for n, step in enumerate(trajectory.steps, 1):
        tokens = f"{step.usage.input_tokens} in, {step.usage.output_tokens} out"
        out.append(TrajectoryEntry("assistant", f"turn {n} · {tokens} · {step.seconds:.2f} s", step.text))
        for call in step.tool_calls:
            args = _arguments(call.arguments, call.raw_arguments, call.parse_error)
            out.append(TrajectoryEntry("tool_call", call.name, args, error=call.parse_error is not None))
        for result in step.results:
            short = result.content[:SHORT_RESULT] + " …" if len(result.content) > SHORT_RESULT else ""
            label = f"{result.name} · {'error' if result.error else 'ok'} · {result.seconds:.2f} s"
            isolation = (result.metadata.get("sandbox") or {}).get("isolation") if result.metadata else None
            if isolation:
                label += f" · sandbox: {isolation}"
            out.append(TrajectoryEntry("tool", label, result.content, short, error=result.error))
    return tuple(out)


def trajectory_summary(output: ModelOutput) -> str:
    """`answered after 3 turns, 2 tool calls, 1.20 s` or `budget exhausted (max_turns=1) after 1 turn ...`;
    "" without a trajectory."""
    trajectory = output.trajectory
    if trajectory is None:
        return ""
    turns = len(trajectory.steps)
    calls = sum(len(s.tool_calls) for s in trajectory.steps)
    how = "answered" if trajectory.budget is None else f"budget exhausted ({trajectory.budget})"
    return (
        f"{how} after {turns} turn{'s' if turns != 1 else ''}, {calls} tool call{'s' if calls != 1 else ''}, "
        f"{output.usage.total_tokens} tokens, {trajectory.seconds:.2f} s"
    )


def trajectory_text(entries: tuple[TrajectoryEntry, ...], summary: str) -> str:
    """The trajectory as plain text (the TUI): `[assistant turn 1 ...]`, `→ call`, `← result` lines;
    a long result is cut with its length noted."""
    lines = [summary]
    for e in entries:
        if e.role == "assistant":
            lines.append(f"[assistant {e.label}] {e.text or '(no text)'}")
        elif e.role == "tool_call":
            lines.append(f"  → {e.label}({e.text})")
        else:
            body = e.short + f" [{len(e.text)} characters]" if e.short else e.text
            lines.append(f"  ← {e.label}: {body}")
    return "\n".join(lines)
