"""The 95% interval every report carries, checked against independent implementations: Wilson
against scipy, Miller's clustered standard error against statsmodels' cluster-robust OLS, the
bootstrap's coverage on a known distribution, and the detectable difference of `compare`."""

from __future__ import annotations

import math
import random

import pytest

from evalscope.core.intervals import clustered_standard_error, score_interval, wilson_interval
from evalscope.core.report import build_report
from evalscope.core.stats import compare_scores, min_detectable_difference
from evalscope.core.types import ModelOutput, Sample, SampleResult

scipy_stats = pytest.importorskip("scipy.stats")
sm = pytest.importorskip("statsmodels.api")

KN = [(0, 5), (5, 5), (1, 5), (0, 1), (1, 1), (3, 7), (0, 30), (30, 30), (17, 40), (1, 100), (50, 100), (999, 1000)]
KN += [(k, n) for n in (2, 3, 10, 13, 64) for k in range(n + 1)]


@pytest.mark.parametrize(("k", "n"), KN)
def test_wilson_equals_scipy(k, n):
    ref = scipy_stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson_interval(k, n)
    assert low == pytest.approx(ref.low, abs=1e-12)
    assert high == pytest.approx(ref.high, abs=1e-12)


def test_zero_of_five_is_not_a_point():
    low, high = wilson_interval(0, 5)
    assert low == 0.0 and high == pytest.approx(0.4345, abs=1e-4)
    assert wilson_interval(5, 5) == (pytest.approx(0.5655, abs=1e-4), 1.0)
    ci = score_interval([0.0] * 5)
    assert (ci.low, round(ci.high, 4), ci.method) == (0.0, 0.4345, "wilson")


def _statsmodels_se(values, groups, *, correction: bool) -> float:
    import numpy as np

    fit = sm.OLS(np.asarray(values, dtype=float), np.ones((len(values), 1))).fit(
        cov_type="cluster", cov_kwds={"groups": np.asarray(groups), "use_correction": correction}
    )
    return float(fit.bse[0])


@pytest.mark.parametrize("seed", range(8))
def test_clustered_se_equals_statsmodels_cluster_robust_ols(seed):
    rng = random.Random(seed)
    groups, values = [], []
    for g in range(rng.randint(2, 40)):
        effect = rng.random()  # items of one passage share its difficulty
        for _ in range(rng.randint(1, 8)):
            groups.append(g)
            values.append(float(rng.random() < effect) if seed % 2 else rng.gauss(effect, 0.3))
    ours = clustered_standard_error(values, groups)
    # Miller's formula has no small-sample factor: statsmodels without its correction...
    assert ours == pytest.approx(_statsmodels_se(values, groups, correction=False), rel=1e-9)
    # ...and its default multiplies the variance by G/(G-1) * (N-1)/(N-K), K = 1 for the intercept
    g = len(set(groups))
    assert ours * math.sqrt(g / (g - 1)) == pytest.approx(_statsmodels_se(values, groups, correction=True), rel=1e-9)


def test_clustered_interval_is_the_normal_interval_of_the_clustered_se():
    values = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0]
    clusters = ["p1", "p1", "p1", "p2", "p2", "p2", "p3", "p3", "p4", "p4"]
    ci = score_interval(values, clusters)
    se = _statsmodels_se(values, clusters, correction=False)
    assert ci.method == "clustered"
    assert ci.low == pytest.approx(0.6 - 1.959964 * se) and 0.6 + 1.959964 * se > 1.0 == ci.high  # clipped
    # every item alone, or one cluster for all: clustering says nothing, Wilson is used
    assert score_interval(values, list(range(10))).method == "wilson"
    assert score_interval(values, ["one"] * 10).method == "wilson"


def test_bootstrap_covers_the_true_mean_about_95_percent_of_the_time():
    """Beta(2, 5) scores (mean 2/7), 40 items a run: the run's bootstrap interval over items holds
    the true mean in 95% of runs, give or take what 300 runs and the bootstrap's own small-n
    narrowness allow."""
    rng = random.Random(11)
    truth, runs, hits = 2 / 7, 300, 0
    for run in range(runs):
        values = [rng.betavariate(2, 5) for _ in range(40)]
        ci = score_interval(values, seed=run, replicates=500)
        assert ci.method == "bootstrap"
        hits += ci.low <= truth <= ci.high
    assert 0.89 <= hits / runs <= 0.99, hits / runs


def _result(i, subset, score, cluster=None):
    metadata = {} if cluster is None else {"cluster": cluster}
    return SampleResult(
        sample_id=str(i), subset=subset, request_key="k", output=ModelOutput(),
        sample=Sample(id=str(i), input="q", metadata=metadata), scores={"acc": score},
    )


