"""One writer per run dir: an exclusive `flock` on `<run dir>/.evalscope.lock`.

The lock file says who holds it (pid, host, since when, run id, model) as one JSON line. The kernel
drops a `flock` when its process dies (`kill -9` included), so "stale" is exact: a lock file that
names a holder while nobody holds the lock was left by a process that is gone, and the next writer
takes it over with a warning naming the old holder. The file is never deleted (deleting a locked
file lets two processes lock two different files); a clean release empties it.

Readers use `writer_alive` / `reader_status`: a run recorded as `running` whose writer is gone is
shown as `interrupted`. Without `fcntl` (not POSIX) there is no lock and every run looks alive.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

import attrs

from evalscope.core.ports import RunInfo
from evalscope.core.serialization import ConfigError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks
    fcntl = None  # type: ignore[assignment]  # no fcntl: locking is skipped where it is None

LOCK_FILE = ".evalscope.lock"
#: a reader probes the lock for an instant; a writer retries this long before refusing
RETRY_S = 1.0
INTERRUPTED = "interrupted"


class RunDirBusyError(ConfigError):
    """Another live process writes the run dir: one line naming it."""


@attrs.frozen
class Holder:
    """Who holds (or held) a run dir's lock."""

    pid: int
    host: str
    since: float
    run_id: str = ""
    model_id: str = ""

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.since))
        what = f", run {self.run_id}" + (f" of {self.model_id}" if self.model_id else "") if self.run_id else ""
        return f"pid {self.pid} on {self.host} since {when}{what}"


def _read_holder(fd: int) -> Holder | None:
    try:
        raw = os.pread(fd, 4096, 0)
        data: Any = json.loads(raw.decode("utf-8")) if raw.strip() else None
        return Holder(int(data["pid"]), str(data["host"]), float(data["since"]), str(data.get("run_id", "")),
                      str(data.get("model_id", "")))
    except (OSError, ValueError, TypeError, KeyError):
        return None


class RunDirLock:
    """The exclusive writer lock of one run dir (a context manager; `acquire` creates the dir)."""

    def __init__(self, run_dir: str | os.PathLike[str]) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_FILE
        self.holder: Holder | None = None
        #: the holder of a lock left by a dead process, taken over by this one
        self.taken_over: Holder | None = None
        self._fd: int | None = None

    def acquire(self) -> RunDirLock:
        if fcntl is None:
            return self
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as exc:
            raise ConfigError(f"{self.run_dir}: cannot write the run dir ({exc.strerror or exc})") from None
        deadline = time.monotonic() + RETRY_S  # a reader's probe holds it for an instant
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(fd)
                    os.close(fd)
                    who = holder.describe() if holder else "another process"
                    raise RunDirBusyError(
                        f"{self.run_dir}: in use by {who}; one process writes a run dir at a time "
                        "(wait for it to end, or use another --work-dir)"
                    ) from None
                time.sleep(0.05)
        self._fd = fd
        self.taken_over = _read_holder(fd)  # the caller says so where its user reads it
        self.note()
        return self

    def note(self, run_id: str = "", model_id: str = "") -> None:
        """Write who holds the lock (once the run's id is known, with it)."""
        if self._fd is None:
            return
        self.holder = Holder(os.getpid(), socket.gethostname(), self.holder.since if self.holder else time.time(),
                             run_id, model_id)
        data = (json.dumps(attrs.asdict(self.holder)) + "\n").encode("utf-8")
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)

    def release(self) -> None:
        if self._fd is None or fcntl is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)  # empty: released cleanly (a holder named while unlocked = a dead writer)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> RunDirLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def writer_alive(run_dir: str | os.PathLike[str], run_id: str = "") -> bool | None:
    """Whether a live process writes `run_dir` (for `run_id`, when given and recorded).

    None: cannot tell (no lock file: a run dir from before locks, or on another machine).
    """
    if fcntl is None:
        return None
    try:
        fd = os.open(Path(run_dir) / LOCK_FILE, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        holder = _read_holder(fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:  # held by a live process: this run's writer unless it names another run
            return not (run_id and holder is not None and holder.run_id and holder.run_id != run_id)
        except OSError:
            return None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def reader_status(run: RunInfo) -> str:
    """The status a reader shows: a run recorded as `running` whose writer is gone is `interrupted`."""
    return reader_status_of(run.status, run.work_dir, run.run_id)


def reader_status_of(status: str, work_dir: str, run_id: str) -> str:
    """`reader_status` of a stored run's fields (a store's row)."""
    if status != "running" or not work_dir:
        return status
    return INTERRUPTED if writer_alive(work_dir, run_id) is False else status


__all__ = ["INTERRUPTED", "LOCK_FILE", "Holder", "RunDirBusyError", "RunDirLock", "reader_status", "reader_status_of", "writer_alive"]
