"""`extract_choice` on recorded model outputs (tests/fixtures/mcq/choice_outputs.json).

Each case holds the raw text a model wrote, the option letters of its question and the letter a
careful reader takes from it ("" when the text picks none). `source` says where the text came
from: `smollm2-135m-instruct` cases were produced by the real model through the engine in
generation mode; `cue-phrase` cases are short answers in the phrasings services use (Chinese cue
words, self-corrections) that the 135M model does not produce.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalscope.core.extractors import extract_choice

CASES = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "mcq" / "choice_outputs.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[f"{c['source']}-{i}" for i, c in enumerate(CASES)])
def test_extract_choice_on_recorded_outputs(case):
    assert extract_choice(case["text"], case["letters"]) == case["expected"]


def test_fixture_covers_the_required_kinds():
    sources = {c["source"] for c in CASES}
    assert "smollm2-135m-instruct" in sources
    texts = " ".join(c["text"] for c in CASES)
    for cue in ("答案是", "故选", "选项", "正确"):
        assert cue in texts
    assert any(c.get("kind") == "self-correction" for c in CASES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("B\nA. Paris\nB. London\nC. Rome\nD. Madrid", "B"),  # the answer first, then the options restated
        ("(C)\nA. Paris\nB. London\nC. Rome", "C"),
        ("**D**\nA. x\nB. y\nC. z\nD. w", "D"),
        ("A. Paris\nB. London\nC. Rome\nD. Madrid", ""),  # only the options restated: no choice
        ("I think\nA. x\nB. y\nC. z", ""),
    ],
)
def test_a_bare_letter_on_the_first_line_is_an_answer(text, expected):
    assert extract_choice(text, "ABCD") == expected
