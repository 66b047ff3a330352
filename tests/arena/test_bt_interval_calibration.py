"""The Bradley-Terry bootstrap interval is calibrated: its 95% interval covers the true rating about
95% of the time, never (almost) always, and is as wide as the sampling error says.

A lower bound on coverage alone lets an interval that is far too wide pass (it covers 100%); the
coverage band and the width check catch intervals too wide, too narrow or off-centre."""

from __future__ import annotations

import math

import numpy as np

from evalscope.arena.ratings import bootstrap_bt, bradley_terry

TRUE_GAP = 120.0  # a over b on the Elo scale
P_WIN = 1 / (1 + 10 ** (-TRUE_GAP / 400))
BATTLES = 100
# the rating gap is 400/ln(10) * logit(p_hat): its standard error by the delta method
SE = 400 / math.log(10) / math.sqrt(BATTLES * P_WIN * (1 - P_WIN))


def _arena(seed: int) -> list[tuple[str, str, float]]:
    rng = np.random.default_rng(seed)
    return [("a", "b", float(rng.random() < P_WIN)) for _ in range(BATTLES)]


def test_bt_bootstrap_interval_covers_the_truth_about_95_percent_of_the_time():
    trials, covered = 80, 0
    for trial in range(trials):  # a fixed set of seeds: the same arenas on every run
        battles = _arena(1000 + trial)
        ci = bootstrap_bt(battles, ["a", "b"], rounds=50, seed=trial, anchor="b")
        point = bradley_terry(battles, ["a", "b"], anchor="b")["a"]
        assert ci["b"].low == ci["b"].high == 1000.0, "the anchor is fixed in every resample"
        assert ci["a"].low <= point <= ci["a"].high
        covered += ci["a"].low <= 1000 + TRUE_GAP <= ci["a"].high
    coverage = covered / trials
    # 50 resamples make the percentile ends a little narrow; 80 arenas make the rate +-0.03
    assert 0.85 <= coverage <= 0.99, f"a 95% interval covered the truth in {coverage:.0%} of arenas"


def test_bt_bootstrap_interval_is_as_wide_as_the_sampling_error():
    """Mean width over a few arenas with many resamples: 2 x 1.96 standard errors, within about 10%
    (a 99% interval is 1.3x that, a 90% one 0.86x)."""
    widths = []
    for trial in range(8):
        ci = bootstrap_bt(_arena(2000 + trial), ["a", "b"], rounds=400, seed=trial, anchor="b")
        widths.append(ci["a"].high - ci["a"].low)
    ratio = float(np.mean(widths)) / (2 * 1.96 * SE)
    assert 0.9 <= ratio <= 1.12, (
        f"mean width {np.mean(widths):.1f} is {ratio:.2f} x the 95% width {2 * 1.96 * SE:.1f}"
    )
