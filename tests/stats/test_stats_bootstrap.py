"""Bootstrap intervals, McNemar and the paired bootstrap against hand-computed values."""

from __future__ import annotations

import math
import random

import pytest

from evalscope.core.report import build_report
from evalscope.core.stats import (
    add_bootstrap_ci,
    bootstrap_ci,
    bootstrap_means,
    compare_scores,
    mcnemar_exact,
    paired_bootstrap,
    percentile,
)
from evalscope.core.types import ModelOutput, SampleResult, SampleStatus

PATHS = [False, True]  # pure Python, numpy


def test_mcnemar_hand_values():
    # n = 13 discordant, min 3: P(X<=3) = (1 + 13 + 78 + 286) / 2^13 = 378 / 8192
    assert mcnemar_exact(3, 10) == pytest.approx(2 * 378 / 8192)
    assert mcnemar_exact(10, 3) == mcnemar_exact(3, 10)
    assert mcnemar_exact(0, 5) == pytest.approx(2 / 32)
    assert mcnemar_exact(4, 4) == 1.0 and mcnemar_exact(0, 0) == 1.0
    # large n takes the log-space branch; it agrees with the exact integers
    exact = 2 * sum(math.comb(2100, i) for i in range(1001)) / 2**2100
    assert mcnemar_exact(1000, 1100) == pytest.approx(exact, rel=1e-9)


def test_percentile_matches_linear_interpolation():
    assert percentile([0.0, 1.0, 2.0, 3.0], 0.5) == 1.5
    assert percentile([0.0, 10.0], 0.025) == pytest.approx(0.25)


@pytest.mark.parametrize("use_numpy", PATHS)
def test_bootstrap_binary_matches_binomial_quantiles(use_numpy):
    # the bootstrap distribution of a 0/1 mean is Binomial(100, 0.3) / 100: quantiles 0.21 and 0.39
    values = [1.0] * 30 + [0.0] * 70
    low, high = bootstrap_ci(values, n=4000, seed=1, use_numpy=use_numpy)
    assert low == pytest.approx(0.21, abs=0.011)
    assert high == pytest.approx(0.39, abs=0.011)
    assert bootstrap_ci(values, n=4000, seed=1, use_numpy=use_numpy) == (low, high)  # seeded


@pytest.mark.parametrize("use_numpy", PATHS)
def test_bootstrap_continuous_close_to_normal_interval(use_numpy):
    rng = random.Random(5)
    values = [rng.random() for _ in range(400)]  # many distinct values: resampling items
    mu = sum(values) / len(values)
    se = math.sqrt(sum((v - mu) ** 2 for v in values) / (len(values) - 1) / len(values))
    low, high = bootstrap_ci(values, n=2000, seed=0, use_numpy=use_numpy)
    assert low == pytest.approx(mu - 1.96 * se, abs=0.25 * se)
    assert high == pytest.approx(mu + 1.96 * se, abs=0.25 * se)


@pytest.mark.parametrize("use_numpy", PATHS)
def test_constant_values_give_a_point_interval(use_numpy):
    assert bootstrap_ci([0.5] * 20, n=200, use_numpy=use_numpy) == (0.5, 0.5)
    assert set(bootstrap_means([1.0], n=10, use_numpy=use_numpy)) == {1.0}


@pytest.mark.parametrize("use_numpy", PATHS)
def test_clustered_bootstrap_resamples_whole_subsets(use_numpy):
    # two subsets: all right (10 samples) and all wrong (30): replicate means are 1, 0 or 10/40
    values = [1.0] * 10 + [0.0] * 30
    clusters = ["easy"] * 10 + ["hard"] * 30
    reps = set(bootstrap_means(values, n=300, seed=2, clusters=clusters, use_numpy=use_numpy))
    assert reps == {0.0, 0.25, 1.0}
    low, high = bootstrap_ci(values, n=2000, seed=2, clusters=clusters, use_numpy=use_numpy)
    assert (low, high) == (0.0, 1.0)  # far wider than the sample-level interval
    assert bootstrap_ci(values, n=2000, seed=2, use_numpy=use_numpy)[1] < 0.45


@pytest.mark.parametrize("use_numpy", PATHS)
def test_paired_bootstrap(use_numpy):
    a = [0.2, 0.4, 0.6, 0.8] * 25
    same = paired_bootstrap(a, a, n=500, seed=0, use_numpy=use_numpy)
    assert same == (0.0, 0.0, 1.0)
    b = [x + 0.1 for x in a]  # every pair improves by exactly 0.1
    low, high, p = paired_bootstrap(a, b, n=500, seed=0, use_numpy=use_numpy)
    assert low == pytest.approx(0.1) and high == pytest.approx(0.1)
    assert p == pytest.approx(1 / 501)
    rng = random.Random(9)
    noise = [x + rng.gauss(0, 0.3) for x in a]
    low, high, p = paired_bootstrap(a, noise, n=1000, seed=0, use_numpy=use_numpy)
    assert low < 0 < high and p > 0.05


def test_compare_scores_binary_uses_mcnemar():
    a = [1.0] * 10 + [0.0] * 10 + [1.0] * 3 + [0.0] * 2
    b = [1.0] * 10 + [0.0] * 10 + [0.0] * 3 + [1.0] * 2
    comp = compare_scores(a, b, dataset="x", metric="acc", n_bootstrap=500, use_numpy=False)
    assert (comp.test, comp.b_only_a_right, comp.c_only_b_right) == ("mcnemar", 3, 2)
    assert comp.p_value == pytest.approx(1.0)  # min(1, 2 * P(X<=2 | n=5)) = 2 * 16/32
    assert comp.n == 25 and comp.diff == pytest.approx((12 - 13) / 25)
    assert comp.ci_low <= comp.diff <= comp.ci_high


def test_add_bootstrap_ci_to_a_report():
    results = [
        SampleResult(
            str(i), "s1" if i < 50 else "s2", "k", ModelOutput(), scores={"acc": float(i % 3 == 0)}, status=SampleStatus.SCORED
        )
        for i in range(100)
    ]
    report = build_report(dataset="d", model="m", results=results)
    intervals = add_bootstrap_ci(report, results, n=1000, seed=0)
    low, high = intervals["acc"]
    assert low < report.metrics[0].score < high
    assert high - low == pytest.approx(2 * 1.96 * report.metrics[0].stderr, rel=0.2)
    if hasattr(report.metrics[0], "ci_low"):
        assert (report.metrics[0].ci_low, report.metrics[0].ci_high) == (low, high)
