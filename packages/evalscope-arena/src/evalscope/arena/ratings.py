"""Ratings from battles: online Elo, Bradley-Terry maximum likelihood with bootstrap intervals, and
win/loss/tie counts and the win rate (against a baseline; ties count half: `win_rate`) with intervals.

A battle is `(model_a, model_b, score_a)` with score_a 1 (a won), 0 (b won) or 0.5 (tie). Only
valid battles are given here: a battle whose verdict did not parse never reaches a rating.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs

from evalscope.core.numeric import percentile
from evalscope.core.stats import bootstrap_ci

Battle = tuple[str, str, float]


def online_elo(
    battles: Sequence[Battle], *, k: float = 32.0, init: float = 1000.0, scale: float = 400.0, base: float = 10.0
) -> dict[str, float]:
    """Elo updated battle by battle in the order given (ties count half a win for each side)."""
    ratings: dict[str, float] = {}
    for a, b, score in battles:
        ra, rb = ratings.setdefault(a, init), ratings.setdefault(b, init)
        expected_a = 1.0 / (1.0 + base ** ((rb - ra) / scale))
        ratings[a] = ra + k * (score - expected_a)
        ratings[b] = rb + k * ((1.0 - score) - (1.0 - expected_a))
    return ratings


def _models(battles: Sequence[Battle], models: Sequence[str] | None) -> list[str]:
    names = list(models or [])
    for a, b, _ in battles:
        for m in (a, b):
            if m not in names:
                names.append(m)
    return names


def _win_matrix(battles: Sequence[Battle], index: dict[str, int]) -> tuple[Any, Any, Any]:
    """Arrays (first, second, score) of the battles: the input of `_fit`."""
    import numpy as np

    first = np.array([index[a] for a, _, _ in battles], dtype=int)
    second = np.array([index[b] for _, b, _ in battles], dtype=int)
    score = np.array([s for _, _, s in battles], dtype=float)
    return first, second, score


def _fit(first: Any, second: Any, score: Any, n: int, ridge: float) -> Any:
    """Maximum-likelihood strengths (natural log scale) by Newton's method on the penalised log-likelihood.

    wins[i, j] counts (fractional) wins of i over j; a tie is half a win for each side. The ridge
    penalty keeps the optimum finite (a model that never lost) and the Hessian negative definite."""
    import numpy as np

    wins = np.zeros((n, n))
    np.add.at(wins, (first, second), score)
    np.add.at(wins, (second, first), 1.0 - score)
    games = wins + wins.T
    beta = np.zeros(n)
    for _ in range(100):
        diff = beta[:, None] - beta[None, :]
        p = 1.0 / (1.0 + np.exp(-diff))
        grad = (wins - games * p).sum(axis=1) - 2 * ridge * beta
        weight = games * p * (1.0 - p)
        hessian = weight - np.diag(weight.sum(axis=1)) - 2 * ridge * np.eye(n)
        step = np.linalg.solve(hessian, grad)
        beta = beta - step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def bradley_terry(
    battles: Sequence[Battle],
    models: Sequence[str] | None = None,
    *,
    init: float = 1000.0,
    scale: float = 400.0,
    base: float = 10.0,
    anchor: str | None = None,
    ridge: float = 1e-6,
) -> dict[str, float]:
    """Bradley-Terry strengths by maximum likelihood, on the Elo scale.

    P(a beats b) = 1 / (1 + base^((R_b - R_a) / scale)); a tie counts as half a win for each side.
    A tiny ridge penalty keeps the estimate finite when a model never lost. Ratings are centred at
    `init` (mean strength), or the `anchor` model is put at `init`.
    """
    names = _models(battles, models)
    if not names:
        return {}
    index = {m: i for i, m in enumerate(names)}
    beta = _fit(*_win_matrix(battles, index), len(names), ridge)
    return _scaled(beta, names, init=init, scale=scale, base=base, anchor=anchor)


def _scaled(beta: Any, names: Sequence[str], *, init: float, scale: float, base: float, anchor: str | None) -> dict[str, float]:
    centre = float(beta[list(names).index(anchor)]) if anchor is not None and anchor in names else float(beta.mean())
    factor = scale / math.log(base)
    return {m: float(init + factor * (beta[i] - centre)) for i, m in enumerate(names)}


@attrs.define
class Interval:
    low: float
    high: float


def _rng(seed: int) -> Any:
    import numpy as np

    return np.random.default_rng(seed)


def bootstrap_bt(
    battles: Sequence[Battle],
    models: Sequence[str] | None = None,
    *,
    rounds: int = 200,
    seed: int = 42,
    confidence: float = 0.95,
    init: float = 1000.0,
    scale: float = 400.0,
    base: float = 10.0,
    anchor: str | None = None,
    ridge: float = 1e-6,
) -> dict[str, Interval]:
    """Percentile intervals of the Bradley-Terry ratings over `rounds` resamples of the battles
    (drawn with replacement, as many as there are)."""
    import numpy as np

    names = _models(battles, models)
    if not battles or rounds <= 0:
        return {}
    index = {m: i for i, m in enumerate(names)}
    first, second, score = _win_matrix(battles, index)
    rng = _rng(seed)
    draws = np.empty((rounds, len(names)))
    for r in range(rounds):
        picks = rng.integers(0, len(battles), len(battles))
        beta = _fit(first[picks], second[picks], score[picks], len(names), ridge)
        rated = _scaled(beta, names, init=init, scale=scale, base=base, anchor=anchor)
        draws[r] = [rated[m] for m in names]
    alpha = (1 - confidence) / 2
    columns = [sorted(draws[:, i].tolist()) for i in range(len(names))]
    return {m: Interval(percentile(col, alpha), percentile(col, 1 - alpha)) for m, col in zip(names, columns, strict=True)}


#: the arena's one win rate, in every table, chart and file (`win_rate`)
WIN_RATE_RULE = "(wins + ties / 2) / battles"


def win_rate(wins: float, losses: float, ties: float) -> float | None:
    """The arena's win rate: (wins + ties / 2) / battles, ties counting half as in the arena
    literature (Chatbot Arena, MT-Bench); None without a battle. Every table, chart and file of
    `evalscope arena`, general_arena and the site shows this number (`WIN_RATE_RULE`). For an
    all-tie field it is 0.5, which is also the Bradley-Terry expected win probability of equal ratings."""
    battles = wins + losses + ties
    return (wins + ties / 2) / battles if battles else None


def win_rate_of(outcomes: Any) -> float | None:
    """`win_rate` of a model's battle outcomes (its score per battle: 1 win, 0 loss, else a tie)."""
    import numpy as np

    scores = np.asarray(outcomes, dtype=float)
    wins, losses = int((scores == 1.0).sum()), int((scores == 0.0).sum())
    return win_rate(wins, losses, len(scores) - wins - losses)


