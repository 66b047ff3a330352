"""Text utilities for IFEval checkers: words, sentences, capitalised tokens, language (no nltk data)."""

from __future__ import annotations

import re

_WORD_RE = re.compile(r"\w+")
_TOKEN_RE = re.compile(r"\w+(?:['’.-]\w+)*\.?")
_STOP = "\x00"

# Abbreviations whose trailing dot does not end a sentence (compared case-insensitively).
_ABBREVIATIONS = (
    "mr|mrs|ms|dr|prof|sr|jr|st|mt|inc|ltd|corp|vs|fig|approx|dept|jan|feb|apr|jun|jul|aug|sept|oct|nov|"
    "ave|blvd|capt|sgt|lt|e\\.g|i\\.e"
)
_ABBREV_RE = re.compile(r"\b(" + _ABBREVIATIONS + r")\.", re.IGNORECASE)
_ACRONYM_RE = re.compile(r"\b((?:[A-Za-z]\.){2,})")  # U.S.A., e.g., a.m.
_DECIMAL_RE = re.compile(r"(\d)\.(\d)")
_WEB_RE = re.compile(r"\.(com|net|org|io|gov|edu|me|ai|co|uk|de)\b", re.IGNORECASE)
_SPLIT_RE = re.compile(r"([.!?…]+[\"'”’)\]]*)(?=\s|$)")


def count_words(text: str) -> int:
    """Number of ``\\w+`` tokens (the same count as nltk's ``RegexpTokenizer(r"\\w+")``)."""
    return len(_WORD_RE.findall(text))


def word_tokens(text: str) -> list[str]:
    """Word-like tokens keeping inner apostrophes, hyphens and dots (``U.S.``, ``don't``, ``e-mail``)."""
    return _TOKEN_RE.findall(text)


def split_sentences(text: str) -> list[str]:
    """Split text into sentences at ``.``/``!``/``?`` followed by whitespace or the end.

    Dots in common abbreviations (Mr., e.g., U.S.), decimals and web addresses do not split.
    Newlines do not split on their own (as in the reference IFEval implementation).
    """
    t = text.replace("\n", " ")
    t = _DECIMAL_RE.sub(r"\1" + _STOP + r"\2", t)
    t = _WEB_RE.sub(lambda m: _STOP + m.group(1), t)
    t = _ACRONYM_RE.sub(lambda m: m.group(1).replace(".", _STOP), t)
    t = _ABBREV_RE.sub(lambda m: m.group(1).replace(".", _STOP) + _STOP, t)
    parts = _SPLIT_RE.split(t)
    sentences: list[str] = []
    # re.split with one group gives [text, delim, text, delim, ..., tail]
    for i in range(0, len(parts), 2):
        piece = parts[i] + (parts[i + 1] if i + 1 < len(parts) else "")
        piece = piece.replace(_STOP, ".").strip()
        if piece and any(c.isalnum() for c in piece):
            sentences.append(piece)
    return sentences


def count_sentences(text: str) -> int:
    return len(split_sentences(text))


_DETECTOR_READY = False


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text`` by langdetect (deterministic seed); None when it cannot tell."""
    global _DETECTOR_READY
    try:
        import langdetect  # lazy: loading its profiles takes a while
    except ImportError as exc:
        raise ImportError("IFEval language checks need langdetect: pip install langdetect") from exc

    if not _DETECTOR_READY:
        langdetect.DetectorFactory.seed = 0
        _DETECTOR_READY = True
    try:
        return langdetect.detect(text)
    except langdetect.LangDetectException:
        return None
