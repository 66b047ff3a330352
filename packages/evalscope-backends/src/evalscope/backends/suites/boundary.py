"""The process boundary between an adapter (main env) and its worker (inside a managed env).

The adapter writes a `WorkerRequest` (cattrs-unstructured JSON) into a private temp folder, runs
`<env>/bin/python -m <worker module> request.json response.json` with the run's own working folder
as cwd, copies the worker's stdout and stderr (secrets masked) into `logs/<suite>_worker.log` of
the run, and reads back a `WorkerResponse` holding our `SuiteRun` records.

A worker reports a bad `eval_config` as `error_kind="config"` (the adapter raises ConfigError: one
line naming the key or file), a suite that does not import as `unavailable` (SuiteUnavailableError
naming the install command) and anything else as `failed`. A worker that dies without answering, or
runs past its timeout, is an error quoting the tail of its log.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from evalscope.core.suites import SuiteRun, SuiteUnavailableError

#: seconds a worker may run (env EVALSCOPE_SUITE_TIMEOUT overrides; 0 or "none": no limit)
DEFAULT_TIMEOUT_S = 6 * 3600.0
TIMEOUT_ENV = "EVALSCOPE_SUITE_TIMEOUT"
#: lines of the worker's log quoted in an error
TAIL_LINES = 25


def user_path(path: str) -> str:
    """A path from the user's eval_config, absolute: it was checked against the user's working
    directory, and the worker runs with the run's folder as cwd, where a relative one points elsewhere."""
    return str(Path(path).expanduser().resolve())


@attrs.define
class WorkerRequest:
    """What a worker needs: the suite's name, the run's task settings, its eval_config, where to write."""

    suite: str
    task: dict[str, Any]
    eval_config: dict[str, Any]
    run_dir: str
    model_id: str = ""
    #: adapter-prepared values the worker should not recompute (resolved paths, URLs)
    options: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class WorkerResponse:
    ok: bool
    run: SuiteRun | None = None
    error: str | None = None
    #: config | unavailable | failed
    error_kind: str = ""


class WorkerConfigError(ValueError):
    """Raised inside a worker for a bad eval_config; crosses the boundary as a ConfigError."""


class SuiteRunError(RuntimeError):
    """The worker failed, died or timed out; the message quotes its log."""


def default_timeout() -> float | None:
    raw = os.environ.get(TIMEOUT_ENV, "").strip().lower()
    if not raw:
        return DEFAULT_TIMEOUT_S
    if raw in {"0", "none", "off"}:
        return None
    return float(raw)


def _mask(line: str, secrets: list[str]) -> str:
    for secret in secrets:
        line = line.replace(secret, "***")
    return line


def call_worker(
    *,
    python: Path,
    module: str,
    request: WorkerRequest,
    log_path: Path,
    cwd: Path,
    secrets: list[str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
    install_command: str = "",
) -> SuiteRun:
    """Run `module` under `python` on `request`; return its SuiteRun or raise a clear error."""
    from evalscope.core.serialization import ConfigError, structure, unstructure

    masked = [s for s in (secrets or []) if s and len(s) >= 4 and s != "EMPTY"]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    cwd.mkdir(parents=True, exist_ok=True)
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    with tempfile.TemporaryDirectory(prefix="evalscope-worker-") as tmp:  # 0700: may hold an API key
        request_path, response_path = Path(tmp) / "request.json", Path(tmp) / "response.json"
        request_path.write_text(json.dumps(unstructure(request), ensure_ascii=False), encoding="utf-8")
        cmd = [str(python), "-m", module, str(request_path), str(response_path)]
        child_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        child_env.pop("PYTHONPATH", None)  # the main env's paths must not leak into the suite's
        started = time.monotonic()
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(f"$ {' '.join(cmd)}  (cwd {cwd})\n")
            log.flush()
            process = subprocess.Popen(
                cmd, cwd=cwd, env=child_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace", bufsize=1,
            )

            def pump() -> None:
                assert process.stdout is not None
                for line in process.stdout:
                    clean = _mask(line, masked)
                    log.write(clean)
                    log.flush()
                    tail.append(clean.rstrip("\n"))

            reader = threading.Thread(target=pump, name=f"{request.suite}-worker-log", daemon=True)
            reader.start()
            try:
                returncode = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                reader.join(timeout=5)
                raise SuiteRunError(
                    f"{request.suite}: the worker ran past its timeout of {timeout:.0f} s (env {TIMEOUT_ENV}) "
                    f"and was stopped; log: {log_path}\n" + "\n".join(tail)
                ) from None
            finally:
                if process.poll() is None:  # interrupted (Ctrl-C): do not leave the worker running
                    process.kill()
                    process.wait()
            reader.join(timeout=30)
            log.write(f"# worker exit {returncode} after {time.monotonic() - started:.1f} s\n")
        if not response_path.is_file():
            raise SuiteRunError(
                f"{request.suite}: the worker exited with {returncode} without an answer; log: {log_path}\n"
                + "\n".join(tail)
            )
        response = structure(json.loads(response_path.read_text(encoding="utf-8")), WorkerResponse)
    if response.ok and response.run is not None:
        return response.run
    from evalscope.core.serialization import short_message

    message = short_message(response.error or "the worker failed without a message")
    if response.error_kind == "config":
        raise ConfigError(message)
    if response.error_kind == "unavailable":
        hint = f"; reinstall it with: {install_command} --force" if install_command else ""
        raise SuiteUnavailableError(f"{request.suite}: the suite does not import in its environment ({message}){hint}")
    raise SuiteRunError(f"{request.suite}: {message}; log: {log_path}\n" + "\n".join(tail))


# -- worker side -----------------------------------------------------------------------------------

Handler = Callable[[WorkerRequest], SuiteRun]


def worker_main(handler: Handler, argv: list[str] | None = None) -> int:
    """Entry of a worker module: read the request, run `handler`, write the response (always, when
    it can), exit 0 on success and 1 otherwise."""
    from evalscope.core.serialization import ConfigError, structure, unstructure

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m <worker> request.json response.json", file=sys.stderr)
        return 2
    request_path, response_path = Path(args[0]), Path(args[1])
    request = structure(json.loads(request_path.read_text(encoding="utf-8")), WorkerRequest)
    try:
        response = WorkerResponse(ok=True, run=handler(request))
    except (WorkerConfigError, ConfigError) as exc:
        response = WorkerResponse(ok=False, error=str(exc), error_kind="config")
    except ImportError as exc:
        traceback.print_exc()
        response = WorkerResponse(ok=False, error=f"{type(exc).__name__}: {exc}", error_kind="unavailable")
    except Exception as exc:  # noqa: BLE001 - every failure crosses the boundary as a message
        traceback.print_exc()
        response = WorkerResponse(ok=False, error=f"{type(exc).__name__}: {exc}", error_kind="failed")
    sys.stdout.flush()
    partial = response_path.with_suffix(".partial")
    partial.write_text(json.dumps(unstructure(response), ensure_ascii=False), encoding="utf-8")
    os.replace(partial, response_path)
    return 0 if response.ok else 1
