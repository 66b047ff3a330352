"""The sandbox's guarantees, checked against the real kernel (no mocks)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from evalscope.core.sandbox import SandboxJob, run_many, run_sandboxed

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/ns/net"), reason="Linux only")


def _procs_with(marker: str) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmd = Path(f"/proc/{entry.name}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmd:
            found.append(int(entry.name))
    return found


def test_runs_code_and_captures_output():
    r = run_sandboxed("import sys\nprint('out')\nprint('err', file=sys.stderr)\n", timeout=10)
    assert r.status == "passed", r
    assert r.stdout == "out\n" and r.stderr == "err\n"
    assert r.exit_code == 0 and r.isolation in {"namespaces", "userns"}


def test_failure_and_exit_code():
    r = run_sandboxed("assert 1 == 2, 'nope'", timeout=10)
    assert r.status == "failed" and r.exit_code == 1
    assert "AssertionError: nope" in r.stderr


def test_runs_in_a_separate_process_with_scrubbed_env(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-should-not-leak")
    monkeypatch.setenv("EVALSCOPE_TOKEN", "tok-secret")
    code = "import os, json\nprint(json.dumps({'pid': os.getpid(), 'uid': os.getuid(), 'env': dict(os.environ)}))"
    r = run_sandboxed(code, timeout=10)
    assert r.status == "passed", r
    assert "sk-secret" not in r.stdout and "tok-secret" not in r.stdout
    import json

    info = json.loads(r.stdout)
    assert info["pid"] != os.getpid()
    assert set(info["env"]) <= {"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "PYTHONIOENCODING"}
    if os.geteuid() == 0:
        assert info["uid"] != 0


def test_cannot_connect_to_a_loopback_server():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(0.5)
    port = srv.getsockname()[1]
    code = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)\nprint('CONNECTED')"
    try:
        # The same client code reaches the server from an ordinary process (so the check can fail).
        plain = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=10)
        assert "CONNECTED" in plain.stdout
        srv.accept()[0].close()
        r = run_sandboxed(code, timeout=10)
        with pytest.raises(TimeoutError):
            srv.accept()  # nothing arrived from the sandbox
    finally:
        srv.close()
    assert r.status == "failed", r
    assert "CONNECTED" not in r.stdout
    assert "Network is unreachable" in r.stderr


@pytest.mark.parametrize("target", ["/tmp", "REPO", "/dev/shm", "/var/tmp"])
def test_cannot_write_outside_its_directory(target):
    if target == "REPO":
        target = str(Path(__file__).resolve().parents[2])
    path = f"{target}/evalscope-sbx-escape-{uuid.uuid4().hex}"
    code = f"open({path!r}, 'w').write('x')\nprint('WROTE')"
    r = run_sandboxed(code, timeout=10)
    assert r.status == "failed", r
    assert not os.path.exists(path)
    assert "WROTE" not in r.stdout


def test_can_write_inside_and_files_are_provided():
    code = "import os\nopen('out.txt', 'w').write(open('data/in.txt').read() * 2)\nprint(open('out.txt').read())"
    r = run_sandboxed(code, timeout=10, files={"data/in.txt": "ab"})
    assert r.status == "passed", r
    assert r.stdout.strip() == "abab"


def test_workdir_is_removed_afterwards():
    r = run_sandboxed("import os; print(os.getcwd())", timeout=10)
    assert r.status == "passed"
    assert not os.path.exists(os.path.dirname(r.stdout.strip()))


def test_timeout_kills_every_descendant():
    marker = f"evalscope-sbx-sleeper-{uuid.uuid4().hex}"
    code = (
        "import os, subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(1000)', {marker!r}])\n"
        "if os.fork() == 0:\n"  # a second, daemonised grandchild that escapes the process group
        "    os.setsid()\n"
        f"    os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(1000)', {marker!r}])\n"
        "while True:\n"
        "    pass\n"
    )
    seen: list[int] = []
    box: list[object] = []
    t = threading.Thread(target=lambda: box.append(run_sandboxed(code, timeout=2.5)))
    t.start()
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and len(seen) < 2:
        seen = _procs_with(marker)
        time.sleep(0.05)
    t.join()
    (r,) = box
    assert len(seen) == 2, "the sleepers never started, so this test proves nothing"
    assert r.status == "timeout", r
    assert r.duration_s < 20  # the 2.5 s timeout plus the kill; the sleepers would hold it for 1000 s
    time.sleep(0.1)
    assert _procs_with(marker) == []
    for pid in seen:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_background_process_does_not_outlive_a_finished_program():
    marker = f"evalscope-sbx-daemon-{uuid.uuid4().hex}"
    code = (
        "import os, sys\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        f"    os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(1000)', {marker!r}])\n"
        "print('parent done')\n"
    )
    r = run_sandboxed(code, timeout=10)
    assert r.status == "passed", r
    time.sleep(0.1)
    assert _procs_with(marker) == []


def test_memory_limit_stops_a_big_allocation():
    r = run_sandboxed("x = bytearray(2 * 1024**3)\nprint('ALLOCATED')", timeout=10, memory_mb=256)
    assert r.status == "failed" and r.reason == "memory limit", r
    assert "ALLOCATED" not in r.stdout
    ok = run_sandboxed("x = bytearray(32 * 1024**2)\nprint('ALLOCATED')", timeout=10, memory_mb=256)
    assert ok.status == "passed" and "ALLOCATED" in ok.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="RLIMIT_NPROC is only per-sandbox with a private uid")
def test_process_limit_stops_a_fork_bomb():
    code = (
        "import os, time\n"
        "n = 0\n"
        "try:\n"
        "    for _ in range(500):\n"
        "        if os.fork() == 0:\n"
        "            time.sleep(30); os._exit(0)\n"
        "        n += 1\n"
        "except OSError as exc:\n"
        "    print('LIMITED', n, exc)\n"
    )
    r = run_sandboxed(code, timeout=10, max_processes=16)
    assert "LIMITED" in r.stdout, r
    assert int(r.stdout.split()[1]) < 16


def test_cannot_read_root_only_files():
    if os.geteuid() != 0:
        pytest.skip("needs root to create a root-only file")
    secret = Path(f"/tmp/evalscope-sbx-secret-{uuid.uuid4().hex}")
    secret.write_text("top secret")
    secret.chmod(0o600)
    try:
        r = run_sandboxed(f"print(open({str(secret)!r}).read())", timeout=10)
    finally:
        secret.unlink()
    assert r.status == "failed" and "top secret" not in r.stdout
    assert "Permission denied" in r.stderr


def test_run_many_keeps_order_and_bounds_concurrency():
    code = "import time, os\ntime.sleep(0.3)\nprint({i})"
    jobs = [SandboxJob(code=code.format(i=i), timeout=10) for i in range(6)]
    t0 = time.monotonic()
    results = run_many(jobs, workers=3)
    elapsed = time.monotonic() - t0
    assert [r.stdout.strip() for r in results] == [str(i) for i in range(6)]
    assert all(r.status == "passed" for r in results)
    assert elapsed >= 0.6  # 6 jobs of 0.3 s with 3 at a time take at least two rounds
