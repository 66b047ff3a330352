"""Arena runs as the report site shows them (no Dash): the rating table's numbers and the battles,
read through the result-store port with the battle browser's filters.

The ratings are the run's own `ratings.json` (the file `evalscope arena` wrote, checked to be this
run's, with today's win-rate definition) when it lies at the run's work dir; otherwise (a database on another machine, a run still
judging) they are recomputed from the stored battles with the run's settings, and the page says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from evalscope.arena.battles import pairs
from evalscope.arena.ratings import WIN_RATE_RULE
from evalscope.arena.results import ArenaResult, RatingSettings, compute_ratings
from evalscope.core.ports import ResultFilter, RunInfo
from evalscope.core.report import Report
from evalscope.core.serialization import structure
from evalscope.core.types import SampleResult, SampleStatus

DATASET = "arena"
#: the battle browser's verdict filters: all, the first model of the pair won, the second won, a tie,
#: the judge's verdict did not parse
PAIR_VERDICTS = ("all", "a", "b", "tie", "invalid")
#: single mode: every grading, the graded ones, those whose rating did not parse
SINGLE_VERDICTS = ("all", "graded", "invalid")


@attrs.frozen
class Ratings:
    result: ArenaResult
    #: "file": the run's ratings.json; "records": recomputed from the stored battles
    source: str
    path: str = ""


def models_of(info: RunInfo, results: Iterable[SampleResult] = ()) -> list[str]:
    """The contestants in the arena config's order (else in the order the battles name them)."""
    names = [m.get("name") for m in (info.config or {}).get("models") or [] if isinstance(m, dict)]
    found = [n for n in names if isinstance(n, str)]
    if found:
        return found
    for result in results:
        battle = (result.details or {}).get("battle") or {}
        for key in ("model_a", "model_b"):
            name = battle.get(key)
            if name and name not in found:
                found.append(name)
    return found


def mode_of(info: RunInfo) -> str:
    return str((info.config or {}).get("mode") or "pairwise")


def pair_names(info: RunInfo, report: Report | None = None) -> list[str]:
    """The subsets of the run's battles: "a vs b" per pair, or the model in single mode."""
    cfg = info.config or {}
    models = models_of(info)
    if models:
        try:
            return [" vs ".join(p) for p in pairs(models, mode_of(info), cfg.get("baseline"))]
        except TypeError:
            pass
    if report is not None and report.metrics:
        return [s.name for c in report.metrics[0].categories for s in c.subsets]
    return []


def ratings_file(info: RunInfo, places: Sequence[str | Path] = ()) -> tuple[ArenaResult, Path] | None:
    """The run's `ratings.json`, from one of `places` (where the run dir was found, which differs from
    the recorded work dir after a copy or move) or its work dir, when it is there and names this run."""
    for folder in [*places, info.work_dir]:
        path = Path(folder) / "ratings.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or data.get("run_id") != info.run_id:
            continue
        if data.get("win_rate_rule") != WIN_RATE_RULE:  # written before ties counted half: recompute
            continue
        try:
            return structure(data, ArenaResult), path
        except Exception:  # noqa: BLE001 - a file of another shape: look on, else recompute
            continue
    return None


def recompute(info: RunInfo, results: Sequence[SampleResult], report: Report | None) -> ArenaResult:
    """Ratings from the stored battles with the run's settings (seed, rounds, Elo K and start).

    Counts, Bradley-Terry ratings and win rates do not depend on the battles' order; online Elo and
    the bootstrap intervals do, so Elo is taken from the run's report when it has one, and the
    intervals may differ a little from those `evalscope arena` printed."""
    cfg = info.config or {}
    settings = RatingSettings(
        mode=mode_of(info),
        baseline=cfg.get("baseline"),
        elo_k=float(cfg.get("elo_k", 32.0)),
        elo_init=float(cfg.get("elo_init", 1000.0)),
        bootstrap_rounds=int(cfg.get("bootstrap_rounds", 200)),
        seed=int(cfg.get("seed", 42)),
    )
    result = compute_ratings(settings, list(results), models_of(info, results))
    elo = _metric(report, "elo")
    for rating in result.models:
        if rating.model in elo:
            rating.elo = elo[rating.model]
    result.run_id, result.run_dir = info.run_id, info.work_dir
    return result


def _metric(report: Report | None, name: str) -> dict[str, float]:
    if report is None:
        return {}
    metric = next((m for m in report.metrics if m.name == name), None)
    return {} if metric is None else {s.name: s.score for c in metric.categories for s in c.subsets}


def ratings_of(
    info: RunInfo,
    read_results: Callable[[], Sequence[SampleResult]],
    report: Report | None,
    places: Sequence[str | Path] = (),
) -> Ratings:
    """The run's ratings: its file when finished and present, else recomputed from its battles."""
    if info.status != "running":
        found = ratings_file(info, places)
        if found is not None:
            return Ratings(found[0], "file", str(found[1]))
    return Ratings(recompute(info, read_results(), report), "records")


# -- battles ------------------------------------------------------------------------------------


@attrs.frozen
class Game:
    """One verdict: `first` was shown to the judge as assistant A."""

    first: str
    second: str
    valid: bool
    winner: str | None
    label: str | None
    reason: str


@attrs.frozen
class Exchange:
    """One judge call: its prompt, raw replies (every attempt) and what was read from them."""

    prompt: str
    replies: tuple[str, ...]
    label: str | None
    valid: bool
    reason: str
    attempts: int
    cached: bool


