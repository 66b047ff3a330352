"""IFEval scoring (Google's instruction-following eval), implemented without nltk data.

    result = evaluate_ifeval(row, response)   # per prompt: strict/loose prompt flags + per-instruction bools
    metrics = aggregate_ifeval(results)       # prompt_level_{strict,loose}_acc, inst_level_{strict,loose}_acc

Instruction-level accuracy is micro-averaged: followed instructions / all instructions over all prompts.
``language:response_language`` and the ``change_case:english_*`` checks need the ``langdetect`` package
(imported lazily, on first use).
"""

from __future__ import annotations

from evalscope.benchmarks._lib.ifeval.checkers import CHECKERS
from evalscope.benchmarks._lib.ifeval.evaluate import (
    METRICS,
    aggregate_ifeval,
    check_instruction,
    evaluate_ifeval,
    loose_variants,
)

INSTRUCTION_IDS: tuple[str, ...] = tuple(sorted(CHECKERS))

__all__ = [
    "CHECKERS",
    "INSTRUCTION_IDS",
    "METRICS",
    "aggregate_ifeval",
    "check_instruction",
    "evaluate_ifeval",
    "loose_variants",
]
