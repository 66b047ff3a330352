"""Ratings: online Elo on a hand-computed sequence, Bradley-Terry against a closed form and an
independent solver (Hunter's MM algorithm, written here), bootstrap interval coverage of a win
rate (Bradley-Terry intervals: test_bt_interval_calibration.py)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from evalscope.arena.ratings import bradley_terry, mean_interval, online_elo, win_record


def test_online_elo_hand_computed():
    # K=32, init 1000, scale 400, base 10:
    # 1. a beats b: expected 0.5 -> a 1016, b 984
    # 2. a ties b: expected_a = 1/(1+10^(-32/400)) = 0.545922 -> a 1016 + 32(0.5-0.545922) = 1014.530496
    # 3. c beats a: expected_c = 1/(1+10^((1014.530496-1000)/400)) = 0.479100 -> c 1016.668795, a 997.861701
    ratings = online_elo([("a", "b", 1.0), ("a", "b", 0.5), ("c", "a", 1.0)])
    assert ratings["b"] == pytest.approx(984 + 1.469504, abs=1e-5)
    assert ratings["c"] == pytest.approx(1000 + 32 * (1 - 1 / (1 + 10 ** (14.530496 / 400))), abs=1e-5)
    assert ratings["a"] == pytest.approx(1014.530496 - (ratings["c"] - 1000), abs=1e-5)
    assert ratings == pytest.approx({"a": 997.8617, "b": 985.4695, "c": 1016.6688}, abs=1e-3)
    # the order matters (online), and the total is conserved
    assert sum(ratings.values()) == pytest.approx(3000)


def test_bradley_terry_two_models_closed_form():
    # p = 30/40 -> R_a - R_b = 400 log10(p / (1 - p)) = 400 log10(3); centred at 1000
    battles = [("a", "b", 1.0)] * 30 + [("a", "b", 0.0)] * 10
    ratings = bradley_terry(battles)
    gap = 400 * math.log10(3)
    assert ratings["a"] == pytest.approx(1000 + gap / 2, abs=0.05)
    assert ratings["b"] == pytest.approx(1000 - gap / 2, abs=0.05)
    # anchored at the baseline, ties as half wins: 25 wins + 10 ties of 40 -> p = 0.75 again
    tied = [("a", "b", 1.0)] * 25 + [("a", "b", 0.5)] * 10 + [("a", "b", 0.0)] * 5
    anchored = bradley_terry(tied, anchor="b")
    assert anchored["b"] == pytest.approx(1000) and anchored["a"] == pytest.approx(1000 + gap, abs=0.05)


def mm_solver(wins: np.ndarray, tol: float = 1e-13) -> np.ndarray:
    """Hunter (2004) minorisation-maximisation for Bradley-Terry: p_i <- W_i / sum_j n_ij / (p_i + p_j)."""
    games = wins + wins.T
    p = np.ones(len(wins))
    for _ in range(100000):
        new = wins.sum(axis=1) / (games / (p[:, None] + p[None, :])).sum(axis=1)
        new = new / np.exp(np.mean(np.log(new)))
        if np.max(np.abs(new - p)) < tol:
            return np.log(new)
        p = new
    raise AssertionError("MM did not converge")


def test_bradley_terry_matches_an_independent_solver():
    names = ["w", "x", "y", "z"]
    # a known battle matrix (wins[i][j] = wins of i over j), every model wins and loses somewhere
    wins = np.array([[0, 7, 9, 12], [5, 0, 6, 10], [3, 6, 0, 7], [2, 4, 5, 0]], dtype=float)
    battles = [(names[i], names[j], 1.0) for i in range(4) for j in range(4) for _ in range(int(wins[i, j]))]
    random.Random(0).shuffle(battles)
    ours = bradley_terry(battles, names)
    beta = mm_solver(wins)
    expected = {m: 1000 + 400 / math.log(10) * (beta[i] - beta.mean()) for i, m in enumerate(names)}
    assert ours == pytest.approx(expected, abs=0.05)
    assert sorted(ours, key=ours.get, reverse=True) == ["w", "x", "y", "z"]


def test_bootstrap_interval_coverage_of_a_win_rate():
    """95% percentile intervals of a win rate cover the true rate in about 95% of synthetic arenas."""
    rng = np.random.default_rng(7)
    true_p, n, trials = 0.7, 120, 300
    covered = 0
    for trial in range(trials):
        outcomes = (rng.random(n) < true_p).astype(float)
        ci = mean_interval(list(outcomes), rounds=400, seed=trial)
        covered += ci.low <= true_p <= ci.high
    assert 0.90 <= covered / trials <= 0.99, covered / trials


def test_win_record_against_a_baseline():
    battles = [("m", "base", 1.0)] * 6 + [("m", "base", 0.5)] * 2 + [("base", "m", 1.0)] * 2 + [("m", "other", 0.0)] * 5
    record = win_record(battles, "m", "base", rounds=100)
    assert (record.wins, record.losses, record.ties, record.battles) == (6, 2, 2, 10)
    assert record.win_rate == pytest.approx(0.7)  # ties count half: (6 + 2 / 2) / 10
    assert record.win_rate_ci.low <= 0.7 <= record.win_rate_ci.high
