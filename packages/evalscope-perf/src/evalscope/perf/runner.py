"""Orchestrate a perf invocation: prompts → plans → runs (sweep) → metrics → outputs."""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
from rich.console import Console

from evalscope.core.net.http import Target, build_request
from evalscope.perf import metrics, report, results
from evalscope.perf.apis import API_PATHS, Prompt, RequestSpec, tool_choice_value
from evalscope.perf.args import PerfArgs, args_to_json
from evalscope.perf.datasets import DatasetContext, get_dataset
from evalscope.perf.records import RequestRecord
from evalscope.perf.scheduler import open_loop_offsets
from evalscope.perf.selfcheck import SelfCheck, assess, cpu_count
from evalscope.perf.workers import WorkItem, WorkPlan, rebase, run_plan


@attrs.define
class RunResult:
    label: str
    concurrency: int | None
    rate: float | None
    records: list[RequestRecord]
    summary: dict[str, Any]
    percentiles: dict[str, dict[str, float]]
    selfcheck: SelfCheck
    out_dir: Path
    info: results.PerfRunInfo  # what run.json says

    @property
    def status(self) -> str:
        return self.info.status


@attrs.frozen
class RunShape:
    parallel: int | None
    rate: float | None
    number: int

    @property
    def label(self) -> str:
        if self.rate is not None:
            return f"rate_{self.rate:g}_number_{self.number}"
        return f"parallel_{self.parallel}_number_{self.number}"


def run_shapes(args: PerfArgs) -> list[RunShape]:
    """Pair --parallel/--rate lists with --number (a single number applies to every run)."""
    loads: list[tuple[int | None, float | None]]
    if args.rate:
        loads = [(args.max_concurrency, r) for r in args.rate]
    else:
        loads = [(p, None) for p in args.parallel]
    numbers = list(args.number) or [100]
    for name, values, least in (("--number", numbers, 1), ("--parallel", args.parallel, 1)):
        for v in values:
            if v < least:
                raise ValueError(f"{name} must be at least {least} (got {v})")
    for r in args.rate:
        if not r > 0:
            raise ValueError(f"--rate must be above 0 requests/s (got {r:g})")
    if args.max_concurrency is not None and args.max_concurrency < 1:
        raise ValueError(f"--max-concurrency must be at least 1 (got {args.max_concurrency})")
    if args.warmup_num < 0:
        raise ValueError(f"--warmup-num must be 0 or more (got {args.warmup_num})")
    if len(numbers) == 1:
        numbers = numbers * len(loads)
    if len(numbers) != len(loads):
        raise ValueError(f"--number has {len(numbers)} values but there are {len(loads)} runs")
    return [RunShape(p, r, n) for (p, r), n in zip(loads, numbers)]


def resolve_url(api_url: str, kind: str) -> str:
    """Accept a full endpoint URL, a base URL, or a base ending in /v1."""
    u = api_url.rstrip("/")
    if any(u.endswith(p) for p in API_PATHS.values()):
        return u
    if u.endswith("/v1"):
        u = u[:-3]
    return u + API_PATHS[kind]


