"""Judge replies are read fail-closed: one unambiguous verdict, or invalid with the reason."""

from __future__ import annotations

import pytest

from evalscope.core.judge.config import JudgeModelArgs
from evalscope.core.judge.prompts import PATTERN_MAPPING, fill, grading_contract
from evalscope.core.judge.verdict import json_parser, numeric_parser, pattern_parser

DEFAULT = grading_contract(JudgeModelArgs()).parser


@pytest.mark.parametrize(
    ("reply", "score"),
    [
        ("The answer matches the reference. [[A]]", 1.0),
        ("It contradicts the reference.\n[[B]]", 0.0),
        ("[[ A ]]", 1.0),
        ("Verdict [[A]] -- to repeat: [[A]]", 1.0),
        ("<think>maybe [[B]]?</think> Final: [[A]]", 1.0),
    ],
)
def test_pattern_verdicts_that_parse(reply, score):
    verdict = DEFAULT(reply)
    assert verdict.valid and verdict.score == score


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("The answer is correct.", "no verdict"),
        ("A", "no verdict"),  # a bare letter is not the configured format: never guessed
        ("[[A]] or maybe [[B]]", "conflicting verdicts A, B"),
        ("[[C]]", "no verdict"),
        ("", "no verdict"),
        ("<think>[[A]]", "no verdict"),  # an unclosed reasoning block hides its content
    ],
)
def test_pattern_replies_that_do_not_parse_are_invalid_not_zero(reply, reason):
    verdict = DEFAULT(reply)
    assert not verdict.valid and verdict.score is None
    assert reason in verdict.reason


def test_evalscope_style_free_pattern_still_fails_closed():
    """EvalScope's `(A|B)` searched anywhere in free text: any stray letter would count. Here all
    matches must agree, so a reply mentioning both letters is invalid instead of silently scored."""
    parse = pattern_parser(r"\b(A|B)\b", PATTERN_MAPPING)
    assert parse("A").score == 1.0
    assert not parse("Option A looks right but B is what the reference says").valid
    unknown = pattern_parser(r"grade: (\w+)", PATTERN_MAPPING)("grade: C")
    assert not unknown.valid and "not one of" in unknown.reason


def test_numeric_ratings_in_range_only():
    parse = numeric_parser(r"\[\[([0-9.]+)\]\]", 0, 1)
    assert parse("Rating: [[0.75]]").score == 0.75
    assert not parse("[[1.5]]").valid
    assert not parse("[[0.2]] then [[0.9]]").valid
    assert not parse("[[1.2.3]]").valid


def test_json_verdict_schema():
    parse = json_parser({"correct": 1.0, "incorrect": 0.0})
    assert parse('{"verdict": "correct", "reason": "same city"}').score == 1.0
    assert parse('```json\n{"verdict": "incorrect"}\n```').score == 0.0
    for bad, why in [
        ('{"verdict": "maybe"}', "not one of"),
        ('{"score": 1}', "keys verdict"),
        ('{"verdict": "correct", "confidence": 0.9}', "keys verdict"),
        ('{"verdict": "correct"} {"verdict": "incorrect"}', "2 JSON objects"),
        ("correct", "no JSON object"),
        ('{"verdict": true}', "must be a string"),
    ]:
        verdict = parse(bad)
        assert not verdict.valid and why in verdict.reason, (bad, verdict)


def test_prompt_placeholders_are_filled_once():
    """Text of the model's answer is never searched for another placeholder (no prompt injection
    through `{gold}` in an answer) and other braces (JSON examples) stay as written."""
    text = fill('Q: {question}\nA: {pred}\nRef: {gold}\nReply {"verdict": ...}', question="q {gold}", pred="p", gold="g")
    assert text == 'Q: q {gold}\nA: p\nRef: g\nReply {"verdict": ...}'


def test_contract_defaults_follow_score_type():
    assert grading_contract(JudgeModelArgs(score_type="numeric")).parser("[[1]]").score == 1.0
    assert grading_contract(JudgeModelArgs(score_type="json")).parser('{"verdict": "correct"}').score == 1.0
    custom = grading_contract(JudgeModelArgs(score_pattern=r"GRADE: (\w+)", score_mapping={"PASS": 1, "FAIL": 0}))
    assert custom.parser("GRADE: FAIL").score == 0.0
    assert custom.description != grading_contract(JudgeModelArgs()).description  # part of the cache key


# -- a verdict its own words contradict is invalid (fail closed), ordinary replies stay valid ----------


@pytest.mark.parametrize(
    ("reply", "contract"),
    [
        ("[A]\n\nThe answer is incorrect because the capital of France is Paris, not Lyon.", "pattern"),  # seen from SmolLM2
        ("[[A]] The predicted answer is not correct.", "pattern"),
        ("The prediction is wrong: a spider has eight legs. [[A]]", "pattern"),
        ("It's incorrect. [[A]]", "pattern"),
        ("The model's answer isn't correct. Verdict: [[A]]", "pattern"),
        ("The predicted answer is correct. [[B]]", "pattern"),
        ("The response is clearly correct, it says Paris.\n[[B]]", "pattern"),
        ('{"verdict": "correct", "reason": "The answer is wrong, it says six."}', "json"),
        ('{"verdict": "incorrect", "reason": "The prediction is correct."}', "json"),
        ("The answer is incorrect. [[1]]", "numeric"),
        ("This is correct. [[0]]", "numeric"),
    ],
)
def test_a_verdict_its_own_words_contradict_is_invalid(reply, contract):
    verdict = grading_contract(JudgeModelArgs(score_type=contract)).parser(reply)
    assert not verdict.valid and verdict.score is None, verdict
    assert "contradicts the reply's own words" in verdict.reason


@pytest.mark.parametrize(
    ("reply", "score"),
    [
        ("The predicted answer is correct. [[A]]", 1.0),
        ("The answer is correct: it names Paris, the same city as the reference. [[A]]", 1.0),
        ("The wording differs but nothing is wrong with it. [[A]]", 1.0),
        ("The answer is not wrong, just brief. [[A]]", 1.0),
        ("The reference answer is eight and the prediction says eight, so it is correct.\n[[A]]", 1.0),
        ("The predicted answer is incorrect. The correct answer is Paris. [[B]]", 0.0),
        ("The reference answer is correct: eight legs. The prediction says six, which is wrong. [[B]]", 0.0),
        ("Wrong count: the correct answer is eight. [[B]]", 0.0),
        ("The prediction is wrong.\n\n[[B]]", 0.0),
        ("It is not correct; the expected answer is Jupiter. [[B]]", 0.0),
        ("<think>At first the answer is correct? No.</think> The answer is incorrect. [[B]]", 0.0),
        ("The answer hedges between two cities, which counts as incorrect. [[B]]", 0.0),
    ],
)
def test_ordinary_replies_are_not_made_invalid(reply, score):
    verdict = DEFAULT(reply)
    assert verdict.valid and verdict.score == score, verdict
