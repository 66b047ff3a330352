"""Arena ratings as records: computed from the valid battles, printed as a table, written as JSON and
CSV, and stored as the arena run's report."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from evalscope.arena.ratings import (
    WIN_RATE_RULE,
    Interval,
    bootstrap_bt,
    bradley_terry,
    mean_interval,
    online_elo,
    win_record,
)
from evalscope.core.report import Report, SampleCounts, build_report
from evalscope.core.report_builder import category_row, metric_row, subset_row
from evalscope.core.serialization import unstructure
from evalscope.core.types import SampleResult, SampleStatus

if TYPE_CHECKING:
    from evalscope.arena.config import ArenaConfig


@attrs.define
class ModelRating:
    model: str
    battles: int = 0
    wins: int = 0
    losses: int = 0
    ties: int = 0
    #: the opponent of the win counts: the baseline, or "all"
    versus: str = "all"
    #: (wins + ties / 2) / battles (`ratings.win_rate`, the one definition); None without a battle
    win_rate: float | None = None
    win_rate_ci: Interval | None = None
    loss_rate: float = 0.0
    tie_rate: float = 0.0
    elo: float | None = None
    bt: float | None = None
    bt_ci: Interval | None = None
    #: single mode: mean 1-10 rating and its interval
    mean_rating: float | None = None
    mean_rating_ci: Interval | None = None
    #: battles (or gradings) of this model whose verdict did not parse (excluded from everything above)
    judge_invalid: int = 0


@attrs.define
class ArenaResult:
    mode: str
    baseline: str | None
    models: list[ModelRating]
    battles_total: int = 0
    battles_valid: int = 0
    battles_invalid: int = 0
    #: subset (pair, or model in single mode) -> battles whose verdict did not parse
    invalid_by_pair: dict[str, int] = attrs.field(factory=dict)
    judge_calls: int = 0
    judge_cached: int = 0
    #: model -> questions it has no answer to
    missing: dict[str, int] = attrs.field(factory=dict)
    run_id: str = ""
    run_dir: str = ""
    #: how `win_rate` was computed (`ratings.WIN_RATE_RULE`); files without it are older and not read back
    win_rate_rule: str = ""

    def rating(self, model: str) -> ModelRating:
        return next(m for m in self.models if m.model == model)

    def to_report(self, cfg: ArenaConfig, results: Sequence[SampleResult]) -> Report:
        """The arena run's report: per pair (or model) the mean battle score with counts of judge-invalid
        battles, then one metric per rating (subsets = models)."""
        report = build_report(dataset="arena", model=cfg.name, results=results, metric_names=["rating" if self.mode == "single" else "score"])
        rows: list[tuple[str, str]] = []
        if self.mode == "single":
            rows.append(("mean_rating", "mean_rating"))
        else:
            rows += [("bt_rating", "bt"), ("elo", "elo"), ("win_rate_vs_baseline" if self.baseline else "win_rate", "win_rate")]
        for name, field in rows:
            subsets = [
                subset_row(m.model, getattr(m, field) or 0.0, m.battles, counts=SampleCounts())
                for m in self.models
                if getattr(m, field) is not None
            ]
            category = category_row(("models",), subsets, score=0.0, macro_score=0.0)
            first = subsets[0].score if subsets else 0.0
            report.metrics.append(metric_row(name, [category], score=first, macro_score=0.0))
        return report


@attrs.define(kw_only=True)
class RatingSettings:
    mode: str = "pairwise"
    baseline: str | None = None
    elo_k: float = 32.0
    elo_init: float = 1000.0
    bootstrap_rounds: int = 200
    seed: int = 42
    #: the metric each battle result carries (a's score): "score" in `evalscope arena`, "winrate" in general_arena
    metric: str = "score"


def compute_ratings(cfg: ArenaConfig | RatingSettings, results: Sequence[SampleResult], models: Sequence[str]) -> ArenaResult:
    """Ratings from the stored battle results; invalid ones are only counted."""
    metric = getattr(cfg, "metric", "score")
    valid = [r for r in results if r.status is SampleStatus.SCORED]
    invalid = [r for r in results if r.status is SampleStatus.INVALID]
    outcome = ArenaResult(
        mode=cfg.mode,
        baseline=cfg.baseline,
        models=[],
        battles_total=len(results),
        battles_valid=len(valid),
        battles_invalid=len(invalid),
        invalid_by_pair=dict(Counter(r.subset for r in invalid)),
        win_rate_rule=WIN_RATE_RULE,
    )
    invalid_of: Counter[str] = Counter()
    for r in invalid:
        battle = r.details.get("battle", {})
        for key in ("model_a", "model_b"):
            if battle.get(key):
                invalid_of[battle[key]] += 1
    if cfg.mode == "single":
        for model in models:
            ratings = [r.scores["rating"] for r in valid if r.details["battle"]["model_a"] == model]
            entry = ModelRating(model=model, battles=len(ratings), judge_invalid=invalid_of[model])
            if ratings:
                entry.mean_rating = sum(ratings) / len(ratings)
                entry.mean_rating_ci = mean_interval(ratings, rounds=cfg.bootstrap_rounds, seed=cfg.seed)
            outcome.models.append(entry)
        outcome.models.sort(key=lambda m: -(m.mean_rating or 0.0))
        return outcome
    battles = [(r.details["battle"]["model_a"], r.details["battle"]["model_b"], r.scores[metric]) for r in valid]
    elo = online_elo(battles, k=cfg.elo_k, init=cfg.elo_init)
    bt = bradley_terry(battles, models, init=cfg.elo_init, anchor=cfg.baseline) if battles else {}
    bt_ci = bootstrap_bt(battles, models, rounds=cfg.bootstrap_rounds, seed=cfg.seed, init=cfg.elo_init, anchor=cfg.baseline)
    for model in models:
        record = win_record(battles, model, cfg.baseline if cfg.baseline != model else None, rounds=cfg.bootstrap_rounds, seed=cfg.seed)
        entry = ModelRating(
            model=model,
            battles=record.battles,
            wins=record.wins,
            losses=record.losses,
            ties=record.ties,
            versus=record.opponent,
            win_rate=record.win_rate,
            win_rate_ci=record.win_rate_ci,
            loss_rate=record.loss_rate,
            tie_rate=record.tie_rate,
            elo=elo.get(model),
            bt=bt.get(model),
            bt_ci=bt_ci.get(model),
            judge_invalid=invalid_of[model],
        )
        outcome.models.append(entry)
    outcome.models.sort(key=lambda m: -(m.bt if m.bt is not None else float("-inf")))
    return outcome


def _ci(value: float | None, interval: Interval | None, digits: int) -> str:
    if value is None:
        return "n/a"
    text = f"{value:.{digits}f}"
    if interval is not None:
        text += f" [{interval.low:.{digits}f}, {interval.high:.{digits}f}]"
    return text


def table_rows(result: ArenaResult) -> tuple[list[str], list[list[str]]]:
    if result.mode == "single":
        headers = ["Model", "Mean rating (95% CI)", "Graded", "Judge invalid"]
        rows = [[m.model, _ci(m.mean_rating, m.mean_rating_ci, 2), str(m.battles), str(m.judge_invalid)] for m in result.models]
        return headers, rows
    versus = f"vs {result.baseline}" if result.baseline else "vs all"
    headers = ["Model", "BT rating (95% CI)", "Elo", "Battles", "W", "L", "T", f"Win rate {versus}, ties half (95% CI)", "Judge invalid"]
    rows = []
    for m in result.models:
        is_baseline = m.model == result.baseline
        rows.append([
            m.model + (" (baseline)" if is_baseline else ""),
            _ci(m.bt, m.bt_ci, 1),
            "n/a" if m.elo is None else f"{m.elo:.1f}",
            str(m.battles), str(m.wins), str(m.losses), str(m.ties),
            "-" if is_baseline and result.baseline else _ci(m.win_rate, m.win_rate_ci, 3),
            str(m.judge_invalid),
        ])
    return headers, rows


def format_table(result: ArenaResult) -> str:
    from tabulate import tabulate

    headers, rows = table_rows(result)
    table = tabulate(rows, headers=headers, tablefmt="grid", disable_numparse=True)
    lines = [
        table,
        f"Battles: {result.battles_total} judged, {result.battles_valid} valid, {result.battles_invalid} judge invalid "
        "(invalid verdicts are excluded from every rating).",
    ]
    if result.invalid_by_pair:
        lines.append("Judge invalid by pair: " + ", ".join(f"{k}: {v}" for k, v in sorted(result.invalid_by_pair.items())))
    lines.append(f"Judge calls: {result.judge_calls} made, {result.judge_cached} verdict(s) reused from the cache.")
    missing = {k: v for k, v in result.missing.items() if v}
    if missing:
        lines.append("Questions without an answer (no battle): " + ", ".join(f"{k}: {v}" for k, v in missing.items()))
    return "\n".join(lines)


CSV_FIELDS = (
    "model", "bt", "bt_low", "bt_high", "elo", "battles", "wins", "losses", "ties", "versus", "win_rate", "win_rate_low",
    "win_rate_high", "mean_rating", "mean_rating_low", "mean_rating_high", "judge_invalid",
)


def write_files(result: ArenaResult, run_dir: Path) -> tuple[Path, Path]:
    """`<run>/ratings.json` (everything) and `<run>/ratings.csv` (one row per model)."""
    json_path, csv_path = run_dir / "ratings.json", run_dir / "ratings.csv"
    json_path.write_text(json.dumps(unstructure(result), ensure_ascii=False, indent=2), encoding="utf-8")
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for m in result.models:
            writer.writerow({
                "model": m.model, "bt": m.bt, "bt_low": m.bt_ci.low if m.bt_ci else None, "bt_high": m.bt_ci.high if m.bt_ci else None,
                "elo": m.elo, "battles": m.battles, "wins": m.wins, "losses": m.losses, "ties": m.ties, "versus": m.versus,
                "win_rate": m.win_rate, "win_rate_low": m.win_rate_ci.low if m.win_rate_ci else None,
                "win_rate_high": m.win_rate_ci.high if m.win_rate_ci else None, "mean_rating": m.mean_rating,
                "mean_rating_low": m.mean_rating_ci.low if m.mean_rating_ci else None,
                "mean_rating_high": m.mean_rating_ci.high if m.mean_rating_ci else None, "judge_invalid": m.judge_invalid,
            })
    return json_path, csv_path


__all__ = ["ArenaResult", "ModelRating", "RatingSettings", "compute_ratings", "format_table", "write_files"]
