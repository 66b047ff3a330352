"""IFEval strict/loose evaluation of whole rows and aggregation into the four metrics."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from evalscope.benchmarks._lib.ifeval import METRICS, aggregate_ifeval, evaluate_ifeval, loose_variants

DATA = Path(os.environ.get("EVALSCOPE_DATASET_DIR", "/work/shared/datasets")) / "ifeval" / "input_data.jsonl"


@pytest.fixture(scope="module")
def rows() -> dict[int, dict]:
    if not DATA.exists():
        pytest.skip(f"IFEval data not found at {DATA}")
    with DATA.open(encoding="utf-8") as f:
        return {r["key"]: r for r in map(json.loads, f)}


def test_row_with_three_instructions_all_followed(rows: dict[int, dict]) -> None:
    row = rows[1000]  # no_comma, >=3 highlighted sections, >=300 words
    body = " ".join(["Raymond ruled Tripoli and fought at Hattin."] * 50)
    response = f"*Early life*\n{body}\n*Regency*\n{body}\n*Legacy*\nHe died in 1187."
    result = evaluate_ifeval(row, response)
    assert result["inst_level_strict"] == [True, True, True]
    assert result["prompt_level_strict_acc"] == 1.0
    assert result["prompt_level_loose_acc"] == 1.0


def test_row_partially_followed(rows: dict[int, dict]) -> None:
    row = rows[1000]
    result = evaluate_ifeval(row, "*One*, *two*, *three*.")  # comma used, far too short
    assert result["inst_level_strict"] == [False, True, False]
    assert result["prompt_level_strict_acc"] == 0.0


def test_loose_accepts_intro_line_and_markdown_but_strict_does_not() -> None:
    row = {
        "instruction_id_list": ["startend:quotation", "startend:end_checker"],
        "kwargs": [{}, {"end_phrase": "Is there anything else I can help with?"}],
    }
    response = 'Sure! Here you go:\n"Paris is the capital. **Is there anything else I can help with?**"'
    result = evaluate_ifeval(row, response)
    assert result["inst_level_strict"] == [False, False]
    assert result["inst_level_loose"] == [True, True]
    assert (result["prompt_level_strict_acc"], result["prompt_level_loose_acc"]) == (0.0, 1.0)


def test_loose_variants_are_the_papers_eight() -> None:
    variants = loose_variants("intro\n*body*\noutro")
    assert variants == [
        "intro\n*body*\noutro",
        "*body*\noutro",
        "intro\n*body*",
        "*body*",
        "intro\nbody\noutro",
        "body\noutro",
        "intro\nbody",
        "body",
    ]


def test_empty_response_follows_nothing(rows: dict[int, dict]) -> None:
    result = evaluate_ifeval(rows[1001], "")  # only punctuation:no_comma, which "" would trivially satisfy
    assert result["inst_level_strict"] == [False]
    assert result["inst_level_loose"] == [False]


def test_aggregation_is_micro_over_instructions() -> None:
    results = [
        {
            "prompt_level_strict_acc": 1.0,
            "prompt_level_loose_acc": 1.0,
            "inst_level_strict": [True],
            "inst_level_loose": [True],
        },
        {
            "prompt_level_strict_acc": 0.0,
            "prompt_level_loose_acc": 0.0,
            "inst_level_strict": [True, False, False],
            "inst_level_loose": [True, True, False],
        },
    ]
    metrics = aggregate_ifeval(results)
    assert set(metrics) == set(METRICS)
    assert metrics["prompt_level_strict_acc"] == 0.5
    assert metrics["prompt_level_loose_acc"] == 0.5
    assert metrics["inst_level_strict_acc"] == 2 / 4  # mean of per-prompt fractions would be 0.667
    assert metrics["inst_level_loose_acc"] == 3 / 4
    assert aggregate_ifeval([]) == dict.fromkeys(METRICS, 0.0)


def test_whole_dataset_scores_prompt_echo_consistently(rows: dict[int, dict]) -> None:
    """Echoing the prompt back is a real (bad) response; every row must score without errors."""
    results = [evaluate_ifeval(row, row["prompt"]) for row in rows.values()]
    metrics = aggregate_ifeval(results)
    assert len(results) == 541
    assert 0.0 < metrics["prompt_level_strict_acc"] < 0.5
    assert metrics["prompt_level_strict_acc"] <= metrics["prompt_level_loose_acc"]
    assert metrics["inst_level_strict_acc"] <= metrics["inst_level_loose_acc"]
    # a response that starts with the request to repeat satisfies every combination:repeat_prompt row
    repeat_rows = [row for row in rows.values() if "combination:repeat_prompt" in row["instruction_id_list"]]
    followed = []
    for row in repeat_rows:
        idx = row["instruction_id_list"].index("combination:repeat_prompt")
        reply = row["kwargs"][idx]["prompt_to_repeat"] + "\nHere is my answer."
        followed.append(evaluate_ifeval(row, reply)["inst_level_strict"][idx])
    assert len(followed) == 41 and all(followed)
