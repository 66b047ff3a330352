"""Run many sandbox jobs with bounded concurrency (threads; each job is its own process)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from evalscope.core.sandbox.runner import run_job
from evalscope.core.sandbox.types import SandboxJob, SandboxResult


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def run_many(
    jobs: Iterable[SandboxJob],
    workers: int | None = None,
    on_result: Callable[[int, SandboxResult], None] | None = None,
) -> list[SandboxResult]:
    """Run ``jobs`` with at most ``workers`` sandboxes alive at once; results keep the input order."""
    jobs = list(jobs)
    workers = max(1, min(workers or default_workers(), len(jobs) or 1))
    results: list[SandboxResult | None] = [None] * len(jobs)

    def one(i: int) -> None:
        result = results[i] = run_job(jobs[i])
        if on_result is not None:
            on_result(i, result)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sandbox") as ex:
        for fut in [ex.submit(one, i) for i in range(len(jobs))]:
            fut.result()
    return results  # type: ignore[return-value]  # every slot was filled: each job's future completed


_slots: threading.BoundedSemaphore | None = None
_slots_lock = threading.Lock()


def run_limited(job: SandboxJob) -> SandboxResult:
    """Run one job, at most ``EVALSCOPE_SANDBOX_WORKERS`` (default: CPU count) at once per process.

    For callers that each score one sample from their own thread (the engine's blocking scorers).
    """
    global _slots
    with _slots_lock:
        if _slots is None:
            size = int(os.environ.get("EVALSCOPE_SANDBOX_WORKERS", "0")) or default_workers()
            _slots = threading.BoundedSemaphore(size)
    with _slots:
        return run_job(job)