@attrs.frozen
class Battle:
    sample_id: str
    subset: str
    question_id: str
    category: str
    question: str
    reference: str
    model_a: str
    model_b: str | None
    answer_a: str
    answer_b: str
    #: a | b | tie | invalid | graded | error
    verdict: str
    winner: str | None
    score: float | None
    games: tuple[Game, ...]
    exchanges: tuple[Exchange, ...]
    error: str | None = None


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def verdict_of(result: SampleResult, single: bool) -> str:
    if result.status is SampleStatus.INVALID:
        return "invalid"
    if result.status is not SampleStatus.SCORED:
        return "error"
    if single:
        return "graded"
    score = result.scores.get("score")
    return "a" if score == 1.0 else "b" if score == 0.0 else "tie"


def battle_view(result: SampleResult) -> Battle:
    details = result.details if isinstance(result.details, dict) else {}
    battle = details.get("battle") or {}
    meta = (result.sample.metadata if result.sample is not None else None) or {}
    single = battle.get("model_b") is None and "model_b" not in meta
    games = tuple(
        Game(
            first=str(g.get("first", "")),
            second=str(g.get("second", "")),
            valid=bool(g.get("valid")),
            winner=g.get("winner"),
            label=g.get("label"),
            reason=str(g.get("reason") or ""),
        )
        for g in battle.get("games") or []
        if isinstance(g, dict)
    )
    calls = ((details.get("judge") or {}).get("calls")) or []
    exchanges = tuple(
        Exchange(
            prompt="\n\n".join(
                f"[{m.get('role')}] {m.get('content')}" for m in c.get("messages") or [] if isinstance(m, dict)
            ),
            replies=tuple(_text(r) for r in c.get("replies") or []),
            label=c.get("label"),
            valid=bool(c.get("valid")),
            reason=str(c.get("reason") or ""),
            attempts=int(c.get("attempts") or 1),
            cached=bool(c.get("cached")),
        )
        for c in calls
        if isinstance(c, dict)
    )
    sample = result.sample
    score = next(iter(result.scores.values()), None) if result.status is SampleStatus.SCORED else None
    return Battle(
        sample_id=str(result.sample_id),
        subset=result.subset,
        question_id=str(meta.get("question_id") or battle.get("question_id") or ""),
        category=str(meta.get("category") or ""),
        question=_text(sample.input) if sample is not None else "",
        reference=_text(result.gold if result.gold is not None else (sample.target if sample else None)),
        model_a=str(meta.get("model_a") or battle.get("model_a") or ""),
        model_b=None if single else str(meta.get("model_b") or battle.get("model_b") or ""),
        answer_a=_text(meta.get("answer_a")),
        answer_b=_text(meta.get("answer_b")),
        verdict=verdict_of(result, single),
        winner=battle.get("winner"),
        score=score,
        games=games,
        exchanges=exchanges,
        error=result.error,
    )


def battle_query(verdict: str, *, subset: str | None = None, single: bool = False) -> tuple[ResultFilter, Callable[[SampleResult], bool] | None]:
    """The store query behind a verdict filter, and a check the store cannot express (ties)."""
    allowed = SINGLE_VERDICTS if single else PAIR_VERDICTS
    if verdict not in allowed:
        raise ValueError(f"verdict {verdict!r}: expected one of {', '.join(allowed)}")
    where = ResultFilter(dataset=DATASET, subset=subset or None)
    keep: Callable[[SampleResult], bool] | None = None
    if verdict == "invalid":
        where.status = SampleStatus.INVALID
    elif verdict == "graded":
        where.status = SampleStatus.SCORED
    elif verdict == "a":  # a's score 1
        where.passed, where.metric, where.threshold = True, "score", 1.0
    elif verdict == "b":  # a's score 0
        where.passed, where.metric, where.threshold = False, "score", 0.5
    elif verdict == "tie":
        where.status = SampleStatus.SCORED
        keep = lambda r: r.scores.get("score") == 0.5  # noqa: E731
    return where, keep


def search_matches(battle: Battle, needle: str) -> bool:
    """Case-insensitive: the question, both answers, the models, the winner, the judge's replies."""
    needle = needle.lower()
    texts = [
        battle.question, battle.answer_a, battle.answer_b, battle.model_a, battle.model_b or "",
        battle.winner or "", battle.question_id, battle.reference, battle.error or "",
        *(r for e in battle.exchanges for r in e.replies),
    ]
    return any(needle in t.lower() for t in texts)


def find_battles(
    read: Callable[[ResultFilter], list[SampleResult]],
    count: Callable[[ResultFilter], int],
    *,
    verdict: str = "all",
    subset: str | None = None,
    search: str = "",
    single: bool = False,
    page: int = 0,
    size: int = 10,
) -> tuple[list[Battle], int, int]:
    """(battles of the page, total matching, the page shown). `read`/`count` are the store port's
    `iter_results`/`count_results` for the run; paging is the store's unless a tie or a search needs
    every candidate looked at."""
    where, keep = battle_query(verdict, subset=subset, single=single)
    if keep is None and not search:
        total = count(where)
        page = _clamp(page, total, size)
        where.offset, where.limit = page * size, size
        return [battle_view(r) for r in read(where)], total, page
    views = [battle_view(r) for r in read(where) if keep is None or keep(r)]
    if search:
        views = [v for v in views if search_matches(v, search)]
    page = _clamp(page, len(views), size)
    return views[page * size : (page + 1) * size], len(views), page


def _clamp(page: int, total: int, size: int) -> int:
    pages = max(1, -(-total // size))
    return min(max(page, 0), pages - 1)


__all__ = [
    "Battle",
    "Exchange",
    "Game",
    "PAIR_VERDICTS",
    "Ratings",
    "SINGLE_VERDICTS",
    "battle_query",
    "battle_view",
    "find_battles",
    "pair_names",
    "ratings_of",
    "recompute",
]
