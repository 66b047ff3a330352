"""Strict and loose IFEval scoring of one response, and aggregation into the four IFEval metrics."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from evalscope.benchmarks._lib.ifeval.checkers import CHECKERS

METRICS = (
    "prompt_level_strict_acc",
    "inst_level_strict_acc",
    "prompt_level_loose_acc",
    "inst_level_loose_acc",
)


def loose_variants(response: str) -> list[str]:
    """The response plus the paper's relaxed variants: without first line, last line or both, and the
    same four with every ``*`` removed (markdown emphasis)."""
    variants: list[str] = []
    for text in (response, response.replace("*", "")):
        lines = text.split("\n")
        variants += [
            text,
            "\n".join(lines[1:]).strip(),
            "\n".join(lines[:-1]).strip(),
            "\n".join(lines[1:-1]).strip(),
        ]
    return variants


def check_instruction(instruction_id: str, response: str, kwargs: Mapping[str, Any] | None) -> bool:
    """Strict check of one instruction; an empty response never follows anything."""
    checker = CHECKERS.get(instruction_id)
    if checker is None:
        raise ValueError(f"unknown IFEval instruction id {instruction_id!r}")
    kw = {k: v for k, v in (kwargs or {}).items() if v is not None}
    return bool(response.strip()) and checker(response, kw)


def evaluate_ifeval(row: Mapping[str, Any], response: str) -> dict[str, float | list[bool]]:
    """Score ``response`` against an IFEval row (``instruction_id_list`` and ``kwargs``).

    Returns ``prompt_level_strict_acc`` / ``prompt_level_loose_acc`` (1.0 when every instruction is
    followed, else 0.0) and ``inst_level_strict`` / ``inst_level_loose`` (one bool per instruction, in the
    row's order). Aggregate over prompts with :func:`aggregate_ifeval`: instruction-level accuracy is the
    total of followed instructions divided by the total of instructions, NOT the mean of per-prompt fractions.
    """
    ids = list(row["instruction_id_list"])
    all_kwargs = list(row.get("kwargs") or [{}] * len(ids))
    if len(all_kwargs) != len(ids):
        raise ValueError("row has a different number of kwargs and instruction ids")
    response = response or ""
    variants = [v for v in loose_variants(response) if v.strip()]
    strict = [check_instruction(i, response, kw) for i, kw in zip(ids, all_kwargs, strict=True)]
    loose = [
        s or any(check_instruction(i, v, kw) for v in variants)
        for i, kw, s in zip(ids, all_kwargs, strict, strict=True)
    ]
    return {
        "prompt_level_strict_acc": float(all(strict)),
        "prompt_level_loose_acc": float(all(loose)),
        "inst_level_strict": strict,
        "inst_level_loose": loose,
    }


def aggregate_ifeval(results: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """The four IFEval metrics over per-prompt results of :func:`evaluate_ifeval`.

    prompt-level = mean over prompts; instruction-level = followed instructions / all instructions (micro).
    """
    n_prompts = 0
    prompt_strict = prompt_loose = 0.0
    inst_total = inst_strict = inst_loose = 0
    for r in results:
        n_prompts += 1
        prompt_strict += float(r["prompt_level_strict_acc"])
        prompt_loose += float(r["prompt_level_loose_acc"])
        inst_total += len(r["inst_level_strict"])
        inst_strict += sum(bool(x) for x in r["inst_level_strict"])
        inst_loose += sum(bool(x) for x in r["inst_level_loose"])
    if n_prompts == 0:
        return dict.fromkeys(METRICS, 0.0)
    return {
        "prompt_level_strict_acc": prompt_strict / n_prompts,
        "inst_level_strict_acc": inst_strict / inst_total if inst_total else 0.0,
        "prompt_level_loose_acc": prompt_loose / n_prompts,
        "inst_level_loose_acc": inst_loose / inst_total if inst_total else 0.0,
    }