def request_headers(args: PerfArgs) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept": "*/*"}
    key = args.api_key or os.environ.get("EVALSCOPE_API_KEY") or os.environ.get("OPENAI_API_KEY")
    if key:
        headers["Authorization"] = f"Bearer {key}"
    headers.update(args.headers)
    return headers


def request_spec(args: PerfArgs, model: str) -> RequestSpec:
    params: dict[str, Any] = {}
    for name in ("max_tokens", "min_tokens", "temperature", "top_p", "seed"):
        value = getattr(args, name)
        if value is not None:
            params[name] = value
    if args.tools:
        params["tools"] = args.tools
        if args.tool_choice:
            params["tool_choice"] = tool_choice_value(args.tool_choice)
    params.update(args.extra_args)
    return RequestSpec(args.api_kind, model, args.stream if args.api_kind != "embeddings" else False, params, args.query_template)


def build_prompts(args: PerfArgs, tokenizer: Any, count: int) -> list[Prompt]:
    """``count`` prompts from the dataset (cycled when it is shorter; grouped for multi-turn)."""
    if args.prompt is not None:
        text = args.prompt
        if text.startswith("@"):
            text = Path(text[1:]).read_text(encoding="utf-8")
        return [Prompt(text=text)] * count
    ctx = DatasetContext(
        path=args.dataset_path, number=count * (args.max_turns if args.multi_turn else 1),
        min_prompt_length=args.min_prompt_length, max_prompt_length=args.max_prompt_length,
        prefix_length=args.prefix_length, tokenizer=tokenizer, api_kind=args.api_kind, seed=args.seed or 0,
    )
    source = get_dataset(args.dataset)(ctx)
    if args.dataset.startswith("speed_benchmark"):
        return list(source)
    pool = list(itertools.islice(source, ctx.number))
    if not pool:
        raise ValueError(f"dataset {args.dataset!r} produced no prompts (check the path and the length filters)")
    if args.multi_turn and not any(p.turns for p in pool):
        groups = [pool[i : i + args.max_turns] for i in range(0, len(pool), args.max_turns)]
        pool = [Prompt(text=g[0].text, turns=tuple(p.text for p in g)) for g in groups]
    return [pool[i % len(pool)] for i in range(count)]


def make_items(prompts: list[Prompt], spec: RequestSpec, head: bytes, multi_turn: bool) -> list[WorkItem]:
    items = []
    for i, p in enumerate(prompts):
        if multi_turn and p.turns:
            items.append(WorkItem(i, None, None, p.turns))
        else:
            items.append(WorkItem(i, build_request(head, spec.encode(p)), p.intended_tokens))
    return items


def count_tokens_after(records: list[RequestRecord], prompts: list[Prompt], tokenizer: Any) -> None:
    """Fill token counts the server did not report: own tokenizer, else chunk count (estimate)."""
    from evalscope.perf.tokenizer import count_tokens

    for r in records:
        if not r.success:
            continue
        if r.completion_tokens is None:
            if tokenizer is not None:
                r.completion_tokens = count_tokens(tokenizer, r.output_text)
                r.tokens_source = "tokenizer"
            elif r.stream:
                r.completion_tokens = len(r.chunk_times)
                r.tokens_source = "chunks"
        if r.prompt_tokens is None:
            if r.intended_prompt_tokens is not None:
                r.prompt_tokens = r.intended_prompt_tokens
            elif tokenizer is not None and 0 <= r.index < len(prompts) and r.turn == 0:
                r.prompt_tokens = count_tokens(tokenizer, prompts[r.index].text)


# Client CPU per request, estimated conservatively for choosing the process count: a fixed
# part plus one socket read per streamed chunk (servers that send each token as it is made).
CPU_PER_REQUEST_S = 0.0001
CPU_PER_CHUNK_S = 0.00001
TARGET_CORE_SHARE = 0.5  # keep each client loop at most half busy
MAX_AUTO_WORKERS = 8


def auto_workers(args: PerfArgs, shape: RunShape) -> int:
    """Client processes for a run: ``--num-workers``, else enough that no event loop is more than
    half busy by the estimated client CPU of the asked load (at most the cores we may use)."""
    if args.num_workers > 0:
        return args.num_workers
    if args.multi_turn:
        return 1
    cores = min(cpu_count(), MAX_AUTO_WORKERS)
    if cores <= 1:
        return 1
    chunks = min(args.max_tokens or 256, 4096) if args.stream else 0
    per_request = CPU_PER_REQUEST_S + CPU_PER_CHUNK_S * chunks
    if shape.rate is not None:
        load = shape.rate * per_request
    else:  # closed loop, rate unknown: assume a fast server (50 ms TTFT, a chunk every 5 ms per stream)
        slot_requests = 1.0 / (0.05 + 0.005 * chunks)
        slot_chunks = 200.0 if chunks else 0.0
        load = (shape.parallel or 1) * (slot_requests * CPU_PER_REQUEST_S + slot_chunks * CPU_PER_CHUNK_S)
    want = max(1, math.ceil(load / TARGET_CORE_SHARE))
    return max(1, min(cores, want, shape.number))


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, float) and math.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_jsonable(v) for v in obj]
    return obj


def _finite_or_none(v: float) -> float | None:
    return None if math.isnan(v) else v


def write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(_jsonable(obj), indent=2, ensure_ascii=False), encoding="utf-8")


def speed_rows(records: list[RequestRecord]) -> list[dict[str, Any]]:
    """EvalScope's speed table: per prompt length, mean output tokens/s over its requests."""
    groups: dict[int, list[float]] = {}
    for r in records:
        if r.success and r.completion_tokens and r.latency > 0:
            key = r.intended_prompt_tokens or r.prompt_tokens or 0
            groups.setdefault(key, []).append(r.completion_tokens / r.latency)
    return [
        {"Prompt Tokens": k, "Speed(tokens/s)": sum(v) / len(v), "GPU Memory(GB)": None}
        for k, v in sorted(groups.items())
    ]


def output_root(args: PerfArgs, started: datetime) -> Path:
    """Create and return this invocation's folder; never one an earlier run wrote.

    ``<outputs-dir>/<YYYYMMDD_HHMMSS>/<name>``; when another invocation took that folder (same
    second, same name) the name gets ``_2``, ``_3``, ... (``mkdir`` is atomic, so two processes
    cannot both win). With ``--no-timestamp`` the folder is ``<outputs-dir>/<name>``, and one
    holding files already is an error rather than overwritten.
    """
    name = args.name or args.model.replace("/", "_")
    parent = Path(args.outputs_dir)
    if not args.no_timestamp:
        parent = parent / started.strftime("%Y%m%d_%H%M%S")
    parent.mkdir(parents=True, exist_ok=True)
    if args.no_timestamp:
        root = parent / name
        root.mkdir(exist_ok=True)
        if any(root.iterdir()):
            raise ValueError(f"{root} already holds an earlier run's files; choose another --name, "
                             "remove that folder, or drop --no-timestamp")
        return root
    for i in itertools.count(1):
        root = parent / (name if i == 1 else f"{name}_{i}")
        try:
            root.mkdir()
            return root
        except FileExistsError:
            continue
    raise AssertionError("unreachable")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("evalscope-perf")
    except PackageNotFoundError:
        return ""


def run_perf(args: PerfArgs, console: Console | None = None, progress: Any = None) -> list[RunResult]:
    """Run every load shape of ``args``; write outputs; print tables. Returns the run results.

    A sweep stops after a run in which no request succeeded (the next ones would only repeat it).
    ``progress``: a queue (multiprocessing, spawn context) for live displays; it is told
    ("shape", label, number) when a run starts, ("request", success, ttft, latency, itls) as each
    request ends (from every client process) and ("shape_done", label, client_saturated).
    """
    console = console or report.make_console()
    started = datetime.now().astimezone()
    run_shapes(args)  # bad counts fail before a server starts or a tokenizer loads
    slo = metrics.SLO.parse(args.slo)
    with contextlib.ExitStack() as stack:
        api_url = args.api_url
        tokenizer_name = args.tokenizer_path
        if args.api == "local":
            from evalscope.perf.local_server import LocalServer

            console.print(f"starting `evalscope serve --model {args.model}` ...", markup=False)
            server = stack.enter_context(LocalServer(args.model, args.port))
            api_url = server.base_url
            tokenizer_name = tokenizer_name or args.model
        if not api_url:
            raise ValueError("--api-url is required (or use --api local)")
        tokenizer = None
        if tokenizer_name:
            from evalscope.perf.tokenizer import load_tokenizer

            tokenizer = load_tokenizer(tokenizer_name)
        url = resolve_url(api_url, args.api_kind)
        target = Target.from_url(url)
        head = target.request_head("POST", request_headers(args))
        spec = request_spec(args, args.model)
        shapes = run_shapes(args)
        total = max(s.number for s in shapes) + args.warmup_num
        prompts = build_prompts(args, tokenizer, total)
        if args.dataset.startswith("speed_benchmark"):
            shapes = [RunShape(1, None, len(prompts))]
        root = output_root(args, started)
        (root / "benchmark_args.json").write_text(args_to_json(args), encoding="utf-8")
        secrets = [v for k, v in request_headers(args).items() if k.lower() in SECRET_HEADERS and v]
        base = _RunBase(args, spec, head, url, tokenizer, slo, root, len(shapes), uuid.uuid4().hex, console, secrets, progress)
        done: list[RunResult] = []
        for k, shape in enumerate(shapes):
            if k:
                time.sleep(args.sleep_interval)
            done.append(_one_run(base, shape, prompts))
            if done[-1].status == results.FAILED and k + 1 < len(shapes):
                console.print(f"stopping the sweep: no request of {shape.label} succeeded "
                              f"({len(shapes) - k - 1} run(s) not started)", markup=False, soft_wrap=True)
                break
        if len(done) > 1:
            for table in report.sweep_tables([r.summary for r in done], console.width):
                console.print(table)
            write_json(root / "sweep_summary.json", [dict(r.summary, label=r.label) for r in done])
        if args.dataset.startswith("speed_benchmark"):
            rows = speed_rows(done[0].records)
            console.print(report.speed_table(rows))
            write_json(root / "speed_benchmark.json", rows)
        console.print(f"outputs: {root}", markup=False, highlight=False)
        return done


@attrs.define
class _RunBase:
    """What every run of one invocation shares."""

    args: PerfArgs
    spec: RequestSpec
    head: bytes
    url: str
    tokenizer: Any
    slo: metrics.SLO | None
    root: Path
    sweep_size: int
    sweep_id: str
    console: Console
    secrets: list[str]  # header values (API key) that must not reach the outputs
    progress: Any = None  # live display queue (see run_perf)

    @property
    def sweep(self) -> bool:
        return self.sweep_size > 1

    def info(self, shape: RunShape) -> results.PerfRunInfo:
        args = self.args
        return results.PerfRunInfo(
            run_id=uuid.uuid4().hex, sweep_id=self.sweep_id, label=shape.label,
            name=args.name or args.model.replace("/", "_"), model=args.model, api=args.api_kind,
            api_url=results.public_url(self.url), started=datetime.now().astimezone(),
            concurrency=shape.parallel, rate=shape.rate, number=shape.number, stream=self.spec.stream,
            dataset=args.dataset if args.prompt is None else "prompt", sweep_size=self.sweep_size,
            evalscope_version=_version(),
        )


SECRET_HEADERS = ("authorization", "api-key", "x-api-key", "cookie")


def scrub_secrets(records: list[RequestRecord], secrets: list[str]) -> None:
    """Replace secrets a server echoed (e.g. in an error body) by ***, in place."""
    words = {w for s in secrets for w in (s, s.split(" ", 1)[-1]) if len(w) >= 4}
    for r in records:
        for w in words:
            if w in r.error:
                r.error = r.error.replace(w, "***")
            if w in r.output_text:
                r.output_text = r.output_text.replace(w, "***")


def run_status(records: list[RequestRecord]) -> str:
    """succeeded (every request), partial (some), failed (none, or no request sent)."""
    ok = sum(1 for r in records if r.success)
    if ok == 0:
        return results.FAILED
    return results.SUCCEEDED if ok == len(records) else results.PARTIAL


def _one_run(base: _RunBase, shape: RunShape, prompts: list[Prompt]) -> RunResult:
    """One load shape: run.json (running) → requests → records, summary, percentiles → run.json (final)."""
    out = base.root / shape.label if base.sweep else base.root
    out.mkdir(parents=True, exist_ok=True)
    if base.sweep:  # each run folder is self-contained for readers
        (out / results.ARGS_FILE).write_text(args_to_json(base.args), encoding="utf-8")
    info = base.info(shape)
    results.write_run_info(out, info)
    try:
        result = _measure(base, shape, prompts, out, info)
    except BaseException as exc:
        info.status = results.INTERRUPTED if isinstance(exc, KeyboardInterrupt) else results.ERROR
        info.error = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}"
        info.finished = datetime.now().astimezone()
        results.write_run_info(out, info)
        raise
    return result


def _measure(base: _RunBase, shape: RunShape, prompts: list[Prompt], out: Path, info: results.PerfRunInfo) -> RunResult:
    args, spec, head, url, tokenizer, slo, console = (
        base.args, base.spec, base.head, base.url, base.tokenizer, base.slo, base.console,
    )
    warm = args.warmup_num
    multi = args.multi_turn
    if warm:
        items = make_items(prompts[:warm], spec, head, multi)
        run_plan(WorkPlan(url, head, items, "closed", shape.parallel or 1, stream=spec.stream, spec=spec,
                          timeout=args.timeout, connect_timeout=args.connect_timeout, use_uvloop=args.uvloop))
    chosen = prompts[warm : warm + shape.number] if not args.dataset.startswith("speed_benchmark") else prompts
    items = make_items(chosen, spec, head, multi)
    if shape.rate is not None:
        offsets = open_loop_offsets(len(items), shape.rate, args.arrival, args.seed)
        plan = WorkPlan(url, head, items, "open", shape.parallel or 0, offsets)
    else:
        plan = WorkPlan(url, head, items, "closed", shape.parallel or 1)
    plan = attrs.evolve(plan, duration=args.duration, timeout=args.timeout, connect_timeout=args.connect_timeout,
                        stream=spec.stream, spec=spec, keep_text=args.keep_text, use_uvloop=args.uvloop,
                        tools=bool(args.tools))
    workers = auto_workers(args, shape)
    console.print(f"running {shape.label} ({workers} client process(es)) ...", markup=False)
    if base.progress is not None:
        plan = attrs.evolve(plan, progress=base.progress)
        base.progress.put(("shape", shape.label, len(items)))
    records, stats, t0 = run_plan(plan, workers)
    rebase(records, t0)
    scrub_secrets(records, base.secrets)
    count_tokens_after(records, chosen, tokenizer)
    summary = metrics.summarize(records, slo=slo, concurrency=shape.parallel, rate=shape.rate, tools=bool(args.tools))
    summary["Client processes"] = workers
    pct = metrics.percentiles(records)
    sc = assess(records, stats, open_loop=shape.rate is not None, capped=bool(shape.parallel and shape.rate))
    summary["Client saturated"] = sc.saturated
    summary["Client CPU per request (ms)"] = sc.cpu_ms_per_request
    summary["Client start-up (s)"] = sc.startup_s
    if base.progress is not None:
        base.progress.put(("shape_done", shape.label, sc.saturated))
    from evalscope.perf.store import write_records

    write_records(out / "benchmark_data.db", records)
    write_json(out / "benchmark_summary.json", summary)
    write_json(out / "benchmark_percentile.json", pct)
    write_json(out / "client_selfcheck.json", attrs.asdict(sc))
    info.finished = datetime.now().astimezone()
    info.status = run_status(records)
    info.total_requests = len(records)
    info.succeeded_requests = sum(1 for r in records if r.success)
    info.failed_requests = info.total_requests - info.succeeded_requests
    info.errors = [results.ErrorCount(m, n) for m, n in report.error_counts(records, limit=5)]
    info.client_cpu_ms_per_request = _finite_or_none(sc.cpu_ms_per_request)
    info.client_startup_s = _finite_or_none(sc.startup_s)
    info.client_saturated = sc.saturated
    results.write_run_info(out, info)
    report.print_run(console, shape.label, summary, pct, sc, records, info.api_url)
    if args.visualizer:
        from evalscope.perf.visualizers import log_run

        log_run(args, shape.label, summary, pct)
    return RunResult(shape.label, shape.parallel, shape.rate, records, summary, pct, sc, out, info)
