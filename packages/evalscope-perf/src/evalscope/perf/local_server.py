"""``--api local``: start `evalscope serve` for the model, wait until ready, stop it after."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

from evalscope.perf.mock_server import free_port


class LocalServer:
    """Context manager around an ``evalscope serve`` subprocess on 127.0.0.1."""

    def __init__(self, model: str, port: int | None = None, startup_timeout: float = 600.0, extra: list[str] | None = None) -> None:
        self.model = model
        self.port = port or free_port()
        self.startup_timeout = startup_timeout
        self.extra = extra or []
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LocalServer:
        cmd = [sys.executable, "-m", "evalscope.cli.main", "serve", "--model", self.model,
               "--host", "127.0.0.1", "--port", str(self.port), *self.extra]
        self.proc = subprocess.Popen(cmd, start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"`evalscope serve` exited with code {self.proc.returncode} before it was ready")
            try:
                urllib.request.urlopen(self.base_url + "/v1/models", timeout=2).read()
                return self
            except OSError:
                time.sleep(0.25)
        self.__exit__(None, None, None)
        raise RuntimeError(f"`evalscope serve` not ready after {self.startup_timeout:.0f} s")

    def __exit__(self, *exc: object) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the server and nothing else
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
