"""Value types of the sandbox: a job to run and its result."""

from __future__ import annotations

from typing import Literal

import attrs

SandboxStatus = Literal["passed", "failed", "timeout", "error"]


@attrs.frozen
class SandboxJob:
    """One program to run. ``files`` are extra files (relative path -> content) put next to main.py."""

    code: str
    timeout: float
    memory_mb: int = 512
    max_processes: int = 64
    files: dict[str, str | bytes] | None = None
    file_mb: int = 16
    disk_mb: int = 64
    tail_bytes: int = 8192
    require_isolation: bool = True


@attrs.frozen
class SandboxResult:
    """Outcome of one run.

    status: passed (exit 0), failed (non-zero exit, exception, memory/file limit), timeout (wall clock or
    CPU limit), error (the sandbox itself could not run the program). stdout/stderr are tails.
    """

    status: SandboxStatus
    exit_code: int | None
    signal: int | None
    stdout: str
    stderr: str
    duration_s: float
    reason: str | None = None
    isolation: str = "unknown"

    @property
    def passed(self) -> bool:
        return self.status == "passed"
