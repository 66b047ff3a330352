"""Perf runs on disk: the ``run.json`` record each run writes, and the read side for other tools.

Every perf run folder holds ``run.json`` (:class:`PerfRunInfo`: kind ``"perf"``, a unique run id,
the id of the invocation/sweep it belongs to, start/finish times, model, endpoint URL without
secrets, status) next to ``benchmark_args.json``, ``benchmark_summary.json``,
``benchmark_percentile.json``, ``client_selfcheck.json`` and ``benchmark_data.db``.
``run.json`` is written when the run starts (status ``running``) and rewritten when it ends.

Readers (report site, TUI, notebooks)::

    from evalscope.perf.results import list_perf_runs, group_sweeps, compare_runs

    runs = list_perf_runs("outputs")            # every perf run below outputs/, oldest first
    run = runs[-1]
    run.info.status, run.summary.request_throughput, run.percentiles.get("TTFT (ms)", "p99")
    dist = run.distributions()                  # TTFT / ITL / latency arrays (succeeded requests)
    rows = run.requests()                       # one PerfRequest per request, from the SQLite
    for sweep in group_sweeps(runs):            # runs of one `--parallel 1 2 4` invocation
        [(r.info.concurrency, r.summary.request_throughput) for r in sweep.runs]
    compare_runs(runs[0], runs[1])              # summary metrics side by side

Import-light: attrs and cattrs only; the SQLite is opened (sqlmodel) by ``requests()``.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs
import cattrs

from evalscope.perf.args import REDACTED, PerfArgs, args_from_dict

RUN_FILE = "run.json"
ARGS_FILE = "benchmark_args.json"
SUMMARY_FILE = "benchmark_summary.json"
PERCENTILE_FILE = "benchmark_percentile.json"
SELFCHECK_FILE = "client_selfcheck.json"
REQUESTS_FILE = "benchmark_data.db"
KIND = "perf"
SCHEMA_VERSION = 1

# Run states. ``running`` stays on disk when the process died before the end.
RUNNING, SUCCEEDED, PARTIAL, FAILED, INTERRUPTED, ERROR = (
    "running", "succeeded", "partial", "failed", "interrupted", "error",
)
STATUSES = (RUNNING, SUCCEEDED, PARTIAL, FAILED, INTERRUPTED, ERROR)

_SECRET_QUERY_KEYS = ("key", "token", "secret", "password", "signature", "sig", "auth", "credential")


class PerfRunError(ValueError):
    """A perf run folder that cannot be read (names the file and what is wrong)."""


@attrs.define
class ErrorCount:
    """One distinct error message of failed requests and how many requests failed with it."""

    message: str
    count: int


@attrs.define
class PerfRunInfo:
    """``run.json``: what a reader needs to list, group and label a perf run."""

    run_id: str  # unique (uuid4 hex)
    sweep_id: str  # shared by all runs of one `evalscope perf` invocation
    label: str  # parallel_<p>_number_<n> | rate_<r>_number_<n>
    name: str  # --name (default: the model)
    model: str
    api: str  # chat | completions | embeddings
    api_url: str  # the endpoint, without user info or secret query values
    started: datetime  # local time with UTC offset
    status: str = RUNNING  # one of STATUSES
    finished: datetime | None = None
    concurrency: int | None = None  # --parallel (closed loop) or --max-concurrency (open loop)
    rate: float | None = None  # --rate (open loop), req/s
    number: int = 0  # requests asked for
    stream: bool = True
    dataset: str = ""
    sweep_size: int = 1  # runs in the invocation
    total_requests: int | None = None
    succeeded_requests: int | None = None
    failed_requests: int | None = None
    errors: list[ErrorCount] = attrs.field(factory=list)  # first distinct errors (at most 5)
    error: str | None = None  # why the run stopped, when status is error/interrupted
    client_cpu_ms_per_request: float | None = None  # client CPU (all its processes) per completed request
    client_startup_s: float | None = None  # until every client process was ready (not in send lag)
    client_saturated: bool | None = None  # the client self-check's verdict: it limited the run
    kind: str = KIND
    schema_version: int = SCHEMA_VERSION
    evalscope_version: str = ""


# Summary keys (benchmark_summary.json, docs/perf-metrics.md) → typed PerfSummary fields.
SUMMARY_FIELDS: dict[str, str] = {
    "Concurrency": "concurrency",
    "Request rate (req/s)": "rate",
    "Test duration (s)": "duration_s",
    "Total requests": "total_requests",
    "Succeeded requests": "succeeded_requests",
    "Failed requests": "failed_requests",
    "Request throughput (req/s)": "request_throughput",
    "Output token throughput (tok/s)": "output_token_throughput",
    "Total token throughput (tok/s)": "total_token_throughput",
    "Mean latency (s)": "mean_latency_s",
    "Mean TTFT (ms)": "mean_ttft_ms",
    "Mean TPOT (ms)": "mean_tpot_ms",
    "Mean ITL (ms)": "mean_itl_ms",
    "Mean input tokens": "mean_input_tokens",
    "Mean output tokens": "mean_output_tokens",
    "Goodput (req/s)": "goodput",
}
# Keys the runner adds beside metrics.summarize's (the client's own measurements).
CLIENT_FIELDS: dict[str, str] = {"Client CPU per request (ms)": "client_cpu_ms_per_request"}


@attrs.define
class PerfSummary:
    """``benchmark_summary.json``: the main numbers typed (None where undefined), all in ``values``."""

    values: dict[str, Any]  # every key of the file, as written (display names)
    concurrency: int | None = None
    rate: float | None = None
    duration_s: float | None = None
    total_requests: int | None = None
    succeeded_requests: int | None = None
    failed_requests: int | None = None
    request_throughput: float | None = None
    output_token_throughput: float | None = None
    total_token_throughput: float | None = None
    mean_latency_s: float | None = None
    mean_ttft_ms: float | None = None
    mean_tpot_ms: float | None = None
    mean_itl_ms: float | None = None
    mean_input_tokens: float | None = None
    mean_output_tokens: float | None = None
    goodput: float | None = None
    client_cpu_ms_per_request: float | None = None

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> PerfSummary:
        fields = {**SUMMARY_FIELDS, **CLIENT_FIELDS}
        return cls(values=values, **{f: values.get(k) for k, f in fields.items()})


@attrs.define
class PerfPercentiles:
    """``benchmark_percentile.json``: ``rows[metric][level]`` (None where a metric has no values)."""

    levels: list[str]  # p10 … p99
    rows: dict[str, dict[str, float | None]]

    def get(self, metric: str, level: str) -> float | None:
        return self.rows.get(metric, {}).get(level)


@attrs.frozen
class PerfRequest:
    """One request of a run (times in seconds from the run start; None where undefined)."""

    index: int
    success: bool
    status: int  # HTTP status, 0 when no response came
    error: str
    send_s: float | None
    first_token_s: float | None
    end_s: float | None
    latency_s: float | None
    ttft_ms: float | None
    tpot_ms: float | None
    itl_ms: tuple[float, ...]  # gaps between consecutive text-carrying chunks
    prompt_tokens: int | None
    completion_tokens: int | None
    tokens_source: str
    send_lag_ms: float | None
    conversation: int = -1
    turn: int = 0
    worker: int = 0


@attrs.frozen
class PerfDistributions:
    """Per-request value arrays of succeeded requests, as the percentiles use them."""

    ttft_ms: list[float]
    ttft_from_intended_ms: list[float]
    itl_ms: list[float]  # pooled over requests
    tpot_ms: list[float]
    latency_s: list[float]
    latency_from_intended_s: list[float]
    send_lag_ms: list[float]  # all requests
    input_tokens: list[float]
    output_tokens: list[float]
    output_tok_s: list[float]


_SERIES_FIELDS = {
    "TTFT (ms)": "ttft_ms", "TTFT from intended (ms)": "ttft_from_intended_ms", "ITL (ms)": "itl_ms",
    "TPOT (ms)": "tpot_ms", "Latency (s)": "latency_s", "Latency from intended (s)": "latency_from_intended_s",
    "Send lag (ms)": "send_lag_ms", "Input tokens": "input_tokens", "Output tokens": "output_tokens",
    "Output (tok/s)": "output_tok_s",
}


@attrs.define
class PerfRun:
    """A perf run folder, read: ``info`` always; the rest once the run has written them."""

    path: Path
    info: PerfRunInfo
    args: PerfArgs | None = None  # redacted (API key and auth headers are "***")
    summary: PerfSummary | None = None
    percentiles: PerfPercentiles | None = None
    selfcheck: dict[str, Any] | None = None

    def records(self) -> list:
        """The raw :class:`~evalscope.perf.records.RequestRecord` list from the SQLite (NaN = undefined)."""
        from evalscope.perf.store import read_records

        db = self.path / REQUESTS_FILE
        if not db.is_file():
            return []
        return read_records(db)

    def requests(self) -> list[PerfRequest]:
        """One row per request (in request-index order), with its TTFT, ITLs and latency."""
        return [_request(r) for r in self.records()]

    def distributions(self) -> PerfDistributions:
        """TTFT / ITL / TPOT / latency … arrays, computed exactly as the percentile file's."""
        from evalscope.perf.metrics import series

        values = series(self.records())
        return PerfDistributions(**{f: values.get(k, []) for k, f in _SERIES_FIELDS.items()})


