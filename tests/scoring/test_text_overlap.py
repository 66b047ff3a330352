"""BLEU/ROUGE against hand-computed values (English and Chinese)."""

from __future__ import annotations

import math

import pytest

from evalscope.core.text_overlap import (
    BLEU_KEYS,
    ROUGE_KEYS,
    bleu_scores,
    rouge_scores,
    text_overlap_scores,
    tokenize,
)


def test_english_tokens_keep_punctuation_and_case():
    assert tokenize("The cat's mat, here!") == ["The", "cat's", "mat", ",", "here", "!"]


def test_english_bleu_and_rouge_by_hand():
    # hyp: the cat sat on the mat / ref: the cat is on the mat (6 tokens each, BP = 1)
    s = text_overlap_scores("the cat sat on the mat", "the cat is on the mat")
    assert set(s) == set(BLEU_KEYS) | set(ROUGE_KEYS)
    assert s["bleu-1"] == pytest.approx(5 / 6)  # the x2, cat, on, mat
    assert s["bleu-2"] == pytest.approx(3 / 5)  # the cat, on the, the mat
    assert s["bleu-3"] == pytest.approx(1 / 4)  # on the mat
    assert s["bleu-4"] == 0.0
    for m in "rpf":
        assert s[f"rouge-1-{m}"] == pytest.approx(5 / 6)
        assert s[f"rouge-2-{m}"] == pytest.approx(3 / 5)
        assert s[f"rouge-l-{m}"] == pytest.approx(5 / 6)  # LCS: the cat on the mat


def test_brevity_penalty_smoothing_and_asymmetric_rouge():
    s = bleu_scores("the cat", "the cat is here")
    assert s["bleu-1"] == pytest.approx(math.exp(1 - 4 / 2))
    assert s["bleu-2"] == pytest.approx(math.exp(-1))
    assert s["bleu-3"] == 0.0  # no trigram in a 2-token hypothesis
    smoothed = bleu_scores("the cat sat on the mat", "the cat is on the mat", smooth=True)
    assert smoothed["bleu-4"] == pytest.approx(0.1 / 3)
    r = rouge_scores("the cat", "the cat is here")
    assert (r["rouge-1-r"], r["rouge-1-p"]) == (pytest.approx(0.5), pytest.approx(1.0))
    assert r["rouge-1-f"] == pytest.approx(2 * 0.5 / 1.5)
    assert r["rouge-l-r"] == pytest.approx(0.5)


def test_multiple_references_clip_to_the_best():
    s = bleu_scores("a b c", ["a x y", "z b c"])
    assert s["bleu-1"] == pytest.approx(1.0)
    assert s["bleu-2"] == pytest.approx(1 / 2)


def test_empty_and_identical():
    assert all(v == 0.0 for v in text_overlap_scores("", "the cat").values())
    same = text_overlap_scores("one two three four five", "one two three four five")
    assert all(v == pytest.approx(1.0) for v in same.values())


def test_chinese_with_jieba():
    pytest.importorskip("jieba")
    assert tokenize("我爱北京天安门") == ["我", "爱", "北京", "天安门"]
    s = text_overlap_scores("我爱北京天安门", "我爱北京")  # 4 words vs 3, all 3 reference words matched
    assert s["bleu-1"] == pytest.approx(3 / 4)
    assert s["bleu-2"] == pytest.approx(2 / 3)
    assert s["bleu-3"] == pytest.approx(1 / 2)
    assert s["rouge-1-r"] == pytest.approx(1.0) and s["rouge-1-p"] == pytest.approx(3 / 4)
    assert s["rouge-1-f"] == pytest.approx(6 / 7)
    assert s["rouge-2-r"] == pytest.approx(1.0) and s["rouge-2-p"] == pytest.approx(2 / 3)


def test_chinese_per_character_fallback():
    assert tokenize("我爱北京", cjk="char") == ["我", "爱", "北", "京"]
    s = text_overlap_scores("我爱北京天安门", "我爱北京", cjk="char")  # 7 chars vs 4
    assert s["bleu-1"] == pytest.approx(4 / 7)
    assert s["rouge-1-r"] == pytest.approx(1.0) and s["rouge-1-p"] == pytest.approx(4 / 7)
    assert s["rouge-l-f"] == pytest.approx(2 * (4 / 7) / (1 + 4 / 7))
    mixed = tokenize("用Python写代码", cjk="char")
    assert mixed == ["用", "Python", "写", "代", "码"]
