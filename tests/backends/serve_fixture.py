"""Helpers for the OpenAI adapter and `evalscope serve` tests.

- `serve_server`: a session-wide real `evalscope serve` subprocess (SmolLM2-135M) on 127.0.0.1,
  started once even when several test modules import the fixture; its log goes to a file so
  tests can inspect what the server received (``--log-level debug`` logs each request's config).
- `local_app`: run an in-test aiohttp app (fault/capture servers) on 127.0.0.1:<free port>.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import attrs
import pytest

SERVE_MODEL = "smollm2-135m-instruct"
READY_TIMEOUT_S = float(os.environ.get("EVALSCOPE_SERVE_READY_TIMEOUT", "600"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@attrs.define
class ServeProcess:
    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_serve(*extra: str, module: str = "evalscope.cli.main", batch_size: int = 4) -> ServeProcess:
    """Start `evalscope serve` on a free loopback port and wait until /v1/models answers."""
    port = free_port()
    log_path = Path(tempfile.mkstemp(prefix="evalscope-serve-", suffix=".log")[1])
    cmd = [sys.executable, "-m", module, "serve", "--model", SERVE_MODEL, "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--batch-size", str(batch_size), "--log-level", "debug", *extra]
    log_file = open(log_path, "wb")  # noqa: SIM115 - owned by the subprocess until stop()
    process = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT)
    server = ServeProcess(process, port, log_path)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"evalscope serve exited with {process.returncode}:\n{server.log_text()[-4000:]}"
            )
        try:
            with urllib.request.urlopen(f"{server.base_url}/models", timeout=2) as response:
                if json.load(response)["data"]:
                    return server
        except OSError:
            time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"evalscope serve not ready after {READY_TIMEOUT_S}s:\n{server.log_text()[-4000:]}")


_SHARED: dict[str, ServeProcess] = {}


@pytest.fixture(scope="session")
def serve_server(request: pytest.FixtureRequest) -> ServeProcess:
    """One real server for the whole session (shared across modules importing this fixture)."""
    if "server" not in _SHARED:
        server = start_serve()
        _SHARED["server"] = server

        def stop() -> None:
            _SHARED.pop("server", None)
            server.stop()

        request.config.add_cleanup(stop)
    return _SHARED["server"]


@contextlib.asynccontextmanager
async def local_app(app) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """Serve an aiohttp app on 127.0.0.1:<free port>; yields its base URL (``.../v1``)."""
    from aiohttp import web

    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        await runner.cleanup()


def sse_events(raw: bytes) -> list[str]:
    """The `data:` payloads of an SSE body, in order."""
    return [line[len("data: ") :] for line in raw.decode("utf-8").split("\n\n") if line.startswith("data: ")]
