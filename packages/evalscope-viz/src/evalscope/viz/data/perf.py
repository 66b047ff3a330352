"""Perf runs under the outputs directory, through evalscope-perf's read API (optional package)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def perf_available() -> bool:
    try:
        import evalscope.perf.results  # noqa: F401
    except ImportError:
        return False
    return True


def list_runs(root: Path | None) -> list[Any]:
    """Every perf run below `root`, oldest first ([] without evalscope-perf or a root)."""
    if root is None or not root.is_dir() or not perf_available():
        return []
    import warnings

    from evalscope.perf.results import list_perf_runs

    with warnings.catch_warnings():  # an unreadable run folder is skipped, not fatal for the site
        warnings.simplefilter("ignore")
        return list_perf_runs(root)


def run_label(run: Any) -> str:
    info = run.info
    started = info.started.strftime("%Y-%m-%d %H:%M:%S")
    return f"{info.name} · {info.label} · {started}"


def sweep_of(runs: list[Any], run: Any) -> list[Any]:
    """The runs of `run`'s invocation, ordered by load (one run when it was no sweep)."""
    from evalscope.perf.results import group_sweeps

    for sweep in group_sweeps(runs):
        if sweep.sweep_id == run.info.sweep_id:
            return sweep.runs
    return [run]


def saturated(run: Any) -> bool | None:
    """The client self-check verdict: True when the client limited the run (None when unknown)."""
    if not run.selfcheck:
        return None
    return bool(run.selfcheck.get("saturated"))