def test_every_report_row_carries_its_interval_and_method():
    rng = random.Random(3)
    passages = [_result(i, "reading", float(rng.random() < 0.6), cluster=f"p{i // 4}") for i in range(40)]
    wrong = [_result(100 + i, "none-right", 0.0) for i in range(5)]
    graded = [_result(200 + i, "graded", rng.random()) for i in range(30)]
    report = build_report(dataset="d", model="m", results=passages + wrong + graded)
    metric = report.metrics[0]
    subs = {s.name: s for s in metric.categories[0].subsets}

    assert (subs["none-right"].ci_low, subs["none-right"].ci_high, subs["none-right"].ci_method) == (0.0, 0.4345, "wilson")
    assert subs["graded"].ci_method == "bootstrap" and subs["graded"].ci_low < subs["graded"].score < subs["graded"].ci_high

    reading = subs["reading"]
    values = [r.scores["acc"] for r in passages]
    se = _statsmodels_se(values, [r.sample.metadata["cluster"] for r in passages], correction=False)
    assert reading.ci_method == "clustered"
    assert reading.ci_low == pytest.approx(max(0.0, reading.score - 1.959964 * se), abs=1e-4)
    assert reading.ci_high == pytest.approx(min(1.0, reading.score + 1.959964 * se), abs=1e-4)
    # the category and OVERALL rows: the passages stay clusters, the other items stand alone
    assert metric.ci_method == metric.categories[0].ci_method == "clustered"
    assert metric.ci_low < metric.score < metric.ci_high


def test_repeated_answers_of_one_item_are_one_cluster():
    """Repeats: k answers per item are not k independent items; with `cluster_items` the interval
    is over items (the clustered SE with items as clusters), not Wilson over every answer."""
    from evalscope.core.report import ScoreTally
    from evalscope.core.types import SampleKey

    rng = random.Random(4)
    tally, values, items = ScoreTally(cluster_items=True), [], []
    for item in range(12):
        p = rng.random()
        for repeat in range(4):
            v = float(rng.random() < p)
            r = _result(item, "main", v)
            r.sample_id, r.repeat = SampleKey("main", str(item), repeat).record_id, repeat
            tally.add(r)
            values.append(v)
            items.append(item)
    sub = tally.report(dataset="d", model="m").metrics[0].categories[0].subsets[0]
    se = _statsmodels_se(values, items, correction=False)
    assert (sub.num, sub.ci_method) == (48, "clustered")
    assert sub.ci_low == pytest.approx(max(0.0, sub.score - 1.959964 * se), abs=1e-4)
    assert sub.ci_high == pytest.approx(min(1.0, sub.score + 1.959964 * se), abs=1e-4)


def test_a_benchmarks_own_aggregate_gets_no_made_up_interval():
    results = [_result(i, "s", float(i % 2)) for i in range(6)]
    report = build_report(dataset="d", model="m", results=results, aggregate=lambda rs: {"f1": 0.5})
    by_name = {m.name: m for m in report.metrics}
    assert by_name["acc"].ci_method == "wilson"
    assert (by_name["f1"].ci_low, by_name["f1"].ci_method) == (None, None)


def test_race_and_musr_items_carry_their_passage_as_cluster():
    from evalscope.benchmarks.musr import record_to_sample as musr
    from evalscope.benchmarks.race import record_to_sample as race

    row = {"article": "A text.", "question": "Q?", "options": ["a", "b", "c", "d"], "answer": "A"}
    assert race({**row, "example_id": "high1.txt"}, 0, "high").metadata["cluster"] == "high1.txt"
    assert race(row, 0, "high").metadata["cluster"] == race({**row, "question": "Q2?"}, 1, "high").metadata["cluster"]
    story = {"narrative": "Once.", "question": "Who?", "choices": "['x', 'y']", "answer_index": 0}
    assert musr(story, 0, "s").metadata["cluster"] == musr({**story, "question": "Where?"}, 1, "s").metadata["cluster"]
    assert musr(story, 0, "s").metadata["cluster"] != musr({**story, "narrative": "Twice."}, 0, "s").metadata["cluster"]


# -- compare: the smallest detectable difference ------------------------------------------------
def test_min_detectable_difference_for_paired_binary_scores():
    # 100 pairs, 20 discordant: 2.8016 * sqrt(0.2 / 100)
    a = [1.0] * 10 + [0.0] * 10 + [1.0] * 50 + [0.0] * 30
    b = [0.0] * 10 + [1.0] * 10 + [1.0] * 50 + [0.0] * 30
    z = scipy_stats.norm.ppf(0.975) + scipy_stats.norm.ppf(0.8)
    assert min_detectable_difference(a, b) == pytest.approx(z * math.sqrt(0.2 / 100), rel=1e-12)
    comp = compare_scores(a, b, dataset="d", metric="acc", n_bootstrap=200)
    assert comp.min_detectable_diff == pytest.approx(0.1253, abs=1e-4)
    assert min_detectable_difference(a, a) is None  # no pair differs: nothing to estimate the spread from


def test_min_detectable_difference_for_paired_continuous_scores():
    rng = random.Random(2)
    a = [rng.random() for _ in range(60)]
    b = [x + rng.gauss(0.05, 0.2) for x in a]
    diffs = [y - x for x, y in zip(a, b)]
    sd = scipy_stats.tstd(diffs)
    z = scipy_stats.norm.ppf(0.975) + scipy_stats.norm.ppf(0.8)
    assert min_detectable_difference(a, b) == pytest.approx(z * sd / math.sqrt(60), rel=1e-12)
    # the formula's promise: a true shift of that size is found by a paired t-test ~80% of the time
    mde, found = min_detectable_difference(a, b), 0
    for _ in range(400):
        d = [mde + rng.gauss(0, sd) for _ in range(60)]
        found += scipy_stats.ttest_1samp(d, 0.0).pvalue < 0.05
    assert 0.72 <= found / 400 <= 0.88
