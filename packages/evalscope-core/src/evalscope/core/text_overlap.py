"""Text-overlap metrics for free-form answers: BLEU-1..4 and ROUGE-1/2/L, English and Chinese.

Key names follow EvalScope (`bleu-1`..`bleu-4`, `rouge-{1,2,l}-{r,p,f}`). As in EvalScope, `bleu-n` is
the sentence BLEU with all weight on the n-gram precision (brevity penalty x p_n), not the cumulative
geometric mean. Optional smoothing adds epsilon (0.1) to zero match counts (Chen & Cherry method 1).

Tokens: text holding CJK characters is segmented with jieba when it is installed (imported lazily),
else each CJK character is a token; Latin runs are words, and punctuation marks are tokens of their
own (EvalScope used nltk's word_tokenize; we avoid its data downloads). Case is kept.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

_CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_CJK = re.compile(f"[{_CJK_CHARS}]")
_WORD = re.compile(f"[^\\W{_CJK_CHARS}]+(?:'[^\\W{_CJK_CHARS}]+)*|[^\\w\\s]")
_TOKEN = re.compile(f"[{_CJK_CHARS}]|{_WORD.pattern}")
BLEU_KEYS = tuple(f"bleu-{n}" for n in range(1, 5))
ROUGE_KEYS = tuple(f"rouge-{n}-{m}" for n in ("1", "2", "l") for m in ("r", "p", "f"))


@lru_cache(maxsize=1)
def _load_jieba() -> Any:
    try:
        import jieba
    except ImportError:
        return None
    jieba.setLogLevel(logging.WARNING)
    return jieba


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def tokenize(text: str, cjk: str = "auto") -> list[str]:
    """Tokens of ``text``. ``cjk``: 'auto' (jieba if installed), 'jieba' or 'char'."""
    if not has_cjk(text):
        return _WORD.findall(text)
    jieba = _load_jieba() if cjk in ("auto", "jieba") else None
    if cjk == "jieba" and jieba is None:
        raise ImportError("jieba is not installed (pip install jieba)")
    if jieba is None:
        return _TOKEN.findall(text)
    out: list[str] = []
    for piece in jieba.cut(text):
        out.extend(_WORD.findall(piece) if not has_cjk(piece) else [piece.strip()] if piece.strip() else [])
    return out


def _ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def bleu_from_tokens(
    hyp: Sequence[str], refs: Sequence[Sequence[str]], smooth: bool = False
) -> dict[str, float]:
    """bleu-1..4 of one hypothesis against one or more references (token lists)."""
    if not hyp or not refs:
        return dict.fromkeys(BLEU_KEYS, 0.0)
    c = len(hyp)
    r = min((abs(len(ref) - c), len(ref)) for ref in refs)[1]
    bp = 1.0 if c > r else math.exp(1 - r / c)
    out = {}
    for n in range(1, 5):
        counts = _ngrams(hyp, n)
        total = sum(counts.values())
        max_ref: Counter[tuple[str, ...]] = Counter()
        for ref in refs:
            max_ref |= _ngrams(ref, n)
        matches = sum(min(k, max_ref[g]) for g, k in counts.items())
        if total == 0:
            p = 0.0
        elif matches == 0:
            p = 0.1 / total if smooth else 0.0
        else:
            p = matches / total
        out[f"bleu-{n}"] = bp * p
    return out


def _prf(overlap: int, hyp_total: int, ref_total: int) -> tuple[float, float, float]:
    r = overlap / ref_total if ref_total else 0.0
    p = overlap / hyp_total if hyp_total else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return r, p, f


def _lcs(a: Sequence[str], b: Sequence[str]) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def rouge_from_tokens(hyp: Sequence[str], ref: Sequence[str]) -> dict[str, float]:
    """rouge-1/2 (clipped n-gram overlap) and rouge-l (longest common subsequence): recall, precision, F1."""
    out: dict[str, float] = {}
    for n in (1, 2):
        h, g = _ngrams(hyp, n), _ngrams(ref, n)
        overlap = sum((h & g).values())
        scores = _prf(overlap, sum(h.values()), sum(g.values()))
        out.update(zip((f"rouge-{n}-r", f"rouge-{n}-p", f"rouge-{n}-f"), scores, strict=True))
    scores = _prf(_lcs(hyp, ref), len(hyp), len(ref))
    out.update(zip(("rouge-l-r", "rouge-l-p", "rouge-l-f"), scores, strict=True))
    return out


def bleu_scores(
    prediction: str, reference: str | Sequence[str], *, smooth: bool = False, cjk: str = "auto"
) -> dict[str, float]:
    refs = [reference] if isinstance(reference, str) else list(reference)
    return bleu_from_tokens(tokenize(prediction, cjk), [tokenize(r, cjk) for r in refs], smooth)


def rouge_scores(prediction: str, reference: str, *, cjk: str = "auto") -> dict[str, float]:
    return rouge_from_tokens(tokenize(prediction, cjk), tokenize(reference, cjk))


def text_overlap_scores(
    prediction: str, reference: str, *, smooth: bool = False, cjk: str = "auto"
) -> dict[str, float]:
    """All EvalScope general_qa keys: rouge-{1,2,l}-{r,p,f} and bleu-1..4."""
    hyp, ref = tokenize(prediction, cjk), tokenize(reference, cjk)
    return {**rouge_from_tokens(hyp, ref), **bleu_from_tokens(hyp, [ref], smooth)}