@attrs.define
class PerfSweep:
    """The runs of one invocation, ordered by concurrency (closed loop) or rate (open loop)."""

    sweep_id: str
    runs: list[PerfRun]


@attrs.frozen
class MetricDelta:
    """One summary metric of two runs: ``b − a`` and ``b / a`` where both are numbers."""

    metric: str
    a: Any
    b: Any
    delta: float | None
    ratio: float | None


# -- (de)serialisation -------------------------------------------------------------------------

_conv = cattrs.Converter()
_conv.register_unstructure_hook(datetime, lambda d: d.isoformat(timespec="milliseconds"))
_conv.register_structure_hook(datetime, lambda v, _: datetime.fromisoformat(v))


def info_to_dict(info: PerfRunInfo) -> dict[str, Any]:
    return _conv.unstructure(info)


def info_from_dict(data: dict[str, Any], source: str = RUN_FILE) -> PerfRunInfo:
    """Structure ``run.json`` data; unknown keys are ignored (newer writers), wrong ones named."""
    try:
        return _conv.structure(data, PerfRunInfo)
    except cattrs.BaseValidationError as exc:
        raise PerfRunError(f"{source}: " + "; ".join(cattrs.transform_error(exc))) from None


def write_run_info(folder: Path, info: PerfRunInfo) -> None:
    """Write ``folder/run.json`` atomically (a reader never sees half a file)."""
    tmp = folder / f".{RUN_FILE}.tmp"
    tmp.write_text(json.dumps(info_to_dict(info), indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / RUN_FILE)


def public_url(url: str) -> str:
    """``url`` without user info and with secret-looking query values replaced by ``***``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    query = urlencode([
        (k, REDACTED if any(s in k.lower() for s in _SECRET_QUERY_KEYS) else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


# -- reading -----------------------------------------------------------------------------------


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PerfRunError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except OSError as exc:
        raise PerfRunError(f"{path}: cannot be read ({exc.strerror})") from None


def load_perf_run(path: str | os.PathLike[str]) -> PerfRun:
    """Read one perf run folder (or its ``run.json``). Raises :class:`PerfRunError` naming the file."""
    folder = Path(path)
    if folder.name == RUN_FILE:
        folder = folder.parent
    run_file = folder / RUN_FILE
    if not run_file.is_file():
        raise PerfRunError(f"{folder}: no {RUN_FILE} (not a perf run folder, or written before run.json existed)")
    data = _read_json(run_file)
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise PerfRunError(f"{run_file}: kind is {data.get('kind') if isinstance(data, dict) else None!r}, "
                           f"not {KIND!r}")
    run = PerfRun(folder, info_from_dict(data, str(run_file)))
    if (folder / ARGS_FILE).is_file():
        try:
            run.args = args_from_dict(_read_json(folder / ARGS_FILE))
        except cattrs.BaseValidationError as exc:
            raise PerfRunError(f"{folder / ARGS_FILE}: " + "; ".join(cattrs.transform_error(exc))) from None
    if (folder / SUMMARY_FILE).is_file():
        run.summary = PerfSummary.from_values(_read_json(folder / SUMMARY_FILE))
    if (folder / PERCENTILE_FILE).is_file():
        rows = _read_json(folder / PERCENTILE_FILE)
        levels = list(next(iter(rows.values())).keys()) if rows else []
        run.percentiles = PerfPercentiles(levels, rows)
    if (folder / SELFCHECK_FILE).is_file():
        run.selfcheck = _read_json(folder / SELFCHECK_FILE)
    return run


def _run_files(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        if RUN_FILE in filenames:
            yield Path(dirpath) / RUN_FILE


def list_perf_runs(root: str | os.PathLike[str]) -> list[PerfRun]:
    """Every perf run below ``root`` (found by its ``run.json``), oldest first.

    Files of other kinds are skipped; a perf run that cannot be read is skipped with a warning
    naming the file (use :func:`load_perf_run` to get the error raised).
    """
    runs = []
    for run_file in _run_files(Path(root)):
        try:
            data = _read_json(run_file)
            if not isinstance(data, dict) or data.get("kind") != KIND:
                continue
            runs.append(load_perf_run(run_file.parent))
        except PerfRunError as exc:
            warnings.warn(f"skipping perf run: {exc}", stacklevel=2)
    return sorted(runs, key=lambda r: (r.info.started, r.info.sweep_id, r.path.name))


def _load_key(run: PerfRun) -> tuple[float, float]:
    rate = run.info.rate if run.info.rate is not None else -1.0
    return (rate, run.info.concurrency if run.info.concurrency is not None else -1)


def group_sweeps(runs: list[PerfRun]) -> list[PerfSweep]:
    """Group runs by invocation (``sweep_id``), each ordered by rate then concurrency; oldest first."""
    groups: dict[str, list[PerfRun]] = {}
    for run in runs:
        groups.setdefault(run.info.sweep_id, []).append(run)
    return [PerfSweep(sid, sorted(g, key=_load_key)) for sid, g in groups.items()]


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v):
        return None
    return float(v)


def compare_runs(a: PerfRun, b: PerfRun) -> list[MetricDelta]:
    """Summary metrics of two runs side by side (keys of ``a`` first, then those only in ``b``)."""
    va = a.summary.values if a.summary else {}
    vb = b.summary.values if b.summary else {}
    out = []
    for key in list(va) + [k for k in vb if k not in va]:
        x, y = va.get(key), vb.get(key)
        nx, ny = _number(x), _number(y)
        delta = ny - nx if nx is not None and ny is not None else None
        ratio = ny / nx if ny is not None and nx else None
        out.append(MetricDelta(key, x, y, delta, ratio))
    return out


def _opt(v: float, scale: float = 1.0) -> float | None:
    return None if v is None or math.isnan(v) else v * scale


def _request(r: Any) -> PerfRequest:
    return PerfRequest(
        index=r.index, success=r.success, status=r.status, error=r.error,
        send_s=_opt(r.send), first_token_s=_opt(r.first_token), end_s=_opt(r.end),
        latency_s=_opt(r.latency), ttft_ms=_opt(r.ttft, 1000.0), tpot_ms=_opt(r.tpot, 1000.0),
        itl_ms=tuple(g * 1000.0 for g in r.itls), prompt_tokens=r.prompt_tokens,
        completion_tokens=r.completion_tokens, tokens_source=r.tokens_source,
        send_lag_ms=_opt(r.send_lag, 1000.0), conversation=r.conversation, turn=r.turn, worker=r.worker,
    )
