"""A repeated run (`repeats: k`) in the TUI's samples list: one row per item with its "solved j/k"
and each repeat's extracted answer; the item's details show every repeat's answer and score."""

from __future__ import annotations

from collections.abc import Callable

from evalscope.viz.data.repeats import ItemGroup

#: the samples list's columns for a repeated run (one row per item)
ITEM_COLUMNS = ("Id", "Solved", "Mean", "Extracted (by repeat)", "Gold", "Subset")


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _verdict(passed: bool | None, status: str) -> str:
    return "pass" if passed else ("fail" if passed is False else status)


def item_row(group: ItemGroup, short: Callable[[str, int], str], cut: int) -> list[str]:
    """`4/4`, the mean score and `18 · 19 · 18 · 20` (each repeat's extracted answer, in order)."""
    extracted = " · ".join(short(v.extracted, 12) or "∅" for _, v in group.answers)
    return [
        short(group.item_id, cut + 4),
        group.label,
        _score(group.mean_score),
        short(extracted, 2 * cut),
        short(group.first.gold, cut),
        short(group.subset, 24),
    ]


def item_text(group: ItemGroup) -> str:
    """An item's details: prompt and gold once, then each repeat's result, score, extracted answer
    and raw output."""
    first = group.first
    parts = [
        f"#{group.item_id}  subset {group.subset}  solved {group.label}  mean score {_score(group.mean_score)}",
        f"── Prompt\n{first.prompt}",
        f"── Gold\n{first.gold}",
    ]
    for repeat, view in group.answers:
        head = (
            f"── Repeat {repeat} · {_verdict(view.passed, view.status)} · score {_score(view.score)}"
            f" · extracted {view.extracted or '-'}"
        )
        parts.append(f"{head}\n{view.output or view.error or ''}")
    return "\n".join(parts)
