"""Stopping runs from outside: `q` in the live view, SIGTERM to the CLI.

`run_task_async` registers its task while it runs (`registered`); `stop_runs` cancels every such
task on its own loop, so the run ends through its usual path and records itself as `stopped`.
`sigterm_stops_runs` installs a SIGTERM handler for the duration of a CLI command only (never when
evalscope is embedded in someone's process): it stops the runs and the command exits 143.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import attrs

#: exit statuses of a run stopped by SIGINT (Ctrl-C, `q`) and SIGTERM (128 + signal number)
EXIT_SIGINT = 130
EXIT_SIGTERM = 143


@attrs.define(eq=False)
class _Active:
    loop: asyncio.AbstractEventLoop
    task: asyncio.Task[object]
    thread: int
    done: threading.Event = attrs.field(factory=threading.Event)


_active: set[_Active] = set()
_guard = threading.Lock()


@contextmanager
def registered() -> Iterator[None]:
    """Make the current task stoppable by `stop_runs` while the block runs."""
    task = asyncio.current_task()
    if task is None:
        yield
        return
    entry = _Active(asyncio.get_running_loop(), task, threading.get_ident())
    with _guard:
        _active.add(entry)
    try:
        yield
    finally:
        with _guard:
            _active.discard(entry)
        entry.done.set()


def stop_runs(wait_s: float = 0.0) -> int:
    """Cancel every registered run (each ends as `stopped`); wait up to `wait_s` for those on other
    threads to finish recording it. Returns how many were asked to stop."""
    with _guard:
        entries = list(_active)
    for entry in entries:
        entry.loop.call_soon_threadsafe(entry.task.cancel)
    for entry in entries:
        if wait_s and entry.thread != threading.get_ident():
            entry.done.wait(wait_s)
    return len(entries)


class Terminated(SystemExit):
    """SIGTERM arrived while no run could record it: exit 143."""

    def __init__(self) -> None:
        super().__init__(EXIT_SIGTERM)


@contextmanager
def sigterm_stops_runs() -> Iterator[list[bool]]:
    """While the block runs (main thread only), SIGTERM stops the registered runs. Yields a one-item
    list that becomes [True] once SIGTERM arrived, so the caller exits 143."""
    received = [False]
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def on_term(signum: int, frame: object) -> None:
        received[0] = True
        with _guard:
            here = any(e.thread == threading.get_ident() for e in _active)
        stopped = stop_runs(wait_s=30.0)
        if not here or not stopped:  # no run on this thread's loop to unwind: leave now
            raise Terminated()

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


__all__ = ["EXIT_SIGINT", "EXIT_SIGTERM", "Terminated", "registered", "sigterm_stops_runs", "stop_runs"]
