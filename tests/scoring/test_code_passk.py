"""Unbiased pass@k against the closed form and brute-force enumeration."""

from __future__ import annotations

import itertools
from math import comb

import pytest

from evalscope.benchmarks._lib.passk import pass_at_k, pass_at_k_metrics


@pytest.mark.parametrize("n,c,k", [(1, 0, 1), (1, 1, 1), (5, 2, 1), (5, 2, 3), (10, 3, 5), (20, 1, 10), (7, 7, 4)])
def test_matches_the_binomial_formula(n, c, k):
    assert pass_at_k(n, c, k) == pytest.approx(1 - comb(n - c, k) / comb(n, k))


def test_matches_enumerating_every_draw():
    outcomes = [True, False, False, True, False, False]
    n, c = len(outcomes), sum(outcomes)
    for k in range(1, n + 1):
        draws = list(itertools.combinations(outcomes, k))
        assert pass_at_k(n, c, k) == pytest.approx(sum(any(d) for d in draws) / len(draws))


def test_pass_at_1_is_the_fraction_correct_and_large_n_is_stable():
    assert pass_at_k(200, 37, 1) == pytest.approx(37 / 200)
    value = pass_at_k(1000, 3, 100)  # comb(1000, 100) overflows float; the product form does not
    assert 0.27 < value < 0.28
    assert value == pytest.approx(1 - comb(997, 100) / comb(1000, 100))


def test_metrics_and_validation():
    assert pass_at_k_metrics([True, False, False, False], ks=(1, 2, 10)) == {
        "Pass@1": pytest.approx(0.25),
        "Pass@2": pytest.approx(0.5),
    }
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)
