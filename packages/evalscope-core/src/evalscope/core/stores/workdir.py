"""EvalScope's work-dir layout as a result store (JSONL, one line per sample, flushed per write).

    <run>/configs/task_config_<hash6>.yaml
    <run>/logs/eval_log.log
    <run>/predictions/<model_id>/<dataset>_<subset>.jsonl
    <run>/reviews/<model_id>/<dataset>_<subset>.jsonl
    <run>/reports/<model_id>/<dataset>.json
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import IO, Any

from evalscope.core.ports import ResultStore, RunInfo
from evalscope.core.report import Report
from evalscope.core.serialization import structure, unstructure
from evalscope.core.types import SampleResult

RECORD_KEY = "evalscope_record"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.@" else "_" for c in name)


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
    }
    line["reviewed"] = True
    return line


def read_jsonl_tolerant(path: Path) -> list[dict[str, Any]]:
    """Lines of a JSONL file; a torn last line (killed writer) is skipped."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return rows


class WorkDirStore(ResultStore):
    name = "workdir"

    def __init__(self) -> None:
        self.run: RunInfo | None = None
        self.root = Path(".")
        self._handles: dict[Path, IO[str]] = {}

    def open(self, run: RunInfo) -> None:
        self.run = run
        self.root = Path(run.work_dir)
        for sub in ("configs", "logs", f"predictions/{_safe(run.model_id)}", f"reviews/{_safe(run.model_id)}", f"reports/{_safe(run.model_id)}"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        import yaml

        text = yaml.safe_dump(run.config, sort_keys=False, allow_unicode=True)
        digest = hashlib.sha256(text.encode()).hexdigest()[:6]
        (self.root / "configs" / f"task_config_{digest}.yaml").write_text(text, encoding="utf-8")

    # -- paths ------------------------------------------------------------------------------------
    def _dir(self, kind: str) -> Path:
        assert self.run is not None, "store not opened"
        return self.root / kind / _safe(self.run.model_id)

    def _file(self, kind: str, dataset: str, subset: str) -> Path:
        return self._dir(kind) / f"{_safe(dataset)}_{_safe(subset)}.jsonl"

    def _append(self, path: Path, row: dict[str, Any], *, fresh: bool = False) -> None:
        fh = self._handles.get(path)
        if fh is None:
            # reviews are recomputed by every run, so a run rewrites its review files
            fh = self._handles[path] = open(path, "w" if fresh else "a", encoding="utf-8")
        fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        fh.flush()

    # -- port -------------------------------------------------------------------------------------
    def load_results(self, dataset: str) -> dict[tuple[str, str], SampleResult]:
        found: dict[tuple[str, str], SampleResult] = {}
        folder = self._dir("predictions")
        prefix = f"{_safe(dataset)}_"
        if not folder.is_dir():
            return found
        for path in sorted(folder.glob(f"{prefix}*.jsonl")):
            for row in read_jsonl_tolerant(path):
                record = row.get(RECORD_KEY)
                if not record:
                    continue
                result = structure(record, SampleResult)
                found[(result.subset, result.sample_id)] = result
        return found

    def save_prediction(self, dataset: str, result: SampleResult) -> None:
        self._append(self._file("predictions", dataset, result.subset), prediction_line(result))

    def save_review(self, dataset: str, result: SampleResult) -> None:
        self._append(self._file("reviews", dataset, result.subset), review_line(result), fresh=True)

    def save_report(self, report: Report) -> None:
        path = self._dir("reports") / f"{_safe(report.dataset_name)}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(unstructure(report), ensure_ascii=False, indent=2), encoding="utf-8")
        tmp.replace(path)

    def load_reports(self) -> list[Report]:
        return [structure(json.loads(p.read_text(encoding="utf-8")), Report) for p in sorted(self._dir("reports").glob("*.json"))]

    def close(self) -> None:
        for fh in self._handles.values():
            fh.close()
        self._handles.clear()
