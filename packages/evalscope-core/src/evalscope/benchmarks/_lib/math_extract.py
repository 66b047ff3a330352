"""Answer extraction from model outputs for math benchmarks (pure string work)."""

from __future__ import annotations

import re

from evalscope.benchmarks._lib.math_latex import read_group
from evalscope.benchmarks._lib.math_normalize import normalize_math_answer

_MINERVA_RE = re.compile(r"final answer is \$(.+?)\$\.?\s*I hope", re.DOTALL | re.IGNORECASE)
_THE_ANSWER_RE = re.compile(r"the answer is", re.IGNORECASE)
_FINAL_ANSWER_RE = re.compile(r"final answer is", re.IGNORECASE)
_LAST_NUMBER_RE = re.compile(r"-?\d*\.?\d+")
# gsm8k-style numbers: optional minus, optional $, thousands groups or plain digits, optional decimals.
_GSM_NUMBER_RE = re.compile(
    r"(?P<sign>(?<![\w)\]}])[-−]\s?)?\$?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
)
_MATH_SPAN_RE = re.compile(r"\$\$(.+?)\$\$|(?<!\\)\$(.+?)(?<!\\)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)


def last_boxed(text: str) -> str | None:
    r"""Content of the last complete ``\boxed{...}`` / ``\fbox{...}`` (nested braces allowed), else None."""
    end = len(text)
    while True:
        idx = max(text.rfind("\\boxed", 0, end), text.rfind("\\fbox", 0, end))
        if idx < 0:
            return None
        k = idx + (len("\\boxed") if text.startswith("\\boxed", idx) else len("\\fbox"))
        while k < len(text) and text[k] == " ":
            k += 1
        if k < len(text) and text[k] == "{":
            got = read_group(text, k)
            if got is not None:
                return got[0].strip()
        elif k > idx and k < len(text) and (text[k - 1] == " ") and text[k] not in "$\\":
            m = re.match(r"[^\s$]+", text[k:])
            if m:
                return m.group(0)
        end = idx


def _answer_after_cue(tail: str) -> str:
    """The answer that follows a cue such as "the answer is": a math span or the rest of the sentence."""
    tail = tail.strip().lstrip(":：").strip()
    tail = tail.split("\n", 1)[0].strip()
    tail = re.sub(r"\*\*|__", "", tail).strip()
    m = _MATH_SPAN_RE.match(tail)
    if m:
        return next(g for g in m.groups() if g is not None).strip()
    boxed = last_boxed(tail)
    if boxed is not None:
        return boxed
    cut = re.search(r"\.(?:\s|$)", tail)
    if cut:
        tail = tail[: cut.start()]
    return tail.strip()


def _raw_answer(text: str) -> str:
    m = list(_MINERVA_RE.finditer(text))
    if m:
        return m[-1].group(1)
    boxed = last_boxed(text)
    if boxed is not None:
        return boxed
    for cue in (_THE_ANSWER_RE, _FINAL_ANSWER_RE):
        hits = list(cue.finditer(text))
        if hits:
            return _answer_after_cue(text[hits[-1].end() :])
    if "答案是" in text:
        tail = text.rsplit("答案是", 1)[1].strip().lstrip(":：").strip()
        return re.split(r"[。\n]", tail, maxsplit=1)[0]
    nums = _LAST_NUMBER_RE.findall(text.replace(",", ""))
    return nums[-1] if nums else ""


def extract_math_answer(text: str) -> str:
    r"""Extract the final answer from a model output and return it normalised ("" when none is found).

    Priority: Minerva ``final answer is $X$. I hope`` -> last ``\boxed{}``/``\fbox{}`` -> ``the answer is``
    -> ``final answer is`` -> ``答案是`` -> last number. Text before a closing ``</think>`` is ignored.
    """
    text = str(text or "")
    if "</think>" in text:
        text = text.rsplit("</think>", 1)[1]
    ans = _raw_answer(text).strip()
    ans = ans.rstrip(".").rstrip("/").strip()
    return normalize_math_answer(ans)


def last_number(text: str) -> str | None:
    """Last number in ``text`` (gsm8k): commas and ``$`` removed; after a ``####`` marker when present.

    ``"I paid $1,000.50."`` -> ``"1000.50"``; ``"#### -7"`` -> ``"-7"``; no number -> None.
    """
    text = str(text or "")
    if "####" in text:
        m = _GSM_NUMBER_RE.search(text.rsplit("####", 1)[1])
        if m:
            return _clean_number(m)
    matches = list(_GSM_NUMBER_RE.finditer(text))
    return _clean_number(matches[-1]) if matches else None


def _clean_number(m: re.Match[str]) -> str:
    num = m.group("num").replace(",", "")
    if num.startswith("."):
        num = "0" + num
    return ("-" if m.group("sign") else "") + num
