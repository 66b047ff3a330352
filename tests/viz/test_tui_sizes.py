"""Every view of the terminal dashboard at 80×24 (the smallest usual terminal) and 120×40: what a user
needs from each view is on screen, read from the rendered text (Textual's pilot), and once in tmux."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from evalscope.viz.data.catalog import Catalog
from evalscope.viz.tui.browse import BrowseApp
from evalscope.viz.tui.live import LiveEvalApp
from evalscope.viz.tui.perf_live import PerfLiveApp, RequestDone
from evalscope.viz.tui.state import PerfLiveState
from tests.viz.conftest import report_json
from tests.viz.test_tui_pilot import screen_text, scripted_state

SIZES = [(80, 24), (120, 40)]


def line_with(text: str, *words: str) -> str:
    """The first screen line holding every word (empty when none does)."""
    return next((line for line in text.splitlines() if all(w in line for w in words)), "")


def render(app, *keys: str) -> str:
    async def scenario() -> str:
        async with app.run_test(size=app_size) as pilot:
            await pilot.pause()
            if keys:
                await pilot.press(*keys)
                await pilot.pause()
            return screen_text(app)

    app_size = app.test_size
    return asyncio.run(scenario())


def sized(app, size: tuple[int, int]):
    app.test_size = size
    return app


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_runs_list_and_reports(eval_outputs, size):
    text = render(sized(BrowseApp(Catalog(eval_outputs.root)), size))
    for label in ("run-judged@mock-j", "run-a@mock-a", "run-b@mock-b"):
        assert label in text, text
    header = line_with(text, "Dataset", "Num", "Score")
    assert header, text
    # the newest run is open: each dataset's OVERALL/only row shows its Num and Score on screen
    for dataset in ("gsm8k", "arc"):
        score = f"{report_json(eval_outputs.run_b, dataset)['score']:.4f}"
        assert line_with(text, dataset, score), text
    assert line_with(text, "q", "Quit"), text


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_samples_list(eval_outputs, size):
    # f: the samples tab (filter pass); d d: math_500, whose 30 samples fill two pages
    text = render(sized(BrowseApp(Catalog(eval_outputs.root)), size), "f", "f", "f", "f", "d", "d")
    header = line_with(text, "Id", "Result", "Score", "Extracted", "Gold")
    assert header, text
    assert "page 1/2 · 30 samples" in text, text
    assert "dataset math_500" in text and "filter all" in text, text
    assert len([line for line in text.splitlines() if " pass " in line or " fail " in line]) >= 3, text
    assert line_with(text, "q", "Quit"), text


def test_resizing_the_terminal_keeps_the_samples_whole(eval_outputs):
    """Narrow and back: the runs list and the sample cells follow, no cell keeps a narrower width."""

    async def scenario() -> tuple[str, str]:
        app = BrowseApp(Catalog(eval_outputs.root))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("f")  # the samples tab, filter pass: every score is 1.0000
            await pilot.resize_terminal(80, 24)
            await pilot.pause(0.3)
            narrow = screen_text(app)
            await pilot.resize_terminal(120, 40)
            await pilot.pause(0.3)
            return narrow, screen_text(app)

    narrow, wide = asyncio.run(scenario())
    for text in (narrow, wide):
        assert line_with(text, "Result", "Score", "Extracted", "Gold") and "page 1/1" in text, text
        scores = re.findall(r" \d+ +pass +(\S+)", text)
        assert scores and set(scores) == {"1.0000"}, text
    assert line_with(narrow, "run-b@mock-b", "finished · 3 datasets"), narrow  # one line per run
    assert not line_with(wide, "run-b@mock-b", "finished · 3 datasets"), wide  # two lines per run


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_live_eval_view(size):
    text = render(sized(LiveEvalApp(scripted_state()), size))
    header = line_with(text, "Dataset", "Progress", "Score", "Errors", "Cached", "ETA")
    assert header, text
    arc = line_with(text, "arc", "11/20")
    assert arc and "0.5000" in arc and "0:02" in arc, text  # the running score and the ETA
    assert line_with(text, "gsm8k", "8/8", "done"), text
    assert line_with(text, "mmlu", "waiting"), text
    assert line_with(text, "q", "Quit") and "Browse" in text, text


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_perf_live_view(size):
    state = PerfLiveState(clock=lambda: 1.0)
    state.on_shape_started("parallel_16_number_1000", 1000)
    for _ in range(10):
        state.on_request(RequestDone(True, 0.05, 0.3, (0.01, 0.012)))
    app = sized(PerfLiveApp(state=state), size)
    app.finished.append(("parallel_8_number_500", True))
    text = render(app)
    assert line_with(text, "requests 10/1000", "failed 0", "req/s"), text
    assert line_with(text, "Metric", "p50", "p90", "p99"), text
    assert line_with(text, "TTFT (ms)", "50.00"), text
    assert line_with(text, "parallel_8_number_500:", "self-check"), text
    assert line_with(text, "q", "Quit"), text


# -- a real terminal ------------------------------------------------------------------------------


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def wait_for(session: str, predicate, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = tmux("capture-pane", "-p", "-t", session)
        if predicate(text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"timed out; the screen shows:\n{text}")


@pytest.mark.slow
def test_tui_of_a_run_in_an_80x24_terminal(eval_outputs, tmp_path):
    if shutil.which("tmux") is None:
        pytest.fail("tmux is missing: apt-get install -y tmux (scripts/install_dev.sh does)")
    exe = Path(sys.executable).with_name("evalscope")
    status = tmp_path / "status"
    command = f"env -u COLUMNS -u LINES {exe} tui {eval_outputs.run_a}; echo $? > {status}; sleep 600"
    session = f"evalscope-{uuid.uuid4().hex[:8]}"
    tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", command)
    try:
        score = f"{report_json(eval_outputs.run_a, 'gsm8k')['score']:.4f}"
        reports = wait_for(session, lambda s: line_with(s, "gsm8k", score) != "")
        assert line_with(reports, "Num", "Score") and line_with(reports, "q", "Quit"), reports
        tmux("send-keys", "-t", session, "f")
        samples = wait_for(session, lambda s: "page 1/1" in s)
        assert line_with(samples, "Result", "Score", "Extracted", "Gold"), samples
        assert line_with(samples, "q", "Quit"), samples
        tmux("send-keys", "-t", session, "q")
        deadline = time.monotonic() + 20
        while not status.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert status.read_text().strip() == "0"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
