"""Read benchmark files from a local directory (JSON, JSONL, CSV/TSV, optionally gzipped).

Every problem with a file is a `DatasetFormatError` naming the file and, where there is one, the
line: bytes that are not UTF-8, a malformed JSON line, a CSV row with the wrong number of fields,
a field over the CSV size limit, an empty or header-only file.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evalscope.core.datasets.errors import DatasetFormatError
from evalscope.core.ports import DatasetRef, DatasetSource


class Records(list[dict[str, Any]]):
    """The records of one file, knowing where they came from: `path`, and `lines[i]`, the line
    record `i` starts on (empty when the format has no lines, e.g. one JSON document)."""

    def __init__(self, items: Any = (), path: Path | None = None, lines: list[int] | None = None) -> None:
        super().__init__(items)
        self.path = path
        self.lines = lines or []

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):  # records[:limit] keeps its provenance
            return Records(super().__getitem__(index), self.path, self.lines[index])
        return super().__getitem__(index)


def _open_text(path: Path) -> io.TextIOBase:
    # utf-8-sig: a byte-order mark (Excel's CSV export) is not part of the first column's name
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


@contextmanager
def _decoding_errors(path: Path) -> Iterator[None]:
    """Bytes that are not UTF-8 or a broken gzip stream become a DatasetFormatError naming the file."""
    try:
        yield
    except UnicodeDecodeError:
        raise DatasetFormatError(_not_utf8(path)) from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DatasetFormatError(f"{path}: not a readable gzip file ({exc or type(exc).__name__})") from None


def _open_binary(path: Path) -> Any:
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def read_records(path: str | Path) -> Records:
    """Records of one file; errors name the file and line."""
    path = Path(path)
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    if not name.endswith((".jsonl", ".json", ".txt", ".csv", ".tsv")):
        raise DatasetFormatError(f"{path}: unsupported file type (use .jsonl, .json, .csv, .tsv or .txt)")
    with _decoding_errors(path), _open_text(path) as fh:
        if name.endswith(".jsonl"):
            records = _read_jsonl(fh, path)
        elif name.endswith(".json"):
            records = _read_json(fh, path)
        elif name.endswith(".txt"):  # a prompt file (e.g. BBH's chain-of-thought exemplars)
            return Records([{"text": fh.read()}], path, [1])
        else:
            records = _read_csv(fh, path, "\t" if name.endswith(".tsv") else ",")
    if not records:
        raise DatasetFormatError(f"{path}: holds no records (the file is empty)")
    return records


def _read_jsonl(fh: io.TextIOBase, path: Path) -> Records:
    records = Records(path=path)
    for lineno, record in _iter_jsonl(fh, path):
        records.append(record)
        records.lines.append(lineno)
    return records


def _iter_jsonl(fh: io.TextIOBase, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) of each non-blank line; a bad line is a DatasetFormatError naming it."""
    for lineno, line in enumerate(fh, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetFormatError(f"{path}:{lineno}: invalid JSON ({exc.msg} at column {exc.pos + 1})") from None
        except RecursionError:
            raise DatasetFormatError(f"{path}:{lineno}: JSON nested too deeply") from None
        if not isinstance(record, dict):
            raise DatasetFormatError(f"{path}:{lineno}: expected a JSON object per line, got {type(record).__name__}")
        yield lineno, record


class StreamedRecords(Sequence[dict[str, Any]]):
    """The records of a JSONL file, read from disk on each pass instead of held in memory, so a
    large dataset costs only its line numbers (4 bytes a record). The first pass (or the first
    `len`) also checks every line and notes where each record starts, so a malformed line is found
    before any sample runs and a caller that reads the records once reads the file once.
    `records[:n]` streams the first n; `records[i]` reads up to record i (used to describe a bad row)."""

    def __init__(self, path: Path, lines: array[int] | None = None) -> None:
        self.path = path
        #: where each record starts; None until a whole pass has read the file
        self._lines = lines

    @property
    def lines(self) -> array[int]:
        if self._lines is None:
            for _record in self._indexing_pass():
                pass
        assert self._lines is not None
        return self._lines

    def _indexing_pass(self) -> Iterator[dict[str, Any]]:
        """Every record, checking each line and noting its line number; kept once the pass ends."""
        lines = array("I")
        with _decoding_errors(self.path), _open_text(self.path) as fh:
            for lineno, record in _iter_jsonl(fh, self.path):
                lines.append(lineno)
                yield record
        if not lines:
            raise DatasetFormatError(f"{self.path}: holds no records (the file is empty)")
        self._lines = lines

    def __len__(self) -> int:
        return len(self.lines)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if self._lines is None:
            yield from self._indexing_pass()
            return
        left = len(self._lines)
        if not left:
            return
        with _open_text(self.path) as fh:
            for _lineno, record in _iter_jsonl(fh, self.path):
                yield record
                left -= 1
                if not left:
                    return

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            if index.step not in (None, 1) or (index.start or 0) != 0:
                return Records(list(self)[index], self.path, list(self.lines[index]))
            return StreamedRecords(self.path, self.lines[index])
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        for i, record in enumerate(self):
            if i == index:
                return record
        raise IndexError(index)


def _read_json(fh: io.TextIOBase, path: Path) -> Records:
    try:
        data = json.load(fh)
    except json.JSONDecodeError as exc:
        raise DatasetFormatError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise DatasetFormatError(f"{path}: JSON nested too deeply") from None
    if isinstance(data, dict):
        for key in ("examples", "data", "records", "test"):
            if isinstance(data.get(key), list):
                return _objects(data[key], path)
        return Records([dict(v, id=k) if isinstance(v, dict) else {"id": k, "value": v} for k, v in data.items()], path)
    if isinstance(data, list):
        return _objects(data, path)
    raise DatasetFormatError(f"{path}: expected a JSON list of records or an object, got {type(data).__name__}")


def _objects(items: list[Any], path: Path) -> Records:
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise DatasetFormatError(f"{path}: record {i + 1} is a {type(item).__name__}, expected a JSON object")
    return Records(items, path)


def _read_csv(fh: io.TextIOBase, path: Path, delimiter: str) -> Records:
    reader = csv.reader(fh, delimiter=delimiter)
    records = Records(path=path)
    header: list[str] | None = None
    start = 1
    try:
        for row in reader:
            if header is None:
                header = row
                _check_header(header, path)
            elif row:  # blank lines are skipped, as csv.DictReader does
                if len(row) != len(header):
                    raise DatasetFormatError(
                        f"{path}:{start}: {len(row)} fields, but the header has {len(header)} "
                        f"({', '.join(header[:12])}{', ...' if len(header) > 12 else ''}); quote fields that hold a "
                        f"{'tab' if delimiter == chr(9) else 'comma'}"
                    )
                records.append(dict(zip(header, row)))
                records.lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise DatasetFormatError(
                f"{path}:{start}: a field is longer than the CSV limit of {csv.field_size_limit()} characters "
                "(an unclosed quote?)"
            ) from None
        raise DatasetFormatError(f"{path}:{start}: malformed CSV ({exc})") from None
    if header is None:
        raise DatasetFormatError(f"{path}: holds no records (the file is empty)")
    if not records:
        raise DatasetFormatError(f"{path}: holds only a header row ({', '.join(header[:12])}), no records")
    return records


def _check_header(header: list[str], path: Path) -> None:
    names = [h.strip() for h in header]
    if not any(names):
        raise DatasetFormatError(f"{path}:1: the first line must name the columns, got an empty header")
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise DatasetFormatError(f"{path}:1: column {name!r} appears twice in the header")
        seen.add(name)


def _not_utf8(path: Path) -> str:
    """Which line holds the first byte that is not UTF-8 (found by a second, binary pass)."""
    for lineno, line in _binary_lines(path):
        try:
            line.decode("utf-8-sig" if lineno == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            offset = exc.start + (3 if lineno == 1 and line.startswith(b"\xef\xbb\xbf") else 0)
            return f"{path}:{lineno}: not UTF-8 text (byte 0x{line[offset]:02x} at column {offset + 1}); save the file as UTF-8"
    return f"{path}: not UTF-8 text; save the file as UTF-8"


def _binary_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with _open_binary(path) as fh:
        yield from enumerate(fh, 1)


class LocalDirSource(DatasetSource):
    """Looks for `ref.local_patterns` under each of `ref.local_roots`."""

    name = "local"

    def candidates(self, ref: DatasetRef) -> list[Path]:
        out = []
        for root in ref.local_roots:
            for pattern in ref.local_patterns:
                out.append(Path(root) / pattern.format(subset=ref.subset, split=ref.split))
        return out

    def load(self, ref: DatasetRef) -> Sequence[dict[str, Any]] | None:
        for path in self.candidates(ref):
            if path.is_file():
                return stream_records(path)
        return None


def stream_records(path: str | Path) -> Sequence[dict[str, Any]]:
    """Records of one file, streamed from disk where the format allows (JSONL), else read whole."""
    path = Path(path)
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        return StreamedRecords(path)
    return read_records(path)
