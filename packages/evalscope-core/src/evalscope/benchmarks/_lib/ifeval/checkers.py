"""The 25 IFEval instruction checkers: ``checker(response, kwargs) -> bool``.

Semantics follow the IFEval paper's reference checkers; ``kwargs`` is the dict of the dataset row for that
instruction (keys whose value is None are ignored by the caller).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from evalscope.benchmarks._lib.ifeval.text import count_sentences, count_words, detect_language, word_tokens

Kwargs = Mapping[str, Any]
Checker = Callable[[str, Kwargs], bool]

_RELATIONS = ("less than", "at least")


def _compare(value: int, relation: str, threshold: int) -> bool:
    """``less than`` -> value < threshold; ``at least`` -> value >= threshold."""
    if relation == "less than":
        return value < threshold
    if relation == "at least":
        return value >= threshold
    raise ValueError(f"unknown relation {relation!r}; expected one of {_RELATIONS}")


# --- keywords -----------------------------------------------------------------------------------------


def keywords_existence(response: str, kw: Kwargs) -> bool:
    """Every keyword occurs (case-insensitive substring)."""
    return all(re.search(re.escape(k), response, re.IGNORECASE) for k in kw["keywords"])


def keywords_frequency(response: str, kw: Kwargs) -> bool:
    """The keyword occurs (case-insensitive) ``less than`` / ``at least`` ``frequency`` times."""
    count = len(re.findall(re.escape(kw["keyword"]), response, re.IGNORECASE))
    return _compare(count, kw["relation"], int(kw["frequency"]))


def keywords_forbidden_words(response: str, kw: Kwargs) -> bool:
    """None of the forbidden words occurs as a whole word (case-insensitive)."""
    return not any(
        re.search(r"\b" + re.escape(w) + r"\b", response, re.IGNORECASE) for w in kw["forbidden_words"]
    )


def keywords_letter_frequency(response: str, kw: Kwargs) -> bool:
    """The letter (case-insensitive) appears ``less than`` / ``at least`` ``let_frequency`` times."""
    count = response.lower().count(str(kw["letter"]).lower())
    return _compare(count, kw["let_relation"], int(kw["let_frequency"]))


# --- language and case ----------------------------------------------------------------------------------


def language_response_language(response: str, kw: Kwargs) -> bool:
    """The whole response is in the given language (langdetect); undetectable text passes."""
    lang = detect_language(response)
    return lang is None or lang == kw["language"]


def change_case_capital_word_frequency(response: str, kw: Kwargs) -> bool:
    """Number of all-capital words is ``less than`` / ``at least`` ``capital_frequency``."""
    count = sum(1 for w in word_tokens(response) if w.isupper())
    return _compare(count, kw["capital_relation"], int(kw["capital_frequency"]))


def change_case_english_capital(response: str, kw: Kwargs) -> bool:
    """English and entirely in capital letters."""
    if not response.isupper():
        return False
    lang = detect_language(response)
    return lang is None or lang == "en"


def change_case_english_lowercase(response: str, kw: Kwargs) -> bool:
    """English and entirely in lowercase letters."""
    if not response.islower():
        return False
    lang = detect_language(response)
    return lang is None or lang == "en"


# --- length -------------------------------------------------------------------------------------------


def length_number_sentences(response: str, kw: Kwargs) -> bool:
    return _compare(count_sentences(response), kw["relation"], int(kw["num_sentences"]))


def length_number_words(response: str, kw: Kwargs) -> bool:
    return _compare(count_words(response), kw["relation"], int(kw["num_words"]))


def length_number_paragraphs(response: str, kw: Kwargs) -> bool:
    """Exactly ``num_paragraphs`` paragraphs separated by the markdown divider ``***``.

    Empty text before the first or after the last divider is ignored; an empty paragraph in between fails.
    """
    parts = re.split(r"\s?\*\*\*\s?", response)
    count = len(parts)
    for i, part in enumerate(parts):
        if not part.strip():
            if i in (0, len(parts) - 1):
                count -= 1
            else:
                return False
    return count == int(kw["num_paragraphs"])


def length_nth_paragraph_first_word(response: str, kw: Kwargs) -> bool:
    """``num_paragraphs`` paragraphs separated by blank lines, and paragraph ``nth_paragraph`` starts with
    ``first_word`` (case-insensitive, leading quotes and trailing punctuation ignored)."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", response) if p.strip()]
    nth = int(kw["nth_paragraph"])
    if len(paragraphs) != int(kw["num_paragraphs"]) or not 1 <= nth <= len(paragraphs):
        return False
    word = paragraphs[nth - 1].split()[0].lstrip("'\"“‘*#")
    first = re.split(r"[.,?!:;'\"”’*]", word, maxsplit=1)[0].lower()
    return first == str(kw["first_word"]).strip().lower()


# --- detectable content / format --------------------------------------------------------------------------


def content_number_placeholders(response: str, kw: Kwargs) -> bool:
    """At least ``num_placeholders`` placeholders in square brackets such as ``[address]``."""
    return len(re.findall(r"\[.*?\]", response)) >= int(kw["num_placeholders"])


