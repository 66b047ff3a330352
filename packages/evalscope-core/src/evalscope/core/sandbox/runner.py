"""Run one untrusted Python program in a separate, isolated process (see the package docstring)."""

from __future__ import annotations

import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from evalscope.core.sandbox.types import SandboxJob, SandboxResult, SandboxStatus

_LAUNCHER = str(Path(__file__).with_name("_launcher.py"))
_PATH = "/usr/local/bin:/usr/bin:/bin"
# The program runs under ``python -I -S`` (no site: faster, nothing from site-packages); this
# bootstrap restores what site would add that programs use (exit/quit) and runs main.py as __main__.
_BOOTSTRAP = (
    "import builtins as _b, os as _o, sys as _s\n"
    "_b.exit = _b.quit = _s.exit\n"
    "_s.argv = ['main.py']\n"
    "_s.path.insert(0, _o.getcwd())\n"
    "__file__ = 'main.py'\n"
    "_f = open('main.py', 'rb')\n"
    "_c = compile(_f.read(), 'main.py', 'exec')\n"
    "_f.close()\n"
    "del _b, _o, _s, _f\n"
    "exec(_c)\n"
)
# Sandbox uids are drawn at random from a range no distribution hands out, so two concurrent runs
# (even from different evaluator processes) never share a uid and RLIMIT_NPROC counts one run only.
_UID_BASE = 1_600_000_000
_UID_SPAN = 100_000_000


def _interpreter() -> tuple[str, str]:
    """The real (non-venv) interpreter and its prefix; the program runs with the stdlib only (-I)."""
    return os.path.realpath(sys.executable), sys.base_prefix


def _tail(path: Path, limit: int) -> tuple[str, int]:
    size = path.stat().st_size
    with path.open("rb") as fh:
        if size > limit:
            fh.seek(size - limit)
        data = fh.read()
    return data.decode("utf-8", "replace"), size


def _kill_uid(uid: int) -> None:
    """Kill every process whose real uid is ``uid`` (fallback when there is no pid namespace)."""
    for _ in range(20):
        found = False
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/status") as fh:
                    uid_line = next(line for line in fh if line.startswith("Uid:"))
            except (OSError, StopIteration):
                continue
            if int(uid_line.split()[1]) == uid:
                found = True
                try:
                    os.kill(int(entry.name), signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if not found:
            return
        time.sleep(0.01)


def _parse_status(raw: str) -> dict[str, Any]:
    info: dict[str, Any] = {"isolation": "unknown", "error": None, "exit": None, "warning": None}
    for line in raw.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "isolation":
            info["isolation"] = rest
        elif kind == "error":
            info["error"] = rest
        elif kind == "warning":
            info["warning"] = rest
        elif kind == "exit":
            code, sig = rest.split()
            info["exit"] = (int(code), int(sig))
    return info


def _classify(info: dict[str, Any], timed_out: bool, stderr: str) -> tuple[SandboxStatus, str | None]:
    if info["error"]:
        return "error", info["error"]
    if timed_out:
        return "timeout", "wall-clock limit"
    if info["exit"] is None:
        return "error", "sandbox launcher died without a result"
    code, sig = info["exit"]
    if sig == signal.SIGXCPU:
        return "timeout", "cpu limit"
    if code == 0:
        return "passed", None
    if sig == signal.SIGXFSZ:
        return "failed", "file size limit"
    if "MemoryError" in stderr:
        return "failed", "memory limit"
    if code == 127 and "evalscope-sandbox: exec failed" in stderr:
        return "error", "exec failed"
    return "failed", f"signal {sig}" if sig else f"exit code {code}"


def run_job(job: SandboxJob) -> SandboxResult:
    """Run ``job`` to completion in a fresh sandbox and clean everything up."""
    host = Path(tempfile.mkdtemp(prefix="evalscope-sbx-"))
    as_root = os.geteuid() == 0
    uid = _UID_BASE + secrets.randbelow(_UID_SPAN) if as_root else os.getuid()
    gid = uid if as_root else os.getgid()
    start = time.monotonic()
    try:
        os.chmod(host, 0o711)  # the sandbox uid must traverse it to reach work/, but not list it
        work = host / "work"
        work.mkdir()
        (work / "main.py").write_text(job.code, encoding="utf-8")
        for rel, content in (job.files or {}).items():
            target = (work / rel).resolve()
            if work.resolve() not in target.parents:
                raise ValueError(f"sandbox file escapes the workdir: {rel!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode() if isinstance(content, str) else content)
        python, prefix = _interpreter()
        env = {"PATH": _PATH, "HOME": str(work), "TMPDIR": str(work), "LANG": "C.UTF-8",
               "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}
        read_fd, write_fd = os.pipe()
        cfg = {
            "workdir": str(work), "uid": uid, "gid": gid, "prefix": prefix, "status_fd": write_fd,
            "argv": [python, "-I", "-S", "-B", "-c", _BOOTSTRAP], "env": env, "tmpfs_mb": job.disk_mb,
            "require_isolation": job.require_isolation,
            "limits": {"memory_mb": job.memory_mb, "cpu_s": int(job.timeout) + 1, "file_mb": job.file_mb,
                       "nofile": 256, "nproc": job.max_processes if as_root else None},
        }
        out_path, err_path = host / "stdout", host / "stderr"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.Popen(
                [python, "-I", "-S", _LAUNCHER, json.dumps(cfg)], stdin=subprocess.DEVNULL, stdout=out,
                stderr=err, pass_fds=(write_fd,), start_new_session=True, env={"PATH": _PATH}, cwd=host,
            )
        os.close(write_fd)
        timed_out = not _wait_exit(proc, job.timeout)
        _kill_group(proc.pid)  # also on success: nothing the program started may outlive it
        proc.wait()
        with os.fdopen(read_fd, "rb") as fh:
            info = _parse_status(fh.read().decode("utf-8", "replace"))
        if as_root and info["isolation"] not in ("namespaces", "userns"):
            _kill_uid(uid)  # no pid namespace took the leftovers down with it
        duration = time.monotonic() - start
        stdout, _ = _tail(out_path, job.tail_bytes)
        stderr, _ = _tail(err_path, job.tail_bytes)
        status, reason = _classify(info, timed_out, stderr)
        code = info["exit"][0] if info["exit"] else None
        sig = info["exit"][1] if info["exit"] else None
        return SandboxResult(status=status, exit_code=code, signal=sig or None, stdout=stdout,
                             stderr=stderr, duration_s=duration, reason=reason,
                             isolation=info["isolation"])
    finally:
        shutil.rmtree(host, ignore_errors=True)


def _wait_exit(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait for the launcher to exit; False on timeout. A pidfd wakes us at once (Popen.wait polls)."""
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        try:
            proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    try:
        ready, _, _ = select.select([pidfd], [], [], timeout)
        return bool(ready)
    finally:
        os.close(pidfd)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_sandboxed(
    code: str,
    *,
    timeout: float,
    memory_mb: int = 512,
    max_processes: int = 64,
    files: dict[str, str | bytes] | None = None,
    require_isolation: bool = True,
) -> SandboxResult:
    """Run Python source ``code`` as ``main.py`` in a throwaway sandbox; see the package docstring."""
    return run_job(SandboxJob(code=code, timeout=timeout, memory_mb=memory_mb, max_processes=max_processes,
                              files=files, require_isolation=require_isolation))
