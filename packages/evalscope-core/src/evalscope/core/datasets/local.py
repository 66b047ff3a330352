"""Read benchmark files from a local directory (JSON, JSONL, CSV, optionally gzipped)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

from evalscope.core.datasets.errors import DatasetUnavailableError
from evalscope.core.ports import DatasetRef, DatasetSource


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8", newline="")


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """Records of one file; errors name the file and line."""
    path = Path(path)
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    with _open_text(path) as fh:
        if name.endswith(".jsonl"):
            records = []
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise DatasetUnavailableError(f"{path}:{lineno}: invalid JSON ({exc.msg})") from None
            return records
        if name.endswith(".json"):
            try:
                data = json.load(fh)
            except json.JSONDecodeError as exc:
                raise DatasetUnavailableError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
            if isinstance(data, dict):
                for key in ("examples", "data", "records", "test"):
                    if isinstance(data.get(key), list):
                        return data[key]
                return [dict(v, id=k) if isinstance(v, dict) else {"id": k, "value": v} for k, v in data.items()]
            return list(data)
        if name.endswith(".txt"):  # a prompt file (e.g. BBH's chain-of-thought exemplars)
            return [{"text": fh.read()}]
        if name.endswith(".csv") or name.endswith(".tsv"):
            delimiter = "\t" if name.endswith(".tsv") else ","
            return [dict(row) for row in csv.DictReader(fh, delimiter=delimiter)]
    raise DatasetUnavailableError(f"{path}: unsupported file type (use .jsonl, .json, .csv, .tsv or .txt)")


class LocalDirSource(DatasetSource):
    """Looks for `ref.local_patterns` under each of `ref.local_roots`."""

    name = "local"

    def candidates(self, ref: DatasetRef) -> list[Path]:
        out = []
        for root in ref.local_roots:
            for pattern in ref.local_patterns:
                out.append(Path(root) / pattern.format(subset=ref.subset, split=ref.split))
        return out

    def load(self, ref: DatasetRef) -> list[dict[str, Any]] | None:
        for path in self.candidates(ref):
            if path.is_file():
                return read_records(path)
        return None
