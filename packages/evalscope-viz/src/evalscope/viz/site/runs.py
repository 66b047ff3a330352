"""Runs the site started: child processes, their output, their progress, stop and resume.

Each run is `subprocess.Popen(launch.argv)` (an argument list from `launch.py`, never a shell) with
the launch's secrets added to its environment; its stdout and stderr are kept as a tail of lines
(any secret masked) by a reader thread. An evaluation's progress is read from its run dir as it
grows, with the TUI's `StoreFollower` and `EvalLiveState`, so the page and `evalscope tui RUN_DIR`
show the same numbers. Stop is SIGTERM: the CLI records the run as `stopped` and keeps the samples
done; resume starts the same evaluation with `--use-cache RUN_DIR`. When a child ends, the site's
catalog is re-read so the run shows in the run list.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from evalscope.viz.data.catalog import Catalog
from evalscope.viz.site.launch import Launch, resume_eval
from evalscope.viz.tui.attach import StoreFollower
from evalscope.viz.tui.state import EvalLiveState

#: lines of a child's output kept for the page
LOG_LINES = 400
#: variables of the site's environment a child does not get
HIDDEN_ENV = ("EVALSCOPE_APP_TOKEN",)


@attrs.define(eq=False)
class Child:
    """One run started from the page."""

    id: str
    launch: Launch
    proc: subprocess.Popen[str]
    started: float
    lines: deque[str] = attrs.field(factory=lambda: deque(maxlen=LOG_LINES))
    returncode: int | None = None
    stop_requested: bool = False
    state: EvalLiveState = attrs.field(factory=EvalLiveState)
    follower: StoreFollower | None = None
    catalog: Catalog | None = None

    @property
    def status(self) -> str:
        """running, finished, stopped or failed (exit status n)."""
        if self.returncode is None:
            return "stopping" if self.stop_requested else "running"
        if self.returncode == 0:
            return "finished"
        if self.stop_requested or self.returncode in (143, -signal.SIGTERM):
            return "stopped"
        return f"failed (exit status {self.returncode})"

    @property
    def running(self) -> bool:
        return self.returncode is None


class RunLauncher:
    """Starts, follows and stops the site's runs. `token` guards the page that uses it."""

    def __init__(self, outputs: Path, catalog: Catalog, token: str) -> None:
        self.outputs = outputs
        self.catalog = catalog
        self.token = token
        self.children: dict[str, Child] = {}
        #: bumped whenever a child ends (the page refreshes the run list when it changes)
        self.generation = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def start(self, launch: Launch) -> Child:
        env = {k: v for k, v in os.environ.items() if k not in HIDDEN_ENV}
        env.update(launch.env)
        env.update(PYTHONUNBUFFERED="1", NO_COLOR="1", TERM="dumb")
        proc = subprocess.Popen(  # noqa: S603 - an argument list from launch.py's checked fields, no shell
            list(launch.argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env=env,
            close_fds=True,
        )
        child = Child(id=str(next(self._ids)), launch=launch, proc=proc, started=time.time())
        with self._lock:
            self.children[child.id] = child
        threading.Thread(target=self._read, args=(child,), daemon=True, name=f"run-{child.id}").start()
        return child

    def _read(self, child: Child) -> None:
        secrets = [v for v in child.launch.env.values() if v]
        assert child.proc.stdout is not None
        for line in child.proc.stdout:
            for secret in secrets:
                line = line.replace(secret, "***")
            child.lines.append(line.rstrip("\n"))
        child.returncode = child.proc.wait()
        self.catalog.runs(refresh=True)  # the finished (or stopped) run joins the run list
        with self._lock:
            self.generation += 1

    def get(self, child_id: str | None) -> Child | None:
        with self._lock:
            return self.children.get(child_id or "")

    def list(self) -> list[Child]:
        with self._lock:
            return list(self.children.values())

    def stop(self, child_id: str) -> Child | None:
        """SIGTERM: an evaluation records itself as `stopped` and keeps the samples done."""
        child = self.get(child_id)
        if child is not None and child.running:
            child.stop_requested = True
            child.proc.send_signal(signal.SIGTERM)
        return child

    def resume(self, child_id: str) -> Child | None:
        """The stopped (or failed) evaluation again, continuing in its run dir."""
        child = self.get(child_id)
        if child is None or child.running:
            return None
        return self.start(resume_eval(child.launch))

    def progress(self, child: Child) -> EvalLiveState:
        """The evaluation's state as its run dir holds it now (the TUI's follower)."""
        if child.launch.kind != "eval":
            return child.state
        if child.follower is None and child.launch.run_dir.is_dir():
            catalog = Catalog(child.launch.run_dir)
            entries = catalog.runs(refresh=True)
            # a resumed dir may hold one run per model: the one of this launch's model is the newest
            if entries:
                child.catalog = catalog
                child.follower = StoreFollower(catalog, entries[-1].key)
            else:
                catalog.close()
        if child.follower is not None:
            try:
                child.follower.poll(child.state)
            except Exception as exc:  # noqa: BLE001 - a run dir being written may be read mid-change
                child.state.message = f"reading {child.launch.run_dir}: {exc}"
        return child.state

    def close(self, wait_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        """Stop every running child (SIGTERM, as the Stop button) and wait for them a while."""
        running = [c for c in self.list() if c.running]
        for child in running:
            self.stop(child.id)
        deadline = clock() + wait_s
        for child in running:
            try:
                child.proc.wait(max(deadline - clock(), 0.1))
            except subprocess.TimeoutExpired:
                child.proc.kill()
        for child in self.list():
            if child.catalog is not None:
                child.catalog.close()


def progress_rows(state: EvalLiveState, now: float | None = None) -> list[dict[str, Any]]:
    """Per dataset: done/total, samples/s, score so far, errors, ETA (what the TUI's table shows)."""
    now = state.clock() if now is None else now
    rows = []
    for ds in state.datasets.values():
        rows.append(
            {
                "dataset": ds.name,
                "done": ds.done,
                "total": ds.total,
                "rate": ds.rate(now),
                "score": ds.running_score,
                "errors": ds.errors,
                "eta": ds.eta(now),
                "state": ds.state,
            }
        )
    return rows
