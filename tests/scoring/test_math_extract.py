"""Answer extraction from realistic model outputs (math benchmarks) and gsm8k last-number parsing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from evalscope.benchmarks._lib.math_answer import (
    extract_math_answer,
    last_boxed,
    last_number,
    math_equal,
    numbers_equal,
)

DATASETS = Path(os.environ.get("EVALSCOPE_DATASET_DIR", "/work/shared/datasets"))

OUTPUTS = [
    (
        "To find the area we multiply base by height and halve it: $\\frac{1}{2}\\cdot 3 \\cdot \\frac{1}{2}$.\n"
        "So the area is $\\boxed{\\frac{3}{4}}$.",
        r"\frac{3}{4}",
    ),
    (
        "We solve $2x = \\sqrt{3}$, so $x = \\boxed{\\dfrac{\\sqrt{3}}{2}}$.",
        r"\frac{\sqrt{3}}{2}",
    ),
    (
        "First I got \\boxed{2}. Wait, that ignores the second case. Rechecking, the count is \\boxed{5}.",
        "5",
    ),
    (
        "Problem:\nFind x.\nSolution:\nx+1=2 gives x=1.\nFinal Answer: The final answer is $1$. I hope it is correct.",
        "1",
    ),
    ("Janet sells 16 - 3 - 4 = 9 eggs, earning 9 * 2 = 18 dollars.\nThe answer is 18.", "18"),
    ("Let me think. The answer is: $x = 7$, since 7 + 3 = 10.", "7"),
    ("Adding the pieces together, the final answer is 12.", "12"),
    ("她一共有 3 + 15 = 18 个苹果，所以答案是 18。", "18"),
    ("We get 3 apples, then 4 more, for a total of 7", "7"),
    ("I am not able to solve this problem.", ""),
    ("The solutions form the set $\\boxed{\\{1, 2\\}}$.", r"\{1,2\}"),
    ("<think>Maybe it is \\boxed{3}? No.</think>\nThe result is \\boxed{4}.", "4"),
    ("Hence the solution set is \\boxed{\\left(0, 1\\right]}.", "(0,1]"),
    ("Each side measures \\boxed{10\\text{ cm}}.", "10"),
    ("Comparing the options, **the answer is (B)**.", "(B)"),
    (
        "The projection is $\\boxed{\\begin{pmatrix} -\\frac{1}{2} \\\\ 2 \\end{pmatrix}}$.",
        r"\begin{pmatrix}-\frac{1}{2}\\2\end{pmatrix}",
    ),
    ("So we have \\boxed{3} and then the total is \\boxed{\\frac{1}{", "3"),
    ("The remainder is $\\boxed 5$.", "5"),
    ("Thus the expression equals \\fbox{$2^{10}$}.", "2^{10}"),
    ("The angle is \\boxed{45^\\circ}.", "45"),
    ("So the total is \\boxed{\\$1,250}.", "1250"),
    ("The answer is $\\$18.90$.", "18.9"),
]


@pytest.mark.parametrize(("output", "expected"), OUTPUTS)
def test_extract(output: str, expected: str) -> None:
    assert extract_math_answer(output) == expected


def test_last_boxed_handles_nested_braces() -> None:
    assert last_boxed(r"x \boxed{\frac{a^{2}}{b_{1}}} y") == r"\frac{a^{2}}{b_{1}}"
    assert last_boxed("no box here") is None
    assert last_boxed(r"\boxed{unclosed") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She pays $1,000.50 in total.", "1000.50"),
        ("Natalia sold 48/2 = 24 clips in May.\n#### 72", "72"),
        ("The temperature dropped to -7 degrees.", "-7"),
        ("5 - 3 = 2", "2"),
        ("It is .5 of the cake.", "0.5"),
        ("Answer: 18.", "18"),
        ("The list is 1,2,3", "3"),
        ("#### 1,234", "1234"),
        ("no numbers at all", None),
    ],
)
def test_last_number(text: str, expected: str | None) -> None:
    assert last_number(text) == expected


def _first_rows(path: Path, n: int) -> list[dict]:
    if not path.exists():
        pytest.skip(f"dataset file not found: {path}")
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for _, line in zip(range(n), f, strict=False)]


def test_gsm8k_gold_answers_parse() -> None:
    rows = _first_rows(DATASETS / "gsm8k" / "test.jsonl", 50)
    for row in rows:
        gold = last_number(row["answer"])
        assert gold is not None
        assert numbers_equal(f"So the answer is {gold}.".split()[-1].rstrip("."), gold)
        assert not numbers_equal(str(float(gold) + 1), gold)


def test_math500_solutions_match_their_answers() -> None:
    """The boxed answer extracted from each reference solution equals the dataset's answer field."""
    rows = _first_rows(DATASETS / "math500" / "test.jsonl", 60)
    mismatches = [
        (row["answer"], extract_math_answer(row["solution"]))
        for row in rows
        if not math_equal(extract_math_answer(row["solution"]), row["answer"])
    ]
    assert mismatches == []
