"""Per-sample results as a person reads them: prompt, gold, raw output, extracted answer, score, verdict."""

from __future__ import annotations

import json
from typing import Any

import attrs

from evalscope.core.conversation import transcript
from evalscope.core.ports import ResultFilter
from evalscope.core.types import SampleResult, SampleStatus
from evalscope.viz.data.trajectory import TrajectoryEntry, trajectory_entries, trajectory_summary

#: the prediction browser's filters and what each keeps
FILTERS = ("all", "pass", "fail", "error")


def text_of(value: Any) -> str:
    """A prompt, gold answer or prediction as text (non-strings as compact JSON)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def prompt_of(result: SampleResult) -> str:
    """The sample's input: a plain question, or chat turns as `role: content` lines."""
    sample = result.sample
    if sample is None:
        return ""
    if isinstance(sample.input, str):
        text = sample.input
    else:
        text = "\n\n".join(f"**{m.role}**: {m.content}" for m in sample.input)
    if sample.choices:
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        options = "\n".join(f"{letters[i] if i < 26 else i}. {c}" for i, c in enumerate(sample.choices))
        if options not in text:
            text = f"{text}\n\n{options}"
    return text


def primary_score(result: SampleResult, metric: str | None = None) -> float | None:
    if not result.scores:
        return None
    value = result.scores.get(metric) if metric else next(iter(result.scores.values()))
    return None if value is None else float(value)


@attrs.frozen
class SampleView:
    """One sample, ready to show."""

    sample_id: str
    subset: str
    status: str
    prompt: str
    gold: str
    output: str
    extracted: str
    score: float | None
    scores: dict[str, float]
    passed: bool | None
    #: the judge's verdict as (label, value) lines (see `judge_summary`); empty when not judged
    judge: tuple[tuple[str, str], ...] = ()
    #: the judge's prompt and raw reply of its last attempt, when it was asked
    judge_exchange: str = ""
    error: str | None = None
    reasoning: str | None = None
    #: multiple choice answered by option scores (letter probabilities or log-likelihoods), no text
    option_scores: str = ""
    #: a multi-turn item's whole conversation as (role, text), each user turn then its answer; empty
    #: for a single-turn item (its prompt and output say it all)
    conversation: tuple[tuple[str, str], ...] = ()
    #: an agent loop's steps (answers, tool calls, results; `viz/data/trajectory.py`) and its summary
    trajectory: tuple[TrajectoryEntry, ...] = ()
    trajectory_summary: str = ""


def sample_view(result: SampleResult, *, threshold: float = 1.0, metric: str | None = None) -> SampleView:
    score = primary_score(result, metric) if result.status is SampleStatus.SCORED else None
    details = result.details if isinstance(result.details, dict) else {}
    return SampleView(
        sample_id=str(result.sample_id),
        subset=result.subset,
        status=result.status.value,
        prompt=prompt_of(result),
        gold=text_of(
            result.gold if result.gold is not None else (result.sample.target if result.sample else None)
        ),
        output=result.output.text or "",
        extracted=text_of(result.prediction),
        score=score,
        scores=dict(result.scores),
        passed=None if score is None else score >= threshold,
        judge=judge_summary(details),
        judge_exchange=judge_exchange(details),
        error=result.error or result.output.error,
        option_scores=option_scores(result),
        reasoning=result.output.reasoning,
        conversation=tuple(transcript(result.sample, result.output)) if result.output.turns else (),
        trajectory=trajectory_entries(result.output.trajectory),
        trajectory_summary=trajectory_summary(result.output),
    )


def option_scores(result: SampleResult) -> str:
    """`A 0.61 · B 0.20 · ...`: the score the model gave each option, when it answered by scores."""
    values = result.output.scores
    if not values:
        return ""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return " · ".join(f"{letters[i] if i < 26 else i} {v:.4g}" for i, v in enumerate(values))


def _last_call(record: dict[str, Any]) -> dict[str, Any]:
    calls = record.get("calls") or []
    return calls[-1] if calls and isinstance(calls[-1], dict) else {}


def judge_summary(details: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """What the judge decided, as the review's `details["judge"]` records it: who judged, how, the
    verdict and its score, whether it parsed, and the rule's scores it replaced."""
    record = details.get("judge")
    if not isinstance(record, dict):
        return ()
    who = record.get("judge")
    if not isinstance(who, dict):
        who = {}
    call = _last_call(record)
    lines = [
        ("judge", str(who.get("model") or who.get("provider") or "-")),
        ("strategy", str(record.get("strategy", "-"))),
    ]
    if call:
        lines += [
            ("verdict", str(call.get("label") if call.get("label") is not None else "-")),
            ("judge score", "-" if call.get("score") is None else f"{call['score']:g}"),
            ("valid", "yes" if call.get("valid") else "no"),
            ("attempts", str(call.get("attempts", 1)) + (" (reused)" if call.get("cached") else "")),
        ]
        if call.get("reason"):
            lines.append(("reason", str(call["reason"])))
    for key in ("skipped", "error"):
        if record.get(key):
            lines.append((key, str(record[key])))
    rule = details.get("rule_scores")
    if isinstance(rule, dict) and rule:
        lines.append(
            ("rule scores", ", ".join(f"{k}={v:g}" for k, v in rule.items() if isinstance(v, (int, float))))
        )
    return tuple(lines)


def judge_exchange(details: dict[str, Any]) -> str:
    """The judge's prompt (first attempt) and its replies, as plain text."""
    record = details.get("judge")
    call = _last_call(record) if isinstance(record, dict) else {}
    if not call:
        return ""
    prompt = "\n\n".join(
        f"[{m.get('role')}] {m.get('content')}" for m in call.get("messages") or [] if isinstance(m, dict)
    )
    replies = "\n---\n".join(str(r) for r in call.get("replies") or [])
    return f"{prompt}\n\n[reply]\n{replies}" if prompt else replies


def browser_filter(
    *,
    dataset: str,
    subset: str | None = None,
    kind: str = "all",
    threshold: float = 1.0,
    search: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> ResultFilter:
    """The store query behind the prediction browser's All / Pass / Fail / Errors filter."""
    if kind not in FILTERS:
        raise ValueError(f"filter {kind!r}: expected one of {', '.join(FILTERS)}")
    return ResultFilter(
        dataset=dataset,
        subset=subset or None,
        passed={"pass": True, "fail": False}.get(kind),
        status=SampleStatus.ERROR if kind == "error" else None,
        threshold=threshold,
        search=search or None,
        offset=offset,
        limit=limit,
    )
