"""Which run a user means: a location (outputs dir, run dir, database file or URL), optionally a run
id or name inside it and a model, resolved through the stores' read side (`open_reader`,
`list_runs`, `find_run`), never through the files. `compare`, `evalscope.core.stats` and the
site's comparisons name runs this way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from evalscope.core.stores.workdir import safe_name

__all__ = ["RunRef", "resolve_run"]


@attrs.frozen
class RunRef:
    """Which run to read: a location (outputs dir, run dir, database file or URL), optionally a run
    id or name inside it, and a model folder (run dirs holding several models' reviews)."""

    location: str
    run: str | None = None
    model_id: str | None = None

    @classmethod
    def of(cls, value: RunRef | str | Path, model_id: str | None = None) -> RunRef:
        if isinstance(value, RunRef):
            return value if model_id is None else attrs.evolve(value, model_id=model_id)
        return cls(str(value), None, model_id)


def resolve_run(ref: RunRef | str | Path) -> tuple[Any, Any]:
    """(reader store, RunInfo) of a run reference.

    Without a run name: the one run of a run dir, else the newest eval run at the location. A run
    dir with several models' reviews needs `model_id`.
    """
    from evalscope.core.stores.select import open_reader

    ref = RunRef.of(ref)
    store = open_reader(ref.location)
    if ref.run is not None:
        found = store.find_run(ref.run)
        if found is None:
            names = ", ".join(f"{r.name} ({r.run_id})" for r in store.list_runs()) or "none"
            raise LookupError(f"{ref.location}: no single run {ref.run!r} (runs: {names})")
        return store, found
    runs = [r for r in store.list_runs() if r.kind == "eval"]
    if ref.model_id is not None:
        runs = [r for r in runs if safe_name(r.model_id) == safe_name(ref.model_id)]
    if not runs:
        what = f" of model {ref.model_id!r}" if ref.model_id else ""
        raise FileNotFoundError(f"{ref.location}: holds no evaluation run{what}")
    newest = [r for r in runs if r.work_dir == runs[-1].work_dir]
    if len(newest) > 1:
        models = ", ".join(sorted(r.model_id for r in newest))
        raise ValueError(f"{runs[-1].work_dir}: reviews of {len(newest)} models ({models}); name one")
    return store, newest[0]