def content_postscript(response: str, kw: Kwargs) -> bool:
    """A postscript starting with the marker (``P.S.``, ``P.P.S`` ...) at the start of some line."""
    marker = str(kw["postscript_marker"]).strip().lower()
    if marker == "p.s.":
        pattern = r"\s*p\.\s?s\..*$"
    elif marker == "p.p.s":
        pattern = r"\s*p\.\s?p\.\s?s.*$"
    else:
        pattern = r"\s*" + re.escape(marker) + r".*$"
    return bool(re.findall(pattern, response.lower(), flags=re.MULTILINE))


def format_number_bullet_lists(response: str, kw: Kwargs) -> bool:
    """Exactly ``num_bullets`` markdown bullet points (lines starting with ``* `` or ``- ``)."""
    stars = re.findall(r"^\s*\*[^\*].*$", response, flags=re.MULTILINE)
    dashes = re.findall(r"^\s*-.*$", response, flags=re.MULTILINE)
    return len(stars) + len(dashes) == int(kw["num_bullets"])


_CONSTRAINED_OPTIONS = ("My answer is yes.", "My answer is no.", "My answer is maybe.")


def format_constrained_response(response: str, kw: Kwargs) -> bool:
    """Contains one of the fixed options "My answer is yes./no./maybe."."""
    text = response.strip()
    return any(option in text for option in _CONSTRAINED_OPTIONS)


def format_number_highlighted_sections(response: str, kw: Kwargs) -> bool:
    """At least ``num_highlights`` non-empty ``*highlighted*`` or ``**highlighted**`` spans."""
    count = sum(1 for h in re.findall(r"\*[^\n\*]*\*", response) if h.strip("*").strip())
    count += sum(1 for h in re.findall(r"\*\*[^\n\*]*\*\*", response) if h[2:-2].strip())
    return count >= int(kw["num_highlights"])


def format_multiple_sections(response: str, kw: Kwargs) -> bool:
    """At least ``num_sections`` sections each introduced by ``<section_spliter> <number>``."""
    pattern = r"\s?" + re.escape(str(kw["section_spliter"]).strip()) + r"\s?\d+\s?"
    return len(re.split(pattern, response)) - 1 >= int(kw["num_sections"])


def format_json(response: str, kw: Kwargs) -> bool:
    """The whole response (optionally in a ```json fence) is valid JSON."""
    import json  # lazy: keeps the module import cheap

    text = response.strip()
    for prefix in ("```json", "```Json", "```JSON", "```"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    text = text.removesuffix("```").strip()
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def format_title(response: str, kw: Kwargs) -> bool:
    """Contains a non-empty title wrapped in double angular brackets, ``<<title>>``."""
    return any(t.lstrip("<").rstrip(">").strip() for t in re.findall(r"<<[^\n]+>>", response))


# --- combination, start/end, punctuation -------------------------------------------------------------


def combination_two_responses(response: str, kw: Kwargs) -> bool:
    """Exactly two different responses separated by six asterisks ``******``."""
    parts = response.split("******")
    valid = []
    for i, part in enumerate(parts):
        if part.strip():
            valid.append(part.strip())
        elif i not in (0, len(parts) - 1):
            return False
    return len(valid) == 2 and valid[0] != valid[1]


def combination_repeat_prompt(response: str, kw: Kwargs) -> bool:
    """Starts by repeating ``prompt_to_repeat`` word for word (case-insensitive)."""
    return response.strip().lower().startswith(str(kw["prompt_to_repeat"]).strip().lower())


def startend_end_checker(response: str, kw: Kwargs) -> bool:
    """Ends with ``end_phrase`` exactly (case-insensitive; surrounding quotes and spaces ignored)."""
    return response.strip().strip('"').lower().endswith(str(kw["end_phrase"]).strip().lower())


def startend_quotation(response: str, kw: Kwargs) -> bool:
    """The whole response is wrapped in double quotation marks."""
    text = response.strip()
    return len(text) > 1 and text[0] == '"' and text[-1] == '"'


def punctuation_no_comma(response: str, kw: Kwargs) -> bool:
    """No ASCII comma anywhere."""
    return "," not in response


CHECKERS: dict[str, Checker] = {
    "keywords:existence": keywords_existence,
    "keywords:frequency": keywords_frequency,
    "keywords:forbidden_words": keywords_forbidden_words,
    "keywords:letter_frequency": keywords_letter_frequency,
    "language:response_language": language_response_language,
    "length_constraints:number_sentences": length_number_sentences,
    "length_constraints:number_paragraphs": length_number_paragraphs,
    "length_constraints:number_words": length_number_words,
    "length_constraints:nth_paragraph_first_word": length_nth_paragraph_first_word,
    "detectable_content:number_placeholders": content_number_placeholders,
    "detectable_content:postscript": content_postscript,
    "detectable_format:number_bullet_lists": format_number_bullet_lists,
    "detectable_format:constrained_response": format_constrained_response,
    "detectable_format:number_highlighted_sections": format_number_highlighted_sections,
    "detectable_format:multiple_sections": format_multiple_sections,
    "detectable_format:json_format": format_json,
    "detectable_format:title": format_title,
    "combination:two_responses": combination_two_responses,
    "combination:repeat_prompt": combination_repeat_prompt,
    "startend:end_checker": startend_end_checker,
    "startend:quotation": startend_quotation,
    "change_case:capital_word_frequency": change_case_capital_word_frequency,
    "change_case:english_capital": change_case_english_capital,
    "change_case:english_lowercase": change_case_english_lowercase,
    "punctuation:no_comma": punctuation_no_comma,
}
