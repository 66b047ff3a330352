"""`evalscope eval ... --tui` in a real terminal (tmux): the screen is read while the run goes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def screen(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session)


def wait_for(session: str, predicate, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = screen(session)
        if predicate(text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"timed out; the screen shows:\n{text}")


def test_eval_tui_in_tmux(tmp_path, dataset_dir):
    if shutil.which("tmux") is None:
        pytest.fail("tmux is missing: apt-get install -y tmux (scripts/install_dev.sh does)")
    exe = Path(sys.executable).with_name("evalscope")
    work, status = tmp_path / "run", tmp_path / "status"
    command = (  # COLUMNS/LINES of this process would pin the app to 80x24: the pane's size rules
        f"env -u COLUMNS -u LINES {exe} eval --model mock --model-id mock-tmux --eval-type mock "
        '--model-args \'{"reply": "The answer is 18.", "delay": 0.15}\' '
        f"--datasets gsm8k arc --limit 8 --work-dir {work} --no-timestamp --dataset-dir {dataset_dir} --tui; "
        f"echo $? > {status}; sleep 600"
    )
    session = f"evalscope-{uuid.uuid4().hex[:8]}"
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "30", command)
    try:
        running = wait_for(session, lambda s: "running ·" in s and "░" in s)
        assert "evalscope eval" in running and "Dataset" in running and "Samples/s" in running
        gsm8k = next(line for line in running.splitlines() if line.strip().startswith("gsm8k"))
        assert "/8" in gsm8k  # a progress bar with its total, while samples are still coming

        # the screen is redrawn in pieces: wait until the finished rows are all there
        done = wait_for(
            session, lambda s: "finished in" in s and re.search(r"arc .*16/16 .*done", s) is not None
        )
        assert re.search(r"gsm8k .*8/8 .*done", done)

        tmux("send-keys", "-t", session, "q")
        after = wait_for(session, lambda s: "Outputs:" in s, timeout=30)
        assert "| Model Name" in after and "mock-tmux" in after  # the score table, as without --tui
        deadline = time.monotonic() + 10
        while not status.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert status.read_text().strip() == "0"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def test_perf_tui_in_tmux(tmp_path):
    """`evalscope perf ... --tui` against the mock streaming server: live requests, req/s and
    percentiles while it runs, the self-check verdict per run, the summary tables after `q`."""
    from evalscope.perf.mock_server import MockServerProcess

    exe = Path(sys.executable).with_name("evalscope")
    status = tmp_path / "status"
    session = f"evalscope-{uuid.uuid4().hex[:8]}"
    with MockServerProcess(ttft_ms=40, itl_ms=10, tokens=20) as server:
        command = (
            f"env -u COLUMNS -u LINES {exe} perf --model mock --api-url {server.base_url} --parallel 1 2 --number 24 "
            f"--prompt hi --max-tokens 20 --sleep-interval 0 --num-workers 1 --outputs-dir {tmp_path / 'out'} --tui; "
            f"echo $? > {status}; sleep 600"
        )
        tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "30", command)
        try:
            running = wait_for(
                session,
                lambda s: re.search(r"requests ([1-9]|1\d|2[0-3])/24", s) is not None and "TTFT (ms)" in s,
            )
            assert "running parallel_" in running and "req/s" in running
            done = wait_for(session, lambda s: "finished ·" in s and "parallel_2_number_24:" in s)
            assert "parallel_1_number_24:" in done  # one self-check verdict per run
            tmux("send-keys", "-t", session, "q")
            after = wait_for(session, lambda s: "outputs:" in s, timeout=30)
            assert "client self-check" in after
            deadline = time.monotonic() + 10
            while not status.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert status.read_text().strip() == "0"
        finally:
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    runs = sorted((tmp_path / "out").glob("*/mock/*/run.json"))
    assert len(runs) == 2
