"""`evalscope arena --config arena.yaml`: battles judged by a model, then the rating table.
Only click is imported here; the arena (numpy, scipy, the adapters) loads when the command runs."""

from __future__ import annotations

from typing import Any

import click


@click.command("arena", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False), help="Arena config (YAML or JSON).")
@click.option("--use-cache", help="Resume the arena run in this directory (or the newest under it): no answer or verdict is redone.")
@click.option("--work-dir", help="Output root (default from the config, ./outputs/arena).")
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N questions.")
@click.option("--debug", is_flag=True, default=None, help="Debug logging, and a full traceback on any error.")
def arena(config_file: str, use_cache: str | None, work_dir: str | None, limit: int | None, debug: bool | None) -> None:
    """Rank models against each other: pairwise battles (all pairs or against a baseline) or single-answer
    grading, judged by any model; Elo and Bradley-Terry ratings with bootstrap intervals."""
    import attrs

    from evalscope.arena.config import load_arena_config
    from evalscope.arena.runner import run_arena

    cfg = load_arena_config(config_file)
    overrides: dict[str, Any] = {k: v for k, v in {"use_cache": use_cache, "work_dir": work_dir, "limit": limit, "debug": debug}.items() if v is not None}
    run_arena(attrs.evolve(cfg, **overrides))
