"""Refresh the README's screenshots (docs/images/) from real runs.

    .venv/bin/python packages/evalscope-viz/scripts/readme_screenshots.py [--outputs DIR] [--limit 3]

Runs SmolLM2-135M-Instruct on gsm8k and arc with our prompts, and on arc with EvalScope 0.12's
(`--prompt-style evalscope-0.12`), a perf sweep against the mock streaming server, then opens
`evalscope app` in headless Debian Chromium and saves one screenshot per page, and the TUI's browse
and live views as SVG. An existing --outputs directory with those runs is reused.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
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


def site_screenshots(outputs: Path) -> None:
    from playwright.sync_api import sync_playwright

    proc = subprocess.Popen(
        [str(EXE), "app", "--outputs", str(outputs), "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        url = re.search(r"(http://\S+)", proc.stdout.readline()).group(1)  # type: ignore[union-attr]
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
def main(outputs: Path, limit: int, dataset_dir: str | None) -> None:
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
    site_screenshots(outputs)
    tui_screenshots(outputs)
    tui_live(outputs, dataset_dir)
    click.echo(f"screenshots in {IMAGES}")


if __name__ == "__main__":
    main()
