"""Where the front-ends find runs: an outputs directory (work-dir files) and result-store URLs.

Everything is read through the `ResultStore` port (`list_runs`, `load_reports`, `iter_results`,
`count_results`); a location is opened with `evalscope.core.stores.open_reader`, so the site and
the TUI never name a store adapter.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import attrs

from evalscope.core.ports import ResultFilter, ResultStore, RunInfo
from evalscope.core.report import Report
from evalscope.core.stores.damage import DamagedStoreError
from evalscope.core.types import SampleResult

T = TypeVar("T")


def open_location(location: str) -> ResultStore:
    """A reader for a path (work-dir files under it) or a database URL (a registered SQL store)."""
    from evalscope.core.stores import open_reader

    return open_reader(location)


class Source:
    """One place runs come from, opened lazily."""

    def __init__(self, location: str) -> None:
        self.location = location
        self._reader: ResultStore | None = None
        self._lock = threading.Lock()

    @property
    def is_path(self) -> bool:
        return "://" not in self.location

    def reader(self) -> ResultStore:
        with self._lock:
            if self._reader is None:
                self._reader = open_location(self.location)
            return self._reader

    def close(self) -> None:
        with self._lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None


@attrs.define
class RunEntry:
    """A run as the front-ends list it: `key` is unique in the catalog and safe in a URL."""

    key: str
    info: RunInfo
    source: Source

    @property
    def name(self) -> str:
        return self.info.name or Path(self.info.work_dir).name or self.info.run_id

    @property
    def label(self) -> str:
        """EvalScope's `run@model` label."""
        return f"{self.name}@{self.info.model_id}"

    @property
    def finished(self) -> bool:
        return self.info.status != "running"


def nested_run_folders(root: Path) -> list[Path]:
    """Folders of an outputs directory that are no run dir but hold run dirs (`outputs/arena/<run>`,
    `outputs/judged/<run>`: a work_dir below the outputs directory)."""
    from evalscope.core.stores.workdir import is_run_dir

    if not root.is_dir() or is_run_dir(root):
        return []
    found = []
    for child in sorted(p for p in root.iterdir() if p.is_dir()):
        try:
            if not is_run_dir(child) and any(g.is_dir() and is_run_dir(g) for g in child.iterdir()):
                found.append(child)
        except OSError:  # an unreadable folder holds no run we can show
            continue
    return found


