"""Every IFEval instruction checker: one passing and one failing response, kwargs from real dataset rows."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from evalscope.benchmarks._lib.ifeval import CHECKERS, INSTRUCTION_IDS, check_instruction
from evalscope.benchmarks._lib.ifeval.text import count_sentences, count_words, split_sentences

DATA = Path(os.environ.get("EVALSCOPE_DATASET_DIR", "/work/shared/datasets")) / "ifeval" / "input_data.jsonl"


@pytest.fixture(scope="module")
def rows() -> dict[int, dict]:
    if not DATA.exists():
        pytest.skip(f"IFEval data not found at {DATA}")
    with DATA.open(encoding="utf-8") as f:
        return {r["key"]: r for r in map(json.loads, f)}


def kwargs_of(rows: dict[int, dict], key: int, instruction_id: str) -> dict:
    row = rows[key]
    return row["kwargs"][row["instruction_id_list"].index(instruction_id)]


LONG_TEXT = " ".join(["Raymond ruled Tripoli wisely and fought at Hattin."] * 40)  # 320 words
FOUR_PARAGRAPHS = "Weekend plans are simple.\n\nWe hike.\n\nWe cook.\n\nWe rest."
KANNADA = "ನಾನು ಪ್ರತಿದಿನ ಬೆಳಿಗ್ಗೆ ಶಾಲೆಗೆ ಹೋಗುತ್ತೇನೆ. ಬೆಂಗಳೂರು ಕರ್ನಾಟಕದ ರಾಜಧಾನಿಯಾಗಿದೆ ಮತ್ತು ಅದು ಸುಂದರವಾದ ನಗರ."

# (instruction id, dataset key, response that follows it, response that does not)
CASES: list[tuple[str, int, str, str]] = [
    (
        "change_case:capital_word_frequency",  # less than 10
        1040,
        "The NASA team met the FBI at noon.",
        "THIS RESPONSE USES FAR TOO MANY CAPITAL WORDS IN ONE SINGLE LINE OF TEXT HERE",
    ),
    (
        "change_case:english_capital",
        1021,
        "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG AND RUNS INTO THE FOREST.",
        "THE QUICK BROWN FOX jumps over the lazy dog.",
    ),
    (
        "change_case:english_lowercase",
        1019,
        "the weather today is sunny and warm, so we will go to the park together.",
        "The weather today is sunny and warm, so we will go to the park together.",
    ),
    (
        "combination:repeat_prompt",
        1012,
        "Write an email to my boss telling him that I am quitting. The email must contain a title wrapped in "
        "double angular brackets, i.e. <<title>>.\n<<Resignation>>\nDear boss, I quit.",
        "<<Resignation>>\nDear boss, I quit.",
    ),
    (
        "combination:two_responses",
        1098,
        "First answer: go by train.\n******\nSecond answer: go by plane.",
        "First answer: go by train.\n******\nFirst answer: go by train.",
    ),
    (
        "detectable_content:number_placeholders",  # at least 12
        1005,
        " ".join(f"[field{i}]" for i in range(12)),
        "Name: [name], Address: [address]",
    ),
    (
        "detectable_content:postscript",  # P.S.
        1219,
        "Thanks for reading.\n\nP.S. Bring snacks.",
        "Thanks for reading. Bring snacks.",
    ),
    (
        "detectable_format:constrained_response",
        227,
        "My answer is yes.",
        "Yes, definitely.",
    ),
    (
        "detectable_format:json_format",
        1075,
        '```json\n{"name": "Alice", "age": 30}\n```',
        'Here is the JSON: {"name": "Alice"}',
    ),
    (
        "detectable_format:multiple_sections",  # PARAGRAPH, 2 sections
        1021,
        "PARAGRAPH 1\nFIRST PART.\nPARAGRAPH 2\nSECOND PART.",
        "PARAGRAPH 1\nONLY ONE PART HERE.",
    ),
    (
        "detectable_format:number_bullet_lists",  # exactly 3
        102,
        "Points:\n* one\n* two\n- three",
        "Points:\n* one\n* two\n* three\n* four",
    ),
    (
        "detectable_format:number_highlighted_sections",  # at least 3
        1000,
        "*Early life* text *Crusades* text **Legacy** text",
        "*Early life* text *Crusades* text ** ** text",
    ),
    (
        "detectable_format:title",
        1012,
        "<<My Resignation>>\nDear boss.",
        "My Resignation\nDear boss. <<>>",
    ),
    (
        "keywords:existence",  # correlated, experiencing
        1069,
        "People experiencing stress often report correlated symptoms.",
        "People experiencing stress often report linked symptoms.",
    ),
    (
        "keywords:forbidden_words",  # rock
        1132,
        "The band plays rocking music on rockets.",
        "We love Rock music.",
    ),
    (
        "keywords:frequency",  # story at least 2
        1153,
        "This story is a Story about stories.",
        "This tale has one story only.",
    ),
    (
        "keywords:letter_frequency",  # '#' at least 4
        1122,
        "# Title\n## Part\n# End",
        "# Title\n## Part",
    ),
    (
        "language:response_language",  # kn
        1108,
        KANNADA,
        "This answer is written in English, not in Kannada at all.",
    ),
    (
        "length_constraints:nth_paragraph_first_word",  # 4 paragraphs, first starts with "weekend"
        1609,
        FOUR_PARAGRAPHS,
        FOUR_PARAGRAPHS.replace("Weekend", "Holiday"),
    ),
    (
        "length_constraints:number_paragraphs",  # 2 paragraphs split by ***
        1082,
        "First paragraph here.\n***\nSecond paragraph here.",
        "First paragraph.\n***\nSecond.\n***\nThird.",
    ),
    (
        "length_constraints:number_sentences",  # less than 6
        1174,
        "One. Two! Three? Four.",
        "One. Two. Three. Four. Five. Six. Seven.",
    ),
    (
        "length_constraints:number_words",  # at least 300
        1000,
        LONG_TEXT,
        "Far too short.",
    ),
    (
        "punctuation:no_comma",
        1000,
        "No commas appear in this sentence.",
        "Well, this one has a comma.",
    ),
    (
        "startend:end_checker",
        1127,
        "I was sick for a week. Can I get my money back for the classes I missed?",
        "Can I get my money back for the classes I missed? Thanks.",
    ),
    (
        "startend:quotation",
        1040,
        '"Everything in quotes."',
        'Not everything "in quotes."',
    ),
]


def test_every_dataset_instruction_has_a_checker_and_a_case(rows: dict[int, dict]) -> None:
    in_data = {i for r in rows.values() for i in r["instruction_id_list"]}
    assert in_data == set(CHECKERS) == set(INSTRUCTION_IDS)
    assert {c[0] for c in CASES} == in_data


@pytest.mark.parametrize(("instruction_id", "key", "good", "bad"), CASES, ids=[c[0] for c in CASES])
def test_checker_pass_and_fail(
    rows: dict[int, dict], instruction_id: str, key: int, good: str, bad: str
) -> None:
    kw = kwargs_of(rows, key, instruction_id)
    assert check_instruction(instruction_id, good, kw) is True
    assert check_instruction(instruction_id, bad, kw) is False


@pytest.mark.parametrize(
    ("instruction_id", "kw", "good", "bad"),
    [
        ("keywords:frequency", {"keyword": "sun", "relation": "less than", "frequency": 2}, "sun", "sun sun"),
        (
            "keywords:letter_frequency",
            {"letter": "q", "let_relation": "less than", "let_frequency": 2},
            "quiet",
            "Quick quiz",
        ),
        (
            "length_constraints:number_sentences",
            {"relation": "at least", "num_sentences": 3},
            "Dr. Smith came. He sat. He left.",
            "Dr. Smith came. He left.",
        ),
        (
            "length_constraints:number_words",
            {"relation": "less than", "num_words": 5},
            "just four words here",
            "now there are five words",
        ),
        (
            "change_case:capital_word_frequency",
            {"capital_relation": "at least", "capital_frequency": 2},
            "WOW that is BIG",
            "Wow that is big",
        ),
        (
            "language:response_language",
            {"language": "de"},
            "Ich habe heute keine Zeit, weil ich arbeiten muss.",
            KANNADA,
        ),
        (
            "detectable_content:postscript",
            {"postscript_marker": "P.P.S"},
            "Bye.\nP.P.S see you",
            "Bye.\nP.S. see you",
        ),
    ],
)
def test_other_relations_and_values(instruction_id: str, kw: dict, good: str, bad: str) -> None:
    assert check_instruction(instruction_id, good, kw) is True
    assert check_instruction(instruction_id, bad, kw) is False


def test_none_kwargs_are_ignored_and_empty_response_fails() -> None:
    kw = {"keywords": ["cat"], "num_words": None, "relation": None}
    assert check_instruction("keywords:existence", "A cat.", kw) is True
    assert check_instruction("punctuation:no_comma", "   ", {}) is False


def test_unknown_instruction_and_relation_raise() -> None:
    with pytest.raises(ValueError, match="unknown IFEval instruction"):
        check_instruction("keywords:nope", "x", {})
    with pytest.raises(ValueError, match="unknown relation"):
        check_instruction("length_constraints:number_words", "x", {"relation": "about", "num_words": 3})


def test_sentence_splitter_and_word_count() -> None:
    text = "Mr. Smith paid $3.50 at example.com today. Was it the U.S. office? Yes! It was... odd"
    assert split_sentences(text) == [
        "Mr. Smith paid $3.50 at example.com today.",
        "Was it the U.S. office?",
        "Yes!",
        "It was...",
        "odd",
    ]
    assert count_sentences("") == 0
    assert count_words("It's a well-known fact, 42 times.") == 8