@attrs.define
class WinRecord:
    """One model's results against one opponent (or all opponents / the baseline)."""

    model: str
    opponent: str
    wins: int = 0
    losses: int = 0
    ties: int = 0
    #: bootstrap interval of `win_rate`
    win_rate_ci: Interval | None = None

    @property
    def battles(self) -> int:
        return self.wins + self.losses + self.ties

    @property
    def win_rate(self) -> float | None:
        """(wins + ties / 2) / battles: see `win_rate`."""
        return win_rate(self.wins, self.losses, self.ties)

    @property
    def loss_rate(self) -> float:
        return self.losses / self.battles if self.battles else 0.0

    @property
    def tie_rate(self) -> float:
        return self.ties / self.battles if self.battles else 0.0


def _outcomes(battles: Sequence[Battle], model: str, opponent: str | None) -> list[float]:
    """`model`'s score in each of its battles (against `opponent`, or anyone when None)."""
    out = []
    for a, b, s in battles:
        if a == model and (opponent is None or b == opponent):
            out.append(s)
        elif b == model and (opponent is None or a == opponent):
            out.append(1.0 - s)
    return out


def mean_interval(values: Sequence[float], *, rounds: int, seed: int, confidence: float = 0.95) -> Interval | None:
    """Bootstrap percentile interval of the mean of `values` (`evalscope.core.stats.bootstrap_ci`,
    the one bootstrap of `compare` and the reports); None without values or rounds."""
    if not values or rounds <= 0:
        return None
    return Interval(*bootstrap_ci(values, rounds, seed, confidence))


def win_record(
    battles: Sequence[Battle], model: str, opponent: str | None = None, *, rounds: int = 200, seed: int = 42
) -> WinRecord:
    """Wins, losses, ties of `model` (against `opponent`, or all), and the bootstrap interval of its win rate."""
    outcomes = _outcomes(battles, model, opponent)
    record = WinRecord(model=model, opponent=opponent or "all")
    record.wins = sum(1 for s in outcomes if s == 1.0)
    record.losses = sum(1 for s in outcomes if s == 0.0)
    record.ties = len(outcomes) - record.wins - record.losses
    if outcomes:  # the win rate is the mean of the outcomes with every tie at 0.5
        halves = [s if s in (0.0, 1.0) else 0.5 for s in outcomes]
        record.win_rate_ci = mean_interval(halves, rounds=rounds, seed=seed)
    return record


__all__ = [
    "WIN_RATE_RULE",
    "Battle",
    "Interval",
    "WinRecord",
    "bootstrap_bt",
    "bradley_terry",
    "online_elo",
    "mean_interval",
    "win_rate",
    "win_rate_of",
    "win_record",
]
