"""gsm8k extraction on real SmolLM2 outputs and on the shapes models write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalscope.benchmarks.gsm8k import chain_of_thought, extract, gold_number, score
from evalscope.core.types import ModelOutput, Sample

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "gsm8k" / "smollm2_outputs.json"


def _sample(target: str = "18") -> Sample:
    return Sample(id="0", input="q", target=target)


@pytest.mark.parametrize("row", json.loads(FIXTURE.read_text())["outputs"], ids=lambda r: r["sample_id"])
def test_real_model_outputs(row):
    assert extract(row["output"], _sample(row["gold"])) == row["expected"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("She makes 9 * 2 = $18 every day. The answer is 18.", "18"),
        ("The total is $1,250.50.", "1250.50"),
        ("It drops by -3 degrees", "-3"),
        ("The answer is 42.\n\nQuestion: Tom has 7 apples...", "42"),  # a new question is ignored
        ("No number here.", None),
    ],
)
def test_last_number_shapes(text, expected):
    assert extract(text, _sample()) == expected


def test_numeric_match_not_string_match():
    out = ModelOutput()
    assert score("18.0", _sample("18"), out)["AverageAccuracy"] == 1.0
    assert score("1,000", _sample("1000"), out)["AverageAccuracy"] == 1.0
    assert score("17", _sample("18"), out)["AverageAccuracy"] == 0.0
    assert score(None, _sample("18"), out)["AverageAccuracy"] == 0.0


def test_gold_and_exemplar_rendering(dataset_dir):
    first = json.loads((dataset_dir / "gsm8k" / "train.jsonl").read_text().splitlines()[0])
    assert gold_number(first["answer"]) == "72"
    cot = chain_of_thought(first["answer"])
    assert "<<" not in cot and cot.endswith("The answer is 72.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Children aged 10-15 pay half.", "15"),  # a hyphen after a digit is not a minus sign
        ("The range is 1.5-2.5", "2.5"),
        ("3-2=1", "1"),
        ("x = -3", "-3"),
        ("The answer is (-7).", "-7"),
        ("He owes -12 dollars", "-12"),
    ],
)
def test_a_hyphen_after_a_digit_is_not_a_minus(text, expected):
    from evalscope.core.extractors import last_number

    assert last_number(text) == expected
