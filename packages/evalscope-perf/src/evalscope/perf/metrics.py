"""Summary and percentile metrics computed from request records (pure functions).

Exact definitions are published in docs/perf-metrics.md; keep the two in step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import attrs

from evalscope.core.numeric import percentile as core_percentile
from evalscope.perf.records import RequestRecord

PERCENTILES: tuple[int, ...] = (10, 25, 50, 66, 75, 80, 90, 95, 98, 99)


@attrs.frozen
class SLO:
    """Per-request thresholds in milliseconds; None means no limit on that metric."""

    ttft_ms: float | None = None
    tpot_ms: float | None = None
    e2e_ms: float | None = None

    @classmethod
    def parse(cls, text: str | None) -> SLO | None:
        """Parse ``ttft:200,tpot:50,e2e:2000`` (milliseconds)."""
        if not text:
            return None
        values: dict[str, float] = {}
        for part in text.replace(" ", ",").split(","):
            if not part:
                continue
            key, sep, value = part.partition(":")
            key = key.strip().lower()
            if not sep or key not in ("ttft", "tpot", "e2e"):
                raise ValueError(f"bad SLO item {part!r}: expected ttft:MS, tpot:MS or e2e:MS")
            values[f"{key}_ms"] = float(value)
        return cls(**values)

    def met_by(self, r: RequestRecord) -> bool:
        if not r.success:
            return False
        checks = ((self.ttft_ms, r.ttft), (self.tpot_ms, r.tpot), (self.e2e_ms, r.latency))
        for limit, value in checks:
            if limit is None:
                continue
            if math.isnan(value) or value * 1000.0 > limit:
                return False
        return True


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """The `p`-th percentile (0..100): linear interpolation between closest ranks (numpy's default
    'linear' method, `evalscope.core.numeric.percentile`); NaN without values."""
    if not sorted_values:
        return math.nan
    return core_percentile(sorted_values, p / 100.0)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def _finite(values: Iterable[float]) -> list[float]:
    return [v for v in values if v is not None and not math.isnan(v)]


def series(records: Sequence[RequestRecord]) -> dict[str, list[float]]:
    """Per-metric value lists (succeeded requests only), in display units."""
    ok = [r for r in records if r.success]
    itl: list[float] = []
    for r in ok:
        itl.extend(r.itls)
    out_rate = []
    for r in ok:
        if r.completion_tokens and r.latency > 0:
            out_rate.append(r.completion_tokens / r.latency)
    return {
        "TTFT (ms)": [v * 1000 for v in _finite(r.ttft for r in ok)],
        "TTFT from intended (ms)": [v * 1000 for v in _finite(r.ttft_from_intended for r in ok)],
        "ITL (ms)": [v * 1000 for v in itl],
        "TPOT (ms)": [v * 1000 for v in _finite(r.tpot for r in ok)],
        "Latency (s)": _finite(r.latency for r in ok),
        "Latency from intended (s)": _finite(r.latency_from_intended for r in ok),
        "Send lag (ms)": [v * 1000 for v in _finite(r.send_lag for r in records)],
        "Input tokens": [float(r.prompt_tokens) for r in ok if r.prompt_tokens is not None],
        "Output tokens": [float(r.completion_tokens) for r in ok if r.completion_tokens is not None],
        "Output (tok/s)": out_rate,
    }


def percentiles(records: Sequence[RequestRecord], ps: Sequence[int] = PERCENTILES) -> dict[str, dict[str, float]]:
    """``{metric: {"p10": v, ...}}`` for every metric in :func:`series`."""
    table: dict[str, dict[str, float]] = {}
    for name, values in series(records).items():
        values = sorted(values)
        table[name] = {f"p{p}": percentile(values, p) for p in ps}
    return table


def summarize(
    records: Sequence[RequestRecord],
    *,
    slo: SLO | None = None,
    concurrency: int | None = None,
    rate: float | None = None,
    tools: bool = False,
) -> dict[str, object]:
    """The run summary (means, totals, throughputs, goodput; tool-call counts under ``tools``)."""
    total = len(records)
    ok = [r for r in records if r.success]
    sent = [r for r in records if not math.isnan(r.send)]
    ends = [r.end for r in records if not math.isnan(r.end)]
    if sent and ends:
        duration = max(ends) - min(r.send for r in sent)
    else:
        duration = math.nan
    s = series(records)
    out_tokens = sum(r.completion_tokens or 0 for r in ok)
    in_tokens = sum(r.prompt_tokens or 0 for r in ok)

    def per_s(x: float) -> float:
        return x / duration if duration and duration > 0 else math.nan

    sources = sorted({r.tokens_source for r in ok})
    summary: dict[str, object] = {
        "Concurrency": concurrency,
        "Request rate (req/s)": rate,
        "Test duration (s)": duration,
        "Total requests": total,
        "Succeeded requests": len(ok),
        "Failed requests": total - len(ok),
        "Request throughput (req/s)": per_s(len(ok)),
        "Output token throughput (tok/s)": per_s(out_tokens),
        "Total token throughput (tok/s)": per_s(out_tokens + in_tokens),
        "Total input tokens": in_tokens,
        "Total output tokens": out_tokens,
        "Mean latency (s)": _mean(s["Latency (s)"]),
        "Mean latency from intended (s)": _mean(s["Latency from intended (s)"]),
        "Mean TTFT (ms)": _mean(s["TTFT (ms)"]),
        "Mean TTFT from intended (ms)": _mean(s["TTFT from intended (ms)"]),
        "Mean TPOT (ms)": _mean(s["TPOT (ms)"]),
        "Mean ITL (ms)": _mean(s["ITL (ms)"]),
        "Mean input tokens": _mean(s["Input tokens"]),
        "Mean output tokens": _mean(s["Output tokens"]),
        "Mean send lag (ms)": _mean(s["Send lag (ms)"]),
        "Token count source": ",".join(sources) if sources else "none",
    }
    if slo is not None:
        good = sum(1 for r in ok if slo.met_by(r))
        summary["Goodput (req/s)"] = per_s(good)
        summary["Goodput (% of requests)"] = 100.0 * good / total if total else math.nan
        summary["SLO"] = attrs.asdict(slo)
    if tools:
        called = sum(1 for r in ok if r.tool_calls)
        summary["Tool-call responses"] = called
        summary["Tool calls"] = sum(r.tool_calls for r in ok)
        summary["Tool-call rate (%)"] = 100.0 * called / len(ok) if ok else math.nan
    asked = [r for r in ok if r.intended_prompt_tokens is not None and r.server_prompt_tokens is not None]
    if asked:
        summary["Prompt length mismatches (server vs intended)"] = sum(
            1 for r in asked if r.server_prompt_tokens != r.intended_prompt_tokens
        )
    return summary
