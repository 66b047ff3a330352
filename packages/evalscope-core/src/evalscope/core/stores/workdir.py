"""EvalScope's work-dir layout as a result store (JSONL, one line per sample, flushed per write).

    <run>/run_info/<model_id>.json                      RunInfo of each model's run in the dir (ours)
    <run>/run.json                                      RunInfo of the dir's latest run (older readers)
    <run>/.evalscope.lock                               who writes the dir now (core/stores/lock.py)
    <run>/configs/task_config_<hash6>.yaml
    <run>/logs/eval_log.log
    <run>/predictions/<model_id>/<dataset>_<subset>.jsonl
    <run>/reviews/<model_id>/<dataset>_<subset>.jsonl
    <run>/reports/<model_id>/<dataset>.json

As a reader, `WorkDirStore(root)` sees the run dirs under an outputs directory (or the one run dir
`root` names). Run dirs without run.json (EvalScope's, or ours from before run.json) are read too:
their run id and name are the directory's name.

Several models' runs share one run dir side by side (as in EvalScope): each has its own run id,
model folders and `run_info/<model>.json`; a run.json of another model (from before run_info/) is
kept as that model's run-info file before it is replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import attrs

from evalscope.core.conversation import PARTIAL_MARK
from evalscope.core.ports import ResultFilter, ResultStore, RunInfo
from evalscope.core.report import Report
from evalscope.core.serialization import structure, unstructure
from evalscope.core.stores.lock import reader_status
from evalscope.core.stores.query import effective_status, matches, needs_python_filter, page, page_items
from evalscope.core.types import ModelOutput, SampleResult, SampleStatus

RECORD_KEY = "evalscope_record"
RUN_FILE = "run.json"
#: one RunInfo file per model's run in a run dir
RUN_INFO_DIR = "run_info"
#: folders that make a directory a run dir even without run.json
RUN_DIR_MARKERS = ("configs", "predictions", "reviews", "reports")


def safe_name(name: str) -> str:
    """The one folder/file name of a model, dataset or subset in every layout (run dirs, arena
    answers, caches): letters, digits and `-_.@` kept, anything else `_`. Existing run dirs are
    found by it, so its characters never change."""
    return "".join(c if c.isalnum() or c in "-_.@" else "_" for c in name)


_safe = safe_name


def prediction_line(result: SampleResult) -> dict[str, Any]:
    """A prediction in EvalScope's ChatCompletion-like shape, plus our full record for resuming."""
    out = result.output
    sample = result.sample
    return {
        "model": out.model,
        "object": "chat.completion",
        "created": int(time.time()),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": out.text}, "finish_reason": out.finish_reason}],
        "usage": {
            "prompt_tokens": out.usage.input_tokens,
            "completion_tokens": out.usage.output_tokens,
            "total_tokens": out.usage.total_tokens,
        },
        "subset_name": result.subset,
        "sample_id": result.sample_id,
        "answer_id": result.request_key,
        "raw_input": unstructure(sample.input) if sample else None,
        RECORD_KEY: unstructure(result),
    }


def review_line(result: SampleResult) -> dict[str, Any]:
    line = prediction_line(result)
    line["choices"][0]["review"] = {
        "gold": result.gold,
        "pred": result.prediction,
        "result": result.scores,
        "filtered": result.filtered,
        "status": result.status.value,
        "details": result.details,
    }
    line["reviewed"] = True
    return line


def read_jsonl_tolerant(path: Path) -> list[dict[str, Any]]:
    """Lines of a JSONL file; a torn last line (killed writer) is skipped."""
    return list(iter_jsonl_tolerant(path))


def iter_jsonl_tolerant(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict):
                yield row


def _line_keys(path: Path) -> set[tuple[str, str]]:
    """(subset, sample id) of every line of a JSONL file."""
    return {(_subset_of(row), _line_id(row, i)) for i, row in enumerate(iter_jsonl_tolerant(path))}


def _keep_newest(path: Path) -> None:
    """Rewrite a JSONL file with one line per sample, its newest (atomically: a reader sees the old
    file or the new one); a torn line is dropped."""
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    for i, row in enumerate(iter_jsonl_tolerant(path)):
        key = (_subset_of(row), _line_id(row, i))
        newest.pop(key, None)
        newest[key] = row
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for row in newest.values():
            fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    tmp.replace(path)


def _first_row(path: Path) -> dict[str, Any] | None:
    return next(iter_jsonl_tolerant(path), None)


