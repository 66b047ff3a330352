"""The terminal dashboard driven by Textual's pilot: browsing real runs with the keyboard, the live
view of a real evaluation in this process and of one started elsewhere, and text snapshots."""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from evalscope.core.events import RunFinished, RunStarted, SampleFinished, TaskFinished, TaskStarted
from evalscope.viz.data.catalog import Catalog
from evalscope.viz.tui.app import eval_app, follow_app, pick_followed
from evalscope.viz.tui.browse import BrowseApp
from evalscope.viz.tui.live import LiveEvalApp
from evalscope.viz.tui.state import EvalLiveState
from tests.viz.conftest import REPLY_A, mock_task, report_json, review_lines

SNAPSHOTS = Path(__file__).parent / "snapshots"
SIZE = (120, 32)


def screen_text(app) -> str:
    """What the terminal shows, as plain text (the same render as Textual's SVG screenshot)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=False, record=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


def check_snapshot(name: str, text: str) -> None:
    """Compare with tests/viz/snapshots/<name>.txt (EVALSCOPE_UPDATE_SNAPSHOTS=1 rewrites it)."""
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("EVALSCOPE_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
        if os.environ.get("EVALSCOPE_UPDATE_SNAPSHOTS") != "1":
            pytest.fail(f"snapshot {path.name} was missing and has been written; check it and rerun")
    assert text == path.read_text(encoding="utf-8").rstrip("\n")


def run(coro):
    return asyncio.run(coro)


def scores_of(run_dir, dataset):
    return {
        str(line["sample_id"]): next(iter(line["choices"][0]["review"]["result"].values()))
        for line in review_lines(run_dir, dataset)
    }


def sample_rows(app) -> list[list[str]]:
    table = app.screen.query_one("#samples")
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


# -- browsing -----------------------------------------------------------------------------------


def test_browse_reports_filters_search_and_datasets(eval_outputs):
    async def scenario():
        app = BrowseApp(Catalog(eval_outputs.root))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = app.screen
            assert screen.sub_title == "run-b@mock-b"  # the newest run opens first
            reports = screen.query_one("#reports")
            first = [str(c) for c in reports.get_row_at(0)]
            # Dataset Name, Subset Name, Num, Score first (they fit an 80-column terminal), Model Name last
            score = f"{report_json(eval_outputs.run_b, 'gsm8k')['score']:.4f}"
            assert first[:4] == ["gsm8k", "main", "6", score]
            assert first[-1] == "mock-b"

            await pilot.press("up")  # the older run
            await pilot.pause()
            assert screen.sub_title == "run-a@mock-a"
            scores = scores_of(eval_outputs.run_a, "gsm8k")

            await pilot.press("f", "f")  # all -> pass -> fail
            await pilot.pause()
            assert screen.filter == "fail"
            rows = sample_rows(app)
            assert {r[0] for r in rows} == {s for s, v in scores.items() if v < 1.0}
            assert {r[1] for r in rows} == {"fail"}
            detail = str(screen.query_one("#detail").render())
            assert "── Raw output\n" + REPLY_A in detail and "── Extracted answer\n18" in detail

            await pilot.press("down")
            await pilot.pause()
            assert f"#{rows[1][0]} " in str(screen.query_one("#detail").render())

            await pilot.press("f", "f")  # -> error -> all
            await pilot.press("slash")
            await pilot.press(*"ducks", "enter")
            await pilot.pause()
            assert [r[0] for r in sample_rows(app)] == [s for s, v in scores.items() if v == 1.0]

            await pilot.press("slash", "end", "ctrl+u", "enter")  # clear the search
            await pilot.press("d", "d")  # gsm8k -> arc -> math_500 (30 samples: two pages of 20)
            await pilot.pause()
            assert screen.dataset == "math_500" and len(sample_rows(app)) == 20
            await pilot.press("n")
            await pilot.pause()
            assert len(sample_rows(app)) == 10 and "page 2/2" in str(screen.query_one("#page-label").render())

    run(scenario())


def test_browse_snapshot(eval_outputs):
    async def scenario():
        app = BrowseApp(Catalog(eval_outputs.root))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("up", "f", "f")
            await pilot.pause()
            check_snapshot("browse_fail_filter", screen_text(app))

    run(scenario())


def test_browse_reports_tab_shows_each_datasets_timing_line(eval_outputs, tmp_path):
    """Under the score table, what each dataset's run cost (its report's timing block); nothing for a
    run whose reports were written before the block (`timing: null`)."""
    import json
    import shutil

    old = tmp_path / "outputs" / "old"
    shutil.copytree(eval_outputs.run_a, old)
    for path in (old / "reports").glob("*/*.json"):
        report = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps({**report, "timing": None}), encoding="utf-8")

    async def reports_tab(root) -> str:
        app = BrowseApp(Catalog(root))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            return screen_text(app)

    timed = run(reports_tab(eval_outputs.root))  # run-b, the newest, opens
    for dataset in ("gsm8k", "arc", "math_500"):
        inferred = report_json(eval_outputs.run_b, dataset)["timing"]["inferred"]
        pattern = rf"{dataset}: {inferred} inferred · [\d.]+ samples/s · client CPU \d+\.\d\d ms/sample"
        assert re.search(pattern, timed), timed
    older = run(reports_tab(old.parent))
    assert "gsm8k" in older and "inferred" not in older and "samples/s" not in older, older


# -- live view ----------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def scripted_state() -> EvalLiveState:
    clock = Clock()
    state = EvalLiveState(clock=clock)
    state.apply(RunStarted("r1", "outputs/20260101_000000", "smollm2", ("gsm8k", "arc", "mmlu")))
    state.apply(TaskStarted("gsm8k", total=8, cached=0, output_type="generation"))
    for i in range(8):
        clock.now += 0.5
        state.apply(SampleFinished("gsm8k", "main", str(i), ok=True, score=float(i % 2), output_tokens=40))
    state.apply(TaskFinished("gsm8k", 8))
    state.apply(TaskStarted("arc", total=20, cached=5, output_type="multiple_choice"))
    for i in range(5):
        state.apply(SampleFinished("arc", "ARC-Easy", f"c{i}", ok=True, cached=True, score=1.0))
    for i in range(6):
        clock.now += 0.25
        status = "error" if i == 3 else "scored"
        state.apply(
            SampleFinished(
                "arc", "ARC-Easy", str(i), ok=status == "scored", status=status, score=None if i == 3 else 0.0
            )
        )
    return state


def test_live_view_snapshot_running_and_finished():
    async def scenario():
        state = scripted_state()
        app = LiveEvalApp(state)
        async with app.run_test(size=(120, 12)) as pilot:
            await pilot.pause()
            check_snapshot("live_running", screen_text(app))
            state.clock.now += 2
            state.apply(
                RunFinished("r1", "outputs/20260101_000000", ok=False, message="arc: 1 sample(s) failed")
            )
            app.show()
            await pilot.pause()
            check_snapshot("live_finished", screen_text(app))

    run(scenario())


def test_live_view_of_a_real_evaluation(eval_outputs, dataset_dir, tmp_path):
    from evalscope.run import run_task

    cfg = mock_task(
        tmp_path / "live", "mock-live", REPLY_A, ["gsm8k", "arc"], limit=8, dataset_dir=str(dataset_dir)
    )
    cfg["model_args"]["delay"] = 0.05

    async def scenario():
        app, job = eval_app(lambda sink: run_task(cfg, sink=sink, print_table=False))
        seen_running = False
        async with app.run_test(size=SIZE) as pilot:
            deadline = time.monotonic() + 120
            while not job.done.is_set() and time.monotonic() < deadline:
                await pilot.pause(0.1)
                text = screen_text(app)
                if "running ·" in text and "gsm8k" in text:
                    seen_running = True
            await pilot.pause(0.5)
            assert job.error is None
            text = screen_text(app)
            assert "finished in" in text
            for dataset in ("gsm8k", "arc"):
                row = next(line for line in text.splitlines() if line.strip().startswith(dataset))
                ds = app.state.datasets[dataset]
                assert f"{ds.done}/{ds.total}" in row and ds.total == job.result[dataset].stats.total
                assert (
                    f"{job.result[dataset].score:.4f}" in row
                )  # the running score ends at the report's score
            await pilot.press("b")  # browse what was just written
            await pilot.pause(0.5)
            assert app.screen.sub_title.endswith("@mock-live")
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen.query_one("#progress"), object) and "finished in" in screen_text(app)
        assert seen_running

    run(scenario())


@pytest.mark.slow
def test_following_a_run_started_elsewhere(dataset_dir, tmp_path):
    """`evalscope eval` in another process; the follower reads its store as it grows."""
    work = tmp_path / "elsewhere"
    exe = Path(sys.executable).with_name("evalscope")
    proc = subprocess.Popen(
        [
            str(exe),
            "eval",
            "--model",
            "mock",
            "--model-id",
            "mock-far",
            "--eval-type",
            "mock",
            "--model-args",
            '{"reply": "The answer is 18.", "delay": 0.3}',
            "--datasets",
            "gsm8k",
            "arc",
            "--limit",
            "6",
            "--work-dir",
            str(work),
            "--no-timestamp",
            "--dataset-dir",
            str(dataset_dir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (work / "run.json").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        catalog = Catalog(work)
        entry = pick_followed(catalog, None)
        assert entry is not None and entry.info.status == "running"

        async def scenario():
            app = follow_app(catalog, entry, interval=0.2)
            counts, frames = [], []
            async with app.run_test(size=SIZE) as pilot:
                end = time.monotonic() + 120
                while app.state.finished is None and time.monotonic() < end:
                    await pilot.pause(0.2)
                    counts.append(sum(d.done for d in app.state.datasets.values()))
                    shown = screen_text(app)
                    # the reports written by now (so none of the others existed when the frame was taken)
                    reported = {p.stem for p in work.glob("reports/*/*.json")}
                    frames.append((shown, reported))
                await pilot.pause(0.5)
                text = screen_text(app)
            return app.state, counts, frames, text

        state, counts, frames, text = run(scenario())
    finally:
        proc.wait(120)
    assert proc.returncode == 0
    assert state.ok is True and "finished in" in text
    assert len(set(counts)) > 2  # it saw the run grow, not only its end
    # the planned totals (RunInfo.planned) are shown while a dataset runs, before its report exists
    assert not any("/?" in shown for shown, _ in frames)
    running = []
    for dataset, total in (("gsm8k", 6), ("arc", 12)):
        for shown, reported in frames:
            row = next((line for line in shown.splitlines() if line.strip().startswith(dataset)), "")
            done = re.search(rf"\b(\d+)/{total}\b", row)
            if dataset not in reported and done and 0 < int(done.group(1)) < total:
                running.append(row)
    assert {r.strip().split()[0] for r in running} == {"gsm8k", "arc"}, running
    assert any(re.search(r"\b\d+:\d\d\b", row) for row in running), running  # an ETA from rate and total
    for dataset, total in (("gsm8k", 6), ("arc", 12)):
        ds = state.datasets[dataset]
        assert (ds.done, ds.total) == (total, total)
        assert ds.running_score == pytest.approx(report_json(work, dataset)["score"], abs=1e-4)
