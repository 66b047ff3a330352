"""Refresh the README's screenshots (docs/images/) from real runs.

    .venv/bin/python packages/evalscope-viz/scripts/readme_screenshots.py [--outputs DIR] [--limit 3]

Runs SmolLM2-135M-Instruct on gsm8k and arc with our prompts, and on arc with EvalScope 0.12's
(`--prompt-style evalscope-0.12`), a perf sweep against the mock streaming server, an arena (SmolLM2
at temperature 0 and 0.8 judged by SmolLM2 behind `evalscope serve`; or a copy of an existing arena
run with --arena-run, e.g. the one of docs/arena.md), then opens `evalscope app` in headless Debian
Chromium and saves one screenshot per page, and the TUI's browse and live views as SVG. An existing
--outputs directory with those runs is reused.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[3]
IMAGES = ROOT / "docs" / "images"
EXE = Path(sys.executable).with_name("evalscope")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def evaluate(outputs: Path, name: str, datasets: list[str], limit: int, *extra: str) -> None:
    """One SmolLM2 run in outputs/<name>; an interrupted one is resumed (--use-cache)."""
    run_dir = outputs / name
    resume = ["--use-cache", str(run_dir)] if (run_dir / "run.json").exists() else []
    command = [str(EXE), "eval", "--model", "smollm2-135m-instruct", "--datasets", *datasets]
    command += ["--limit", str(limit), "--eval-batch-size", "8", "--generation-config", "max_tokens=160"]
    subprocess.run([*command, "--work-dir", str(run_dir), "--no-timestamp", *resume, *extra], check=True)


def perf(outputs: Path) -> None:
    if list(outputs.glob("*/mock-server/*/run.json")):
        return
    from evalscope.perf.mock_server import MockServerProcess

    with MockServerProcess(ttft_ms=60, itl_ms=12, tokens=64) as server:
        subprocess.run(
            [
                str(EXE),
                "perf",
                "--model",
                "mock",
                "--api-url",
                server.base_url,
                "--parallel",
                "1",
                "2",
                "4",
                "8",
                "--number",
                "40",
                "--prompt",
                "Tell me a story.",
                "--max-tokens",
                "64",
                "--sleep-interval",
                "0",
                "--outputs-dir",
                str(outputs),
                "--name",
                "mock-server",
            ],
            check=True,
            capture_output=True,
        )


def arena(outputs: Path, arena_run: Path | None, questions: int) -> None:
    """An arena run under outputs/arena: a copy of `arena_run`, one already there, or a new one."""
    target = outputs / "arena"
    if arena_run is not None:
        if not (target / arena_run.name).exists():
            shutil.copytree(arena_run, target / arena_run.name)
        return
    if list(target.glob("*/ratings.json")):
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    judge = subprocess.Popen(
        [str(EXE), "serve", "--model", "smollm2-135m-instruct", "--port", str(port), "--log-level", "warning"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5).close()
                break
            except OSError:
                if judge.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("evalscope serve did not come up") from None
                time.sleep(2)
        smollm2 = {"model": "smollm2-135m-instruct", "eval_batch_size": 8}
        config = {
            "question_file": str(ROOT / "examples" / "arena" / "questions.jsonl"),
            "models": [
                {"name": "smollm2-t0", **smollm2, "generation_config": {"max_tokens": 48, "temperature": 0}},
                {
                    "name": "smollm2-t0.8",
                    **smollm2,
                    "generation_config": {"max_tokens": 48, "temperature": 0.8, "do_sample": True},
                },
            ],
            "judge_model_args": {
                "model_id": "smollm2-135m-instruct",
                "api_url": f"http://127.0.0.1:{port}/v1",
                "generation_config": {"max_tokens": 64, "temperature": 0},
            },
            "judge_worker_num": 8,
            "limit": questions,
            "work_dir": str(target),
        }
        path = outputs / "arena.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        subprocess.run([str(EXE), "arena", "--config", str(path)], check=True)
    finally:
        judge.terminate()
        judge.wait(30)


def arena_screenshot(page, url: str) -> None:
    """The arena page: ratings, charts, and the first battle with its judge replies unfolded."""
    page.goto(url + "/arena")
    page.wait_for_selector("#arena-ratings")
    page.wait_for_selector(".battle")
    page.locator(".battle details.judge-replies > summary").first.click()
    page.wait_for_timeout(1500)
    page.screenshot(
        path=str(IMAGES / "site-arena.png"), full_page=True, clip={"x": 0, "y": 0, "width": 1400, "height": 1700}
    )


def site_screenshots(outputs: Path) -> None:
    from playwright.sync_api import sync_playwright

    proc = subprocess.Popen(
        [str(EXE), "app", "--outputs", str(outputs), "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        url = re.search(r"(http://\S+)", proc.stdout.readline()).group(1)  # type: ignore[union-attr]  # the app prints its URL first; a miss should fail loudly
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url + "/")
            page.wait_for_selector("#run-picker input")
            for box in page.query_selector_all("#run-picker input"):
                box.check()
            page.click("#load")
            page.wait_for_selector("#score-table")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(IMAGES / "site-model.png"))
            page.click("#nav-dataset")
            page.locator("#ds-filter label", has_text="Fail").click()
            page.wait_for_selector(".sample")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(IMAGES / "site-dataset.png"))
            page.click("#nav-compare")
            page.wait_for_selector(".pair")
            page.locator("#cmp-filter label", has_text="A right / B wrong").click()
            page.wait_for_timeout(2000)
            page.screenshot(
                path=str(IMAGES / "site-compare.png"),
                full_page=True,
                clip={"x": 0, "y": 0, "width": 1400, "height": 1400},
            )
            page.click("#nav-perf")
            page.wait_for_selector("#perf-verdict")
            page.wait_for_timeout(1500)
            page.screenshot(
                path=str(IMAGES / "site-perf.png"),
                full_page=True,
                clip={"x": 0, "y": 0, "width": 1400, "height": 1500},
            )
            arena_screenshot(page, url)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)


def tui_screenshots(outputs: Path) -> None:
    from evalscope.viz.data.catalog import Catalog
    from evalscope.viz.tui.browse import BrowseApp

    async def browse() -> None:
        app = BrowseApp(Catalog(outputs))
        async with app.run_test(size=(130, 36)) as pilot:
            await pilot.press("f", "f")
            await pilot.pause(0.5)
            app.save_screenshot(str(IMAGES / "tui-browse.svg"))

    asyncio.run(browse())


def tui_live(outputs: Path, dataset_dir: str | None) -> None:
    """The live view of a real (mock-model) evaluation, caught while it runs."""
    from evalscope.run import run_task
    from evalscope.viz.tui.app import eval_app

    cfg = {
        "model": "mock",
        "eval_type": "mock",
        "model_args": {"reply": "The answer is 18.", "delay": 0.1},
        "datasets": ["gsm8k", "arc", "mmlu"],
        "limit": 2,
        "work_dir": str(outputs.parent / "live"),
        "eval_batch_size": 4,
    }
    if dataset_dir:
        cfg["dataset_dir"] = dataset_dir

    async def live() -> None:
        app, job = eval_app(lambda sink: run_task(cfg, sink=sink, print_table=False))
        async with app.run_test(size=(130, 14)) as pilot:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not job.done.is_set():
                await pilot.pause(0.2)
                arc = app.state.datasets.get("mmlu")
                if arc is not None and arc.total and 0.4 < arc.done / arc.total < 0.8:
                    app.save_screenshot(str(IMAGES / "tui-live.svg"))
                    break
            while not job.done.is_set():
                await pilot.pause(0.2)

    asyncio.run(live())


@click.command()
@click.option(
    "--outputs",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("/tmp/evalscope-readme/outputs"),
    show_default=True,
)
@click.option("--limit", type=int, default=3, show_default=True)
@click.option("--dataset-dir", default=None, help="Local datasets (default: $EVALSCOPE_DATASET_DIR).")
@click.option(
    "--arena-run",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="An arena run dir to show (copied under OUTPUTS/arena) instead of running a new arena.",
)
@click.option("--arena-questions", type=int, default=4, show_default=True, help="Questions of a new arena.")
@click.option(
    "--images",
    type=click.Path(file_okay=False, path_type=Path),
    default=IMAGES,
    show_default=True,
    help="Where the screenshots go.",
)
def main(
    outputs: Path, limit: int, dataset_dir: str | None, arena_run: Path | None, arena_questions: int, images: Path
) -> None:
    global IMAGES
    IMAGES = images
    IMAGES.mkdir(parents=True, exist_ok=True)
    outputs.mkdir(parents=True, exist_ok=True)
    extra = ["--dataset-dir", dataset_dir] if dataset_dir else []
    evaluate(outputs, "smollm2", ["gsm8k", "arc"], limit, *extra)
    evaluate(
        outputs,
        "smollm2-0.12-prompts",
        ["arc"],
        limit,
        "--prompt-style",
        "evalscope-0.12",
        "--model-id",
        "smollm2-0.12-prompts",
        *extra,
    )
    perf(outputs)
    arena(outputs, arena_run, arena_questions)
    site_screenshots(outputs)
    tui_screenshots(outputs)
    tui_live(outputs, dataset_dir)
    click.echo(f"screenshots in {IMAGES}")


if __name__ == "__main__":
    main()