# -- run.json ---------------------------------------------------------------------------------------
def run_name(run: RunInfo) -> str:
    """The run's label: its `name`, else its directory's name."""
    return run.name or Path(run.work_dir).name


def is_run_dir(path: Path) -> bool:
    """An evaluation's run dir (a perf run's folder has a run.json of kind "perf": not ours to read)."""
    if (path / RUN_FILE).is_file():
        return _run_json_kind(path) != "perf"
    return any((path / m).is_dir() for m in RUN_DIR_MARKERS)


def latest_run_dir(path: str | os.PathLike[str]) -> Path | None:
    """`path` when it is a run dir, else the newest run dir right inside it (names sort by their
    timestamp), else None: how `--use-cache` and the arena's `use_cache` find an earlier run."""
    root = Path(path)
    if is_run_dir(root):
        return root
    runs = sorted(p for p in root.iterdir() if p.is_dir() and is_run_dir(p)) if root.is_dir() else []
    return runs[-1] if runs else None


def claim_new_run_dir(root: str | os.PathLike[str]) -> Path:
    """A new timestamped run dir `<root>/<YYYYmmdd_HHMMSS>[_n]`, created: two runs (evaluations,
    arenas) started in the same second never share a folder, since creating it claims it."""
    base = Path(root)
    stamp = time.strftime("%Y%m%d_%H%M%S")
    candidate, n = base / stamp, 1
    while True:
        try:
            candidate.mkdir(parents=True)
            return candidate
        except FileExistsError:
            n += 1
            candidate = base / f"{stamp}_{n}"


