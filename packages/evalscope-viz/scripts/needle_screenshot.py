"""The needle-in-a-haystack screenshot of the README and docs/long-context.md, from a real run.

    .venv/bin/python packages/evalscope-viz/scripts/needle_screenshot.py [--outputs DIR]

Runs SmolLM2-135M-Instruct on needle_haystack at 1000-8000 tokens x 5 depths (max_tokens 64, so the
8000-token prompts fit its 8192-token context; an existing run under DIR is resumed or reused), then
opens `evalscope app` in headless Debian Chromium and saves the dataset page's length x depth heatmap
as docs/images/site-needle.png, and prints the grid as a markdown table.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
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
    "--no-first-run",
]
GRID = {"context_lengths": [1000, 2000, 4000, 8000], "depths": [0, 25, 50, 75, 100]}


def evaluate(run_dir: Path) -> None:
    if list((run_dir / "reports").glob("*/needle_haystack.json")):
        return
    resume = ["--use-cache", str(run_dir)] if (run_dir / "run.json").exists() else []
    command = [str(EXE), "eval", "--model", "smollm2-135m-instruct", "--datasets", "needle_haystack"]
    command += ["--generation-config", json.dumps({"max_tokens": 64})]
    command += ["--dataset-args", json.dumps({"needle_haystack": {"extra_params": GRID}})]
    subprocess.run([*command, "--work-dir", str(run_dir), "--no-timestamp", *resume], check=True)


def markdown(run_dir: Path) -> str:
    from evalscope.benchmarks._lib.haystack_grid import grid_metrics, report_grid
    from evalscope.core.stores import open_reader

    reader = open_reader(str(run_dir))
    run = reader.list_runs()[-1]
    (report,) = [r for r in reader.load_reports(run.run_id) if r.dataset_name == "needle_haystack"]
    lines = []
    for metric in grid_metrics(report):
        grid = report_grid(report, metric)
        assert grid is not None
        lines.append(f"| {metric} | " + " | ".join(f"{n} tokens" for n in grid.lengths) + " |")
        lines.append("|---|" + "---|" * len(grid.lengths))
        for depth, row in zip(grid.depths, grid.scores):
            cells = ["-" if v is None else f"{v:.2f}" for v in row]
            lines.append(f"| depth {grid.depth_label(depth)} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def screenshot(outputs: Path) -> Path:
    from playwright.sync_api import sync_playwright

    proc = subprocess.Popen(
        [str(EXE), "app", "--outputs", str(outputs), "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    target = IMAGES / "site-needle.png"
    try:
        url = re.search(r"(http://\S+)", proc.stdout.readline()).group(1)  # type: ignore[union-attr]  # the app prints its URL first
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(url + "/")
            page.wait_for_selector("#run-picker input")
            page.locator("#run-picker label", has_text="needle_haystack").locator("input").check()
            page.click("#load")
            page.click("#nav-dataset")
            page.wait_for_selector("[data-chart=needle-heatmap-AverageAccuracy] .js-plotly-plot")
            page.wait_for_timeout(1500)
            page.locator("#needle-section").screenshot(path=str(target))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    return target


@click.command()
@click.option(
    "--outputs", type=click.Path(path_type=Path), default=ROOT / "outputs" / "needle", show_default=True
)
def main(outputs: Path) -> None:
    evaluate(outputs / "smollm2-needle")
    click.echo(markdown(outputs / "smollm2-needle"))
    click.echo(f"saved {screenshot(outputs)}")


if __name__ == "__main__":
    main()
