"""needle_haystack's length x depth grid where a person looks: the TUI's Reports tab (Textual pilot)
shows it as a table, and the report site's dataset page (headless Chromium) draws it as a plotly
heatmap with the grid's table. The run is a real evaluation of a scripted reader whose scores per
cell are known (tests/benchmarks/test_needle_haystack.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from evalscope.run import run_task
from evalscope.viz.data.catalog import Catalog
from evalscope.viz.tui.browse import BrowseApp
from tests.benchmarks.test_needle_haystack import NeedleReader
from tests.viz.conftest import CHROMIUM_ARGS, SiteProcess, mock_task, shot

#: rows (depth 0, 25, 50, 75, 100) x lengths 300, 600 of acc and fact_recall
ACC = [
    ["1.0000", "1.0000"],
    ["1.0000", "1.0000"],
    ["0.0000", "0.0000"],
    ["0.0000", "0.0000"],
    ["0.0000", "0.0000"],
]
RECALL = [
    ["1.0000", "1.0000"],
    ["1.0000", "1.0000"],
    ["0.4000", "0.4000"],
    ["0.0000", "0.0000"],
    ["0.0000", "0.0000"],
]
DEPTHS = ["0%", "25%", "50%", "75%", "100%"]


@pytest.fixture(scope="module")
def needle_outputs(tmp_path_factory: pytest.TempPathFactory, dataset_dir: Path) -> Path:
    """A needle run and a gsm8k run (no grid) under one outputs directory."""
    root = tmp_path_factory.mktemp("needle") / "outputs"
    run_task(
        mock_task(
            root / "gsm", "mock-g", "The answer is 3.", ["gsm8k"], limit=2, dataset_dir=str(dataset_dir)
        ),
        print_table=False,
    )
    params = {"context_lengths": [300, 600], "depths": [0, 25, 50, 75, 100]}
    run_task(
        {"model": "reader", "datasets": ["needle_haystack"], "work_dir": str(root / "needle"), "no_timestamp": True,
         "dataset_args": {"needle_haystack": {"extra_params": params}}},
        model=NeedleReader(), print_table=False,
    )  # fmt: skip
    return root


def _key(catalog: Catalog, dataset: str) -> str:
    return next(e.key for e in catalog.runs() if dataset in e.info.datasets)


def test_tui_reports_tab_shows_the_grid_for_a_needle_run_only(needle_outputs):
    async def scenario():
        catalog = Catalog(needle_outputs)
        app = BrowseApp(catalog, _key(catalog, "needle_haystack"))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            grid = app.screen.query_one("#needle-grid")
            assert grid.display and app.screen.query_one("#needle-title").display
            header = [str(c.label) for c in grid.columns.values()]
            assert header == ["Dataset", "Metric", "Depth", "300 tok", "600 tok"]
            rows = [[str(c) for c in grid.get_row_at(i)] for i in range(grid.row_count)]
            assert rows == [["needle_haystack", "AverageAccuracy", d, *s] for d, s in zip(DEPTHS, ACC)] + [
                ["needle_haystack", "fact_recall", d, *s] for d, s in zip(DEPTHS, RECALL)
            ]
            app.screen.open_run(_key(catalog, "gsm8k"))  # another run: no grid
            await pilot.pause()
            assert not app.screen.query_one("#needle-grid").display

    asyncio.run(scenario())


@pytest.mark.slow
def test_site_dataset_page_draws_the_heatmap_and_its_table(needle_outputs):
    from playwright.sync_api import sync_playwright

    with SiteProcess("--outputs", str(needle_outputs)) as site, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            pg = browser.new_page(viewport={"width": 1400, "height": 1000})
            pg.set_default_timeout(30_000)
            pg.goto(site.url + "/")
            pg.wait_for_selector("#run-picker input")
            pg.locator("#run-picker label", has_text="needle@reader").locator("input").check()
            pg.click("#load")
            pg.click("#nav-dataset")
            chart = "[data-chart=needle-heatmap-AverageAccuracy] .js-plotly-plot"
            pg.wait_for_selector(chart)
            trace = pg.eval_on_selector(
                chart, "el => ({type: el.data[0].type, x: el.data[0].x, y: el.data[0].y, z: el.data[0].z})"
            )
            assert trace["type"] == "heatmap"
            assert trace["x"] == ["300", "600"] and trace["y"] == DEPTHS
            assert trace["z"] == [[float(v) for v in row] for row in ACC]
            rows = pg.eval_on_selector_all(
                "#needle-grid-fact_recall tbody tr",
                "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))",
            )
            assert rows == [[d, *s] for d, s in zip(DEPTHS, RECALL)]
            pg.wait_for_load_state("networkidle")
            shot(pg, "site-needle-heatmap")
        finally:
            browser.close()