class Catalog:
    """The runs of an outputs directory (and of its folders of runs, one level down) and of store URLs,
    with their reports cached once finished.

    A run held by several sources (the work-dir files and the database of the same run) is listed
    once, from the first source that has it. Sources that cannot be read are kept in `errors`, so a
    front-end can say why a run is missing instead of failing.
    """

    def __init__(self, outputs: str | Path | None = None, store_urls: Sequence[str] = ()) -> None:
        self.outputs = Path(outputs).resolve() if outputs is not None else None
        locations = ([str(self.outputs)] if self.outputs is not None else []) + list(store_urls)
        self.sources = [Source(loc) for loc in locations]
        #: why a source could not be listed (its evaluation runs), for the front-ends to show
        self.errors: list[str] = []
        #: the same per run kind ("eval", "arena", ...)
        self.errors_by_kind: dict[str, list[str]] = {}
        self._runs: dict[str, dict[str, RunEntry]] = {}
        self._reports: dict[str, list[Report]] = {}
        #: folders of runs found below a path source, by path
        self._nested: dict[str, Source] = {}
        #: run key -> the run's own database, where its per-sample records are read (None: none)
        self._databases: dict[str, Source | None] = {}
        #: run key -> why its own database could not serve it (damaged, emptied): for the front-ends
        self._warnings: dict[str, str] = {}
        self._lock = threading.RLock()

    # -- runs ----------------------------------------------------------------------------------
    def runs(self, *, refresh: bool = False, kind: str = "eval") -> list[RunEntry]:
        """Runs of one kind (evaluation runs by default; "arena" for arena runs), oldest first."""
        with self._lock:
            if kind not in self._runs or refresh:
                old = self._runs.get(kind, {})
                self._runs[kind] = self._discover(kind)
                for key in old:
                    self._reports.pop(key, None)
            return list(self._runs[kind].values())

    def _places(self) -> list[tuple[int, Source]]:
        """(index of the source given, source) of every place to list: each source, and after a path
        source its folders of runs."""
        places = []
        for index, source in enumerate(self.sources):
            places.append((index, source))
            if source.is_path:
                for folder in nested_run_folders(Path(source.location)):
                    nested = self._nested.setdefault(str(folder), Source(str(folder)))
                    places.append((index, nested))
        return places

    def _discover(self, kind: str) -> dict[str, RunEntry]:
        found: dict[str, RunEntry] = {}
        seen: set[str] = set()
        errors: list[str] = []
        for index, source in self._places():
            try:
                infos = source.reader().list_runs(kind=kind)
            except Exception as exc:  # noqa: BLE001 - any unreadable source is reported, not fatal
                errors.append(f"{source.location}: {exc}")
                continue
            for info in infos:
                if info.run_id in seen:
                    continue
                seen.add(info.run_id)
                key = f"{index}-{info.run_id}"
                found[key] = RunEntry(key, info, source)
        self.errors_by_kind[kind] = errors
        if kind == "eval":
            self.errors = errors
        return found

    def run(self, key: str) -> RunEntry:
        """A run of any kind listed so far, by key (the lists are re-read once if it is not there)."""
        with self._lock:
            if not self._runs:
                self.runs()
            entry = self._lookup(key)
            if entry is None:  # a run that appeared after the last listing
                for kind in list(self._runs):
                    self.runs(refresh=True, kind=kind)
                entry = self._lookup(key)
            if entry is None:
                raise KeyError(f"no run {key!r}")
            return entry

    def _lookup(self, key: str) -> RunEntry | None:
        return next((runs[key] for runs in self._runs.values() if key in runs), None)

    def find(self, text: str) -> RunEntry | None:
        """A run by key, run id, name or `name@model` label."""
        for entry in self.runs():
            if text in (entry.key, entry.info.run_id, entry.name, entry.label):
                return entry
        return None

    # -- records -------------------------------------------------------------------------------
    def reports(self, key: str) -> list[Report]:
        entry = self.run(key)
        with self._lock:
            cached = self._reports.get(key)
        if cached is not None:
            return cached
        reports = entry.source.reader().load_reports(entry.info.run_id)
        if entry.finished:
            with self._lock:
                self._reports[key] = reports
        return reports

    def report(self, key: str, dataset: str) -> Report | None:
        return next((r for r in self.reports(key) if r.dataset_name == dataset), None)

    def report_location(self, key: str, dataset: str) -> str | None:
        """The file holding a run's report of `dataset` (its store's `report_location`; for a run
        listed from a database, that of the work-dir store of its run dir), or None."""
        entry = self.run(key)
        location = entry.source.reader().report_location(entry.info.run_id, dataset)
        if location is None and not entry.source.is_path and Path(entry.info.work_dir).is_dir():
            try:
                location = open_location(entry.info.work_dir).report_location(entry.info.run_id, dataset)
            except (LookupError, OSError, ValueError):
                return None
        return location

    def datasets(self, key: str) -> list[str]:
        """Datasets of a run: those with reports first, then any with results only."""
        names = [r.dataset_name for r in self.reports(key)]
        return list(dict.fromkeys([*names, *self.run(key).info.datasets]))

    def results(self, key: str, where: ResultFilter | None = None) -> list[SampleResult]:
        entry = self.run(key)
        return self._read(entry, lambda store: list(store.iter_results(entry.info.run_id, where)))

    def count(self, key: str, where: ResultFilter | None = None) -> int:
        entry = self.run(key)
        return self._read(entry, lambda store: store.count_results(entry.info.run_id, where))

    def warning(self, key: str) -> str | None:
        """Why the run's records are not read from its own database (a damaged or emptied
        `evalscope.db`: the JSONL records are shown instead), or None."""
        entry = self.run(key)
        self._records(entry)
        return self._warnings.get(key)

    def _read(self, entry: RunEntry, read: Callable[[ResultStore], T]) -> T:
        """`read` from the run's records; a run database found damaged while reading is left for
        the work-dir files, with a warning."""
        store = self._records(entry)
        try:
            return read(store)
        except DamagedStoreError as exc:
            if not entry.source.is_path:
                raise
            with self._lock:
                database = self._databases.pop(entry.key, None)
                self._databases[entry.key] = None
                self._warnings[entry.key] = _showing_files(exc.short)
            if database is not None:
                database.close()
            return read(entry.source.reader())

    def _records(self, entry: RunEntry) -> ResultStore:
        """Where a run's per-sample records are read. A run listed from work-dir files is read from
        the database in its run dir when that holds the run (indexed filters and pages: a large run
        is not parsed into memory); otherwise from the source that listed it."""
        if not entry.source.is_path:
            return entry.source.reader()
        with self._lock:
            if entry.key not in self._databases:
                database, warning = _run_database(entry)
                self._databases[entry.key] = database
                if warning is not None:
                    self._warnings[entry.key] = warning
            database = self._databases[entry.key]
        return (database or entry.source).reader()

    def close(self) -> None:
        for source in [*self.sources, *self._nested.values(), *(d for d in self._databases.values() if d)]:
            source.close()


def _showing_files(damage: str) -> str:
    return f"{damage}: showing the JSONL records"


def _run_database(entry: RunEntry) -> tuple[Source | None, str | None]:
    """The run dir's database as a source, when it can be read and holds this run; else None and,
    when the file is there but damaged, emptied or without the run, the warning to show."""
    from evalscope.core.stores import RUN_DATABASE

    path = Path(entry.info.work_dir) / RUN_DATABASE
    if not path.is_file():
        return None, None
    if path.stat().st_size == 0:  # opened, it would look like a new database without the run
        return None, _showing_files(f"{path} is damaged (an empty file)")
    source = Source(str(path))
    warning = None
    try:
        found = source.reader().find_run(entry.info.run_id)
        if found is not None and found.run_id == entry.info.run_id:
            return source, None
        warning = _showing_files(f"{path} does not hold this run")
    except DamagedStoreError as exc:
        warning = _showing_files(exc.short)
    except Exception:  # noqa: BLE001 - no SQL store installed, or an unreadable file: the files serve
        pass
    source.close()
    return None, warning
