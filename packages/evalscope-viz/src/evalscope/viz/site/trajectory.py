"""The prediction browser's view of an agent loop: each turn's answer, its tool calls with their
arguments, and each result (a long one folded: its first characters, the whole text on expanding)."""

from __future__ import annotations

from dash import html

from evalscope.viz.data.trajectory import TrajectoryEntry

_ROLE = {"assistant": "assistant", "tool_call": "tool call", "tool": "tool result"}


def _body(entry: TrajectoryEntry) -> html.Div | html.Pre | html.Details:
    if entry.short:
        return html.Details([html.Summary(entry.short), html.Pre(entry.text)], className="tool-result")
    if entry.role == "assistant":
        return html.Div(entry.text or "(no text)", className="answer")
    return html.Pre(entry.text)


def trajectory_block(entries: tuple[TrajectoryEntry, ...], summary: str) -> html.Div:
    """The whole trajectory, step by step, role-labelled, under its one-line summary."""
    steps = [
        html.Div(
            [html.Strong(f"{_ROLE[e.role]}: {e.label}"), _body(e)],
            className=f"step {e.role}{' error' if e.error else ''}",
            **{"data-role": e.role},  # type: ignore[arg-type]  # data-* attributes reach Dash through **kwargs
        )
        for e in entries
    ]
    return html.Div([html.P(summary, className="hint"), *steps], className="trajectory")