def _run_json_kind(path: Path) -> str | None:
    try:
        data = json.loads((path / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("kind") if isinstance(data, dict) else None


def read_run_info(run_dir: str | os.PathLike[str]) -> RunInfo | None:
    """The RunInfo a run dir's run.json holds (None when it has none or it does not parse)."""
    path = Path(run_dir) / RUN_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    try:
        return structure(data, RunInfo)
    except Exception:  # noqa: BLE001 - cattrs' errors on a hand-edited file: treat it as absent
        return None


def _write_json(path: Path, run: RunInfo) -> Path:
    """Write a RunInfo atomically (a reader never sees half of it)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(unstructure(run), ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    tmp.replace(path)
    return path


def _read_json(path: Path) -> RunInfo | None:
    try:
        return structure(json.loads(path.read_text(encoding="utf-8")), RunInfo)
    except Exception:  # noqa: BLE001 - unreadable or hand-edited: treat it as absent
        return None


def write_run_info(run_dir: str | os.PathLike[str], run: RunInfo) -> Path:
    """Record `run` in its run dir: `run_info/<model>.json` and run.json (the dir's latest run).

    A run.json of another model, written before run_info/ existed, is first kept as that model's
    run-info file, so a second model's run never hides the first's.
    """
    root = Path(run_dir)
    folder = root / RUN_INFO_DIR
    folder.mkdir(parents=True, exist_ok=True)
    older = read_run_info(root)
    if older is not None and not (folder / f"{_safe(older.model_id)}.json").exists():
        _write_json(folder / f"{_safe(older.model_id)}.json", older)
    _write_json(folder / f"{_safe(run.model_id)}.json", run)
    return _write_json(root / RUN_FILE, run)


def read_run_infos(run_dir: str | os.PathLike[str]) -> list[RunInfo]:
    """Every model's run recorded in a run dir (run_info/*.json, else run.json; [] when none)."""
    root = Path(run_dir)
    folder = root / RUN_INFO_DIR
    runs = [r for p in sorted(folder.glob("*.json")) if (r := _read_json(p)) is not None] if folder.is_dir() else []
    latest = read_run_info(root)
    if latest is not None and all(_safe(r.model_id) != _safe(latest.model_id) for r in runs):
        runs.append(latest)
    return runs


# -- reading one run dir ----------------------------------------------------------------------------
@attrs.define
class _RunDir:
    info: RunInfo
    path: Path
    folder: str  # model folder name under predictions/, reviews/, reports/

    def files(self, kind: str) -> list[Path]:
        folder = self.path / kind / self.folder
        return sorted(folder.glob("*.jsonl")) if folder.is_dir() else []

    def report_files(self) -> list[Path]:
        folder = self.path / "reports" / self.folder
        return sorted(folder.glob("*.json")) if folder.is_dir() else []


def _subset_of(row: dict[str, Any]) -> str:
    record = row.get(RECORD_KEY) or {}
    return str(row.get("subset_name") or record.get("subset") or "default")


def _dataset_of_file(path: Path, subset: str | None, known: dict[str, str]) -> str | None:
    """The dataset a `<dataset>_<subset>.jsonl` file belongs to (known names mapped back from safe ones)."""
    if subset is not None:
        suffix = f"_{_safe(subset)}.jsonl"
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            safe = path.name[: -len(suffix)]
            return known.get(safe, safe)
    prefixes = sorted((s for s in known if path.name.startswith(f"{s}_")), key=len, reverse=True)
    return known[prefixes[0]] if prefixes else None


def _dataset_files(run: _RunDir) -> dict[str, dict[str, list[tuple[str, Path]]]]:
    """{dataset: {"predictions"|"reviews": [(subset, path), ...]}} of a run dir."""
    known = {_safe(d): d for d in run.info.datasets}
    for path in run.report_files():
        known.setdefault(path.stem, path.stem)
    out: dict[str, dict[str, list[tuple[str, Path]]]] = {}
    for kind in ("predictions", "reviews"):
        for path in run.files(kind):
            first = _first_row(path)
            subset = _subset_of(first) if first is not None else None
            dataset = _dataset_of_file(path, subset, known)
            if dataset is None:
                continue
            if subset is None:
                subset = path.name[len(_safe(dataset)) + 1 : -len(".jsonl")]
            out.setdefault(dataset, {}).setdefault(kind, []).append((subset, path))
    return out


def _legacy_scores(line: dict[str, Any]) -> dict[str, float]:
    """EvalScope's review lines: `choices[0].review.result` is a number or {metric: number}."""
    try:
        result = line["choices"][0]["review"]["result"]
    except (KeyError, IndexError, TypeError):
        return {}
    if isinstance(result, dict):
        return {k: float(v) for k, v in result.items() if isinstance(v, (int, float))}
    if isinstance(result, (int, float)):  # bool included: True/False verdicts
        return {"score": float(result)}
    return {}


def _line_id(line: dict[str, Any], position: int) -> str:
    """A line's sample id: ours, else EvalScope's prompt index, else the line's position."""
    record = line.get(RECORD_KEY) or {}
    if "sample_id" in record:
        return str(record["sample_id"])
    origin = line.get("origin_prompt")
    if not isinstance(origin, dict):
        origin = {}
    return str(line.get("sample_id", origin.get("index", position)))


def _line_status(line: dict[str, Any], *, reviewed: bool) -> SampleStatus:
    """A line's status without building its SampleResult (the same answer `_result_of_line` gives)."""
    record = line.get(RECORD_KEY)
    if record:
        return effective_status(record.get("status"), reviewed=reviewed, error=record.get("error"))
    return SampleStatus.SCORED if reviewed and _legacy_scores(line) else SampleStatus.PREDICTED


def _legacy_result(line: dict[str, Any], position: int, *, reviewed: bool) -> SampleResult:
    """A SampleResult from one of EvalScope's own prediction/review lines."""
    try:
        choice = line["choices"][0]
        text = str(choice["message"]["content"] or "")
    except (KeyError, IndexError, TypeError):
        choice, text = {}, ""
    review = choice.get("review") if isinstance(choice, dict) else None
    if not isinstance(review, dict):
        review = {}
    usage = line.get("usage") or {}
    output = ModelOutput(text=text, model=line.get("model"))
    output.usage.input_tokens = int(usage.get("prompt_tokens") or 0)
    output.usage.output_tokens = int(usage.get("completion_tokens") or 0)
    return SampleResult(
        sample_id=_line_id(line, position),
        subset=_subset_of(line),
        request_key=str(line.get("answer_id") or ""),
        output=output,
        prediction=review.get("pred"),
        gold=review.get("gold"),
        scores=_legacy_scores(line) if reviewed else {},
        status=_line_status(line, reviewed=reviewed),
    )


def _result_of_line(line: dict[str, Any], position: int, *, reviewed: bool) -> SampleResult:
    record = line.get(RECORD_KEY)
    if not record:
        return _legacy_result(line, position, reviewed=reviewed)
    result = structure(record, SampleResult)
    result.sample_id = str(result.sample_id)
    result.status = _line_status(line, reviewed=reviewed)
    return result


@attrs.frozen
class _Line:
    """One stored line, parsed as JSON but not yet built into a SampleResult."""

    subset: str
    sample_id: str
    status: SampleStatus
    line: dict[str, Any]
    position: int
    reviewed: bool

    def result(self) -> SampleResult:
        return _result_of_line(self.line, self.position, reviewed=self.reviewed)


def _read_lines(files: dict[str, list[tuple[str, Path]]], subset: str | None) -> list[_Line]:
    """Every sample of one dataset: its review where there is one, else its prediction (later lines
    win), in (subset, sample id) order."""
    merged: dict[tuple[str, str], _Line] = {}
    for kind in ("predictions", "reviews"):
        reviewed = kind == "reviews"
        for file_subset, path in files.get(kind, []):
            if subset is not None and file_subset != subset:
                continue
            for position, line in enumerate(iter_jsonl_tolerant(path)):
                item = _Line(_subset_of(line), _line_id(line, position), _line_status(line, reviewed=reviewed), line, position, reviewed)
                merged[(item.subset, item.sample_id)] = item
    return [merged[k] for k in sorted(merged)]


def _cheap_match(item: _Line, where: ResultFilter | None, ids: set[str] | None) -> bool:
    """The filter fields decidable before building the result (subset, ids, status)."""
    if where is None:
        return True
    if where.subset is not None and item.subset != where.subset:
        return False
    if ids is not None and item.sample_id not in ids:
        return False
    if where.status is not None and item.status != SampleStatus(where.status):
        return False
    return not (where.passed is not None and item.status != SampleStatus.SCORED)


class WorkDirStore(ResultStore):
    """Writes one run dir; reads the run dirs under `root` (an outputs directory or one run dir)."""

    name = "workdir"

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.location = Path(root) if root is not None else None
        self.run: RunInfo | None = None
        self.root = Path(".")  # the open run's directory
        self._handles: dict[Path, IO[str]] = {}
        #: sample keys of the lines a prediction file held before this run appended to it (resume)
        self._earlier: dict[Path, set[tuple[str, str]] | None] = {}
        #: prediction files where this run wrote a sample again: compacted on close
        self._again: set[Path] = set()
        self._cache: tuple[Any, list[_Line]] | None = None
        #: (kind, dataset, subset) -> its JSONL file in the open run (built once: a write per sample looks it up)
        self._files: dict[tuple[str, str, str], Path] = {}

    # -- write side ---------------------------------------------------------------------------
    def open(self, run: RunInfo) -> None:
        self.run = run
        self.root = Path(run.work_dir)
        self._files.clear()
        for sub in ("configs", "logs", f"predictions/{_safe(run.model_id)}", f"reviews/{_safe(run.model_id)}", f"reports/{_safe(run.model_id)}"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        import yaml

        text = yaml.safe_dump(run.config, sort_keys=False, allow_unicode=True)
        digest = hashlib.sha256(text.encode()).hexdigest()[:6]
        (self.root / "configs" / f"task_config_{digest}.yaml").write_text(text, encoding="utf-8")
        write_run_info(self.root, attrs.evolve(run, name=run_name(run)))

    def update_run(self, run: RunInfo) -> None:
        self.run = run
        self.root = Path(run.work_dir)
        self._files.clear()
        self.root.mkdir(parents=True, exist_ok=True)
        write_run_info(self.root, attrs.evolve(run, name=run_name(run)))

    def _dir(self, kind: str) -> Path:
        assert self.run is not None, "store not opened"
        return self.root / kind / _safe(self.run.model_id)

    def _file(self, kind: str, dataset: str, subset: str) -> Path:
        path = self._files.get((kind, dataset, subset))
        if path is None:
            path = self._files[(kind, dataset, subset)] = self._dir(kind) / f"{_safe(dataset)}_{_safe(subset)}.jsonl"
        return path

    def _append(self, path: Path, row: dict[str, Any], *, fresh: bool = False) -> None:
        fh = self._handles.get(path)
        if fh is None:
            # reviews are recomputed by every run, so a run rewrites its review files
            fh = self._handles[path] = open(path, "w" if fresh else "a", encoding="utf-8")
        fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        fh.flush()

    def load_results(self, dataset: str) -> dict[tuple[str, str], SampleResult]:
        """Predictions of `dataset` in the open run (the engine's resume path)."""
        found: dict[tuple[str, str], SampleResult] = {}
        folder = self._dir("predictions")
        prefix = f"{_safe(dataset)}_"
        if not folder.is_dir():
            return found
        for path in sorted(folder.glob(f"{prefix}*.jsonl")):
            for row in iter_jsonl_tolerant(path):
                record = row.get(RECORD_KEY)
                if not record:
                    continue
                result = structure(record, SampleResult)
                result.status = effective_status(record.get("status"), reviewed=False, error=result.error)
                found[(result.subset, result.sample_id)] = result
        return found

    def save_prediction(self, dataset: str, result: SampleResult) -> None:
        """Append the prediction; a sample the file holds already (a retried failure) is noted, and
        the file keeps only its newest line once the run closes."""
        path = self._file("predictions", dataset, result.subset)
        if path not in self._earlier:  # first write of this run: what did earlier runs leave?
            self._earlier[path] = _line_keys(path) if path.is_file() and path.stat().st_size else None
        earlier = self._earlier[path]
        if earlier is not None:
            key = (result.subset, str(result.sample_id))
            if key in earlier:
                self._again.add(path)
            else:
                earlier.add(key)
        if PARTIAL_MARK in result.request_key:  # a conversation's answers so far: its final line replaces it
            self._again.add(path)
        self._append(path, prediction_line(result))

    def save_review(self, dataset: str, result: SampleResult) -> None:
        self._append(self._file("reviews", dataset, result.subset), review_line(result), fresh=True)

    def save_report(self, report: Report) -> None:
        path = self._dir("reports") / f"{_safe(report.dataset_name)}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(unstructure(report), ensure_ascii=False, indent=2), encoding="utf-8")
        tmp.replace(path)

    def close(self) -> None:
        for fh in self._handles.values():
            fh.close()
        self._handles.clear()
        for path in sorted(self._again):
            _keep_newest(path)
        self._again.clear()
        self._earlier.clear()

    # -- read side ----------------------------------------------------------------------------
    def _run_dirs(self) -> list[Path]:
        if self.location is None:
            return [self.root] if self.run is not None else []
        if not self.location.is_dir():
            raise FileNotFoundError(f"{self.location}: no such directory")
        if is_run_dir(self.location):
            return [self.location]
        return sorted(p for p in self.location.iterdir() if p.is_dir() and is_run_dir(p))

    def _runs_of(self, path: Path) -> list[_RunDir]:
        infos = read_run_infos(path)
        if self.run is not None and path.resolve() == self.root.resolve():  # the open run as it is now
            infos = [i for i in infos if _safe(i.model_id) != _safe(self.run.model_id)] + [self.run]
        if not infos:
            return _legacy_runs(path)
        return [_RunDir(attrs.evolve(i, name=run_name(i)), path, _safe(i.model_id)) for i in infos]

    def _entries(self) -> list[_RunDir]:
        return [entry for path in self._run_dirs() for entry in self._runs_of(path)]

    @staticmethod
    def _with_datasets(entry: _RunDir) -> _RunDir:
        """Datasets present in the files count too (run.json is written before they exist)."""
        present = [*_dataset_files(entry).keys(), *(p.stem for p in entry.report_files())]
        entry.info.datasets = list(dict.fromkeys([*entry.info.datasets, *sorted(present)]))
        return entry

    def _locate(self, run_id: str) -> _RunDir:
        for entry in self._entries():
            if entry.info.run_id == run_id:
                return self._with_datasets(entry)
        raise LookupError(f"{self.location or self.root}: no run {run_id!r}")

    def list_runs(self, *, kind: str | None = None) -> list[RunInfo]:
        """Every model's run in the run dirs; a `running` run whose writer is gone is `interrupted`."""
        runs = []
        for entry in self._entries():
            if kind is None or entry.info.kind == kind:
                info = self._with_datasets(entry).info
                info.status = reader_status(attrs.evolve(info, work_dir=str(entry.path)))
                runs.append(info)
        return sorted(runs, key=lambda r: (r.started_at, r.name, r.run_id))

    def load_reports(self, run_id: str) -> list[Report]:
        entry = self._locate(run_id)
        reports = []
        for path in entry.report_files():
            try:
                reports.append(structure(json.loads(path.read_text(encoding="utf-8")), Report))
            except (OSError, ValueError):
                continue
        order = {name: i for i, name in enumerate(entry.info.datasets)}
        return sorted(reports, key=lambda r: (order.get(r.dataset_name, len(order)), r.dataset_name))

    def report_location(self, run_id: str, dataset: str) -> str | None:
        """`<run>/reports/<model folder of this run>/<dataset>.json`, when it exists."""
        entry = self._locate(run_id)
        path = entry.path / "reports" / entry.folder / f"{safe_name(dataset)}.json"
        return str(path) if path.is_file() else None

    def _lines(self, dataset: str, files: dict[str, list[tuple[str, Path]]], subset: str | None) -> list[_Line]:
        """`_read_lines`, remembered for the last dataset read while its files are unchanged (a
        viewer paging through one dataset parses its files once)."""
        stamp = []
        for kind in ("predictions", "reviews"):
            for _, path in files.get(kind, []):
                st = path.stat()
                stamp.append((str(path), st.st_mtime_ns, st.st_size))
        key = (dataset, subset, tuple(stamp))
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        lines = _read_lines(files, subset)
        self._cache = (key, lines)
        return lines

    def _candidates(self, run_id: str, where: ResultFilter | None) -> Iterator[tuple[str, _Line]]:
        """(dataset, line) of every sample passing the fields decidable without building results."""
        entry = self._locate(run_id)
        files = _dataset_files(entry)
        datasets = sorted(files) if where is None or where.dataset is None else [where.dataset]
        ids = {str(i) for i in where.sample_ids} if where is not None and where.sample_ids is not None else None
        subset = where.subset if where is not None else None

        def gen() -> Iterator[tuple[str, _Line]]:
            for dataset in datasets:
                for item in self._lines(dataset, files.get(dataset, {}), subset):
                    if _cheap_match(item, where, ids):
                        yield dataset, item

        return gen()

    def iter_results(self, run_id: str, where: ResultFilter | None = None) -> Iterator[SampleResult]:
        candidates = self._candidates(run_id, where)  # an unknown run fails here, not when iterated
        if not needs_python_filter(where):  # page over the lines; build only the results given
            return (item.result() for item in page_items((item for _, item in candidates), where))
        kept = (r for dataset, item in candidates if matches(r := item.result(), where, dataset=dataset))
        return page(kept, where)

    def count_results(self, run_id: str, where: ResultFilter | None = None) -> int:
        if needs_python_filter(where):
            return super().count_results(run_id, where)
        return sum(1 for _ in self._candidates(run_id, where))


def _legacy_runs(path: Path) -> list[_RunDir]:
    """RunInfo of a run dir without run.json, one per model folder (id and name: the dir's name)."""
    folders = sorted(
        {p.name for kind in ("predictions", "reviews", "reports") if (path / kind).is_dir() for p in (path / kind).iterdir() if p.is_dir()}
    )
    config = _legacy_config(path)
    if not folders:
        folders = [_safe(str(config.get("model_id") or config.get("model") or "model"))]
    out = []
    for folder in folders:
        entry = _RunDir(
            RunInfo(
                run_id=path.name if len(folders) == 1 else f"{path.name}/{folder}",
                work_dir=str(path),
                model_id=folder,
                config=config,
                started_at=_started_at(path),
                name=path.name,
                status="finished" if any((path / "reports" / folder).glob("*.json")) else "running",
            ),
            path,
            folder,
        )
        entry.info.model_identity = _identity_of(entry)
        out.append(entry)
    return out


def _legacy_config(path: Path) -> dict[str, Any]:
    configs = sorted((path / "configs").glob("*.yaml"), key=lambda p: p.stat().st_mtime) if (path / "configs").is_dir() else []
    if not configs:
        return {}
    import yaml

    try:
        data = yaml.safe_load(configs[-1].read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _started_at(path: Path) -> float:
    try:
        return time.mktime(time.strptime(path.name[:15], "%Y%m%d_%H%M%S"))
    except ValueError:
        return path.stat().st_mtime


def _identity_of(entry: _RunDir) -> str:
    """The model identity that prefixes the run's request keys (`<identity>:<digest>`), if any."""
    for path in entry.files("predictions"):
        row = _first_row(path)
        key = str(((row or {}).get(RECORD_KEY) or {}).get("request_key") or "")
        if ":" in key:
            return key.split(":", 1)[0]
    return ""


__all__ = [
    "RECORD_KEY",
    "RUN_FILE",
    "RUN_INFO_DIR",
    "WorkDirStore",
    "claim_new_run_dir",
    "is_run_dir",
    "read_jsonl_tolerant",
    "read_run_info",
    "read_run_infos",
    "run_name",
    "write_run_info",
]
